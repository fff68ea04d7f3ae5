#include "stop_watch.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ladder/error.h"

struct stop_watch {
    sigset_t set;
    pthread_t thread;
    /* Guards received and target: the watcher calls into the target only
     * while it is attached, and attach applies what came before it. */
    pthread_mutex_t lock;
    int received;
    bool parent_gone;             /* STOP_WATCH_PARENT_DEATH_SIGNAL came */
    stop_watch_target target;
    bool attached;
    bool announce;
    int interrupt_fd;             /* eventfd: readable after the first signal */
};

static void apply(stop_watch *w, int received)
{
    if (!w->attached || received == 0)
        return;
    if (received == 1 && w->target.stop)
        w->target.stop(w->target.opaque);
    else if (received > 1 && w->target.cancel)
        w->target.cancel(w->target.opaque);
}

/* SIGUSR1 is stop_watch_close() saying the command is over. */
static void *watch_signals(void *arg)
{
    stop_watch *w = arg;
    int sig;
    while (sigwait(&w->set, &sig) == 0 && sig != SIGUSR1) {
        pthread_mutex_lock(&w->lock);
        /* The parent's death is one stop however often the kernel says it:
         * a child of a multi-threaded parent gets it once when its parent
         * thread exits and again when it is handed to init, and a second
         * SIGTERM would have cancelled the job, throwing away the segments
         * the next runner resumes from. A signal after it still cancels. */
        bool repeat = sig == STOP_WATCH_PARENT_DEATH_SIGNAL && (w->parent_gone || w->received > 0);
        w->parent_gone |= sig == STOP_WATCH_PARENT_DEATH_SIGNAL;
        int received = repeat ? w->received : ++w->received;
        if (received == 1 && !repeat && w->announce) {
            char line[160];
            snprintf(line, sizeof(line), "ladder: %s: stopping at the next chunk boundary (again to stop at once)",
                     sig == STOP_WATCH_PARENT_DEATH_SIGNAL ? "parent died" : strsignal(sig));
            if (w->attached && w->target.announce)
                w->target.announce(w->target.announce_opaque, line);
            else
                fprintf(stderr, "%s\n", line);
        }
        if (!repeat)
            apply(w, received);
        pthread_mutex_unlock(&w->lock);
        /* After the stop is recorded: a slot wait that gives up sees it
         * and leaves quietly instead of failing the run. */
        uint64_t one = 1;
        if (write(w->interrupt_fd, &one, sizeof(one)) < 0) {
            /* Only fails when the counter is full: readable then anyway. */
        }
    }
    return NULL;
}

int stop_watch_start(stop_watch **out, bool announce)
{
    *out = NULL;
    stop_watch *w = calloc(1, sizeof(*w));
    if (!w)
        return LADDER_ENOMEM;
    w->interrupt_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->interrupt_fd < 0) {
        free(w);
        return LADDER_EIO;
    }
    w->announce = announce;
    pthread_mutex_init(&w->lock, NULL);
    sigemptyset(&w->set);
    sigaddset(&w->set, SIGINT);
    sigaddset(&w->set, SIGTERM);
    sigaddset(&w->set, SIGUSR1);
    sigaddset(&w->set, STOP_WATCH_PARENT_DEATH_SIGNAL);
    sigset_t old;
    pthread_sigmask(SIG_BLOCK, &w->set, &old);
    if (pthread_create(&w->thread, NULL, watch_signals, w)) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        close(w->interrupt_fd);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return LADDER_ENOMEM;
    }
    *out = w;
    return 0;
}

int stop_watch_interrupt_fd(const stop_watch *w)
{
    return w ? w->interrupt_fd : -1;
}

int stop_watch_received(stop_watch *w)
{
    if (!w)
        return 0;
    pthread_mutex_lock(&w->lock);
    int received = w->received;
    pthread_mutex_unlock(&w->lock);
    return received;
}

void stop_watch_attach(stop_watch *w, stop_watch_target target)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->target = target;
    w->attached = true;
    apply(w, w->received);
    pthread_mutex_unlock(&w->lock);
}

void stop_watch_detach(stop_watch *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->attached = false;
    pthread_mutex_unlock(&w->lock);
}

void stop_watch_close(stop_watch *w)
{
    if (!w)
        return;
    pthread_kill(w->thread, SIGUSR1);
    pthread_join(w->thread, NULL);
    close(w->interrupt_fd);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
