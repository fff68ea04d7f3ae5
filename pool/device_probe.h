/*
 * Private to pool/ (and its unit tests): the driver entry points the device
 * probes call, as tables of function pointers.
 *
 * The real loaders fill the tables from libcuda / libnvcuvid /
 * libnvidia-encode (nv-codec-headers' dynlink loader) and libvpl (dlopen);
 * tests fill them with fakes, so every path (no driver, cuInit failing, a
 * GPU without NVENC, two GPUs, ...) runs on a machine without a GPU.
 */
#ifndef LADDER_POOL_DEVICE_PROBE_H
#define LADDER_POOL_DEVICE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include <ffnvcodec/dynlink_cuda.h>
#include <ffnvcodec/dynlink_cuviddec.h>
#include <ffnvcodec/nvEncodeAPI.h>

#ifdef LADDER_HAVE_VPL
/* mfxExtendedDeviceId (API 2.6: an implementation's PCI address and render
 * node) is still marked experimental in the 2.8 headers. */
#ifndef ONEVPL_EXPERIMENTAL
#define ONEVPL_EXPERIMENTAL
#endif
#include <vpl/mfx.h>
#endif

#include "ladder/device_inventory.h"

/* Not in nv-codec-headers' loader: looked up beside it (both _v2, 64-bit). */
typedef CUresult CUDAAPI ladder_tcuMemGetInfo(size_t *free_bytes, size_t *total_bytes);
typedef CUresult CUDAAPI ladder_tcuDeviceTotalMem(size_t *bytes, CUdevice dev);
/* nvEncodeAPI.h declares the entry point but no pointer type for it. */
typedef NVENCSTATUS NVENCAPI ladder_tNvEncodeAPICreateInstance(NV_ENCODE_API_FUNCTION_LIST *list);

/*
 * The CUDA, NVDEC and NVENC calls the NVIDIA probe makes. cuInit through
 * cuCtxDestroy are required; the others may be NULL, and *_missing then
 * says why (e.g. "libnvidia-encode.so.1 not found").
 */
typedef struct ladder_nvidia_api {
    tcuInit *cuInit;
    tcuDeviceGetCount *cuDeviceGetCount;
    tcuDeviceGet *cuDeviceGet;
    tcuDeviceGetName *cuDeviceGetName;
    tcuDeviceGetAttribute *cuDeviceGetAttribute;
    tcuCtxCreate_v2 *cuCtxCreate;
    tcuCtxDestroy_v2 *cuCtxDestroy;
    tcuDeviceGetUuid *cuDeviceGetUuid;          /* optional */
    /* optional (CUDA 11.4+): a MIG instance's own UUID, where the v1 call
     * answers with its parent GPU's */
    tcuDeviceGetUuid *cuDeviceGetUuid_v2;
    ladder_tcuDeviceTotalMem *cuDeviceTotalMem; /* optional */
    ladder_tcuMemGetInfo *cuMemGetInfo;         /* optional */
    tcuGetErrorName *cuGetErrorName;            /* optional */
    tcuvidGetDecoderCaps *cuvidGetDecoderCaps;  /* optional: NVDEC */
    char cuvid_missing[128];
    ladder_tNvEncodeAPICreateInstance *NvEncodeAPICreateInstance; /* optional: NVENC */
    char nvenc_missing[128];
    /* How the probe waits between tries of a refused NVENC session (a
     * shortage may be another process's session closing); NULL: it does
     * not wait (the unit tests' fakes). */
    void (*sleep_ms)(int milliseconds);
    void *loader_state;                         /* owned by the loader */
} ladder_nvidia_api;

#ifdef LADDER_HAVE_VPL
/* The oneVPL dispatcher calls the Intel probe makes (all required). */
typedef struct ladder_vpl_api {
    mfxLoader (*MFXLoad)(void);
    void (*MFXUnload)(mfxLoader loader);
    mfxStatus (*MFXEnumImplementations)(mfxLoader loader, mfxU32 i,
                                        mfxImplCapsDeliveryFormat format,
                                        mfxHDL *idesc);
    mfxStatus (*MFXDispReleaseImplDescription)(mfxLoader loader, mfxHDL hdl);
    void *loader_state;                         /* owned by the loader */
} ladder_vpl_api;
#else
typedef struct ladder_vpl_api ladder_vpl_api;
#endif

/*
 * FFmpeg's own Quick Sync path, the one the engine encodes and decodes
 * through: a QSV device on an adapter's render node, made as
 * engine/qsv_device.c makes it, and libavcodec's *_qsv encoders opened on
 * it (NV12, or P010 for bit_depth 10). The Intel probe counts a codec
 * usable only once this path has opened it (intel_probe.c says why). Each
 * returns 0 or a negative AVERROR with a one-line reason in why.
 */
typedef struct ladder_qsv_path {
    int (*open)(void **session, const char *render_node, char *why, size_t why_size);
    int (*try_encoder)(void *session, const char *encoder, int bit_depth, char *why,
                       size_t why_size);
    void (*close)(void **session);
} ladder_qsv_path;

/* libavutil's and libavcodec's, the default. */
extern const ladder_qsv_path intel_qsv_ffmpeg;

/*
 * Everything the inventory asks the outside world. open() fills the table
 * or returns a negative code with a one-line reason in why; close() is
 * called only after a successful open(). has_encoder/has_decoder ask the
 * linked libavcodec by name ("h264_nvenc", "hevc_cuvid").
 */
typedef struct ladder_device_drivers {
    int (*nvidia_open)(ladder_nvidia_api *api, char *why, size_t why_size);
    void (*nvidia_close)(ladder_nvidia_api *api);
    int (*intel_open)(ladder_vpl_api *api, char *why, size_t why_size);
    void (*intel_close)(ladder_vpl_api *api);
    bool (*has_encoder)(const char *name);
    bool (*has_decoder)(const char *name);
    /* Intel: where the kernel lists DRM devices (NULL: /sys/class/drm) and
     * the Quick Sync path the probe tries codecs on (NULL: intel_qsv_ffmpeg). */
    const char *drm_sysfs_root;
    const ladder_qsv_path *qsv;
} ladder_device_drivers;

/* The real drivers: the loaders in nvidia_loader.c / intel_probe.c and
 * libavcodec's registry. */
void ladder_device_drivers_default(ladder_device_drivers *drivers);

/* ladder_device_inventory_probe() with the given drivers. */
int ladder_device_inventory_probe_with(ladder_device_inventory **out,
                                       const ladder_device_drivers *drivers);

/*
 * The per-vendor probes append devices through this (the inventory copies
 * *info and sets its index). Returns 0 or LADDER_ENOMEM.
 */
/* Device and decode requests (device_select.c, decode_select.c): the
 * reason into why (when given) and code back, for one-line returns. */
int device_request_fail(char *why, size_t why_size, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* An empty inventory (inventory_file.c fills one). 0 or LADDER_ENOMEM. */
int device_inventory_new(ladder_device_inventory **out);

int device_inventory_add(ladder_device_inventory *inventory,
                         const ladder_device_info *info);
ladder_vendor_status *device_inventory_vendor_mut(ladder_device_inventory *inventory,
                                                  enum ladder_device_kind kind);

int cpu_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers);
int nvidia_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers);
int intel_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers);

/* Fill support->library/usable/note from the device side and the library.
 * what: "encode" or "decode", for the note. */
void device_codec_resolve(ladder_codec_support *support, enum ladder_video_codec codec,
                          const char *what, const char *vendor_device,
                          bool (*has)(const char *name));

/*
 * Role and encoder sessions from the resolved codecs: encode when any
 * encode codec is usable (sessions = encode_sessions), else decode-only when
 * a decode codec is, else excluded; no_encode_why explains the last two.
 */
void device_assign_role(ladder_device_info *info, int encode_sessions,
                        const char *no_encode_why);

/* The real loaders, exposed for ladder_device_drivers_default(). */
int nvidia_driver_open(ladder_nvidia_api *api, char *why, size_t why_size);
void nvidia_driver_close(ladder_nvidia_api *api);
int intel_driver_open(ladder_vpl_api *api, char *why, size_t why_size);
void intel_driver_close(ladder_vpl_api *api);

#endif /* LADDER_POOL_DEVICE_PROBE_H */
