/* Child processes for `ladder bench`. See bench_spawn.h. */
#include "bench_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct bench_child {
    pid_t pid;
    double t0;
    bool term_sent;
    bench_spawn_result res;
};

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/*
 * The log files are opened here, not through posix_spawn_file_actions_
 * addopen: an unwritable log must be reported as such, not as a child that
 * "failed" with exit 127.
 */
int bench_child_start(bench_child **out, char *const argv[], const char *out_path,
                      const char *err_path)
{
    *out = NULL;
    bench_child *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int fd_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int fd_err = err_path ? open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    int ret = 0;
    if (fd_in < 0 || fd_out < 0 || (err_path && fd_err < 0))
        ret = -errno;

    posix_spawn_file_actions_t fa;
    bool fa_ok = false;
    if (!ret) {
        ret = -posix_spawn_file_actions_init(&fa);
        fa_ok = !ret;
    }
    /* dup2 clears FD_CLOEXEC on the target: only 0, 1 and 2 reach the child. */
    if (!ret)
        ret = -posix_spawn_file_actions_adddup2(&fa, fd_in, 0);
    if (!ret)
        ret = -posix_spawn_file_actions_adddup2(&fa, fd_out, 1);
    if (!ret)
        ret = -posix_spawn_file_actions_adddup2(&fa, err_path ? fd_err : fd_out, 2);
    if (!ret) {
        c->t0 = bench_now();
        /* glibc's posix_spawn reports a failed exec (no such program) as its
         * return value, so a typo in --ffmpeg is an error, not exit 127. */
        ret = -posix_spawnp(&c->pid, argv[0], &fa, NULL, argv, environ);
    }
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (fd_in >= 0)
        close(fd_in);
    if (fd_out >= 0)
        close(fd_out);
    if (fd_err >= 0)
        close(fd_err);
    if (ret) {
        free(c);
        return ret;
    }
    *out = c;
    return 0;
}

static void record(bench_child *c, int status, const struct rusage *ru, double t1)
{
    bench_spawn_result *r = &c->res;
    r->done = true;
    r->wall_s = t1 - c->t0;
    r->user_s = tv_seconds(ru->ru_utime);
    r->sys_s = tv_seconds(ru->ru_stime);
    r->maxrss_kib = ru->ru_maxrss;
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        r->term_signal = WTERMSIG(status);
        r->exit_code = 128 + r->term_signal;
    } else {
        r->exit_code = 1;
    }
}

int bench_child_wait_any(bench_child *const *children, int n,
                         const volatile sig_atomic_t *cancel, int *index)
{
    int running = 0;
    for (int i = 0; i < n; i++)
        running += children[i] && !children[i]->res.done;
    if (!running)
        return -ECHILD;
    for (;;) {
        int status;
        struct rusage ru;
        pid_t pid = wait4(-1, &status, 0, &ru);
        double t1 = bench_now();
        if (pid < 0) {
            if (errno != EINTR)
                return -errno;
            if (cancel && *cancel) {
                for (int i = 0; i < n; i++) {
                    bench_child *c = children[i];
                    if (c && !c->res.done && !c->term_sent) {
                        kill(c->pid, SIGTERM);
                        c->term_sent = true;
                    }
                }
            }
            continue;
        }
        for (int i = 0; i < n; i++) {
            bench_child *c = children[i];
            if (c && !c->res.done && c->pid == pid) {
                record(c, status, &ru, t1);
                *index = i;
                return 0;
            }
        }
        /* Not one of ours (cannot happen in ladder bench): keep waiting. */
    }
}

const bench_spawn_result *bench_child_result(const bench_child *c)
{
    return &c->res;
}

void bench_child_close(bench_child *c)
{
    if (!c)
        return;
    if (!c->res.done) {
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    free(c);
}

int bench_spawn_run(char *const argv[], const char *out_path, const char *err_path,
                    const volatile sig_atomic_t *cancel, bench_spawn_result *res)
{
    bench_child *c;
    int ret = bench_child_start(&c, argv, out_path, err_path);
    if (ret)
        return ret;
    int index;
    ret = bench_child_wait_any(&c, 1, cancel, &index);
    if (!ret)
        *res = c->res;
    bench_child_close(c);
    return ret;
}
