/*
 * Progress rendering for the CLI: bars on a terminal, JSON lines for
 * programs (their schema: docs/PROGRESS.md).
 *
 * Threads: the sink's callbacks come from engine threads (one at a time),
 * progress_view_notice() from the signal watcher, the rest from the
 * command's thread; the view serialises them with a lock of its own, taken
 * last (it calls nothing that locks).
 */
#ifndef LADDER_CLI_PROGRESS_VIEW_H
#define LADDER_CLI_PROGRESS_VIEW_H

#include <stdio.h>

#include "ladder/ladder.h"

typedef struct progress_view progress_view;

/* mode: LADDER_PROGRESS_* resolved (AUTO picks bars when stderr is a TTY).
 * verbosity: highest log level printed on stderr. */
int progress_view_init(progress_view **out, ladder_progress_mode mode, int verbosity);
ladder_progress_sink progress_view_sink(progress_view *v);
/* The final redraw of the bars (they stay on screen; done once: later
 * calls, and progress_view_error() after it, draw nothing again); with
 * JSON lines, the last "overall" line. */
void progress_view_finish(progress_view *v);
void progress_view_close(progress_view *v);
/* True when JSON lines go to stdout. */
int progress_view_is_json(const progress_view *v);
/* The summary after a successful run, on stderr: what was written where,
 * how long the media is, how fast it went, the report and how to play the
 * result; every line within 80 columns (unless a path is longer). The
 * per-rung detail lines only at -v (verbosity LADDER_LOG_INFO). */
void progress_view_summary(const progress_view *v, const ladder_report *rep, const char *outdir,
                           unsigned formats);

/* The report as a JSON line, {"type":"report","t":...,<report fields>}:
 * report_json is ladder_report_json()'s object. JSON mode only. */
void progress_view_report(progress_view *v, const char *report_json);

/*
 * The run failed (or stopped) with exit status exit_code: the final redraw
 * if none was made, "ladder: MESSAGE" on stderr (it replaces the caller's
 * own line; NULL or "": nothing, when the caller already printed it), and
 * with JSON lines an {"type":"error"} line on stdout, the last line before
 * the exit. Only the first call writes that line, so a caller may call it
 * again for any non-zero status on its way out; v NULL (no view yet): the
 * message only.
 */
void progress_view_error(progress_view *v, int exit_code, const char *message);

/* A line for the terminal from another thread (the stop watcher's "stopping
 * at the next chunk boundary"): printed above the bars, which are redrawn
 * below it, so nothing is left twice on screen. line: no newline. The
 * second form fits stop_watch_target.announce (opaque: the view). */
void progress_view_notice(progress_view *v, const char *line);
void progress_view_notice_cb(void *view, const char *line);

#endif
