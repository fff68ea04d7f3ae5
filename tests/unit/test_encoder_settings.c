/*
 * Encoder settings (engine/encoder_settings.c) for every encoder, preset,
 * codec and bit depth, on the GPUs users have, without any GPU: the
 * devices are fake inventory entries (Tesla P4, Quadro P400, L4, H100,
 * Arc) that go through ladder_device_select() as a real --devices request
 * does, so the capabilities the settings follow are the ones the engine
 * gets. Also FFmpeg 5.1's NVENC dts rule, reproduced, against ladder's
 * dts remake.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>

#include "encoder_settings.h"
#include "pool/device_select.h"
#include "ladder/device_spec.h"

#define GiB (1024LL * 1024 * 1024)

static const char *const presets[] = { "ultrafast", "superfast", "veryfast", "faster", "fast",
                                       "medium",    "slow",      "slower",   "veryslow", "placebo", NULL };
#define NB_PRESETS ((int)(sizeof(presets) / sizeof(presets[0])))

/* ---- fake GPUs, as pool/ would have probed them ---- */

static ladder_device_info nvidia(const char *name, int major, int minor, int h264_b, int hevc_b, bool av1)
{
    ladder_device_info d;
    memset(&d, 0, sizeof(d));
    d.kind = LADDER_DEVICE_NVIDIA;
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.uuid, sizeof(d.uuid), "GPU-%s", name);
    d.memory_total = d.memory_free = 8 * GiB;
    d.compute_major = major;
    d.compute_minor = minor;
    bool nvenc = h264_b >= 0;
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        d.decode[c].usable = true;
    if (nvenc) {
        d.encode[LADDER_VIDEO_H264] = (ladder_codec_support){ .device = true, .library = true, .usable = true,
                                                              .max_bframes = h264_b, .bframes = h264_b > 0 };
        d.encode[LADDER_VIDEO_HEVC] = (ladder_codec_support){ .device = true, .library = true, .usable = true,
                                                              .max_bframes = hevc_b, .bframes = hevc_b > 0,
                                                              .ten_bit = true };
        d.encode[LADDER_VIDEO_AV1].device = av1;
        d.encode[LADDER_VIDEO_AV1].ten_bit = av1;
        d.encoder_sessions = 1;
        d.role = LADDER_ROLE_ENCODE;
    } else {
        d.role = LADDER_ROLE_DECODE_ONLY;
    }
    return d;
}

/* Pascal (6.1): H.264 with B-frames, HEVC (Main 10 too) without. */
static ladder_device_info tesla_p4(void) { return nvidia("Tesla P4", 6, 1, 4, 0, false); }
static ladder_device_info quadro_p400(void) { return nvidia("Quadro P400", 6, 1, 4, 0, false); }
/* Ada (8.9): B-frames in both, AV1 on the GPU. */
static ladder_device_info l4(void) { return nvidia("NVIDIA L4", 8, 9, 4, 5, true); }
/* Hopper: no NVENC at all. */
static ladder_device_info h100(void) { return nvidia("NVIDIA H100 80GB HBM3", 9, 0, -1, -1, false); }

static ladder_device_info arc(void)
{
    ladder_device_info d;
    memset(&d, 0, sizeof(d));
    d.kind = LADDER_DEVICE_INTEL;
    snprintf(d.name, sizeof(d.name), "Intel Arc A380");
    snprintf(d.bus_id, sizeof(d.bus_id), "0000:03:00.0");
    snprintf(d.render_node, sizeof(d.render_node), "/dev/dri/renderD129");
    for (int c = LADDER_VIDEO_H264; c <= LADDER_VIDEO_HEVC; c++)
        d.encode[c] = (ladder_codec_support){ .device = true, .library = true, .usable = true, .bframes = true,
                                              .ten_bit = c == LADDER_VIDEO_HEVC };
    d.encoder_sessions = 1;
    d.role = LADDER_ROLE_ENCODE;
    return d;
}

/* The spec a "--devices KIND" request gets on a host with only gpu. */
static ladder_device_spec select_one(const char *request, ladder_device_info gpu)
{
    ladder_device_spec req[4], out[LADDER_MAX_DEVICES];
    int nreq = 0, nb = 0;
    char why[320];
    assert_int_equal(ladder_device_spec_parse(request, 1, req, 4, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, &gpu, 1, "", 1, out, LADDER_MAX_DEVICES, &nb, why, sizeof(why)),
                     0);
    assert_int_equal(nb, 1);
    assert_true(out[0].caps_known);
    return out[0];
}

/* A chunk of a 25 fps source in a 1/12800 time base, 2 s GOPs. */
static encoder_target target(const char *encoder, ladder_codec codec, const char *preset, int depth,
                             const ladder_device_spec *gpu)
{
    encoder_target t = {
        .encoder = encoder, .codec = codec, .preset = preset, .bit_depth = depth, .width = 1280,
        .frame_rate = { 25, 1 }, .time_base = { 1, 12800 }, .gop_size = 201,
        .bitrate_bps = 3000000, .maxrate_bps = 4500000, .bufsize_bits = 9000000, .gpu = -1,
    };
    if (gpu) {
        t.gpu = gpu->gpu;
        t.caps_known = gpu->caps_known;
        t.max_bframes = gpu->max_bframes[codec];
        t.ten_bit = gpu->ten_bit[codec];
    }
    return t;
}

static const char *opt(const encoder_settings *s, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(s->options, key, NULL, 0);
    return e ? e->value : NULL;
}

/* Every key ladder sets is an option of the linked encoder (a misspelt
 * one would be ignored silently when the encoder opens). */
static void assert_options_exist(const char *encoder, const encoder_settings *s)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    if (!codec || !codec->priv_class)
        return;                   /* not in this build: nothing to check against */
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(s->options, "", e, AV_DICT_IGNORE_SUFFIX))) {
        const AVClass *cls = codec->priv_class;
        if (!av_opt_find(&cls, e->key, NULL, 0, AV_OPT_SEARCH_FAKE_OBJ))
            fail_msg("%s has no option '%s'", encoder, e->key);
    }
}

static encoder_settings build(const encoder_target *t)
{
    encoder_settings s;
    assert_int_equal(encoder_settings_build(t, &s), 0);
    return s;
}

/* ---- software encoders: what the chunks' shared headers rely on ---- */

static void test_software_encoders(void **state)
{
    (void)state;
    static const struct { const char *encoder; ladder_codec codec; } sw[] = {
        { "libx264", LADDER_CODEC_H264 }, { "libx265", LADDER_CODEC_HEVC },
        { "libsvtav1", LADDER_CODEC_AV1 }, { "libaom-av1", LADDER_CODEC_AV1 },
    };
    for (size_t e = 0; e < sizeof(sw) / sizeof(sw[0]); e++) {
        for (int p = 0; p < NB_PRESETS; p++) {
            for (int depth = 8; depth <= 10; depth += 2) {
                if (depth == 10 && sw[e].codec == LADDER_CODEC_H264)
                    continue;             /* refused by the ladder file */
                encoder_target t = target(sw[e].encoder, sw[e].codec, presets[p], depth, NULL);
                encoder_settings s = build(&t);
                assert_string_equal(s.refused, "");
                assert_options_exist(sw[e].encoder, &s);
                assert_int_equal(s.pix_fmt, depth == 10 ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P);
                assert_int_equal(s.max_b_frames, -1);     /* the encoder's own choice */
                assert_int_equal(s.dts_reorder_depth, 0); /* their dts are right */
                assert_int_equal(s.bit_rate, 3000000);
                assert_int_equal(s.rc_buffer_size, 9000000);
                encoder_settings_free(&s);
            }
        }
    }
    encoder_target t = target("libx264", LADDER_CODEC_H264, "veryfast", 8, NULL);
    encoder_settings s = build(&t);
    assert_string_equal(opt(&s, "x264-params"), "scenecut=0:stitchable=1:open-gop=0:ratetol=0.1");
    assert_string_equal(opt(&s, "profile"), "high");
    encoder_settings_free(&s);
    /* Deterministic at a width that is not a multiple of 128: no mbtree. */
    t.deterministic = true;
    t.width = 320;
    t.crf_rung = true;
    t.crf = 23;
    s = build(&t);
    assert_string_equal(opt(&s, "x264-params"), "scenecut=0:stitchable=1:open-gop=0:mbtree=0");
    assert_string_equal(opt(&s, "crf"), "23");
    assert_int_equal(s.bit_rate, 0);
    encoder_settings_free(&s);

    t = target("libx265", LADDER_CODEC_HEVC, "medium", 10, NULL);
    s = build(&t);
    assert_string_equal(opt(&s, "profile"), "main10");
    assert_non_null(strstr(opt(&s, "x265-params"), "keyint=201:min-keyint=201"));
    encoder_settings_free(&s);

    /* SVT's crf 0 is "unset": a CRF 0 rung gets 1. No profile option. */
    t = target("libsvtav1", LADDER_CODEC_AV1, "medium", 8, NULL);
    t.crf_rung = true;
    t.crf = 0;
    t.maxrate_bps = 0;
    s = build(&t);
    assert_string_equal(opt(&s, "crf"), "1");
    assert_null(opt(&s, "profile"));
    encoder_settings_free(&s);

    /* libaom: one nominal frame in time base units (1/12800 at 25 fps). */
    t = target("libaom-av1", LADDER_CODEC_AV1, "slow", 8, NULL);
    s = build(&t);
    assert_int_equal(s.ticks_per_frame, 512);
    assert_string_equal(opt(&s, "cpu-used"), "2");
    encoder_settings_free(&s);
}

/* ---- NVENC on each GPU generation ---- */

static void check_nvenc(const ladder_device_spec *gpu, ladder_codec codec, const char *encoder)
{
    int device_max = gpu->max_bframes[codec];
    for (int p = 0; p < NB_PRESETS; p++) {
        encoder_target t = target(encoder, codec, presets[p], 8, gpu);
        encoder_settings s = build(&t);
        assert_string_equal(s.refused, "");
        assert_options_exist(encoder, &s);
        /* Always a deliberate count the device has, never the preset's. */
        assert_true(s.max_b_frames >= 0);
        assert_true(s.max_b_frames <= device_max);
        if (presets[p] && (!strcmp(presets[p], "ultrafast") || !strcmp(presets[p], "superfast")))
            assert_int_equal(s.max_b_frames, 0);
        else if (device_max > 0)
            assert_int_equal(s.max_b_frames, 2);
        /* The dts the worker makes follow the same depth; one nominal frame
         * per tick count for the wrapper's own rule. */
        assert_int_equal(s.dts_reorder_depth, s.max_b_frames);
        assert_int_equal(s.ticks_per_frame, 512);
        /* No scene-cut I frames inside a chunk (p6/p7 turn lookahead on). */
        assert_string_equal(opt(&s, "no-scenecut"), "1");
        assert_string_equal(opt(&s, "forced-idr"), "1");
        assert_string_equal(opt(&s, "strict_gop"), "1");
        assert_string_equal(opt(&s, "rc"), "vbr");
        assert_int_equal(s.pix_fmt, AV_PIX_FMT_YUV420P);
        assert_int_equal(s.rc_buffer_size, 9000000);
        encoder_settings_free(&s);
    }
}

static void test_nvenc_generations(void **state)
{
    (void)state;
    ladder_device_spec p4 = select_one("nvidia", tesla_p4());
    ladder_device_spec p400 = select_one("nvidia", quadro_p400());
    ladder_device_spec ada = select_one("nvidia", l4());
    /* Pascal's HEVC has no B-frames; its H.264 has. */
    assert_int_equal(p4.max_bframes[LADDER_CODEC_HEVC], 0);
    assert_int_equal(p4.max_bframes[LADDER_CODEC_H264], 4);
    assert_int_equal(p4.compute_major, 6);
    const ladder_device_spec *gpus[] = { &p4, &p400, &ada };
    for (size_t g = 0; g < sizeof(gpus) / sizeof(gpus[0]); g++) {
        check_nvenc(gpus[g], LADDER_CODEC_H264, "h264_nvenc");
        check_nvenc(gpus[g], LADDER_CODEC_HEVC, "hevc_nvenc");
    }
    encoder_target t = target("hevc_nvenc", LADDER_CODEC_HEVC, "slow", 8, &p400);
    encoder_settings s = build(&t);
    assert_int_equal(s.max_b_frames, 0);
    assert_string_equal(opt(&s, "preset"), "p6");
    encoder_settings_free(&s);
    t = target("hevc_nvenc", LADDER_CODEC_HEVC, "slow", 8, &ada);
    s = build(&t);
    assert_int_equal(s.max_b_frames, 2);
    encoder_settings_free(&s);

    /* A spec made by hand (no inventory): no B-frames, 8-bit only. */
    t = target("h264_nvenc", LADDER_CODEC_H264, "medium", 8, NULL);
    s = build(&t);
    assert_int_equal(s.max_b_frames, 0);
    encoder_settings_free(&s);
    t = target("hevc_nvenc", LADDER_CODEC_HEVC, "medium", 10, NULL);
    s = build(&t);
    assert_string_equal(s.refused, "");       /* unknown: let the pre-flight's real open decide */
    encoder_settings_free(&s);

    /* H100: no NVENC; the request finds no encoder (decode-only). */
    ladder_device_spec req[2], out[LADDER_MAX_DEVICES];
    int nreq = 0, nb = 0;
    char why[320];
    ladder_device_info hopper = h100();
    assert_int_equal(ladder_device_spec_parse("auto", 1, req, 2, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, &hopper, 1, "", 4, out, LADDER_MAX_DEVICES, &nb, why,
                                          sizeof(why)), 0);
    for (int i = 0; i < nb; i++)
        assert_string_not_equal(out[i].kind, "nvidia");
}

static void test_nvenc_ten_bit(void **state)
{
    (void)state;
    ladder_device_spec ada = select_one("nvidia", l4());
    encoder_target t = target("hevc_nvenc", LADDER_CODEC_HEVC, "medium", 10, &ada);
    encoder_settings s = build(&t);
    /* P010: NVENC's list has no yuv420p10, which made every 10-bit open
     * fail with EINVAL. */
    assert_string_equal(s.refused, "");
    assert_int_equal(s.pix_fmt, AV_PIX_FMT_P010);
    assert_string_equal(opt(&s, "profile"), "main10");
    assert_int_equal(encoder_input_pix_fmt("hevc_nvenc", 10), AV_PIX_FMT_P010);
    assert_int_equal(encoder_input_pix_fmt("h264_nvenc", 8), AV_PIX_FMT_YUV420P);
    encoder_settings_free(&s);

    t = target("h264_nvenc", LADDER_CODEC_H264, "medium", 10, &ada);
    s = build(&t);
    assert_non_null(strstr(s.refused, "10-bit H.264"));
    assert_null(s.options);
    encoder_settings_free(&s);

    ada.ten_bit[LADDER_CODEC_HEVC] = false;
    t = target("hevc_nvenc", LADDER_CODEC_HEVC, "medium", 10, &ada);
    s = build(&t);
    assert_non_null(strstr(s.refused, "no 10-bit HEVC"));
    encoder_settings_free(&s);
}

/* ---- constant quality on hardware encoders ---- */

static void test_crf_on_hardware(void **state)
{
    (void)state;
    ladder_device_spec ada = select_one("nvidia", l4());
    encoder_target t = target("h264_nvenc", LADDER_CODEC_H264, "medium", 8, &ada);
    t.crf_rung = true;
    t.crf = 23;
    t.maxrate_bps = 0;
    t.bufsize_bits = 0;
    encoder_settings s = build(&t);
    assert_string_equal(opt(&s, "cq"), "23");
    assert_string_equal(opt(&s, "rc"), "vbr");
    assert_int_equal(s.bit_rate, 0);
    assert_null(opt(&s, "crf"));              /* NVENC has none: it was silently ignored */
    encoder_settings_free(&s);

    /* cq 0 is "automatic" to NVENC (plain VBR at 2 Mb/s). */
    t.crf = 0;
    s = build(&t);
    assert_string_equal(opt(&s, "cq"), "1");
    encoder_settings_free(&s);

    /* Capped: 5.1 drops the VBV in cq mode, so the device is refused. */
    t.crf = 23;
    t.maxrate_bps = 4500000;
    t.bufsize_bits = 9000000;
    s = build(&t);
    assert_non_null(strstr(s.refused, "VBV"));
    encoder_settings_free(&s);

    ladder_device_spec gpu = select_one("intel", arc());
    assert_string_equal(gpu.render_node, "/dev/dri/renderD129");
    assert_string_equal(gpu.kind, "intel");
    /* Quick Sync: ICQ uncapped (global_quality, no bitrate) ... */
    t = target("h264_qsv", LADDER_CODEC_H264, "medium", 8, &gpu);
    t.crf_rung = true;
    t.crf = 0;
    t.maxrate_bps = 0;
    t.bufsize_bits = 0;
    s = build(&t);
    assert_string_equal(s.refused, "");
    assert_int_equal(s.global_quality, 1);
    assert_int_equal(s.bit_rate, 0);
    assert_int_equal(s.rc_max_rate, 0);
    assert_null(opt(&s, "crf"));
    encoder_settings_free(&s);
    /* ... QVBR capped: target under the cap (equal would be CBR), VBV kept. */
    t.crf = 26;
    t.maxrate_bps = 4500000;
    t.bufsize_bits = 9000000;
    s = build(&t);
    assert_int_equal(s.global_quality, 26);
    assert_int_equal(s.rc_max_rate, 4500000);
    assert_true(s.bit_rate > 0 && s.bit_rate < s.rc_max_rate);
    assert_int_equal(s.rc_buffer_size, 9000000);
    encoder_settings_free(&s);
}

static void test_qsv(void **state)
{
    (void)state;
    ladder_device_spec gpu = select_one("intel", arc());
    for (int p = 0; p < NB_PRESETS; p++) {
        for (int c = LADDER_CODEC_H264; c <= LADDER_CODEC_HEVC; c++) {
            const char *encoder = c == LADDER_CODEC_H264 ? "h264_qsv" : "hevc_qsv";
            encoder_target t = target(encoder, (ladder_codec)c, presets[p], 8, &gpu);
            encoder_settings s = build(&t);
            assert_string_equal(s.refused, "");
            assert_options_exist(encoder, &s);
            assert_int_equal(s.pix_fmt, AV_PIX_FMT_NV12);
            assert_string_equal(opt(&s, "forced_idr"), "1");
            assert_string_equal(opt(&s, "idr_interval"), "0");
            assert_true(s.max_b_frames >= 0);     /* h264_qsv's default is 3 */
            assert_int_equal(s.dts_reorder_depth, s.max_b_frames);
            if (c == LADDER_CODEC_H264)
                assert_string_equal(opt(&s, "adaptive_i"), "0");
            assert_non_null(opt(&s, "preset"));
            encoder_settings_free(&s);
        }
    }
    encoder_target t = target("hevc_qsv", LADDER_CODEC_HEVC, "placebo", 10, &gpu);
    encoder_settings s = build(&t);
    assert_int_equal(s.pix_fmt, AV_PIX_FMT_P010);
    assert_string_equal(opt(&s, "preset"), "veryslow");
    assert_string_equal(opt(&s, "profile"), "main10");
    encoder_settings_free(&s);
    t = target("h264_qsv", LADDER_CODEC_H264, "medium", 10, &gpu);
    s = build(&t);
    assert_non_null(strstr(s.refused, "10-bit H.264"));
    encoder_settings_free(&s);
}

/* ---- timestamps ---- */

/* FFmpeg 5.1's nvenc.c: a packet's dts is the pts of the frame sent at
 * the same position (its timestamp queue), less
 * (frameIntervalP - 1) * ticks_per_frame * time_base.num. */
static int64_t nvenc51_dts(int64_t queued_pts, int frame_interval_p, int ticks_per_frame, int tb_num)
{
    int back = frame_interval_p - 1 > 0 ? frame_interval_p - 1 : 0;
    return queued_pts - (int64_t)back * (ticks_per_frame > 1 ? ticks_per_frame : 1) * (tb_num > 1 ? tb_num : 1);
}

/* Decode order of I0 P3 B1 B2 P6 B4 B5 (two B-frames, frameIntervalP 3). */
static const int decode_order[] = { 0, 3, 1, 2, 6, 4, 5 };
#define NB_FRAMES 7

static bool valid(const int64_t *pts, const int64_t *dts, int n)
{
    for (int i = 0; i < n; i++)
        if (dts[i] > pts[i] || (i && dts[i] <= dts[i - 1]))
            return false;
    return true;
}

static void nvenc_packets(const int64_t *shown, int tpf, int64_t *pts, int64_t *dts)
{
    for (int i = 0; i < NB_FRAMES; i++) {
        pts[i] = shown[decode_order[i]];
        dts[i] = nvenc51_dts(shown[i], 3, tpf, 1);
    }
}

static void test_nvenc_dts_rule(void **state)
{
    (void)state;
    int64_t shown[NB_FRAMES], pts[NB_FRAMES], dts[NB_FRAMES], remade[NB_FRAMES];
    for (int i = 0; i < NB_FRAMES; i++)
        shown[i] = 512 * i;       /* 25 fps in 1/12800 */
    /* What ladder gave NVENC before: ticks_per_frame 1 in the source's time
     * base, so the B-frames' dts are two ticks, not two frames, back. */
    nvenc_packets(shown, 1, pts, dts);
    assert_false(valid(pts, dts, NB_FRAMES));
    assert_true(dts[2] > pts[2]);             /* B1: 1022 > 512 */
    /* One nominal frame per tick count: right at a constant rate. */
    int tpf = encoder_ticks_per_frame((AVRational){ 25, 1 }, (AVRational){ 1, 12800 });
    assert_int_equal(tpf, 512);
    nvenc_packets(shown, tpf, pts, dts);
    assert_true(valid(pts, dts, NB_FRAMES));
    /* ladder's remake gives the same dts there. */
    assert_int_equal(encoder_dts_from_pts(pts, NB_FRAMES, 2, 512, remade), 0);
    assert_memory_equal(remade, dts, sizeof(dts));

    /* A held picture (a gap repeated at a slower cadence, or a VFR phone
     * clip): frame 2 lasts four nominal frames. The wrapper's rule breaks
     * even with the right ticks_per_frame; the remake does not. */
    for (int i = 0; i < NB_FRAMES; i++)
        shown[i] = 512 * i + (i >= 3 ? 1536 : 0);
    nvenc_packets(shown, tpf, pts, dts);
    assert_false(valid(pts, dts, NB_FRAMES));
    assert_int_equal(encoder_dts_from_pts(pts, NB_FRAMES, 2, 512, remade), 0);
    assert_true(valid(pts, remade, NB_FRAMES));
    /* The decode-time shift of the first packet is the same in every chunk
     * (two nominal frames), whatever the content. */
    assert_int_equal(pts[0] - remade[0], 1024);
}

static void test_dts_from_pts(void **state)
{
    (void)state;
    /* No reordering: dts = pts. */
    int64_t pts[] = { 100, 200, 300, 400 }, dts[4];
    assert_int_equal(encoder_dts_from_pts(pts, 4, 0, 100, dts), 0);
    assert_memory_equal(pts, dts, sizeof(pts));
    /* Three B-frames with a pyramid, irregular steps. */
    int64_t p[] = { 0, 40, 20, 10, 30, 90, 60, 50, 70 };
    int64_t d[9];
    assert_int_equal(encoder_dts_from_pts(p, 9, 2, 10, d), 0);
    assert_true(valid(p, d, 9));
    assert_int_equal(d[0], -20);
    assert_int_equal(d[2], 0);
    /* Nothing to do for an empty chunk. */
    assert_int_equal(encoder_dts_from_pts(p, 0, 2, 10, d), 0);
}

static void test_unknown_encoder(void **state)
{
    (void)state;
    encoder_target t = target("av1_nvenc", LADDER_CODEC_AV1, "medium", 8, NULL);
    encoder_settings s = build(&t);
    assert_non_null(strstr(s.refused, "av1_nvenc"));
    encoder_settings_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_software_encoders), cmocka_unit_test(test_nvenc_generations),
        cmocka_unit_test(test_nvenc_ten_bit),     cmocka_unit_test(test_crf_on_hardware),
        cmocka_unit_test(test_qsv),               cmocka_unit_test(test_nvenc_dts_rule),
        cmocka_unit_test(test_dts_from_pts),      cmocka_unit_test(test_unknown_encoder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
