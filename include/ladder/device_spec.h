/*
 * What devices a job may encode on, and how each one encodes: the text of
 * `ladder encode --devices` ("cpu:4", "cpu:3,cpu:1:av1=libaom-av1").
 *
 * A device is a named group of lease slots (today CPU slots; GPUs join as
 * more kinds) with, per codec, the encoder library its workers run and
 * optionally its own preset. Two devices that encode one codec differently
 * are what the codec invariant guards against: engine/ probes each
 * (encoder, settings) pair once per rung before the run and keeps a
 * device off a rung whose decoder configuration it would break.
 */
#ifndef LADDER_DEVICE_SPEC_H
#define LADDER_DEVICE_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "ladder/export.h"
#include "ladder/ladder.h"
#include "ladder/lease_pool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room for a device name in a lease name "<device>:<slot>". */
#define LADDER_DEVICE_SPEC_NAME_MAX LADDER_DEVICE_LABEL_MAX
#define LADDER_ENCODER_NAME_MAX 24
struct ladder_device_spec {
    char name[LADDER_DEVICE_SPEC_NAME_MAX];  /* unique in the list: "cpu", "cpu2" */
    char kind[8];                 /* "cpu" */
    int slots;                    /* >= 1; 0 while parsing = "one per core" */
    /* kinds "nvidia"/"intel": no SLOTS was given (slots holds 1 until then);
     * ladder_device_select() gives each GPU its inventory's
     * encoder_sessions (one per NVENC engine) and clears it */
    bool slots_default;
    /* libavcodec encoder per codec; "" = ladder's default for the codec */
    char encoder[LADDER_CODEC_SLOTS][LADDER_ENCODER_NAME_MAX];
    char preset[16];              /* "" = the job's preset */
    /* kind "fault" (tests and drills): a CPU device whose encodes fail
     * from the (fail_after + 1)th on, re-tests included; for fail_for
     * encodes when fail_for > 0 (then it recovers), else for good */
    int fail_after;
    int fail_for;
    int gpu;                      /* kind "nvidia": the CUDA device index; -1 any */
    /* kind "nvidia", capability requests resolved against the host's
     * devices by ladder_device_select(): the GPU with this UUID, or every
     * NVENC GPU with at least this much free memory (0: any) */
    char uuid[64];
    int64_t min_free_bytes;
    /* kinds "nvidia"/"intel", filled by ladder_device_select() from the
     * inventory (never by the parser): what the chosen GPU's encoder
     * reported, which the engine's encoder settings follow. caps_known
     * false (a spec built by hand): no B-frames, 8-bit only assumed. */
    bool caps_known;
    int max_bframes[LADDER_CODEC_SLOTS];   /* by ladder_codec */
    bool ten_bit[LADDER_CODEC_SLOTS];
    int compute_major;                     /* NVIDIA architecture (6 Pascal, 8 Ampere/Ada, ...) */
    char bus_id[32];                       /* PCI address, "" unknown */
    char render_node[32];                  /* Intel: its DRM render node, "" unknown */
};

/*
 * Parse a comma-separated list of KIND[:SLOTS][:KEY=VALUE...]. KIND is
 * "cpu", "nvidia" (NVENC; SLOTS are encode sessions per GPU, default the
 * GPU's encoder_sessions, one per NVENC engine, see slots_default;
 * gpu=N, uuid=GPU-... (MIG-...) or min-free=SIZE pick GPUs, see
 * ladder_device_select(); none: every NVENC GPU), "auto" (the CPU and every
 * GPU that can encode), or "fault" (CPU-backed, for tests and drills: key fail-after=N
 * makes every encode after its Nth fail, default 0; fail-for=M makes only
 * the next M fail, then it works again, default 0: for good). SLOTS defaults to default_slots. Keys: h264=, hevc=, av1= (the
 * encoder library for that codec), preset=, name= (default: the kind,
 * then kind2, kind3... for later devices of the same kind). Only syntax
 * and names are checked here; whether an encoder exists is the engine's
 * business. Returns 0, or LADDER_ECONFIG with why set to one line.
 */
LADDER_API int ladder_device_spec_parse(const char *text, int default_slots, ladder_device_spec *out,
                                        int max, int *nb, char *why, size_t why_size);

/* The list as text in the syntax above (for logs and reports); buf always
 * NUL-terminated. */
LADDER_API void ladder_device_spec_format(const ladder_device_spec *specs, int nb, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_DEVICE_SPEC_H */
