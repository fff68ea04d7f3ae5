/*
 * Run child processes and measure them, for `ladder bench`.
 *
 * Wall time is CLOCK_MONOTONIC from just before posix_spawn to just after
 * the reap; user/system CPU and peak RSS come from wait4()'s rusage, which
 * covers every thread of the child (and of its own reaped children). stdin
 * is /dev/null; stdout and stderr go to files.
 *
 *     bench_child *c;
 *     bench_child_start(&c, argv, "out.log", NULL);   // stderr -> out.log too
 *     bench_child_wait_any(&c, 1, &cancel, &i);
 *     ...bench_child_result(c)...
 *     bench_child_close(c);
 *
 * Several children may run at once (FFmpeg one process per rung):
 * bench_child_wait_any() reaps whichever ends first, so each one's wall time
 * is its own. It reaps with wait4(-1): the caller must not have other
 * children in flight that it expects to reap itself.
 */
#ifndef LADDER_CLI_BENCH_SPAWN_H
#define LADDER_CLI_BENCH_SPAWN_H

#include <signal.h>
#include <stdbool.h>

typedef struct bench_spawn_result {
    bool done;          /* reaped */
    int exit_code;      /* exit status; 128 + signal when killed by one */
    int term_signal;    /* 0 unless killed by a signal */
    double wall_s;
    double user_s, sys_s;
    long maxrss_kib;    /* ru_maxrss: largest resident set, KiB on Linux */
} bench_spawn_result;

typedef struct bench_child bench_child;

/*
 * Start argv[0] (looked up in PATH) with argv. stdout is truncated into
 * out_path; stderr into err_path, or into out_path as well when err_path is
 * NULL. Returns 0 or a negative errno (-ENOENT: no such program, or a log
 * file could not be created).
 */
int bench_child_start(bench_child **out, char *const argv[], const char *out_path,
                      const char *err_path);

/*
 * Block until one of children[0..n) that is still running exits; *index is
 * set to it and its result filled. While waiting, once *cancel (set by a
 * signal handler; may be NULL) becomes non-zero, SIGTERM is sent to every
 * child still running, once. Returns 0, or -ECHILD when none is running.
 */
int bench_child_wait_any(bench_child *const *children, int n,
                         const volatile sig_atomic_t *cancel, int *index);

const bench_spawn_result *bench_child_result(const bench_child *c);

/* Frees c; a child still running is killed (SIGKILL) and reaped first. */
void bench_child_close(bench_child *c);

/* Start one child and wait for it: the result, or a negative errno when it
 * could not be started. */
int bench_spawn_run(char *const argv[], const char *out_path, const char *err_path,
                    const volatile sig_atomic_t *cancel, bench_spawn_result *res);

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

#endif
