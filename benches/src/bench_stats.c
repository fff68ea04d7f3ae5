/* Statistics for `ladder bench`. See bench_stats.h. */
#include "bench_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bench_stats_summarise(const double *v, int n, bench_summary *out)
{
    *out = (bench_summary){ .n = 0, .median = NAN, .min = NAN, .max = NAN };
    if (!v || n <= 0)
        return 0;
    double *sorted = malloc((size_t)n * sizeof(*sorted));
    if (!sorted)
        return LADDER_ENOMEM;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            sorted[k++] = v[i];
    if (k > 0) {
        qsort(sorted, (size_t)k, sizeof(*sorted), cmp_double);
        out->n = k;
        out->min = sorted[0];
        out->max = sorted[k - 1];
        out->median = k % 2 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    }
    free(sorted);
    return 0;
}

double bench_stats_ratio(double a, double b)
{
    if (!isfinite(a) || !isfinite(b) || !(b > 0))
        return NAN;
    return a / b;
}

int bench_stats_pair_ratios(const double *a, const double *b, int n, double *out)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        double r = bench_stats_ratio(a[i], b[i]);
        if (isfinite(r))
            out[k++] = r;
    }
    return k;
}

double bench_stats_cpu_util(double cpu_s, double wall_s, int cores)
{
    if (!isfinite(cpu_s) || !isfinite(wall_s) || !(wall_s > 0) || cores < 1)
        return NAN;
    return cpu_s / (wall_s * cores);
}

double bench_stats_psnr(double mse, double peak)
{
    if (!isfinite(mse) || mse < 0 || !(peak > 0))
        return NAN;
    if (mse == 0)
        return BENCH_PSNR_MAX;
    double db = 10.0 * log10(peak * peak / mse);
    return db > BENCH_PSNR_MAX ? BENCH_PSNR_MAX : db;
}

double bench_stats_physical_limit(const double *encode_s, int n, int cores)
{
    if (!encode_s || cores < 1)
        return NAN;
    double sum = 0;
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (isfinite(encode_s[i])) {
            sum += encode_s[i];
            k++;
        }
    }
    return k ? sum / cores : NAN;
}
