/*
 * Shared by the unit tests of host slots (test_host_slots.c,
 * test_encode_slots.c): a private state directory per test, and a
 * monotonic clock for measured waits. Header-only, like fake_devices.h.
 */
#ifndef LADDER_TEST_STATE_DIR_H
#define LADDER_TEST_STATE_DIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A fresh private directory under /tmp; the caller frees it with
 * remove_state_dir(). */
static inline char *make_state_dir(void)
{
    char tmpl[] = "/tmp/ladder-test-slots-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return strdup(dir);
}

static inline void remove_state_dir(char *dir)
{
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static inline double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

#endif
