/*
 * The results of `ladder bench` as one json-c document, and what is made
 * from it: the summaries (medians, pair ratios, the scaling curve, the
 * physical limit), bench.json, the Markdown table and the SVG charts
 * (report.html, which shows them all, is bench_html.c).
 *
 * The document is the single source of truth: bench.c records every run
 * into it, bench_report_summarise() derives the figures from those runs,
 * and the Markdown and charts only read it, so what a person sees is what
 * the JSON says.
 *
 * Document outline (field by field in benches/README.md):
 *   meta, input, ladder, systems[] {id, label, kind, role, slots, helpers},
 *   runs[] {round, system, ok, wall_s, cpu_s, ..., rungs[], commands[]},
 *   quality {systems {id: [per rung]}}, problems[]
 * and, from bench_report_summarise():
 *   summary {id: {...}}, ratios[], scaling, physical_limit.
 */
#ifndef LADDER_CLI_BENCH_REPORT_H
#define LADDER_CLI_BENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <json-c/json.h>

#include "bench_stats.h"

/* ---- building the document --------------------------------------------- */

/* A number, or JSON null for NaN/infinity (a figure not measured). */
json_object *bench_json_num(double v);
/* A string, or JSON null for NULL. */
json_object *bench_json_str(const char *s);
/* argv (NULL-terminated) as an array of strings. */
json_object *bench_json_argv(char *const *argv);
/* {n, median, min, max} */
json_object *bench_json_summary(const bench_summary *s);

/* Reading back: NaN / NULL when absent, null or of another type. */
double bench_json_get_num(json_object *o, const char *key);
const char *bench_json_get_str(json_object *o, const char *key);
/* o[key], NULL when o is not an object or has no such key. */
json_object *bench_json_get(json_object *o, const char *key);
/* o is a boolean and true. */
bool bench_json_get_bool(json_object *o, const char *key);
/* Length of an array, 0 for anything else. */
size_t bench_json_len(json_object *a);

/* ---- figures as text ------------------------------------------------------ */

/* A {n, median, min, max} summary with fmt, every value times scale:
 * "1.23 (1.20–1.30)", "1.23" for one value, "n/a" for none. */
void bench_report_fmt_summary(json_object *s, const char *fmt, double scale, char *buf, size_t size);
/* v with fmt, or "n/a". */
void bench_report_fmt_num(double v, const char *fmt, char *buf, size_t size);
/* "ffmpeg version 5.1.9-0+deb12u1 Copyright (c) ..." up to " Copyright". */
void bench_report_short_version(const char *v, char *buf, size_t size);
/* quality.systems[system]'s entry for rung, or NULL. */
json_object *bench_report_quality_of(json_object *doc, const char *system, const char *rung);

/* ---- derived figures and outputs ----------------------------------------- */

/* Add summary, ratios, scaling and physical_limit computed from runs. */
int bench_report_summarise(json_object *doc);

/* bench.json, pretty-printed. Returns 0 or a negative errno. */
int bench_report_write_json(json_object *doc, const char *path);

/* The Markdown summary (tables); the same text goes to the terminal and to
 * summary.md. */
void bench_report_markdown(json_object *doc, FILE *out);

/* The charts bench_report_plots() writes, in the order a reader sees them
 * (summary.md and report.html show them all). */
typedef struct bench_report_chart {
    const char *file;   /* "wall.svg", in the results directory */
    const char *title;  /* what it shows, for alt text and headings */
} bench_report_chart;
extern const bench_report_chart bench_report_charts[];
extern const int bench_report_nb_charts;

/* Every chart of bench_report_charts in dir. Returns 0 or the first error
 * (negative errno). */
int bench_report_plots(json_object *doc, const char *dir);

#endif
