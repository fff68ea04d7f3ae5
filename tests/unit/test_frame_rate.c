/*
 * The frame-rate rule ladder encode applies and ladder probe reports
 * (engine/frame_rate.c): over 240 fps a header is implausible and the
 * pictures are timed at the measured rate (frame count over the audio's
 * length, else 25 fps); under 1 fps a source is a slideshow raised to the
 * smallest whole multiple of its rate of at least 1 fps.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_judge),
        cmocka_unit_test(test_measured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
