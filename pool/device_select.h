/*
 * Device requests to devices: `--devices` may ask for capabilities ("every
 * NVENC GPU", "the GPU with this UUID", "a GPU with 8 GiB free", "auto")
 * instead of naming device indexes, which change when GPUs are added or
 * reordered. ladder_device_select() resolves such a list against the
 * host's device inventory (include/ladder/device_inventory.h) into the
 * concrete list the engine runs (include/ladder/device_spec.h).
 */
#ifndef LADDER_DEVICE_SELECT_H
#define LADDER_DEVICE_SELECT_H

#include <stddef.h>

#include "ladder/device_inventory.h"
#include "ladder/device_spec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether the list asks for anything only the inventory can answer
 * (GPU or auto entries): callers probe the host only then. */
bool ladder_device_request_needs_host(const ladder_device_spec *requested, int nb);

/*
 * Resolve requested[0..nb) against the host's devices host[0..nb_host)
 * (nvidia_reason: why the host has no NVIDIA device, "" when it has some)
 * into out (at most max). CPU and fault entries are kept as they are.
 * nvidia entries become one device per matching NVENC GPU (gpu= its CUDA
 * index, the entry's slots per GPU): gpu=N that index, uuid= that GPU,
 * min-free= those with that much free memory, none of them every one. auto
 * is the CPU (cpu_slots slots) and every NVENC GPU, never an error.
 * An nvidia entry that matches no GPU is LADDER_ENODEVICE with why naming
 * the request and the reason (no driver, no NVENC on that GPU, too little
 * free memory, no such UUID).
 */
int ladder_device_select(const ladder_device_spec *requested, int nb, const ladder_device_info *host,
                         int nb_host, const char *nvidia_reason, int cpu_slots, ladder_device_spec *out,
                         int max, int *nb_out, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_DEVICE_SELECT_H */
