/*
 * NVIDIA GPUs: CUDA for identity and memory, NVDEC (cuvidGetDecoderCaps)
 * for decoding, NVENC (an encode session on a CUDA context) for encoding.
 *
 * Every call goes through the ladder_nvidia_api table; every failure is an
 * answer ("0 devices, because ...", "decode-only, because ..."), never an
 * error, so a host with a broken or missing driver still runs on its CPU.
 * Data-centre GPUs (A100, H100, H200) have NVDEC but no NVENC: their encode
 * session is refused, and they come out as decode/scale devices.
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
    case 35: return "CUDA_ERROR_INSUFFICIENT_DRIVER";
    case 46: return "CUDA_ERROR_DEVICES_UNAVAILABLE";
    case 100: return "CUDA_ERROR_NO_DEVICE";
    case 101: return "CUDA_ERROR_INVALID_DEVICE";
    case 304: return "CUDA_ERROR_OPERATING_SYSTEM";
    case 999: return "CUDA_ERROR_UNKNOWN";
    default: return "CUDA error";
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

/* nvidia-smi's spelling: GPU-8-4-4-4-12 lower-case hex. */
static void format_uuid(const CUuuid *uuid, char *out, size_t size)
{
    const unsigned char *b = (const unsigned char *)uuid->bytes;
    snprintf(out, size,
             "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
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
            enc->bframes = encode_cap(nvenc, encoder, guids[g], NV_ENC_CAPS_NUM_MAX_BFRAMES) > 0;
            enc->ten_bit = encode_cap(nvenc, encoder, guids[g],
                                      NV_ENC_CAPS_SUPPORT_10BIT_ENCODE) > 0;
        }
        if (!enc->device)
            snprintf(enc->note, sizeof(enc->note), "NVENC on this GPU cannot encode %s",
                     ladder_video_codec_name((enum ladder_video_codec)c));
    }
}

/*
 * NVENC: open a session on the GPU's context and list its codecs. Returns
 * true when a session opened; otherwise why says what refused it.
 */
static bool probe_nvenc(const ladder_nvidia_api *api, CUcontext ctx,
                        ladder_device_info *info, char *why, size_t why_size)
{
    if (!api->NvEncodeAPICreateInstance) {
        snprintf(why, why_size, "no NVENC (%s)", api->nvenc_missing);
        return false;
    }
    NV_ENCODE_API_FUNCTION_LIST nvenc = { .version = NV_ENCODE_API_FUNCTION_LIST_VER };
    NVENCSTATUS status = api->NvEncodeAPICreateInstance(&nvenc);
    if (status != NV_ENC_SUCCESS) {
        snprintf(why, why_size,
                 "no NVENC (NvEncodeAPICreateInstance: %s; driver older than NVENC API "
                 NVENC_API_TEXT "?)", nvenc_status_name(status));
        return false;
    }
    NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params = {
        .version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER,
        .deviceType = NV_ENC_DEVICE_TYPE_CUDA,
        .device = ctx,
        .apiVersion = NVENCAPI_VERSION,
    };
    void *encoder = NULL;
    status = nvenc.nvEncOpenEncodeSessionEx(&params, &encoder);
    if (status != NV_ENC_SUCCESS) {
        /* The API asks for a destroy even after a failed open. */
        if (encoder)
            nvenc.nvEncDestroyEncoder(encoder);
        const char *hint = "";
        if (status == NV_ENC_ERR_OUT_OF_MEMORY || status == NV_ENC_ERR_LOCK_BUSY)
            hint = "; sessions taken by other processes?";
        else if (status == NV_ENC_ERR_INVALID_VERSION)
            hint = "; driver older than NVENC API " NVENC_API_TEXT "?";
        snprintf(why, why_size, "no NVENC (encode session refused: %s%s)",
                 nvenc_status_name(status), hint);
        return false;
    }
    read_encode_caps(&nvenc, encoder, info);
    nvenc.nvEncDestroyEncoder(encoder);
    return true;
}

static void probe_gpu(const ladder_nvidia_api *api, int ordinal,
                      const ladder_device_drivers *drivers, ladder_device_info *info)
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
    if (api->cuDeviceGetName(info->name, (int)sizeof(info->name), dev) != CUDA_SUCCESS)
        snprintf(info->name, sizeof(info->name), "CUDA device %d", ordinal);
    CUuuid uuid;
    if (api->cuDeviceGetUuid && api->cuDeviceGetUuid(&uuid, dev) == CUDA_SUCCESS)
        format_uuid(&uuid, info->uuid, sizeof(info->uuid));
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

    /* Free memory, NVDEC caps and an NVENC session all need a context;
     * it is this probe's own and is destroyed before the next GPU. */
    CUcontext ctx = NULL;
    r = api->cuCtxCreate(&ctx, 0, dev);
    if (r != CUDA_SUCCESS) {
        info->role = LADDER_ROLE_EXCLUDED;
        snprintf(info->reason, sizeof(info->reason),
                 "cannot create a CUDA context: %d %s (exclusive compute mode in use?)",
                 (int)r, cuda_error_name(api, r));
        return;
    }
    size_t free_bytes = 0, ctx_total = 0;
    if (api->cuMemGetInfo && api->cuMemGetInfo(&free_bytes, &ctx_total) == CUDA_SUCCESS) {
        info->memory_free = (int64_t)free_bytes;
        if (info->memory_total < 0)
            info->memory_total = (int64_t)ctx_total;
    }
    probe_nvdec(api, info, drivers);
    char no_encode[LADDER_DEVICE_REASON_MAX] = "";
    if (!probe_nvenc(api, ctx, info, no_encode, sizeof(no_encode))) {
        for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
            snprintf(info->encode[c].note, sizeof(info->encode[c].note), "%s", no_encode);
    } else {
        snprintf(no_encode, sizeof(no_encode),
                 "NVENC offers no codec this FFmpeg build can drive");
    }
    api->cuCtxDestroy(ctx);

    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (info->encode[c].library_name[0])
            device_codec_resolve(&info->encode[c], (enum ladder_video_codec)c, "encode",
                                 "GPU", drivers->has_encoder);
    /* One NVENC session per GPU by default: consumer drivers cap sessions
     * per system, and one saturates the engine for a ladder's chunks. */
    device_assign_role(info, 1, no_encode);
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
        const char *hint = "";
        if ((int)r == 35)
            hint = ": the NVIDIA kernel driver is older than its libcuda, or not loaded";
        else if ((int)r == 100)
            hint = ": no NVIDIA GPU visible to this process";
        snprintf(status->reason, sizeof(status->reason), "cuInit: %d %s%s", (int)r,
                 cuda_error_name(&api, r), hint);
        drivers->nvidia_close(&api);
        return 0;
    }
    err = 0;
    for (int ordinal = 0; ordinal < count && !err; ordinal++) {
        ladder_device_info info;
        probe_gpu(&api, ordinal, drivers, &info);
        err = device_inventory_add(inventory, &info);
    }
    drivers->nvidia_close(&api);
    return err;
}
