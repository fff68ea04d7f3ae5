/*
 * Device inventory: which devices this host has and what each can really do.
 *
 * One probe looks at the CPU, NVIDIA GPUs (CUDA, NVENC, NVDEC through the
 * driver libraries, loaded at run time) and Intel GPUs (oneVPL), and at the
 * linked libavcodec: a codec is *usable* on a device only when the device
 * can do it AND this FFmpeg build has the matching encoder or decoder. A
 * host without a GPU, a driver or a runtime gets zero devices of that
 * vendor and a reason, never an error: the same binary runs everywhere.
 *
 * The inventory is a snapshot; it owns every string it hands out, which
 * stay valid until ladder_device_inventory_close().
 */
#ifndef LADDER_DEVICE_INVENTORY_H
#define LADDER_DEVICE_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ladder_device_kind {
    LADDER_DEVICE_CPU,
    LADDER_DEVICE_NVIDIA,
    LADDER_DEVICE_INTEL,
    LADDER_DEVICE_KIND_COUNT
};

/* Codecs the inventory reports on, encode and decode alike. */
enum ladder_video_codec {
    LADDER_VIDEO_H264,
    LADDER_VIDEO_HEVC,
    LADDER_VIDEO_AV1,
    LADDER_VIDEO_VP9,
    LADDER_VIDEO_CODEC_COUNT
};

enum ladder_device_role {
    LADDER_ROLE_ENCODE,        /* runs encoders (it may decode/scale too) */
    LADDER_ROLE_DECODE_ONLY,   /* decodes and scales, encodes nothing */
    LADDER_ROLE_EXCLUDED,      /* usable for nothing here; see reason */
};

/* Health of a device; every device starts idle (leases come later). */
enum ladder_device_health {
    LADDER_HEALTH_IDLE,
};

#define LADDER_DEVICE_REASON_MAX 256

/* One codec in one direction (encode or decode) on one device. */
typedef struct ladder_codec_support {
    bool device;        /* the hardware (or, for the CPU, software) can */
    bool library;       /* the linked libavcodec has library_name */
    bool usable;        /* device && library */
    int max_width;      /* 0: unknown */
    int max_height;
    bool bframes;       /* encode: B-frames supported */
    int max_bframes;    /* encode: consecutive B-frames the hardware allows (0: none) */
    bool ten_bit;       /* 10-bit supported */
    char library_name[32];              /* "h264_nvenc", "libx264", "" */
    char note[LADDER_DEVICE_REASON_MAX]; /* why not usable, "" when usable */
} ladder_codec_support;

typedef struct ladder_device_info {
    int index;                       /* position in the inventory */
    enum ladder_device_kind kind;
    int vendor_index;                /* CUDA ordinal / implementation index */
    char name[128];                  /* "NVIDIA H100 80GB HBM3", CPU model */
    char uuid[64];                   /* "GPU-xxxxxxxx-...", "" if none */
    char bus_id[32];                 /* "00000000:17:00.0", "" if none */
    int64_t memory_total;            /* bytes (RAM for the CPU); -1 unknown */
    int64_t memory_free;             /* bytes available now; -1 unknown */
    int cores;                       /* CPU: cores this process may use */
    char simd[16];                   /* CPU: "avx512f", "avx2", "sse4.2", ... */
    int compute_major, compute_minor; /* NVIDIA compute capability */
    ladder_codec_support encode[LADDER_VIDEO_CODEC_COUNT];
    ladder_codec_support decode[LADDER_VIDEO_CODEC_COUNT];
    int encoder_sessions;            /* encoders it may run at once */
    int encoder_engines;             /* NVIDIA: NVENC engines (0: unknown) */
    bool sessions_per_system;        /* NVIDIA GeForce: the driver caps NVENC
                                        sessions per system, not per GPU */
    char render_node[32];            /* Intel: "/dev/dri/renderD129", "" unknown */
    enum ladder_device_role role;
    enum ladder_device_health health;
    char reason[LADDER_DEVICE_REASON_MAX]; /* why decode-only/excluded */
} ladder_device_info;

/* What one vendor's probe found: a count, and why it found none. */
typedef struct ladder_vendor_status {
    enum ladder_device_kind kind;
    int devices;
    char reason[LADDER_DEVICE_REASON_MAX]; /* "" when devices > 0 */
} ladder_vendor_status;

typedef struct ladder_device_inventory ladder_device_inventory;

/*
 * Probe every vendor with the real driver libraries. Returns 0 (absent
 * vendors are not errors) or LADDER_ENOMEM. Creating a CUDA context per
 * GPU makes this take a fraction of a second per NVIDIA device.
 */
LADDER_API int ladder_device_inventory_probe(ladder_device_inventory **out);
LADDER_API void ladder_device_inventory_close(ladder_device_inventory *inventory);

/*
 * An inventory captured with `ladder devices --json` on some machine, read
 * back (what a job would do there; tests of GPU policy on hosts without a
 * GPU). ladder_device_inventory_probe() does this instead of probing when
 * $LADDER_INVENTORY_FILE names a file. LADDER_ECONFIG with err set when the
 * file is not such a document.
 */
LADDER_API int ladder_device_inventory_load(ladder_device_inventory **out, const char *path, char *err, size_t err_size);

LADDER_API int ladder_device_inventory_count(const ladder_device_inventory *inventory);
/* Device i (0 <= i < count), or NULL. */
LADDER_API const ladder_device_info *ladder_device_inventory_device(
    const ladder_device_inventory *inventory, int i);
LADDER_API const ladder_vendor_status *ladder_device_inventory_vendor(
    const ladder_device_inventory *inventory, enum ladder_device_kind kind);

/* Lower-case names used in the CLI's table and JSON: "cpu", "h264",
 * "decode-only", "idle". */
LADDER_API const char *ladder_device_kind_name(enum ladder_device_kind kind);
LADDER_API const char *ladder_video_codec_name(enum ladder_video_codec codec);
LADDER_API const char *ladder_device_role_name(enum ladder_device_role role);
LADDER_API const char *ladder_device_health_name(enum ladder_device_health health);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_DEVICE_INVENTORY_H */
