/*
 * The signal watcher of a command that runs a job (`ladder encode`,
 * `ladder job`): SIGINT/SIGTERM are blocked in every thread and taken by
 * one thread, from the command's first step, so a signal that arrives
 * while the job is still being set up (the input probed, devices found,
 * a host slot awaited) is not the default death but the same stop as one
 * that arrives mid-run.
 *
 * The first signal asks for a stop, a second one for a cancel. Until the
 * command attaches its job (stop_watch_attach), the request is held and
 * applied at attach; a wait for a host slot is ended at once through
 * stop_watch_interrupt_fd().
 */
#ifndef LADDER_CLI_STOP_WATCH_H
#define LADDER_CLI_STOP_WATCH_H

#include <signal.h>
#include <stdbool.h>

typedef struct stop_watch stop_watch;

/* What a command that asks to die with its parent (prctl PR_SET_PDEATHSIG)
 * should ask for: the watcher counts it as one stop, however many times it
 * comes, never as the cancel a second SIGTERM is. */
#define STOP_WATCH_PARENT_DEATH_SIGNAL SIGUSR2

/* What the watcher calls, with its lock held (so not after detach). */
typedef struct stop_watch_target {
    void (*stop)(void *opaque);
    void (*cancel)(void *opaque);
    void *opaque;
    /* Optional: prints the announce line (no newline) instead of stderr,
     * so a progress view that owns the terminal keeps its rows whole
     * (progress_view_notice_cb, announce_opaque: the view). */
    void (*announce)(void *announce_opaque, const char *line);
    void *announce_opaque;
} stop_watch_target;

/* Block SIGINT, SIGTERM, SIGUSR1 and the parent-death signal in the calling thread (and every
 * thread it starts) and start the watcher. announce: the first signal
 * prints one line on stderr saying the command is stopping. 0 or a
 * LADDER_E* code; on failure the signals keep their default action. */
int stop_watch_start(stop_watch **out, bool announce);

/* Readable once a signal arrived: give it to the host slot handle so its
 * waits end (encode_slots_options.interrupt_fd). -1 when w is NULL. */
int stop_watch_interrupt_fd(const stop_watch *w);

/* Signals received so far: 0 none, 1 stop, 2 or more cancel. */
int stop_watch_received(stop_watch *w);

/* From now on a signal stops or cancels target; one that came before is
 * applied now, in this thread. */
void stop_watch_attach(stop_watch *w, stop_watch_target target);

/* No more calls into the target (it is about to be closed). */
void stop_watch_detach(stop_watch *w);

/* Stop the watcher thread and free it. The signals stay blocked: one that
 * arrives after this is pending until the process exits, which is what a
 * command that is returning wants. NULL is a no-op. */
void stop_watch_close(stop_watch *w);

#endif
