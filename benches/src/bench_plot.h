/*
 * Hand-written SVG charts for `ladder bench`: no plotting library, no
 * fonts to embed, files a browser shows as they are. Three shapes:
 *
 *   bars:    one horizontal bar per item (median) with a min-max whisker;
 *   lines:   series of (x, y) points joined by lines, optional dashed
 *            horizontal reference lines (e.g. FFmpeg's wall time);
 *   scatter: series of labelled points, joined in order (one series per
 *            system, one point per rung).
 *
 * NaN coordinates are skipped. Text is XML-escaped. Returns 0 or a negative
 * errno.
 */
#ifndef LADDER_CLI_BENCH_PLOT_H
#define LADDER_CLI_BENCH_PLOT_H

#include <stdbool.h>

typedef struct bench_plot_bar {
    const char *label;
    double median, min, max;
    const char *color;          /* CSS colour; NULL: from the palette */
} bench_plot_bar;

typedef struct bench_plot_series {
    const char *name;
    const double *x, *y;
    const char *const *labels;  /* per point, may be NULL */
    int n;
    bool dashed;
    const char *color;          /* CSS colour; NULL: from the palette */
} bench_plot_series;

typedef struct bench_plot_ref {
    const char *name;
    double y;
    const char *color;          /* CSS colour; NULL: from the palette */
} bench_plot_ref;

typedef struct bench_plot_axes {
    const char *title;
    const char *subtitle;       /* may be NULL */
    const char *x_label, *y_label;
    bool x_from_zero, y_from_zero;
    bool x_integer;             /* ticks on whole numbers only (CPU slots) */
} bench_plot_axes;

int bench_plot_bars(const char *path, const bench_plot_axes *axes, const bench_plot_bar *bars,
                    int n);

int bench_plot_lines(const char *path, const bench_plot_axes *axes, const bench_plot_series *series,
                     int n, const bench_plot_ref *refs, int nrefs);

int bench_plot_scatter(const char *path, const bench_plot_axes *axes,
                       const bench_plot_series *series, int n);

#endif
