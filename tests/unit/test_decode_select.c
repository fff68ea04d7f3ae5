/* --decode-device requests against a host's GPUs and a source: parsing,
 * NVDEC and Quick Sync capability matching (codec, depth, chroma, size),
 * pinning, auto's order (NVIDIA, Intel, CPU), and the errors naming what
 * is missing. The host is a fake inventory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pool/decode_select.h"
#include "ladder/error.h"

#define GIB ((int64_t)1 << 30)

/* An NVDEC GPU: H.264 8-bit, HEVC/AV1 up to 10-bit, 8192x8192 (4096x4096 H.264). */
static ladder_device_info nvdec_gpu(int index, const char *name, const char *uuid)
{
    ladder_device_info d = { .kind = LADDER_DEVICE_NVIDIA, .vendor_index = index, .memory_total = 80 * GIB,
                             .memory_free = 70 * GIB, .role = LADDER_ROLE_DECODE_ONLY };
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        d.decode[c].usable = d.decode[c].device = d.decode[c].library = true;
        d.decode[c].max_width = d.decode[c].max_height = c == LADDER_VIDEO_H264 ? 4096 : 8192;
        d.decode[c].ten_bit = c != LADDER_VIDEO_H264;
    }
    return d;
}

static ladder_device_info host[3];
static char why[320];
static ladder_decode_device out;

static int setup(void **state)
{
    (void)state;
    host[0] = (ladder_device_info){ .kind = LADDER_DEVICE_CPU, .cores = 16 };
    host[1] = nvdec_gpu(0, "NVIDIA H100", "GPU-aaaaaaaa-0000-0000-0000-000000000000");
    host[2] = nvdec_gpu(1, "NVIDIA L4", "GPU-bbbbbbbb-0000-0000-0000-000000000000");
    /* The L4 has no AV1 decode library in this pretend build. */
    host[2].decode[LADDER_VIDEO_AV1].usable = false;
    snprintf(host[2].decode[LADDER_VIDEO_AV1].note, sizeof(host[2].decode[0].note),
             "this FFmpeg build has no av1_cuvid");
    memset(&out, 0xff, sizeof(out));
    return 0;
}

static const ladder_decode_source h264_1080p = { "h264", 1920, 1080, 8, true };

static int select_text(const char *text, const ladder_decode_source *src, int nb_host)
{
    ladder_decode_request r;
    assert_int_equal(ladder_decode_request_parse(text, &r, why, sizeof(why)), 0);
    why[0] = '\0';
    return ladder_decode_select(&r, host, nb_host, nb_host > 1 ? "" : "libcuda.so.1 not found", src, &out, why,
                                sizeof(why));
}

static void test_parse(void **state)
{
    (void)state;
    ladder_decode_request r;
    assert_int_equal(ladder_decode_request_parse("cpu", &r, why, sizeof(why)), 0);
    assert_int_equal(r.kind, LADDER_DECODE_REQUEST_CPU);
    assert_false(ladder_decode_request_needs_host(&r));
    assert_int_equal(ladder_decode_request_parse("gpu", &r, why, sizeof(why)), 0);
    assert_int_equal(r.kind, LADDER_DECODE_REQUEST_GPU);
    assert_int_equal(r.gpu, -1);
    assert_true(ladder_decode_request_needs_host(&r));
    assert_int_equal(ladder_decode_request_parse("gpu:1", &r, why, sizeof(why)), 0);
    assert_int_equal(r.gpu, 1);
    assert_int_equal(ladder_decode_request_parse("gpu:uuid=GPU-bb", &r, why, sizeof(why)), 0);
    assert_string_equal(r.uuid, "GPU-bb");
    assert_int_equal(ladder_decode_request_parse("auto", &r, why, sizeof(why)), 0);
    assert_int_equal(r.kind, LADDER_DECODE_REQUEST_AUTO);
    assert_true(ladder_decode_request_needs_host(&r));
    assert_int_equal(ladder_decode_request_parse("fault:fail-after=12", &r, why, sizeof(why)), 0);
    assert_int_equal(r.kind, LADDER_DECODE_REQUEST_FAULT);
    assert_int_equal(r.fail_after, 12);
    assert_false(ladder_decode_request_needs_host(&r));
    const char *bad[] = { "", "gpus", "gpu:", "gpu:x", "gpu:-1", "gpu:uuid=", "fault", "fault:fail-after=",
                          "fault:fail-after=-3", "CPU", "auto:1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(ladder_decode_request_parse(bad[i], &r, why, sizeof(why)), LADDER_ECONFIG);
        assert_non_null(strstr(why, "--decode-device"));
    }
    assert_int_equal(ladder_decode_request_parse(NULL, &r, why, sizeof(why)), LADDER_ECONFIG);
}

static void test_gpu_picks_first_capable(void **state)
{
    (void)state;
    assert_int_equal(select_text("gpu", &h264_1080p, 3), 0);
    assert_int_equal(out.kind, LADDER_DECODE_NVDEC);
    assert_int_equal(out.gpu, 0);
    assert_string_equal(out.name, "nvidia0");
    assert_string_equal(out.requested, "gpu");
    assert_non_null(strstr(out.reason, "NVIDIA H100"));
    assert_non_null(strstr(out.reason, "GPU-aaaaaaaa"));
    /* Pinned by index and by UUID. */
    assert_int_equal(select_text("gpu:1", &h264_1080p, 3), 0);
    assert_int_equal(out.gpu, 1);
    assert_string_equal(out.name, "nvidia1");
    assert_int_equal(select_text("gpu:uuid=GPU-bbbbbbbb-0000-0000-0000-000000000000", &h264_1080p, 3), 0);
    assert_int_equal(out.gpu, 1);
    assert_int_equal(select_text("gpu:7", &h264_1080p, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no GPU 7"));
    assert_int_equal(select_text("gpu:uuid=GPU-cc", &h264_1080p, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no GPU has UUID GPU-cc"));
}

static void test_capabilities(void **state)
{
    (void)state;
    /* AV1: the H100 can, the L4 (no library) cannot; pinned to the L4 the
     * reason is the library's note. */
    const ladder_decode_source av1 = { "av1", 3840, 2160, 10, true };
    assert_int_equal(select_text("gpu", &av1, 3), 0);
    assert_int_equal(out.gpu, 0);
    assert_int_equal(select_text("gpu:1", &av1, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no av1_cuvid"));
    /* 10-bit H.264 (High 10): NVDEC has no such decoder. */
    const ladder_decode_source h264_10 = { "h264", 1920, 1080, 10, true };
    assert_int_equal(select_text("gpu", &h264_10, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "10-bit h264"));
    /* 12-bit HEVC is past what the inventory asks NVDEC about. */
    const ladder_decode_source hevc_12 = { "hevc", 1920, 1080, 12, true };
    assert_int_equal(select_text("gpu", &hevc_12, 3), LADDER_ENODEVICE);
    /* 4:2:2 stays on the CPU. */
    const ladder_decode_source h264_422 = { "h264", 1920, 1080, 8, false };
    assert_int_equal(select_text("gpu", &h264_422, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "4:2:0"));
    /* Over the decoder's maximum size. */
    const ladder_decode_source h264_8k = { "h264", 8192, 4320, 8, true };
    assert_int_equal(select_text("gpu", &h264_8k, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "over NVDEC's 4096x4096"));
    /* A codec the inventory does not track. */
    const ladder_decode_source mpeg2 = { "mpeg2video", 720, 576, 8, true };
    assert_int_equal(select_text("gpu", &mpeg2, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "mpeg2video"));
}

static void test_auto_and_no_gpu(void **state)
{
    (void)state;
    assert_int_equal(select_text("auto", &h264_1080p, 3), 0);
    assert_int_equal(out.kind, LADDER_DECODE_NVDEC);
    /* auto never fails: the CPU, with the reason. */
    const ladder_decode_source h264_422 = { "h264", 1920, 1080, 8, false };
    assert_int_equal(select_text("auto", &h264_422, 3), 0);
    assert_int_equal(out.kind, LADDER_DECODE_CPU);
    assert_string_equal(out.name, "cpu");
    assert_string_equal(out.requested, "auto");
    assert_non_null(strstr(out.reason, "4:2:0"));
    /* A host without GPUs: auto is the CPU, gpu an error saying why. */
    assert_int_equal(select_text("auto", &h264_1080p, 1), 0);
    assert_int_equal(out.kind, LADDER_DECODE_CPU);
    assert_string_equal(out.reason, "no NVIDIA GPU (libcuda.so.1 not found); no Intel GPU");
    assert_int_equal(select_text("gpu", &h264_1080p, 1), LADDER_ENODEVICE);
    assert_string_equal(why, "--decode-device gpu: no NVIDIA GPU (libcuda.so.1 not found)");
    /* cpu and the drill never look at the host. */
    assert_int_equal(select_text("cpu", &h264_1080p, 0), 0);
    assert_int_equal(out.kind, LADDER_DECODE_CPU);
    assert_int_equal(select_text("fault:fail-after=5", &h264_1080p, 0), 0);
    assert_int_equal(out.kind, LADDER_DECODE_FAULT);
    assert_int_equal(out.fail_after, 5);
    assert_string_equal(out.name, "fault");
}

/* An Intel GPU whose oneVPL runtime decodes H.264 and HEVC (8/10-bit). */
static ladder_device_info qsv_gpu(int index, const char *name)
{
    ladder_device_info d = { .kind = LADDER_DEVICE_INTEL, .vendor_index = index, .memory_total = -1,
                             .memory_free = -1, .role = LADDER_ROLE_ENCODE };
    snprintf(d.name, sizeof(d.name), "%s", name);
    d.decode[LADDER_VIDEO_H264] = (ladder_codec_support){ .device = true, .library = true, .usable = true };
    d.decode[LADDER_VIDEO_HEVC] = (ladder_codec_support){ .device = true, .library = true, .usable = true,
                                                          .ten_bit = true };
    snprintf(d.decode[LADDER_VIDEO_AV1].note, sizeof(d.decode[0].note), "this GPU's oneVPL runtime cannot decode av1");
    return d;
}

static void test_intel(void **state)
{
    (void)state;
    ladder_decode_request r;
    assert_int_equal(ladder_decode_request_parse("intel", &r, why, sizeof(why)), 0);
    assert_int_equal(r.kind, LADDER_DECODE_REQUEST_INTEL);
    assert_int_equal(r.gpu, -1);
    assert_true(ladder_decode_request_needs_host(&r));
    assert_int_equal(ladder_decode_request_parse("intel:1", &r, why, sizeof(why)), 0);
    assert_int_equal(r.gpu, 1);
    assert_int_equal(ladder_decode_request_parse("intel:x", &r, why, sizeof(why)), LADDER_ECONFIG);
    assert_non_null(strstr(why, "adapter index"));

    ladder_device_info box[4] = { { .kind = LADDER_DEVICE_CPU, .cores = 8 }, qsv_gpu(0, "Intel Arc A380"),
                                  qsv_gpu(1, "Intel Arc A770") };
    const ladder_decode_source h264 = { "h264", 1920, 1080, 8, true };
    const ladder_decode_source av1 = { "av1", 1920, 1080, 8, true };
    const ladder_decode_source h264_10 = { "h264", 1920, 1080, 10, true };
#define SELECT(text, src, n) \
    (ladder_decode_request_parse(text, &r, why, sizeof(why)) ? -1 \
     : ladder_decode_select(&r, box, n, "libcuda.so.1 not found", src, &out, why, sizeof(why)))
    assert_int_equal(SELECT("intel", &h264, 3), 0);
    assert_int_equal(out.kind, LADDER_DECODE_QSV);
    assert_int_equal(out.gpu, 0);
    assert_string_equal(out.name, "intel0");
    assert_non_null(strstr(out.reason, "Intel Arc A380 decodes h264 1920x1080 8-bit (QSV, adapter 0)"));
    assert_int_equal(SELECT("intel:1", &h264, 3), 0);
    assert_string_equal(out.name, "intel1");
    assert_int_equal(SELECT("intel:5", &h264, 3), LADDER_ENODEVICE);
    assert_string_equal(why, "--decode-device intel:5: no Intel GPU 5");
    /* What the runtime cannot do is named. */
    assert_int_equal(SELECT("intel", &av1, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "cannot decode av1"));
    assert_int_equal(SELECT("intel", &h264_10, 3), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "QSV cannot decode 10-bit h264"));
    assert_int_equal(SELECT("intel", &h264, 1), LADDER_ENODEVICE);
    assert_string_equal(why, "--decode-device intel: no Intel GPU");
    /* auto: no NVIDIA GPU here, so Quick Sync, saying why not NVIDIA. */
    assert_int_equal(SELECT("auto", &h264, 3), 0);
    assert_int_equal(out.kind, LADDER_DECODE_QSV);
    assert_non_null(strstr(out.reason, "(QSV, adapter 0); no NVIDIA GPU (libcuda.so.1 not found)"));
    /* auto with an NVDEC GPU too: NVIDIA first. */
    box[3] = nvdec_gpu(0, "NVIDIA L4", "GPU-cccccccc-0000-0000-0000-000000000000");
    assert_int_equal(SELECT("auto", &h264, 4), 0);
    assert_int_equal(out.kind, LADDER_DECODE_NVDEC);
    /* Neither decodes it: the CPU, with both reasons. */
    const ladder_decode_source h264_422 = { "h264", 1920, 1080, 8, false };
    assert_int_equal(SELECT("auto", &h264_422, 4), 0);
    assert_int_equal(out.kind, LADDER_DECODE_CPU);
    assert_non_null(strstr(out.reason, "NVDEC is used for 4:2:0 sources only"));
    assert_non_null(strstr(out.reason, "QSV is used for 4:2:0 sources only"));
#undef SELECT
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test_setup(test_gpu_picks_first_capable, setup),
        cmocka_unit_test_setup(test_capabilities, setup),
        cmocka_unit_test_setup(test_auto_and_no_gpu, setup),
        cmocka_unit_test(test_intel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
