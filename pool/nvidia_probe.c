/*
 * NVIDIA GPUs: CUDA for identity and memory, NVDEC (cuvidGetDecoderCaps)
 * for decoding, NVENC (an encode session on a CUDA context) for encoding.
 *
 * Every call goes through the ladder_nvidia_api table; every failure is an
 * answer ("0 devices, because ...", "decode-only, because ..."), never an
 * error, so a host with a broken or missing driver still runs on its CPU.
 * Data-centre GPUs (A100, H100, H200) have NVDEC but no NVENC: their encode
 * session is refused, and they come out as decode/scale devices.
 *
 * The probe opens at most one NVENC session at a time, for as long as it
 * takes to read the codec list, and destroys it (and its GPU's context)
 * before the next GPU: on a GeForce system, whose sessions are counted
 * over every process, it never holds a session another process needs for
 * longer than that, nor two at once.
 */
#include <stdio.h>
#include <string.h>

#include "device_probe.h"
#include "ladder/error.h"

/* Not in nv-codec-headers 11.1 (NVENC SDK 12.0 added it): the GUID is the
 * driver's, {0A352289-0AA7-4759-862D-5D15CD16D254}. */
static const GUID nvenc_av1_guid = {
    0x0a352289, 0x0aa7, 0x4759, { 0x86, 0x2d, 0x5d, 0x15, 0xcd, 0x16, 0xd2, 0x54 }
};

/* The NVENC API version this build asks for (nv-codec-headers 11.1). */
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define NVENC_API_TEXT STRINGIFY(NVENCAPI_MAJOR_VERSION) "." STRINGIFY(NVENCAPI_MINOR_VERSION)

/*
 * NVENC sessions ladder plans on all the GeForce GPUs of a host together.
 * The driver caps concurrent sessions on consumer GPUs per system, shared
 * by every process: 3 until the R530 drivers (2023), then 5, 8 since 2024.
 * 3 is the cap of the oldest driver Debian 12 carries (R525): ladder never
 * plans a session such a driver refuses, and newer drivers keep the rest
 * for the host's other encoders (a recorder, a media server).
 */
#define GEFORCE_SYSTEM_SESSIONS 3

/*
 * A refused session that may come free in a moment is asked for again:
 * NV_ENC_ERR_OUT_OF_MEMORY is what the GeForce cap answers while other
 * processes hold every session (and what a GPU short of memory answers),
 * NV_ENC_ERR_LOCK_BUSY a driver lock held by another thread. The pauses
 * (through api->sleep_ms) add up to 0.6 s per busy GPU.
 */
#define NVENC_OPEN_TRIES 4
static const int nvenc_retry_ms[NVENC_OPEN_TRIES - 1] = { 50, 150, 400 };

static const char *const nvenc_encoders[LADDER_VIDEO_CODEC_COUNT] = {
    "h264_nvenc", "hevc_nvenc", "av1_nvenc", "",
};
static const char *const nvdec_decoders[LADDER_VIDEO_CODEC_COUNT] = {
    "h264_cuvid", "hevc_cuvid", "av1_cuvid", "vp9_cuvid",
};
static const cudaVideoCodec nvdec_codecs[LADDER_VIDEO_CODEC_COUNT] = {
    cudaVideoCodec_H264, cudaVideoCodec_HEVC, cudaVideoCodec_AV1, cudaVideoCodec_VP9,
};

static const char *cuda_error_name(const ladder_nvidia_api *api, CUresult r)
{
    const char *name = NULL;
    if (api->cuGetErrorName && api->cuGetErrorName(r, &name) == CUDA_SUCCESS && name)
        return name;
    /* cuGetErrorName may be missing, or itself fail on a broken driver. */
    switch ((int)r) {
    case 1: return "CUDA_ERROR_INVALID_VALUE";
    case 2: return "CUDA_ERROR_OUT_OF_MEMORY";
    case 3: return "CUDA_ERROR_NOT_INITIALIZED";
    case 34: return "CUDA_ERROR_STUB_LIBRARY";
    case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER"; /* the runtime's code, see cuinit_hint() */
    case 46: return "CUDA_ERROR_DEVICES_UNAVAILABLE";
    case 100: return "CUDA_ERROR_NO_DEVICE";
    case 101: return "CUDA_ERROR_INVALID_DEVICE";
    case 304: return "CUDA_ERROR_OPERATING_SYSTEM";
    case 803: return "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH";
    case 804: return "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE";
    case 999: return "CUDA_ERROR_UNKNOWN";
    default: return "CUDA error";
    }
}

/* What a failing cuInit (or no device) most likely means on a Linux host. */
static const char *cuinit_hint(CUresult r)
{
    switch ((int)r) {
    case 34:
        return ": the CUDA toolkit's stub libcuda (lib64/stubs) was loaded instead of the "
               "driver's; take it off LD_LIBRARY_PATH";
    case 35:
        /* cudaErrorInsufficientDriver, "driver older than the runtime", is
         * the runtime's: the driver API has no code 35 and ladder uses no
         * runtime, so something other than NVIDIA's libcuda answered. */
        return ": not a CUDA driver API code (the runtime's 'driver older than runtime'); "
               "the libcuda.so.1 loaded is not NVIDIA's driver library, or a wrapper of it";
    case 100:
        return ": no NVIDIA GPU visible to this process (CUDA_VISIBLE_DEVICES, or a "
               "container started without GPUs?)";
    case 803:
        return ": libcuda.so.1 and the loaded nvidia kernel module are different driver "
               "versions (updated without a reboot, or a cuda-compat libcuda this kernel "
               "driver does not support)";
    case 804:
        return ": a forward-compatibility libcuda (cuda-compat) on a GPU without forward "
               "compatibility (data-centre GPUs have it); take the compat directory off "
               "the library path";
    case 999:
        return ": the kernel driver did not initialise (nvidia-uvm not loaded, /dev/nvidia* "
               "not accessible? see dmesg)";
    default:
        return "";
    }
}

static const char *nvenc_status_name(NVENCSTATUS status)
{
    switch (status) {
    case NV_ENC_SUCCESS: return "NV_ENC_SUCCESS";
    case NV_ENC_ERR_NO_ENCODE_DEVICE: return "NV_ENC_ERR_NO_ENCODE_DEVICE";
    case NV_ENC_ERR_UNSUPPORTED_DEVICE: return "NV_ENC_ERR_UNSUPPORTED_DEVICE";
    case NV_ENC_ERR_INVALID_ENCODERDEVICE: return "NV_ENC_ERR_INVALID_ENCODERDEVICE";
    case NV_ENC_ERR_INVALID_DEVICE: return "NV_ENC_ERR_INVALID_DEVICE";
    case NV_ENC_ERR_DEVICE_NOT_EXIST: return "NV_ENC_ERR_DEVICE_NOT_EXIST";
    case NV_ENC_ERR_OUT_OF_MEMORY: return "NV_ENC_ERR_OUT_OF_MEMORY";
    case NV_ENC_ERR_INVALID_VERSION: return "NV_ENC_ERR_INVALID_VERSION";
    case NV_ENC_ERR_LOCK_BUSY: return "NV_ENC_ERR_LOCK_BUSY";
    case NV_ENC_ERR_UNSUPPORTED_PARAM: return "NV_ENC_ERR_UNSUPPORTED_PARAM";
    case NV_ENC_ERR_INVALID_PARAM: return "NV_ENC_ERR_INVALID_PARAM";
    case NV_ENC_ERR_GENERIC: return "NV_ENC_ERR_GENERIC";
    default: return "NVENC error";
    }
}

/* nvidia-smi's spelling: GPU-8-4-4-4-12 (MIG-... for a MIG instance),
 * lower-case hex. */
static void format_uuid(const char *prefix, const CUuuid *uuid, char *out, size_t size)
{
    const unsigned char *b = (const unsigned char *)uuid->bytes;
    snprintf(out, size,
             "%s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             prefix, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

/*
 * The device's UUID as nvidia-smi shows it. Under MIG every CUDA device is
 * an instance; cuDeviceGetUuid_v2 gives each its own UUID while the v1 call
 * gives them all their parent GPU's, so answers that differ mean a MIG
 * instance ("MIG-..."; uuid= requests and host session keys then tell the
 * instances apart). Without _v2 (drivers before CUDA 11.4) the instances of
 * one GPU cannot be told apart and share its GPU- UUID.
 */
static void read_uuid(const ladder_nvidia_api *api, CUdevice dev, char *out, size_t size)
{
    CUuuid v1, v2;
    bool has_v1 = api->cuDeviceGetUuid && api->cuDeviceGetUuid(&v1, dev) == CUDA_SUCCESS;
    bool has_v2 = api->cuDeviceGetUuid_v2 && api->cuDeviceGetUuid_v2(&v2, dev) == CUDA_SUCCESS;
    if (has_v1 && has_v2 && memcmp(v1.bytes, v2.bytes, sizeof(v1.bytes)))
        format_uuid("MIG-", &v2, out, size);
    else if (has_v2 || has_v1)
        format_uuid("GPU-", has_v2 ? &v2 : &v1, out, size);
}

static int attribute(const ladder_nvidia_api *api, CUdevice dev, CUdevice_attribute attr)
{
    int value = -1;
    if (api->cuDeviceGetAttribute(&value, attr, dev) != CUDA_SUCCESS)
        return -1;
    return value;
}

/* NVDEC, per codec: 8-bit 4:2:0, then 10-bit where the codec has it. Needs
 * the GPU's context current. */
static void probe_nvdec(const ladder_nvidia_api *api, ladder_device_info *info,
                        const ladder_device_drivers *drivers)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        ladder_codec_support *dec = &info->decode[c];
        snprintf(dec->library_name, sizeof(dec->library_name), "%s", nvdec_decoders[c]);
        if (!api->cuvidGetDecoderCaps) {
            snprintf(dec->note, sizeof(dec->note), "no NVDEC: %s", api->cuvid_missing);
            continue;
        }
        CUVIDDECODECAPS caps = {
            .eCodecType = nvdec_codecs[c],
            .eChromaFormat = cudaVideoChromaFormat_420,
            .nBitDepthMinus8 = 0,
        };
        CUresult r = api->cuvidGetDecoderCaps(&caps);
        if (r == CUDA_SUCCESS && caps.bIsSupported) {
            dec->device = true;
            dec->max_width = (int)caps.nMaxWidth;
            dec->max_height = (int)caps.nMaxHeight;
            if (c != LADDER_VIDEO_H264) {
                CUVIDDECODECAPS caps10 = {
                    .eCodecType = nvdec_codecs[c],
                    .eChromaFormat = cudaVideoChromaFormat_420,
                    .nBitDepthMinus8 = 2,
                };
                dec->ten_bit = api->cuvidGetDecoderCaps(&caps10) == CUDA_SUCCESS &&
                               caps10.bIsSupported;
            }
        } else if (r != CUDA_SUCCESS) {
            snprintf(dec->note, sizeof(dec->note), "NVDEC caps query failed: %d %s",
                     (int)r, cuda_error_name(api, r));
        } else {
            snprintf(dec->note, sizeof(dec->note), "NVDEC on this GPU cannot decode %s",
                     ladder_video_codec_name((enum ladder_video_codec)c));
        }
        device_codec_resolve(dec, (enum ladder_video_codec)c, "decode", "GPU",
                             drivers->has_decoder);
    }
}

static int encode_cap(const NV_ENCODE_API_FUNCTION_LIST *nvenc, void *encoder, GUID guid,
                      NV_ENC_CAPS cap)
{
    NV_ENC_CAPS_PARAM param = { .version = NV_ENC_CAPS_PARAM_VER, .capsToQuery = cap };
    int value = 0;
    if (nvenc->nvEncGetEncodeCaps(encoder, guid, &param, &value) != NV_ENC_SUCCESS)
        return 0;
    return value;
}

/* The encode GUIDs of an open session, mapped onto our codecs. */
static void read_encode_caps(const NV_ENCODE_API_FUNCTION_LIST *nvenc, void *encoder,
                             ladder_device_info *info)
{
    const GUID *codec_guids[LADDER_VIDEO_CODEC_COUNT] = {
        &NV_ENC_CODEC_H264_GUID, &NV_ENC_CODEC_HEVC_GUID, &nvenc_av1_guid, NULL,
    };
    uint32_t count = 0;
    GUID guids[16];
    if (nvenc->nvEncGetEncodeGUIDCount(encoder, &count) != NV_ENC_SUCCESS)
        count = 0;
    if (count > 16)
        count = 16;
    uint32_t listed = 0;
    if (count && nvenc->nvEncGetEncodeGUIDs(encoder, guids, count, &listed) != NV_ENC_SUCCESS)
        listed = 0;
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        ladder_codec_support *enc = &info->encode[c];
        if (!codec_guids[c])
            continue;
        for (uint32_t g = 0; g < listed; g++) {
            if (memcmp(&guids[g], codec_guids[c], sizeof(GUID)))
                continue;
            enc->device = true;
            enc->max_width = encode_cap(nvenc, encoder, guids[g], NV_ENC_CAPS_WIDTH_MAX);
            enc->max_height = encode_cap(nvenc, encoder, guids[g], NV_ENC_CAPS_HEIGHT_MAX);
            int bframes = encode_cap(nvenc, encoder, guids[g], NV_ENC_CAPS_NUM_MAX_BFRAMES);
            enc->max_bframes = bframes > 0 ? bframes : 0; /* 0: Pascal's HEVC, for one */
            enc->bframes = enc->max_bframes > 0;
            enc->ten_bit = encode_cap(nvenc, encoder, guids[g],
                                      NV_ENC_CAPS_SUPPORT_10BIT_ENCODE) > 0;
        }
        if (!enc->device)
            snprintf(enc->note, sizeof(enc->note), "NVENC on this GPU cannot encode %s",
                     ladder_video_codec_name((enum ladder_video_codec)c));
    }
    /* A property of the GPU, asked through any codec it lists; a driver
     * that does not know the cap answers an error: 0, unknown. */
    int engines = listed ? encode_cap(nvenc, encoder, guids[0], NV_ENC_CAPS_NUM_ENCODER_ENGINES) : 0;
    info->encoder_engines = engines > 0 ? engines : 0;
}

static bool transient_refusal(NVENCSTATUS status)
{
    return status == NV_ENC_ERR_OUT_OF_MEMORY || status == NV_ENC_ERR_LOCK_BUSY;
}

/*
 * One session on ctx, asked for again (NVENC_OPEN_TRIES in all) while the
 * refusal may be transient. A failed open that still handed out a handle
 * is destroyed (the API asks for it) before the next try, so the probe
 * holds at most one session, and none when this fails.
 */
static NVENCSTATUS open_session(const ladder_nvidia_api *api,
                                const NV_ENCODE_API_FUNCTION_LIST *nvenc, CUcontext ctx,
                                void **encoder)
{
    NVENCSTATUS status = NV_ENC_ERR_GENERIC;
    for (int attempt = 0; attempt < NVENC_OPEN_TRIES; attempt++) {
        if (attempt > 0 && api->sleep_ms)
            api->sleep_ms(nvenc_retry_ms[attempt - 1]);
        NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params = {
            .version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
            .deviceType = NV_ENC_DEVICE_TYPE_CUDA,
            .device = ctx,
            .apiVersion = NVENCAPI_VERSION,
        };
        *encoder = NULL;
        status = nvenc->nvEncOpenEncodeSessionEx(&params, encoder);
        if (status == NV_ENC_SUCCESS)
            return status;
        if (*encoder)
            nvenc->nvEncDestroyEncoder(*encoder);
        *encoder = NULL;
        if (!transient_refusal(status))
            break;
    }
    return status;
}

/* What the NVENC probe of one GPU found. */
enum nvenc_probe {
    NVENC_ABSENT,   /* no encoder here (or no way to reach it): why says so */
    NVENC_BUSY,     /* every try refused with a transient status: why says so */
    NVENC_LISTED,   /* a session opened and listed the codecs */
};

/*
 * NVENC: open a session on the GPU's context, list its codecs and close
 * it again. why: what refused it, unless NVENC_LISTED.
 */
static enum nvenc_probe probe_nvenc(const ladder_nvidia_api *api, CUcontext ctx,
                                    ladder_device_info *info, char *why, size_t why_size)
{
    if (!api->NvEncodeAPICreateInstance) {
        snprintf(why, why_size, "no NVENC (%s)", api->nvenc_missing);
        return NVENC_ABSENT;
    }
    NV_ENCODE_API_FUNCTION_LIST nvenc = { .version = NV_ENCODE_API_FUNCTION_LIST_VER };
    NVENCSTATUS status = api->NvEncodeAPICreateInstance(&nvenc);
    if (status != NV_ENC_SUCCESS) {
        snprintf(why, why_size,
                 "no NVENC (NvEncodeAPICreateInstance: %s; driver older than NVENC API "
                 NVENC_API_TEXT "?)", nvenc_status_name(status));
        return NVENC_ABSENT;
    }
    void *encoder = NULL;
    status = open_session(api, &nvenc, ctx, &encoder);
    if (transient_refusal(status)) {
        snprintf(why, why_size,
                 "NVENC sessions busy at probe time (%s, %d tries): H.264/HEVC assumed, "
                 "not verified; the pre-flight opens a real encoder",
                 nvenc_status_name(status), NVENC_OPEN_TRIES);
        return NVENC_BUSY;
    }
    if (status != NV_ENC_SUCCESS) {
        const char *hint = status == NV_ENC_ERR_INVALID_VERSION
                               ? "; driver older than NVENC API " NVENC_API_TEXT "?" : "";
        snprintf(why, why_size, "no NVENC (encode session refused: %s%s)",
                 nvenc_status_name(status), hint);
        return NVENC_ABSENT;
    }
    read_encode_caps(&nvenc, encoder, info);
    nvenc.nvEncDestroyEncoder(encoder);
    return NVENC_LISTED;
}

/*
 * A GPU whose sessions were all taken while the probe asked (by other
 * processes at a GeForce's cap, or a burst of encoders) is not judged by
 * that moment for the whole run: it stays an encode device with the codecs
 * every NVENC GPU since Pascal has, H.264 and HEVC, assumed and marked
 * unverified (why is its reason). Conservative caps: size unknown, no
 * B-frames, 8-bit. The engine's pre-flight opens a real encoder per rung
 * anyway and keeps the GPU off a rung, with the reason, if it fails.
 */
static void assume_nvenc_codecs(ladder_device_info *info)
{
    info->encode[LADDER_VIDEO_H264].device = true;
    info->encode[LADDER_VIDEO_HEVC].device = info->compute_major >= 6;
}

/*
 * Consumer GPUs are what NVIDIA calls non-qualified for NVENC: the driver
 * caps their concurrent sessions per system, over all of them and every
 * process together. That is the GeForce line, TITAN cards included (named
 * "NVIDIA TITAN ..." without "GeForce"). Quadro, RTX professional ("RTX
 * A4000", "RTX 4000 Ada"), Tesla and the A/L/H data-centre GPUs are not
 * capped: their engines and memory are the limit.
 */
static bool consumer_gpu(const char *name)
{
    return strstr(name, "GeForce") || strstr(name, "TITAN");
}

/* Name, UUID, PCI address, compute capability and total memory. */
static void identify_gpu(const ladder_nvidia_api *api, CUdevice dev, int ordinal,
                         ladder_device_info *info)
{
    if (api->cuDeviceGetName(info->name, (int)sizeof(info->name), dev) != CUDA_SUCCESS)
        snprintf(info->name, sizeof(info->name), "CUDA device %d", ordinal);
    read_uuid(api, dev, info->uuid, sizeof(info->uuid));
    int domain = attribute(api, dev, CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID);
    int bus = attribute(api, dev, CU_DEVICE_ATTRIBUTE_PCI_BUS_ID);
    int device = attribute(api, dev, CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID);
    if (domain >= 0 && bus >= 0 && device >= 0)
        snprintf(info->bus_id, sizeof(info->bus_id), "%08X:%02X:%02X.0",
                 (unsigned)domain, (unsigned)bus, (unsigned)device);
    info->compute_major = attribute(api, dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
    info->compute_minor = attribute(api, dev, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
    size_t total = 0;
    if (api->cuDeviceTotalMem && api->cuDeviceTotalMem(&total, dev) == CUDA_SUCCESS)
        info->memory_total = (int64_t)total;
    info->sessions_per_system = consumer_gpu(info->name);
}

/*
 * Free memory, NVDEC and NVENC, on a context of the probe's own that is
 * destroyed before it returns. no_encode: why nothing encodes here (or,
 * after NVENC_BUSY, why the codecs are unverified). False when no context
 * could be made (info is then excluded, with the reason).
 */
static bool probe_codecs(const ladder_nvidia_api *api, CUdevice dev,
                         const ladder_device_drivers *drivers, ladder_device_info *info,
                         enum nvenc_probe *nvenc, char *no_encode, size_t no_encode_size)
{
    CUcontext ctx = NULL;
    CUresult r = api->cuCtxCreate(&ctx, 0, dev);
    if (r != CUDA_SUCCESS) {
        info->role = LADDER_ROLE_EXCLUDED;
        snprintf(info->reason, sizeof(info->reason),
                 "cannot create a CUDA context: %d %s (exclusive compute mode in use?)",
                 (int)r, cuda_error_name(api, r));
        return false;
    }
    size_t free_bytes = 0, ctx_total = 0;
    if (api->cuMemGetInfo && api->cuMemGetInfo(&free_bytes, &ctx_total) == CUDA_SUCCESS) {
        info->memory_free = (int64_t)free_bytes;
        if (info->memory_total < 0)
            info->memory_total = (int64_t)ctx_total;
    }
    probe_nvdec(api, info, drivers);
    *nvenc = probe_nvenc(api, ctx, info, no_encode, no_encode_size);
    api->cuCtxDestroy(ctx);
    return true;
}

/*
 * Encoder sessions ladder plans on an encode GPU: one per NVENC engine.
 * One session per GPU was the rule while one session was thought to keep
 * the encoder saturated; with 2 engines (L4, Pascal's GP104 in a Tesla P4)
 * or 3 (L40S) it keeps one engine busy and leaves the others idle. The driver
 * spreads sessions over the engines, so one encoder per engine keeps each
 * busy; more would only queue on them. Unknown engines: 1. A GeForce GPU
 * draws from the system's GEFORCE_SYSTEM_SESSIONS (*system_left), and one
 * past that budget still gets 1, with a reason that says so.
 */
static void plan_sessions(ladder_device_info *info, int *system_left)
{
    int sessions = info->encoder_engines > 0 ? info->encoder_engines : 1;
    if (info->sessions_per_system) {
        if (sessions > *system_left)
            sessions = *system_left;
        if (sessions < 1) {
            sessions = 1;
            size_t used = strlen(info->reason);
            snprintf(info->reason + used, sizeof(info->reason) - used,
                     "%sGeForce GPUs share the driver's NVENC session cap; ladder plans %d "
                     "over all of them, this GPU's session is past that",
                     used ? "; " : "", GEFORCE_SYSTEM_SESSIONS);
        }
        *system_left -= sessions;
    }
    info->encoder_sessions = sessions;
}

/*
 * The encode side from what NVENC answered (why: its words, see
 * probe_nvenc()): codec notes, this FFmpeg's encoders, role and sessions.
 */
static void settle_encode(ladder_device_info *info, enum nvenc_probe nvenc, const char *why,
                          const ladder_device_drivers *drivers, int *system_left)
{
    const char *no_encode = why;
    if (nvenc == NVENC_ABSENT) {
        for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
            snprintf(info->encode[c].note, sizeof(info->encode[c].note), "%s", why);
    } else {
        if (nvenc == NVENC_BUSY)
            assume_nvenc_codecs(info);
        no_encode = "NVENC offers no codec this FFmpeg build can drive";
    }
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (info->encode[c].library_name[0])
            device_codec_resolve(&info->encode[c], (enum ladder_video_codec)c, "encode",
                                 "GPU", drivers->has_encoder);
    device_assign_role(info, 1, no_encode);
    if (info->role != LADDER_ROLE_ENCODE)
        return;
    if (nvenc == NVENC_BUSY)   /* an encode device, its codecs unverified */
        snprintf(info->reason, sizeof(info->reason), "%s", why);
    plan_sessions(info, system_left);
}

/* One CUDA device, start to end; *system_left: see plan_sessions(). */
static void probe_gpu(const ladder_nvidia_api *api, int ordinal,
                      const ladder_device_drivers *drivers, int *system_left,
                      ladder_device_info *info)
{
    *info = (ladder_device_info){
        .kind = LADDER_DEVICE_NVIDIA, .vendor_index = ordinal,
        .memory_total = -1, .memory_free = -1,
    };
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        snprintf(info->encode[c].library_name, sizeof(info->encode[c].library_name), "%s",
                 nvenc_encoders[c]);
    CUdevice dev;
    CUresult r = api->cuDeviceGet(&dev, ordinal);
    if (r != CUDA_SUCCESS) {
        snprintf(info->name, sizeof(info->name), "CUDA device %d", ordinal);
        info->role = LADDER_ROLE_EXCLUDED;
        snprintf(info->reason, sizeof(info->reason), "cuDeviceGet: %d %s", (int)r,
                 cuda_error_name(api, r));
        return;
    }
    identify_gpu(api, dev, ordinal, info);
    enum nvenc_probe nvenc = NVENC_ABSENT;
    char why[LADDER_DEVICE_REASON_MAX] = "";
    if (probe_codecs(api, dev, drivers, info, &nvenc, why, sizeof(why)))
        settle_encode(info, nvenc, why, drivers, system_left);
}

int nvidia_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers)
{
    ladder_vendor_status *status = device_inventory_vendor_mut(inventory, LADDER_DEVICE_NVIDIA);
    if (!drivers->nvidia_open) {
        snprintf(status->reason, sizeof(status->reason), "NVIDIA probing disabled");
        return 0;
    }
    ladder_nvidia_api api;
    char why[LADDER_DEVICE_REASON_MAX] = "";
    int err = drivers->nvidia_open(&api, why, sizeof(why));
    if (err == LADDER_ENOMEM)
        return err;
    if (err < 0) {
        snprintf(status->reason, sizeof(status->reason), "%s", why);
        return 0;
    }
    CUresult r = api.cuInit(0);
    int count = 0;
    if (r == CUDA_SUCCESS)
        r = api.cuDeviceGetCount(&count);
    if (r == CUDA_SUCCESS && count == 0)
        r = (CUresult)100; /* CUDA_ERROR_NO_DEVICE; the header names few codes */
    if (r != CUDA_SUCCESS) {
        snprintf(status->reason, sizeof(status->reason), "cuInit: %d %s%s", (int)r,
                 cuda_error_name(&api, r), cuinit_hint(r));
        drivers->nvidia_close(&api);
        return 0;
    }
    err = 0;
    int system_left = GEFORCE_SYSTEM_SESSIONS;
    for (int ordinal = 0; ordinal < count && !err; ordinal++) {
        ladder_device_info info;
        probe_gpu(&api, ordinal, drivers, &system_left, &info);
        err = device_inventory_add(inventory, &info);
    }
    drivers->nvidia_close(&api);
    return err;
}
