/*
 * Device inventory with fake drivers: no NVIDIA driver, cuInit failing (and
 * the hint each code gets), an H100-like GPU (NVDEC, no NVENC: decode-only),
 * an L4-like GPU whose AV1 encoder this FFmpeg lacks, the GPUs our users
 * have (Tesla P4, Quadro P400, L4, GeForce RTX: engines, sessions, B-frames
 * per codec, the GeForce per-system cap), NVENC sessions busy at probe time,
 * MIG instances, two GPUs, NVENC/NVDEC libraries missing, the CPU's slots
 * and software codecs, and an inventory file; oneVPL implementation lists
 * and Intel adapters are test_intel_probe.c's. The fakes also count
 * contexts and sessions: the probe must release each, and never hold two
 * sessions at once.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    bool mig;                  /* a MIG instance: the _v2 call answers mig_uuid */
    unsigned char mig_uuid[16];
    int domain, bus, device;
    int cc_major, cc_minor;
    size_t total, free;
    CUresult ctx_result;       /* what cuCtxCreate answers */
    bool nvdec[LADDER_VIDEO_CODEC_COUNT];
    bool nvdec_10bit[LADDER_VIDEO_CODEC_COUNT];
    int dec_max_w, dec_max_h;
    NVENCSTATUS open_status;   /* what opening an encode session answers */
    bool hand_back_handle;     /* a failed open still returns a handle */
    NVENCSTATUS busy_status;   /* the first busy_opens opens answer this */
    int busy_opens;
    bool nvenc[3];             /* H.264, HEVC, AV1 GUIDs listed */
    int max_bframes[3];        /* NV_ENC_CAPS_NUM_MAX_BFRAMES per GUID */
    int engines;               /* NV_ENC_CAPS_NUM_ENCODER_ENGINES; 0: unknown cap */
    int enc_max_w, enc_max_h, ten_bit;
} fake_gpu;

#define FAKE_GPUS 4

/* State of the fake NVIDIA driver and libavcodec; reset by each test. */
static struct {
    const char *load_error;    /* non-NULL: the loader fails with it */
    CUresult init_result;
    int count;
    fake_gpu gpus[FAKE_GPUS];
    bool no_cuvid, no_nvenc, no_uuid_v2;
    int current;               /* GPU of the current context */
    int contexts_live, sessions_live, sessions_most;
    int opens, closes;
    int session_opens;         /* nvEncOpenEncodeSessionEx calls */
    int sleeps, slept_ms;      /* the probe's pauses between tries */
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

static CUresult CUDAAPI fake_cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice dev)
{
    const fake_gpu *gpu = &fake.gpus[dev];
    memcpy(uuid->bytes, gpu->mig ? gpu->mig_uuid : gpu->uuid, 16);
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

static void session_opened(void)
{
    if (++fake.sessions_live > fake.sessions_most)
        fake.sessions_most = fake.sessions_live;
}

static NVENCSTATUS NVENCAPI fake_open_session(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS *params,
                                             void **encoder)
{
    fake_gpu *gpu = params->device;
    assert_int_equal(params->deviceType, NV_ENC_DEVICE_TYPE_CUDA);
    assert_int_equal(params->apiVersion, NVENCAPI_VERSION);
    fake.session_opens++;
    NVENCSTATUS status = gpu->open_status;
    if (gpu->busy_opens > 0) {
        gpu->busy_opens--;
        status = gpu->busy_status;
    }
    if (status != NV_ENC_SUCCESS) {
        if (gpu->hand_back_handle) {
            *encoder = gpu;
            session_opened();
        }
        return status;
    }
    *encoder = gpu;
    session_opened();
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

/* 0 H.264, 1 HEVC, 2 AV1; -1 a GUID the GPU does not list. */
static int guid_index(const fake_gpu *gpu, GUID guid)
{
    const GUID *all[3] = { &NV_ENC_CODEC_H264_GUID, &NV_ENC_CODEC_HEVC_GUID, &av1_guid };
    for (int i = 0; i < 3; i++)
        if (gpu->nvenc[i] && !memcmp(&guid, all[i], sizeof(GUID)))
            return i;
    return -1;
}

static NVENCSTATUS NVENCAPI fake_caps(void *encoder, GUID guid, NV_ENC_CAPS_PARAM *param, int *value)
{
    const fake_gpu *gpu = encoder;
    int codec = guid_index(gpu, guid);
    if (codec < 0)
        return NV_ENC_ERR_UNSUPPORTED_PARAM;
    switch (param->capsToQuery) {
    case NV_ENC_CAPS_WIDTH_MAX: *value = gpu->enc_max_w; break;
    case NV_ENC_CAPS_HEIGHT_MAX: *value = gpu->enc_max_h; break;
    case NV_ENC_CAPS_NUM_MAX_BFRAMES: *value = gpu->max_bframes[codec]; break;
    case NV_ENC_CAPS_SUPPORT_10BIT_ENCODE: *value = gpu->ten_bit; break;
    case NV_ENC_CAPS_NUM_ENCODER_ENGINES:
        if (!gpu->engines)
            return NV_ENC_ERR_UNSUPPORTED_PARAM;   /* a driver before the cap */
        *value = gpu->engines;
        break;
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

static void fake_sleep(int milliseconds)
{
    fake.sleeps++;
    fake.slept_ms += milliseconds;
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
    if (!fake.no_uuid_v2)
        api->cuDeviceGetUuid_v2 = fake_cuDeviceGetUuid_v2;
    api->sleep_ms = fake_sleep;
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
        .max_bframes = { 4, 4, 4 }, .engines = 2,
        .enc_max_w = 8192, .enc_max_h = 8192, .ten_bit = 1,
    };
}

/*
 * The GPUs our users have. Engine counts are NVIDIA's NVENC support matrix
 * (per chip: GP104 2, GP107 1, AD104 2, AD102 2), assumed here, not read off
 * a real driver: tests/gpu/README.md says what to check on one. Pascal's
 * NVENC has no HEVC B-frames: the driver answers 0 for HEVC.
 */
static fake_gpu pascal(const char *name, unsigned char id, int bus, int engines)
{
    return (fake_gpu){
        .name = name,
        .uuid = { id, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                  0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
        .domain = 0, .bus = bus, .device = 0, .cc_major = 6, .cc_minor = 1,
        .total = (size_t)8 << 30, .free = (size_t)7 << 30,
        .nvdec = { true, true, false, true }, .nvdec_10bit = { false, true, false, true },
        .dec_max_w = 8192, .dec_max_h = 8192,
        .open_status = NV_ENC_SUCCESS, .nvenc = { true, true, false },
        .max_bframes = { 4, 0, 0 }, .engines = engines,
        .enc_max_w = 4096, .enc_max_h = 4096, .ten_bit = 1,
    };
}

static fake_gpu tesla_p4(void)
{
    return pascal("Tesla P4", 0xa4, 0x04, 2);
}

static fake_gpu quadro_p400(void)
{
    return pascal("Quadro P400", 0xa0, 0x05, 1);
}

/* A consumer GPU (AD102, 2 engines): its sessions are capped per system. */
static fake_gpu geforce_rtx(unsigned char id)
{
    fake_gpu gpu = l4();
    gpu.name = "NVIDIA GeForce RTX 4090";
    gpu.uuid[0] = id;
    gpu.bus = 0x60 + id;
    return gpu;
}

static const ladder_device_info *probe_fake(ladder_device_inventory **inv)
{
    ladder_device_drivers drivers = fake_drivers();
    assert_int_equal(ladder_device_inventory_probe_with(inv, &drivers), 0);
    return ladder_device_inventory_device(*inv, 1);
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
    /* No NVENC is an answer, not a shortage: asked once, no waiting. */
    assert_int_equal(fake.session_opens, 1);
    assert_int_equal(fake.sleeps, 0);
    assert_int_equal(d->encoder_engines, 0);
    assert_false(d->sessions_per_system);
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
    assert_int_equal(d->encoder_engines, 2);
    assert_int_equal(d->encoder_sessions, 2);      /* one per engine */
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

/* What each cuInit failure is said to mean (the fakes have no
 * cuGetErrorName: the probe's own names are used). */
static void test_cuinit_hints(void **state)
{
    static const struct { int code; const char *name, *hint; } cases[] = {
        { 34, "CUDA_ERROR_STUB_LIBRARY", "stub libcuda" },
        { 35, "CUDA_ERROR_INSUFFICIENT_DRIVER", "not a CUDA driver API code" },
        { 100, "CUDA_ERROR_NO_DEVICE", "no NVIDIA GPU visible" },
        { 803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", "kernel module are different driver versions" },
        { 804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", "forward-compatibility libcuda (cuda-compat)" },
        { 999, "CUDA_ERROR_UNKNOWN", "nvidia-uvm" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        reset(NULL);
        fake.init_result = (CUresult)cases[i].code;
        fake.count = 1;
        fake.gpus[0] = l4();
        ladder_device_inventory *inv = NULL;
        probe_fake(&inv);
        const char *reason = ladder_device_inventory_vendor(inv, LADDER_DEVICE_NVIDIA)->reason;
        char head[96];
        snprintf(head, sizeof(head), "cuInit: %d %s: ", cases[i].code, cases[i].name);
        if (strncmp(reason, head, strlen(head)) || !strstr(reason, cases[i].hint))
            fail_msg("cuInit %d: reason '%s' lacks '%s' or '%s'", cases[i].code, reason, head,
                     cases[i].hint);
        /* The old hint for 35 blamed the kernel driver: 803's case. */
        if (cases[i].code == 35)
            assert_null(strstr(reason, "kernel driver is older"));
        assert_int_equal(fake.closes, 1);
        ladder_device_inventory_close(inv);
    }
}

/* Sessions follow the NVENC engines; B-frames are read per codec. */
static void test_users_gpus_engines_and_bframes(void **state)
{
    fake.count = 4;
    fake.gpus[0] = tesla_p4();
    fake.gpus[1] = quadro_p400();
    fake.gpus[2] = l4();
    fake.gpus[3] = h100();
    ladder_device_inventory *inv = NULL;
    probe_fake(&inv);
    const ladder_device_info *p4 = ladder_device_inventory_device(inv, 1);
    const ladder_device_info *p400 = ladder_device_inventory_device(inv, 2);
    const ladder_device_info *l4_dev = ladder_device_inventory_device(inv, 3);
    const ladder_device_info *h100_dev = ladder_device_inventory_device(inv, 4);
    assert_string_equal(p4->name, "Tesla P4");
    assert_int_equal(p4->encoder_engines, 2);
    assert_int_equal(p4->encoder_sessions, 2);
    assert_int_equal(p400->encoder_engines, 1);
    assert_int_equal(p400->encoder_sessions, 1);
    assert_int_equal(l4_dev->encoder_engines, 2);
    assert_int_equal(l4_dev->encoder_sessions, 2);
    assert_int_equal(h100_dev->role, LADDER_ROLE_DECODE_ONLY);
    assert_int_equal(h100_dev->encoder_sessions, 0);
    /* None of them is a consumer GPU: no per-system cap. */
    for (int i = 1; i <= 4; i++)
        assert_false(ladder_device_inventory_device(inv, i)->sessions_per_system);
    /* Pascal: H.264 B-frames, none for HEVC; Ada: both (and AV1). */
    for (int i = 1; i <= 2; i++) {
        const ladder_device_info *d = ladder_device_inventory_device(inv, i);
        assert_int_equal(d->encode[LADDER_VIDEO_H264].max_bframes, 4);
        assert_true(d->encode[LADDER_VIDEO_H264].bframes);
        assert_true(d->encode[LADDER_VIDEO_HEVC].usable);
        assert_int_equal(d->encode[LADDER_VIDEO_HEVC].max_bframes, 0);
        assert_false(d->encode[LADDER_VIDEO_HEVC].bframes);
        assert_false(d->encode[LADDER_VIDEO_AV1].device);
    }
    assert_int_equal(l4_dev->encode[LADDER_VIDEO_HEVC].max_bframes, 4);
    assert_int_equal(l4_dev->encode[LADDER_VIDEO_AV1].max_bframes, 4);
    assert_int_equal(fake.sessions_most, 1);
    assert_int_equal(fake.sessions_live, 0);
    assert_int_equal(fake.contexts_live, 0);
    ladder_device_inventory_close(inv);
}

/* A driver too old to know NV_ENC_CAPS_NUM_ENCODER_ENGINES: one session. */
static void test_engines_unknown(void **state)
{
    fake.count = 1;
    fake.gpus[0] = l4();
    fake.gpus[0].engines = 0;
    ladder_device_inventory *inv = NULL;
    const ladder_device_info *d = probe_fake(&inv);
    assert_int_equal(d->role, LADDER_ROLE_ENCODE);
    assert_int_equal(d->encoder_engines, 0);
    assert_int_equal(d->encoder_sessions, 1);
    ladder_device_inventory_close(inv);
}

/*
 * GeForce sessions are capped per system, over all its GeForce GPUs: ladder
 * plans 3 in all (2 + 1 here), a GPU past that gets 1 and says why, and a
 * Quadro beside them is not capped.
 */
static void test_geforce_system_cap(void **state)
{
    fake.count = 4;
    fake.gpus[0] = geforce_rtx(1);
    fake.gpus[1] = quadro_p400();
    fake.gpus[1].engines = 3;      /* not capped, whatever its count */
    fake.gpus[2] = geforce_rtx(2);
    fake.gpus[3] = geforce_rtx(3);
    fake.gpus[3].name = "NVIDIA TITAN RTX";
    ladder_device_inventory *inv = NULL;
    probe_fake(&inv);
    const ladder_device_info *first = ladder_device_inventory_device(inv, 1);
    const ladder_device_info *quadro = ladder_device_inventory_device(inv, 2);
    const ladder_device_info *second = ladder_device_inventory_device(inv, 3);
    const ladder_device_info *titan = ladder_device_inventory_device(inv, 4);
    assert_true(first->sessions_per_system);
    assert_int_equal(first->encoder_engines, 2);
    assert_int_equal(first->encoder_sessions, 2);
    assert_string_equal(first->reason, "");
    assert_false(quadro->sessions_per_system);
    assert_int_equal(quadro->encoder_sessions, 3);
    assert_true(second->sessions_per_system);
    assert_int_equal(second->encoder_sessions, 1);
    assert_string_equal(second->reason, "");
    assert_true(titan->sessions_per_system);
    assert_int_equal(titan->role, LADDER_ROLE_ENCODE);
    assert_int_equal(titan->encoder_sessions, 1);
    assert_non_null(strstr(titan->reason, "share the driver's NVENC session cap"));
    /* The probe itself held one session at a time, and none at the end. */
    assert_int_equal(fake.sessions_most, 1);
    assert_int_equal(fake.sessions_live, 0);
    ladder_device_inventory_close(inv);
}

/* Sessions short for a moment: asked again after a pause, then a normal
 * encode device (its real codec list, nothing marked unverified). */
static void test_busy_then_free(void **state)
{
    fake.count = 1;
    fake.gpus[0] = l4();
    fake.gpus[0].busy_status = NV_ENC_ERR_OUT_OF_MEMORY;
    fake.gpus[0].busy_opens = 2;
    fake.gpus[0].hand_back_handle = true;
    ladder_device_inventory *inv = NULL;
    const ladder_device_info *d = probe_fake(&inv);
    assert_int_equal(fake.session_opens, 3);
    assert_int_equal(fake.sleeps, 2);
    assert_int_equal(d->role, LADDER_ROLE_ENCODE);
    assert_string_equal(d->reason, "");
    assert_int_equal(d->encoder_sessions, 2);
    assert_true(d->encode[LADDER_VIDEO_AV1].device);      /* listed, not assumed */
    assert_int_equal(d->encode[LADDER_VIDEO_H264].max_bframes, 4);
    /* The handles of the refused opens were destroyed before the next try. */
    assert_int_equal(fake.sessions_most, 1);
    assert_int_equal(fake.sessions_live, 0);
    ladder_device_inventory_close(inv);
}

/* Sessions short for the whole probe (10, or a busy lock): the GPU stays an
 * encode device with H.264/HEVC assumed, marked unverified, conservative
 * caps; the pre-flight will judge it with a real encoder. */
static void test_busy_throughout(void **state)
{
    static const NVENCSTATUS busy[] = { NV_ENC_ERR_OUT_OF_MEMORY, NV_ENC_ERR_LOCK_BUSY };
    for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++) {
        reset(NULL);
        fake.count = 1;
        fake.gpus[0] = l4();
        fake.gpus[0].busy_status = busy[i];
        fake.gpus[0].busy_opens = 1000;
        ladder_device_inventory *inv = NULL;
        const ladder_device_info *d = probe_fake(&inv);
        assert_int_equal(fake.session_opens, 4);
        assert_int_equal(fake.sleeps, 3);
        assert_true(fake.slept_ms > 0 && fake.slept_ms <= 1000);
        assert_int_equal(d->role, LADDER_ROLE_ENCODE);
        assert_non_null(strstr(d->reason, "sessions busy at probe time"));
        assert_non_null(strstr(d->reason, i == 0 ? "NV_ENC_ERR_OUT_OF_MEMORY" : "NV_ENC_ERR_LOCK_BUSY"));
        assert_non_null(strstr(d->reason, "not verified"));
        for (int c = LADDER_VIDEO_H264; c <= LADDER_VIDEO_HEVC; c++) {
            assert_true(d->encode[c].usable);
            assert_int_equal(d->encode[c].max_bframes, 0);
            assert_false(d->encode[c].bframes);
            assert_false(d->encode[c].ten_bit);
        }
        assert_false(d->encode[LADDER_VIDEO_AV1].device);
        assert_int_equal(d->encoder_engines, 0);
        assert_int_equal(d->encoder_sessions, 1);
        assert_true(d->decode[LADDER_VIDEO_H264].usable);
        assert_int_equal(fake.sessions_live, 0);
        assert_int_equal(fake.contexts_live, 0);
        ladder_device_inventory_close(inv);
    }
}

/* MIG: two instances of one GPU share its v1 UUID; _v2 tells them apart,
 * spelled as nvidia-smi shows them. A whole GPU keeps its GPU- UUID. */
static void test_mig_uuids(void **state)
{
    fake.count = 3;
    for (int i = 0; i < 2; i++) {
        fake.gpus[i] = h100();
        fake.gpus[i].mig = true;
        memset(fake.gpus[i].mig_uuid, 0x10 + i, 16);
    }
    fake.gpus[2] = l4();
    ladder_device_inventory *inv = NULL;
    probe_fake(&inv);
    const ladder_device_info *a = ladder_device_inventory_device(inv, 1);
    const ladder_device_info *b = ladder_device_inventory_device(inv, 2);
    assert_string_equal(a->uuid, "MIG-10101010-1010-1010-1010-101010101010");
    assert_string_equal(b->uuid, "MIG-11111111-1111-1111-1111-111111111111");
    assert_string_equal(ladder_device_inventory_device(inv, 3)->uuid,
                        "GPU-abcdef01-2345-6789-0a1b-2c3d4e5f6071");
    ladder_device_inventory_close(inv);

    /* A driver without _v2: the instances cannot be told apart. */
    fake.no_uuid_v2 = true;
    probe_fake(&inv);
    assert_string_equal(ladder_device_inventory_device(inv, 1)->uuid,
                        "GPU-5c1f3a01-2233-4455-6677-8899aabbccdd");
    assert_string_equal(ladder_device_inventory_device(inv, 2)->uuid,
                        ladder_device_inventory_device(inv, 1)->uuid);
    ladder_device_inventory_close(inv);
}

/* `ladder devices --json` fields read back; a file from before them reads
 * as 0/false. */
static void test_inventory_file_new_fields(void **state)
{
    static const char *const docs[] = {
        "{\"devices\":[{\"kind\":\"nvidia\",\"name\":\"NVIDIA L4\",\"uuid\":\"GPU-1\","
        "\"encoder_engines\":2,\"sessions_per_system\":true,\"encoder_sessions\":2,"
        "\"role\":\"encode\",\"encode_caps\":{\"h264\":{\"device\":true,\"usable\":true,"
        "\"bframes\":true,\"max_bframes\":4},\"hevc\":{\"device\":true,\"usable\":true,"
        "\"bframes\":false,\"max_bframes\":0}}}]}",
        "{\"devices\":[{\"kind\":\"nvidia\",\"name\":\"NVIDIA L4\",\"uuid\":\"GPU-1\","
        "\"encoder_sessions\":1,\"role\":\"encode\",\"encode_caps\":{\"h264\":"
        "{\"device\":true,\"usable\":true,\"bframes\":true}}}]}",
    };
    for (int i = 0; i < 2; i++) {
        char path[] = "/tmp/ladder-inventory-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, docs[i], strlen(docs[i])), (ssize_t)strlen(docs[i]));
        close(fd);
        ladder_device_inventory *inv = NULL;
        char err[256] = "";
        int ret = ladder_device_inventory_load(&inv, path, err, sizeof(err));
        unlink(path);
        assert_int_equal(ret, 0);
        const ladder_device_info *d = ladder_device_inventory_device(inv, 0);
        assert_int_equal(d->encoder_engines, i == 0 ? 2 : 0);
        assert_true(d->sessions_per_system == (i == 0));
        assert_int_equal(d->encode[LADDER_VIDEO_H264].max_bframes, i == 0 ? 4 : 0);
        assert_true(d->encode[LADDER_VIDEO_H264].bframes);
        assert_int_equal(d->encode[LADDER_VIDEO_HEVC].max_bframes, 0);
        ladder_device_inventory_close(inv);
    }
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

/* oneVPL implementation lists and Intel adapters: test_intel_probe.c. */

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
        cmocka_unit_test_setup(test_cuinit_hints, reset),
        cmocka_unit_test_setup(test_users_gpus_engines_and_bframes, reset),
        cmocka_unit_test_setup(test_engines_unknown, reset),
        cmocka_unit_test_setup(test_geforce_system_cap, reset),
        cmocka_unit_test_setup(test_busy_then_free, reset),
        cmocka_unit_test_setup(test_busy_throughout, reset),
        cmocka_unit_test_setup(test_mig_uuids, reset),
        cmocka_unit_test_setup(test_inventory_file_new_fields, reset),
        cmocka_unit_test_setup(test_cpu_slots_and_codecs, reset),
        cmocka_unit_test(test_real_probe),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
