/*
 * The source's video decoder: on the job's decode device (NVDEC through
 * libavcodec's CUDA hwaccel, Intel Quick Sync through libavcodec's *_qsv
 * decoders, or the fault drill), switched to the CPU on the first hardware
 * error without losing a frame.
 *
 * Why a replay and not a restart: the rungs have already been handed every
 * frame up to the failure, and a CPU decoder can only start at a key frame.
 * So while on the device every packet since the key frame before the last
 * one is kept (compressed: a few MB), a switch sends them to the new
 * decoder, and frames up to the last one given out are skipped. Two GOPs,
 * not one: a decoder with reordering delay may not yet have returned the
 * frames before the latest key frame when it fails.
 *
 * NVDEC surfaces. In FFmpeg 5.1 an NVDEC picture is one of the decoder's
 * own surfaces, mapped, from a pool of fixed size (nvdec_surfaces.h), so
 * every reference ladder keeps is a surface the decoder cannot use. They
 * are kept by the rungs' FIFOs, the rungs' scalers (one each, while it
 * scales or waits for the memory budget) and the pump (pump_state.held,
 * the picture a gap repeats); the packet history holds packets, not
 * pictures, and no chunk holds one (gpu_scale.c never passes the decoded
 * picture through). With the source rotated the pump downloads each
 * picture at once (rotate.c). get_format asks for extra_hw_frames so that
 * what they can hold fits beside the decoder's own surfaces, and every
 * picture handed out carries a counted reference (its opaque_ref, which
 * libavutil shares between a frame's references and drops with the last):
 * before each call that may decode, the pump waits until ladder holds no
 * more pictures than the pool leaves it, which can only bind where
 * NVDEC's 32-surface limit stopped the extra from covering the FIFOs.
 *
 * NVDEC pictures freed on other threads (issue 16, 9). The last reference
 * to a picture goes on a scaler's thread, or the pump's; a worker never
 * has one. libavcodec's nvdec.c then unmaps it in that thread
 * (nvdec_unmap_mapped_frame(): cuCtxPushCurrent of the decoder's context,
 * cuvidUnmapVideoFrame, cuCtxPopCurrent), and the last picture to outlive
 * a decoder (after a switch to the CPU) destroys it there the same way
 * (nvdec_decoder_free()). That needs no CUvideoctxlock: FFmpeg creates the
 * decoder with vidLock NULL and ulCreationFlags 0 (cudaVideoCreate_Default,
 * the video engines), and cuviddec.h asks for the lock only for
 * cudaVideoCreate_PreferCUDA and calls it an alternative to
 * cuCtxPushCurrent/PopCurrent, which nvdec.c already does around every
 * call; the surface's index goes back to an AVBufferPool, which has its
 * own lock. NVIDIA's NVDEC programming guide ("Writing an efficient
 * application") itself suggests calling cuvidMapVideoFrame on another
 * thread than cuvidDecodePicture. So ladder frees NVDEC pictures wherever
 * it is done with them.
 */
#include "video_decoder.h"

#include <string.h>
#include <time.h>

#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "ladder/error.h"
#include "decoder_name.h"
#include "gpu_scale.h"
#include "nvdec_surfaces.h"
#include "qsv_device.h"
#include "session.h"

/* Past this the oldest packets go: a switch then misses frames (logged). */
#define HISTORY_MAX_BYTES ((size_t)256 << 20)

/*
 * The CPU decoder's pictures come from a huge-page slab pool: the top rung
 * keeps references to them for whole chunks (no copy), so hundreds are
 * alive at a time, and libavcodec's default pool would zero and fault in
 * every one of them (see frame_pool.h). Pictures of another size or format
 * than the stream started with fall back to the default allocator.
 */
static int decoder_get_buffer(AVCodecContext *ctx, AVFrame *frame, int flags)
{
    ladder_session *s = ctx->opaque;
    int w = frame->width, h = frame->height;
    int align[AV_NUM_DATA_POINTERS] = { 0 };
    if (frame->format < 0 || w <= 0 || h <= 0)
        return avcodec_default_get_buffer2(ctx, frame, flags);
    avcodec_align_dimensions2(ctx, &w, &h, align);
    /* Only the first four entries are filled in. */
    for (int i = 0; i < 4; i++)
        if (align[i] > 64)
            return avcodec_default_get_buffer2(ctx, frame, flags);

    pthread_mutex_lock(&s->dec_pool_lock);
    if (!s->dec_pool && ladder_frame_pool_init(&s->dec_pool, w, h, frame->format))
        s->dec_pool = NULL;
    ladder_frame_pool *pool = s->dec_pool;
    pthread_mutex_unlock(&s->dec_pool_lock);
    int pw, ph, pf;
    if (pool)
        ladder_frame_pool_geometry(pool, &pw, &ph, &pf);
    if (!pool || pw != w || ph != h || pf != frame->format)
        return avcodec_default_get_buffer2(ctx, frame, flags);
    return ladder_frame_pool_attach(pool, frame) ? AVERROR(ENOMEM) : 0;
}

static const char *device_name(const ladder_session *s)
{
    return s->job.decode.name[0] ? s->job.decode.name : "cpu";
}

static AVCodecContext *alloc_context(ladder_session *s, const AVCodec *codec)
{
    AVStream *st = s->in->streams[s->video_stream];
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    if (!ctx || avcodec_parameters_to_context(ctx, st->codecpar) < 0) {
        avcodec_free_context(&ctx);
        return NULL;
    }
    ctx->pkt_timebase = st->time_base;
    ctx->opaque = s;
    return ctx;
}

/* The CPU decoder (also the fault drill's "device"). */
static int open_cpu(ladder_session *s)
{
    video_decoder *vd = &s->vdec;
    AVCodecContext *ctx = alloc_context(s, vd->codec);
    if (!ctx) {
        session_fail(s, LADDER_ENOMEM, "input '%s': out of memory", s->input);
        return LADDER_ENOMEM;
    }
    ctx->thread_count = 0;    /* decoder threads on: it feeds every rung */
    if (vd->codec->capabilities & AV_CODEC_CAP_DR1)
        ctx->get_buffer2 = decoder_get_buffer;
    if (avcodec_open2(ctx, vd->codec, NULL) < 0) {
        avcodec_free_context(&ctx);
        session_fail(s, LADDER_ECODEC, "input '%s': cannot open the %s decoder", s->input, vd->codec->name);
        return LADDER_ECODEC;
    }
    vd->ctx = ctx;
    return 0;
}

/*
 * extra_hw_frames for this stream (nvdec_surfaces.h). libavcodec reads it
 * when get_format has picked CUDA (nvdec_init_hwframes() through
 * avcodec_get_hw_frames_parameters()), which is also the first moment the
 * stream's dpb is known: the same call, made here with no extra asked,
 * gives ff_nvdec_frame_params()'s dpb + 2 (one decoder thread: no
 * surfaces per frame thread). A stream that changes size comes back here.
 */
static void size_nvdec_surfaces(AVCodecContext *ctx)
{
    ladder_session *s = ctx->opaque;
    video_decoder *vd = &s->vdec;
    AVBufferRef *frames = NULL;
    ctx->extra_hw_frames = 0;
    if (avcodec_get_hw_frames_parameters(ctx, ctx->hw_device_ctx, AV_PIX_FMT_CUDA, &frames) < 0)
        return;                   /* the hwaccel's own set-up will fail and say why */
    int dpb = ((AVHWFramesContext *)frames->data)->initial_pool_size - 2;
    av_buffer_unref(&frames);
    nvdec_holders holders = {
        .fifo_capacity = FRAME_FIFO_CAPACITY,
        .nb_rungs = s->nb_rungs,
        .pump_keeps_last = true,
        .output_aliases_input = false,   /* gpu_scale.c: passthrough=0 */
    };
    int held = nvdec_surfaces_held(&holders);
    nvdec_surface_plan plan;
    nvdec_surfaces_plan(dpb, held, &plan);
    ctx->extra_hw_frames = plan.extra;
    pthread_mutex_lock(&vd->surface_lock);
    vd->surfaces_allowed = plan.allowed;
    vd->surface_pool = plan.pool;
    pthread_mutex_unlock(&vd->surface_lock);
    session_log(s, plan.limited || plan.over_limit ? LADDER_LOG_WARNING : LADDER_LOG_INFO,
                "device=%s event=nvdec_surfaces dpb=%d pool=%d extra=%d held=%d allowed=%d%s", device_name(s),
                dpb, plan.pool, plan.extra, held, plan.allowed,
                plan.over_limit ? " reason=the stream alone needs more than NVDEC's 32 surfaces"
                : plan.limited  ? " reason=NVDEC's 32 surfaces leave ladder fewer pictures than its FIFOs hold: "
                                  "the decoder waits for the rungs"
                                : "");
}

/* libavcodec offers the formats it can decode to; CUDA is the hwaccel. */
static enum AVPixelFormat nvdec_get_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts)
{
    for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++) {
        if (*p == AV_PIX_FMT_CUDA) {
            size_nvdec_surfaces(ctx);
            return *p;
        }
    }
    /* This stream (profile, chroma format) is not one NVDEC takes: the
     * same context decodes it in software; video_decoder_receive() notices
     * the first software picture and says so. */
    return avcodec_default_get_format(ctx, fmts);
}

static bool has_cuda_hwaccel(const AVCodec *codec)
{
    for (int i = 0;; i++) {
        const AVCodecHWConfig *cfg = avcodec_get_hw_config(codec, i);
        if (!cfg)
            return false;
        if (cfg->device_type == AV_HWDEVICE_TYPE_CUDA && (cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX))
            return true;
    }
}

/*
 * codec on vd->hw_device (made by the caller), pictures as get_format
 * picks them; why[] says what failed (0 = opened). One thread: the device
 * decodes asynchronously itself, frame threads would only add copies of
 * the hardware state.
 */
static int open_on_device(ladder_session *s, const AVCodec *codec,
                          enum AVPixelFormat (*get_format)(AVCodecContext *, const enum AVPixelFormat *),
                          const char *engine, char *why, size_t why_size)
{
    video_decoder *vd = &s->vdec;
    AVCodecContext *ctx = alloc_context(s, codec);
    if (!ctx || !(ctx->hw_device_ctx = av_buffer_ref(vd->hw_device))) {
        avcodec_free_context(&ctx);
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    ctx->get_format = get_format;
    ctx->thread_count = 1;
    if (avcodec_open2(ctx, codec, NULL) < 0) {
        avcodec_free_context(&ctx);
        snprintf(why, why_size, "cannot open the %s decoder with %s", codec->name, engine);
        return -1;
    }
    vd->ctx = ctx;
    return 0;
}

/* NVDEC on the job's GPU; why[] says what failed (0 = opened). */
static int open_nvdec(ladder_session *s, char *why, size_t why_size)
{
    video_decoder *vd = &s->vdec;
    /* The native decoder, by name: see decoder_name.h. */
    const char *name = decoder_name(vd->codec->id, LADDER_DECODE_NVDEC);
    const AVCodec *codec = name ? avcodec_find_decoder_by_name(name) : NULL;
    if (!codec)
        codec = vd->codec;
    if (!has_cuda_hwaccel(codec)) {
        snprintf(why, why_size, "this FFmpeg's %s decoder has no CUDA hwaccel", codec->name);
        return -1;
    }
    char index[16];
    snprintf(index, sizeof(index), "%d", s->job.decode.gpu);
    int ret = av_hwdevice_ctx_create(&vd->hw_device, AV_HWDEVICE_TYPE_CUDA, index, NULL, 0);
    if (ret < 0) {
        char msg[128];
        av_strerror(ret, msg, sizeof(msg));
        snprintf(why, why_size, "cannot open CUDA device %s: %s", index, msg);
        return -1;
    }
    return open_on_device(s, codec, nvdec_get_format, "NVDEC", why, why_size);
}

/* libavcodec's Quick Sync decoder of a codec, by name (FFmpeg 5.1 has no
 * QSV hwaccel for its native decoders). */
static const char *qsv_decoder_name(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_H264: return "h264_qsv";
    case AV_CODEC_ID_HEVC: return "hevc_qsv";
    case AV_CODEC_ID_AV1: return "av1_qsv";
    case AV_CODEC_ID_VP9: return "vp9_qsv";
    default: return NULL;
    }
}

/* The QSV decoder offers GPU surfaces (AV_PIX_FMT_QSV) and system memory:
 * system memory, so scalers and encoders see what a CPU decode gives them
 * (NV12, or P010 for 10-bit). */
static enum AVPixelFormat qsv_get_format(AVCodecContext *ctx, const enum AVPixelFormat *fmts)
{
    (void)ctx;
    for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(*p);
        if (d && !(d->flags & AV_PIX_FMT_FLAG_HWACCEL))
            return *p;
    }
    return AV_PIX_FMT_NONE;
}

/* Quick Sync on the job's Intel adapter; why[] says what failed. */
static int open_qsv(ladder_session *s, char *why, size_t why_size)
{
    video_decoder *vd = &s->vdec;
    const char *name = qsv_decoder_name(vd->codec->id);
    const AVCodec *codec = name ? avcodec_find_decoder_by_name(name) : NULL;
    if (!codec) {
        snprintf(why, why_size, "this FFmpeg has no Quick Sync decoder for %s", vd->codec->name);
        return -1;
    }
    char node[32];
    int ret = qsv_device_create(&vd->hw_device, s->job.decode.render_node, node, sizeof(node));
    if (ret < 0) {
        char msg[128];
        av_strerror(ret, msg, sizeof(msg));
        snprintf(why, why_size, "cannot open a Quick Sync session on %s: %.100s", node, msg);
        return -1;
    }
    return open_on_device(s, codec, qsv_get_format, "Quick Sync", why, why_size);
}

static void history_clear(video_decoder *vd)
{
    for (int i = 0; i < vd->nb_history; i++)
        av_packet_free(&vd->history[i]);
    free(vd->history);
    vd->history = NULL;
    vd->nb_history = vd->cap_history = 0;
    vd->last_key = 0;
    vd->history_bytes = 0;
    vd->replay_pos = 0;
}

static void history_drop_front(video_decoder *vd, int n)
{
    for (int i = 0; i < n; i++) {
        vd->history_bytes -= (size_t)vd->history[i]->size;
        av_packet_free(&vd->history[i]);
    }
    memmove(vd->history, vd->history + n, (size_t)(vd->nb_history - n) * sizeof(*vd->history));
    vd->nb_history -= n;
    vd->last_key -= n;
    if (vd->last_key < 0)
        vd->last_key = 0;
}

static int history_push(video_decoder *vd, const AVPacket *pkt)
{
    if (vd->nb_history == vd->cap_history) {
        int cap = vd->cap_history ? vd->cap_history * 2 : 256;
        AVPacket **h = realloc(vd->history, (size_t)cap * sizeof(*h));
        if (!h)
            return LADDER_ENOMEM;
        vd->history = h;
        vd->cap_history = cap;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    if (pkt->flags & AV_PKT_FLAG_KEY) {
        /* Keep from the previous key frame: see the top of the file. */
        history_drop_front(vd, vd->last_key);
        vd->last_key = vd->nb_history;
    }
    vd->history[vd->nb_history++] = copy;
    vd->history_bytes += (size_t)copy->size;
    while (vd->history_bytes > HISTORY_MAX_BYTES && vd->nb_history > 1) {
        history_drop_front(vd, 1);
        vd->history_trimmed = true;
    }
    return 0;
}

/* Leave the device for good: frames from now on come from the CPU. */
static void note_switch(ladder_session *s, const char *why, bool replay)
{
    video_decoder *vd = &s->vdec;
    vd->on_device = false;
    snprintf(s->report.decode_fallback, sizeof(s->report.decode_fallback), "%s", why);
    session_log(s, LADDER_LOG_WARNING,
                "device=%s event=decode_fallback frame=%lld replay_packets=%d input '%s': %s; decoding on the CPU",
                device_name(s), (long long)s->report.decode_frames_device, replay ? vd->nb_history : 0,
                s->input, why);
    if (replay && vd->history_trimmed)
        session_log(s, LADDER_LOG_WARNING,
                    "device=%s event=decode_fallback input '%s': the kept packets did not reach back to a key "
                    "frame: frames before it are missing",
                    device_name(s), s->input);
}

/*
 * The NVDEC pictures ladder holds (see the top of the file). Each picture
 * handed out carries one counted reference in its opaque_ref; libavutil
 * copies it to every reference of the frame (av_frame_ref, clone) and the
 * last one to go releases it, on whichever thread that is. gpu_scale.c
 * drops it from its outputs, which hold no surface.
 */
static void surface_released(void *opaque, uint8_t *data)
{
    (void)data;
    video_decoder *vd = opaque;
    pthread_mutex_lock(&vd->surface_lock);
    vd->surfaces_live--;
    pthread_cond_signal(&vd->surface_freed);
    pthread_mutex_unlock(&vd->surface_lock);
}

static int count_surface(video_decoder *vd, AVFrame *frame)
{
    AVBufferRef *token = av_buffer_create(NULL, 0, surface_released, vd, 0);
    if (!token)
        return LADDER_ENOMEM;
    av_buffer_unref(&frame->opaque_ref);
    frame->opaque_ref = token;
    pthread_mutex_lock(&vd->surface_lock);
    vd->surfaces_live++;
    pthread_mutex_unlock(&vd->surface_lock);
    return 0;
}

static bool session_ending(ladder_session *s)
{
    pthread_mutex_lock(&s->error_lock);
    bool failed = s->error_code != 0;
    pthread_mutex_unlock(&s->error_lock);
    return failed || atomic_load(&s->cancelled) || atomic_load(&s->stopping);
}

/*
 * Before a call that may decode on NVDEC: wait while ladder holds more
 * pictures than the pool leaves it (surfaces_allowed, set by get_format;
 * 0 until then). The scalers free them as they go; a failing or stopped
 * session may leave pictures in aborted FIFOs, so the wait also looks at
 * the session every 50 ms (only ever reached when NVDEC's limit bound).
 */
static int wait_for_surfaces(ladder_session *s)
{
    video_decoder *vd = &s->vdec;
    if (!vd->surface_gate || !vd->on_device)
        return 0;
    int err = 0;
    pthread_mutex_lock(&vd->surface_lock);
    while (vd->surfaces_allowed > 0 && vd->surfaces_live > vd->surfaces_allowed) {
        pthread_mutex_unlock(&vd->surface_lock);
        bool ending = session_ending(s);
        pthread_mutex_lock(&vd->surface_lock);
        if (ending) {
            err = LADDER_ECANCELED;
            break;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 50 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&vd->surface_freed, &vd->surface_lock, &until);
    }
    pthread_mutex_unlock(&vd->surface_lock);
    return err;
}

/* An NVDEC picture about to be handed out: counted, and the first one
 * sizes the GPU budget (the decoder's surfaces exist by now). */
static int hand_out_nvdec(ladder_session *s, AVFrame *frame)
{
    video_decoder *vd = &s->vdec;
    if (!vd->gpu_budget_planned) {
        vd->gpu_budget_planned = true;
        gpu_budget_start(s, frame, vd->surface_pool);
    }
    /* A rotated picture comes down in the pump before anything else
     * (rotate.c): ladder keeps no surface of it. */
    if (s->rotation || !vd->surface_gate)
        return 0;
    int err = count_surface(vd, frame);
    if (err)
        session_fail(s, err, "input '%s': out of memory", s->input);
    return err;
}

/* A hardware failure: a CPU decoder takes over where the device stopped. */
static int switch_to_cpu(ladder_session *s, const char *why)
{
    video_decoder *vd = &s->vdec;
    note_switch(s, why, true);
    avcodec_free_context(&vd->ctx);
    av_buffer_unref(&vd->hw_device);
    int err = open_cpu(s);
    if (err)
        return err;
    vd->replay_pos = 0;
    vd->flush_sent = false;
    vd->skipping = vd->have_last_ts;
    s->report.decode_replayed_packets += vd->nb_history;
    return 0;
}

int video_decoder_open(ladder_session *s, AVStream *st)
{
    video_decoder *vd = &s->vdec;
    /* The CPU's decoder, also the one a switch from the device opens. */
    const char *cpu_name = decoder_name(st->codecpar->codec_id, LADDER_DECODE_CPU);
    vd->codec = cpu_name ? avcodec_find_decoder_by_name(cpu_name) : NULL;
    if (!vd->codec)
        vd->codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!vd->codec) {
        session_fail(s, LADDER_ECODEC, "input '%s': no decoder for video codec '%s'", s->input,
                     avcodec_get_name(st->codecpar->codec_id));
        return LADDER_ECODEC;
    }
    s->report.decode = s->job.decode;
    if (!s->report.decode.name[0])
        snprintf(s->report.decode.name, sizeof(s->report.decode.name), "cpu");

    if (s->job.decode.kind == LADDER_DECODE_NVDEC) {
        pthread_mutex_init(&vd->surface_lock, NULL);
        pthread_cond_init(&vd->surface_freed, NULL);
        vd->surface_gate = true;
    }
    switch (s->job.decode.kind) {
    case LADDER_DECODE_NVDEC:
    case LADDER_DECODE_QSV: {
        char why[192];
        int opened = s->job.decode.kind == LADDER_DECODE_NVDEC ? open_nvdec(s, why, sizeof(why))
                                                                : open_qsv(s, why, sizeof(why));
        if (opened == 0) {
            vd->on_device = true;
            break;
        }
        avcodec_free_context(&vd->ctx);
        av_buffer_unref(&vd->hw_device);
        note_switch(s, why, false);
        return open_cpu(s);
    }
    case LADDER_DECODE_FAULT: {
        int err = open_cpu(s);
        if (err)
            return err;
        vd->on_device = true;
        break;
    }
    default:
        return open_cpu(s);
    }
    session_log(s, LADDER_LOG_INFO, "device=%s event=decode_device input '%s': %s", device_name(s), s->input,
                s->job.decode.reason[0] ? s->job.decode.reason : "decoding on the device");
    return 0;
}

int video_decoder_send(ladder_session *s, const AVPacket *pkt, int64_t *errors)
{
    video_decoder *vd = &s->vdec;
    int err = wait_for_surfaces(s);
    if (err)
        return err;
    if (!pkt) {
        vd->flushing = true;
        vd->flush_sent = true;
        avcodec_send_packet(vd->ctx, NULL);
        return 0;
    }
    if (vd->on_device) {
        err = history_push(vd, pkt);
        if (err) {
            session_fail(s, err, "input '%s': out of memory", s->input);
            return err;
        }
    }
    int ret = avcodec_send_packet(vd->ctx, pkt);
    if (ret >= 0 || ret == AVERROR(EAGAIN))
        return 0;
    if (vd->on_device) {
        char why[192], msg[128];
        av_strerror(ret, msg, sizeof(msg));
        snprintf(why, sizeof(why), "hardware decode error (%s)", msg);
        /* The packet is in the history: the CPU decoder gets it. */
        return switch_to_cpu(s, why);
    }
    (*errors)++;
    return 0;
}

int video_decoder_receive(ladder_session *s, AVFrame *frame, int64_t *errors)
{
    video_decoder *vd = &s->vdec;
    for (;;) {
        int err = wait_for_surfaces(s);
        if (err)
            return err;
        int ret = avcodec_receive_frame(vd->ctx, frame);
        if (ret == 0) {
            int64_t ts = frame->best_effort_timestamp;
            if (vd->skipping && ts != AV_NOPTS_VALUE && ts <= vd->last_ts) {
                /* Given out before the switch. */
                av_frame_unref(frame);
                continue;
            }
            vd->skipping = false;
            if (vd->on_device && s->job.decode.kind == LADDER_DECODE_FAULT &&
                s->report.decode_frames_device >= s->job.decode.fail_after) {
                av_frame_unref(frame);
                err = switch_to_cpu(s, "drill: the fault device failed");
                if (err)
                    return err;
                continue;
            }
            if (vd->on_device && s->job.decode.kind == LADDER_DECODE_NVDEC && frame->format != AV_PIX_FMT_CUDA) {
                /* get_format settled for software: nothing to replay. */
                note_switch(s, "NVDEC does not take this stream (profile or chroma format)", false);
                history_clear(vd);
            }
            if (vd->on_device)
                s->report.decode_frames_device++;
            else
                s->report.decode_frames_cpu++;
            if (ts != AV_NOPTS_VALUE) {
                vd->last_ts = ts;
                vd->have_last_ts = true;
            }
            if (frame->format == AV_PIX_FMT_CUDA && (err = hand_out_nvdec(s, frame))) {
                av_frame_unref(frame);
                return err;
            }
            return 1;
        }
        if (ret == AVERROR(EAGAIN)) {
            if (!vd->on_device && vd->replay_pos < vd->nb_history) {
                if (avcodec_send_packet(vd->ctx, vd->history[vd->replay_pos++]) < 0)
                    (*errors)++;
                if (vd->replay_pos == vd->nb_history)
                    history_clear(vd);
                continue;
            }
            if (vd->flushing && !vd->flush_sent) {
                vd->flush_sent = true;
                avcodec_send_packet(vd->ctx, NULL);
                continue;
            }
            return 0;
        }
        if (ret == AVERROR_EOF)
            return 0;
        if (vd->on_device) {
            char why[192], msg[128];
            av_strerror(ret, msg, sizeof(msg));
            snprintf(why, sizeof(why), "hardware decode error (%s)", msg);
            err = switch_to_cpu(s, why);
            if (err)
                return err;
            continue;
        }
        (*errors)++;
        return 0;
    }
}

void video_decoder_close(video_decoder *vd)
{
    history_clear(vd);
    avcodec_free_context(&vd->ctx);
    av_buffer_unref(&vd->hw_device);
    /* After every picture is gone (the session frees its FIFOs, graphs
     * and chunks first): no release can come any more. */
    if (vd->surface_gate) {
        pthread_mutex_destroy(&vd->surface_lock);
        pthread_cond_destroy(&vd->surface_freed);
        vd->surface_gate = false;
    }
}
