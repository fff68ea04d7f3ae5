/*
 * thumbnail: one JPEG / WebP. At "time" when given; otherwise the first of
 * a series of candidate frames (evenly spread over the first minute, or the
 * first 80% of a shorter video) that is neither near-black, near-white nor
 * flat: fades from black, slates and blank lead-ins make poor posters. When
 * none qualifies, the candidate with the most detail wins.
 */
#include <math.h>
#include <stdio.h>

#include <libavutil/imgutils.h>

#include "job_internal.h"

ladder_luma_stats ladder_luma_measure(const uint8_t *plane, int linesize, int width, int height)
{
    ladder_luma_stats s = { 0, 0 };
    if (!plane || width <= 0 || height <= 0)
        return s;
    /* A grid of at most ~64x64 samples: the verdict does not need more. */
    int sx = width > 64 ? width / 64 : 1, sy = height > 64 ? height / 64 : 1;
    double sum = 0, sq = 0;
    long n = 0;
    for (int y = 0; y < height; y += sy)
        for (int x = 0; x < width; x += sx) {
            double v = plane[(ptrdiff_t)y * linesize + x];
            sum += v;
            sq += v * v;
            n++;
        }
    s.mean = sum / n;
    double var = sq / n - s.mean * s.mean;
    s.stddev = var > 0 ? sqrt(var) : 0;
    return s;
}

bool ladder_luma_usable(ladder_luma_stats s)
{
    return s.mean >= 24 && s.mean <= 235 && s.stddev >= 12;
}

typedef struct thumb_scan {
    job_ctx *c;
    job_input *in;
    int w, h;                     /* output size */
    double next;                  /* next candidate time */
    double step, limit;
    double fixed;                 /* >= 0: the requested time */
    AVFrame *best;                /* scaled candidate kept so far (owned) */
    double best_time, best_score;
    bool done;
    int candidates;
} thumb_scan;

static int keep(thumb_scan *t, const AVFrame *f, double time, bool final)
{
    AVFrame *img = av_frame_alloc();
    if (!img)
        return job_fail(t->c, LADDER_ENOMEM, "out of memory");
    img->width = t->w;
    img->height = t->h;
    img->format = AV_PIX_FMT_YUVJ420P;
    int ret = av_frame_get_buffer(img, 0);
    if (ret < 0) {
        av_frame_free(&img);
        return job_fail(t->c, LADDER_ENOMEM, "out of memory");
    }
    if ((ret = job_scale_upright_into(t->c, f, img, 0, 0, t->w, t->h, t->in->rotation))) {
        av_frame_free(&img);
        return ret;
    }
    ladder_luma_stats st = ladder_luma_measure(img->data[0], img->linesize[0], t->w, t->h);
    double score = ladder_luma_usable(st) ? 1e6 : st.stddev;
    t->candidates++;
    if (final || !t->best || score > t->best_score) {
        av_frame_free(&t->best);
        t->best = img;
        t->best_time = time;
        t->best_score = score;
    } else {
        av_frame_free(&img);
    }
    if (ladder_luma_usable(st) || final)
        t->done = true;
    return 0;
}

static int on_frame(void *opaque, bool is_audio, AVFrame *f)
{
    thumb_scan *t = opaque;
    if (is_audio)
        return 0;
    double time = job_frame_time(t->in, false, f);
    if (t->fixed >= 0) {
        /* The frame on screen at the requested time: the last one that
         * starts at or before it (or the first after, when none does). */
        if (time <= t->fixed + 1e-6 || !t->best) {
            int ret = keep(t, f, time, true);
            t->done = false;
            if (ret)
                return ret;
            return time >= t->fixed - 1e-6 ? 1 : 0;
        }
        return 1;
    }
    if (time + 1e-6 < t->next)
        return 0;
    job_progress(t->c, "scan", t->limit > 0 ? 100 * time / t->limit : 0);
    int ret = keep(t, f, time, false);
    if (ret)
        return ret;
    t->next = time + t->step;
    return t->done || t->next > t->limit ? 1 : 0;
}

int job_run_thumbnail(job_ctx *c)
{
    const ladder_job_spec *s = c->spec;
    job_input in;
    thumb_scan t = { .c = c, .in = &in, .fixed = s->time };
    char *path = NULL;
    int ret = job_input_open(c, &in, false);
    if (ret)
        goto done;
    /* Display size of the source, fitted into the box (even, aspect kept). */
    AVRational sar = in.vdec->sample_aspect_ratio;
    double dw = in.vdec->width * (sar.num > 0 && sar.den > 0 ? av_q2d(sar) : 1.0), dh = in.vdec->height;
    if (in.rotation == 90 || in.rotation == 270) {
        /* Shown turned: a portrait phone video has a portrait thumbnail. */
        double turned = dw;
        dw = dh;
        dh = turned;
    }
    double scale = 1;
    if (s->width > 0 && s->height > 0)
        scale = fmin(s->width / dw, s->height / dh);
    else if (s->width > 0)
        scale = s->width / dw;
    else if (s->height > 0)
        scale = s->height / dh;
    t.w = (int)lround(dw * scale / 2) * 2;
    t.h = (int)lround(dh * scale / 2) * 2;
    if (t.w < 2) t.w = 2;
    if (t.h < 2) t.h = 2;
    if (s->time >= 0) {
        if (in.duration > 0 && s->time > in.duration) {
            ret = job_fail(c, LADDER_ECONFIG, "job spec: \"time\" (%g) is after the end of the input (%.3f s)",
                           s->time, in.duration);
            goto done;
        }
        if (s->time > 2)
            job_input_seek(&in, s->time - 2);
    } else {
        t.limit = in.duration > 0 ? fmin(60, in.duration * 0.8) : 60;
        t.step = fmax(0.2, t.limit / 24);
    }
    if ((ret = job_input_decode(c, &in, on_frame, &t)))
        goto done;
    if (!t.best) {
        ret = job_fail(c, LADDER_EINPUT_INVALID, "input '%s': no decodable video frame", s->input);
        goto done;
    }
    path = job_path(c, s->image_format == LADDER_IMAGE_WEBP ? "thumbnail.webp" : "thumbnail.jpg");
    if (!path) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    if ((ret = job_write_image(c, t.best, s->image_format, s->quality, path)))
        goto done;
    if ((ret = job_add_output(c, path, 0, t.w, t.h)))
        goto done;
    ladder_luma_stats st = ladder_luma_measure(t.best->data[0], t.best->linesize[0], t.w, t.h);
    ret = job_extra(c, "\"time\":%.6f,\"chosen\":\"%s\",\"luma_mean\":%.1f,\"luma_stddev\":%.1f", t.best_time,
                    s->time >= 0 ? "requested" : "auto", st.mean, st.stddev);
done:
    free(path);
    av_frame_free(&t.best);
    job_input_close(&in);
    return ret;
}
