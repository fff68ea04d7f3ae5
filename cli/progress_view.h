/* Progress rendering for the CLI: bars on a terminal, JSON lines for programs. */
#ifndef LADDER_CLI_PROGRESS_VIEW_H
#define LADDER_CLI_PROGRESS_VIEW_H

#include <stdio.h>

#include "ladder/ladder.h"

typedef struct progress_view progress_view;

/* mode: LADDER_PROGRESS_* resolved (AUTO picks bars when stderr is a TTY).
 * verbosity: highest log level printed on stderr. */
int progress_view_init(progress_view **out, ladder_progress_mode mode, int verbosity);
ladder_progress_sink progress_view_sink(progress_view *v);
/* Final redraw of the bars (leaves them on screen). */
void progress_view_finish(progress_view *v);
void progress_view_close(progress_view *v);
/* True when JSON lines go to stdout. */
int progress_view_is_json(const progress_view *v);
/* The summary after a successful run, on stderr: what was written where. */
void progress_view_summary(const progress_view *v, const ladder_report *rep, const char *outdir,
                           unsigned formats);

#endif
