/*
 * Per-rung scaler thread: takes frame references from the decode pump,
 * applies the rung's frame-rate cap, scales (or, at source size and format,
 * just keeps the reference: no copy), and groups frames into chunks at the
 * boundaries the pump chose on the source timeline. Each frame's bytes are
 * reserved against the chunk queue's memory budget before its memory is
 * taken (this thread may wait there); complete chunks go to the queue.
 *
 * A cuda_frames rung's chunk keeps its scaled pictures in GPU memory when
 * the rung's GPU budget (gpu_budget.h) has room for a whole chunk as the
 * chunk starts; those CUDA frames are not host memory and take no host
 * budget. Otherwise, or past the budget, pictures are downloaded here and
 * held against the host budget like any other.
 */
#include "rung_scaler.h"

#include <stdlib.h>

#include "chunk_queue.h"
#include "ladder/error.h"
#include "frame_fifo.h"
#include "frame_pool.h"
#include "gpu_scale.h"
#include "session.h"

void chunk_frames_free(chunk_frames *cf)
{
    if (!cf)
        return;
    for (int i = 0; i < cf->nb; i++)
        av_frame_free(&cf->frames[i]);
    if (cf->gpu_frames > 0 && cf->gpu_in_use)
        atomic_fetch_sub(cf->gpu_in_use, cf->gpu_frames);
    free(cf->frames);
    free(cf->durations);
    free(cf);
}

void chunk_free(ladder_chunk *c)
{
    if (!c)
        return;
    chunk_frames_free(c->payload);
    free(c);
}

void rung_scaler_close(rung_scaler *sc)
{
    sws_freeContext(sc->sws);
    sc->sws = NULL;
    gpu_scale_close(&sc->graph);
    ladder_frame_pool_close(sc->pool);
    sc->pool = NULL;
    chunk_free(sc->building);
    sc->building = NULL;
}

static int chunk_append(ladder_chunk *c, AVFrame *frame)
{
    chunk_frames *cf = c->payload;
    if (cf->nb == cf->cap) {
        int cap = cf->cap ? cf->cap * 2 : 64;
        AVFrame **frames = realloc(cf->frames, (size_t)cap * sizeof(*frames));
        if (!frames)
            return LADDER_ENOMEM;
        cf->frames = frames;
        int64_t *durations = realloc(cf->durations, (size_t)cap * sizeof(*durations));
        if (!durations)
            return LADDER_ENOMEM;
        cf->durations = durations;
        cf->cap = cap;
    }
    if (cf->nb > 0)
        cf->durations[cf->nb - 1] = frame->pts - cf->frames[cf->nb - 1]->pts;
    cf->frames[cf->nb] = frame;
    cf->durations[cf->nb] = 0;
    cf->nb++;
    c->nb_frames = cf->nb;
    return 0;
}

static int chunk_begin(rung_ctx *r, int index)
{
    ladder_chunk *c = calloc(1, sizeof(*c));
    chunk_frames *cf = calloc(1, sizeof(*cf));
    if (!c || !cf) {
        free(c);
        free(cf);
        return LADDER_ENOMEM;
    }
    c->rung = r->index;
    c->index = index;
    c->payload = cf;
    cf->gpu_in_use = &r->gpu.frames_in_use;
    r->scaler.building = c;
    /* Decided once per chunk: a chunk that starts with room for all of it
     * stays whole on the GPU (NVENC reads it as it is). */
    r->scaler.building_on_gpu = r->gpu.cuda_frames &&
                         atomic_load(&r->gpu.frames_in_use) + r->gpu.chunk_frames <= r->gpu.frames_max;
    return 0;
}

/* Close the chunk being built; last_duration is its last frame's duration. */
static int chunk_complete(rung_ctx *r, int64_t last_duration)
{
    ladder_chunk *c = r->scaler.building;
    r->scaler.building = NULL;
    if (!c)
        return 0;
    chunk_frames *cf = c->payload;
    if (cf->nb == 0) {
        ladder_chunk_queue_unreserve(r->session->queue, c);
        chunk_free(c);
        return 0;
    }
    cf->durations[cf->nb - 1] = last_duration > 0 ? last_duration : 1;
    int err = ladder_chunk_queue_push(r->session->queue, c);
    if (err) {
        ladder_chunk_queue_unreserve(r->session->queue, c);
        chunk_free(c);
    }
    return err;
}

static AVFrame *scale_frame_cpu(rung_ctx *r, const AVFrame *src, int *err);

/* A decoded picture to the rung: on the GPU when it is there (scaled, and
 * left there for NVENC when keep_on_gpu, else downloaded, then at most a
 * format change here), else swscale. */
static AVFrame *scale_frame(rung_ctx *r, const AVFrame *src, bool keep_on_gpu, int *err)
{
    if (src->format != AV_PIX_FMT_CUDA)
        return scale_frame_cpu(r, src, err);
    AVFrame *down = gpu_scale_frame(r, src, err);
    if (!down || keep_on_gpu)
        return down;
    if (down->format == AV_PIX_FMT_CUDA) {
        /* A cuda_frames graph has no hwdownload: this chunk is over the
         * rung's GPU budget. */
        AVFrame *cuda = down;
        down = gpu_frame_download(cuda);
        av_frame_free(&cuda);
        if (!down) {
            *err = LADDER_ENOMEM;
            return NULL;
        }
    }
    AVFrame *out = scale_frame_cpu(r, down, err);
    av_frame_free(&down);
    return out;
}

/* Whether this picture's scaled frame stays on the GPU: a CUDA picture, in
 * a chunk that does, with a frame of the rung's GPU budget left (only this
 * thread takes; workers give back). Taken here, so counted before made. */
static bool take_gpu_frame(rung_ctx *r, const AVFrame *src)
{
    if (src->format != AV_PIX_FMT_CUDA || !r->scaler.building_on_gpu ||
        atomic_load(&r->gpu.frames_in_use) >= r->gpu.frames_max)
        return false;
    atomic_fetch_add(&r->gpu.frames_in_use, 1);
    return true;
}

static AVFrame *scale_frame_cpu(rung_ctx *r, const AVFrame *src, int *err)
{
    *err = 0;
    if (src->width == r->width && src->height == r->height && src->format == r->pix_fmt) {
        AVFrame *ref = av_frame_clone(src);   /* shares the decoded buffers */
        if (!ref)
            *err = LADDER_ENOMEM;
        return ref;
    }
    r->scaler.sws = sws_getCachedContext(r->scaler.sws, src->width, src->height, src->format,
                                  r->width, r->height, r->pix_fmt,
                                  SWS_BICUBIC, NULL, NULL, NULL);
    if (!r->scaler.pool && ladder_frame_pool_init(&r->scaler.pool, r->width, r->height, r->pix_fmt)) {
        *err = LADDER_ENOMEM;
        return NULL;
    }
    AVFrame *dst = r->scaler.sws ? ladder_frame_pool_get(r->scaler.pool) : NULL;
    if (!dst) {
        *err = LADDER_ENOMEM;
        return NULL;
    }
    sws_scale(r->scaler.sws, (const uint8_t *const *)src->data, src->linesize, 0, src->height,
              dst->data, dst->linesize);
    dst->pts = src->pts;
    return dst;
}

/* A frame of a kept chunk: done already, as far as progress goes. */
static void skip_kept_frame(rung_ctx *r, int64_t pts)
{
    ladder_session *s = r->session;
    r->scaler.last_kept_pts = pts;
    pthread_mutex_lock(&s->progress_lock);
    r->progress.frames_done++;
    pthread_mutex_unlock(&s->progress_lock);
}

void *rung_scaler_main(void *arg)
{
    rung_ctx *r = arg;
    ladder_session *s = r->session;
    int err = 0;

    for (;;) {
        ladder_fifo_item item;
        if (ladder_frame_fifo_pop(r->input, &item))
            break;                /* aborted: the session is failing */
        if (!item.frame) {
            err = chunk_complete(r, r->scaler.source_end - r->scaler.last_kept_pts);
            break;
        }
        AVFrame *src = item.frame;
        /* Where the source frame ends: it bounds the duration of the last
         * kept frame, dropped frames (frame-rate cap) included. */
        int64_t src_duration = src->pkt_duration > 0 ? src->pkt_duration
                                                     : s->nominal_frame_ticks;
        if (src->pts + src_duration > r->scaler.source_end)
            r->scaler.source_end = src->pts + src_duration;
        if (item.chunk < r->kept_chunks) {
            /* Resumed: this chunk's segment is kept. The frame-rate cap
             * still sees the frames it would have kept, so the first chunk
             * made again starts as it did in the interrupted run. */
            bool kept = item.starts_chunk || !(r->min_frame_ticks > 0 &&
                                               src->pts - r->scaler.last_kept_pts < r->min_frame_ticks);
            if (kept)
                skip_kept_frame(r, src->pts);
            av_frame_free(&src);
            continue;
        }
        if (item.starts_chunk) {
            err = chunk_complete(r, src->pts - r->scaler.last_kept_pts);
            if (!err)
                err = chunk_begin(r, item.chunk);
        } else if (r->min_frame_ticks > 0 && src->pts - r->scaler.last_kept_pts < r->min_frame_ticks) {
            /* Over the rung's frame-rate cap. A chunk's first frame is always
             * kept, so boundaries stay aligned with the other rungs. */
            av_frame_free(&src);
            continue;
        }
        if (err || !r->scaler.building) {
            av_frame_free(&src);
            if (!err)
                err = LADDER_EINTERNAL;
            break;
        }
        /* Before the frame's memory is taken: waiting here is the
         * back-pressure (a frame kept on the GPU is in the GPU budget). */
        bool on_gpu = take_gpu_frame(r, src);
        err = on_gpu ? 0 : ladder_chunk_queue_reserve(s->queue, r->scaler.building, r->frame_bytes);
        if (err) {
            av_frame_free(&src);
            break;
        }
        AVFrame *out = scale_frame(r, src, on_gpu, &err);
        av_frame_free(&src);
        if (!err)
            err = chunk_append(r->scaler.building, out);
        if (err) {
            av_frame_free(&out);
            if (on_gpu)
                atomic_fetch_sub(&r->gpu.frames_in_use, 1);
            break;
        }
        r->scaler.last_kept_pts = out->pts;
        ((chunk_frames *)r->scaler.building->payload)->gpu_frames += on_gpu;
    }

    if (r->scaler.building) {
        ladder_chunk_queue_unreserve(s->queue, r->scaler.building);
        chunk_free(r->scaler.building);
        r->scaler.building = NULL;
    }
    if (err && err != LADDER_ECANCELED)
        session_fail(s, err, "rung %s: scaler failed: %s", r->cfg.name, ladder_strerror(err));
    if (!err)
        ladder_chunk_queue_finish_rung(s->queue, r->index);
    return NULL;
}
