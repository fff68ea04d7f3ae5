/*
 * Encoder workers. Each worker holds one lease (a device slot) and loops:
 * take a chunk (its rung's, or as a helper the rung with the most work
 * left), encode it with a fresh single-threaded encoder flushed to EOS,
 * check the decoder configuration against the rung's canonical one, and
 * hand the packets to the rung's finalizer. A chunk whose configuration
 * differs is requeued and re-encoded with the canonical settings.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>

#include "ladder/av1_obu.h"
#include "ladder/error.h"
#include "ladder/ladder_config.h"
#include "session_internal.h"

/* What one codec's encoder needs beyond the settings every rung shares. */
typedef struct encoder_backend {
    ladder_codec codec;
    const char *encoder;          /* libavcodec encoder name */
    const char *default_profile;
    /* Codec-private options: rate mode and the flags that keep headers
     * identical across chunks. abr: this chunk is one-pass ABR. */
    void (*configure)(AVCodecContext *enc, const ladder_session *s, bool abr);
    /* The decoder configuration the invariant compares is the sequence
     * header in the first key frame, not the encoder's extradata (AV1). */
    bool in_band_config;
} encoder_backend;

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
static void configure_x264(AVCodecContext *enc, const ladder_session *s, bool abr)
{
    av_opt_set(enc->priv_data, "preset", s->preset, 0);
    av_opt_set(enc->priv_data, "x264-params",
               abr ? "scenecut=0:stitchable=1:open-gop=0:ratetol=0.1" : "scenecut=0:stitchable=1:open-gop=0",
               0);
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
static void configure_x265(AVCodecContext *enc, const ladder_session *s, bool abr)
{
    (void)abr;
    char params[256];
    snprintf(params, sizeof(params),
             "pools=none:frame-threads=1:wpp=0:lookahead-slices=0:scenecut=0:open-gop=0:"
             "keyint=%d:min-keyint=%d:repeat-headers=0:info=0:log-level=error",
             enc->gop_size, enc->keyint_min);
    av_opt_set(enc->priv_data, "preset", s->preset, 0);
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
 *   encoder_canonical_config()): the invariant for AV1 compares in-band
 *   sequence headers (in_band_config).
 */
static void configure_svtav1(AVCodecContext *enc, const ladder_session *s, bool abr)
{
    (void)abr;
    const char *preset = ladder_config_svt_preset(s->preset);
    /* A name SVT does not know leaves the option unset (the encoder's
     * default) rather than failing the run: the CLI validated it already. */
    av_opt_set(enc->priv_data, "preset", preset, 0);
    int64_t crf = 0;
    if (av_opt_get_int(enc->priv_data, "crf", 0, &crf) >= 0 && crf == 0 && enc->bit_rate == 0)
        av_opt_set_int(enc->priv_data, "crf", 1, 0);
    av_opt_set(enc->priv_data, "svtav1-params", "lp=1:scd=0:irefresh-type=2", 0);
}

static const encoder_backend backends[] = {
    { LADDER_CODEC_H264, "libx264", "high", configure_x264, false },
    { LADDER_CODEC_HEVC, "libx265", "main", configure_x265, false },
    { LADDER_CODEC_AV1, "libsvtav1", "main", configure_svtav1, true },
};

static const encoder_backend *backend_of(ladder_codec codec)
{
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (backends[i].codec == codec)
            return &backends[i];
    return NULL;
}

const char *encoder_name(ladder_codec codec)
{
    const encoder_backend *b = backend_of(codec);
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
static void encoder_close(AVCodecContext **enc)
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

int encoder_open(const ladder_session *s, const rung_ctx *r, bool perturb,
                 const chunk_rate *rate, AVCodecContext **out)
{
    const encoder_backend *backend = backend_of(r->cfg.codec);
    const AVCodec *codec = backend ? avcodec_find_encoder_by_name(backend->encoder) : NULL;
    if (!codec)
        return LADDER_ECODEC;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    if (!enc)
        return LADDER_ENOMEM;
    enc->width = r->width;
    enc->height = r->height;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
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

    const ladder_rung *c = &r->cfg;
    bool abr = false;
    if (c->rate_mode == LADDER_RATE_CRF) {
        av_opt_set_int(enc->priv_data, "crf", c->crf, 0);
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
    /* Test fault: full-range signalling changes the SPS's VUI whatever the
     * preset (a profile change alone can vanish when x264 lowers the
     * profile to the features a fast preset uses). */
    if (perturb)
        enc->color_range = AVCOL_RANGE_JPEG;
    av_opt_set(enc->priv_data, "profile", profile, 0);
    backend->configure(enc, s, abr);

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
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = r->width;
    frame->height = r->height;
    if (av_frame_get_buffer(frame, 0) < 0) {
        err = LADDER_ENOMEM;
        goto done;
    }
    for (int p = 0; p < 3; p++) {
        int h = p ? (r->height + 1) / 2 : r->height;
        memset(frame->data[p], 128, (size_t)frame->linesize[p] * (size_t)h);
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

int encoder_canonical_config(const ladder_session *s, const rung_ctx *r, AVCodecParameters *par,
                             uint8_t **config, int *config_size)
{
    AVCodecContext *enc = NULL;
    int err = encoder_open(s, r, false, NULL, &enc);
    if (err)
        return err;
    if (avcodec_parameters_from_context(par, enc) < 0) {
        encoder_close(&enc);
        return LADDER_ENOMEM;
    }
    const encoder_backend *backend = backend_of(r->cfg.codec);
    if (!backend->in_band_config) {
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
    uint8_t *extradata = av_mallocz(obu.size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!*config || !extradata) {
        free(*config);
        *config = NULL;
        av_free(extradata);
        av_packet_free(&key);
        return LADDER_ENOMEM;
    }
    memcpy(*config, obu.data, obu.size);
    memcpy(extradata, obu.data, obu.size);
    *config_size = (int)obu.size;
    av_packet_free(&key);
    av_freep(&par->extradata);
    par->extradata = extradata;
    par->extradata_size = *config_size;
    return 0;
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

static int64_t duration_of(const chunk_frames *cf, int64_t pts)
{
    /* Frames are in presentation order: binary search by pts. */
    int lo = 0, hi = cf->nb - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int64_t p = cf->frames[mid]->pts;
        if (p == pts)
            return cf->durations[mid];
        if (p < pts)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

static int collect_packets(AVCodecContext *enc, const chunk_frames *cf, encoded_chunk *ec)
{
    for (;;) {
        AVPacket *pkt = av_packet_alloc();
        if (!pkt)
            return LADDER_ENOMEM;
        int ret = avcodec_receive_packet(enc, pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) {
            av_packet_free(&pkt);
            return 0;
        }
        if (ret < 0) {
            av_packet_free(&pkt);
            return LADDER_EENCODER;
        }
        pkt->duration = duration_of(cf, pkt->pts);
        if (pkt->duration <= 0) {
            av_packet_free(&pkt);
            return LADDER_EINTERNAL;   /* a packet for a frame we never sent */
        }
        AVPacket **grown = realloc(ec->packets, (size_t)(ec->nb_packets + 1) * sizeof(*grown));
        if (!grown) {
            av_packet_free(&pkt);
            return LADDER_ENOMEM;
        }
        ec->packets = grown;
        ec->packets[ec->nb_packets++] = pkt;
        ec->bytes += pkt->size;
    }
}

/* Encode every frame of the chunk to EOS. *config_ok tells whether the
 * encoder's decoder configuration is the rung's canonical one. */
static int encode_chunk(ladder_session *s, rung_ctx *r, const ladder_chunk *chunk,
                        bool perturb, const chunk_rate *rate, encoded_chunk *ec, bool *config_ok)
{
    const chunk_frames *cf = chunk->payload;
    AVCodecContext *enc = NULL;
    int err = encoder_open(s, r, perturb, rate, &enc);
    if (err)
        return err;
    const encoder_backend *backend = backend_of(r->cfg.codec);
    bool in_band = backend && backend->in_band_config;
    /* In-band configurations are only known once the first packet exists. */
    *config_ok = in_band || (enc->extradata_size == r->canonical_size &&
                             !memcmp(enc->extradata, r->canonical_extradata, (size_t)r->canonical_size));
    if (!*config_ok) {
        /* Decided before spending the encode: it could not be used anyway. */
        encoder_close(&enc);
        return 0;
    }
    for (int i = 0; i < cf->nb && !err; i++) {
        AVFrame *f = cf->frames[i];
        /* The first frame of every chunk is an IDR: the segment must start
         * with a random access point. A fresh encoder does this anyway;
         * asking keeps it true if encoders are ever reused. */
        f->pict_type = i == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        f->key_frame = i == 0;
        if (avcodec_send_frame(enc, f) < 0)
            err = LADDER_EENCODER;
        else
            err = collect_packets(enc, cf, ec);
    }
    if (!err) {
        if (avcodec_send_frame(enc, NULL) < 0)
            err = LADDER_EENCODER;
        else
            err = collect_packets(enc, cf, ec);
    }
    /* Encoders may only settle their headers once frames went through. */
    if (!err && !in_band && (enc->extradata_size != r->canonical_size ||
                             memcmp(enc->extradata, r->canonical_extradata, (size_t)r->canonical_size)))
        *config_ok = false;
    encoder_close(&enc);
    if (!err && *config_ok && (ec->nb_packets == 0 || !(ec->packets[0]->flags & AV_PKT_FLAG_KEY)))
        err = LADDER_EENCODER;
    /* AV1: the sequence header the segment's first key frame carries is
     * what a decoder (and a player switching renditions) configures from;
     * it must be the one in the init segment's av1C. */
    if (!err && *config_ok && in_band)
        *config_ok = ladder_av1_same_sequence_header(ec->packets[0]->data, (size_t)ec->packets[0]->size,
                                                     r->canonical_extradata, (size_t)r->canonical_size);
    return err;
}

/* The encoder runs in this thread (thread_count 1, no lookahead thread),
 * so this thread's CPU time is the encode's cost, whatever else ran. */
static double thread_cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void worker_loop(ladder_session *s, const ladder_lease *lease)
{
    int rung = -1;
    for (;;) {
        ladder_chunk *chunk = NULL;
        if (ladder_chunk_queue_pop(s->queue, &rung, s->job.helpers, &chunk) || !chunk)
            return;
        rung_ctx *r = &s->rungs[chunk->rung];
        chunk->attempts++;
        bool perturb = s->job.invariant_fault_every > 0 && chunk->attempts == 1 &&
                       (chunk->index + 1) % s->job.invariant_fault_every == 0;

        pthread_mutex_lock(&s->progress_lock);
        if (r->state == LADDER_RUNG_PENDING)
            r->state = LADDER_RUNG_RUNNING;
        snprintf(r->last_device, sizeof(r->last_device), "%s", lease->name);
        pthread_mutex_unlock(&s->progress_lock);

        encoded_chunk *ec = calloc(1, sizeof(*ec));
        if (!ec) {
            session_fail(s, LADDER_ENOMEM, "rung %s chunk %d: out of memory", r->cfg.name, chunk->index);
            chunk_free(chunk);
            return;
        }
        ec->index = chunk->index;
        ec->by_helper = chunk->by_helper;
        snprintf(ec->device, sizeof(ec->device), "%s", lease->name);

        double t0 = session_now(), cpu0 = thread_cpu_seconds();
        bool config_ok = false;
        chunk_rate rate = rate_control_plan(s, r);
        int err = encode_chunk(s, r, chunk, perturb, &rate, ec, &config_ok);
        double seconds = session_now() - t0, cpu_seconds = thread_cpu_seconds() - cpu0;
        if (err) {
            encoded_chunk_free(ec);
            session_fail(s, err, "rung %s chunk %d device %s: encode failed: %s",
                         r->cfg.name, chunk->index, lease->name, ladder_strerror(err));
            chunk_free(chunk);
            return;
        }
        if (!config_ok) {
            encoded_chunk_free(ec);
            rate_control_record(s, r, &rate, chunk->payload, NULL);
            pthread_mutex_lock(&s->progress_lock);
            r->invariant_requeues++;
            pthread_mutex_unlock(&s->progress_lock);
            session_log(s, LADDER_LOG_WARNING,
                        "rung=%s chunk=%d device=%s event=invariant_requeue attempt=%d "
                        "reason=decoder configuration differs from the rung's",
                        r->cfg.name, chunk->index, lease->name, chunk->attempts);
            if (chunk->attempts >= 3) {
                session_fail(s, LADDER_EENCODER,
                             "rung %s chunk %d: encoder keeps producing a different decoder configuration",
                             r->cfg.name, chunk->index);
                chunk_free(chunk);
                return;
            }
            ladder_chunk_queue_requeue(s->queue, chunk);
            continue;
        }
        int nb_frames = chunk->nb_frames;
        char how[48] = "";
        if (rate.use_crf)
            snprintf(how, sizeof(how), " crf=%.2f", rate.crf);
        else if (rate.bitrate_bps)
            snprintf(how, sizeof(how), " abr_kbps=%lld", (long long)(rate.bitrate_bps / 1000));
        session_log(s, LADDER_LOG_DEBUG,
                    "rung=%s chunk=%d device=%s event=encoded frames=%d bytes=%lld seconds=%.3f helper=%d%s",
                    r->cfg.name, chunk->index, lease->name, nb_frames, (long long)ec->bytes, seconds,
                    chunk->by_helper, how);
        rate_control_record(s, r, &rate, chunk->payload, ec);
        /* Free the raw frames before releasing their bytes from the budget. */
        chunk_frames_free(chunk->payload);
        chunk->payload = NULL;
        ladder_chunk_queue_done(s->queue, chunk, seconds);
        bool by_helper = chunk->by_helper;
        free(chunk);

        pthread_mutex_lock(&s->progress_lock);
        r->frames_done += nb_frames;
        r->encode_seconds += seconds;
        r->encode_cpu_seconds += cpu_seconds;
        r->chunks++;
        r->chunks_by_helpers += by_helper;
        pthread_mutex_unlock(&s->progress_lock);

        int index = ec->index;
        err = finalizer_submit(r, ec);
        if (err) {
            session_fail(s, err, "rung %s: writing segment for chunk %d failed: %s",
                         r->cfg.name, index, ladder_strerror(err));
            return;
        }
        session_progress(s, r);
    }
}

void *encode_worker_main(void *arg)
{
    ladder_session *s = arg;
    ladder_lease lease;
    if (ladder_lease_pool_acquire(s->leases, &lease))
        return NULL;
    worker_loop(s, &lease);
    ladder_lease_pool_release(s->leases, &lease);
    return NULL;
}
