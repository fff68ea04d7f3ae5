/*
 * Encoder backends: how each encoder library ladder drives is opened so
 * that separately encoded chunks share one decoder configuration, and the
 * pre-flight that reads a backend's configuration for a rung before the
 * run (the codec invariant compares every chunk against it).
 */
#include "encoder_backend.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/hwcontext.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "mux/av1_obu.h"
#include "ladder/error.h"
#include "ladder/ladder_config.h"
#include "encoder_devices.h"
#include "encoder_settings.h"
#include "session.h"

/* One encoder library as ladder drives it; its settings for a rung are
 * encoder_settings.c's (a pure function, unit-tested). */
struct encoder_backend {
    ladder_codec codec;
    const char *encoder;          /* libavcodec encoder name */
    /* The decoder configuration the invariant compares is the sequence
     * header in the first key frame, not the encoder's extradata (AV1). */
    bool in_band_config;
    const char *device_kind;      /* the devices that run it: "cpu", "nvidia", "intel" */
    /* Its rate factor has no calibrated model here (rate_control.c):
     * every chunk is one-pass ABR at the rate the rung still needs. */
    bool abr_only;
};

/*
 * The first backend of each codec and device kind is ladder's default
 * there. NVENC's and Quick Sync's SPS/PPS are not x264's: on a rung whose
 * canonical encoder is x264 a GPU is kept off by the pre-flight
 * (rung_devices.c) unless parameter sets travel in band. Their quantiser
 * scales are not x264's either, hence ABR only. Neither runs in CI (no
 * NVENC or Intel GPU there): tests/gpu/README.md has the first-run
 * checklist for a machine with one.
 */
static const encoder_backend backends[] = {
    { LADDER_CODEC_H264, "libx264", false, "cpu", false },
    { LADDER_CODEC_HEVC, "libx265", false, "cpu", false },
    { LADDER_CODEC_AV1, "libsvtav1", true, "cpu", false },
    /* libaom's bitstream is not SVT's (sequence header tool flags
     * differ): on a rung whose canonical configuration came from SVT its
     * devices are kept off by the pre-flight, and the other way round. */
    { LADDER_CODEC_AV1, "libaom-av1", true, "cpu", false },
    { LADDER_CODEC_H264, "h264_nvenc", false, "nvidia", true },
    { LADDER_CODEC_HEVC, "hevc_nvenc", false, "nvidia", true },
    { LADDER_CODEC_H264, "h264_qsv", false, "intel", true },
    { LADDER_CODEC_HEVC, "hevc_qsv", false, "intel", true },
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
    return backend ? encoder_input_pix_fmt(backend->encoder, r->bit_depth) : r->pix_fmt;
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

/* What the settings of choice's encoder depend on for a chunk of rung r
 * (rate NULL: the pre-flight, the rung's nominal rate). */
static void target_of(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice,
                      const chunk_rate *rate, int gop_size, encoder_target *t)
{
    const ladder_rung *c = &r->cfg;
    *t = (encoder_target){
        .encoder = choice->backend->encoder,
        .codec = choice->backend->codec,
        .preset = choice->preset,
        .profile = c->profile,
        .bit_depth = r->bit_depth,
        .width = r->width,
        .frame_rate = r->frame_rate,
        .time_base = s->src_tb,
        .gop_size = gop_size,
        .crf_rung = c->rate_mode == LADDER_RATE_CRF,
        .crf = c->crf,
        .chunk_uses_crf = c->rate_mode != LADDER_RATE_CRF && rate && rate->use_crf,
        .chunk_crf = rate ? rate->crf : 0,
        .bitrate_bps = rate && rate->bitrate_bps > 0 ? rate->bitrate_bps : (int64_t)c->bitrate_kbps * 1000,
        .deterministic = s->job.deterministic,
        .gpu = choice->gpu,
        .caps_known = choice->caps_known,
        .max_bframes = choice->max_bframes,
        .ten_bit = choice->ten_bit,
    };
    if (c->maxrate_kbps > 0) {
        t->maxrate_bps = (int64_t)c->maxrate_kbps * 1000;
        t->bufsize_bits = (int64_t)(c->bufsize_kbps > 0 ? c->bufsize_kbps : 2 * c->maxrate_kbps) * 1000;
    }
}

/*
 * The GOP length is fixed per rung, not per chunk: encoders derive header
 * fields from it, and every chunk must produce the same headers. A chunk
 * is never longer than this, so its only IDR is its first frame.
 */
static int rung_gop_size(const ladder_session *s)
{
    return s->plan.cfr ? s->plan.frames_per_chunk * 4 + 1 : 1000;
}

bool encoder_refuses(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice, char *why,
                     size_t why_size)
{
    encoder_target t;
    encoder_settings settings;
    target_of(s, r, choice, NULL, rung_gop_size(s), &t);
    encoder_settings_build(&t, &settings);
    bool refused = settings.refused[0] != 0;
    if (refused)
        snprintf(why, why_size, "%s", settings.refused);
    encoder_settings_free(&settings);
    return refused;
}

/* The GPU encoders' device: the session's shared context for their GPU
 * (encoder_devices.c). None to be had: the encoder opens its own, and the
 * pre-flight judges that like any other failure. */
static void attach_gpu_device(const ladder_session *s, const encoder_choice *choice, AVCodecContext *enc)
{
    const char *kind = choice->backend->device_kind;
    enum AVHWDeviceType type = !strcmp(kind, "nvidia")  ? AV_HWDEVICE_TYPE_CUDA
                               : !strcmp(kind, "intel") ? AV_HWDEVICE_TYPE_QSV
                                                        : AV_HWDEVICE_TYPE_NONE;
    if (type == AV_HWDEVICE_TYPE_NONE)
        return;
    AVBufferRef *device = NULL;
    if (encoder_devices_get(s->enc_devices, type, choice->gpu, choice->render_node, &device) == 0)
        enc->hw_device_ctx = device;
}

/* The codec-private options, each set on its own: one the encoder lacks
 * (a profile name another encoder takes) leaves its default, as the
 * wrappers' own option parsing would. The unit test checks every key
 * ladder sets against the linked libavcodec. */
static void apply_options(AVCodecContext *enc, const AVDictionary *options)
{
    const AVDictionaryEntry *e = NULL;
    while ((e = av_dict_get(options, "", e, AV_DICT_IGNORE_SUFFIX)))
        av_opt_set(enc->priv_data, e->key, e->value, 0);
}

static void apply_settings(AVCodecContext *enc, const encoder_settings *settings)
{
    enc->pix_fmt = settings->pix_fmt;
    enc->bit_rate = settings->bit_rate;
    enc->rc_max_rate = settings->rc_max_rate;
    enc->rc_buffer_size = settings->rc_buffer_size > INT_MAX ? INT_MAX : (int)settings->rc_buffer_size;
    if (settings->global_quality > 0)
        enc->global_quality = settings->global_quality;
    if (settings->max_b_frames >= 0)
        enc->max_b_frames = settings->max_b_frames;
    if (settings->ticks_per_frame > 0)
        enc->ticks_per_frame = settings->ticks_per_frame;
    apply_options(enc, settings->options);
}

int encoder_open(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice, bool perturb,
                 const chunk_rate *rate, AVBufferRef *hw_frames, AVCodecContext **out)
{
    const encoder_backend *backend = choice->backend;
    const AVCodec *codec = backend ? avcodec_find_encoder_by_name(backend->encoder) : NULL;
    if (!codec)
        return LADDER_ECODEC;
    encoder_target target;
    encoder_settings settings;
    target_of(s, r, choice, rate, rung_gop_size(s), &target);
    if (encoder_settings_build(&target, &settings)) {
        encoder_settings_free(&settings);
        return LADDER_ENOMEM;
    }
    AVCodecContext *enc = settings.refused[0] ? NULL : avcodec_alloc_context3(codec);
    if (!enc) {
        int err = settings.refused[0] ? LADDER_EENCODER : LADDER_ENOMEM;
        encoder_settings_free(&settings);
        return err;
    }
    enc->width = r->width;
    enc->height = r->height;
    apply_settings(enc, &settings);
    encoder_settings_free(&settings);
    if (hw_frames) {
        /* NVENC reads the pictures where the scaler left them: its CUDA
         * context is the frames' (the decoding GPU's). */
        enc->pix_fmt = AV_PIX_FMT_CUDA;
        enc->sw_pix_fmt = ((const AVHWFramesContext *)hw_frames->data)->sw_format;
        enc->hw_frames_ctx = av_buffer_ref(hw_frames);
        if (!enc->hw_frames_ctx) {
            avcodec_free_context(&enc);
            return LADDER_ENOMEM;
        }
    } else {
        attach_gpu_device(s, choice, enc);
    }
    enc->sample_aspect_ratio = r->sar;
    enc->time_base = s->src_tb;
    enc->framerate = r->frame_rate;
    /* Parallelism comes from chunks; frame threads would only add latency
     * and lookahead copies per encoder. */
    enc->thread_count = 1;
    /* Parameter sets out of band (avcC/hvcC): one init segment serves all chunks. */
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
    enc->gop_size = target.gop_size;
    enc->keyint_min = enc->gop_size;
    enc->color_range = AVCOL_RANGE_MPEG;
    /* The source's colour description goes into every rung's VUI / colour
     * config: an HDR source (PQ or HLG transfer, BT.2020 primaries) stays
     * labelled as such, or players would show it washed out. Unspecified
     * stays unspecified. The same for every chunk: headers do not change. */
    enc->color_primaries = s->src_primaries;
    enc->color_trc = s->src_trc;
    enc->colorspace = s->src_colorspace;
    /* Test fault: full-range signalling changes the SPS's VUI whatever the
     * preset (a profile change alone can vanish when x264 lowers the
     * profile to the features a fast preset uses). */
    if (perturb)
        enc->color_range = AVCOL_RANGE_JPEG;

    int ret = avcodec_open2(enc, codec, NULL);
    if (ret < 0) {
        avcodec_free_context(&enc);
        return LADDER_EENCODER;
    }
    *out = enc;
    return 0;
}

int encoder_dts_reorder_depth(const ladder_session *s, const rung_ctx *r, const encoder_choice *choice)
{
    encoder_target t;
    encoder_settings settings;
    target_of(s, r, choice, NULL, rung_gop_size(s), &t);
    int depth = encoder_settings_build(&t, &settings) ? 0 : settings.dts_reorder_depth;
    encoder_settings_free(&settings);
    return depth;
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
/* Default visibility: libladder's objects are built hidden, and the
 * sanitizer runtime (a shared library) finds these hooks only through the
 * executable's dynamic symbols (hidden, the libx265 leaks failed every
 * HEVC run under ASan). */
#define SANITIZER_HOOK __attribute__((visibility("default")))
SANITIZER_HOOK const char *__lsan_default_suppressions(void);

SANITIZER_HOOK const char *__lsan_default_suppressions(void)
{
    return "leak:libx265.so\n";
}

/* The table of suppressions used would add lines to stderr, where every
 * failure must be one line. */
SANITIZER_HOOK const char *__lsan_default_options(void);

SANITIZER_HOOK const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}
#endif
