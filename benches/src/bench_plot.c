/* SVG charts for `ladder bench`. See bench_plot.h. */
#include "bench_plot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define WIDTH 760
#define FONT "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\""

/* Colour-blind-safe (Okabe-Ito). */
static const char *const palette[] = {
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
};
#define PALETTE_N ((int)(sizeof(palette) / sizeof(palette[0])))

static const char *colour(const char *given, int i)
{
    return given ? given : palette[i % PALETTE_N];
}

static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            fputc((unsigned char)*s < 0x20 ? ' ' : *s, f);
        }
    }
}

/* A tick step of 1, 2, 2.5 or 5 x 10^k giving about `want` intervals. */
static double nice_step(double range, int want)
{
    if (!(range > 0))
        return 1;
    double raw = range / want;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    double step = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
    return step * p;
}

static int step_decimals(double step)
{
    int d = 0;
    while (d < 6 && fabs(step * pow(10, d) - round(step * pow(10, d))) > 1e-9)
        d++;
    return d;
}

typedef struct axis {
    double lo, hi, step;
    int decimals;
} axis;

static axis make_axis_n(double lo, double hi, bool from_zero, bool integer, int intervals)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (from_zero && lo > 0)
        lo = 0;
    if (hi - lo < 1e-12) {
        double pad = fabs(hi) > 0 ? fabs(hi) * 0.1 : 1;
        lo -= pad;
        hi += pad;
        if (from_zero && lo < 0 && hi > 0)
            lo = 0;
    }
    axis a;
    a.step = nice_step(hi - lo, intervals);
    if (integer && a.step < 1)
        a.step = 1;
    a.lo = floor(lo / a.step) * a.step;
    a.hi = ceil(hi / a.step) * a.step;
    if (a.hi <= a.lo)
        a.hi = a.lo + a.step;
    a.decimals = step_decimals(a.step);
    return a;
}

static axis make_axis(double lo, double hi, bool from_zero, bool integer)
{
    return make_axis_n(lo, hi, from_zero, integer, 5);
}

static double map(const axis *a, double v, double p0, double p1)
{
    return p0 + (v - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

static void header(FILE *f, int height, const bench_plot_axes *ax)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" " FONT " font-size=\"12\">\n",
            WIDTH, height, WIDTH, height);
    fputs("<title>", f);
    xml_text(f, ax->title);
    fputs("</title>\n", f);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", WIDTH, height);
    fputs("<text x=\"16\" y=\"24\" font-size=\"16\" font-weight=\"bold\">", f);
    xml_text(f, ax->title);
    fputs("</text>\n", f);
    if (ax->subtitle) {
        fputs("<text x=\"16\" y=\"42\" fill=\"#555\">", f);
        xml_text(f, ax->subtitle);
        fputs("</text>\n", f);
    }
}

static int finish(FILE *f)
{
    fputs("</svg>\n", f);
    errno = 0;
    int bad = ferror(f);
    if (fclose(f) || bad)
        return errno ? -errno : -EIO;
    return 0;
}

/* ---- bars --------------------------------------------------------------- */

int bench_plot_bars(const char *path, const bench_plot_axes *ax, const bench_plot_bar *bars, int n)
{
    const int left = 190, right = 90, top = 60, row = 30, bottom = 50;
    int height = top + (n > 0 ? n : 1) * row + bottom;
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    header(f, height, ax);
    double hi = 0;
    for (int i = 0; i < n; i++) {
        if (isfinite(bars[i].max) && bars[i].max > hi)
            hi = bars[i].max;
        if (isfinite(bars[i].median) && bars[i].median > hi)
            hi = bars[i].median;
    }
    axis a = make_axis(0, hi, true, false);
    double x0 = left, x1 = WIDTH - right, y0 = top, y1 = top + (n > 0 ? n : 1) * row;
    fprintf(f, "<g class=\"grid\" stroke=\"#ddd\">\n");
    for (double t = a.lo; t <= a.hi + a.step / 2; t += a.step)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", map(&a, t, x0, x1), y0,
                map(&a, t, x0, x1), y1);
    fputs("</g>\n<g class=\"ticks\" text-anchor=\"middle\" fill=\"#333\">\n", f);
    for (double t = a.lo; t <= a.hi + a.step / 2; t += a.step)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>\n", map(&a, t, x0, x1), y1 + 16,
                a.decimals, t);
    fputs("</g>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (x0 + x1) / 2, y1 + 36);
    xml_text(f, ax->x_label);
    fputs("</text>\n", f);
    if (n == 0)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>\n",
                (x0 + x1) / 2, (y0 + y1) / 2);
    fputs("<g class=\"data\">\n", f);
    for (int i = 0; i < n; i++) {
        const bench_plot_bar *b = &bars[i];
        double yc = y0 + i * row + row / 2.0;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">",
                left - 8, yc);
        xml_text(f, b->label);
        fputs("</text>\n", f);
        if (!isfinite(b->median)) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\" fill=\"#999\">"
                       "no successful run</text>\n", x0 + 6, yc);
            continue;
        }
        double xm = map(&a, b->median, x0, x1);
        fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" "
                   "fill=\"%s\" fill-opacity=\"0.85\"><title>",
                x0, yc - row * 0.35, xm - x0, (int)(row * 0.7), colour(b->color, i));
        xml_text(f, b->label);
        fprintf(f, ": median %.3f (min %.3f, max %.3f)</title></rect>\n", b->median, b->min, b->max);
        if (isfinite(b->min) && isfinite(b->max) && b->max > b->min) {
            double xa = map(&a, b->min, x0, x1), xb = map(&a, b->max, x0, x1);
            fprintf(f, "<g class=\"whisker\" stroke=\"#222\" stroke-width=\"1.5\">"
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                       "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
                    xa, yc, xb, yc, xa, yc - 6, xa, yc + 6, xb, yc - 6, xb, yc + 6);
        }
        double xt = isfinite(b->max) && b->max > b->median ? map(&a, b->max, x0, x1) : xm;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">%.2f</text>\n",
                xt + 6, yc, b->median);
    }
    fputs("</g>\n", f);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x0, y0, x0, y1);
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", x0, y1, x1, y1);
    return finish(f);
}

/* ---- lines and scatter -------------------------------------------------- */

static void extend(double v, double *lo, double *hi)
{
    if (!isfinite(v))
        return;
    if (v < *lo)
        *lo = v;
    if (v > *hi)
        *hi = v;
}

/* A chart's axes and where they are drawn: the plot area (x0..x1, y0 at
 * the bottom, y1 at the top) and the legend's first line (lx, ly). */
typedef struct xy_frame {
    axis xa, ya;
    double x0, x1, y0, y1, lx, ly;
    int points;             /* finite (x, y) pairs over every series */
} xy_frame;

/* The axes' ranges: every finite point and every reference line, with room
 * around them. */
static void xy_ranges(xy_frame *fr, const bench_plot_axes *ax, const bench_plot_series *series, int n,
                      const bench_plot_ref *refs, int nrefs, bool scatter)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    fr->points = 0;
    for (int s = 0; s < n; s++) {
        for (int i = 0; i < series[s].n; i++) {
            if (!isfinite(series[s].x[i]) || !isfinite(series[s].y[i]))
                continue;
            extend(series[s].x[i], &xlo, &xhi);
            extend(series[s].y[i], &ylo, &yhi);
            fr->points++;
        }
    }
    for (int r = 0; r < nrefs; r++)
        extend(refs[r].y, &ylo, &yhi);
    if (!scatter && ylo < INFINITY && !ax->y_from_zero) {
        /* Room above and below so the lines do not sit on the frame. */
        double pad = (yhi - ylo) * 0.08;
        ylo -= pad;
        yhi += pad;
    }
    if (scatter && ylo < INFINITY) {
        double pad = (yhi - ylo) * 0.1 + 0.1;
        ylo -= pad;
        yhi += pad;
        double xpad = (xhi - xlo) * 0.08;
        xlo -= xpad;
        xhi += xpad;
        if (xlo < 0)
            xlo = 0;
    }
    fr->xa = make_axis(xlo, xhi, ax->x_from_zero, ax->x_integer);
    fr->ya = make_axis(ylo, yhi, ax->y_from_zero, false);
}

/* Grid, tick labels, axis labels, the frame, and "no data" if so. */
static void xy_axes(FILE *f, const xy_frame *fr, const bench_plot_axes *ax)
{
    const axis *xa = &fr->xa, *ya = &fr->ya;
    double x0 = fr->x0, x1 = fr->x1, y0 = fr->y0, y1 = fr->y1;
    fputs("<g class=\"grid\" stroke=\"#e2e2e2\">\n", f);
    for (double t = xa->lo; t <= xa->hi + xa->step / 2; t += xa->step)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", map(xa, t, x0, x1), y0,
                map(xa, t, x0, x1), y1);
    for (double t = ya->lo; t <= ya->hi + ya->step / 2; t += ya->step)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x0, map(ya, t, y0, y1),
                x1, map(ya, t, y0, y1));
    fputs("</g>\n<g class=\"ticks\" fill=\"#333\">\n", f);
    for (double t = xa->lo; t <= xa->hi + xa->step / 2; t += xa->step)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>\n",
                map(xa, t, x0, x1), y0 + 16, xa->decimals, t);
    for (double t = ya->lo; t <= ya->hi + ya->step / 2; t += ya->step)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">"
                   "%.*f</text>\n", x0 - 6, map(ya, t, y0, y1), ya->decimals, t);
    fputs("</g>\n", f);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (x0 + x1) / 2, y0 + 40);
    xml_text(f, ax->x_label);
    fprintf(f, "</text>\n<text transform=\"translate(18 %.1f) rotate(-90)\" text-anchor=\"middle\">",
            (y0 + y1) / 2);
    xml_text(f, ax->y_label);
    fputs("</text>\n", f);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#333\"/>\n", x0, y1, x1 - x0, y0 - y1);
    if (fr->points == 0)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>\n",
                (x0 + x1) / 2, (y0 + y1) / 2);
}

/* Dashed reference lines across the plot, each with its legend entry.
 * Returns the next legend line. */
static int xy_refs(FILE *f, const xy_frame *fr, const bench_plot_ref *refs, int nrefs, int first_colour)
{
    int legend = 0;
    double lx = fr->lx, ly = fr->ly;
    for (int r = 0; r < nrefs; r++) {
        if (!isfinite(refs[r].y))
            continue;
        double y = map(&fr->ya, refs[r].y, fr->y0, fr->y1);
        const char *c = colour(refs[r].color, first_colour + r);
        fprintf(f, "<line class=\"ref\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n", fr->x0, y, fr->x1, y, c);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>", lx, ly + legend * 18,
                lx + 22, ly + legend * 18, c);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">", lx + 28, ly + legend * 18);
        xml_text(f, refs[r].name);
        fputs("</text>\n", f);
        legend++;
    }
    return legend;
}

static bool finite_point(const bench_plot_series *se, int i)
{
    return isfinite(se->x[i]) && isfinite(se->y[i]);
}

static bool same_rung(const bench_plot_series *se, int a, int b)
{
    return !se->rungs || (se->rungs[a] && se->rungs[b] && !strcmp(se->rungs[a], se->rungs[b]));
}

/* data-rung (of point i, or none for -1) and data-system, where known. */
static void data_attrs(FILE *f, const bench_plot_series *se, int i)
{
    if (se->rungs && i >= 0 && se->rungs[i]) {
        fputs(" data-rung=\"", f);
        xml_text(f, se->rungs[i]);
        fputs("\"", f);
    }
    if (se->id) {
        fputs(" data-system=\"", f);
        xml_text(f, se->id);
        fputs("\"", f);
    }
}

/* One line through the finite points from..to (all of one rung size); none
 * for fewer than two. */
static void xy_polyline(FILE *f, const xy_frame *fr, const bench_plot_series *se, int from, int to,
                        const char *c, bool scatter)
{
    int k = 0;
    for (int i = from; i <= to; i++)
        k += finite_point(se, i);
    if (k < 2)
        return;
    fputs("<polyline class=\"series\"", f);
    data_attrs(f, se, from);
    fprintf(f, " fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s points=\"", c, scatter ? "1.2" : "2",
            se->dashed ? " stroke-dasharray=\"5 4\"" : "");
    for (int i = from; i <= to; i++)
        if (finite_point(se, i))
            fprintf(f, "%.1f,%.1f ", map(&fr->xa, se->x[i], fr->x0, fr->x1), map(&fr->ya, se->y[i], fr->y0, fr->y1));
    fputs("\"/>\n", f);
}

/* The series' lines: one through every finite point, or with se->rungs one
 * per run of consecutive points of one size. */
static void xy_lines(FILE *f, const xy_frame *fr, const bench_plot_series *se, const char *c, bool scatter)
{
    int from = -1, last = -1;
    for (int i = 0; i < se->n; i++) {
        if (!finite_point(se, i))
            continue;
        if (from >= 0 && !same_rung(se, last, i)) {
            xy_polyline(f, fr, se, from, last, c, scatter);
            from = -1;
        }
        if (from < 0)
            from = i;
        last = i;
    }
    if (from >= 0)
        xy_polyline(f, fr, se, from, last, c, scatter);
}

/* Series s: its lines, a point per finite pair (with its title and label),
 * and its legend entry on legend line `legend` (no line in it when points
 * of different sizes are never joined). */
static void xy_series(FILE *f, const xy_frame *fr, const bench_plot_series *se, int s, int legend, bool scatter)
{
    const char *c = colour(se->color, s);
    double lx = fr->lx, ly = fr->ly;
    xy_lines(f, fr, se, c, scatter);
    for (int i = 0; i < se->n; i++) {
        if (!finite_point(se, i))
            continue;
        double px = map(&fr->xa, se->x[i], fr->x0, fr->x1), py = map(&fr->ya, se->y[i], fr->y0, fr->y1);
        fputs("<circle class=\"point\"", f);
        data_attrs(f, se, i);
        fprintf(f, " cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"><title>", px, py, scatter ? "5" : "4", c);
        xml_text(f, se->name);
        const char *which = se->rungs && se->rungs[i] ? se->rungs[i] : se->labels ? se->labels[i] : NULL;
        if (which) {
            fputs(" ", f);
            xml_text(f, which);
        }
        fprintf(f, ": %g, %g</title></circle>\n", se->x[i], se->y[i]);
        if (se->labels && se->labels[i]) {
            /* Alternate sides so two systems' labels on one rung do not overlap. */
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" fill=\"%s\"%s>", px + (s % 2 ? -8 : 8),
                    py + (s % 2 ? 14 : -8), c, s % 2 ? " text-anchor=\"end\"" : "");
            xml_text(f, se->labels[i]);
            fputs("</text>\n", f);
        }
    }
    if (!se->rungs)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"%s/>",
                lx, ly + legend * 18, lx + 22, ly + legend * 18, c, se->dashed ? " stroke-dasharray=\"5 4\"" : "");
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/>", lx + 11, ly + legend * 18, c);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">", lx + 28, ly + legend * 18);
    xml_text(f, se->name);
    fputs("</text>\n", f);
}

static int xy_chart(const char *path, const bench_plot_axes *ax, const bench_plot_series *series,
                    int n, const bench_plot_ref *refs, int nrefs, bool scatter)
{
    const int left = 80, right = 190, top = 60, bottom = 60, plot_h = 340;
    int height = top + plot_h + bottom;
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    header(f, height, ax);
    xy_frame fr = { .x0 = left, .x1 = WIDTH - right, .y0 = top + plot_h, .y1 = top };
    fr.lx = fr.x1 + 16;
    fr.ly = fr.y1 + 8;
    xy_ranges(&fr, ax, series, n, refs, nrefs, scatter);
    xy_axes(f, &fr, ax);
    int legend = xy_refs(f, &fr, refs, nrefs, n);
    fputs("<g class=\"data\">\n", f);
    for (int s = 0; s < n; s++)
        xy_series(f, &fr, &series[s], s, legend++, scatter);
    fputs("</g>\n", f);
    return finish(f);
}

int bench_plot_lines(const char *path, const bench_plot_axes *axes, const bench_plot_series *series,
                     int n, const bench_plot_ref *refs, int nrefs)
{
    return xy_chart(path, axes, series, n, refs, nrefs, false);
}

int bench_plot_scatter(const char *path, const bench_plot_axes *axes,
                       const bench_plot_series *series, int n)
{
    return xy_chart(path, axes, series, n, NULL, 0, true);
}

/* ---- rate-distortion small multiples ------------------------------------- */

#define RD_TOP 58           /* the legend's first line */
#define RD_LEGEND_LINE 20
#define RD_PANEL_H 250
#define RD_COLS 3

/* A marker of system sys centred on (x, y). ladder's are a dot and a ring
 * around it, FFmpeg's open squares of two sizes: markers of every system on
 * one spot (the same encode) all stay visible. */
static void rd_marker(FILE *f, const bench_plot_rd_system *sys, double x, double y)
{
    if (sys->square) {
        double h = sys->hollow ? 9 : 6;
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"%s\" "
                   "stroke-width=\"%s\"/>", x - h, y - h, 2 * h, 2 * h, sys->color, sys->hollow ? "1.5" : "2");
    } else if (sys->hollow) {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"7.5\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                x, y, sys->color);
    } else {
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\"/>", x, y, sys->color);
    }
}

/* The legend: one entry per system and the target line, wrapped to the
 * chart's width. Draws nothing with f NULL; returns its number of lines. */
static int rd_legend(FILE *f, const bench_plot_rd_system *systems, int nsys)
{
    double x = 16, y = RD_TOP;
    int lines = 1;
    for (int s = 0; s <= nsys; s++) {
        const char *label = s < nsys ? systems[s].label : "the rung's target bit rate";
        /* About 6.5 px per character at 12 px. */
        double w = 30 + 6.5 * (double)strlen(label ? label : "") + 18;
        if (x + w > WIDTH - 8 && x > 16) {
            x = 16;
            y += RD_LEGEND_LINE;
            lines++;
        }
        if (f && s < nsys)
            rd_marker(f, &systems[s], x + 8, y);
        else if (f)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" "
                       "stroke-dasharray=\"4 3\"/>", x, y, x + 18, y);
        if (f) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" dominant-baseline=\"middle\">", x + 24, y);
            xml_text(f, label);
            fputs("</text>\n", f);
        }
        x += w;
    }
    return lines;
}

/* The rung sizes in order of first appearance; *np of them, pointers into
 * points. NULL when out of memory. */
static const char **rd_sizes(const bench_plot_rd_point *points, int n, int *np)
{
    const char **sizes = calloc(n > 0 ? (size_t)n : 1, sizeof(*sizes));
    *np = 0;
    for (int i = 0; sizes && i < n; i++) {
        int k = 0;
        while (k < *np && strcmp(sizes[k], points[i].size))
            k++;
        if (k == *np)
            sizes[(*np)++] = points[i].size;
    }
    return sizes;
}

/* The panel's axes: its points and targets, at least 1 dB and 10 % of the
 * rate wide so that a hair's difference does not fill the panel. */
static void rd_ranges(xy_frame *fr, const bench_plot_rd_point *points, int n, const char *size)
{
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    fr->points = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(points[i].size, size))
            continue;
        extend(points[i].target_kbps, &xlo, &xhi);
        if (!isfinite(points[i].kbps) || !isfinite(points[i].psnr))
            continue;
        extend(points[i].kbps, &xlo, &xhi);
        extend(points[i].psnr, &ylo, &yhi);
        fr->points++;
    }
    if (xhi - xlo < 0.1 * fabs(xhi)) {
        double c = (xlo + xhi) / 2, h = 0.05 * fabs(xhi);
        xlo = c - h;
        xhi = c + h;
    }
    if (yhi - ylo < 1) {
        double c = (ylo + yhi) / 2;
        ylo = c - 0.5;
        yhi = c + 0.5;
    }
    double xp = (xhi - xlo) * 0.1, yp = (yhi - ylo) * 0.1;
    fr->xa = make_axis_n(xlo - xp, xhi + xp, false, false, 4);
    fr->ya = make_axis_n(ylo - yp, yhi + yp, false, false, 4);
}

/* Grid, ticks and frame of a panel. */
static void rd_axes(FILE *f, const xy_frame *fr)
{
    const axis *xa = &fr->xa, *ya = &fr->ya;
    fputs("<g class=\"grid\" stroke=\"#e2e2e2\">", f);
    for (double t = xa->lo; t <= xa->hi + xa->step / 2; t += xa->step)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", map(xa, t, fr->x0, fr->x1),
                fr->y0, map(xa, t, fr->x0, fr->x1), fr->y1);
    for (double t = ya->lo; t <= ya->hi + ya->step / 2; t += ya->step)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", fr->x0,
                map(ya, t, fr->y0, fr->y1), fr->x1, map(ya, t, fr->y0, fr->y1));
    fputs("</g>\n<g class=\"ticks\" fill=\"#333\" font-size=\"10\">", f);
    for (double t = xa->lo; t <= xa->hi + xa->step / 2; t += xa->step)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>",
                map(xa, t, fr->x0, fr->x1), fr->y0 + 13, xa->decimals, t);
    for (double t = ya->lo; t <= ya->hi + ya->step / 2; t += ya->step)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dominant-baseline=\"middle\">%.*f</text>",
                fr->x0 - 4, map(ya, t, fr->y0, fr->y1), ya->decimals, t);
    fputs("</g>\n", f);
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"#333\"/>\n",
            fr->x0, fr->y1, fr->x1 - fr->x0, fr->y0 - fr->y1);
}

/* Dashed vertical lines at the targets of the panel's rungs (once each). */
static void rd_targets(FILE *f, const xy_frame *fr, const bench_plot_rd_point *points, int n, const char *size)
{
    for (int i = 0; i < n; i++) {
        double t = points[i].target_kbps;
        if (strcmp(points[i].size, size) || !isfinite(t))
            continue;
        bool seen = false;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(points[k].size, size) && points[k].target_kbps == t;
        if (seen)
            continue;
        double x = map(&fr->xa, t, fr->x0, fr->x1);
        fprintf(f, "<line class=\"target\" data-rung=\"");
        xml_text(f, size);
        fprintf(f, "\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#777\" stroke-dasharray=\"4 3\">"
                   "<title>target %g kb/s</title></line>\n", x, fr->y0, x, fr->y1, t);
    }
}

/* The series of one system in one panel: a line only through two or more
 * encodes of this one size (rungs of equal size at other rates), sorted by
 * rate, then a marker per encode. idx has room for n. */
static void rd_series(FILE *f, const xy_frame *fr, const bench_plot_rd_system *sys, int s,
                      const bench_plot_rd_point *points, int n, const char *size, int *idx)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (points[i].system == s && !strcmp(points[i].size, size) && isfinite(points[i].kbps) &&
            isfinite(points[i].psnr)) {
            int j = k++;
            for (; j > 0 && points[idx[j - 1]].kbps > points[i].kbps; j--)
                idx[j] = idx[j - 1];
            idx[j] = i;
        }
    if (!k)
        return;
    fputs("<g class=\"rd-series\" data-rung=\"", f);
    xml_text(f, size);
    fputs("\" data-system=\"", f);
    xml_text(f, sys->id);
    fputs("\" aria-label=\"", f);
    xml_text(f, sys->label);
    fputs(", ", f);
    xml_text(f, size);
    fputs("\">\n", f);
    if (k >= 2) {
        fputs("<polyline class=\"rd-line\" data-rung=\"", f);
        xml_text(f, size);
        fputs("\" data-system=\"", f);
        xml_text(f, sys->id);
        fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", sys->color);
        for (int j = 0; j < k; j++)
            fprintf(f, "%.1f,%.1f ", map(&fr->xa, points[idx[j]].kbps, fr->x0, fr->x1),
                    map(&fr->ya, points[idx[j]].psnr, fr->y0, fr->y1));
        fputs("\"/>\n", f);
    }
    for (int j = 0; j < k; j++) {
        const bench_plot_rd_point *p = &points[idx[j]];
        fputs("<g class=\"rd-point\" data-rung=\"", f);
        xml_text(f, size);
        fputs("\" data-system=\"", f);
        xml_text(f, sys->id);
        fputs("\"><title>", f);
        xml_text(f, sys->label);
        fputs(", ", f);
        xml_text(f, p->rung);
        fputs(" ", f);
        xml_text(f, size);
        fprintf(f, ": %.0f kb/s, PSNR %.2f dB", p->kbps, p->psnr);
        xml_text(f, p->detail);
        fputs("</title>", f);
        rd_marker(f, sys, map(&fr->xa, p->kbps, fr->x0, fr->x1), map(&fr->ya, p->psnr, fr->y0, fr->y1));
        fputs("</g>\n", f);
    }
    fputs("</g>\n", f);
}

/* The panel's title: the size, then the names of its rungs. */
static void rd_title(FILE *f, const xy_frame *fr, const bench_plot_rd_point *points, int n, const char *size)
{
    fprintf(f, "<text class=\"panel-title\" x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">", fr->x0, fr->y1 - 10);
    xml_text(f, size);
    int named = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(points[i].size, size) || !points[i].rung)
            continue;
        bool seen = false;
        for (int k = 0; k < i && !seen; k++)
            seen = !strcmp(points[k].size, size) && points[k].rung && !strcmp(points[k].rung, points[i].rung);
        if (seen)
            continue;
        fputs(named++ ? ", " : " · ", f);
        xml_text(f, points[i].rung);
    }
    fputs("</text>\n", f);
}

static void rd_panel(FILE *f, xy_frame *fr, const bench_plot_axes *ax, const bench_plot_rd_system *systems,
                     int nsys, const bench_plot_rd_point *points, int n, const char *size, int *idx)
{
    rd_ranges(fr, points, n, size);
    fputs("<g class=\"panel\" data-rung=\"", f);
    xml_text(f, size);
    fputs("\">\n", f);
    rd_axes(f, fr);
    rd_title(f, fr, points, n, size);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">", (fr->x0 + fr->x1) / 2,
            fr->y0 + 30);
    xml_text(f, ax->x_label);
    fprintf(f, "</text>\n<text transform=\"translate(%.1f %.1f) rotate(-90)\" text-anchor=\"middle\" "
               "font-size=\"11\">", fr->x0 - 40, (fr->y0 + fr->y1) / 2);
    xml_text(f, ax->y_label);
    fputs("</text>\n", f);
    if (!fr->points)
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data</text>\n",
                (fr->x0 + fr->x1) / 2, (fr->y0 + fr->y1) / 2);
    rd_targets(f, fr, points, n, size);
    for (int s = 0; s < nsys; s++)
        rd_series(f, fr, &systems[s], s, points, n, size, idx);
    fputs("</g>\n", f);
}

int bench_plot_rd(const char *path, const bench_plot_axes *ax, const bench_plot_rd_system *systems,
                  int nsys, const bench_plot_rd_point *points, int n)
{
    int np = 0;
    const char **sizes = rd_sizes(points, n, &np);
    int *idx = calloc(n > 0 ? (size_t)n : 1, sizeof(*idx));
    if (!sizes || !idx) {
        free(sizes);
        free(idx);
        return -ENOMEM;
    }
    /* Up to three panels a row; four as two rows of two. */
    int cols = np <= RD_COLS ? (np > 0 ? np : 1) : np == 4 ? 2 : RD_COLS;
    int rows = np > 0 ? (np + cols - 1) / cols : 1;
    int top = RD_TOP + rd_legend(NULL, systems, nsys) * RD_LEGEND_LINE;
    double pw = (WIDTH - 16.0) / cols;
    FILE *f = fopen(path, "w");
    if (!f) {
        int err = -errno;
        free(sizes);
        free(idx);
        return err;
    }
    header(f, top + rows * RD_PANEL_H, ax);
    rd_legend(f, systems, nsys);
    if (!np)
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no data</text>\n", WIDTH / 2, top + 100);
    for (int p = 0; p < np; p++) {
        double ox = 8 + (p % cols) * pw, oy = top + (p / cols) * RD_PANEL_H;
        xy_frame fr = { .x0 = ox + 58, .x1 = ox + pw - 14, .y1 = oy + 30, .y0 = oy + RD_PANEL_H - 44 };
        rd_panel(f, &fr, ax, systems, nsys, points, n, sizes[p], idx);
    }
    free(sizes);
    free(idx);
    return finish(f);
}
