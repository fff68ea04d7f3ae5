/*
 * Decode times of a chunk's packets (engine/chunk_dts.c), judged as the mp4
 * muxer takes them: across consecutive chunks every dts rises, none passes
 * its pts, each chunk's first dts leads its first picture by the rung's
 * lead, and each chunk's decode times end where the next chunk's begin (the
 * muxer places a fragment's first sample there). On a constant rate they
 * are x264's own; on a variable one (30 then 15 fps, irregular spacing, the
 * rate changing at a chunk boundary) they still join, where x264's did not,
 * and a chunk whose last pictures last longer than the lead ends exactly
 * too, its last packet given its decode duration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "engine/chunk_dts.h"
#include "ladder/error.h"

#define MAX_FRAMES 512

/* One chunk: presentation times (sorted) and durations of its pictures,
 * and its packets in decode order. */
typedef struct chunk {
    int n;
    int64_t shown[MAX_FRAMES], duration[MAX_FRAMES];
    int64_t pts[MAX_FRAMES];      /* decode order */
    int64_t end;
} chunk;

/* x264's decode order with B-pyramid: the I, then per mini-GOP of up to
 * four pictures a b c P: P, b (the reference B), a, c. Two pictures held
 * back at most. */
static void decode_order(chunk *c)
{
    int k = 0;
    c->pts[k++] = c->shown[0];
    for (int i = 1; i < c->n; i += 4) {
        int left = c->n - i < 4 ? c->n - i : 4;
        if (left == 4) {
            c->pts[k++] = c->shown[i + 3];
            c->pts[k++] = c->shown[i + 1];
            c->pts[k++] = c->shown[i];
            c->pts[k++] = c->shown[i + 2];
        } else {
            for (int j = left - 1; j >= 0; j--)   /* the last P first, then what it closes */
                c->pts[k++] = c->shown[i + j];
        }
    }
    assert_int_equal(k, c->n);
}

static int64_t duration_of(const chunk *c, int64_t pts)
{
    for (int i = 0; i < c->n; i++)
        if (c->shown[i] == pts)
            return c->duration[i];
    fail_msg("no picture at %lld", (long long)pts);
    return 0;
}

/* Cut the pictures at times[0..n) (end: where the last ends) into chunks
 * starting at the given picture indices. */
static int cut(const int64_t *times, int n, int64_t end, const int *starts, int nb, chunk *out)
{
    for (int k = 0; k < nb; k++) {
        int from = starts[k], to = k + 1 < nb ? starts[k + 1] : n;
        chunk *c = &out[k];
        c->n = to - from;
        for (int i = 0; i < c->n; i++) {
            c->shown[i] = times[from + i];
            c->duration[i] = (from + i + 1 < n ? times[from + i + 1] : end) - times[from + i];
        }
        c->end = to < n ? times[to] : end;
        decode_order(c);
    }
    return nb;
}

/* Every chunk's decode times, checked as the muxer would take them.
 * stretched: how many chunks' last packets get their decode duration. */
static int check_track(chunk *chunks, int nb, int depth, int64_t step)
{
    int64_t lead = depth * step, last_dts = INT64_MIN, decode_end = INT64_MIN;
    int stretched = 0;
    for (int k = 0; k < nb; k++) {
        chunk *c = &chunks[k];
        int64_t dts[MAX_FRAMES];
        int64_t shown_for = duration_of(c, c->pts[c->n - 1]);
        chunk_dts_params p = { .depth = depth, .step = step, .end = c->end, .last_duration = shown_for };
        chunk_dts_result res;
        assert_int_equal(chunk_dts_make(c->pts, c->n, &p, dts, &res), 0);
        assert_int_equal(res.late_packet, -1);
        assert_int_equal(dts[0], c->shown[0] - lead);
        if (k > 0)
            assert_int_equal(dts[0], decode_end);
        for (int i = 0; i < c->n; i++) {
            assert_true(dts[i] > last_dts);
            assert_true(dts[i] <= c->pts[i]);
            last_dts = dts[i];
        }
        /* A longer duration never reaches past the chunk: the segment's
         * length (pts + duration of its pictures) is the same. */
        assert_true(res.last_duration >= shown_for);
        assert_true(c->pts[c->n - 1] + res.last_duration <= c->end);
        stretched += res.last_duration > shown_for;
        decode_end = dts[c->n - 1] + res.last_duration;
        assert_int_equal(decode_end, c->end - lead);
    }
    return stretched;
}

static void test_constant_rate_is_x264s(void **state)
{
    (void)state;
    /* 25 fps in 1/1000, 2 s chunks: x264's dts are the (i - 2)th picture
     * shown, the first two 80 and 40 ms before the first. */
    static int64_t times[150];
    for (int i = 0; i < 150; i++)
        times[i] = 40 * i;
    static chunk chunks[3];
    cut(times, 150, 6000, (int[]){ 0, 50, 100 }, 3, chunks);
    assert_int_equal(check_track(chunks, 3, 2, 40), 0);
    int64_t dts[MAX_FRAMES];
    chunk *c = &chunks[1];
    chunk_dts_params p = { .depth = 2, .step = 40, .end = c->end, .last_duration = 40 };
    chunk_dts_result res;
    assert_int_equal(chunk_dts_make(c->pts, c->n, &p, dts, &res), 0);
    assert_int_equal(dts[0], 2000 - 80);
    assert_int_equal(dts[1], 2000 - 40);
    for (int i = 2; i < c->n; i++)
        assert_int_equal(dts[i], c->shown[i - 2]);
}

static void test_variable_rates_join(void **state)
{
    (void)state;
    /* 30 fps for 4 s then 15 fps for 4 s in whole ms, the rate changing
     * exactly at a chunk boundary (x264's own dts went back there), made
     * at the average 22.5 fps (44 ms). */
    static int64_t times[MAX_FRAMES];
    int n = 0;
    for (int i = 0; i < 120; i++)
        times[n++] = (int64_t)(i * 1000 / 30.0 + 0.5);
    for (int i = 0; i < 60; i++)
        times[n++] = 4000 + (int64_t)(i * 1000 / 15.0 + 0.5);
    static chunk chunks[8];
    cut(times, n, 8000, (int[]){ 0, 60, 120, 150 }, 4, chunks);
    check_track(chunks, 4, 2, 44);

    /* The other way round: 15 then 30 fps, chunks cut mid-rate. */
    n = 0;
    for (int i = 0; i < 60; i++)
        times[n++] = (int64_t)(i * 1000 / 15.0 + 0.5);
    for (int i = 0; i < 120; i++)
        times[n++] = 4000 + (int64_t)(i * 1000 / 30.0 + 0.5);
    cut(times, n, 8000, (int[]){ 0, 23, 77, 130 }, 4, chunks);
    check_track(chunks, 4, 2, 44);

    /* Irregular spacing (0.62 to 1.38 frames of 40 ms) and a hole of 110
     * ms (under the VFR hold threshold), every chunk at another length. */
    n = 0;
    int64_t t = 0;
    for (int i = 0; i < 300; i++) {
        times[n++] = t;
        t += i == 140 ? 110 : 25 + (i * 7919) % 31;
    }
    cut(times, n, t, (int[]){ 0, 37, 90, 141, 200, 201, 260 }, 7, chunks);
    check_track(chunks, 7, 2, 40);
}

static void test_long_tail(void **state)
{
    (void)state;
    /* Pictures 100 ms apart on a rung whose frame is 10 ms (a 20 ms lead),
     * chunks ending in a mini-GOP (the last packet decoded is shown 100 or
     * 200 ms before the chunk ends): the last packet decodes at its own
     * pts and lasts until the chunk's end less the lead. */
    static int64_t times[40];
    for (int i = 0; i < 40; i++)
        times[i] = 100 * i;
    static chunk chunks[3];
    cut(times, 40, 4000, (int[]){ 0, 9, 25 }, 3, chunks);
    assert_int_equal(check_track(chunks, 3, 2, 10), 3);
    int64_t dts[MAX_FRAMES];
    chunk *c = &chunks[0];
    chunk_dts_params p = { .depth = 2, .step = 10, .end = c->end, .last_duration = 100 };
    chunk_dts_result res;
    assert_int_equal(chunk_dts_make(c->pts, c->n, &p, dts, &res), 0);
    assert_int_equal(c->pts[c->n - 1], 700);    /* P 800, then 600, 500, 700 */
    assert_int_equal(dts[c->n - 1], 700);
    assert_int_equal(res.last_duration, 900 - 20 - 700);
}

static void test_presentation_order_and_one_picture(void **state)
{
    (void)state;
    /* AV1 (no lead): decode times are the presentation times. */
    int64_t pts[] = { 0, 33, 67, 100, 167 }, dts[5];
    chunk_dts_params p = { .depth = 0, .step = 33, .end = 200, .last_duration = 33 };
    chunk_dts_result res;
    assert_int_equal(chunk_dts_make(pts, 5, &p, dts, &res), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(dts[i], pts[i]);
    /* A chunk of one picture (a short last chunk, a slideshow's). */
    p = (chunk_dts_params){ .depth = 2, .step = 40, .end = 1040, .last_duration = 40 };
    assert_int_equal(chunk_dts_make((int64_t[]){ 1000 }, 1, &p, dts, &res), 0);
    assert_int_equal(dts[0], 920);
}

static void test_refused(void **state)
{
    (void)state;
    int64_t dts[8];
    chunk_dts_result res;
    /* Three pictures held back with a lead of two: the packet shown at 40
     * would decode after the one shown at 80, decoded before it. */
    int64_t pts[] = { 0, 200, 160, 120, 40, 80 };
    chunk_dts_params p = { .depth = 2, .step = 40, .end = 240, .last_duration = 40 };
    assert_int_equal(chunk_dts_make(pts, 6, &p, dts, &res), LADDER_EINVAL);
    assert_int_equal(res.late_packet, 4);
    /* Nonsense: no packets, no step, no duration, an end before the pictures. */
    assert_int_equal(chunk_dts_make(pts, 0, &p, dts, &res), LADDER_EINVAL);
    p.step = 0;
    assert_int_equal(chunk_dts_make(pts, 5, &p, dts, &res), LADDER_EINVAL);
    p = (chunk_dts_params){ .depth = 2, .step = 40, .end = 200, .last_duration = 0 };
    assert_int_equal(chunk_dts_make(pts, 5, &p, dts, &res), LADDER_EINVAL);
    p = (chunk_dts_params){ .depth = 2, .step = 40, .end = 100, .last_duration = 40 };
    assert_int_equal(chunk_dts_make((int64_t[]){ 0, 80, 40 }, 3, &p, dts, &res), 0);
    p.end = 10;
    assert_int_equal(chunk_dts_make((int64_t[]){ 0, 80, 40 }, 3, &p, dts, &res), LADDER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constant_rate_is_x264s),
        cmocka_unit_test(test_variable_rates_join),
        cmocka_unit_test(test_long_tail),
        cmocka_unit_test(test_presentation_order_and_one_picture),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
