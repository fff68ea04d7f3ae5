/*
 * Encoder backends: how each encoder library ladder drives is opened so
 * that separately encoded chunks share one decoder configuration, and the
 * pre-flight that reads a backend's configuration for a rung before the
 * run (the codec invariant compares every chunk against it).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "ladder/av1_obu.h"
#include "ladder/error.h"
#include "ladder/ladder_config.h"
#include "session_internal.h"

/* What one encoder library needs beyond the settings every rung shares. */
struct encoder_backend {
    ladder_codec codec;
    const char *encoder;          /* libavcodec encoder name */
    const char *default_profile;
    /* Codec-private options: preset, rate mode and the flags that keep
     * headers identical across chunks. abr: this chunk is one-pass ABR. */
    void (*configure)(AVCodecContext *enc, const encoder_choice *choice, bool abr);
    /* The decoder configuration the invariant compares is the sequence
     * header in the first key frame, not the encoder's extradata (AV1). */
    bool in_band_config;
    const char *device_kind;      /* the devices that run it: "cpu", "nvidia", "intel" */
    /* Its rate factor has no calibrated model here (rate_control.c):
     * every chunk is one-pass ABR at the rate the rung still needs. */
    bool abr_only;
    /* Takes 4:2:0 as NV12/P010 only (QSV): the worker converts the
     * rung's planar pictures (one pass, no scaling) before sending them. */
    bool semi_planar;
};

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
 * Neither changes the parameter sets.
 */
static void configure_x264(AVCodecContext *enc, const encoder_choice *choice, bool abr)
{
    av_opt_set(enc->priv_data, "preset", choice->preset, 0);
    av_opt_set(enc->priv_data, "x264-params",
               abr ? "scenecut=0:stitchable=1:open-gop=0:ratetol=0.1" : "scenecut=0:stitchable=1:open-gop=0",
               0);
}

/*
 * Deterministic jobs: Debian's libx264 0.164 reads memory it never wrote in
 * its SIMD macroblock-tree propagation when the width is not a multiple of
 * 128, so one encode of the same pictures differs from another (measured
 * with the ffmpeg CLI alone: three MALLOC_PERTURB_ values, three streams at
 * 320x180; docs/ARCHITECTURE.md "Determinism"). Without the tree it does
 * not. The parameter sets stay the same: mbtree is not in them.
 */
static void x264_without_mbtree(AVCodecContext *enc)
{
    uint8_t *params = NULL;
    if (av_opt_get(enc->priv_data, "x264-params", 0, &params) < 0)
        return;
    char joined[512];
    snprintf(joined, sizeof(joined), "%s%smbtree=0", params ? (const char *)params : "",
             params && params[0] ? ":" : "");
    av_free(params);
    av_opt_set(enc->priv_data, "x264-params", joined, 0);
}

/*
 * x265 (libx265 3.5 through FFmpeg 5.1's wrapper):
 * pools=none, frame-threads=1, wpp=0, lookahead-slices=0: one thread per
 *   encoder, like x264 (parallelism comes from chunks); WPP without worker
 *   threads would only spend bits on entry points.
 * keyint = min-keyint = the rung's fixed GOP length (enc->gop_size, the
 *   same rule as x264: the headers must not depend on the chunk), scenecut=0
 *   and open-gop=0: the chunk's first frame is its only IRAP, an IDR
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
static void configure_x265(AVCodecContext *enc, const encoder_choice *choice, bool abr)
{
    (void)abr;
    char params[256];
    snprintf(params, sizeof(params),
             "pools=none:frame-threads=1:wpp=0:lookahead-slices=0:scenecut=0:open-gop=0:"
             "keyint=%d:min-keyint=%d:repeat-headers=0:info=0:log-level=error",
             enc->gop_size, enc->keyint_min);
    av_opt_set(enc->priv_data, "preset", choice->preset, 0);
    av_opt_set_int(enc->priv_data, "forced-idr", 1, 0);
    av_opt_set(enc->priv_data, "x265-params", params, 0);
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
 *   (ladder_config_svt_preset(), shared with ladder bench).
 * Rate: bit_rate makes the wrapper pick VBR; crf is an integer option in
 *   1..63 there (0 means "unset" to the wrapper, so a CRF 0 rung gets 1).
 * The wrapper's extradata is not what the bitstream carries (see
 *   encoder_probe_config()): the invariant for AV1 compares in-band
 *   sequence headers (in_band_config).
 */
static void configure_svtav1(AVCodecContext *enc, const encoder_choice *choice, bool abr)
{
    (void)abr;
    /* A name SVT does not know leaves the option unset (the encoder's
     * default) rather than failing the run: the CLI validated it already. */
    av_opt_set(enc->priv_data, "preset", ladder_config_svt_preset(choice->preset), 0);
    int64_t crf = 0;
    if (av_opt_get_int(enc->priv_data, "crf", 0, &crf) >= 0 && crf == 0 && enc->bit_rate == 0)
        av_opt_set_int(enc->priv_data, "crf", 1, 0);
    av_opt_set(enc->priv_data, "svtav1-params", "lp=1:scd=0:irefresh-type=2", 0);
}

/*
 * libaom (3.6 through FFmpeg 5.1's libaom-av1 wrapper), the second AV1
 * encoder: slower than SVT at equal quality, but the reference encoder,
 * and what a site may already have tuned. Its bitstream is not SVT's
 * (sequence header tool flags differ), so on a rung whose canonical
 * configuration came from SVT its devices are kept off by the pre-flight
 * comparison (session.c), and the other way round.
 * usage=good with cpu-used from the preset (good quality mode takes 0..6,
 *   6 the fastest; x264's fast names all map to 6).
 * thread_count 1 (the wrapper's g_threads), row-mt=0, one tile: one core
 *   per encoder, like the others.
 * keyint_min = gop_size (kf-min-dist = kf-max-dist): key frames only where
 *   ladder cuts chunks.
 * Rate: bit_rate makes the wrapper pick VBR (rate_control.c gives AV1 only
 *   ABR chunks), crf alone constant quality.
 * The key frames carry the sequence header in band; as for SVT the
 *   invariant compares that (in_band_config).
 */
static void configure_aom(AVCodecContext *enc, const encoder_choice *choice, bool abr)
{
    (void)abr;
    const char *preset = choice->preset;
    static const struct { const char *x264; int cpu_used; } speeds[] = {
        { "ultrafast", 6 }, { "superfast", 6 }, { "veryfast", 6 }, { "faster", 5 }, { "fast", 4 },
        { "medium", 3 }, { "slow", 2 }, { "slower", 1 }, { "veryslow", 0 }, { "placebo", 0 },
    };
    int cpu_used = 6;
    for (size_t i = 0; preset && i < sizeof(speeds) / sizeof(speeds[0]); i++)
        if (!strcmp(speeds[i].x264, preset))
            cpu_used = speeds[i].cpu_used;
    /* FFmpeg 5.1's wrapper tells libaom each frame lasts ticks_per_frame
     * units of the time base. ladder's time base is the source's (1/15360
     * say), so with the default of 1 libaom believed in 15360 frames per
     * second and gave each frame a sliver of the bit budget (300k asked,
     * 43 kb/s made). One nominal frame in time base units fixes its rate
     * control; nothing else in the wrapper reads the field. */
    if (enc->framerate.num > 0 && enc->framerate.den > 0) {
        int64_t ticks = av_rescale_q(1, av_inv_q(enc->framerate), enc->time_base);
        enc->ticks_per_frame = ticks > 0 && ticks < INT_MAX ? (int)ticks : 1;
    }
    av_opt_set(enc->priv_data, "usage", "good", 0);
    av_opt_set_int(enc->priv_data, "cpu-used", cpu_used, 0);
    av_opt_set_int(enc->priv_data, "row-mt", 0, 0);
    av_opt_set(enc->priv_data, "tiles", "1x1", 0);
}

/*
 * NVENC (h264_nvenc, hevc_nvenc through FFmpeg 5.1's wrapper, loaded at
 * run time through nv-codec-headers), on the device's GPU (choice->gpu,
 * the CUDA index; -1 any). Software frames (yuv420p) go in: the wrapper
 * uploads them. Settings follow the same rules as x264's:
 * preset p1 (fastest) .. p7 from the x264 name; tune hq.
 * forced-idr, strict_gop: the chunk's first frame, which ladder asks to be
 *   an I frame, is an IDR, and no other frame is (gop_size = keyint_min, a
 *   fixed length per rung, like the software encoders; no-scenecut with
 *   the default lookahead 0 is implied).
 * rc vbr with bit_rate (and the rung's VBV); a CRF rung is constant
 *   quality (cq = crf, bit_rate 0). Its quantiser scale is not x264's, so
 *   rate control gives NVENC chunks ABR only (abr_only).
 * NVENC's SPS/PPS are not x264's: on a rung whose canonical encoder is
 *   x264 an NVENC device is kept off by the pre-flight (rung_devices.c)
 *   unless parameter sets travel in band. Not run in CI (no NVENC there):
 *   checked by the pre-flight on real hardware, see tests/gpu/README.md.
 */
static void configure_nvenc(AVCodecContext *enc, const encoder_choice *choice, bool abr)
{
    (void)abr;
    static const struct { const char *x264, *nvenc; } presets[] = {
        { "ultrafast", "p1" }, { "superfast", "p2" }, { "veryfast", "p3" }, { "faster", "p4" }, { "fast", "p4" },
        { "medium", "p5" }, { "slow", "p6" }, { "slower", "p7" }, { "veryslow", "p7" }, { "placebo", "p7" },
    };
    const char *preset = "p4";
    for (size_t i = 0; choice->preset && i < sizeof(presets) / sizeof(presets[0]); i++)
        if (!strcmp(presets[i].x264, choice->preset))
            preset = presets[i].nvenc;
    av_opt_set(enc->priv_data, "preset", preset, 0);
    av_opt_set(enc->priv_data, "tune", "hq", 0);
    av_opt_set(enc->priv_data, "rc", "vbr", 0);
    av_opt_set_int(enc->priv_data, "forced-idr", 1, 0);
    av_opt_set_int(enc->priv_data, "strict_gop", 1, 0);
    if (choice->gpu >= 0)
        av_opt_set_int(enc->priv_data, "gpu", choice->gpu, 0);
}

/*
 * Intel Quick Sync (h264_qsv, hevc_qsv through FFmpeg 5.1's wrapper and
 * oneVPL), on the implementation the device names (choice->gpu: the
 * inventory's Intel index, as its DRM render node; -1 the default
 * adapter). NV12/P010 system
 * frames go in (semi_planar: the worker converts). The same rules as
 * x264's where QSV has them: preset veryfast..veryslow from the x264 name
 * (QSV has seven, named like x264's), IDR at the chunk's first frame and
 * no other (forced_idr, idr_interval 0, a fixed gop_size), no scene-change
 * I frames (look_ahead off), closed GOPs. ABR only (abr_only): its
 * quantiser scale is not x264's. Its SPS/PPS are not x264's either, so on
 * an x264 rung it is kept off by the pre-flight unless parameter sets
 * travel in band. Not run in CI (no Intel GPU there): a host without one
 * fails the pre-flight and the device is kept off every rung with that
 * reason (e2e gpu_policy with a replayed Arc inventory).
 */
static void configure_qsv(AVCodecContext *enc, const encoder_choice *choice, bool abr)
{
    (void)abr;
    static const char *const presets[] = { "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow" };
    const char *preset = "veryfast";
    for (size_t i = 0; choice->preset && i < sizeof(presets) / sizeof(presets[0]); i++)
        if (!strcmp(presets[i], choice->preset))
            preset = presets[i];
    if (choice->preset && (!strcmp(choice->preset, "ultrafast") || !strcmp(choice->preset, "superfast")))
        preset = "veryfast";
    if (choice->preset && !strcmp(choice->preset, "placebo"))
        preset = "veryslow";
    av_opt_set(enc->priv_data, "preset", preset, 0);
    av_opt_set_int(enc->priv_data, "forced_idr", 1, 0);
    av_opt_set_int(enc->priv_data, "idr_interval", 0, 0);
    av_opt_set_int(enc->priv_data, "look_ahead", 0, 0);
    av_opt_set_int(enc->priv_data, "async_depth", 1, 0);
    if (choice->gpu >= 0) {
        /* A session on that adapter; the encoder owns the ref. No such
         * device: the encoder opens on the default adapter, which the
         * pre-flight then judges like any other. */
        char node[32];
        AVBufferRef *device = NULL;
        if (qsv_device_create(&device, choice->gpu, node, sizeof(node)) >= 0)
            enc->hw_device_ctx = device;
    }
}

/* The first backend of each codec and device kind is ladder's default there. */
static const encoder_backend backends[] = {
    { LADDER_CODEC_H264, "libx264", "high", configure_x264, false, "cpu", false, false },
    { LADDER_CODEC_HEVC, "libx265", "main", configure_x265, false, "cpu", false, false },
    { LADDER_CODEC_AV1, "libsvtav1", "main", configure_svtav1, true, "cpu", false, false },
    { LADDER_CODEC_AV1, "libaom-av1", "main", configure_aom, true, "cpu", false, false },
    { LADDER_CODEC_H264, "h264_nvenc", "high", configure_nvenc, false, "nvidia", true, false },
    { LADDER_CODEC_HEVC, "hevc_nvenc", "main", configure_nvenc, false, "nvidia", true, false },
    { LADDER_CODEC_H264, "h264_qsv", "high", configure_qsv, false, "intel", true, true },
    { LADDER_CODEC_HEVC, "hevc_qsv", "main", configure_qsv, false, "intel", true, true },
};
#define NB_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* The fault device is a CPU device that breaks on purpose. */
static const char *runs_on(const char *device_kind)
{
    return device_kind && !strcmp(device_kind, "fault") ? "cpu" : device_kind;
}

const encoder_backend *encoder_backend_find(ladder_codec codec, const char *encoder)
{
    return encoder_backend_for(codec, encoder, "cpu");
}

const encoder_backend *encoder_backend_for(ladder_codec codec, const char *encoder, const char *device_kind)
{
    const char *kind = runs_on(device_kind);
    for (size_t i = 0; i < NB_BACKENDS; i++) {
        const encoder_backend *b = &backends[i];
        if (b->codec != codec)
            continue;
        if (encoder && encoder[0] ? !strcmp(b->encoder, encoder) : (kind && !strcmp(b->device_kind, kind)))
            return b;
    }
    return NULL;
}

bool encoder_backend_runs_on(const encoder_backend *backend, const char *device_kind)
{
    const char *kind = runs_on(device_kind);
    return kind && !strcmp(backend->device_kind, kind);
}

bool encoder_backend_abr_only(const encoder_backend *backend)
{
    return backend->abr_only;
}

enum AVPixelFormat encoder_input_format(const encoder_backend *backend, const rung_ctx *r)
{
    if (backend && backend->semi_planar)
        return r->bit_depth > 8 ? AV_PIX_FMT_P010 : AV_PIX_FMT_NV12;
    return r->pix_fmt;
}

const char *encoder_backend_name(const encoder_backend *backend)
{
    return backend->encoder;
}

bool encoder_backend_in_band_config(const encoder_backend *backend)
{
    return backend->in_band_config;
}

void encoder_backend_list(ladder_codec codec, char *buf, size_t size)
{
    size_t used = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < NB_BACKENDS && used < size; i++) {
        if (backends[i].codec != codec)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", backends[i].encoder);
        if (n > 0)
            used += (size_t)n;
    }
}

const char *encoder_name(ladder_codec codec)
{
    const encoder_backend *b = encoder_backend_find(codec, NULL);
    return b ? b->encoder : NULL;
}

/*
 * Close an encoder, flushed first. SVT-AV1 1.4's deinit waits for the
 * end-of-stream packet forever when the encoder never got EOS (measured: an
 * encoder opened and freed without a frame hangs in svt_av1_enc_deinit), so
 * every path that gives an encoder up (errors included) goes through here.
 * For the other encoders draining after EOS only costs what they still
 * buffered.
 */
void encoder_close(AVCodecContext **enc)
{
    if (!*enc)
        return;
    AVPacket *pkt = av_packet_alloc();
    /* AVERROR_EOF: EOS was sent already; still drained below. */
    int ret = avcodec_send_frame(*enc, NULL);
    if (pkt && (ret >= 0 || ret == AVERROR_EOF)) {
        while (avcodec_receive_packet(*enc, pkt) >= 0)
            av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    avcodec_free_context(enc);
}

int encoder_open(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice, bool perturb,
                 const chunk_rate *rate, AVBufferRef *hw_frames, AVCodecContext **out)
{
    const encoder_backend *backend = choice->backend;
    const AVCodec *codec = backend ? avcodec_find_encoder_by_name(backend->encoder) : NULL;
    if (!codec)
        return LADDER_ECODEC;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc)
        return LADDER_ENOMEM;
    enc->width = r->width;
    enc->height = r->height;
    enc->pix_fmt = encoder_input_format(backend, r);
    if (hw_frames) {
        /* NVENC reads the pictures where the scaler left them: its CUDA
         * context is the frames' (the decoding GPU's), the "gpu" option
         * no longer picks one. */
        enc->pix_fmt = AV_PIX_FMT_CUDA;
        enc->sw_pix_fmt = ((const AVHWFramesContext *)hw_frames->data)->sw_format;
        enc->hw_frames_ctx = av_buffer_ref(hw_frames);
        if (!enc->hw_frames_ctx) {
            avcodec_free_context(&enc);
            return LADDER_ENOMEM;
        }
    }
    enc->sample_aspect_ratio = r->sar;
    enc->time_base = s->src_tb;
    enc->framerate = r->frame_rate;
    /* Parallelism comes from chunks; frame threads would only add latency
     * and lookahead copies per encoder. */
    enc->thread_count = 1;
    /* Parameter sets out of band (avcC/hvcC): one init segment serves all chunks. */
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
    /*
     * The GOP length is fixed per rung, not per chunk: encoders derive header
     * fields from it, and every chunk must produce the same headers. A chunk
     * is never longer than this, so its only IDR is its first frame.
     */
    enc->gop_size = s->plan.cfr ? s->plan.frames_per_chunk * 4 + 1 : 1000;
    enc->keyint_min = enc->gop_size;
    enc->color_range = AVCOL_RANGE_MPEG;
    /* The source's colour description goes into every rung's VUI / colour
     * config: an HDR source (PQ or HLG transfer, BT.2020 primaries) stays
     * labelled as such, or players would show it washed out. Unspecified
     * stays unspecified. The same for every chunk: headers do not change. */
    enc->color_primaries = s->src_primaries;
    enc->color_trc = s->src_trc;
    enc->colorspace = s->src_colorspace;

    const ladder_rung *c = &r->cfg;
    bool abr = false;
    if (c->rate_mode == LADDER_RATE_CRF) {
        /* NVENC calls its constant quality "cq" (same 0..51 scale). */
        if (av_opt_set_int(enc->priv_data, "crf", c->crf, 0) < 0)
            av_opt_set_int(enc->priv_data, "cq", c->crf, 0);
    } else if (rate && rate->use_crf) {
        av_opt_set_double(enc->priv_data, "crf", rate->crf, 0);
    } else {
        abr = true;
        enc->bit_rate = rate && rate->bitrate_bps > 0 ? rate->bitrate_bps : (int64_t)c->bitrate_kbps * 1000;
    }
    if (c->maxrate_kbps > 0) {
        enc->rc_max_rate = (int64_t)c->maxrate_kbps * 1000;
        enc->rc_buffer_size = (c->bufsize_kbps > 0 ? c->bufsize_kbps : 2 * c->maxrate_kbps) * 1000;
    }
    const char *profile = c->profile[0] ? c->profile : backend->default_profile;
    /* 10-bit HEVC is Main 10; AV1's Main covers 10-bit. */
    if (r->bit_depth == 10 && backend->codec == LADDER_CODEC_HEVC)
        profile = "main10";
    /* Test fault: full-range signalling changes the SPS's VUI whatever the
     * preset (a profile change alone can vanish when x264 lowers the
     * profile to the features a fast preset uses). */
    if (perturb)
        enc->color_range = AVCOL_RANGE_JPEG;
    av_opt_set(enc->priv_data, "profile", profile, 0);
    backend->configure(enc, choice, abr);
    if (s->job.deterministic && !strcmp(backend->encoder, "libx264") && enc->width % 128)
        x264_without_mbtree(enc);

    int ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        avcodec_free_context(&enc);
        return LADDER_EENCODER;
    }
    *out = enc;
    return 0;
}

/* Frames the AV1 pre-flight encodes: SVT emits nothing before its first
 * mini-GOP is complete or the stream ends, and a few frames are enough for
 * the first key frame (with its sequence header) to come out at EOS. */
#define PREFLIGHT_FRAMES 4

/* Mid-grey pictures of the rung's size through an encoder with the rung's
 * settings, to EOS; *out gets a copy of the first key frame packet. */
static int preflight_key_frame(const ladder_session *s, const rung_ctx *r, AVCodecContext *enc,
                               AVPacket **out)
{
    int err = 0;
    AVFrame *frame = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    if (!frame || !pkt) {
        err = LADDER_ENOMEM;
        goto done;
    }
    frame->format = enc->pix_fmt;
    frame->width = r->width;
    frame->height = r->height;
    if (av_frame_get_buffer(frame, 0) < 0) {
        err = LADDER_ENOMEM;
        goto done;
    }
    /* Mid-grey in every plane, whatever the layout (planar or NV12/P010,
     * 8 bits or 16-bit little-endian samples, MSB-aligned ones shifted). */
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(enc->pix_fmt);
    int planes = av_pix_fmt_count_planes(enc->pix_fmt);
    for (int p = 0; p < planes; p++) {
        int h = p ? AV_CEIL_RSHIFT(r->height, desc->log2_chroma_h) : r->height;
        if (desc->comp[0].depth > 8) {
            uint16_t grey = (uint16_t)((1u << (desc->comp[0].depth - 1)) << desc->comp[0].shift);
            for (int y = 0; y < h; y++) {
                uint16_t *row = (uint16_t *)(frame->data[p] + (size_t)y * (size_t)frame->linesize[p]);
                for (int x = 0; x < frame->linesize[p] / 2; x++)
                    row[x] = grey;
            }
        } else {
            memset(frame->data[p], 128, (size_t)frame->linesize[p] * (size_t)h);
        }
    }
    int64_t step = s->nominal_frame_ticks > 0 ? s->nominal_frame_ticks : 1;
    /* PREFLIGHT_FRAMES frames, then EOS; after each, whatever came out. */
    for (int i = 0; i <= PREFLIGHT_FRAMES && !err && !*out; i++) {
        int ret;
        if (i < PREFLIGHT_FRAMES) {
            if (av_frame_make_writable(frame) < 0) {
                err = LADDER_ENOMEM;
                break;
            }
            frame->pts = i * step;
            frame->pict_type = i == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
            ret = avcodec_send_frame(enc, frame);
        } else {
            ret = avcodec_send_frame(enc, NULL);
        }
        if (ret < 0)
            err = LADDER_EENCODER;
        while (!err && !*out) {
            ret = avcodec_receive_packet(enc, pkt);
            if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
                break;
            if (ret < 0) {
                err = LADDER_EENCODER;
            } else if (pkt->flags & AV_PKT_FLAG_KEY) {
                *out = pkt;
                pkt = NULL;
            } else {
                av_packet_unref(pkt);
            }
        }
    }
    /* Ended without a key frame: not an encoder ladder can use. */
    if (!err && !*out)
        err = LADDER_EENCODER;
done:
    av_packet_free(&pkt);
    av_frame_free(&frame);
    return err;
}

int encoder_probe_config(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice,
                         AVCodecParameters *par, uint8_t **config, int *config_size)
{
    AVCodecContext *enc = NULL;
    int err = encoder_open(s, r, choice, false, NULL, NULL, &enc);
    if (err)
        return err;
    if (par && avcodec_parameters_from_context(par, enc) < 0) {
        encoder_close(&enc);
        return LADDER_ENOMEM;
    }
    if (!choice->backend->in_band_config) {
        /* +1: malloc(0) may return NULL, which would read as out of memory. */
        *config = malloc((size_t)enc->extradata_size + 1);
        if (!*config) {
            encoder_close(&enc);
            return LADDER_ENOMEM;
        }
        memcpy(*config, enc->extradata, (size_t)enc->extradata_size);
        *config_size = enc->extradata_size;
        encoder_close(&enc);
        return 0;
    }

    /*
     * AV1: SVT-AV1 1.4's extradata (svt_av1_enc_stream_header) is not the
     * sequence header its key frames carry, and the mp4 muxer would build
     * av1C from the extradata. So the canonical configuration is the
     * sequence header OBU of a real key frame from a pre-flight encode
     * with the rung's settings, and it replaces the extradata the muxer
     * gets (FFmpeg's av1C writer takes its fields and configOBUs from a
     * sequence header OBU found there).
     */
    AVPacket *key = NULL;
    err = preflight_key_frame(s, r, enc, &key);
    encoder_close(&enc);
    if (err)
        return err;
    ladder_av1_obu obu;
    if (ladder_av1_find_obu(key->data, (size_t)key->size, LADDER_AV1_OBU_SEQUENCE_HEADER, &obu) ||
        obu.size > INT_MAX) {
        av_packet_free(&key);
        return LADDER_EENCODER;
    }
    *config = malloc(obu.size);
    uint8_t *extradata = par ? av_mallocz(obu.size + AV_INPUT_BUFFER_PADDING_SIZE) : NULL;
    if (!*config || (par && !extradata)) {
        free(*config);
        *config = NULL;
        av_free(extradata);
        av_packet_free(&key);
        return LADDER_ENOMEM;
    }
    memcpy(*config, obu.data, obu.size);
    *config_size = (int)obu.size;
    /* obu points into the packet: copy before it goes. */
    if (extradata)
        memcpy(extradata, obu.data, obu.size);
    av_packet_free(&key);
    if (!par)
        return 0;
    av_freep(&par->extradata);
    par->extradata = extradata;
    par->extradata_size = *config_size;
    return 0;
}

int encoder_probe_encode(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice)
{
    AVCodecContext *enc = NULL;
    int err = encoder_open(s, r, choice, false, NULL, NULL, &enc);
    if (err)
        return err;
    AVPacket *key = NULL;
    err = preflight_key_frame(s, r, enc, &key);
    av_packet_free(&key);
    encoder_close(&enc);
    return err;
}

/*
 * Sanitizer builds only: tell LeakSanitizer that memory libx265 loses is
 * not ladder's. libx265 3.5 through FFmpeg 5.1's wrapper leaks on every
 * encoder whatever the options (measured with a bare avcodec_open2() /
 * avcodec_free_context() of libx265: 1168 bytes from x265_malloc; with
 * pools=none also the "none" strings that x265_param_parse() and
 * x265_copy_params() strdup). ladder opens one encoder per chunk, so
 * without this every HEVC run under ASan would fail its leak check. Only
 * stacks that pass through libx265 are suppressed: a leak in ladder's own
 * code still fails the run. It lives here, not in a file of its own, so
 * that linking the static library always pulls it in.
 */
#if defined(__SANITIZE_ADDRESS__)
const char *__lsan_default_suppressions(void);

const char *__lsan_default_suppressions(void)
{
    return "leak:libx265.so\n";
}

/* The table of suppressions used would add lines to stderr, where every
 * failure must be one line. */
const char *__lsan_default_options(void);

const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif
