/*
 * Host slots across processes (fork): capacity never exceeded, a killed
 * holder's slot goes to a waiter, try_acquire's counts, holders named,
 * state directory selection and creation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ladder/error.h"
#include "policy/host_slots.h"
#include "state_dir.h"

static void test_try_acquire_counts(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    ladder_host_slots *a, *b, *c;
    assert_int_equal(ladder_host_slots_open(&a, dir, "job A"), 0);
    assert_int_equal(ladder_host_slots_open(&b, dir, "job B"), 0);
    assert_int_equal(ladder_host_slots_open(&c, dir, NULL), 0);
    assert_string_equal(ladder_host_slots_dir(a), dir);

    /* Capacity 3: flock conflicts between open files, so three handles in
     * one process compete like three processes. */
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu", 3, 1, 2), 2);
    int held[4];
    assert_int_equal(ladder_host_slots_held(a, "cpu", held, 4), 2);
    assert_int_equal(held[0], 0);
    assert_int_equal(held[1], 1);
    /* One left: asking for at least two takes nothing (all or nothing). */
    assert_int_equal(ladder_host_slots_try_acquire(b, "cpu", 3, 2, 3), 0);
    assert_int_equal(ladder_host_slots_held(b, "cpu", held, 4), 0);
    assert_int_equal(ladder_host_slots_try_acquire(b, "cpu", 3, 1, 3), 1);
    assert_int_equal(ladder_host_slots_held(b, "cpu", held, 4), 1);
    assert_int_equal(held[0], 2);
    assert_int_equal(ladder_host_slots_try_acquire(c, "cpu", 3, 1, 1), 0);
    /* Another device key is another set of slots. */
    assert_int_equal(ladder_host_slots_try_acquire(c, "nvidia-GPU-1234", 2, 1, 2), 2);

    /* Holders name the process and the job; a's two slots first. */
    ladder_host_slot_holder who[4];
    assert_int_equal(ladder_host_slots_holders(c, "cpu", 3, who, 4), 3);
    assert_int_equal(who[0].slot, 0);
    assert_int_equal(who[0].pid, (long)getpid());
    assert_string_equal(who[0].job, "job A");
    assert_string_equal(who[2].job, "job B");
    assert_true(who[2].since > 0 && who[2].since <= (int64_t)time(NULL));

    /* Released slots are free again and name no holder. */
    assert_int_equal(ladder_host_slots_release(a, "cpu"), 0);
    assert_int_equal(ladder_host_slots_held(a, "cpu", held, 4), 0);
    assert_int_equal(ladder_host_slots_holders(c, "cpu", 3, who, 4), 1);
    assert_int_equal(ladder_host_slots_try_acquire(c, "cpu", 3, 1, 5), 2);
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu", 3, 1, 1), 0);

    /* Bad arguments. */
    assert_int_equal(ladder_host_slots_try_acquire(a, "../x", 3, 1, 1), LADDER_EINVAL);
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu.1", 3, 1, 1), LADDER_EINVAL);
    assert_int_equal(ladder_host_slots_try_acquire(a, "", 3, 1, 1), LADDER_EINVAL);
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu", 0, 1, 1), LADDER_EINVAL);
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu", 3, 0, 1), LADDER_EINVAL);
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu", 3, 2, 1), LADDER_EINVAL);

    ladder_host_slots_close(a);
    ladder_host_slots_close(b);
    /* Closing c gives its slots back. */
    ladder_host_slots_close(c);
    assert_int_equal(ladder_host_slots_open(&a, dir, "job A"), 0);
    assert_int_equal(ladder_host_slots_try_acquire(a, "cpu", 3, 3, 3), 3);
    ladder_host_slots_close(a);
    remove_state_dir(dir);
}

/*
 * Shared between the parent and the children (MAP_SHARED): how many slots
 * are inside a hold right now, the most ever seen, and every hold interval.
 */
#define COMPETITORS 6
#define ROUNDS 4
#define CAPACITY 2

typedef struct hold { double start, end; int count; } hold;

typedef struct shared_log {
    atomic_int inside;
    atomic_int max_inside;
    atomic_int nb_holds;
    hold holds[COMPETITORS * ROUNDS];
} shared_log;

static void compete(const char *dir, shared_log *log, int id)
{
    ladder_host_slots *h;
    char job[32];
    snprintf(job, sizeof(job), "competitor %d", id);
    if (ladder_host_slots_open(&h, dir, job))
        _exit(10);
    for (int r = 0; r < ROUNDS; r++) {
        /* Odd competitors want both slots if free, even ones one. */
        int got = ladder_host_slots_acquire(h, "cpu", CAPACITY, 1, id % 2 ? CAPACITY : 1);
        if (got < 1 || got > CAPACITY)
            _exit(11);
        double start = now_mono();
        int now = atomic_fetch_add(&log->inside, got) + got;
        int prev = atomic_load(&log->max_inside);
        while (now > prev && !atomic_compare_exchange_weak(&log->max_inside, &prev, now))
            ;
        struct timespec ts = { 0, 15 * 1000 * 1000 };
        nanosleep(&ts, NULL);
        atomic_fetch_sub(&log->inside, got);
        double end = now_mono();
        int k = atomic_fetch_add(&log->nb_holds, 1);
        log->holds[k] = (hold){ start, end, got };
        ladder_host_slots_release(h, "cpu");
    }
    ladder_host_slots_close(h);
    _exit(0);
}

static void test_capacity_never_exceeded(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    shared_log *log = mmap(NULL, sizeof(*log), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(log != MAP_FAILED);
    memset(log, 0, sizeof(*log));
    pid_t kids[COMPETITORS];
    for (int i = 0; i < COMPETITORS; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0)
            compete(dir, log, i);
    }
    for (int i = 0; i < COMPETITORS; i++) {
        int status;
        assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(atomic_load(&log->nb_holds), COMPETITORS * ROUNDS);
    assert_true(atomic_load(&log->max_inside) >= 1);
    assert_true(atomic_load(&log->max_inside) <= CAPACITY);
    /* The same from the recorded intervals: at every hold's start, the
     * slots held by intervals covering that instant stay within capacity. */
    int n = atomic_load(&log->nb_holds);
    for (int i = 0; i < n; i++) {
        int held = 0;
        for (int j = 0; j < n; j++)
            if (log->holds[j].start <= log->holds[i].start && log->holds[i].start < log->holds[j].end)
                held += log->holds[j].count;
        assert_true(held <= CAPACITY);
    }
    munmap(log, sizeof(*log));
    remove_state_dir(dir);
}

/* Write one byte to fd (a child telling the parent where it is). */
static void tell(int fd, char what)
{
    if (write(fd, &what, 1) != 1)
        _exit(20);
}

/* Read one byte, or 0 after timeout_ms. */
static char hear(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) != 1)
        return 0;
    char c = 0;
    return read(fd, &c, 1) == 1 ? c : 0;
}

static void test_killed_holder_frees_slot(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    int to_parent[2];
    assert_int_equal(pipe(to_parent), 0);

    pid_t holder = fork();
    assert_true(holder >= 0);
    if (holder == 0) {
        ladder_host_slots *h;
        if (ladder_host_slots_open(&h, dir, "doomed holder") ||
            ladder_host_slots_try_acquire(h, "cpu", 1, 1, 1) != 1)
            _exit(10);
        tell(to_parent[1], 'H');
        for (;;)
            pause();                  /* until kill -9 */
    }
    assert_int_equal(hear(to_parent[0], 10000), 'H');

    pid_t waiter = fork();
    assert_true(waiter >= 0);
    if (waiter == 0) {
        ladder_host_slots *h;
        if (ladder_host_slots_open(&h, dir, "waiter"))
            _exit(10);
        tell(to_parent[1], 'W');
        int got = ladder_host_slots_acquire(h, "cpu", 1, 1, 1);
        tell(to_parent[1], got == 1 ? 'A' : 'E');
        ladder_host_slots_close(h);
        _exit(0);
    }
    assert_int_equal(hear(to_parent[0], 10000), 'W');
    ladder_host_slots *probe;
    assert_int_equal(ladder_host_slots_open(&probe, dir, NULL), 0);
    ladder_host_slot_holder who[1];
    assert_int_equal(ladder_host_slots_holders(probe, "cpu", 1, who, 1), 1);
    assert_int_equal(who[0].pid, (long)holder);
    assert_string_equal(who[0].job, "doomed holder");
    /* While the holder lives, the waiter must not get the slot (and by the
     * end of this it sleeps, so what wakes it below is the kill itself:
     * nothing else touches the directory until it answers). */
    assert_int_equal(hear(to_parent[0], 500), 0);

    assert_int_equal(kill(holder, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(holder, &status, 0), holder);
    assert_true(WIFSIGNALED(status));
    /* The kernel dropped the lock; the waiter wakes (no timing promise
     * beyond the test's own generous bound). */
    char answer = hear(to_parent[0], 20000);
    if (answer != 'A')
        kill(waiter, SIGKILL);        /* do not leave it behind on failure */
    assert_int_equal(answer, 'A');
    assert_int_equal(waitpid(waiter, &status, 0), waiter);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The dead holder's text is still in the file, but it names nobody. */
    assert_int_equal(ladder_host_slots_holders(probe, "cpu", 1, who, 1), 0);
    assert_int_equal(ladder_host_slots_try_acquire(probe, "cpu", 1, 1, 1), 1);
    ladder_host_slots_close(probe);
    close(to_parent[0]);
    close(to_parent[1]);
    remove_state_dir(dir);
}

/* Priorities: a realtime waiter's announcement is seen by a batch job's
 * test (from any descriptor) until it is withdrawn or its process dies; a
 * batch job gives one slot back and another handle can take it. */
static void test_realtime_announce_and_yield(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    ladder_host_slots *batch, *rt;
    assert_int_equal(ladder_host_slots_open(&batch, dir, "batch"), 0);
    assert_int_equal(ladder_host_slots_open(&rt, dir, "realtime"), 0);
    assert_int_equal(ladder_host_slots_try_acquire(batch, "cpu", 2, 2, 2), 2);
    assert_int_equal(ladder_host_slots_realtime_waiting(dir, "cpu"), 0);
    assert_int_equal(ladder_host_slots_announce_realtime(rt, "cpu", true), 0);
    assert_int_equal(ladder_host_slots_realtime_waiting(dir, "cpu"), 1);
    /* Another key's realtime waiters are not this key's. */
    assert_int_equal(ladder_host_slots_realtime_waiting(dir, "nvidia-x"), 0);
    /* The batch job yields slot 1; the realtime job gets exactly it. */
    assert_int_equal(ladder_host_slots_release_slot(batch, "cpu", 1), 0);
    assert_int_equal(ladder_host_slots_release_slot(batch, "cpu", 1), LADDER_EINVAL);
    assert_int_equal(ladder_host_slots_try_acquire(rt, "cpu", 2, 1, 1), 1);
    int held[2];
    assert_int_equal(ladder_host_slots_held(rt, "cpu", held, 2), 1);
    assert_int_equal(held[0], 1);
    assert_int_equal(ladder_host_slots_announce_realtime(rt, "cpu", false), 0);
    assert_int_equal(ladder_host_slots_realtime_waiting(dir, "cpu"), 0);
    /* With nobody waiting, the blocking form returns at once. */
    assert_int_equal(ladder_host_slots_realtime_wait(dir, "cpu", -1), 0);

    /* A realtime waiter killed while announcing holds nobody up. */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        ladder_host_slots *h;
        if (ladder_host_slots_open(&h, dir, "doomed") || ladder_host_slots_announce_realtime(h, "cpu", true))
            _exit(1);
        pause();
        _exit(0);
    }
    double t0 = now_mono();
    while (ladder_host_slots_realtime_waiting(dir, "cpu") != 1 && now_mono() - t0 < 10) {
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ladder_host_slots_realtime_waiting(dir, "cpu"), 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    assert_int_equal(ladder_host_slots_realtime_wait(dir, "cpu", -1), 0);
    ladder_host_slots_close(rt);
    ladder_host_slots_close(batch);
    remove_state_dir(dir);
}

/* Writes to an eventfd after a delay: a signal watcher telling the job to stop. */
typedef struct later_write {
    int fd;
    long delay_ms;
} later_write;

static void *write_later(void *arg)
{
    later_write *lw = arg;
    struct timespec ts = { lw->delay_ms / 1000, (lw->delay_ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    uint64_t one = 1;
    assert_int_equal(write(lw->fd, &one, sizeof(one)), (ssize_t)sizeof(one));
    return NULL;
}

/* A yielded batch job told to stop gives up both of its waits at once:
 * for the realtime job to stop waiting, and for a slot. */
static void test_waits_interrupted(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    ladder_host_slots *batch, *rt, *third;
    assert_int_equal(ladder_host_slots_open(&batch, dir, "batch"), 0);
    assert_int_equal(ladder_host_slots_open(&rt, dir, "realtime"), 0);
    assert_int_equal(ladder_host_slots_open(&third, dir, "third"), 0);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    assert_true(efd >= 0);

    /* Nobody waits: returns at once; a realtime job waits: only the
     * interrupt ends it (about 150 ms here, not the 2 s fallback). */
    assert_int_equal(ladder_host_slots_realtime_wait(dir, "cpu", efd), 0);
    assert_int_equal(ladder_host_slots_announce_realtime(rt, "cpu", true), 0);
    later_write lw = { efd, 150 };
    pthread_t t;
    pthread_create(&t, NULL, write_later, &lw);
    double t0 = now_mono();
    assert_int_equal(ladder_host_slots_realtime_wait(dir, "cpu", efd), LADDER_ECANCELED);
    double waited = now_mono() - t0;
    pthread_join(t, NULL);
    assert_true(waited >= 0.1 && waited < 1.5);
    assert_int_equal(ladder_host_slots_announce_realtime(rt, "cpu", false), 0);
    uint64_t drained;
    assert_int_equal(read(efd, &drained, sizeof(drained)), (ssize_t)sizeof(drained));

    /* The only slot is held: the head waiter gives up on the interrupt... */
    assert_int_equal(ladder_host_slots_try_acquire(rt, "cpu", 1, 1, 1), 1);
    ladder_host_slots_set_interrupt(batch, efd);
    pthread_create(&t, NULL, write_later, &lw);
    t0 = now_mono();
    assert_int_equal(ladder_host_slots_acquire(batch, "cpu", 1, 1, 1), LADDER_ECANCELED);
    waited = now_mono() - t0;
    pthread_join(t, NULL);
    assert_true(waited >= 0.1 && waited < 1.5);
    assert_int_equal(read(efd, &drained, sizeof(drained)), (ssize_t)sizeof(drained));

    /* ...and so does a waiter behind the head (in the queue lock). The head
     * is a forked process waiting for the same slot. */
    pid_t head = fork();
    assert_true(head >= 0);
    if (head == 0) {
        ladder_host_slots *h;
        if (ladder_host_slots_open(&h, dir, "head"))
            _exit(1);
        _exit(ladder_host_slots_acquire(h, "cpu", 1, 1, 1) == 1 ? 0 : 2);
    }
    char queue[PATH_MAX];
    snprintf(queue, sizeof(queue), "%s/cpu.queue.lock", dir);
    /* Until the head holds the queue lock. */
    t0 = now_mono();
    for (;;) {
        int qfd = open(queue, O_RDONLY);
        bool held = qfd >= 0 && flock(qfd, LOCK_EX | LOCK_NB) != 0;
        if (qfd >= 0)
            close(qfd);
        if (held || now_mono() - t0 > 10)
            break;
        struct timespec ts = { 0, 10000000 };
        nanosleep(&ts, NULL);
    }
    pthread_create(&t, NULL, write_later, &lw);
    t0 = now_mono();
    assert_int_equal(ladder_host_slots_acquire(batch, "cpu", 1, 1, 1), LADDER_ECANCELED);
    waited = now_mono() - t0;
    pthread_join(t, NULL);
    assert_true(waited >= 0.1 && waited < 1.5);
    /* The slot goes back: the head takes it. A handle without an
     * interrupt still waits as before. */
    assert_int_equal(ladder_host_slots_release(rt, "cpu"), 0);
    int status = -1;
    waitpid(head, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(ladder_host_slots_acquire(third, "cpu", 1, 1, 1), 1);

    close(efd);
    ladder_host_slots_close(third);
    ladder_host_slots_close(rt);
    ladder_host_slots_close(batch);
    remove_state_dir(dir);
}

static void test_state_dir_selection(void **state)
{
    (void)state;
    char *base = make_state_dir();
    char want[PATH_MAX], got[PATH_MAX];
    char *saved_state = getenv("LADDER_STATE_DIR") ? strdup(getenv("LADDER_STATE_DIR")) : NULL;
    char *saved_xdg = getenv("XDG_RUNTIME_DIR") ? strdup(getenv("XDG_RUNTIME_DIR")) : NULL;

    /* $LADDER_STATE_DIR wins, and open creates it 0700. */
    snprintf(want, sizeof(want), "%s/state", base);
    setenv("LADDER_STATE_DIR", want, 1);
    setenv("XDG_RUNTIME_DIR", base, 1);
    assert_int_equal(ladder_host_slots_default_dir(got, sizeof(got)), 0);
    assert_string_equal(got, want);
    mode_t old_mask = umask(0);
    ladder_host_slots *h;
    assert_int_equal(ladder_host_slots_open(&h, NULL, "x"), 0);
    umask(old_mask);
    assert_string_equal(ladder_host_slots_dir(h), want);
    struct stat st;
    assert_int_equal(stat(want, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    ladder_host_slots_close(h);

    /* Then $XDG_RUNTIME_DIR/ladder. */
    unsetenv("LADDER_STATE_DIR");
    snprintf(want, sizeof(want), "%s/ladder", base);
    assert_int_equal(ladder_host_slots_default_dir(got, sizeof(got)), 0);
    assert_string_equal(got, want);
    setenv("LADDER_STATE_DIR", "", 1);  /* empty counts as unset */
    assert_int_equal(ladder_host_slots_default_dir(got, sizeof(got)), 0);
    assert_string_equal(got, want);

    /* Then /run/ladder where it can be made, else /tmp/ladder-<uid>. */
    unsetenv("LADDER_STATE_DIR");
    unsetenv("XDG_RUNTIME_DIR");
    assert_int_equal(ladder_host_slots_default_dir(got, sizeof(got)), 0);
    bool run_ok = access("/run/ladder", W_OK) == 0 || (errno == ENOENT && access("/run", W_OK) == 0);
    if (run_ok)
        snprintf(want, sizeof(want), "/run/ladder");
    else
        snprintf(want, sizeof(want), "/tmp/ladder-%lu", (unsigned long)getuid());
    assert_string_equal(got, want);
    char small[4];
    assert_int_equal(ladder_host_slots_default_dir(small, sizeof(small)), LADDER_EINVAL);

    /* A state "directory" that is a file, or under a missing parent. */
    snprintf(want, sizeof(want), "%s/file", base);
    FILE *f = fopen(want, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(ladder_host_slots_open(&h, want, NULL), LADDER_EIO);
    assert_null(h);
    snprintf(want, sizeof(want), "%s/missing/state", base);
    assert_int_equal(ladder_host_slots_open(&h, want, NULL), LADDER_EIO);

    if (saved_state) setenv("LADDER_STATE_DIR", saved_state, 1); else unsetenv("LADDER_STATE_DIR");
    if (saved_xdg) setenv("XDG_RUNTIME_DIR", saved_xdg, 1); else unsetenv("XDG_RUNTIME_DIR");
    free(saved_state);
    free(saved_xdg);
    remove_state_dir(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_try_acquire_counts),
        cmocka_unit_test(test_capacity_never_exceeded),
        cmocka_unit_test(test_killed_holder_frees_slot),
        cmocka_unit_test(test_realtime_announce_and_yield),
        cmocka_unit_test(test_waits_interrupted),
        cmocka_unit_test(test_state_dir_selection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
