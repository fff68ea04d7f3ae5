/*
 * Hand-written SVG charts for `ladder bench`: no plotting library, no
 * fonts to embed, files a browser shows as they are. Three shapes:
 *
 *   bars:    one horizontal bar per item (median) with a min-max whisker;
 *   lines:   series of (x, y) points joined by lines, optional dashed
 *            horizontal reference lines (e.g. FFmpeg's wall time);
 *   scatter: series of labelled points (one series per system, one point
 *            per rung), joined only where consecutive points share a rung
 *            size: a line between a 640x360 and a 426x240 encode would
 *            read as a rate-distortion curve, which it is not;
 *   rd:      rate-distortion small multiples: one panel per rung size,
 *            bit rate against PSNR, one marker style per system (ladder's
 *            dot and ring, FFmpeg's squares), the rung's target as a dashed
 *            line; a line only through encodes of one size and system.
 *
 * Every series and point of a chart about rungs carries data-rung="WxH"
 * and data-system="id" attributes, so that a test (or a script) can tell
 * which marks belong together without reading coordinates.
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
    /* Per point rung size ("640x360"), may be NULL: when set, lines join
     * only consecutive points of one size, and every line and point
     * carries it as data-rung. */
    const char *const *rungs;
    const char *id;             /* data-system of the series, may be NULL */
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

/* A system of the rate-distortion chart and its marker. */
typedef struct bench_plot_rd_system {
    const char *id, *label;
    const char *color;          /* CSS colour */
    bool square;                /* open squares (FFmpeg) rather than dots (ladder) */
    bool hollow;                /* the second of its kind: a ring, or a larger square */
} bench_plot_rd_system;

/* One measured encode: a rung of one system. */
typedef struct bench_plot_rd_point {
    int system;                 /* index into the systems */
    const char *size;           /* "640x360": the panel it is drawn in */
    const char *rung;           /* the rung's name */
    double kbps, psnr;          /* NaN: not drawn */
    double target_kbps;         /* the rung's bit rate; NaN for CRF */
    const char *detail;         /* more text for its tooltip, may be NULL */
} bench_plot_rd_point;

int bench_plot_rd(const char *path, const bench_plot_axes *axes, const bench_plot_rd_system *systems,
                  int nsys, const bench_plot_rd_point *points, int n);

#endif
