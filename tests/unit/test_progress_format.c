/* The progress view's text (cli/progress_format.c, cli/progress_json.h):
 * durations, speeds, bars, the total's arithmetic (weights, speed, ETA),
 * rows that never pass the terminal's width, the JSON lines' "t". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "progress_format.h"
#include "progress_json.h"

static void test_duration(void **state)
{
    (void)state;
    char b[32];
    progress_format_duration(b, sizeof(b), 0);
    assert_string_equal(b, "0:00");
    progress_format_duration(b, sizeof(b), 7.9);
    assert_string_equal(b, "0:07");             /* rounded down: 0:08 only once it passed */
    progress_format_duration(b, sizeof(b), 754);
    assert_string_equal(b, "12:34");
    progress_format_duration(b, sizeof(b), 3723);
    assert_string_equal(b, "1:02:03");
    progress_format_duration(b, sizeof(b), -1);
    assert_string_equal(b, "--:--");
    progress_format_duration(b, sizeof(b), NAN);
    assert_string_equal(b, "--:--");
    progress_format_duration(b, sizeof(b), INFINITY);
    assert_string_equal(b, "--:--");
    progress_format_duration(b, sizeof(b), 1e12);  /* an ETA from almost nothing done */
    assert_string_equal(b, "--:--");
}

static void test_span_and_speed(void **state)
{
    (void)state;
    char b[32];
    progress_format_span(b, sizeof(b), 9.44);
    assert_string_equal(b, "9.4 s");
    progress_format_span(b, sizeof(b), 59.99);
    assert_string_equal(b, "0:59");             /* not "60.0 s" */
    progress_format_span(b, sizeof(b), 3723);
    assert_string_equal(b, "1:02:03");
    progress_format_span(b, sizeof(b), -1);
    assert_string_equal(b, "?");
    progress_format_speed(b, sizeof(b), 0.4234);
    assert_string_equal(b, "0.42x");
    progress_format_speed(b, sizeof(b), 2.414);
    assert_string_equal(b, "2.41x");
    progress_format_speed(b, sizeof(b), 9.999);
    assert_string_equal(b, "10.0x");            /* not "10.00x": the width holds */
    progress_format_speed(b, sizeof(b), 12.34);
    assert_string_equal(b, "12.3x");
    progress_format_speed(b, sizeof(b), 123.4);
    assert_string_equal(b, "123x");
    progress_format_speed(b, sizeof(b), -1);
    assert_string_equal(b, "?x");
    progress_format_speed(b, sizeof(b), NAN);
    assert_string_equal(b, "?x");
}

static void test_bar(void **state)
{
    (void)state;
    char b[64];
    progress_format_bar(b, sizeof(b), 10, 0.5);
    assert_string_equal(b, "[#####.....]");
    progress_format_bar(b, sizeof(b), 10, 0.999);
    assert_string_equal(b, "[#########.]");     /* full only when done */
    progress_format_bar(b, sizeof(b), 10, 1.5);
    assert_string_equal(b, "[##########]");
    progress_format_bar(b, sizeof(b), 4, NAN);
    assert_string_equal(b, "[....]");
    progress_format_bar(b, 8, 40, 1);           /* never past the buffer */
    assert_string_equal(b, "[#####]");
}

static void test_fit_and_wrap(void **state)
{
    (void)state;
    char t[64];
    snprintf(t, sizeof(t), "abcdef");
    assert_int_equal(progress_fit(t, 4), 4);
    assert_string_equal(t, "abcd");
    snprintf(t, sizeof(t), "abc");
    assert_int_equal(progress_fit(t, 10), 3);
    assert_string_equal(t, "abc");
    /* "café/é": 6 columns, 8 bytes; cut at a code point, not in one. */
    snprintf(t, sizeof(t), "caf\xc3\xa9/\xc3\xa9");
    assert_int_equal(progress_columns(t), 6);
    assert_int_equal(progress_fit(t, 4), 4);
    assert_string_equal(t, "caf\xc3\xa9");
    /* A 79-column row on a terminal narrowed to 40 takes two lines. */
    assert_int_equal(progress_wrapped_lines(79, 40), 2);
    assert_int_equal(progress_wrapped_lines(80, 40), 2);
    assert_int_equal(progress_wrapped_lines(81, 40), 3);
    assert_int_equal(progress_wrapped_lines(0, 40), 1);
    assert_int_equal(progress_wrapped_lines(30, 0), 1);
}

static ladder_rung_progress rung(const char *name, int w, int h, ladder_rung_state st, int64_t done, int64_t total)
{
    return (ladder_rung_progress){ .name = name, .width = w, .height = h, .state = st, .frames_done = done,
                                   .frames_total = total, .fps = 41.23, .eta_seconds = 3, .device = "cpu:0",
                                   .frame_rate = 30 };
}

static void test_total(void **state)
{
    (void)state;
    /* 1280x720 half done, 640x360 done-but-not-completed: by pixels,
     * (921600 * 300 + 230400 * 600) / ((921600 + 230400) * 600) = 0.6. */
    ladder_rung_progress rows[2] = {
        rung("720p", 1280, 720, LADDER_RUNG_RUNNING, 300, 600),
        rung("360p", 640, 360, LADDER_RUNG_RUNNING, 600, 600),
    };
    progress_total t;
    progress_total_of(rows, 2, 10, &t);
    assert_true(fabs(t.fraction - 0.6) < 1e-9);
    assert_true(fabs(t.media_total - 20) < 1e-9);    /* 600 frames at 30/s */
    assert_true(fabs(t.media_done - 12) < 1e-9);
    assert_true(fabs(t.speed - 1.2) < 1e-9);         /* 12 media seconds in 10 wall seconds */
    assert_true(fabs(t.eta - 10 * 0.4 / 0.6) < 1e-9);
    assert_int_equal(t.rungs, 2);
    assert_int_equal(t.completed, 0);

    /* Nothing done yet: speed and ETA unknown, not 0 or infinite. */
    rows[0].frames_done = rows[1].frames_done = 0;
    progress_total_of(rows, 2, 5, &t);
    assert_true(t.fraction == 0);
    assert_true(t.speed < 0);
    assert_true(t.eta < 0);

    /* Every rung completed: 100 %, ETA 0, whatever the estimates said. */
    rows[0] = rung("720p", 1280, 720, LADDER_RUNG_COMPLETED, 590, 590);
    rows[1] = rung("360p", 640, 360, LADDER_RUNG_COMPLETED, 590, 590);
    progress_total_of(rows, 2, 4, &t);
    assert_true(t.fraction == 1);
    assert_true(t.eta == 0);
    assert_int_equal(t.completed, 2);
    /* More frames than the estimate: the total follows what was done. */
    rows[0] = rung("720p", 1280, 720, LADDER_RUNG_RUNNING, 700, 600);
    assert_true(progress_rung_fraction(&rows[0]) == 1);
}

/* Every row at a width: at most width - 1 columns, the bar inside it. */
static void check_rows_fit(int width)
{
    ladder_rung_progress p = rung("1080p", 1920, 1080, LADDER_RUNG_FINALIZING, 123456, 234567);
    progress_total t = { .fraction = 0.412, .media_done = 4123, .media_total = 10000, .elapsed = 3599,
                         .speed = 1.15, .eta = 5000 };
    progress_layout l = progress_layout_for(width, 5);
    char row[512];
    progress_format_rung(row, sizeof(row), &l, &p);
    assert_true(progress_columns(row) <= (width > 21 ? width - 1 : 20));
    assert_non_null(strstr(row, "1080p"));
    if (width >= 30)              /* the bar gives way to the percentage */
        assert_non_null(strstr(row, "52.6%"));
    progress_format_total(row, sizeof(row), &l, &t);
    assert_true(progress_columns(row) <= (width > 21 ? width - 1 : 20));
    assert_non_null(strstr(row, "total"));
    if (width >= 30)
        assert_non_null(strstr(row, "41.2%"));
}

static void test_rows_fit(void **state)
{
    (void)state;
    for (int w = 22; w <= 240; w++)
        check_rows_fit(w);
}

static void test_rows_at_80(void **state)
{
    (void)state;
    /* 80 columns: the total shows its percentage, speed, ETA and elapsed;
     * a rung its state and rate; fields left out are left out whole. */
    ladder_rung_progress p = rung("720p", 1280, 720, LADDER_RUNG_RUNNING, 150, 600);
    progress_total t = { .fraction = 0.25, .media_done = 5, .media_total = 20, .elapsed = 4, .speed = 1.25,
                         .eta = 12 };
    progress_layout l = progress_layout_for(80, 5);
    assert_int_equal(l.cols, 79);
    char row[512];
    progress_format_total(row, sizeof(row), &l, &t);
    assert_non_null(strstr(row, " 25.0%"));
    assert_non_null(strstr(row, "1.25x realtime"));
    assert_non_null(strstr(row, "ETA 0:12"));
    assert_non_null(strstr(row, "elapsed 0:04"));
    assert_null(strstr(row, "media"));          /* no room: not half of it */
    progress_format_rung(row, sizeof(row), &l, &p);
    assert_non_null(strstr(row, "1280x720"));
    assert_non_null(strstr(row, " 25.0%"));
    assert_non_null(strstr(row, "running"));
    assert_non_null(strstr(row, "41.2 fps"));
    assert_null(strstr(row, "frames"));
    assert_true(row[strlen(row) - 1] != ' ');   /* no padding at the end */
    /* 200 columns: everything, the frames counted too. */
    l = progress_layout_for(200, 5);
    assert_int_equal(l.bar_width, 40);
    progress_format_rung(row, sizeof(row), &l, &p);
    assert_non_null(strstr(row, "150/600 frames"));
    progress_format_total(row, sizeof(row), &l, &t);
    assert_non_null(strstr(row, "media 0:05/0:20"));
    /* Rungs and the total share the bar's column. */
    char a[512], b[512];
    progress_format_rung(a, sizeof(a), &l, &p);
    progress_format_total(b, sizeof(b), &l, &t);
    assert_true(strchr(a, '[') - a == strchr(b, '[') - b);
}

static void test_utc(void **state)
{
    (void)state;
    char b[48];
    struct timespec ts = { .tv_sec = 1700000000, .tv_nsec = 123999999 };
    progress_json_utc(b, sizeof(b), &ts);
    assert_string_equal(b, "2023-11-14T22:13:20.123Z");
    ts.tv_nsec = 5000000;
    progress_json_utc(b, sizeof(b), &ts);
    assert_string_equal(b, "2023-11-14T22:13:20.005Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration),
        cmocka_unit_test(test_span_and_speed),
        cmocka_unit_test(test_bar),
        cmocka_unit_test(test_fit_and_wrap),
        cmocka_unit_test(test_total),
        cmocka_unit_test(test_rows_fit),
        cmocka_unit_test(test_rows_at_80),
        cmocka_unit_test(test_utc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
