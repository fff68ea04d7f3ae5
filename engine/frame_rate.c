/*
 * Which frame rate a source is made at: see frame_rate.h.
 */
#include "frame_rate.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "ladder/error.h"

frame_rate_verdict frame_rate_judge(double fps, int *times)
{
    *times = 1;
    if (fps > FRAME_RATE_MAX_PLAUSIBLE)
        return FRAME_RATE_IMPLAUSIBLE;
    if (fps > 0 && fps < FRAME_RATE_MIN_CADENCE) {
        double n = ceil(FRAME_RATE_MIN_CADENCE / fps - 1e-9);
        *times = n < INT_MAX ? (int)n : INT_MAX;
        return FRAME_RATE_SLIDESHOW;
    }
    return FRAME_RATE_AS_IS;
}

AVRational frame_rate_measured(const AVFormatContext *in, const AVStream *st)
{
    for (unsigned i = 0; st->nb_frames > 0 && i < in->nb_streams; i++) {
        const AVStream *a = in->streams[i];
        if (a->codecpar->codec_type != AVMEDIA_TYPE_AUDIO || a->duration <= 0)
            continue;
        double fps = (double)st->nb_frames / ((double)a->duration * av_q2d(a->time_base));
        if (fps >= FRAME_RATE_MIN_CADENCE && fps <= FRAME_RATE_MAX_PLAUSIBLE)
            return av_d2q(fps, 1001000);
    }
    return (AVRational){ 25, 1 };
}

/*
 * The header's constant rate against the packet times: contradicted when
 * at least 2 intervals, and 1 in 50, are shorter than its frame by more
 * than rounding. One picture out of line makes two short intervals; a
 * window of 10 s has hundreds.
 */
static bool contradicts(const frame_rate_measure *m)
{
    return m && m->short_intervals >= 2 && (int64_t)m->short_intervals * 50 >= m->intervals;
}

void frame_rate_decide(const AVFormatContext *in, const AVStream *st, const frame_rate_measure *m,
                       frame_rate_decision *out)
{
    AVRational avg = st->avg_frame_rate, real = st->r_frame_rate;
    AVRational rate = avg.num > 0 && avg.den > 0 ? avg : real;
    if (rate.num <= 0 || rate.den <= 0)
        rate = (AVRational){ 25, 1 };
    out->cfr = avg.num > 0 && real.num > 0 && avg.den > 0 && real.den > 0 &&
               fabs(av_q2d(avg) - av_q2d(real)) < 0.001 * av_q2d(real);
    out->header = out->cfr ? real : rate;
    out->rate = out->header;
    out->contradicted = false;
    out->measured = m ? m->rate : 0;
    int times;
    out->verdict = frame_rate_judge(av_q2d(out->header), &times);
    if (out->verdict == FRAME_RATE_IMPLAUSIBLE)
        out->rate = frame_rate_measured(in, st);
    else if (out->verdict == FRAME_RATE_SLIDESHOW)
        out->rate = av_mul_q(out->header, (AVRational){ times, 1 });
    if (out->verdict != FRAME_RATE_AS_IS) {
        out->cfr = true;
    } else if (out->cfr && contradicts(m)) {
        /* Made as VFR at its average: every picture at its own time. */
        out->cfr = false;
        out->contradicted = true;
        out->header = rate;
        out->rate = rate;
    }
}

/* ---- The window ---- */

/* One frame of the header's rate (the average, else r_frame_rate, else
 * 25 fps) in stream ticks. */
static double header_frame_ticks(const AVStream *st)
{
    AVRational r = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ? st->avg_frame_rate : st->r_frame_rate;
    double fps = r.num > 0 && r.den > 0 ? av_q2d(r) : 25.0;
    return 1.0 / (fps * av_q2d(st->time_base));
}

static int64_t ticks_of(double ticks)
{
    return ticks < 9e18 ? (ticks > 1 ? (int64_t)ticks : 1) : INT64_MAX;
}

int frame_rate_window_init(frame_rate_window *w, const AVStream *st, double seconds)
{
    *w = (frame_rate_window){ .tb = st->time_base, .cap = FRAME_RATE_SCAN_PICTURES };
    w->limit = ticks_of(seconds / av_q2d(st->time_base));
    w->reach = ticks_of((FRAME_RATE_MAX_REORDER + 1) * header_frame_ticks(st));
    w->pts = malloc((size_t)w->cap * sizeof(*w->pts));
    return w->pts ? 0 : LADDER_ENOMEM;
}

void frame_rate_window_free(frame_rate_window *w)
{
    free(w->pts);
    w->pts = NULL;
}

/* Unsigned differences: a hostile file's times must not overflow them. */
static uint64_t distance(int64_t from, int64_t to)
{
    return (uint64_t)to - (uint64_t)from;
}

bool frame_rate_window_add(frame_rate_window *w, const AVPacket *pkt)
{
    if (w->done)
        return false;
    /* Packets the demuxer marks discarded (an edit list's) are not
     * pictures the decoder gives. */
    if (pkt->flags & AV_PKT_FLAG_DISCARD)
        return true;
    int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (t == AV_NOPTS_VALUE) {
        w->pictures++;
        return true;
    }
    if (!w->have_first) {
        w->have_first = true;
        w->first = w->max = t;
    } else if (t < w->max && distance(t, w->max) > (uint64_t)w->reach) {
        w->jumped = w->done = true;
        return false;
    }
    w->pictures++;
    if (t > w->max)
        w->max = t;
    if (t <= w->first || distance(w->first, t) <= (uint64_t)w->limit)
        w->pts[w->n++] = t;
    else
        w->past++;
    w->done = w->n >= w->cap || w->past > FRAME_RATE_MAX_REORDER;
    return !w->done;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int frame_rate_window_judge(frame_rate_window *w, double header_ticks, frame_rate_measure *out)
{
    int n = w->n;
    int64_t *pts = w->pts;
    *out = (frame_rate_measure){ .frames = n };
    if (n < 3)
        return 0;
    qsort(pts, (size_t)n, sizeof(*pts), compare_i64);
    if (pts[n - 1] <= pts[0])
        return 0;
    out->span = (double)distance(pts[0], pts[n - 1]) * av_q2d(w->tb);
    out->rate = (n - 1) / out->span;
    out->intervals = n - 1;
    int64_t *gaps = malloc((size_t)(n - 1) * sizeof(*gaps));
    if (!gaps)
        return LADDER_ENOMEM;
    double short_of = header_ticks - fmax(1.5, 0.02 * header_ticks);
    for (int i = 0; i + 1 < n; i++) {
        uint64_t gap = distance(pts[i], pts[i + 1]);   /* sorted: never negative */
        gaps[i] = gap > INT64_MAX ? INT64_MAX : (int64_t)gap;
        if (header_ticks > 0 && (double)gaps[i] < short_of)
            out->short_intervals++;
    }
    qsort(gaps, (size_t)(n - 1), sizeof(*gaps), compare_i64);
    double median = (double)gaps[(n - 1) / 2];
    double slack = fmax(1.5, 0.02 * median);
    out->vfr = (double)gaps[n - 2] - median > slack || median - (double)gaps[0] > slack;
    free(gaps);
    return 0;
}

/* ---- Reading the window ahead of the run ---- */

/* Every packet read while measuring, given back in order. Bounded: the
 * window's pictures, FRAME_RATE_PREFETCH_BYTES of packets (their bookkeeping
 * counted) and as many packets as that would hold of empty ones. */
struct frame_rate_prefetch {
    AVPacket **packets;
    int nb, cap, next;
    size_t bytes;
    int error;                    /* what av_read_frame() said last, 0: nothing */
};

#define PREFETCH_MAX_PACKETS (FRAME_RATE_PREFETCH_BYTES / 256)

static int keep_packet(frame_rate_prefetch *p, AVPacket *pkt)
{
    if (p->nb == p->cap) {
        int cap = p->cap ? 2 * p->cap : 256;
        AVPacket **grown = realloc(p->packets, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        p->packets = grown;
        p->cap = cap;
    }
    p->packets[p->nb++] = pkt;
    p->bytes += (size_t)pkt->size + sizeof(*pkt);
    return 0;
}

static int prefetch_window(AVFormatContext *in, int video, frame_rate_window *w, frame_rate_prefetch *p)
{
    while (!w->done && p->bytes < FRAME_RATE_PREFETCH_BYTES && p->nb < PREFETCH_MAX_PACKETS) {
        AVPacket *pkt = av_packet_alloc();
        if (!pkt)
            return LADDER_ENOMEM;
        int ret = av_read_frame(in, pkt);
        if (ret < 0) {
            av_packet_free(&pkt);
            p->error = ret;       /* the end, or a read error: the run meets it after these */
            return 0;
        }
        if (pkt->stream_index == video)
            frame_rate_window_add(w, pkt);
        int err = keep_packet(p, pkt);
        if (err) {
            av_packet_free(&pkt);
            return err;
        }
    }
    return 0;
}

int frame_rate_decide_input(AVFormatContext *in, int video, frame_rate_prefetch **prefetch,
                            frame_rate_decision *out)
{
    *prefetch = NULL;
    const AVStream *st = in->streams[video];
    frame_rate_decide(in, st, NULL, out);
    if (!out->cfr || out->verdict != FRAME_RATE_AS_IS)
        return 0;                 /* nothing the packet times could change */
    frame_rate_prefetch *p = calloc(1, sizeof(*p));
    frame_rate_window w;
    int err = frame_rate_window_init(&w, st, FRAME_RATE_SCAN_SECONDS);
    if (!err && !p)
        err = LADDER_ENOMEM;
    if (!err)
        err = prefetch_window(in, video, &w, p);
    frame_rate_measure m;
    if (!err)
        err = frame_rate_window_judge(&w, 1.0 / (av_q2d(out->header) * av_q2d(st->time_base)), &m);
    frame_rate_window_free(&w);
    if (!err)
        frame_rate_decide(in, st, &m, out);
    *prefetch = p;
    return err;
}

int frame_rate_prefetch_read(frame_rate_prefetch *p, AVFormatContext *in, AVPacket *pkt)
{
    if (!p)
        return av_read_frame(in, pkt);
    if (p->next < p->nb) {
        AVPacket *kept = p->packets[p->next];
        p->packets[p->next++] = NULL;
        av_packet_move_ref(pkt, kept);
        av_packet_free(&kept);
        return 0;
    }
    return p->error ? p->error : av_read_frame(in, pkt);
}

void frame_rate_prefetch_free(frame_rate_prefetch **p)
{
    if (!*p)
        return;
    for (int i = (*p)->next; i < (*p)->nb; i++)
        av_packet_free(&(*p)->packets[i]);
    free((*p)->packets);
    free(*p);
    *p = NULL;
}
