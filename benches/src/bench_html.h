/*
 * report.html: the results of `ladder bench` for a person, in one file that
 * opens anywhere (no script, no network, no external file): what ran
 * (input, ladder, the FFmpeg compared and its version, the host), the wall,
 * CPU and memory table of ladder against FFmpeg, the per-rung rate and
 * quality table, and every chart of bench_report_charts inlined as SVG.
 *
 * Like summary.md it only reads the document (after
 * bench_report_summarise()) and the SVG files bench_report_plots() wrote in
 * the same directory, so what it shows is what bench.json says.
 */
#ifndef LADDER_CLI_BENCH_HTML_H
#define LADDER_CLI_BENCH_HTML_H

#include <json-c/json.h>

/* dir/report.html. Returns 0 or a negative errno. */
int bench_html_write(json_object *doc, const char *dir);

#endif
