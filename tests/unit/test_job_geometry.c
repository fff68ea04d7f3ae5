/*
 * Pure functions of the image jobs: the filmstrip layout (tile positions,
 * sheets, cue times without gaps), its WebVTT text, and the thumbnail
 * frame scorer on synthetic luma planes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ladder/job.h"

static void tile_count(void **state)
{
    assert_int_equal(ladder_filmstrip_count(7, 10, 100), 7);
    assert_int_equal(ladder_filmstrip_count(0, 10, 100), 10);
    assert_int_equal(ladder_filmstrip_count(0, 10, 101), 11);
    assert_int_equal(ladder_filmstrip_count(0, 10, 3), 1);
    assert_int_equal(ladder_filmstrip_count(0, 0.1, 1e6), 1000);
}

static void layout_grid(void **state)
{
    ladder_filmstrip_tile t[7];
    assert_int_equal(ladder_filmstrip_layout(7, 3, 0, 160, 90, 14.0, t), 0);
    int expect_xy[7][2] = { { 0, 0 }, { 160, 0 }, { 320, 0 }, { 0, 90 }, { 160, 90 }, { 320, 90 }, { 0, 180 } };
    for (int i = 0; i < 7; i++) {
        assert_int_equal(t[i].sheet, 0);
        assert_int_equal(t[i].x, expect_xy[i][0]);
        assert_int_equal(t[i].y, expect_xy[i][1]);
        assert_int_equal(t[i].w, 160);
        assert_int_equal(t[i].h, 90);
        assert_true(fabs(t[i].start - 2.0 * i) < 1e-9);
        assert_true(t[i].sample_time > t[i].start && t[i].sample_time < t[i].end);
    }
    int w, h;
    ladder_filmstrip_sheet_size(7, 3, 0, 160, 90, 0, &w, &h);
    assert_int_equal(w, 480);
    assert_int_equal(h, 270);
    /* every tile inside its sheet */
    for (int i = 0; i < 7; i++)
        assert_true(t[i].x + t[i].w <= w && t[i].y + t[i].h <= h);
}

static void layout_sheets(void **state)
{
    ladder_filmstrip_tile t[10];
    /* 2 columns x 2 rows per sheet: 4, 4, 2 tiles */
    assert_int_equal(ladder_filmstrip_layout(10, 2, 2, 100, 50, 10.0, t), 0);
    assert_int_equal(t[3].sheet, 0);
    assert_int_equal(t[4].sheet, 1);
    assert_int_equal(t[4].x, 0);
    assert_int_equal(t[4].y, 0);
    assert_int_equal(t[7].x, 100);
    assert_int_equal(t[7].y, 50);
    assert_int_equal(t[9].sheet, 2);
    int w, h;
    ladder_filmstrip_sheet_size(10, 2, 2, 100, 50, 1, &w, &h);
    assert_int_equal(w, 200);
    assert_int_equal(h, 100);
    ladder_filmstrip_sheet_size(10, 2, 2, 100, 50, 2, &w, &h);
    assert_int_equal(w, 200);
    assert_int_equal(h, 50);
    ladder_filmstrip_sheet_size(1, 5, 0, 100, 50, 0, &w, &h);
    assert_int_equal(w, 100);  /* one tile: the sheet is one tile wide */
    assert_int_equal(h, 50);
}

static void cues_cover_duration(void **state)
{
    /* An awkward duration: cues must still meet exactly and end at it. */
    ladder_filmstrip_tile t[3];
    double d = 10.007;
    assert_int_equal(ladder_filmstrip_layout(3, 5, 0, 64, 36, d, t), 0);
    assert_true(t[0].start == 0);
    for (int i = 1; i < 3; i++)
        assert_true(t[i].start == t[i - 1].end);
    assert_true(t[2].end == d);
    assert_int_equal(ladder_filmstrip_layout(0, 5, 0, 64, 36, d, t), LADDER_EINVAL);
    assert_int_equal(ladder_filmstrip_layout(3, 5, 0, 64, 36, 0, t), LADDER_EINVAL);
}

static void vtt_text(void **state)
{
    ladder_filmstrip_tile t[4];
    assert_int_equal(ladder_filmstrip_layout(4, 2, 1, 160, 90, 3661.5, t), 0);
    const char *names[] = { "sprite-0.jpg", "sprite-1.jpg" };
    char *vtt = ladder_filmstrip_vtt(t, 4, names);
    assert_non_null(vtt);
    const char *expect =
        "WEBVTT\n"
        "\n00:00:00.000 --> 00:15:15.375\nsprite-0.jpg#xywh=0,0,160,90\n"
        "\n00:15:15.375 --> 00:30:30.750\nsprite-0.jpg#xywh=160,0,160,90\n"
        "\n00:30:30.750 --> 00:45:46.125\nsprite-1.jpg#xywh=0,0,160,90\n"
        "\n00:45:46.125 --> 01:01:01.500\nsprite-1.jpg#xywh=160,0,160,90\n";
    assert_string_equal(vtt, expect);
    free(vtt);
}

/* A w x h plane: value(x, y) from a rule. */
static uint8_t *plane(int w, int h, int kind)
{
    uint8_t *p = malloc((size_t)w * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v;
            switch (kind) {
            case 0: v = 16; break;                          /* black (video range) */
            case 1: v = 128; break;                         /* flat grey */
            case 2: v = ((x / 8 + y / 8) % 2) ? 200 : 40; break; /* checkerboard */
            case 3: v = x * 255 / (w - 1); break;           /* ramp */
            case 4: v = 250; break;                         /* white */
            default: v = ((x / 8 + y / 8) % 2) ? 30 : 10; break; /* dark, low detail */
            }
            p[y * w + x] = (uint8_t)v;
        }
    return p;
}

static void luma_scorer(void **state)
{
    const int w = 320, h = 180;
    uint8_t *p;
    ladder_luma_stats s;

    p = plane(w, h, 0);
    s = ladder_luma_measure(p, w, w, h);
    assert_true(fabs(s.mean - 16) < 1e-9 && s.stddev < 1e-9);
    assert_false(ladder_luma_usable(s));
    free(p);

    p = plane(w, h, 1);
    s = ladder_luma_measure(p, w, w, h);
    assert_false(ladder_luma_usable(s));
    free(p);

    p = plane(w, h, 4);
    assert_false(ladder_luma_usable(ladder_luma_measure(p, w, w, h)));
    free(p);

    p = plane(w, h, 5);
    assert_false(ladder_luma_usable(ladder_luma_measure(p, w, w, h)));
    free(p);

    p = plane(w, h, 2);
    s = ladder_luma_measure(p, w, w, h);
    assert_true(fabs(s.mean - 120) < 8);
    assert_true(fabs(s.stddev - 80) < 8);
    assert_true(ladder_luma_usable(s));
    free(p);

    p = plane(w, h, 3);
    s = ladder_luma_measure(p, w, w, h);
    assert_true(fabs(s.mean - 127.5) < 3);
    assert_true(ladder_luma_usable(s));
    free(p);

    /* linesize larger than width: padding bytes are not measured */
    uint8_t *padded = malloc((size_t)400 * h);
    memset(padded, 255, (size_t)400 * h);
    for (int y = 0; y < h; y++)
        memset(padded + y * 400, 16, w);
    s = ladder_luma_measure(padded, 400, w, h);
    assert_true(fabs(s.mean - 16) < 1e-9);
    free(padded);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tile_count),
        cmocka_unit_test(layout_grid),
        cmocka_unit_test(layout_sheets),
        cmocka_unit_test(cues_cover_duration),
        cmocka_unit_test(vtt_text),
        cmocka_unit_test(luma_scorer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
