/*
 * ladder_session_init()'s failures (engine/session.c): a job refused
 * after the session was allocated (a device list with no slots, a device
 * a shared lease pool does not have) is closed again on the way out, and
 * that close must find every lock it destroys initialised. glibc's
 * pthread_mutex_destroy() says nothing about a mutex that never was, so
 * this test wraps pthread_mutex_init/destroy (the test program's own
 * definitions come first for the library's calls) and counts destroys of
 * mutexes nobody initialised while it watches.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ladder/device_spec.h"
#include "ladder/error.h"
#include "ladder/ladder.h"
#include "ladder/lease_pool.h"

/* Mutexes initialised while watching; a destroy of any other is a bug. */
#define MAX_WATCHED 256
static atomic_flag watch_lock = ATOMIC_FLAG_INIT;
static atomic_bool watching;
static const pthread_mutex_t *initialised[MAX_WATCHED];
static int nb_initialised;
static int bad_destroys;

static void watch_take(void)
{
    while (atomic_flag_test_and_set(&watch_lock))
        ;
}

static void watch_give(void)
{
    atomic_flag_clear(&watch_lock);
}

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
    static int (*real)(pthread_mutex_t *, const pthread_mutexattr_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_mutex_init");
    if (atomic_load(&watching)) {
        watch_take();
        if (nb_initialised < MAX_WATCHED)
            initialised[nb_initialised++] = m;
        watch_give();
    }
    return real(m, attr);
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    static int (*real)(pthread_mutex_t *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "pthread_mutex_destroy");
    if (atomic_load(&watching)) {
        watch_take();
        bool known = false;
        for (int i = 0; i < nb_initialised && !known; i++)
            if (initialised[i] == m) {
                known = true;
                initialised[i] = initialised[--nb_initialised];
            }
        if (!known)
            bad_destroys++;
        watch_give();
    }
    return real(m);
}

static void watch(void)
{
    nb_initialised = 0;
    bad_destroys = 0;
    atomic_store(&watching, true);
}

/* Stops watching; the destroys of mutexes never initialised. */
static int unwatch(void)
{
    atomic_store(&watching, false);
    return bad_destroys;
}

static ladder_job job_of(ladder_device_spec *devices, int nb_devices)
{
    ladder_job job;
    ladder_job_defaults(&job);
    job.input = "/nonexistent/input.mp4";
    job.output_dir = "/nonexistent/out";
    job.devices = devices;
    job.nb_devices = nb_devices;
    return job;
}

static void test_refused_device_list_closes_cleanly(void **state)
{
    (void)state;
    ladder_device_spec dev = { .slots = 0, .gpu = -1 };   /* no slots: refused */
    snprintf(dev.name, sizeof(dev.name), "cpu");
    snprintf(dev.kind, sizeof(dev.kind), "cpu");
    ladder_job job = job_of(&dev, 1);
    ladder_session *s = NULL;
    watch();
    int err = ladder_session_init(&s, &job, NULL);
    assert_int_equal(unwatch(), 0);
    assert_int_equal(err, LADDER_EINVAL);
    assert_null(s);
}

static void test_device_missing_from_the_shared_pool_closes_cleanly(void **state)
{
    (void)state;
    const char *names[] = { "gpu0" };
    int slots[] = { 1 };
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init(&pool, names, slots, 1), 0);
    ladder_device_spec dev = { .slots = 1, .gpu = -1 };
    snprintf(dev.name, sizeof(dev.name), "cpu");
    snprintf(dev.kind, sizeof(dev.kind), "cpu");
    ladder_job job = job_of(&dev, 1);
    job.lease_pool = pool;
    ladder_session *s = NULL;
    watch();
    int err = ladder_session_init(&s, &job, NULL);
    assert_int_equal(unwatch(), 0);
    assert_int_equal(err, LADDER_EINVAL);
    assert_null(s);
    ladder_lease_pool_close(pool);
}

static void test_a_good_job_opens_and_closes(void **state)
{
    (void)state;
    ladder_device_spec dev = { .slots = 2, .gpu = -1 };
    snprintf(dev.name, sizeof(dev.name), "cpu");
    snprintf(dev.kind, sizeof(dev.kind), "cpu");
    ladder_job job = job_of(&dev, 1);
    ladder_session *s = NULL;
    watch();
    assert_int_equal(ladder_session_init(&s, &job, NULL), 0);
    assert_non_null(s);
    ladder_session_close(s);
    assert_int_equal(unwatch(), 0);
    /* Refused before anything is allocated. */
    job.segment_seconds = 0;
    s = NULL;
    assert_int_equal(ladder_session_init(&s, &job, NULL), LADDER_EINVAL);
    assert_null(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_device_list_closes_cleanly),
        cmocka_unit_test(test_device_missing_from_the_shared_pool_closes_cleanly),
        cmocka_unit_test(test_a_good_job_opens_and_closes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
