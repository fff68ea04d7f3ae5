/*
 * Statistics for `ladder bench`: pure functions over arrays of measurements.
 * No I/O, no globals, so the unit test can pin every edge case (empty sets,
 * NaN holes left by failed runs, even counts).
 *
 * A NaN in an input array means "not measured" (a failed run, a figure the
 * system cannot provide): it is skipped, never counted as zero.
 */
#ifndef LADDER_CLI_BENCH_STATS_H
#define LADDER_CLI_BENCH_STATS_H

/* PSNR of two identical pictures is infinite; this is what we report. */
#define BENCH_PSNR_MAX 100.0

typedef struct bench_summary {
    int n;          /* finite values summarised */
    double median;  /* mean of the middle two for an even n */
    double min, max;
} bench_summary;

/*
 * Summary of the finite values in v[0..n). With none, out->n is 0 and the
 * figures are NaN. Returns 0, or LADDER_ENOMEM (the median needs a sorted
 * copy; v is left untouched).
 */
int bench_stats_summarise(const double *v, int n, bench_summary *out);

/*
 * Pair-by-pair ratios a[i] / b[i], written densely to out (room for n) for
 * the pairs where both are finite and b[i] > 0. Returns how many were
 * written. Pairing by index is the point: runs alternate, so a[i] and b[i]
 * ran next to each other and saw the same machine.
 */
int bench_stats_pair_ratios(const double *a, const double *b, int n, double *out);

/* a / b, or NaN when either is not finite or b <= 0. */
double bench_stats_ratio(double a, double b);

/* CPU time / (wall x cores): 1.0 = every core busy for the whole run. NaN
 * when wall or cores is not positive. */
double bench_stats_cpu_util(double cpu_s, double wall_s, int cores);

/* 10 log10(peak^2 / mse); BENCH_PSNR_MAX when mse is 0 (identical), NaN when
 * mse is negative or not finite. */
double bench_stats_psnr(double mse, double peak);

/*
 * The physical limit on CPU: the single-threaded encode CPU seconds of every
 * rung, summed, spread perfectly over the cores. No schedule can finish the
 * encodes faster. NaN values are skipped; NaN when none is left or cores < 1.
 */
double bench_stats_physical_limit(const double *encode_s, int n, int cores);

#endif
