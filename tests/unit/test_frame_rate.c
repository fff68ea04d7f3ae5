/*
 * The frame-rate rule ladder encode applies and ladder probe reports
 * (engine/frame_rate.c): over 240 fps a header is implausible and the
 * pictures are timed at the measured rate (frame count over the audio's
 * length, else 25 fps); under 1 fps a source is a slideshow raised to the
 * smallest whole multiple of its rate of at least 1 fps; a constant rate
 * the packet times of the first 10 s contradict (shorter intervals than
 * its frame, repeatedly) is made as VFR, and holes, jumps back and a
 * picture out of line contradict nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <math.h>

#include "frame_rate.h"

static void test_judge(void **state)
{
    (void)state;
    int times = -1;
    assert_int_equal(frame_rate_judge(25, &times), FRAME_RATE_AS_IS);
    assert_int_equal(times, 1);
    assert_int_equal(frame_rate_judge(30000.0 / 1001, &times), FRAME_RATE_AS_IS);
    assert_int_equal(frame_rate_judge(240, &times), FRAME_RATE_AS_IS);
    assert_int_equal(frame_rate_judge(1, &times), FRAME_RATE_AS_IS);
    /* Unknown: left to the caller's default. */
    assert_int_equal(frame_rate_judge(0, &times), FRAME_RATE_AS_IS);
    assert_int_equal(frame_rate_judge(-5, &times), FRAME_RATE_AS_IS);

    assert_int_equal(frame_rate_judge(240.001, &times), FRAME_RATE_IMPLAUSIBLE);
    assert_int_equal(times, 1);
    assert_int_equal(frame_rate_judge(90000, &times), FRAME_RATE_IMPLAUSIBLE);
    assert_int_equal(frame_rate_judge(1200000, &times), FRAME_RATE_IMPLAUSIBLE);

    assert_int_equal(frame_rate_judge(0.1, &times), FRAME_RATE_SLIDESHOW);
    assert_int_equal(times, 10);
    assert_int_equal(frame_rate_judge(0.5, &times), FRAME_RATE_SLIDESHOW);
    assert_int_equal(times, 2);
    assert_int_equal(frame_rate_judge(1.0 / 3, &times), FRAME_RATE_SLIDESHOW);
    assert_int_equal(times, 3);         /* exactly 1 fps, not 4 */
    assert_int_equal(frame_rate_judge(0.3, &times), FRAME_RATE_SLIDESHOW);
    assert_int_equal(times, 4);         /* 1.2 fps: the smallest that reaches 1 */
    assert_int_equal(frame_rate_judge(1e-12, &times), FRAME_RATE_SLIDESHOW);
    assert_int_equal(times, INT_MAX);   /* absurd, but no overflow */
}

/* A context with one video stream of nb_frames and audio streams of the
 * given durations in seconds (<= 0: unknown). */
static AVFormatContext *context(int64_t nb_frames, const double *audio_seconds, int nb_audio)
{
    AVFormatContext *in = avformat_alloc_context();
    assert_non_null(in);
    AVStream *v = avformat_new_stream(in, NULL);
    assert_non_null(v);
    v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    v->nb_frames = nb_frames;
    for (int i = 0; i < nb_audio; i++) {
        AVStream *a = avformat_new_stream(in, NULL);
        assert_non_null(a);
        a->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
        a->time_base = (AVRational){ 1, 48000 };
        a->duration = audio_seconds[i] > 0 ? (int64_t)(audio_seconds[i] * 48000) : AV_NOPTS_VALUE;
    }
    return in;
}

static void test_measured(void **state)
{
    (void)state;
    /* 250 pictures over 10 s of audio: 25 fps. */
    AVFormatContext *in = context(250, (double[]){ 10 }, 1);
    AVRational r = frame_rate_measured(in, in->streams[0]);
    assert_true(fabs(av_q2d(r) - 25) < 1e-6);
    avformat_free_context(in);

    /* 300 pictures over 10 s: 30 fps, the first audio stream with a length. */
    in = context(300, (double[]){ 0, 10 }, 2);
    assert_true(fabs(av_q2d(frame_rate_measured(in, in->streams[0])) - 30) < 1e-6);
    avformat_free_context(in);

    /* 29.97: kept to the 1001 denominators. */
    in = context(2997, (double[]){ 100 }, 1);
    r = frame_rate_measured(in, in->streams[0]);
    assert_true(fabs(av_q2d(r) - 29.97) < 1e-6);
    avformat_free_context(in);

    /* No audio, no frame count, or a count that makes no plausible rate:
     * FFmpeg's raw-stream default. */
    in = context(250, NULL, 0);
    r = frame_rate_measured(in, in->streams[0]);
    assert_int_equal(r.num, 25);
    assert_int_equal(r.den, 1);
    avformat_free_context(in);
    in = context(0, (double[]){ 10 }, 1);
    assert_true(av_q2d(frame_rate_measured(in, in->streams[0])) == 25);
    avformat_free_context(in);
    in = context(100000, (double[]){ 10 }, 1);
    assert_true(av_q2d(frame_rate_measured(in, in->streams[0])) == 25);
    avformat_free_context(in);
    in = context(5, (double[]){ 10 }, 1);
    assert_true(av_q2d(frame_rate_measured(in, in->streams[0])) == 25);
    avformat_free_context(in);
}

/* A context with one video stream timed in 1/1000 whose header says
 * avg_frame_rate avg and r_frame_rate real. */
static AVFormatContext *video_context(AVRational avg, AVRational real)
{
    AVFormatContext *in = avformat_alloc_context();
    assert_non_null(in);
    AVStream *v = avformat_new_stream(in, NULL);
    assert_non_null(v);
    v->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    v->time_base = (AVRational){ 1, 1000 };
    v->avg_frame_rate = avg;
    v->r_frame_rate = real;
    return in;
}

/* Feed n presentation times (decode order) of the stream's packets; flags
 * of packet i: AV_PKT_FLAG_DISCARD when discard[i]. Returns how many the
 * window took before it wanted no more. */
static int feed(frame_rate_window *w, const int64_t *pts, int n, const bool *discard)
{
    AVPacket *pkt = av_packet_alloc();
    assert_non_null(pkt);
    int taken = 0;
    for (int i = 0; i < n && !w->done; i++, taken++) {
        pkt->pts = pts[i];
        pkt->dts = AV_NOPTS_VALUE;    /* as Matroska's B-frames */
        pkt->flags = discard && discard[i] ? AV_PKT_FLAG_DISCARD : 0;
        frame_rate_window_add(w, pkt);
    }
    av_packet_free(&pkt);
    return taken;
}

/* Measure pts as the encode does (a 10 s window) and decide. */
static void measure_and_decide(AVFormatContext *in, const int64_t *pts, int n, frame_rate_measure *m,
                               frame_rate_decision *d, frame_rate_window *w_out)
{
    AVStream *st = in->streams[0];
    frame_rate_decide(in, st, NULL, d);
    frame_rate_window w;
    assert_int_equal(frame_rate_window_init(&w, st, FRAME_RATE_SCAN_SECONDS), 0);
    feed(&w, pts, n, NULL);
    assert_int_equal(frame_rate_window_judge(&w, 1.0 / (av_q2d(d->header) * av_q2d(st->time_base)), m), 0);
    if (w_out)
        *w_out = w;
    frame_rate_window_free(&w);
    frame_rate_decide(in, st, m, d);
}

/* Times in ms of pictures at fps from t0 for seconds, appended at *n. */
static void times_at(int64_t *pts, int *n, double t0, double fps, double seconds)
{
    int frames = (int)lround(seconds * fps);
    for (int i = 0; i < frames; i++)
        pts[(*n)++] = llround((t0 + i / fps) * 1000);
}

static void test_lying_header(void **state)
{
    (void)state;
    /* 30 fps for 5 s, then 15 fps for 5 s, remuxed to Matroska: the header
     * states the average, 3375/148 = 22.804 fps, as both rates. */
    int64_t pts[400];
    int n = 0;
    times_at(pts, &n, 0, 30, 5);
    times_at(pts, &n, 5, 15, 5);
    assert_int_equal(n, 225);
    AVFormatContext *in = video_context((AVRational){ 3375, 148 }, (AVRational){ 3375, 148 });
    frame_rate_decision d;
    frame_rate_decide(in, in->streams[0], NULL, &d);
    assert_true(d.cfr);                  /* the header alone */
    frame_rate_measure m;
    measure_and_decide(in, pts, n, &m, &d, NULL);
    assert_int_equal(m.frames, 225);
    assert_true(m.vfr);
    assert_int_equal(m.short_intervals, 150);   /* every 30 fps interval, and the one into 15 fps */
    assert_false(d.cfr);
    assert_true(d.contradicted);
    assert_int_equal(d.verdict, FRAME_RATE_AS_IS);
    assert_int_equal(d.rate.num, 3375);         /* made at the average */
    assert_int_equal(d.rate.den, 148);
    assert_true(fabs(d.measured - 224 / 9.9333) < 0.01);
    avformat_free_context(in);

    /* Irregular spacing around 25 fps (0.62 to 1.38 frames, the e2e VFR
     * clip's) under a header saying 25. */
    n = 0;
    for (int i = 0; i < 250; i++)
        pts[n++] = llround((i / 25.0 + 0.4 / 25 * sin(i)) * 1000);
    in = video_context((AVRational){ 25, 1 }, (AVRational){ 25, 1 });
    measure_and_decide(in, pts, n, &m, &d, NULL);
    assert_false(d.cfr);
    assert_true(d.contradicted);
    avformat_free_context(in);
}

static void test_constant_rates_stay(void **state)
{
    (void)state;
    int64_t pts[400];
    frame_rate_measure m;
    frame_rate_decision d;

    /* 29.97 fps in whole milliseconds (33 and 34 ms), B-frames in decode
     * order (I P B B ...: each P before the two pictures shown before it). */
    int n = 0;
    int64_t shown[300];
    for (int i = 0; i < 300; i++)
        shown[i] = llround(i * 1001.0 / 30);
    pts[n++] = shown[0];
    for (int i = 1; i + 2 < 300; i += 3) {
        pts[n++] = shown[i + 2];
        pts[n++] = shown[i];
        pts[n++] = shown[i + 1];
    }
    AVFormatContext *in = video_context((AVRational){ 30000, 1001 }, (AVRational){ 30000, 1001 });
    measure_and_decide(in, pts, n, &m, &d, NULL);
    assert_int_equal(m.short_intervals, 0);
    assert_false(m.vfr);
    assert_true(fabs(m.rate - 30000.0 / 1001) < 0.01);
    assert_true(d.cfr);
    assert_false(d.contradicted);
    avformat_free_context(in);

    /* 25 fps with a 4 s hole at 4 s: measured VFR (the hole), but a hole is
     * the timeline's (held), not a rate: still CFR. */
    n = 0;
    times_at(pts, &n, 0, 25, 4);
    times_at(pts, &n, 8, 25, 4);
    in = video_context((AVRational){ 25, 1 }, (AVRational){ 25, 1 });
    measure_and_decide(in, pts, n, &m, &d, NULL);
    assert_true(m.vfr);
    assert_int_equal(m.short_intervals, 0);
    assert_true(d.cfr);

    /* A jump 4 s back at 5 s: the window ends there (sorted with the times
     * before, the times after would look like 50 fps). */
    n = 0;
    times_at(pts, &n, 0, 25, 5);
    times_at(pts, &n, 1, 25, 5);
    frame_rate_window w;
    measure_and_decide(in, pts, n, &m, &d, &w);
    assert_true(w.jumped);
    assert_int_equal(m.frames, 125);
    assert_int_equal(m.short_intervals, 0);
    assert_true(d.cfr);

    /* Two pictures out of line (20 ms early, 15 ms late): two short
     * intervals of 249, under 1 in 50: not a rate. */
    n = 0;
    times_at(pts, &n, 0, 25, 10);
    pts[100] -= 20;
    pts[200] += 15;
    measure_and_decide(in, pts, n, &m, &d, NULL);
    assert_int_equal(m.short_intervals, 2);
    assert_true(d.cfr);
    avformat_free_context(in);
}

static void test_window_bounds(void **state)
{
    (void)state;
    /* 20 s at 25 fps: the window takes 10 s and the reorder reach past it,
     * then wants no more. */
    int64_t pts[600];
    int n = 0;
    times_at(pts, &n, 0, 25, 20);
    AVFormatContext *in = video_context((AVRational){ 25, 1 }, (AVRational){ 25, 1 });
    frame_rate_window w;
    assert_int_equal(frame_rate_window_init(&w, in->streams[0], FRAME_RATE_SCAN_SECONDS), 0);
    int taken = feed(&w, pts, n, NULL);
    assert_true(w.done);
    assert_int_equal(w.n, 251);              /* 0 .. 10.0 s inclusive */
    assert_int_equal(taken, 251 + FRAME_RATE_MAX_REORDER + 1);
    frame_rate_window_free(&w);

    /* Discarded packets (an edit list's) are no pictures; fewer than 3
     * times measure nothing. */
    bool discard[600] = { false };
    for (int i = 0; i < 50; i++)
        discard[i] = true;
    assert_int_equal(frame_rate_window_init(&w, in->streams[0], 1.0), 0);
    feed(&w, pts, 100, discard);
    assert_int_equal(w.n, 26);               /* 2.0 .. 3.0 s */
    assert_int_equal(w.pictures, 26 + FRAME_RATE_MAX_REORDER + 1);   /* and the reach past it */
    assert_int_equal(w.pts[0], 2000);
    frame_rate_measure m;
    assert_int_equal(frame_rate_window_judge(&w, 40, &m), 0);
    assert_true(fabs(m.rate - 25) < 1e-9);
    frame_rate_window_free(&w);
    assert_int_equal(frame_rate_window_init(&w, in->streams[0], 1.0), 0);
    feed(&w, pts, 2, NULL);
    assert_int_equal(frame_rate_window_judge(&w, 40, &m), 0);
    assert_int_equal(m.frames, 2);
    assert_true(m.rate == 0 && m.intervals == 0 && !m.vfr);
    frame_rate_window_free(&w);
    avformat_free_context(in);
}

static void test_decide_without_trust(void **state)
{
    (void)state;
    /* Whatever the packet times say, an implausible header is timed by
     * count and a slideshow held (both constant-rate), and a header that
     * already says VFR stays VFR. */
    frame_rate_measure m = { .frames = 101, .intervals = 100, .rate = 30, .vfr = true, .short_intervals = 100 };
    frame_rate_decision d;
    AVFormatContext *in = video_context((AVRational){ 90000, 1 }, (AVRational){ 90000, 1 });
    frame_rate_decide(in, in->streams[0], &m, &d);
    assert_int_equal(d.verdict, FRAME_RATE_IMPLAUSIBLE);
    assert_true(d.cfr);
    assert_false(d.contradicted);
    avformat_free_context(in);
    in = video_context((AVRational){ 1, 10 }, (AVRational){ 1, 10 });
    frame_rate_decide(in, in->streams[0], &m, &d);
    assert_int_equal(d.verdict, FRAME_RATE_SLIDESHOW);
    assert_true(d.cfr);
    assert_false(d.contradicted);
    avformat_free_context(in);
    in = video_context((AVRational){ 45, 2 }, (AVRational){ 30, 1 });
    frame_rate_decide(in, in->streams[0], &m, &d);
    assert_false(d.cfr);
    assert_false(d.contradicted);
    assert_int_equal(d.rate.num, 45);
    assert_true(d.measured == 30);
    avformat_free_context(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_measured),
        cmocka_unit_test(test_lying_header),
        cmocka_unit_test(test_constant_rates_stay),
        cmocka_unit_test(test_window_bounds),
        cmocka_unit_test(test_decide_without_trust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
