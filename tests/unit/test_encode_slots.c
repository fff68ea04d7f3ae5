/*
 * The CLI's host slot claim and chunk gate (cli/encode_slots.c) for a job
 * with a GPU: the job takes a CPU slot and a session of its GPU
 * (nvidia-<UUID>); while a realtime job (another process) waits for that
 * GPU's session, the gate of a worker on the GPU gives its session away,
 * waits, and takes it back; a CPU worker and a worker on another GPU are
 * not held up; a stop (the interrupt fd) ends the wait at once. No GPU is
 * needed: GPU sessions are lock files like CPU slots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "encode_slots.h"
#include "ladder/device_spec.h"
#include "ladder/error.h"
#include "policy/host_slots.h"
#include "ladder/ladder.h"
#include "state_dir.h"

#define UUID "GPU-7e570000-1111-2222-3333-444444444444"
#define GPU_KEY "nvidia-" UUID

static ladder_device_spec device(const char *kind, const char *uuid)
{
    ladder_device_spec d;
    memset(&d, 0, sizeof(d));
    snprintf(d.name, sizeof(d.name), "%s", kind);
    snprintf(d.kind, sizeof(d.kind), "%s", kind);
    snprintf(d.uuid, sizeof(d.uuid), "%s", uuid ? uuid : "");
    d.slots = 1;
    d.gpu = 0;
    return d;
}

/* A batch job with one CPU slot and the GPU's one session. */
static encode_slots *claim_batch(const char *dir, ladder_device_spec *devices, int *nb_devices, int interrupt_fd)
{
    ladder_job job;
    ladder_job_defaults(&job);
    job.input = "in.mp4";
    job.output_dir = "out";
    job.cpu_slots = 1;
    encode_slots_options opts = {
        .host_cpu_slots = 2,
        .state_dir = dir,
        .devices = devices,
        .nb_devices = nb_devices,
        .gpu_sessions = 1,
        .interruptible = interrupt_fd >= 0,
        .interrupt_fd = interrupt_fd,
    };
    encode_slots *c = NULL;
    assert_int_equal(encode_slots_claim(&c, &job, &opts, false, LADDER_LOG_WARNING), 0);
    assert_int_equal(job.cpu_slots, 1);
    return c;
}

/*
 * The realtime job, in a child: announce, wait for the GPU's session, say
 * "got" on the pipe, hold it hold_ms, give it back. keep_announced: stay
 * announced while holding (so a yielded batch worker keeps waiting).
 */
static pid_t start_realtime(const char *dir, int report_fd, int hold_ms, bool keep_announced)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    ladder_host_slots *h;
    if (ladder_host_slots_open(&h, dir, "realtime job"))
        _exit(10);
    if (ladder_host_slots_announce_realtime(h, GPU_KEY, true))
        _exit(11);
    if (ladder_host_slots_acquire(h, GPU_KEY, 1, 1, 1) != 1)
        _exit(12);
    if (!keep_announced)
        ladder_host_slots_announce_realtime(h, GPU_KEY, false);
    char got = 'g';
    if (write(report_fd, &got, 1) != 1)
        _exit(13);
    usleep((useconds_t)hold_ms * 1000);
    ladder_host_slots_close(h);
    _exit(0);
}

/* Until the realtime child is announced (bounded; short sleeps). */
static void wait_announced(const char *dir)
{
    for (int i = 0; i < 500 && ladder_host_slots_realtime_waiting(dir, GPU_KEY) != 1; i++)
        usleep(10000);
    assert_int_equal(ladder_host_slots_realtime_waiting(dir, GPU_KEY), 1);
}

static int held(const char *dir, const char *key)
{
    /* Another handle's view: how many of key's slots are busy. */
    ladder_host_slots *h;
    assert_int_equal(ladder_host_slots_open(&h, dir, NULL), 0);
    ladder_host_slot_holder who[8];
    int n = ladder_host_slots_holders(h, key, 1, who, 8);
    ladder_host_slots_close(h);
    return n;
}

static void test_gpu_worker_yields_its_session(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    ladder_device_spec devices[2] = { device("nvidia", UUID), device("cpu", NULL) };
    int nb_devices = 2;
    encode_slots *c = claim_batch(dir, devices, &nb_devices, -1);
    assert_int_equal(held(dir, GPU_KEY), 1);
    ladder_device_spec gpu = devices[0], cpu = devices[1], other = device("nvidia", "GPU-0ther");

    /* Nobody waits: every gate passes at once. */
    assert_int_equal(encode_slots_gate(c, 0, &gpu), 0);
    assert_int_equal(encode_slots_gate(c, 1, &cpu), 0);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t rt = start_realtime(dir, fds[1], 300, false);
    wait_announced(dir);
    /* The realtime job waits for the GPU, not for a CPU slot or another
     * GPU: those workers go on. */
    assert_int_equal(encode_slots_gate(c, 1, &cpu), 0);
    assert_int_equal(encode_slots_gate(c, 0, &other), 0);
    /* The GPU worker gives its session away, and has it back once the
     * realtime job is done with it. */
    double t0 = now_mono();
    assert_int_equal(encode_slots_gate(c, 0, &gpu), 1);
    double waited = now_mono() - t0;
    char got = 0;
    assert_int_equal(read(fds[0], &got, 1), 1);    /* the realtime job had it */
    assert_int_equal(got, 'g');
    int status;
    assert_int_equal(waitpid(rt, &status, 0), rt);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(waited >= 0.25);                   /* it waited out the 300 ms hold */
    assert_int_equal(held(dir, GPU_KEY), 1);       /* ours again */
    /* Nobody waits again: the gate passes. */
    assert_int_equal(encode_slots_gate(c, 0, &gpu), 0);

    close(fds[0]);
    close(fds[1]);
    encode_slots_close(c);
    assert_int_equal(held(dir, GPU_KEY), 0);
    remove_state_dir(dir);
}

static void test_yielded_gpu_worker_stops_at_once(void **state)
{
    (void)state;
    char *dir = make_state_dir();
    int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    assert_true(stop_fd >= 0);
    ladder_device_spec devices[1] = { device("nvidia", UUID) };
    int nb_devices = 1;
    encode_slots *c = claim_batch(dir, devices, &nb_devices, stop_fd);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    /* Stays announced for 5 s while holding the session. */
    pid_t rt = start_realtime(dir, fds[1], 5000, true);
    wait_announced(dir);
    pid_t stopper = fork();
    assert_true(stopper >= 0);
    if (stopper == 0) {
        usleep(200000);
        uint64_t one = 1;
        _exit(write(stop_fd, &one, sizeof(one)) == sizeof(one) ? 0 : 1);
    }
    double t0 = now_mono();
    assert_int_equal(encode_slots_gate(c, 0, &devices[0]), LADDER_ECANCELED);
    double waited = now_mono() - t0;
    assert_true(waited < 2.0);                     /* not the realtime job's 5 s */
    char got = 0;
    assert_int_equal(read(fds[0], &got, 1), 1);    /* it took the session we gave */
    assert_int_equal(waitpid(stopper, NULL, 0), stopper);
    kill(rt, SIGKILL);
    waitpid(rt, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    encode_slots_close(c);
    close(stop_fd);
    remove_state_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpu_worker_yields_its_session),
        cmocka_unit_test(test_yielded_gpu_worker_stops_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
