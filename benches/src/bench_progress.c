/* `ladder bench`'s progress line (bench_progress.h). */
#include "bench_progress.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "bench_spawn.h"

static int term_width(void)
{
    struct winsize ws;
    if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 20)
        return ws.ws_col;
    return 80;
}

/* Under p->lock. */
static void progress_draw(bench_progress *p)
{
    double now = bench_now();
    enum { BAR = 20 };
    char bar[BAR + 1];
    int done = p->what && p->total > 0 ? (p->index - 1) * BAR / p->total : 0;
    for (int i = 0; i < BAR; i++)
        bar[i] = i < done ? '#' : '.';
    bar[BAR] = '\0';
    char line[512];
    if (p->what)
        snprintf(line, sizeof(line), "[%s] %s %d/%d  %s  %.1f s  (total %.0f s)", bar, p->what, p->index,
                 p->total, p->label, now - p->t_step, now - p->t_start);
    else
        snprintf(line, sizeof(line), "[%s] %s  %.1f s  (total %.0f s)", bar, p->label,
                 now - p->t_step, now - p->t_start);
    int width = term_width() - 1;
    if ((int)strlen(line) > width)
        line[width] = '\0';
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
}

static void *progress_thread(void *arg)
{
    bench_progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        if (p->active)
            progress_draw(p);
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 250 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&p->cond, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

void bench_progress_init(bench_progress *p)
{
    memset(p, 0, sizeof(*p));
    p->tty = isatty(STDERR_FILENO);
    p->t_start = bench_now();
    pthread_mutex_init(&p->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (!p->tty)
        return;
    /* The thread must not take SIGINT/SIGTERM: they have to interrupt the
     * main thread's wait4() so that it can pass them on to the children. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    p->thread_ok = pthread_create(&p->thread, NULL, progress_thread, p) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void bench_progress_close(bench_progress *p)
{
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    if (p->tty && p->active)
        fprintf(stderr, "\r\033[K");
    p->active = false;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    if (p->thread_ok)
        pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
}

void bench_progress_begin(bench_progress *p, const char *what, int index, int total, const char *fmt, ...)
{
    pthread_mutex_lock(&p->lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->label, sizeof(p->label), fmt, ap);
    va_end(ap);
    p->what = what;
    p->index = index;
    p->total = total;
    p->t_step = bench_now();
    p->active = true;
    if (p->tty) {
        progress_draw(p);
    } else {
        if (what)
            fprintf(stderr, "[%s %d/%d] %s ...\n", what, index, total, p->label);
        else
            fprintf(stderr, "%s ...\n", p->label);
    }
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void bench_progress_end(bench_progress *p, const char *fmt, ...)
{
    pthread_mutex_lock(&p->lock);
    if (p->tty)
        fprintf(stderr, "\r\033[K");
    p->active = false;
    char tail[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tail, sizeof(tail), fmt, ap);
    va_end(ap);
    if (p->what)
        fprintf(stderr, "[%s %d/%d] %s: %s\n", p->what, p->index, p->total, p->label, tail);
    else
        fprintf(stderr, "%s: %s\n", p->label, tail);
    fflush(stderr);
    pthread_mutex_unlock(&p->lock);
}

void bench_progress_error(bench_progress *p, const char *line)
{
    pthread_mutex_lock(&p->lock);
    if (p->tty && p->active)
        fprintf(stderr, "\r\033[K");
    p->active = false;
    fprintf(stderr, "ladder bench: %s\n", line);
    pthread_mutex_unlock(&p->lock);
}
