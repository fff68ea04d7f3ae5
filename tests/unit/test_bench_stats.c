/* ladder bench's statistics: medians, ranges, pair ratios, CPU utilisation,
 * PSNR from MSE and the physical CPU limit (benches/src/bench_stats.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <cmocka.h>

#include "bench_stats.h"

#define EPS 1e-9

static void assert_near(double got, double want, double eps)
{
    if (!(fabs(got - want) <= eps))
        fail_msg("got %.12g, expected %.12g", got, want);
}

static void test_summary_odd_even(void **state)
{
    (void)state;
    bench_summary s;
    const double odd[] = { 3, 1, 2 };
    assert_int_equal(bench_stats_summarise(odd, 3, &s), 0);
    assert_int_equal(s.n, 3);
    assert_near(s.median, 2, EPS);
    assert_near(s.min, 1, EPS);
    assert_near(s.max, 3, EPS);

    const double even[] = { 4, 1, 3, 2 };
    assert_int_equal(bench_stats_summarise(even, 4, &s), 0);
    assert_near(s.median, 2.5, EPS);
    assert_near(s.min, 1, EPS);
    assert_near(s.max, 4, EPS);

    const double one[] = { 7.25 };
    assert_int_equal(bench_stats_summarise(one, 1, &s), 0);
    assert_int_equal(s.n, 1);
    assert_near(s.median, 7.25, EPS);
    assert_near(s.min, 7.25, EPS);
    assert_near(s.max, 7.25, EPS);
}

/* A failed run leaves NaN: skipped, never counted as 0. The input is not
 * reordered (the caller's arrays are indexed by round). */
static void test_summary_skips_nan(void **state)
{
    (void)state;
    bench_summary s;
    double v[] = { NAN, 5, INFINITY, 1, NAN };
    assert_int_equal(bench_stats_summarise(v, 5, &s), 0);
    assert_int_equal(s.n, 2);
    assert_near(s.median, 3, EPS);
    assert_near(s.min, 1, EPS);
    assert_near(s.max, 5, EPS);
    assert_true(isnan(v[0]));
    assert_near(v[1], 5, EPS);
    assert_near(v[3], 1, EPS);
}

static void test_summary_empty(void **state)
{
    (void)state;
    bench_summary s = { .n = 42 };
    assert_int_equal(bench_stats_summarise(NULL, 0, &s), 0);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.median) && isnan(s.min) && isnan(s.max));
    const double none[] = { NAN, NAN };
    assert_int_equal(bench_stats_summarise(none, 2, &s), 0);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.median));
}

/* Pairs stay pairs: a missing value drops its pair, not a neighbour's. */
static void test_pair_ratios(void **state)
{
    (void)state;
    const double ladder[] = { 9, 10, NAN, 12, 5 };
    const double ffmpeg[] = { 10, 10, 11, 0, 4 };
    double out[5];
    int n = bench_stats_pair_ratios(ladder, ffmpeg, 5, out);
    assert_int_equal(n, 3);
    assert_near(out[0], 0.9, EPS);
    assert_near(out[1], 1.0, EPS);
    assert_near(out[2], 1.25, EPS);
    assert_int_equal(bench_stats_pair_ratios(ladder, ffmpeg, 0, out), 0);
}

static void test_ratio(void **state)
{
    (void)state;
    assert_near(bench_stats_ratio(3, 4), 0.75, EPS);
    assert_true(isnan(bench_stats_ratio(3, 0)));
    assert_true(isnan(bench_stats_ratio(3, -1)));
    assert_true(isnan(bench_stats_ratio(NAN, 1)));
    assert_true(isnan(bench_stats_ratio(1, INFINITY)));
}

static void test_cpu_util(void **state)
{
    (void)state;
    /* 3 CPU seconds in 2 wall seconds on 2 cores: 75 % of the machine. */
    assert_near(bench_stats_cpu_util(3, 2, 2), 0.75, EPS);
    assert_near(bench_stats_cpu_util(0, 2, 2), 0, EPS);
    assert_true(isnan(bench_stats_cpu_util(1, 0, 2)));
    assert_true(isnan(bench_stats_cpu_util(1, 1, 0)));
    assert_true(isnan(bench_stats_cpu_util(NAN, 1, 2)));
}

static void test_psnr(void **state)
{
    (void)state;
    /* 10 log10(255^2 / 1) = 48.1308... */
    assert_near(bench_stats_psnr(1, 255), 48.130803608679, 1e-9);
    assert_near(bench_stats_psnr(65025, 255), 0, 1e-9);
    /* Identical pictures: capped, not infinite (JSON has no infinity). */
    assert_near(bench_stats_psnr(0, 255), BENCH_PSNR_MAX, EPS);
    assert_near(bench_stats_psnr(1e-30, 255), BENCH_PSNR_MAX, EPS);
    assert_true(isnan(bench_stats_psnr(-1, 255)));
    assert_true(isnan(bench_stats_psnr(NAN, 255)));
    assert_true(isnan(bench_stats_psnr(1, 0)));
}

/* The mean of per-frame MSE, not of per-frame PSNR: one bad frame must
 * weigh by its error, not by its log. */
static void test_psnr_from_mean_mse(void **state)
{
    (void)state;
    double mse[] = { 1, 100 };
    double mean_mse = (mse[0] + mse[1]) / 2;
    double mean_psnr = (bench_stats_psnr(mse[0], 255) + bench_stats_psnr(mse[1], 255)) / 2;
    assert_true(bench_stats_psnr(mean_mse, 255) < mean_psnr - 5);
}

static void test_physical_limit(void **state)
{
    (void)state;
    const double enc[] = { 6, 3, 2, 1 };
    assert_near(bench_stats_physical_limit(enc, 4, 2), 6, EPS);
    assert_near(bench_stats_physical_limit(enc, 4, 1), 12, EPS);
    const double holes[] = { NAN, 4 };
    assert_near(bench_stats_physical_limit(holes, 2, 4), 1, EPS);
    const double none[] = { NAN };
    assert_true(isnan(bench_stats_physical_limit(none, 1, 2)));
    assert_true(isnan(bench_stats_physical_limit(enc, 4, 0)));
    assert_true(isnan(bench_stats_physical_limit(NULL, 0, 2)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_odd_even),
        cmocka_unit_test(test_summary_skips_nan),
        cmocka_unit_test(test_summary_empty),
        cmocka_unit_test(test_pair_ratios),
        cmocka_unit_test(test_ratio),
        cmocka_unit_test(test_cpu_util),
        cmocka_unit_test(test_psnr),
        cmocka_unit_test(test_psnr_from_mean_mse),
        cmocka_unit_test(test_physical_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
