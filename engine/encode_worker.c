/*
 * Encoder workers. Each worker holds one lease (a device slot) and loops:
 * take a chunk (its rung's, or as a helper the rung with the most work
 * left), encode it with a fresh single-threaded encoder flushed to EOS,
 * check the decoder configuration against the rung's canonical one, and
 * hand the packets to the rung's finalizer. A chunk whose configuration
 * differs is requeued and re-encoded with the canonical settings.
 */
#include "encode_worker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __GLIBC__                  /* defined by the C library's headers above */
#include <malloc.h>
#endif

#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libswscale/swscale.h>

#include "mux/av1_obu.h"
#include "chunk_dts.h"
#include "chunk_queue.h"
#include "ladder/error.h"
#include "ladder/lease_pool.h"
#include "device_health.h"
#include "encoder_backend.h"
#include "encoder_settings.h"
#include "finalizer.h"
#include "gpu_scale.h"
#include "rate_control.h"
#include "rung_scaler.h"
#include "session.h"

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

/*
 * In-band parameter sets (avc3/hev1): the chunk's first packet, an IDR,
 * gets its own encoder's SPS/PPS (and VPS), Annex B like the packets, in
 * front. A decoder then always decodes a segment with the parameter sets
 * that made it, whichever device encoded it.
 */
static int prepend_parameter_sets(encoded_chunk *ec, const uint8_t *ps, int ps_size)
{
    if (ps_size <= 0)
        return LADDER_EENCODER;
    AVPacket *first = ec->packets[0];
    AVBufferRef *buf = av_buffer_alloc((size_t)ps_size + (size_t)first->size + AV_INPUT_BUFFER_PADDING_SIZE);
    if (!buf)
        return LADDER_ENOMEM;
    memcpy(buf->data, ps, (size_t)ps_size);
    memcpy(buf->data + ps_size, first->data, (size_t)first->size);
    memset(buf->data + ps_size + first->size, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    av_buffer_unref(&first->buf);
    first->buf = buf;
    first->data = buf->data;
    first->size += ps_size;
    ec->bytes += ps_size;
    return 0;
}

/*
 * The frames a rung's packets decode ahead of their presentation (the lead
 * of chunk_dts.h, in frames): two for H.264 and HEVC, the most any of the
 * rung's encoders holds back (x264's and x265's B-pyramid; NVENC and Quick
 * Sync get at most two B-frames, encoder_settings.c's gpu_bframes()), so
 * that it is the same whichever device encodes a chunk; AV1 packets come
 * in presentation order.
 */
#define DTS_LEAD_FRAMES 2

/* One frame of the rung in the source time base: its frame-rate cap's
 * interval, else the source's nominal frame. */
static int64_t rung_frame_step(const ladder_session *s, const rung_ctx *r)
{
    int64_t step = s->nominal_frame_ticks;
    if (r->min_frame_ticks > 0)
        step = av_rescale_q(1, av_inv_q(r->frame_rate), s->src_tb);
    return step > 0 ? step : 1;
}

/*
 * The chunk's decode times, remade from its presentation times for every
 * encoder (chunk_dts.h): an encoder's own lead by the time of the frames it
 * holds back, which differs between chunks of a variable-rate source (and
 * NVENC's assumes a constant rate), so chunks did not join (the muxer
 * refused a dts below the previous chunk's, or showed a chunk's first
 * picture off its time). Every dts rises across the track and none passes
 * its pts, whatever the encoder did; a packet shown later than the lead
 * allows is an error here, not a refusal in the muxer.
 */
static int remake_dts(ladder_session *s, const rung_ctx *r, const ladder_chunk *chunk, encoded_chunk *ec)
{
    const chunk_frames *cf = chunk->payload;
    int n = ec->nb_packets;
    chunk_dts_params params = {
        .depth = r->cfg.codec == LADDER_CODEC_AV1 ? 0 : DTS_LEAD_FRAMES,
        .step = rung_frame_step(s, r),
        .end = cf->frames[cf->nb - 1]->pts + cf->durations[cf->nb - 1],
        .last_duration = ec->packets[n - 1]->duration,
    };
    int64_t *pts = malloc((size_t)n * 2 * sizeof(*pts));
    if (!pts)
        return LADDER_ENOMEM;
    int64_t *dts = pts + n;
    for (int i = 0; i < n; i++)
        pts[i] = ec->packets[i]->pts;
    chunk_dts_result res;
    int err = chunk_dts_make(pts, n, &params, dts, &res);
    for (int i = 0; !err && i < n; i++)
        ec->packets[i]->dts = dts[i];
    if (!err)
        ec->packets[n - 1]->duration = res.last_duration;
    free(pts);
    if (err == LADDER_EINVAL) {
        session_log(s, LADDER_LOG_ERROR,
                    "rung=%s chunk=%d event=dts packet=%d: the encoder shows a picture later than %d frames "
                    "after it decodes it, or its timestamps do not fit the chunk: no valid decode times",
                    r->cfg.name, chunk->index, res.late_packet, params.depth);
        return LADDER_EINTERNAL;
    }
    return err;
}

/* f in the encoder's pixel format (QSV takes NV12/P010, the rungs are
 * planar): a converted copy, or NULL on failure. One pass, same size. */
static AVFrame *convert_for_encoder(struct SwsContext **sws, const AVFrame *f, enum AVPixelFormat format)
{
    *sws = sws_getCachedContext(*sws, f->width, f->height, f->format, f->width, f->height, format, SWS_POINT, NULL,
                                NULL, NULL);
    AVFrame *out = av_frame_alloc();
    if (!*sws || !out) {
        av_frame_free(&out);
        return NULL;
    }
    out->format = format;
    out->width = f->width;
    out->height = f->height;
    if (av_frame_get_buffer(out, 0) < 0 || av_frame_copy_props(out, f) < 0) {
        av_frame_free(&out);
        return NULL;
    }
    sws_scale(*sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, out->data, out->linesize);
    return out;
}

/* The frames context of a chunk whose every picture is in GPU memory of
 * one context (a decode that fell back to the CPU mid-chunk mixes them:
 * then NULL, and the CUDA ones are downloaded). */
static AVBufferRef *chunk_cuda_frames(const chunk_frames *cf)
{
    if (cf->nb == 0 || !cf->frames[0]->hw_frames_ctx)
        return NULL;
    const uint8_t *ctx = cf->frames[0]->hw_frames_ctx->data;
    for (int i = 0; i < cf->nb; i++)
        if (cf->frames[i]->format != AV_PIX_FMT_CUDA || !cf->frames[i]->hw_frames_ctx ||
            cf->frames[i]->hw_frames_ctx->data != ctx)
            return NULL;
    return cf->frames[0]->hw_frames_ctx;
}

/* NVENC on CUDA frames let the rung down once: download from now on (the
 * same encoder on system memory is what the pre-flight checked). */
static void refuse_cuda_input(ladder_session *s, rung_ctx *r, int d, const char *why)
{
    if (!atomic_exchange(&r->gpu.cuda_input_refused, true))
        session_log(s, LADDER_LOG_WARNING,
                    "rung=%s device=%s event=cuda_input_refused reason=%s: its pictures are downloaded from now on",
                    r->cfg.name, s->devices[d].spec.name, why);
}

static bool config_matches(const AVCodecContext *enc, const uint8_t *expected, int expected_size)
{
    return enc->extradata_size == expected_size && !memcmp(enc->extradata, expected, (size_t)expected_size);
}

/*
 * The frames of a chunk in hand that progress already counts
 * (rung_progress.frames_encoding): the worker's own, so bars move by
 * frames while a 2 s chunk is encoded, not by whole chunks. Added under
 * progress_lock at most every PARTIAL_PROGRESS_SECONDS (sink calls cost a
 * redraw or a JSON line); taken out again when the attempt ends.
 */
typedef struct chunk_progress {
    int64_t shown;
    double shown_at;              /* session_now() of the last addition */
} chunk_progress;

#define PARTIAL_PROGRESS_SECONDS 0.25

static void show_partial(ladder_session *s, rung_ctx *r, const encoded_chunk *ec, int nb_frames,
                         chunk_progress *cp)
{
    /* One packet per frame out of the encoder (none held back by it). */
    int64_t out = ec->nb_packets < nb_frames ? ec->nb_packets : nb_frames;
    double now = session_now();
    if (out <= cp->shown || now - cp->shown_at < PARTIAL_PROGRESS_SECONDS)
        return;
    pthread_mutex_lock(&s->progress_lock);
    r->progress.frames_encoding += out - cp->shown;
    pthread_mutex_unlock(&s->progress_lock);
    cp->shown = out;
    cp->shown_at = now;
    session_progress(s, r);
}

/* The attempt ended without a segment (given back or failed): its frames
 * are not done after all. */
static void drop_partial(ladder_session *s, rung_ctx *r, chunk_progress *cp)
{
    if (!cp->shown)
        return;
    pthread_mutex_lock(&s->progress_lock);
    r->progress.frames_encoding -= cp->shown;
    pthread_mutex_unlock(&s->progress_lock);
    cp->shown = 0;
}

/* Encode every frame of the chunk to EOS on device d. *config_ok tells
 * whether the encoder produced the configuration the pre-flight recorded
 * for this device and rung (on a usable device: one the rung accepts).
 * inject_failure (fault devices): fail half-way, as a device that dies
 * mid-chunk would, with a half-fed encoder to clean up. */
static int encode_chunk(ladder_session *s, rung_ctx *r, int d, const ladder_chunk *chunk,
                        bool perturb, bool inject_failure, const chunk_rate *rate, encoded_chunk *ec,
                        bool *config_ok, chunk_progress *partial)
{
    const chunk_frames *cf = chunk->payload;
    const encoder_choice *choice = &s->devices[d].choice[r->cfg.codec];
    /* Written once by the pre-flight, before any worker started. */
    const uint8_t *expected = r->on_device[d].config;
    int expected_size = r->on_device[d].config_size;
    AVCodecContext *enc = NULL;
    bool in_band = encoder_backend_in_band_config(choice->backend);
    /* NVENC on the decoding GPU reads the chunk where the scaler left it. */
    AVBufferRef *hw_frames = NULL;
    if (!atomic_load(&r->gpu.cuda_input_refused) && gpu_frames_encodable(s, d, choice))
        hw_frames = chunk_cuda_frames(cf);
    int err = encoder_open(s, r, choice, perturb, rate, hw_frames, &enc);
    if (hw_frames && (err || (!in_band && !perturb && !config_matches(enc, expected, expected_size)))) {
        /* Not what the pre-flight (system memory) promised: not the
         * device's fault, so the same encoder again on downloaded pictures
         * (a drill's perturbed chunk differs on purpose: not this). */
        encoder_close(&enc);
        refuse_cuda_input(s, r, d, err ? "the encoder did not open on CUDA frames"
                                       : "its decoder configuration from CUDA frames differs from the pre-flight");
        hw_frames = NULL;
        err = encoder_open(s, r, choice, perturb, rate, NULL, &enc);
    }
    if (err)
        return err;
    struct SwsContext *sws = NULL;   /* only for encoders that take another layout */
    /* In-band configurations are only known once the first packet exists. */
    *config_ok = in_band || config_matches(enc, expected, expected_size);
    if (!*config_ok) {
        /* Decided before spending the encode: it could not be used anyway. */
        encoder_close(&enc);
        return 0;
    }
    for (int i = 0; i < cf->nb && !err; i++) {
        if (inject_failure && i == cf->nb / 2) {
            err = LADDER_EENCODER;
            break;
        }
        AVFrame *f = cf->frames[i];
        /* A picture in GPU memory for an encoder that does not read it
         * there: this worker downloads it (once: each chunk is encoded once). */
        AVFrame *downloaded = NULL;
        if (f->format == AV_PIX_FMT_CUDA && !hw_frames && !(f = downloaded = gpu_frame_download(f))) {
            err = LADDER_EENCODER;
            break;
        }
        /* The first frame of every chunk is an IDR: the segment must start
         * with a random access point. A fresh encoder does this anyway;
         * asking keeps it true if encoders are ever reused. */
        f->pict_type = i == 0 ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
        f->key_frame = i == 0;
        AVFrame *converted = NULL;
        if (f->format != enc->pix_fmt && !(converted = convert_for_encoder(&sws, f, enc->pix_fmt))) {
            av_frame_free(&downloaded);
            err = LADDER_ENOMEM;
            break;
        }
        if (avcodec_send_frame(enc, converted ? converted : f) < 0)
            err = LADDER_EENCODER;
        else
            err = collect_packets(enc, cf, ec);
        if (!err)
            show_partial(s, r, ec, cf->nb, partial);
        av_frame_free(&converted);
        av_frame_free(&downloaded);
    }
    sws_freeContext(sws);
    if (!err) {
        if (avcodec_send_frame(enc, NULL) < 0)
            err = LADDER_EENCODER;
        else
            err = collect_packets(enc, cf, ec);
    }
    /* Encoders may only settle their headers once frames went through. */
    if (!err && !in_band && !config_matches(enc, expected, expected_size)) {
        *config_ok = false;
        /* Requeued; its next encode downloads rather than blame NVENC. */
        if (hw_frames && !perturb)
            refuse_cuda_input(s, r, d, "its decoder configuration from CUDA frames differs from the pre-flight");
    }
    if (!err && *config_ok && (ec->nb_packets == 0 || !(ec->packets[0]->flags & AV_PKT_FLAG_KEY)))
        err = LADDER_EENCODER;
    if (!err && *config_ok)
        err = remake_dts(s, r, chunk, ec);
    if (!err && *config_ok && !in_band && s->job.parameter_sets == LADDER_PARAMETER_SETS_IN_BAND)
        err = prepend_parameter_sets(ec, enc->extradata, enc->extradata_size);
    encoder_close(&enc);
    /* AV1: the sequence header the segment's first key frame carries is
     * what a decoder (and a player switching renditions) configures from;
     * it must be the one in the init segment's av1C. */
    if (!err && *config_ok && in_band)
        *config_ok = ladder_av1_same_sequence_header(ec->packets[0]->data, (size_t)ec->packets[0]->size,
                                                     expected, (size_t)expected_size);
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

/* The rungs device d may encode now (bit r = rung r). */
static uint32_t eligible_rungs(ladder_session *s, int d)
{
    uint32_t mask = 0;
    pthread_mutex_lock(&s->progress_lock);
    for (int i = 0; i < s->nb_rungs; i++)
        if (s->rungs[i].on_device[d].usable)
            mask |= UINT32_C(1) << i;
    pthread_mutex_unlock(&s->progress_lock);
    return mask;
}

/*
 * A chunk from device d came out with another configuration than its
 * pre-flight promised. The rung's canonical device only gets
 * the chunk again: its encoder defines the configuration, so a difference
 * there is a one-off (or a test's injected fault), and the attempt limit
 * catches one that is not. Any other device is not trusted with the rung
 * again: its workers stop taking its chunks, and this one goes back to
 * the queue for a compatible device.
 */
static void distrust_device(ladder_session *s, rung_ctx *r, int d, int chunk_index)
{
    if (d == r->canonical_device)
        return;
    pthread_mutex_lock(&s->progress_lock);
    rung_device *rd = &r->on_device[d];
    bool was_usable = rd->usable;
    rd->usable = false;
    snprintf(rd->why, sizeof(rd->why), "chunk %d came out with another decoder configuration than its pre-flight",
             chunk_index);
    pthread_mutex_unlock(&s->progress_lock);
    if (was_usable)
        session_log(s, LADDER_LOG_WARNING, "rung=%s chunk=%d device=%s event=device_excluded reason=%s",
                    r->cfg.name, chunk_index, s->devices[d].spec.name, rd->why);
}

/*
 * A lease for this session's worker. From a pool of its own, any slot (a
 * worker per slot). From a pool shared with other sessions, a slot of one
 * of this session's devices that still has rungs it may encode, waiting
 * behind the other sessions' workers (LADDER_ECANCELED when the session
 * ends or none of its devices has anything left to do).
 */
static int take_lease(ladder_session *s, ladder_lease *lease)
{
    if (!s->leases_shared)
        return ladder_lease_pool_acquire(s->leases, lease);
    uint64_t devices = 0;
    for (int d = 0; d < s->nb_devices; d++)
        if (eligible_rungs(s, d))
            devices |= UINT64_C(1) << s->pool_device[d];
    if (!devices)
        return LADDER_ECANCELED;
    return ladder_lease_pool_acquire_from(s->leases, devices, &s->leases_closed, lease);
}

/*
 * Shared pool: give the lease back and queue for one again, behind
 * whoever waits. why: "turn" (another worker waits for the device) or
 * "idle" (the device has nothing left to do for this session). false when
 * no lease came back (the worker is done; it holds nothing).
 */
static bool change_lease(ladder_session *s, ladder_lease *lease, const char *why)
{
    char was[LADDER_DEVICE_NAME_MAX];
    snprintf(was, sizeof(was), "%s", lease->name);
    ladder_lease_pool_release(s->leases, lease);
    lease->index = -1;
    if (take_lease(s, lease)) {
        lease->index = -1;
        return false;
    }
    session_log(s, LADDER_LOG_DEBUG, "device=%s event=lease_shared reason=%s next=%s", was, why, lease->name);
    return true;
}

/* The rate control's view of rung r. */
static rate_target rung_rate_target(const ladder_session *s, const rung_ctx *r)
{
    return rate_target_of(&r->cfg, s->job.segment_seconds, s->job.deterministic);
}

/* The rate of the next chunk of rung r on device d (rate_control.c's
 * model, under progress_lock: the rung's other workers plan and record
 * too). */
static chunk_rate plan_rate(ladder_session *s, rung_ctx *r, int d)
{
    rate_target t = rung_rate_target(s, r);
    if (!rate_has_target(&t))
        return (chunk_rate){ .device = d };
    const encoder_backend *backend = s->devices[d].choice[r->cfg.codec].backend;
    bool abr_only = backend && encoder_backend_abr_only(backend);
    pthread_mutex_lock(&s->progress_lock);
    chunk_rate plan = rate_control_plan(&r->rate, &t, d, abr_only);
    pthread_mutex_unlock(&s->progress_lock);
    return plan;
}

/* A chunk planned with plan is done (ec) or given back unused (ec NULL):
 * its pending share goes, and what it spent is learnt from. The settled
 * quantiser is read outside the lock. */
static void record_rate(ladder_session *s, rung_ctx *r, const chunk_rate *plan, const chunk_frames *cf,
                        const encoded_chunk *ec)
{
    rate_target t = rung_rate_target(s, r);
    if (!rate_has_target(&t))
        return;
    pthread_mutex_lock(&s->progress_lock);
    rate_control_unplan(&r->rate, &t, plan);
    pthread_mutex_unlock(&s->progress_lock);
    if (!ec)
        return;
    int64_t ticks = 0;
    for (int i = 0; i < cf->nb; i++)
        ticks += cf->durations[i];
    double seconds = (double)ticks * av_q2d(s->src_tb);
    double qp = plan->use_crf ? NAN : rate_control_settled_qp(ec->packets, ec->nb_packets);
    pthread_mutex_lock(&s->progress_lock);
    rate_control_record(&r->rate, &t, plan, seconds, (double)ec->bytes * 8, qp);
    pthread_mutex_unlock(&s->progress_lock);
}

/*
 * A chunk boundary: nothing in hand, so giving the device away
 * (priorities) loses nothing; the queued chunks wait or go to the other
 * workers. false: the worker leaves (told to stop while it waited, or the
 * run failed).
 */
static bool pass_chunk_gate(ladder_session *s, const ladder_lease *lease, int d)
{
    double t0 = session_now();
    int gated = s->job.chunk_gate(s->job.chunk_gate_opaque, lease->index, &s->devices[d].spec);
    if (gated < 0 && (atomic_load(&s->stopping) || atomic_load(&s->cancelled)))
        return false;     /* told to stop while it waited: nothing in hand */
    if (gated < 0) {
        /* Its slot may be gone: the run cannot count on it. */
        session_fail(s, gated, "device %s: yielding its host slot failed: %s", lease->name,
                     ladder_strerror(gated));
        return false;
    }
    if (gated > 0) {
        double waited = session_now() - t0;
        pthread_mutex_lock(&s->progress_lock);
        s->report.yields++;
        s->report.yield_seconds += waited;
        pthread_mutex_unlock(&s->progress_lock);
        session_log(s, LADDER_LOG_INFO, "device=%s event=yielded seconds=%.2f reason=a realtime job waited",
                    lease->name, waited);
    }
    return true;
}

/*
 * The worker's next chunk, at a chunk boundary: NULL when the worker is
 * done. *d gets the session device of its lease (a shared pool's lease
 * may change here); *rung is its current rung (the queue's scheduling);
 * *used: the lease has served a chunk since it was taken.
 */
static ladder_chunk *take_chunk(ladder_session *s, ladder_lease *lease, int *rung, bool *used, int *d_out)
{
    for (;;) {
        int d = s->device_of_pool[lease->device];
        ladder_chunk *chunk = NULL;
        uint32_t eligible = eligible_rungs(s, d);
        /* A device with nothing left to do: from a shared pool, its lease
         * may serve another device of ours, or another session. */
        if (!eligible && s->leases_shared && change_lease(s, lease, "idle")) {
            *used = false;
            continue;
        }
        if (!eligible || device_gate(s, d, eligible))
            return NULL;
        /* Sessions sharing the pool take turns at chunk boundaries: a
         * worker (of any session) waiting for this device gets the slot. */
        if (s->leases_shared && *used && ladder_lease_pool_waiting_for(s->leases, lease->device) > 0) {
            if (!change_lease(s, lease, "turn"))
                return NULL;
            *used = false;
            continue;
        }
        if (s->job.chunk_gate && !pass_chunk_gate(s, lease, d))
            return NULL;
        if (ladder_chunk_queue_pop_for(s->queue, rung, s->job.helpers, eligible, &chunk) || !chunk)
            return NULL;
        *used = true;
        /* Excluded from the rung while this worker waited with an older
         * view: give the chunk back untouched (no attempt spent). */
        if (!(eligible_rungs(s, d) & (UINT32_C(1) << chunk->rung))) {
            ladder_chunk_queue_requeue(s->queue, chunk);
            continue;
        }
        *d_out = d;
        return chunk;
    }
}

/* One encode of a chunk on a lease, and how it went. */
typedef struct chunk_attempt {
    ladder_chunk *chunk;
    rung_ctx *r;
    const ladder_lease *lease;
    int d;                        /* the session device of the lease */
    encoded_chunk *ec;
    chunk_rate rate;
    bool healthy;                 /* false: the fault device failed it on purpose */
    bool config_ok;
    double seconds, cpu_seconds;
    chunk_progress partial;       /* frames progress counts before the attempt ends */
} chunk_attempt;

/* The device's fault, not the chunk's (LADDER_EENCODER): charge it, and
 * give the chunk back for this or another device (not an attempt of the
 * invariant's). Quarantine bounds how often one device fails. */
static void requeue_failed(ladder_session *s, chunk_attempt *a, int err)
{
    rung_ctx *r = a->r;
    ladder_chunk *chunk = a->chunk;
    char why[160];
    snprintf(why, sizeof(why), "rung %s chunk %d: %s%s", r->cfg.name, chunk->index,
             ladder_strerror(err), a->healthy ? "" : " (injected fault)");
    encoded_chunk_free(a->ec);
    record_rate(s, r, &a->rate, chunk->payload, NULL);
    chunk->attempts--;
    pthread_mutex_lock(&s->progress_lock);
    r->progress.failure_requeues++;
    pthread_mutex_unlock(&s->progress_lock);
    session_log(s, LADDER_LOG_WARNING, "rung=%s chunk=%d device=%s event=encode_failed action=requeue reason=%s",
                r->cfg.name, chunk->index, a->lease->name, why);
    ladder_chunk_queue_requeue(s->queue, chunk);
    device_encode_end(s, a->d, false, why);
}

/* The chunk came out with another decoder configuration than its
 * device's pre-flight: requeued (the device distrusted), or the run
 * fails after three attempts. false: the worker leaves. */
static bool requeue_mismatch(ladder_session *s, chunk_attempt *a)
{
    rung_ctx *r = a->r;
    ladder_chunk *chunk = a->chunk;
    encoded_chunk_free(a->ec);
    record_rate(s, r, &a->rate, chunk->payload, NULL);
    pthread_mutex_lock(&s->progress_lock);
    r->progress.invariant_requeues++;
    pthread_mutex_unlock(&s->progress_lock);
    session_log(s, LADDER_LOG_WARNING,
                "rung=%s chunk=%d device=%s event=invariant_requeue attempt=%d "
                "reason=decoder configuration differs from the rung's",
                r->cfg.name, chunk->index, a->lease->name, chunk->attempts);
    if (chunk->attempts >= 3) {
        session_fail(s, LADDER_EENCODER,
                     "rung %s chunk %d: encoder keeps producing a different decoder configuration",
                     r->cfg.name, chunk->index);
        chunk_free(chunk);
        return false;
    }
    distrust_device(s, r, a->d, chunk->index);
    ladder_chunk_queue_requeue(s->queue, chunk);
    return true;
}

/* A good chunk: its frames freed (then their bytes leave the budget),
 * counted, and its packets to the rung's finalizer. false: the worker
 * leaves (the segment could not be written). */
static bool chunk_done(ladder_session *s, chunk_attempt *a)
{
    rung_ctx *r = a->r;
    ladder_chunk *chunk = a->chunk;
    encoded_chunk *ec = a->ec;
    int nb_frames = chunk->nb_frames;
    char how[48] = "";
    if (a->rate.use_crf)
        snprintf(how, sizeof(how), " crf=%.2f", a->rate.crf);
    else if (a->rate.bitrate_bps)
        snprintf(how, sizeof(how), " abr_kbps=%lld", (long long)(a->rate.bitrate_bps / 1000));
    session_log(s, LADDER_LOG_DEBUG,
                "rung=%s chunk=%d device=%s event=encoded frames=%d bytes=%lld seconds=%.3f helper=%d%s",
                r->cfg.name, chunk->index, a->lease->name, nb_frames, (long long)ec->bytes, a->seconds,
                chunk->by_helper, how);
    record_rate(s, r, &a->rate, chunk->payload, ec);
    /* Free the raw frames before releasing their bytes from the budget. */
    chunk_frames_free(chunk->payload);
    chunk->payload = NULL;
    ladder_chunk_queue_done(s->queue, chunk, a->seconds);
    bool by_helper = chunk->by_helper;
    free(chunk);

    pthread_mutex_lock(&s->progress_lock);
    rung_progress *p = &r->progress;
    /* In one step with the partial count leaving: no event sees a dip. */
    p->frames_done += nb_frames;
    p->frames_encoding -= a->partial.shown;
    p->encode_seconds += a->seconds;
    p->encode_cpu_seconds += a->cpu_seconds;
    p->chunks++;
    p->chunks_by_helpers += by_helper;
    r->on_device[a->d].chunks++;
    s->devices[a->d].health.chunks++;
    pthread_mutex_unlock(&s->progress_lock);

    int index = ec->index;
    int err = rung_finalizer_submit(r, ec);
    if (err) {
        /* The directory says which device filled up or failed. */
        session_fail(s, err, "output '%s': rung %s: writing segment for chunk %d failed: %s", r->dir,
                     r->cfg.name, index, ladder_strerror(err));
        return false;
    }
    session_progress(s, r);
    return true;
}

/* Encode chunk (of the lease's device d) and hand it on. false: the
 * worker leaves (the run is failing). */
static bool work_on(ladder_session *s, const ladder_lease *lease, int d, ladder_chunk *chunk)
{
    rung_ctx *r = &s->rungs[chunk->rung];
    chunk->attempts++;
    bool perturb = s->job.invariant_fault_every > 0 && chunk->attempts == 1 &&
                   (chunk->index + 1) % s->job.invariant_fault_every == 0;

    pthread_mutex_lock(&s->progress_lock);
    if (r->progress.state == LADDER_RUNG_PENDING)
        r->progress.state = LADDER_RUNG_RUNNING;
    snprintf(r->progress.last_device, sizeof(r->progress.last_device), "%s", lease->name);
    pthread_mutex_unlock(&s->progress_lock);

    chunk_attempt a = { .chunk = chunk, .r = r, .lease = lease, .d = d };
    a.ec = calloc(1, sizeof(*a.ec));
    if (!a.ec) {
        session_fail(s, LADDER_ENOMEM, "rung %s chunk %d: out of memory", r->cfg.name, chunk->index);
        chunk_free(chunk);
        return false;
    }
    a.ec->index = chunk->index;
    a.ec->by_helper = chunk->by_helper;
    snprintf(a.ec->device, sizeof(a.ec->device), "%s", lease->name);

    double t0 = session_now(), cpu0 = thread_cpu_seconds();
    a.partial.shown_at = t0;
    a.rate = plan_rate(s, r, d);
    a.healthy = device_encode_start(s, d);
    int err = encode_chunk(s, r, d, chunk, perturb, !a.healthy, &a.rate, a.ec, &a.config_ok, &a.partial);
    a.seconds = session_now() - t0;
    a.cpu_seconds = thread_cpu_seconds() - cpu0;
    if (err || !a.config_ok)
        drop_partial(s, r, &a.partial);
    if (err == LADDER_EENCODER) {
        requeue_failed(s, &a, err);
        return true;
    }
    device_encode_end(s, d, !err, err ? ladder_strerror(err) : NULL);
    if (err) {
        encoded_chunk_free(a.ec);
        session_fail(s, err, "rung %s chunk %d device %s: encode failed: %s",
                     r->cfg.name, chunk->index, lease->name, ladder_strerror(err));
        chunk_free(chunk);
        return false;
    }
    if (!a.config_ok)
        return requeue_mismatch(s, &a);
    return chunk_done(s, &a);
}

/*
 * A worker about to encode a rung of smaller pictures than its last chunk's:
 * that encoder's memory (x264 at 1080p veryfast: about 125 MiB, freed when
 * it closed) stays in this thread's malloc arena, which no other thread
 * allocates from, and resident (the CLI keeps freed heap memory rather than
 * fault it in again: cli/main.c); so do the holes that x264's 2 MiB-aligned
 * blocks and the packets between them leave, which grow with the input's
 * length. The smaller encoder needs less, so the free memory goes back to
 * the system now. Measured on a 4-rung 1080p ladder, 2 slots: the peak RSS
 * of a 60 s input 939 MiB instead of 1016 (1.10x a 10 s input's, not
 * 1.15x), for about 200k more minor faults (the pages a worker moving back
 * up faults in again), lost in the run-to-run noise of wall and CPU time
 * (benches/RESULTS.md "Memory"). A worker staying on its rung keeps the
 * memory for its next encoder.
 */
static void shrink_for_rung(const ladder_session *s, int last_rung, int rung)
{
#ifdef __GLIBC__
    if (last_rung >= 0 && s->rungs[rung].frame_bytes < s->rungs[last_rung].frame_bytes)
        malloc_trim(0);
#else
    (void)s;
    (void)last_rung;
    (void)rung;
#endif
}

static void worker_loop(ladder_session *s, ladder_lease *lease)
{
    int rung = -1, d = -1, last_rung = -1;
    /* A lease just taken is used for one chunk before it is given away
     * again: two workers waiting for each other's turn would otherwise
     * hand it back and forth without encoding anything. */
    bool used = false;
    ladder_chunk *chunk;
    while ((chunk = take_chunk(s, lease, &rung, &used, &d))) {
        shrink_for_rung(s, last_rung, chunk->rung);
        last_rung = chunk->rung;
        if (!work_on(s, lease, d, chunk))
            return;
    }
}

void *encode_worker_main(void *arg)
{
    ladder_session *s = arg;
    ladder_lease lease;
    if (take_lease(s, &lease))
        return NULL;
    worker_loop(s, &lease);
    /*
     * A pool of the session's own: kept until the session ends, not given
     * back: there is one worker per lease and the pool lends the first
     * free slot, so a lease returned by a worker whose device has nothing
     * to do (kept off every rung, e.g. a GPU whose encoder does not open)
     * would go to a worker that has not started yet, and the lease of a
     * device that could work would never be taken. A shared pool's
     * workers ask only for devices that have work (take_lease), and other
     * sessions need the slot: given back.
     */
    if (s->leases_shared && lease.index >= 0)
        ladder_lease_pool_release(s->leases, &lease);
    return NULL;
}
