/*
 * Two sessions of one process sharing one lease pool (ladder_job.lease_pool)
 * of a single CPU slot: both ladders complete and are whole, the pool
 * never lends more than it has, and the second job does not wait for the
 * first to finish: their chunks take turns on the slot. A device the pool
 * does not have is refused at init. Needs ffmpeg(1) for its source, as the
 * e2e tests do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "ladder/device_spec.h"
#include "ladder/error.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"
#include "ladder/lease_pool.h"

#define SEGMENTS 8                /* 8 s of source, 1 s segments */

/* The order in which the chunks of both jobs were encoded ("abab..."). */
typedef struct timeline {
    pthread_mutex_t lock;
    char order[4 * SEGMENTS + 1];
    int n;
} timeline;

/* What one session saw. */
typedef struct run {
    char id;                      /* 'a' or 'b' in the timeline */
    timeline *chunks;
    ladder_lease_pool *pool;
    const char *input;
    char output[PATH_MAX];
    int segments;
    int turns;                    /* leases given back for the other job */
    int max_in_use;
    int ret;
    pthread_t thread;
} run;

static void on_rung(void *opaque, const ladder_rung_progress *p)
{
    run *r = opaque;
    r->segments = p->segments_written;
    int in_use = ladder_lease_pool_in_use(r->pool);
    if (in_use > r->max_in_use)
        r->max_in_use = in_use;
}

/* Called right after each chunk is encoded, one line per event. */
static void on_log(void *opaque, int level, const char *line)
{
    (void)level;
    run *r = opaque;
    if (strstr(line, "event=lease_shared reason=turn"))
        r->turns++;
    if (!strstr(line, "event=encoded"))
        return;
    pthread_mutex_lock(&r->chunks->lock);
    if (r->chunks->n < 4 * SEGMENTS)
        r->chunks->order[r->chunks->n++] = r->id;
    pthread_mutex_unlock(&r->chunks->lock);
}

static void *run_session(void *arg)
{
    run *r = arg;
    ladder_rung rung;
    char err[256];
    assert_int_equal(ladder_config_parse_rung("256x144:crf32", &rung, err, sizeof(err)), 0);
    ladder_job job;
    ladder_job_defaults(&job);
    job.input = r->input;
    job.output_dir = r->output;
    job.rungs = &rung;
    job.nb_rungs = 1;
    job.segment_seconds = 1.0;
    job.preset = "medium";        /* slow enough that chunks overlap the other job */
    job.audio_mode = LADDER_AUDIO_NONE;
    job.lease_pool = r->pool;
    ladder_progress_sink sink = { .opaque = r, .on_rung = on_rung, .on_log = on_log };
    ladder_session *s = NULL;
    r->ret = ladder_session_init(&s, &job, &sink);
    if (!r->ret) {
        r->ret = ladder_session_run(s);
        if (!r->ret)
            assert_int_equal(ladder_session_report(s)->rungs[0].segments, SEGMENTS);
    }
    ladder_session_close(s);
    return NULL;
}

static void test_two_sessions_take_turns(void **state)
{
    (void)state;
    char dir[] = "/tmp/ladder-test-shared-leases-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char input[PATH_MAX], cmd[2 * PATH_MAX];
    snprintf(input, sizeof(input), "%s/src.mp4", dir);
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=640x360:rate=30 -t 8 -c:v libx264 -g 30 "
             "-pix_fmt yuv420p -y '%s'", input);
    assert_int_equal(system(cmd), 0);

    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 1), 0);
    /* The test holds the only slot until both sessions have a worker
     * queued for it, so neither runs alone first however long the other's
     * set-up takes (sanitizers, a loaded machine). */
    ladder_lease held;
    assert_int_equal(ladder_lease_pool_acquire(pool, &held), 0);
    timeline chunks = { .lock = PTHREAD_MUTEX_INITIALIZER };
    run a = { .id = 'a', .chunks = &chunks, .pool = pool, .input = input };
    run b = { .id = 'b', .chunks = &chunks, .pool = pool, .input = input };
    snprintf(a.output, sizeof(a.output), "%s/a", dir);
    snprintf(b.output, sizeof(b.output), "%s/b", dir);
    assert_int_equal(pthread_create(&a.thread, NULL, run_session, &a), 0);
    assert_int_equal(pthread_create(&b.thread, NULL, run_session, &b), 0);
    for (int i = 0; i < 12000 && ladder_lease_pool_waiting(pool) < 2; i++) {
        struct timespec ts = { 0, 5000000L };
        nanosleep(&ts, NULL);
    }
    assert_int_equal(ladder_lease_pool_waiting(pool), 2);
    ladder_lease_pool_release(pool, &held);
    pthread_join(a.thread, NULL);
    pthread_join(b.thread, NULL);
    assert_int_equal(a.ret, 0);
    assert_int_equal(b.ret, 0);
    assert_int_equal(a.segments, SEGMENTS);
    assert_int_equal(b.segments, SEGMENTS);
    assert_true(a.max_in_use <= 1 && b.max_in_use <= 1);
    assert_int_equal(ladder_lease_pool_in_use(pool), 0);   /* every lease came back */
    /* Turns: the slot changes hands at every chunk boundary while both
     * have chunks (without turns, the first to get the slot would keep it
     * to its end: one switch in the whole timeline). */
    assert_int_equal(chunks.n, 2 * SEGMENTS);
    int switches = 0;
    for (int i = 1; i < chunks.n; i++)
        switches += chunks.order[i] != chunks.order[i - 1];
    print_message("shared pool of 1 CPU slot: chunks encoded in the order %s (%d switches, turns a %d b %d)\n",
                  chunks.order, switches, a.turns, b.turns);
    assert_true(switches >= SEGMENTS);
    /* A lease changes hands after a chunk, never back and forth idly. */
    assert_true(a.turns <= SEGMENTS + 1 && b.turns <= SEGMENTS + 1);
    for (const char *out = a.output; out; out = out == a.output ? b.output : NULL) {
        char playlist[PATH_MAX + 32];
        snprintf(playlist, sizeof(playlist), "%s/master.m3u8", out);
        assert_int_equal(access(playlist, F_OK), 0);
    }
    ladder_lease_pool_close(pool);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_device_not_in_pool_is_refused(void **state)
{
    (void)state;
    const char *names[] = { "cpu" };
    int slots[] = { 2 };
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init(&pool, names, slots, 1), 0);
    int nb = 0;
    char err[256];
    ladder_device_spec two[2];
    assert_int_equal(ladder_device_spec_parse("cpu:1,fault:1", 1, two, 2, &nb, err, sizeof(err)), 0);
    ladder_job job;
    ladder_job_defaults(&job);
    job.input = "in.mp4";
    job.output_dir = "out";
    job.devices = two;
    job.nb_devices = 2;
    job.lease_pool = pool;
    ladder_session *s = NULL;
    assert_int_equal(ladder_session_init(&s, &job, NULL), LADDER_EINVAL);   /* "fault" is not in it */
    job.nb_devices = 1;           /* "cpu" is */
    assert_int_equal(ladder_session_init(&s, &job, NULL), 0);
    ladder_session_close(s);
    ladder_lease_pool_close(pool);
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_device_not_in_pool_is_refused),
        cmocka_unit_test(test_two_sessions_take_turns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
