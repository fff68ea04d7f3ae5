/*
 * Routing: where one job should run, as a pure function of what is known
 * about it and the host (no probing, no locks, no clock): the same inputs
 * always give the same route and reason, so a decision can be logged,
 * tested and replayed.
 *
 * The rule, in order:
 *  1. GPU candidates: devices that are not the CPU, have the encode role,
 *     are allowed by the tier filter and can encode every codec the job's
 *     rungs use. None: CPU, "no GPU encode device" (with why, when the tier
 *     filter or a codec took them away).
 *  2. A candidate fits when the job's GPU memory estimate is at most its
 *     free memory minus gpu_memory_reserve (unknown free memory: fits).
 *     None fits: CPU, the reason naming estimate, free and reserve.
 *  3. A small job (its largest rung has <= small_job_max_pixels pixels)
 *     prefers a GPU: the fitting GPU with the most free memory and a free
 *     slot. A large job prefers the CPU (x264/x265 give more quality per
 *     bit, and large sessions would crowd small jobs off the GPUs) and
 *     takes a GPU only when the CPU has no free slot.
 *  4. The preferred device is busy: the other one when it has a free
 *     slot; else when_busy decides: wait (for the preferred device), cpu,
 *     or fail.
 */
#ifndef LADDER_ROUTE_H
#define LADDER_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/config.h"
#include "ladder/device_inventory.h"
#include "policy/ladder_estimate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_route_rules {
    int64_t gpu_memory_reserve;    /* bytes left free on every GPU */
    int64_t small_job_max_pixels;  /* a job up to this many pixels is small */
    ladder_when_busy when_busy;
} ladder_route_rules;

typedef struct ladder_route_input {
    const ladder_estimate *estimate;     /* gpu_total_bytes, rungs (codecs, sizes) */
    const ladder_device_info *const *devices;
    int nb_devices;
    const bool *allowed;                 /* tier filter per device; NULL = all allowed */
    /* Free host slots per device (-1 = unknown: taken as free). NULL = all
     * unknown. The CPU device's entry is the CPU's free slots. */
    const int *free_slots;
    ladder_route_rules rules;
} ladder_route_input;

typedef enum ladder_route_kind {
    LADDER_ROUTE_CPU = 0,
    LADDER_ROUTE_GPU,
    LADDER_ROUTE_WAIT,
    LADDER_ROUTE_FAIL,
} ladder_route_kind;

#define LADDER_ROUTE_REASON_MAX 512

typedef struct ladder_route {
    ladder_route_kind kind;
    int device;                          /* index into devices for GPU (and WAIT on a GPU); else -1 */
    char target[96];                     /* "cpu", "gpu:GPU-uuid" (or "gpu:N", CUDA index), "intel:N",
                                            "wait", "fail" */
    char reason[LADDER_ROUTE_REASON_MAX]; /* one line naming the numbers */
} ladder_route;

/* Decide. Never fails: bad or missing inputs give a CPU route saying so. */
void ladder_route_decide(const ladder_route_input *in, ladder_route *out);

const char *ladder_route_kind_name(ladder_route_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_ROUTE_H */
