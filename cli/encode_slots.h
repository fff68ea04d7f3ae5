/*
 * `ladder encode`'s share of the host (and `ladder job`'s, cli/cmd_job.c):
 * before the session starts it takes
 * 1..N host CPU slots (N = its --devices cpu:N, default one per core),
 * waiting for one when none is free, or failing with LADDER_EBUSY (exit
 * 75) under --no-wait; the session then runs with as many workers as it
 * got. Slots go back when the encode ends (and, whatever happens, when the
 * process exits: the kernel drops the locks).
 */
#ifndef LADDER_CLI_ENCODE_SLOTS_H
#define LADDER_CLI_ENCODE_SLOTS_H

#include <stdbool.h>

#include "ladder/device_spec.h"
#include "ladder/ladder.h"

typedef struct encode_slots_options {
    int min_slots;                /* take at least this many (capped at the capacity); 0 = 1 */
    int host_cpu_slots;           /* --host-cpu-slots; 0 = $LADDER_HOST_CPU_SLOTS, else cores */
    bool no_wait;                 /* --no-wait */
    bool realtime;                /* --priority realtime: batch jobs yield to it */
    const char *state_dir;        /* config state_dir; NULL = ladder_host_slots_default_dir() */
    const char *what;             /* the holder's description: "WHAT IN -> OUT"; NULL = "encode" */
    /* GPU sessions: every nvidia device of this list (resolved: its uuid
     * set) takes 1..its slots of host key nvidia-<UUID> (an intel device:
     * intel-<INDEX>), gpu_sessions per
     * GPU (0 = the most slots an entry of that GPU has: its NVENC engines
     * unless the list says otherwise), after the CPU slots and in UUID order (two jobs never
     * wait on each other's GPUs). A GPU with no free session: no_wait ->
     * LADDER_EBUSY; gpu_busy_to_cpu -> the device is dropped from the list
     * (the job runs on its other devices, the CPU at least); else wait. */
    ladder_device_spec *devices;
    int *nb_devices;
    int gpu_sessions;
    bool gpu_busy_to_cpu;
    /* Where a failed claim's one-line message goes: NULL = stderr, with
     * "ladder: "; else this buffer (`ladder job` prints it in its result
     * line and once on stderr itself). */
    char *err;
    size_t err_size;
    /* interruptible: once interrupt_fd is readable (stop_watch.h: a stop or
     * cancel signal), a wait for a slot (the claim's, the gate's) ends with
     * LADDER_ECANCELED. The fd stays the caller's and must outlive the
     * handle. Not interruptible: waits end only with a slot. */
    bool interruptible;
    int interrupt_fd;
} encode_slots_options;

typedef struct encode_slots encode_slots;

/* Parse a --host-cpu-slots / $LADDER_HOST_CPU_SLOTS value (1..4096). */
int encode_slots_parse_capacity(const char *text, int *out);

/*
 * Take the job's slots and set job->cpu_slots to how many it got. json:
 * also report waiting/acquired/released as {"type":"slots",...} lines on
 * stdout. Prints its own one-line errors (or writes them to opts->err);
 * returns 0 or a LADDER_E* code
 * (LADDER_EBUSY: --no-wait and nothing free; LADDER_ECANCELED: the wait
 * was interrupted, nothing printed; LADDER_EINVAL: bad
 * $LADDER_HOST_CPU_SLOTS; LADDER_EIO: state directory unusable).
 */
int encode_slots_claim(encode_slots **out, ladder_job *job, const encode_slots_options *opts,
                       bool json, int verbosity);

/*
 * ladder_job.chunk_gate of a batch job (opaque: the encode_slots): at a
 * worker's chunk boundary, while a realtime job waits for the host key the
 * worker's device holds (a CPU slot for cpu and fault devices, a session of
 * that GPU for nvidia/intel ones), give the worker's slot of that key
 * away, wait until no realtime job waits for it, take a slot again
 * (queueing like anyone), and return 1; else 0 at once.
 * LADDER_ECANCELED once opts->interrupt_fd is readable.
 */
int encode_slots_gate(void *opaque, int worker, const ladder_device_spec *device);

/* Give the slots back now (the session is over); idempotent. */
void encode_slots_release(encode_slots *c);

/* Release if still held, and free. NULL is fine. */
void encode_slots_close(encode_slots *c);

#endif
