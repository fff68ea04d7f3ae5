/*
 * Device leases and the rung choice for a free lease.
 *
 * A lease is the right to run one encoder on one device slot (a CPU slot,
 * a GPU's encode session). A worker holds its lease for as long as there
 * is work, and every chunk records the lease's device name, so the report
 * can say where each chunk was encoded. One pool may serve several
 * sessions of a process at once (ladder_job.lease_pool): their workers
 * then give their lease back at a chunk boundary whenever another waits
 * for that device, so concurrent jobs take turns chunk by chunk.
 */
#ifndef LADDER_LEASE_POOL_H
#define LADDER_LEASE_POOL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ladder/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADDER_DEVICE_NAME_MAX 32
#define LADDER_LEASE_POOL_MAX_DEVICES 64   /* device masks are 64 bits */

typedef struct ladder_lease {
    int device;                   /* index of the device, in the order given to init */
    int slot;                     /* slot on that device */
    int index;                    /* slot in the whole pool (private to the pool) */
    char name[LADDER_DEVICE_NAME_MAX]; /* "<device>:<slot>", e.g. "cpu:0" */
} ladder_lease;

typedef struct ladder_lease_pool ladder_lease_pool;

/*
 * A pool of nb_devices devices, device d named names[d] (at most
 * LADDER_DEVICE_NAME_MAX - 6 characters) with slots[d] slots (1..1024).
 * A free slot is lent from the first device in this order that has one.
 */
LADDER_API int ladder_lease_pool_init(ladder_lease_pool **out, const char *const *names, const int *slots,
                                      int nb_devices);
/* A pool of one CPU device named "cpu" with cpu_slots slots (>= 1). */
LADDER_API int ladder_lease_pool_init_cpu(ladder_lease_pool **out, int cpu_slots);
LADDER_API void ladder_lease_pool_close(ladder_lease_pool *pool);

/* Capacity: total slots. */
LADDER_API int ladder_lease_pool_capacity(const ladder_lease_pool *pool);

/* The devices, as given to init: how many, device d's name and slots
 * (NULL / 0 for an index out of range). */
LADDER_API int ladder_lease_pool_device_count(const ladder_lease_pool *pool);
LADDER_API const char *ladder_lease_pool_device_name(const ladder_lease_pool *pool, int device);
LADDER_API int ladder_lease_pool_device_slots(const ladder_lease_pool *pool, int device);

/*
 * Take a free slot, waiting when none is free; leases are granted in the
 * order they were asked for, so no caller starves.
 * Returns 0 or LADDER_ECANCELED after abort.
 */
LADDER_API int ladder_lease_pool_acquire(ladder_lease_pool *pool, ladder_lease *lease);
/*
 * The same for a caller that accepts only some devices (bit d of devices:
 * device d; 0 = any) and may have to give up: a free slot goes to the
 * first waiter in line that accepts its device, so a waiter for one device
 * never holds up one for another. Returns LADDER_ECANCELED after abort, or
 * once *give_up is true at a wake-up (ladder_lease_pool_wake(): what one
 * session of several sharing the pool calls to stop its own waiters
 * without aborting the others'); LADDER_EINVAL when devices names none of
 * the pool's.
 */
LADDER_API int ladder_lease_pool_acquire_from(ladder_lease_pool *pool, uint64_t devices, const atomic_bool *give_up,
                                              ladder_lease *lease);
/* Wake every waiter to look at its give_up flag again. */
LADDER_API void ladder_lease_pool_wake(ladder_lease_pool *pool);
/* Non-blocking: 0 with *lease set, or 1 when no slot is free. */
LADDER_API int ladder_lease_pool_try_acquire(ladder_lease_pool *pool, ladder_lease *lease);
LADDER_API void ladder_lease_pool_release(ladder_lease_pool *pool, const ladder_lease *lease);
LADDER_API void ladder_lease_pool_abort(ladder_lease_pool *pool);
/* Slots currently lent (tests check it never exceeds capacity). */
LADDER_API int ladder_lease_pool_in_use(ladder_lease_pool *pool);
/* Acquirers queued for a slot right now; _for: those that accept device. */
LADDER_API int ladder_lease_pool_waiting(ladder_lease_pool *pool);
LADDER_API int ladder_lease_pool_waiting_for(ladder_lease_pool *pool, int device);

/* What the scheduler knows of one rung when a lease looks for work. */
typedef struct ladder_rung_load {
    int queued;                   /* chunks ready to take */
    int active;                   /* workers encoding this rung right now */
    int64_t frames_left;          /* frames not yet encoded (estimate) */
    double cost_per_frame;        /* measured seconds per frame, or estimate */
} ladder_rung_load;

/*
 * Pick the rung a free worker should take a chunk from, or -1 if none is
 * eligible now. current: the worker's rung (-1 if none).
 *  1. its current rung, while that has a queued chunk;
 *  2. otherwise, among rungs with queued chunks and no active worker, the one
 *     with the most remaining work (frames_left x cost_per_frame);
 *  3. otherwise, if helpers are enabled, the rung with the most remaining
 *     work among rungs with queued chunks (the worker becomes a helper).
 * Ties go to the lower rung index, so the choice is deterministic.
 */
LADDER_API int ladder_lease_pool_pick_rung(const ladder_rung_load *loads, int nb_rungs,
                                           int current, bool helpers);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_LEASE_POOL_H */
