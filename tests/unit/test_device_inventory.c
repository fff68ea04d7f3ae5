/*
 * Device inventory with fake drivers: no NVIDIA driver, cuInit failing, an
 * H100-like GPU (NVDEC, no NVENC: decode-only), an L4-like GPU whose AV1
 * encoder this FFmpeg lacks, two GPUs, NVENC/NVDEC libraries missing, the
 * CPU's slots and software codecs, and oneVPL implementation lists. The
 * fakes also count contexts and sessions: the probe must release each.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "device_probe.h"
#include "ladder/device_inventory.h"
#include "ladder/error.h"

/* Written out here, not taken from the probe: a wrong GUID there must fail. */
static const GUID av1_guid = {
    0x0a352289, 0x0aa7, 0x4759, { 0x86, 0x2d, 0x5d, 0x15, 0xcd, 0x16, 0xd2, 0x54 }
};

typedef struct fake_gpu {
    const char *name;
    unsigned char uuid[16];
    int domain, bus, device;
    int cc_major, cc_minor;
    size_t total, free;
    CUresult ctx_result;       /* what cuCtxCreate answers */
    bool nvdec[LADDER_VIDEO_CODEC_COUNT];
    bool nvdec_10bit[LADDER_VIDEO_CODEC_COUNT];
    int dec_max_w, dec_max_h;
    NVENCSTATUS open_status;   /* what opening an encode session answers */
    bool hand_back_handle;     /* a failed open still returns a handle */
    bool nvenc[3];             /* H.264, HEVC, AV1 GUIDs listed */
    int enc_max_w, enc_max_h, max_bframes, ten_bit;
} fake_gpu;

/* State of the fake NVIDIA driver and libavcodec; reset by each test. */
static struct {
    const char *load_error;    /* non-NULL: the loader fails with it */
    CUresult init_result;
    int count;
    fake_gpu gpus[2];
    bool no_cuvid, no_nvenc;
    int current;               /* GPU of the current context */
    int contexts_live, sessions_live;
    int opens, closes;
    const char *missing[8];    /* encoder/decoder names libavcodec lacks */
} fake;

static CUresult CUDAAPI fake_cuInit(unsigned int flags)
{
    return fake.init_result;
}

static CUresult CUDAAPI fake_cuDeviceGetCount(int *count)
{
    *count = fake.count;
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuDeviceGet(CUdevice *dev, int ordinal)
{
    if (ordinal < 0 || ordinal >= fake.count)
        return (CUresult)101;
    *dev = ordinal;
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuDeviceGetName(char *name, int len, CUdevice dev)
{
    snprintf(name, (size_t)len, "%s", fake.gpus[dev].name);
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuDeviceGetUuid(CUuuid *uuid, CUdevice dev)
{
    memcpy(uuid->bytes, fake.gpus[dev].uuid, 16);
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuDeviceGetAttribute(int *value, CUdevice_attribute attr, CUdevice dev)
{
    const fake_gpu *gpu = &fake.gpus[dev];
    switch (attr) {
    case CU_DEVICE_ATTRIBUTE_PCI_DOMAIN_ID: *value = gpu->domain; break;
    case CU_DEVICE_ATTRIBUTE_PCI_BUS_ID: *value = gpu->bus; break;
    case CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID: *value = gpu->device; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = gpu->cc_major; break;
    case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = gpu->cc_minor; break;
    default: return (CUresult)1;
    }
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuDeviceTotalMem(size_t *bytes, CUdevice dev)
{
    *bytes = fake.gpus[dev].total;
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuCtxCreate(CUcontext *ctx, unsigned int flags, CUdevice dev)
{
    if (fake.gpus[dev].ctx_result != CUDA_SUCCESS)
        return fake.gpus[dev].ctx_result;
    *ctx = (CUcontext)&fake.gpus[dev];
    fake.current = dev;
    fake.contexts_live++;
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuCtxDestroy(CUcontext ctx)
{
    fake.contexts_live--;
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuMemGetInfo(size_t *free_bytes, size_t *total_bytes)
{
    *free_bytes = fake.gpus[fake.current].free;
    *total_bytes = fake.gpus[fake.current].total;
    return CUDA_SUCCESS;
}

static CUresult CUDAAPI fake_cuvidGetDecoderCaps(CUVIDDECODECAPS *caps)
{
    const fake_gpu *gpu = &fake.gpus[fake.current];
    int c;
    switch (caps->eCodecType) {
    case cudaVideoCodec_H264: c = LADDER_VIDEO_H264; break;
    case cudaVideoCodec_HEVC: c = LADDER_VIDEO_HEVC; break;
    case cudaVideoCodec_AV1: c = LADDER_VIDEO_AV1; break;
    case cudaVideoCodec_VP9: c = LADDER_VIDEO_VP9; break;
    default: caps->bIsSupported = 0; return CUDA_SUCCESS;
    }
    bool ok = caps->nBitDepthMinus8 == 0 ? gpu->nvdec[c] : gpu->nvdec_10bit[c];
    caps->bIsSupported = ok;
    caps->nMaxWidth = ok ? (unsigned)gpu->dec_max_w : 0;
    caps->nMaxHeight = ok ? (unsigned)gpu->dec_max_h : 0;
    return CUDA_SUCCESS;
}

static NVENCSTATUS NVENCAPI fake_open_session(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS *params,
                                             void **encoder)
{
    fake_gpu *gpu = params->device;
    assert_int_equal(params->deviceType, NV_ENC_DEVICE_TYPE_CUDA);
    assert_int_equal(params->apiVersion, NVENCAPI_VERSION);
    if (gpu->open_status != NV_ENC_SUCCESS) {
        if (gpu->hand_back_handle) {
            *encoder = gpu;
            fake.sessions_live++;
        }
        return gpu->open_status;
    }
    *encoder = gpu;
    fake.sessions_live++;
    return NV_ENC_SUCCESS;
}

static NVENCSTATUS NVENCAPI fake_destroy(void *encoder)
{
    fake.sessions_live--;
    return NV_ENC_SUCCESS;
}

static void listed_guids(const fake_gpu *gpu, GUID *out, uint32_t *count)
{
    const GUID *all[3] = { &NV_ENC_CODEC_H264_GUID, &NV_ENC_CODEC_HEVC_GUID, &av1_guid };
    *count = 0;
    for (int i = 0; i < 3; i++)
        if (gpu->nvenc[i]) {
            if (out)
                out[*count] = *all[i];
            (*count)++;
        }
}

static NVENCSTATUS NVENCAPI fake_guid_count(void *encoder, uint32_t *count)
{
    listed_guids(encoder, NULL, count);
    return NV_ENC_SUCCESS;
}

static NVENCSTATUS NVENCAPI fake_guids(void *encoder, GUID *guids, uint32_t size, uint32_t *count)
{
    GUID all[3];
    listed_guids(encoder, all, count);
    assert_true(*count <= size);
    memcpy(guids, all, *count * sizeof(GUID));
    return NV_ENC_SUCCESS;
}

static NVENCSTATUS NVENCAPI fake_caps(void *encoder, GUID guid, NV_ENC_CAPS_PARAM *param, int *value)
{
    const fake_gpu *gpu = encoder;
    switch (param->capsToQuery) {
    case NV_ENC_CAPS_WIDTH_MAX: *value = gpu->enc_max_w; break;
    case NV_ENC_CAPS_HEIGHT_MAX: *value = gpu->enc_max_h; break;
    case NV_ENC_CAPS_NUM_MAX_BFRAMES: *value = gpu->max_bframes; break;
    case NV_ENC_CAPS_SUPPORT_10BIT_ENCODE: *value = gpu->ten_bit; break;
    default: return NV_ENC_ERR_UNSUPPORTED_PARAM;
    }
    return NV_ENC_SUCCESS;
}

static NVENCSTATUS NVENCAPI fake_create_instance(NV_ENCODE_API_FUNCTION_LIST *list)
{
    assert_int_equal(list->version, NV_ENCODE_API_FUNCTION_LIST_VER);
    list->nvEncOpenEncodeSessionEx = fake_open_session;
    list->nvEncDestroyEncoder = fake_destroy;
    list->nvEncGetEncodeGUIDCount = fake_guid_count;
    list->nvEncGetEncodeGUIDs = fake_guids;
    list->nvEncGetEncodeCaps = fake_caps;
    return NV_ENC_SUCCESS;
}

static int fake_nvidia_open(ladder_nvidia_api *api, char *why, size_t why_size)
{
    memset(api, 0, sizeof(*api));
    if (fake.load_error) {
        snprintf(why, why_size, "%s", fake.load_error);
        return LADDER_ECODEC;
    }
    fake.opens++;
    api->cuInit = fake_cuInit;
    api->cuDeviceGetCount = fake_cuDeviceGetCount;
    api->cuDeviceGet = fake_cuDeviceGet;
    api->cuDeviceGetName = fake_cuDeviceGetName;
    api->cuDeviceGetAttribute = fake_cuDeviceGetAttribute;
    api->cuCtxCreate = fake_cuCtxCreate;
    api->cuCtxDestroy = fake_cuCtxDestroy;
    api->cuDeviceGetUuid = fake_cuDeviceGetUuid;
    api->cuDeviceTotalMem = fake_cuDeviceTotalMem;
    api->cuMemGetInfo = fake_cuMemGetInfo;
    if (fake.no_cuvid)
        snprintf(api->cuvid_missing, sizeof(api->cuvid_missing), "libnvcuvid.so.1 not found");
    else
        api->cuvidGetDecoderCaps = fake_cuvidGetDecoderCaps;
    if (fake.no_nvenc)
        snprintf(api->nvenc_missing, sizeof(api->nvenc_missing), "libnvidia-encode.so.1 not found");
    else
        api->NvEncodeAPICreateInstance = fake_create_instance;
    return 0;
}

static void fake_nvidia_close(ladder_nvidia_api *api)
{
    fake.closes++;
}

static bool fake_has(const char *name)
{
    for (int i = 0; i < 8 && fake.missing[i]; i++)
        if (!strcmp(fake.missing[i], name))
            return false;
    return true;
}

static int no_intel(ladder_vpl_api *api, char *why, size_t why_size)
{
    snprintf(why, why_size, "libvpl.so.2 not found");
    return LADDER_ECODEC;
}

static void no_intel_close(ladder_vpl_api *api)
{
    fail_msg("close after a failed open");
}

static ladder_device_drivers fake_drivers(void)
{
    return (ladder_device_drivers){
        .nvidia_open = fake_nvidia_open, .nvidia_close = fake_nvidia_close,
        .intel_open = no_intel, .intel_close = no_intel_close,
        .has_encoder = fake_has, .has_decoder = fake_has,
    };
}

static int reset(void **state)
{
    memset(&fake, 0, sizeof(fake));
    return 0;
}

/* An H100-like GPU: NVDEC for all four codecs, NVENC session refused. */
static fake_gpu h100(void)
{
    return (fake_gpu){
        .name = "NVIDIA H100 80GB HBM3",
        .uuid = { 0x5c, 0x1f, 0x3a, 0x01, 0x22, 0x33, 0x44, 0x55,
                  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd },
        .domain = 0, .bus = 0x17, .device = 0, .cc_major = 9, .cc_minor = 0,
        .total = (size_t)80 << 30, .free = (size_t)79 << 30,
        .nvdec = { true, true, true, true }, .nvdec_10bit = { false, true, true, true },
        .dec_max_w = 8192, .dec_max_h = 8192,
        .open_status = NV_ENC_ERR_UNSUPPORTED_DEVICE, .hand_back_handle = true,
    };
}

/* An L4-like GPU: NVENC with H.264, HEVC and AV1, NVDEC too. */
static fake_gpu l4(void)
{
    return (fake_gpu){
        .name = "NVIDIA L4",
        .uuid = { 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89,
                  0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71 },
        .domain = 0, .bus = 0x3b, .device = 0, .cc_major = 8, .cc_minor = 9,
        .total = (size_t)24 << 30, .free = (size_t)23 << 30,
        .nvdec = { true, true, true, true }, .nvdec_10bit = { false, true, true, true },
        .dec_max_w = 8192, .dec_max_h = 8192,
        .open_status = NV_ENC_SUCCESS, .nvenc = { true, true, true },
        .enc_max_w = 8192, .enc_max_h = 8192, .max_bframes = 4, .ten_bit = 1,
    };
}

static const ladder_device_info *only_nvidia(const ladder_device_inventory *inv)
{
    for (int i = 0; i < ladder_device_inventory_count(inv); i++) {
        const ladder_device_info *d = ladder_device_inventory_device(inv, i);
        if (d->kind == LADDER_DEVICE_NVIDIA)
            return d;
    }
    fail_msg("no NVIDIA device in the inventory");
    return NULL;
}

static void test_no_nvidia_driver(void **state)
{
    fake.load_error = "libcuda.so.1 not found";
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_vendor_status *nv = ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA);
    assert_int_equal(nv->devices, 0);
    assert_string_equal(nv->reason, "libcuda.so.1 not found");
    assert_int_equal(ladder_device_inventory_count(inv), 1); /* the CPU */
    assert_int_equal(ladder_device_inventory_device(inv, 0)->kind, LADDER_DEVICE_CPU);
    const ladder_vendor_status *intel = ladder_device_inventory_vendor(inv, LADDER_DEVICE_INTEL);
    assert_int_equal(intel->devices, 0);
    assert_string_equal(intel->reason, "libvpl.so.2 not found");
    assert_int_equal(fake.closes, 0);
    ladder_device_inventory_close(inv);
}

static void test_cuinit_insufficient_driver(void **state)
{
    fake.init_result = (CUresult)35;
    fake.count = 1;
    fake.gpus[0] = l4();
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_vendor_status *nv = ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA);
    assert_int_equal(nv->devices, 0);
    assert_non_null(strstr(nv->reason, "cuInit: 35 CUDA_ERROR_INSUFFICIENT_DRIVER"));
    assert_int_equal(ladder_device_inventory_count(inv), 1);
    assert_int_equal(fake.opens, 1);
    assert_int_equal(fake.closes, 1); /* libraries released on the failure path */
    ladder_device_inventory_close(inv);
}

static void test_cuinit_no_device(void **state)
{
    fake.init_result = (CUresult)100;
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_vendor_status *nv = ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA);
    assert_int_equal(nv->devices, 0);
    assert_non_null(strstr(nv->reason, "100 CUDA_ERROR_NO_DEVICE"));
    assert_int_equal(fake.closes, 1);
    ladder_device_inventory_close(inv);
}

static void test_h100_is_decode_only(void **state)
{
    fake.count = 1;
    fake.gpus[0] = h100();
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    assert_int_equal(ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA)->devices, 1);
    const ladder_device_info *d = only_nvidia(inv);
    assert_int_equal(d->index, 1);
    assert_string_equal(d->name, "NVIDIA H100 80GB HBM3");
    assert_string_equal(d->uuid, "GPU-5c1f3a01-2233-4455-6677-8899aabbccdd");
    assert_string_equal(d->bus_id, "00000000:17:00.0");
    assert_int_equal(d->compute_major, 9);
    assert_int_equal(d->compute_minor, 0);
    assert_true(d->memory_total == (int64_t)80 << 30);
    assert_true(d->memory_free == (int64_t)79 << 30);

    assert_int_equal(d->role, LADDER_ROLE_DECODE_ONLY);
    assert_int_equal(d->encoder_sessions, 0);
    assert_int_equal(d->health, LADDER_HEALTH_IDLE);
    assert_non_null(strstr(d->reason, "no NVENC"));
    assert_non_null(strstr(d->reason, "NV_ENC_ERR_UNSUPPORTED_DEVICE"));
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        assert_false(d->encode[c].usable);
        assert_true(d->decode[c].usable);
        assert_int_equal(d->decode[c].max_width, 8192);
    }
    assert_string_equal(d->decode[LADDER_VIDEO_HEVC].library_name, "hevc_cuvid");
    assert_false(d->decode[LADDER_VIDEO_H264].ten_bit);
    assert_true(d->decode[LADDER_VIDEO_HEVC].ten_bit);
    /* The context and the half-opened session were released. */
    assert_int_equal(fake.contexts_live, 0);
    assert_int_equal(fake.sessions_live, 0);
    assert_int_equal(fake.closes, 1);
    ladder_device_inventory_close(inv);
}

static void test_l4_av1_needs_av1_nvenc(void **state)
{
    fake.count = 1;
    fake.gpus[0] = l4();
    fake.missing[0] = "av1_nvenc"; /* Debian's FFmpeg 5.1 */
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_device_info *d = only_nvidia(inv);
    assert_int_equal(d->role, LADDER_ROLE_ENCODE);
    assert_int_equal(d->encoder_sessions, 1);
    assert_string_equal(d->reason, "");
    const ladder_codec_support *h264 = &d->encode[LADDER_VIDEO_H264];
    assert_true(h264->usable);
    assert_int_equal(h264->max_width, 8192);
    assert_int_equal(h264->max_height, 8192);
    assert_true(h264->bframes);
    assert_true(h264->ten_bit);
    assert_true(d->encode[LADDER_VIDEO_HEVC].usable);
    const ladder_codec_support *av1 = &d->encode[LADDER_VIDEO_AV1];
    assert_true(av1->device);
    assert_false(av1->library);
    assert_false(av1->usable);
    assert_string_equal(av1->note, "AV1 encode: GPU can, but this FFmpeg build has no av1_nvenc");
    assert_false(d->encode[LADDER_VIDEO_VP9].device);
    assert_int_equal(fake.sessions_live, 0);
    assert_int_equal(fake.contexts_live, 0);
    ladder_device_inventory_close(inv);
}

static void test_nvenc_without_av1_guid(void **state)
{
    fake.count = 1;
    fake.gpus[0] = l4();
    fake.gpus[0].nvenc[2] = false; /* a Turing/Ampere GPU: no AV1 encoder */
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_device_info *d = only_nvidia(inv);
    assert_true(d->encode[LADDER_VIDEO_H264].usable);
    assert_false(d->encode[LADDER_VIDEO_AV1].device);
    assert_string_equal(d->encode[LADDER_VIDEO_AV1].note, "NVENC on this GPU cannot encode av1");
    ladder_device_inventory_close(inv);
}

static void test_two_gpus(void **state)
{
    fake.count = 2;
    fake.gpus[0] = l4();
    fake.gpus[1] = h100();
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    assert_int_equal(ladder_device_inventory_count(inv), 3);
    assert_int_equal(ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA)->devices, 2);
    const ladder_device_info *a = ladder_device_inventory_device(inv, 1);
    const ladder_device_info *b = ladder_device_inventory_device(inv, 2);
    assert_int_equal(a->vendor_index, 0);
    assert_int_equal(b->vendor_index, 1);
    assert_string_equal(a->uuid, "GPU-abcdef01-2345-6789-0a1b-2c3d4e5f6071");
    assert_string_equal(b->uuid, "GPU-5c1f3a01-2233-4455-6677-8899aabbccdd");
    assert_string_not_equal(a->bus_id, b->bus_id);
    /* Each GPU's own context answered for it. */
    assert_true(a->memory_free == (int64_t)23 << 30);
    assert_true(b->memory_free == (int64_t)79 << 30);
    assert_int_equal(a->role, LADDER_ROLE_ENCODE);
    assert_int_equal(b->role, LADDER_ROLE_DECODE_ONLY);
    assert_null(ladder_device_inventory_device(inv, 3));
    assert_int_equal(fake.contexts_live, 0);
    ladder_device_inventory_close(inv);
}

static void test_codec_libraries_missing(void **state)
{
    fake.count = 1;
    fake.gpus[0] = l4();
    fake.no_cuvid = true;
    fake.no_nvenc = true;
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_device_info *d = only_nvidia(inv);
    assert_int_equal(d->role, LADDER_ROLE_EXCLUDED);
    assert_int_equal(d->encoder_sessions, 0);
    assert_non_null(strstr(d->reason, "libnvidia-encode.so.1 not found"));
    assert_non_null(strstr(d->decode[LADDER_VIDEO_H264].note, "libnvcuvid.so.1 not found"));
    /* Identity still comes from CUDA. */
    assert_string_equal(d->name, "NVIDIA L4");
    assert_int_equal(fake.contexts_live, 0);
    ladder_device_inventory_close(inv);
}

/* A GPU in exclusive-process mode that another process holds. */
static void test_context_refused(void **state)
{
    fake.count = 2;
    fake.gpus[0] = l4();
    fake.gpus[0].ctx_result = (CUresult)46; /* CUDA_ERROR_DEVICES_UNAVAILABLE */
    fake.gpus[1] = l4();
    fake.gpus[1].uuid[0] = 0x01;
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_device_info *busy = ladder_device_inventory_device(inv, 1);
    assert_int_equal(busy->role, LADDER_ROLE_EXCLUDED);
    assert_int_equal(busy->encoder_sessions, 0);
    assert_non_null(strstr(busy->reason, "46 CUDA_ERROR_DEVICES_UNAVAILABLE"));
    assert_string_equal(busy->uuid, "GPU-abcdef01-2345-6789-0a1b-2c3d4e5f6071");
    assert_true(busy->memory_free < 0);
    /* The next GPU is probed as usual. */
    assert_int_equal(ladder_device_inventory_device(inv, 2)->role, LADDER_ROLE_ENCODE);
    assert_int_equal(fake.contexts_live, 0);
    ladder_device_inventory_close(inv);
}

static void test_cpu_slots_and_codecs(void **state)
{
    fake.load_error = "libcuda.so.1 not found";
    fake.missing[0] = "libx265";
    ladder_device_drivers drivers = fake_drivers();
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_device_info *cpu = ladder_device_inventory_device(inv, 0);
    cpu_set_t set;
    assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
    assert_int_equal(cpu->kind, LADDER_DEVICE_CPU);
    assert_int_equal(cpu->cores, CPU_COUNT(&set));
    assert_int_equal(cpu->encoder_sessions, cpu->cores);
    assert_int_equal(cpu->role, LADDER_ROLE_ENCODE);
    assert_true(cpu->memory_total > 0);
    assert_true(cpu->memory_free > 0 && cpu->memory_free <= cpu->memory_total);
    assert_true(cpu->simd[0] != '\0');
    assert_true(cpu->encode[LADDER_VIDEO_H264].usable);
    assert_string_equal(cpu->encode[LADDER_VIDEO_H264].library_name, "libx264");
    assert_false(cpu->encode[LADDER_VIDEO_HEVC].usable);
    assert_string_equal(cpu->encode[LADDER_VIDEO_HEVC].note, "this FFmpeg build has no libx265");
    assert_true(cpu->encode[LADDER_VIDEO_AV1].usable);
    assert_false(cpu->encode[LADDER_VIDEO_VP9].device);
    assert_true(cpu->decode[LADDER_VIDEO_VP9].usable);
    ladder_device_inventory_close(inv);
}

/* The real drivers on whatever host runs the test: it must never fail for
 * want of a GPU, and the CPU is always there. */
static void test_real_probe(void **state)
{
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe(&inv), 0);
    assert_true(ladder_device_inventory_count(inv) >= 1);
    assert_int_equal(ladder_device_inventory_device(inv, 0)->kind, LADDER_DEVICE_CPU);
    for (int k = LADDER_DEVICE_NVIDIA; k < LADDER_DEVICE_KIND_COUNT; k++) {
        const ladder_vendor_status *v = ladder_device_inventory_vendor(inv, (enum ladder_device_kind)k);
        /* No device means a reason. */
        assert_true(v->devices > 0 || v->reason[0] != '\0');
    }
    ladder_device_inventory_close(inv);
}

static void test_names(void **state)
{
    assert_string_equal(ladder_device_kind_name(LADDER_DEVICE_NVIDIA), "nvidia");
    assert_string_equal(ladder_video_codec_name(LADDER_VIDEO_HEVC), "hevc");
    assert_string_equal(ladder_device_role_name(LADDER_ROLE_DECODE_ONLY), "decode-only");
    assert_string_equal(ladder_device_health_name(LADDER_HEALTH_IDLE), "idle");
}

#ifdef LADDER_HAVE_VPL
/* A fake dispatcher: a software implementation, a hardware one, and the
 * same adapter again through a second runtime. */
static struct {
    mfxImplDescription impls[3];
    int nb_impls;
    int enumerated, released, loads, unloads;
} vpl;

static mfxLoader fake_MFXLoad(void)
{
    vpl.loads++;
    return (mfxLoader)&vpl;
}

static void fake_MFXUnload(mfxLoader loader)
{
    vpl.unloads++;
}

static mfxStatus fake_MFXEnumImplementations(mfxLoader loader, mfxU32 i,
                                             mfxImplCapsDeliveryFormat format, mfxHDL *idesc)
{
    assert_int_equal(format, MFX_IMPLCAPS_IMPLDESCSTRUCTURE);
    if ((int)i >= vpl.nb_impls)
        return MFX_ERR_NOT_FOUND;
    vpl.enumerated++;
    *idesc = &vpl.impls[i];
    return MFX_ERR_NONE;
}

static mfxStatus fake_MFXDispReleaseImplDescription(mfxLoader loader, mfxHDL hdl)
{
    vpl.released++;
    return MFX_ERR_NONE;
}

static int fake_intel_open(ladder_vpl_api *api, char *why, size_t why_size)
{
    api->MFXLoad = fake_MFXLoad;
    api->MFXUnload = fake_MFXUnload;
    api->MFXEnumImplementations = fake_MFXEnumImplementations;
    api->MFXDispReleaseImplDescription = fake_MFXDispReleaseImplDescription;
    return 0;
}

static void fake_intel_close(ladder_vpl_api *api)
{
}

static mfxU32 nv12_p010[] = { MFX_FOURCC_NV12, MFX_FOURCC_P010 };
static mfxU32 nv12_only[] = { MFX_FOURCC_NV12 };
static struct encmemdesc enc_mem[2] = {
    { .Width = { 64, 4096, 16 }, .Height = { 64, 4096, 16 }, .NumColorFormats = 1, .ColorFormats = nv12_only },
    { .Width = { 64, 8192, 16 }, .Height = { 64, 8192, 16 }, .NumColorFormats = 2, .ColorFormats = nv12_p010 },
};
static struct encprofile enc_h264_profiles[1] = { { .NumMemTypes = 1, .MemDesc = &enc_mem[0] } };
static struct encprofile enc_10bit_profiles[1] = { { .NumMemTypes = 1, .MemDesc = &enc_mem[1] } };
static struct encoder encoders[3] = {
    { .CodecID = MFX_CODEC_AVC, .BiDirectionalPrediction = 1, .NumProfiles = 1, .Profiles = enc_h264_profiles },
    { .CodecID = MFX_CODEC_HEVC, .BiDirectionalPrediction = 1, .NumProfiles = 1, .Profiles = enc_10bit_profiles },
    { .CodecID = MFX_CODEC_AV1, .NumProfiles = 1, .Profiles = enc_10bit_profiles },
};
static struct decmemdesc dec_mem[1] = {
    { .Width = { 16, 16384, 16 }, .Height = { 16, 16384, 16 }, .NumColorFormats = 2, .ColorFormats = nv12_p010 },
};
static struct decprofile dec_profiles[1] = { { .NumMemTypes = 1, .MemDesc = dec_mem } };
static struct decoder decoders[3] = {
    { .CodecID = MFX_CODEC_AVC, .NumProfiles = 1, .Profiles = dec_profiles },
    { .CodecID = MFX_CODEC_HEVC, .NumProfiles = 1, .Profiles = dec_profiles },
    { .CodecID = MFX_CODEC_VP9, .NumProfiles = 1, .Profiles = dec_profiles },
};

static void test_vpl_implementations(void **state)
{
    memset(&vpl, 0, sizeof(vpl));
    vpl.nb_impls = 3;
    vpl.impls[0].Impl = MFX_IMPL_TYPE_SOFTWARE;
    snprintf(vpl.impls[0].ImplName, sizeof(vpl.impls[0].ImplName), "software");
    for (int i = 1; i < 3; i++) {
        mfxImplDescription *d = &vpl.impls[i];
        d->Impl = MFX_IMPL_TYPE_HARDWARE;
        snprintf(d->ImplName, sizeof(d->ImplName), i == 1 ? "mfx-gen" : "msdk");
        snprintf(d->Dev.DeviceID, sizeof(d->Dev.DeviceID), "56a0/0");
        d->Enc.NumCodecs = 3;
        d->Enc.Codecs = encoders;
        d->Dec.NumCodecs = 3;
        d->Dec.Codecs = decoders;
    }
    fake.load_error = "libcuda.so.1 not found";
    fake.missing[0] = "av1_qsv"; /* FFmpeg 5.1 has the decoder only */
    ladder_device_drivers drivers = fake_drivers();
    drivers.intel_open = fake_intel_open;
    drivers.intel_close = fake_intel_close;
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_vendor_status *intel = ladder_device_inventory_vendor(inv, LADDER_DEVICE_INTEL);
    assert_int_equal(intel->devices, 1); /* not the software one, not the duplicate */
    assert_string_equal(intel->reason, "");
    const ladder_device_info *d = ladder_device_inventory_device(inv, 1);
    assert_int_equal(d->kind, LADDER_DEVICE_INTEL);
    assert_string_equal(d->name, "Intel GPU 56a0/0 (mfx-gen)");
    assert_int_equal(d->role, LADDER_ROLE_ENCODE);
    assert_int_equal(d->encoder_sessions, 1);
    assert_true(d->encode[LADDER_VIDEO_H264].usable);
    assert_true(d->encode[LADDER_VIDEO_H264].bframes);
    assert_false(d->encode[LADDER_VIDEO_H264].ten_bit);
    assert_int_equal(d->encode[LADDER_VIDEO_H264].max_width, 4096);
    assert_true(d->encode[LADDER_VIDEO_HEVC].usable);
    assert_true(d->encode[LADDER_VIDEO_HEVC].ten_bit);
    assert_int_equal(d->encode[LADDER_VIDEO_HEVC].max_height, 8192);
    assert_true(d->encode[LADDER_VIDEO_AV1].device);
    assert_false(d->encode[LADDER_VIDEO_AV1].usable);
    assert_string_equal(d->encode[LADDER_VIDEO_AV1].note,
                        "AV1 encode: GPU can, but this FFmpeg build has no av1_qsv");
    assert_true(d->decode[LADDER_VIDEO_VP9].usable);
    assert_false(d->decode[LADDER_VIDEO_AV1].device);
    assert_int_equal(d->decode[LADDER_VIDEO_HEVC].max_width, 16384);
    /* Every description handed out was handed back; the loader unloaded. */
    assert_int_equal(vpl.released, vpl.enumerated);
    assert_int_equal(vpl.enumerated, 3);
    assert_int_equal(vpl.loads, 1);
    assert_int_equal(vpl.unloads, 1);
    ladder_device_inventory_close(inv);
}

static void test_vpl_no_implementation(void **state)
{
    memset(&vpl, 0, sizeof(vpl));
    fake.load_error = "libcuda.so.1 not found";
    ladder_device_drivers drivers = fake_drivers();
    drivers.intel_open = fake_intel_open;
    drivers.intel_close = fake_intel_close;
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    const ladder_vendor_status *intel = ladder_device_inventory_vendor(inv, LADDER_DEVICE_INTEL);
    assert_int_equal(intel->devices, 0);
    assert_non_null(strstr(intel->reason, "no oneVPL hardware implementation"));
    assert_int_equal(vpl.unloads, 1);
    ladder_device_inventory_close(inv);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_nvidia_driver, reset),
        cmocka_unit_test_setup(test_cuinit_insufficient_driver, reset),
        cmocka_unit_test_setup(test_cuinit_no_device, reset),
        cmocka_unit_test_setup(test_h100_is_decode_only, reset),
        cmocka_unit_test_setup(test_l4_av1_needs_av1_nvenc, reset),
        cmocka_unit_test_setup(test_nvenc_without_av1_guid, reset),
        cmocka_unit_test_setup(test_two_gpus, reset),
        cmocka_unit_test_setup(test_codec_libraries_missing, reset),
        cmocka_unit_test_setup(test_context_refused, reset),
        cmocka_unit_test_setup(test_cpu_slots_and_codecs, reset),
        cmocka_unit_test(test_real_probe),
        cmocka_unit_test(test_names),
#ifdef LADDER_HAVE_VPL
        cmocka_unit_test_setup(test_vpl_implementations, reset),
        cmocka_unit_test_setup(test_vpl_no_implementation, reset),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
