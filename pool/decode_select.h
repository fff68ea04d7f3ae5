/*
 * Where the source is decoded: `--decode-device cpu|gpu[:N|:uuid=UUID]|intel[:N]|auto`
 * (and the drill `fault:fail-after=N`). A decode request names a
 * capability, like --devices does; ladder_decode_select() resolves it
 * against the host's inventory and the source's codec, size and bit depth
 * into the ladder_decode_device the engine runs (include/ladder/ladder.h).
 */
#ifndef LADDER_DECODE_SELECT_H
#define LADDER_DECODE_SELECT_H

#include <stdbool.h>
#include <stddef.h>

#include "ladder/device_inventory.h"
#include "ladder/ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ladder_decode_request_kind {
    LADDER_DECODE_REQUEST_CPU = 0,
    LADDER_DECODE_REQUEST_GPU,     /* NVDEC, or an error when no GPU can */
    LADDER_DECODE_REQUEST_AUTO,    /* NVDEC where a GPU can, else QSV, else the CPU */
    LADDER_DECODE_REQUEST_FAULT,   /* drill: see LADDER_DECODE_FAULT */
    LADDER_DECODE_REQUEST_INTEL,   /* QSV, or an error when no Intel GPU can */
} ladder_decode_request_kind;

typedef struct ladder_decode_request {
    ladder_decode_request_kind kind;
    int gpu;                       /* GPU: this CUDA index; INTEL: this adapter; -1 = any */
    char uuid[64];                 /* GPU: this UUID; "" = any */
    int fail_after;                /* FAULT: frames before the drill's failure */
    char text[64];                 /* as written, for the report */
} ladder_decode_request;

/* Parse "cpu", "gpu", "gpu:1", "gpu:uuid=GPU-...", "intel", "intel:1",
 * "auto", "fault:fail-after=N". LADDER_ECONFIG with why on anything else. */
int ladder_decode_request_parse(const char *text, ladder_decode_request *out, char *why, size_t why_size);

/* Whether resolving the request needs the inventory and a look at the
 * source (gpu, intel and auto do; cpu and fault do not). */
bool ladder_decode_request_needs_host(const ladder_decode_request *r);

/* What a GPU must decode: the source's main video. */
typedef struct ladder_decode_source {
    const char *codec;             /* FFmpeg codec name: "h264", "hevc", "av1", "vp9", ... */
    int width, height;
    int bit_depth;                 /* 8, 10, 12 */
    bool chroma_420;               /* 4:2:0 (NVDEC's other formats are per GPU generation) */
} ladder_decode_source;

/*
 * Resolve r against host[0..nb_host) (nvidia_reason: why there is no
 * NVIDIA device, "" when there are some) for src. GPU picks the first
 * NVIDIA device (or the named one) whose NVDEC decodes src's codec at its
 * size and depth: none is LADDER_ENODEVICE with why naming what is missing.
 * INTEL does the same with Intel GPUs and their QSV decoders. AUTO tries
 * NVIDIA, then Intel, and settles for the CPU, reason saying why. The
 * result's reason is one line for the log and the report.
 */
int ladder_decode_select(const ladder_decode_request *r, const ladder_device_info *host, int nb_host,
                         const char *nvidia_reason, const ladder_decode_source *src,
                         ladder_decode_device *out, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_DECODE_SELECT_H */
