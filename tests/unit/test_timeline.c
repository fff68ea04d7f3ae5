/*
 * The one presentation timeline (engine/timeline.c): splices and restarts
 * continue every stream right after what came before, together; gaps are
 * kept (or closed with close_gaps); one packet out of line is put back;
 * and the picture held over a hole is counted in whole frames.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "timeline.h"

#define MS 1000
#define SEC 1000000

enum { VIDEO = 0, AUDIO = 1 };

typedef struct feed {
    int64_t video_next, audio_next;  /* input clock */
} feed;

static timeline *open_timeline(bool close_gaps)
{
    timeline *t = NULL;
    timeline_params p = { .close_gaps = close_gaps, .max_hold_us = 10 * SEC };
    assert_int_equal(timeline_init(&t, &p), 0);
    return t;
}

/*
 * Interleave 40 ms video and ~21 ms audio packets for `seconds` from the
 * feed's clocks; check that every mapped time continues the stream's last
 * one by its duration, except at the first packet of each stream after
 * `expect_from` where the mapped time must be expect_at (when >= 0).
 * Returns the mapped end of each stream in *video_end / *audio_end.
 */
static void play(timeline *t, feed *f, double seconds, int64_t *video_end, int64_t *audio_end)
{
    int64_t stop = f->video_next + (int64_t)(seconds * SEC);
    while (f->video_next < stop) {
        int64_t dts;
        if (f->audio_next <= f->video_next) {
            dts = f->audio_next + timeline_packet(t, AUDIO, f->audio_next, 21333);
            if (*audio_end)
                assert_true(llabs(dts - *audio_end) < 1 * MS);
            *audio_end = dts + 21333;
            f->audio_next += 21333;
        } else {
            dts = f->video_next + timeline_packet(t, VIDEO, f->video_next, 40 * MS);
            if (*video_end)
                assert_true(llabs(dts - *video_end) < 1 * MS);
            *video_end = dts + 40 * MS;
            f->video_next += 40 * MS;
        }
    }
}

static int count_kind(const timeline *t, timeline_event_kind kind)
{
    const timeline_event *ev;
    int64_t total;
    int n = timeline_events(t, &ev, &total), c = 0;
    for (int i = 0; i < n; i++)
        c += ev[i].kind == kind;
    return c;
}

/* A restart at zero and a 4 s step back: both streams continue right after
 * what they played, shifted alike, each reported once. */
static void test_backward_jumps_continue_together(void **state)
{
    (void)state;
    timeline *t = open_timeline(false);
    feed f = { .video_next = 30 * SEC, .audio_next = 30 * SEC };
    int64_t vend = 0, aend = 0;
    play(t, &f, 5, &vend, &aend);
    f.video_next = f.audio_next = 0;          /* restart */
    int64_t v0 = vend, a0 = aend;
    vend = aend = 0;
    int64_t v_first = timeline_packet(t, VIDEO, f.video_next, 40 * MS) + f.video_next;
    int64_t a_first = timeline_packet(t, AUDIO, f.audio_next, 21333) + f.audio_next;
    /* Each continues where it stopped; the two shifts are the same. */
    assert_true(llabs(v_first - v0) < 1 * MS);
    assert_true(llabs((a_first - f.audio_next) - (v_first - f.video_next)) == 0);
    /* Audio stopped within a video frame of the video (its follower
     * fills or trims the difference). */
    assert_true(llabs(a_first - a0) < 40 * MS);
    f.video_next += 40 * MS;
    f.audio_next += 21333;
    vend = v_first + 40 * MS;
    aend = a_first + 21333;
    play(t, &f, 3, &vend, &aend);
    f.video_next -= 4 * SEC;
    f.audio_next -= 4 * SEC;
    vend = aend = 0;
    play(t, &f, 3, &vend, &aend);
    assert_int_equal(count_kind(t, TIMELINE_JUMP_BACK), 2);
    timeline_close(t);
}

/* A 4 s forward gap is kept (the pump holds the picture, audio gets
 * silence) and reported once; a 30 s one is closed on both streams. */
static void test_forward_gaps(void **state)
{
    (void)state;
    timeline *t = open_timeline(false);
    feed f = { .video_next = 0, .audio_next = 0 };
    int64_t vend = 0, aend = 0;
    play(t, &f, 5, &vend, &aend);
    f.video_next += 4 * SEC;
    f.audio_next += 4 * SEC;
    assert_int_equal(timeline_packet(t, VIDEO, f.video_next, 40 * MS), 0);
    assert_int_equal(timeline_packet(t, AUDIO, f.audio_next, 21333), 0);
    assert_int_equal(count_kind(t, TIMELINE_GAP), 1);
    f.video_next += 40 * MS;
    f.audio_next += 21333;
    vend = aend = 0;
    play(t, &f, 2, &vend, &aend);
    f.video_next += 30 * SEC;
    f.audio_next += 30 * SEC;
    int64_t vo = timeline_packet(t, VIDEO, f.video_next, 40 * MS);
    int64_t ao = timeline_packet(t, AUDIO, f.audio_next, 21333);
    assert_true(vo < -29 * SEC && vo == ao);
    assert_int_equal(count_kind(t, TIMELINE_GAP_CLOSED), 1);
    timeline_close(t);
}

/* --gaps close: a 2 s gap is closed too; 100 ms of variable rate is not. */
static void test_close_gaps(void **state)
{
    (void)state;
    timeline *t = open_timeline(true);
    assert_int_equal(timeline_packet(t, VIDEO, 0, 40 * MS), 0);
    assert_int_equal(timeline_packet(t, VIDEO, 140 * MS, 40 * MS), 0);
    int64_t off = timeline_packet(t, VIDEO, 2180 * MS, 40 * MS);
    assert_int_equal(off, -2 * SEC);
    assert_int_equal(count_kind(t, TIMELINE_GAP_CLOSED), 1);
    timeline_close(t);
}

/* One packet 160 ms back, then the old line again: put back, the stream
 * does not move for good. */
static void test_outlier_put_back(void **state)
{
    (void)state;
    timeline *t = open_timeline(false);
    for (int i = 0; i < 12; i++)
        assert_int_equal(timeline_packet(t, VIDEO, i * 40 * MS, 40 * MS), 0);
    int64_t off = timeline_packet(t, VIDEO, 8 * 40 * MS, 40 * MS);
    assert_int_equal(8 * 40 * MS + off, 12 * 40 * MS);   /* where it belonged */
    for (int i = 13; i < 20; i++)
        assert_int_equal(timeline_packet(t, VIDEO, i * 40 * MS, 40 * MS), 0);
    assert_int_equal(count_kind(t, TIMELINE_OUTLIER), 1);
    assert_int_equal(count_kind(t, TIMELINE_JUMP_BACK), 0);
    timeline_close(t);
}

/* Packets without a time keep their stream's offset; unknown streams pass. */
static void test_untimed_and_unknown(void **state)
{
    (void)state;
    timeline *t = open_timeline(false);
    timeline_packet(t, VIDEO, 10 * SEC, 40 * MS);
    int64_t off = timeline_packet(t, VIDEO, 0, 40 * MS);
    assert_true(off > 0);
    assert_int_equal(timeline_packet(t, VIDEO, TIMELINE_NO_TS, 0), off);
    assert_int_equal(timeline_packet(t, TIMELINE_MAX_STREAMS, 0, 0), 0);
    assert_int_equal(timeline_packet(t, -1, 0, 0), 0);
    timeline_close(t);
}

static void test_hold_frames(void **state)
{
    (void)state;
    /* CFR, 40 ms frames: a hole of 1.4 frames is jitter, 2 frames hold 1. */
    assert_int_equal(timeline_hold_frames(0, 56, 40, true, 1000), 0);
    assert_int_equal(timeline_hold_frames(0, 80, 40, true, 1000), 1);
    /* A 4 s gap after a picture at 0: 99 copies, the next picture at 4 s. */
    assert_int_equal(timeline_hold_frames(0, 4000, 40, true, 1000), 99);
    /* VFR: two frames' hole is its rhythm; three is a gap. */
    assert_int_equal(timeline_hold_frames(0, 80, 40, false, 1000), 0);
    assert_int_equal(timeline_hold_frames(0, 120, 40, false, 1000), 2);
    /* Bounded, and nothing backwards. */
    assert_int_equal(timeline_hold_frames(0, 4000, 40, true, 10), 10);
    assert_int_equal(timeline_hold_frames(100, 50, 40, true, 10), 0);
    assert_int_equal(timeline_hold_frames(0, 100, 0, true, 10), 0);
    /* A hostile input's times: no overflow, still bounded. */
    assert_int_equal(timeline_hold_frames(INT64_MIN / 2, INT64_MAX / 2, 40, true, 7), 7);
}

/* More events than kept: counted all the same. */
static void test_event_overflow(void **state)
{
    (void)state;
    timeline *t = open_timeline(false);
    for (int i = 0; i < TIMELINE_MAX_EVENTS + 5; i++)
        timeline_note(t, TIMELINE_AUDIO_FORMAT, 1, i, 0);
    const timeline_event *ev;
    int64_t total;
    assert_int_equal(timeline_events(t, &ev, &total), TIMELINE_MAX_EVENTS);
    assert_int_equal(total, TIMELINE_MAX_EVENTS + 5);
    assert_string_equal(timeline_event_name(ev[0].kind), "audio_format");
    timeline_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backward_jumps_continue_together),
        cmocka_unit_test(test_forward_gaps),
        cmocka_unit_test(test_close_gaps),
        cmocka_unit_test(test_outlier_put_back),
        cmocka_unit_test(test_untimed_and_unknown),
        cmocka_unit_test(test_hold_frames),
        cmocka_unit_test(test_event_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
