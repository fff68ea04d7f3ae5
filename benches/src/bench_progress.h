/*
 * `ladder bench`'s progress line. On a terminal a thread redraws it every
 * quarter second, so the elapsed time moves while the main thread sits in
 * wait4(); elsewhere each step prints a line when it starts and when it
 * ends. Error lines go through bench_progress_error() so that they never
 * land in the middle of a bar.
 */
#ifndef LADDER_BENCH_PROGRESS_H
#define LADDER_BENCH_PROGRESS_H

#include <pthread.h>
#include <stdbool.h>

typedef struct bench_progress {
    bool tty, thread_ok, active, stop;
    pthread_t thread;
    pthread_mutex_t lock;   /* everything here, and the lines on stderr */
    pthread_cond_t cond;
    char label[192];
    const char *what;       /* "run", "quality", or NULL for a step without a count */
    int index, total;
    double t_step, t_start;
} bench_progress;

/* Start (the redraw thread only on a terminal; it never takes SIGINT or
 * SIGTERM) and stop. */
void bench_progress_init(bench_progress *p);
void bench_progress_close(bench_progress *p);

/* A step begins: what is "run" or "quality" (step index of total), NULL
 * for a single step; the label is printf-formatted. */
void bench_progress_begin(bench_progress *p, const char *what, int index, int total, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* The step ends: its line with the outcome, printf-formatted. */
void bench_progress_end(bench_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "ladder bench: LINE" on stderr, the progress line cleared first. */
void bench_progress_error(bench_progress *p, const char *line);

#endif
