/*
 * The text of `ladder encode`'s progress (cli/progress_view.c): durations,
 * speeds, bars, rows cut to a terminal's width, the whole run's total. Pure
 * functions: no terminal, no clock, no locks, so the unit test
 * (tests/unit/test_progress_format.c) pins every figure down.
 */
#ifndef LADDER_CLI_PROGRESS_FORMAT_H
#define LADDER_CLI_PROGRESS_FORMAT_H

#include <stddef.h>

#include "ladder/ladder.h"

/* "0:07", "12:34", "1:02:03" (rounded down to the second); "--:--" when
 * unknown (negative, NaN or infinite). */
void progress_format_duration(char *buf, size_t size, double seconds);

/* A span for a sentence: "9.4 s" under a minute, else as a duration
 * ("1:02:03"); "?" when unknown. */
void progress_format_span(char *buf, size_t size, double seconds);

/* A speed as a multiple of realtime: "0.42x", "2.41x", "12.3x", "123x";
 * "?x" when unknown (negative, NaN or infinite). */
void progress_format_speed(char *buf, size_t size, double speed);

/* "[####......]": width cells inside the brackets, fraction (clamped to
 * 0..1) of them filled, rounded down so a bar is only full when done. */
void progress_format_bar(char *buf, size_t size, int width, double fraction);

/* Columns text takes on a terminal: one per UTF-8 code point (ladder's
 * names and sizes are ASCII; a path may not be). */
int progress_columns(const char *text);

/* Cut text in place to at most cols columns, at a code point boundary.
 * Returns the columns it takes now. */
int progress_fit(char *text, int cols);

/* Lines a row of columns characters takes on a terminal width columns
 * wide that re-wraps its lines on a resize (tmux, VTE, kitty, iTerm2): at
 * least one. What the redraw moves up by after the terminal narrowed. */
int progress_wrapped_lines(int columns, int width);

/* The whole run, from every rung's latest progress. */
typedef struct progress_total {
    double fraction;              /* 0..1: rung fractions weighted by pixels per frame x frames */
    double media_done;            /* source seconds done: fraction x media_total */
    double media_total;           /* source seconds (an estimate until the input ends); 0 unknown */
    double elapsed;               /* wall seconds since the run started */
    double speed;                 /* media_done / elapsed, x realtime; < 0 unknown */
    double eta;                   /* wall seconds left; < 0 unknown */
    int rungs, completed, failed;
} progress_total;

void progress_total_of(const ladder_rung_progress *rows, int nb_rows, double elapsed, progress_total *out);

/* A rung's fraction done, 0..1 (1 once completed). */
double progress_rung_fraction(const ladder_rung_progress *p);

/* Where the columns of the rows go for a terminal width columns wide. */
typedef struct progress_layout {
    int cols;                     /* the widest a row may be: width - 1 */
    int name_width;               /* the name column */
    int bar_width;                /* cells inside a bar's brackets */
} progress_layout;

/* name_width: the longest rung name (at least 5 for "total"). */
progress_layout progress_layout_for(int width, int name_width);

/* A rung's row / the total row: at most layout->cols columns. The fields
 * after the percentage are added in order of importance while they fit
 * whole, so a narrow terminal loses the last ones, never half of one. */
void progress_format_rung(char *buf, size_t size, const progress_layout *layout, const ladder_rung_progress *p);
void progress_format_total(char *buf, size_t size, const progress_layout *layout, const progress_total *t);

#endif
