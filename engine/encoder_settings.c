/*
 * Encoder settings as a pure function (see encoder_settings.h): for each
 * encoder library ladder drives, the codec-private options and context
 * fields that make separately encoded chunks share one decoder
 * configuration, with the rung's rate and the device's capabilities.
 *
 * Every claim about an FFmpeg wrapper below was read in FFmpeg 5.1.9's
 * source (Debian 12's libavcodec59); the line of reasoning is kept next to
 * each encoder so that a later FFmpeg can be checked against it.
 */
#include "encoder_settings.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/mathematics.h>

#include "ladder/error.h"
#include "ladder/ladder_config.h"

/* Why a settings builder can fail: only the dictionary's allocations. */
typedef struct settings_ctx {
    const encoder_target *t;
    encoder_settings *out;
    int err;
} settings_ctx;

static void set(settings_ctx *c, const char *key, const char *value)
{
    if (!c->err && av_dict_set(&c->out->options, key, value, 0) < 0)
        c->err = LADDER_ENOMEM;
}

static void set_int(settings_ctx *c, const char *key, int64_t value)
{
    char text[32];
    snprintf(text, sizeof(text), "%" PRId64, value);
    set(c, key, text);
}

static void set_double(settings_ctx *c, const char *key, double value)
{
    char text[32];
    snprintf(text, sizeof(text), "%.4f", value);
    set(c, key, text);
}

static void refuse(settings_ctx *c, const char *why)
{
    snprintf(c->out->refused, sizeof(c->out->refused), "%s", why);
}

int encoder_ticks_per_frame(AVRational frame_rate, AVRational time_base)
{
    if (frame_rate.num <= 0 || frame_rate.den <= 0 || time_base.num <= 0 || time_base.den <= 0)
        return 1;
    int64_t ticks = av_rescale_q(1, av_inv_q(frame_rate), time_base);
    return ticks > 0 && ticks < INT_MAX ? (int)ticks : 1;
}

/* The rate every software encoder reads the same way: crf for a CRF rung
 * or a rate-loop chunk, else the chunk's bitrate; the rung's VBV. */
static void software_rate(settings_ctx *c, bool integer_crf)
{
    const encoder_target *t = c->t;
    if (t->crf_rung) {
        /* SVT-AV1's wrapper reads crf 0 as "unset" (its default mode). */
        set_int(c, "crf", integer_crf && t->crf < 1 ? 1 : t->crf);
    } else if (t->chunk_uses_crf) {
        set_double(c, "crf", t->chunk_crf);
    } else {
        c->out->bit_rate = t->bitrate_bps;
    }
    if (t->maxrate_bps > 0) {
        c->out->rc_max_rate = t->maxrate_bps;
        c->out->rc_buffer_size = t->bufsize_bits;
    }
}

/* Index of name in an x264-ordered speed table, -1 when not listed. */
static int x264_speed(const char *preset)
{
    static const char *const names[] = { "ultrafast", "superfast", "veryfast", "faster", "fast",
                                         "medium",    "slow",      "slower",   "veryslow", "placebo" };
    for (int i = 0; preset && i < (int)(sizeof(names) / sizeof(names[0])); i++)
        if (!strcmp(names[i], preset))
            return i;
    return -1;
}

/*
 * x264:
 * scenecut=0: IDRs only where we cut chunks (aligned renditions).
 * stitchable=1: x264 keeps headers independent of the content, which is
 * what makes separately encoded chunks share one avcC.
 * ratetol (ABR chunks only): x264's one-pass ABR starts every encoder
 * at a fixed initial quantiser and, at the default tolerance of 1.0,
 * takes far longer than a 2 s chunk to walk away from it: a fresh 360p
 * encoder asked for 800k made 668k. At 0.1 it converges within the
 * chunk (781k). Only a rung's first chunks are ABR; see rate_control.c.
 * mbtree=0 for deterministic jobs at widths that are not a multiple of
 * 128: Debian's libx264 0.164 reads memory it never wrote in its SIMD
 * macroblock-tree propagation there, so one encode of the same pictures
 * differs from another (measured with the ffmpeg CLI alone: three
 * MALLOC_PERTURB_ values, three streams at 320x180; docs/ARCHITECTURE.md
 * "Determinism"). None of these change the parameter sets.
 */
static void x264_settings(settings_ctx *c)
{
    const encoder_target *t = c->t;
    char params[160];
    snprintf(params, sizeof(params), "scenecut=0:stitchable=1:open-gop=0%s%s",
             !t->crf_rung && !t->chunk_uses_crf ? ":ratetol=0.1" : "",
             t->deterministic && t->width % 128 ? ":mbtree=0" : "");
    if (t->preset)
        set(c, "preset", t->preset);
    set(c, "x264-params", params);
    software_rate(c, false);
}

/*
 * x265 (libx265 3.5 through FFmpeg 5.1's wrapper):
 * pools=none, frame-threads=1, wpp=0, lookahead-slices=0: one thread per
 *   encoder, like x264 (parallelism comes from chunks); WPP without worker
 *   threads would only spend bits on entry points.
 * keyint = min-keyint = the rung's fixed GOP length (the same rule as
 *   x264: the headers must not depend on the chunk), scenecut=0 and
 *   open-gop=0: the chunk's first frame is its only IRAP, an IDR
 *   (forced-idr turns the I type we ask for into an IDR; x265 codes POC 0
 *   as IDR_N_LP, an IDR without leading pictures).
 * repeat-headers=0 with AV_CODEC_FLAG_GLOBAL_HEADER: VPS/SPS/PPS only in
 *   extradata, so the hvcC of the init segment is the only copy.
 * info=0: no SEI with the encoder's option string (it names the bitrate or
 *   crf, which changes from chunk to chunk under rate control).
 * log-level=error: x265 writes to stderr itself; a warning per chunk
 *   (no thread pool) would drown ladder's own lines.
 * Measured with this set on 2 s 360p chunks: extradata byte-identical
 * between ABR and CRF (with the same VBV), so rate_control.c can switch.
 */
static void x265_settings(settings_ctx *c)
{
    const encoder_target *t = c->t;
    char params[256];
    snprintf(params, sizeof(params),
             "pools=none:frame-threads=1:wpp=0:lookahead-slices=0:scenecut=0:open-gop=0:"
             "keyint=%d:min-keyint=%d:repeat-headers=0:info=0:log-level=error",
             t->gop_size, t->gop_size);
    if (t->preset)
        set(c, "preset", t->preset);
    set_int(c, "forced-idr", 1);
    set(c, "x265-params", params);
    software_rate(c, false);
}

/*
 * SVT-AV1 (1.4.1 through FFmpeg 5.1's libsvtav1 wrapper):
 * lp=1: one logical processor per encoder, like x264/x265 (parallelism
 *   comes from chunks; the wrapper ignores thread_count). SVT still starts
 *   its own threads, but they take turns on one core's worth of work.
 * scd=0: no scene-change key frames; the chunk's first frame is its only
 *   key frame.
 * irefresh-type=2: closed GOP, key frames (not forward key frames, the
 *   open-GOP kind), so each segment starts with a random access point.
 * The GOP length is the wrapper's gop_size (intra period gop_size - 1),
 *   fixed per rung as for the other codecs.
 * The preset is the x264 name mapped to SVT's numbers
 *   (ladder_config_svt_preset(), shared with ladder bench); a name SVT
 *   does not know leaves the option unset (the CLI validated it already).
 * Rate: bit_rate makes the wrapper pick VBR; crf is an integer option in
 *   1..63 there (0 means "unset" to the wrapper, so a CRF 0 rung gets 1).
 */
static void svtav1_settings(settings_ctx *c)
{
    const char *preset = c->t->preset ? ladder_config_svt_preset(c->t->preset) : NULL;
    if (preset)
        set(c, "preset", preset);
    set(c, "svtav1-params", "lp=1:scd=0:irefresh-type=2");
    software_rate(c, true);
}

/*
 * libaom (3.6 through FFmpeg 5.1's libaom-av1 wrapper), the second AV1
 * encoder: usage=good with cpu-used from the preset (good quality mode
 * takes 0..6, 6 the fastest; x264's fast names all map to 6); row-mt=0,
 * one tile: one core per encoder, like the others.
 * ticks_per_frame: FFmpeg 5.1's wrapper tells libaom each frame lasts
 * ticks_per_frame units of the time base. ladder's time base is the
 * source's (1/15360 say), so with the default of 1 libaom believed in
 * 15360 frames per second and gave each frame a sliver of the bit budget
 * (300k asked, 43 kb/s made). One nominal frame in time base units fixes
 * its rate control; nothing else in the wrapper reads the field.
 */
static void aom_settings(settings_ctx *c)
{
    static const int cpu_used[] = { 6, 6, 6, 5, 4, 3, 2, 1, 0, 0 };
    int speed = x264_speed(c->t->preset);
    set(c, "usage", "good");
    set_int(c, "cpu-used", speed >= 0 ? cpu_used[speed] : 6);
    set_int(c, "row-mt", 0);
    set(c, "tiles", "1x1");
    c->out->ticks_per_frame = encoder_ticks_per_frame(c->t->frame_rate, c->t->time_base);
    software_rate(c, true);
}

/*
 * B-frames on a GPU encoder: a deliberate number, never the preset's.
 * FFmpeg 5.1's NVENC and Quick Sync wrappers let the driver's preset pick
 * them when max_b_frames is -1 (NVENC p3..p7 and every x264 name from
 * veryfast up enable them), and NVENC refuses to open when asked for more
 * than NV_ENC_CAPS_NUM_MAX_BFRAMES. Two where the device has them (the
 * common choice of both vendors' own presets), none for ultrafast and
 * superfast (speed first) and none where the inventory does not say.
 */
static int gpu_bframes(const encoder_target *t)
{
    int speed = x264_speed(t->preset);
    if (!t->caps_known || t->max_bframes <= 0 || (speed >= 0 && speed < 2))
        return 0;
    return t->max_bframes < 2 ? t->max_bframes : 2;
}

/* NVENC's preset from the x264 name: p1 (fastest) .. p7. */
static const char *nvenc_preset(const char *x264)
{
    static const char *const p[] = { "p1", "p2", "p3", "p4", "p4", "p5", "p6", "p7", "p7", "p7" };
    int speed = x264_speed(x264);
    return speed >= 0 ? p[speed] : "p4";
}

/*
 * NVENC's rate. A bitrate chunk is VBR with the rung's VBV.
 * A CRF rung is NVENC's constant quality: rc vbr with cq and no bitrate
 * (cq 0 would mean "automatic" to the driver, plain VBR at the wrapper's
 * 2 Mb/s, so crf 0 becomes cq 1). FFmpeg 5.1's wrapper throws the VBV
 * buffer away in that mode (nvenc_setup_rate_control: with cq set it
 * zeroes vbvBufferSize and keeps only maxBitRate), so a capped CRF rung
 * cannot keep its bufsize on NVENC: refused, the pre-flight says why.
 */
static void nvenc_rate(settings_ctx *c)
{
    const encoder_target *t = c->t;
    set(c, "rc", "vbr");
    if (t->crf_rung) {
        if (t->maxrate_bps > 0) {
            refuse(c, "a capped CRF rung on NVENC: FFmpeg 5.1's constant-quality mode drops the VBV buffer");
            return;
        }
        set_int(c, "cq", t->crf < 1 ? 1 : t->crf);
        c->out->bit_rate = 0;
        return;
    }
    c->out->bit_rate = t->bitrate_bps;
    if (t->maxrate_bps > 0) {
        c->out->rc_max_rate = t->maxrate_bps;
        c->out->rc_buffer_size = t->bufsize_bits;
    }
}

/*
 * NVENC (h264_nvenc, hevc_nvenc through FFmpeg 5.1's wrapper, loaded at
 * run time through nv-codec-headers):
 * preset p1..p7 from the x264 name; tune hq.
 * forced-idr, strict_gop: the chunk's first frame, which ladder asks to
 *   be an I frame, is an IDR, and no other frame is (a fixed gop_size).
 * no-scenecut=1: p6/p7 turn the driver's lookahead on, and with lookahead
 *   the wrapper's disableIadapt follows no-scenecut (default 0): scene-cut
 *   I frames would appear inside chunks.
 * max_b_frames from the device (gpu_bframes()); Pascal's HEVC has none.
 * ticks_per_frame: 5.1 writes dts = pts - (frameIntervalP - 1) *
 *   ticks_per_frame * time_base.num, so in the source's time base with the
 *   default 1 a B-frame's dts came out two ticks (not two frames) before
 *   the reordered pts: dts > pts, the muxer refused the packet. One
 *   nominal frame makes that right for a constant rate; and because held
 *   pictures and VFR sources do not step by one nominal frame, the worker
 *   remakes the dts from the pts anyway (dts_reorder_depth).
 * 10-bit: NVENC takes P010 (its list has no yuv420p10), HEVC Main 10 only;
 *   H.264 has no 10-bit profile on NVENC.
 */
static void nvenc_settings(settings_ctx *c)
{
    const encoder_target *t = c->t;
    encoder_settings *out = c->out;
    if (t->bit_depth > 8) {
        if (t->codec != LADDER_CODEC_HEVC) {
            refuse(c, "NVENC has no 10-bit H.264");
            return;
        }
        if (t->caps_known && !t->ten_bit) {
            refuse(c, "this GPU's NVENC has no 10-bit HEVC");
            return;
        }
        out->profile = "main10";
    }
    set(c, "preset", nvenc_preset(t->preset));
    set(c, "tune", "hq");
    set_int(c, "forced-idr", 1);
    set_int(c, "strict_gop", 1);
    set_int(c, "no-scenecut", 1);
    if (t->gpu >= 0)
        set_int(c, "gpu", t->gpu);
    out->max_b_frames = gpu_bframes(t);
    out->dts_reorder_depth = out->max_b_frames;
    out->ticks_per_frame = encoder_ticks_per_frame(t->frame_rate, t->time_base);
    nvenc_rate(c);
}

/*
 * Quick Sync's rate (FFmpeg 5.1's select_rc_mode(), Linux build: no AVBR).
 * A bitrate chunk is VBR (maxrate above the bitrate) with the rung's VBV.
 * A CRF rung: QSV has no crf or cq option; its constant quality is
 * global_quality. Uncapped that is ICQ (ICQQuality 1..51, so crf 0 is 1).
 * Capped it is QVBR (quality with TargetKbps/MaxKbps/BufferSizeInKB):
 * the wrapper picks CBR when bit_rate equals maxrate, so the target sits
 * one kb/s under the cap; the VBV stays the rung's.
 */
static void qsv_rate(settings_ctx *c)
{
    const encoder_target *t = c->t;
    encoder_settings *out = c->out;
    if (t->crf_rung) {
        out->global_quality = t->crf < 1 ? 1 : t->crf;
        if (t->maxrate_bps > 0) {
            out->rc_max_rate = t->maxrate_bps;
            out->rc_buffer_size = t->bufsize_bits;
            out->bit_rate = t->maxrate_bps > 1000 ? t->maxrate_bps - 1000 : t->maxrate_bps / 2;
        }
        return;
    }
    out->bit_rate = t->bitrate_bps;
    if (t->maxrate_bps > 0) {
        out->rc_max_rate = t->maxrate_bps;
        out->rc_buffer_size = t->bufsize_bits;
    }
}

/*
 * Intel Quick Sync (h264_qsv, hevc_qsv through FFmpeg 5.1's wrapper):
 * NV12/P010 system frames go in (the worker converts the rung's planar
 * pictures). preset veryfast..veryslow from the x264 name (QSV has seven,
 * named like x264's; ultrafast/superfast are veryfast, placebo veryslow).
 * forced_idr, idr_interval 0 and a fixed gop_size: the chunk's first frame
 * is an IDR and no other is. No scene-change I frames: look_ahead off and
 * adaptive_i 0 (h264_qsv only has those; hevc_qsv inserts none without
 * lookahead), adaptive_b 0 so the B-frame pattern, and with it the dts
 * shift, is the one asked for. async_depth 1: one frame in flight, chunks
 * give the parallelism. B-frames: gpu_bframes() (h264_qsv's default is 3,
 * hevc_qsv's the runtime's). 10-bit: HEVC Main 10 only.
 */
static void qsv_settings(settings_ctx *c)
{
    const encoder_target *t = c->t;
    encoder_settings *out = c->out;
    static const char *const p[] = { "veryfast", "veryfast", "veryfast", "faster",  "fast",
                                     "medium",   "slow",     "slower",   "veryslow", "veryslow" };
    if (t->bit_depth > 8 && t->codec != LADDER_CODEC_HEVC) {
        refuse(c, "Quick Sync has no 10-bit H.264");
        return;
    }
    if (t->bit_depth > 8)
        out->profile = "main10";
    int speed = x264_speed(t->preset);
    set(c, "preset", speed >= 0 ? p[speed] : "veryfast");
    set_int(c, "forced_idr", 1);
    set_int(c, "idr_interval", 0);
    if (t->codec == LADDER_CODEC_H264) {
        set_int(c, "look_ahead", 0);
        set_int(c, "adaptive_i", 0);
        set_int(c, "adaptive_b", 0);
    }
    set_int(c, "async_depth", 1);
    out->max_b_frames = gpu_bframes(t);
    out->dts_reorder_depth = out->max_b_frames;
    qsv_rate(c);
}

typedef struct settings_builder {
    const char *encoder;
    void (*build)(settings_ctx *c);
    const char *default_profile;
} settings_builder;

static const settings_builder builders[] = {
    { "libx264", x264_settings, "high" },
    { "libx265", x265_settings, "main" },
    /* Neither AV1 wrapper has a profile option: Main (which covers 10-bit)
     * is what both make. */
    { "libsvtav1", svtav1_settings, NULL },
    { "libaom-av1", aom_settings, NULL },
    { "h264_nvenc", nvenc_settings, "high" },
    { "hevc_nvenc", nvenc_settings, "main" },
    { "h264_qsv", qsv_settings, "high" },
    { "hevc_qsv", qsv_settings, "main" },
};

enum AVPixelFormat encoder_input_pix_fmt(const char *encoder, int bit_depth)
{
    bool ten = bit_depth > 8;
    /* Quick Sync takes NV12/P010 only; NVENC takes planar 8-bit but no
     * planar 10-bit (yuv420p10 is not in its list: avcodec_open2 failed
     * with EINVAL, so no 10-bit rung could ever run there). */
    if (encoder && strstr(encoder, "_qsv"))
        return ten ? AV_PIX_FMT_P010 : AV_PIX_FMT_NV12;
    if (encoder && strstr(encoder, "_nvenc") && ten)
        return AV_PIX_FMT_P010;
    return ten ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P;
}

/* The input format of the rung; 10-bit HEVC is Main 10 whoever encodes
 * it (AV1's Main covers 10-bit). A builder may change both. */
static void common_settings(const encoder_target *t, const settings_builder *b, encoder_settings *out)
{
    out->pix_fmt = encoder_input_pix_fmt(t->encoder, t->bit_depth);
    if (!b->default_profile)
        return;
    out->profile = t->profile && t->profile[0] ? t->profile : b->default_profile;
    if (t->bit_depth == 10 && t->codec == LADDER_CODEC_HEVC)
        out->profile = "main10";
}

int encoder_settings_build(const encoder_target *t, encoder_settings *out)
{
    memset(out, 0, sizeof(*out));
    out->max_b_frames = -1;
    const settings_builder *b = NULL;
    for (size_t i = 0; t->encoder && i < sizeof(builders) / sizeof(builders[0]); i++)
        if (!strcmp(builders[i].encoder, t->encoder))
            b = &builders[i];
    if (!b) {
        snprintf(out->refused, sizeof(out->refused), "ladder has no settings for encoder '%s'",
                 t->encoder ? t->encoder : "");
        return 0;
    }
    common_settings(t, b, out);
    settings_ctx c = { .t = t, .out = out };
    b->build(&c);
    if (!c.err && !out->refused[0] && out->profile)
        set(&c, "profile", out->profile);
    if (c.err || out->refused[0])
        av_dict_free(&out->options);
    return c.err;
}

void encoder_settings_free(encoder_settings *s)
{
    av_dict_free(&s->options);
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int encoder_dts_from_pts(const int64_t *pts, int n, int depth, int64_t step, int64_t *dts)
{
    if (n <= 0)
        return 0;
    int64_t *sorted = malloc((size_t)n * sizeof(*sorted));
    if (!sorted)
        return LADDER_ENOMEM;
    memcpy(sorted, pts, (size_t)n * sizeof(*sorted));
    qsort(sorted, (size_t)n, sizeof(*sorted), compare_int64);
    if (step <= 0)
        step = 1;
    for (int i = 0; i < n; i++)
        dts[i] = i >= depth ? sorted[i - depth] : sorted[0] - (int64_t)(depth - i) * step;
    free(sorted);
    return 0;
}
