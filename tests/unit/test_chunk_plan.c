/* Chunk boundaries for common frame rates and VFR input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "chunk_plan.h"
#include "ladder/error.h"

/* Feed n CFR frames of `step` ticks and record where chunks start. */
static int chunk_starts(ladder_chunk_plan *plan, int n, int64_t step, int64_t first,
                        int *starts, int max_starts)
{
    int nb = 0;
    for (int i = 0; i < n; i++) {
        bool s = false;
        int idx = ladder_chunk_plan_next(plan, first + (int64_t)i * step, &s);
        if (s) {
            assert_int_equal(idx, nb);
            if (nb < max_starts)
                starts[nb] = i;
            nb++;
        }
    }
    return nb;
}

static void test_2997(void **state)
{
    (void)state;
    ladder_chunk_plan plan;
    /* MP4 time base 1/30000, 1001 ticks per frame. */
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 30000, true, 30000, 1001, 2.0), 0);
    assert_int_equal(plan.frames_per_chunk, 60);
    assert_true(fabs(ladder_chunk_plan_segment_seconds(&plan) - 2.002) < 1e-9);
    int starts[64];
    /* 30 minutes: every chunk is exactly 60 frames, no drift. */
    int n = chunk_starts(&plan, 54000, 1001, 0, starts, 64);
    assert_int_equal(n, 900);
    for (int i = 0; i < 64; i++)
        assert_int_equal(starts[i], i * 60);
}

static void test_23976(void **state)
{
    (void)state;
    ladder_chunk_plan plan;
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 24000, true, 24000, 1001, 2.0), 0);
    assert_int_equal(plan.frames_per_chunk, 48);
    assert_true(fabs(ladder_chunk_plan_segment_seconds(&plan) - 2.002) < 1e-9);
    int starts[16];
    int n = chunk_starts(&plan, 48 * 10 + 5, 1001, 0, starts, 16);
    assert_int_equal(n, 11);
    for (int i = 0; i < 11; i++)
        assert_int_equal(starts[i], i * 48);
}

static void test_25_and_60_with_offset(void **state)
{
    (void)state;
    ladder_chunk_plan plan;
    /* 25 fps in a 1/12800 time base, starting at a non-zero pts. */
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 12800, true, 25, 1, 2.0), 0);
    int starts[8];
    int n = chunk_starts(&plan, 200, 512, 90000, starts, 8);
    assert_int_equal(n, 4);
    assert_int_equal(starts[1], 50);
    assert_int_equal(starts[3], 150);

    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 90000, true, 60, 1, 4.0), 0);
    assert_int_equal(plan.frames_per_chunk, 240);
    n = chunk_starts(&plan, 600, 1500, 0, starts, 8);
    assert_int_equal(n, 3);
    assert_int_equal(starts[1], 240);
    assert_int_equal(starts[2], 480);
}

static void test_millisecond_jitter(void **state)
{
    (void)state;
    /* Matroska: 29.97 fps in 1 ms ticks, rounded timestamps. */
    ladder_chunk_plan plan;
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 1000, true, 30000, 1001, 2.0), 0);
    int nb = 0;
    for (int i = 0; i < 600; i++) {
        bool s = false;
        int64_t pts = llround(i * 1001.0 / 30.0);
        ladder_chunk_plan_next(&plan, pts, &s);
        if (s) {
            assert_int_equal(i % 60, 0);
            nb++;
        }
    }
    assert_int_equal(nb, 10);
}

static void test_vfr(void **state)
{
    (void)state;
    ladder_chunk_plan plan;
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 1000, false, 0, 0, 2.0), 0);
    /* Irregular spacing, and a 5 s gap: chunks stay dense (no empty chunk). */
    int64_t pts[] = { 0, 40, 70, 130, 1990, 2000, 2050, 3999, 4001, 9500, 9600, 11700 };
    int expect_chunk[] = { 0, 0, 0, 0, 0, 1, 1, 1, 2, 3, 3, 4 };
    for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
        bool s = false;
        int idx = ladder_chunk_plan_next(&plan, pts[i], &s);
        assert_int_equal(idx, expect_chunk[i]);
        assert_int_equal(s, i == 0 || expect_chunk[i] != expect_chunk[i - 1]);
    }
}

static void test_invalid(void **state)
{
    (void)state;
    ladder_chunk_plan plan;
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 30000, true, 30, 1, 0), LADDER_EINVAL);
    assert_int_equal(ladder_chunk_plan_init(&plan, 0, 30000, true, 30, 1, 2), LADDER_EINVAL);
    /* A 1 s time base cannot express a 0.5 s segment. */
    assert_int_equal(ladder_chunk_plan_init(&plan, 1, 1, false, 0, 0, 0.5), LADDER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2997),
        cmocka_unit_test(test_23976),
        cmocka_unit_test(test_25_and_60_with_offset),
        cmocka_unit_test(test_millisecond_jitter),
        cmocka_unit_test(test_vfr),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
