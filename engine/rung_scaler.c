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
 *
 * A cascaded rung (rung_scaler_plan()) is fed by a larger rung's scaler
 * instead of the pump: that scaler passes on a reference to every picture
 * it made, kept chunks included (there it scales them for the rungs it
 * feeds only, or passes the source's on when none needs them), and the end
 * of the stream after its last chunk.
 */
#include "rung_scaler.h"

#include <stdlib.h>

#include <libavutil/pixdesc.h>

#include "chunk_queue.h"
#include "ladder/error.h"
#include "frame_fifo.h"
#include "frame_pool.h"
#include "gpu_scale.h"
#include "session.h"

/* A cascaded rung's scaler: a second bicubic pass blurs what the first one
 * left (0.2-0.9 dB PSNR below direct bicubic against a lanczos/spline
 * reference); lanczos from a picture 2 to 2.5 times as large stays above
 * direct bicubic, and costs less (benches/RESULTS.md "Cascade scaling"). */
#define CASCADE_SWS_FLAGS SWS_LANCZOS

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
                                  r->scaler.feed.cascaded ? CASCADE_SWS_FLAGS : SWS_BICUBIC,
                                  NULL, NULL, NULL);
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

/* Whether rung r is the size of the pictures the pump hands out (upright):
 * the source's own pictures, or only their format changed. */
static bool source_sized(const ladder_session *s, const rung_ctx *r)
{
    bool turned = s->rotation == 90 || s->rotation == 270;
    int w = turned ? s->src_h : s->src_w, h = turned ? s->src_w : s->src_h;
    return r->width == w && r->height == h;
}

/* Whether rung r may take another rung's pictures at all: pictures in
 * system memory, a 4:2:0 source of r's bit depth (a cascade must not
 * round through a shallower depth or a coarser chroma than direct
 * scaling), and r smaller than the source. */
static bool may_cascade(const ladder_session *s, const rung_ctx *r)
{
    if (s->job.no_cascade || s->job.decode.kind == LADDER_DECODE_NVDEC || source_sized(s, r))
        return false;
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(s->src_pix_fmt);
    return d && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_HWACCEL)) && d->nb_components >= 3 &&
           d->log2_chroma_w == 1 && d->log2_chroma_h == 1 && d->comp[0].depth == r->bit_depth;
}

/* Whether p is 2 to 2.5 times r's size each way: where a lanczos pass
 * from p measured at or above direct bicubic on every source (3x and more
 * did not everywhere: 1280x720 -> 426x240 was 0.12 dB under). */
static bool measured_ratio(int big, int small)
{
    return big >= 2 * small && 2 * big <= 5 * small;
}

/* Whether p, fed by the pump, can feed r: p is smaller than the source
 * (else r would get the source's pictures with a costlier filter), keeps
 * every source frame (a capped p would starve r of frames it keeps), has
 * r's format, and is r's size or 2 to 2.5 times it (the measured rule). */
static bool can_feed(const ladder_session *s, const rung_ctx *p, const rung_ctx *r)
{
    if (p->scaler.feed.cascaded || p->pix_fmt != r->pix_fmt || p->min_frame_ticks > 0 ||
        source_sized(s, p))
        return false;
    bool same = p->width == r->width && p->height == r->height;
    return same || (measured_ratio(p->width, r->width) && measured_ratio(p->height, r->height));
}

static int64_t area(const rung_ctx *r)
{
    return (int64_t)r->width * r->height;
}

void rung_scaler_plan(ladder_session *s)
{
    int order[LADDER_MAX_RUNGS], n = 0;
    /* Largest first (the job's order among equals): every rung that may
     * feed r is decided before r. */
    for (int i = 0; i < s->nb_rungs && i < LADDER_MAX_RUNGS; i++) {
        int k = n++;
        while (k > 0 && area(&s->rungs[order[k - 1]]) < area(&s->rungs[i])) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    for (int i = 0; i < n; i++) {
        rung_ctx *r = &s->rungs[order[i]];
        rung_ctx *from = NULL;
        for (int j = 0; j < i && may_cascade(s, r); j++) {
            rung_ctx *p = &s->rungs[order[j]];
            if (can_feed(s, p, r) && (!from || area(p) < area(from)))
                from = p;
        }
        if (!from)
            continue;
        r->scaler.feed.cascaded = true;
        r->scaler.feed.parent = from->index;
        from->scaler.feed.children[from->scaler.feed.nb_children++] = r->index;
        snprintf(s->report.rungs[r->index].scaled_from, sizeof(s->report.rungs[r->index].scaled_from), "%s",
                 from->cfg.name);
        bool same = from->width == r->width && from->height == r->height;
        session_log(s, LADDER_LOG_INFO, "rung=%s event=cascade from=%s scaler=%s", r->cfg.name,
                    from->cfg.name, same ? "none (same size)" : "lanczos");
    }
}

bool rung_fed_by_pump(const rung_ctx *r)
{
    return !r->scaler.feed.cascaded;
}

/* A reference to pic for every rung this one feeds, as the pump would
 * have sent src (its duration bounds their last frame's). */
static int feed_children(rung_ctx *r, const ladder_fifo_item *item, const AVFrame *pic, const AVFrame *src)
{
    const rung_feed *f = &r->scaler.feed;
    for (int k = 0; k < f->nb_children; k++) {
        AVFrame *ref = av_frame_clone(pic);
        if (!ref)
            return LADDER_ENOMEM;
        ref->pkt_duration = src->pkt_duration;
        ladder_fifo_item fwd = { .frame = ref, .chunk = item->chunk, .starts_chunk = item->starts_chunk };
        if (ladder_frame_fifo_push(r->session->rungs[f->children[k]].input, fwd)) {
            av_frame_free(&ref);
            return LADDER_ECANCELED;
        }
    }
    return 0;
}

/* The end of the stream, after this rung's last picture. */
static int feed_children_end(rung_ctx *r)
{
    const rung_feed *f = &r->scaler.feed;
    for (int k = 0; k < f->nb_children; k++)
        if (ladder_frame_fifo_push(r->session->rungs[f->children[k]].input, (ladder_fifo_item){ .frame = NULL }))
            return LADDER_ECANCELED;
    return 0;
}

/* A frame of this rung's kept chunks, for the rungs it feeds: scaled when
 * one of them makes that chunk again (its kept segments may be fewer),
 * else the source's picture (they only count it). Not held against the
 * budget: it lives in their FIFOs only. */
static int feed_kept(rung_ctx *r, const ladder_fifo_item *item, const AVFrame *src)
{
    const rung_feed *f = &r->scaler.feed;
    bool needed = false;
    for (int k = 0; k < f->nb_children; k++)
        needed |= item->chunk >= r->session->rungs[f->children[k]].kept_chunks;
    if (!needed)
        return feed_children(r, item, src, src);
    int err = 0;
    AVFrame *pic = scale_frame_cpu(r, src, &err);
    if (!err)
        err = feed_children(r, item, pic, src);
    av_frame_free(&pic);
    return err;
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

/* Over the rung's frame-rate cap: dropped (never a chunk's first frame, so
 * boundaries stay aligned with the other rungs). */
static bool over_cap(const rung_ctx *r, const AVFrame *src)
{
    return r->min_frame_ticks > 0 && src->pts - r->scaler.last_kept_pts < r->min_frame_ticks;
}

/* Resumed: this chunk's segment is kept. The frame-rate cap still sees the
 * frames it would have kept, so the first chunk made again starts as it
 * did in the interrupted run. Takes item->frame. */
static int skip_kept(rung_ctx *r, const ladder_fifo_item *item)
{
    AVFrame *src = item->frame;
    int err = 0;
    if (item->starts_chunk || !over_cap(r, src)) {
        skip_kept_frame(r, src->pts);
        err = feed_kept(r, item, src);
    }
    av_frame_free(&src);
    return err;
}

/* Where the source frame ends: it bounds the duration of the last kept
 * frame, dropped frames (frame-rate cap) included. */
static void note_source_end(rung_ctx *r, const AVFrame *src)
{
    int64_t src_duration = src->pkt_duration > 0 ? src->pkt_duration : r->session->nominal_frame_ticks;
    if (src->pts + src_duration > r->scaler.source_end)
        r->scaler.source_end = src->pts + src_duration;
}

/* One picture from the FIFO into the chunk being built (and on to the
 * rungs this one feeds). Takes item->frame. */
static int take_frame(rung_ctx *r, const ladder_fifo_item *item)
{
    ladder_session *s = r->session;
    AVFrame *src = item->frame;
    note_source_end(r, src);
    if (item->chunk < r->kept_chunks)
        return skip_kept(r, item);
    int err = 0;
    if (item->starts_chunk) {
        err = chunk_complete(r, src->pts - r->scaler.last_kept_pts);
        if (!err)
            err = chunk_begin(r, item->chunk);
    } else if (over_cap(r, src)) {
        av_frame_free(&src);
        return 0;
    }
    if (err || !r->scaler.building) {
        av_frame_free(&src);
        return err ? err : LADDER_EINTERNAL;
    }
    /* Before the frame's memory is taken: waiting here is the
     * back-pressure (a frame kept on the GPU is in the GPU budget). */
    bool on_gpu = take_gpu_frame(r, src);
    err = on_gpu ? 0 : ladder_chunk_queue_reserve(s->queue, r->scaler.building, r->frame_bytes);
    if (err) {
        av_frame_free(&src);
        return err;
    }
    AVFrame *out = scale_frame(r, src, on_gpu, &err);
    if (!err)
        err = feed_children(r, item, out, src);
    av_frame_free(&src);
    if (!err)
        err = chunk_append(r->scaler.building, out);
    if (err) {
        av_frame_free(&out);
        if (on_gpu)
            atomic_fetch_sub(&r->gpu.frames_in_use, 1);
        return err;
    }
    r->scaler.last_kept_pts = out->pts;
    ((chunk_frames *)r->scaler.building->payload)->gpu_frames += on_gpu;
    return 0;
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
            if (!err)
                err = feed_children_end(r);
            break;
        }
        err = take_frame(r, &item);
        if (err)
            break;
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
