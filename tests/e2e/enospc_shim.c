/*
 * A full disk without a mount (tests/e2e/diskfull.test.mjs, where the
 * machine cannot mount a small tmpfs): preloaded into ladder, write(2)
 * counts the bytes written to files under LADDER_ENOSPC_DIR and, once
 * LADDER_ENOSPC_BYTES have gone there, fails every further write there
 * with ENOSPC, as a file system that filled up does. Other files (the
 * host-slot locks, the terminal) are untouched.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static ssize_t (*real_write)(int, const void *, size_t);
static const char *watched;
static size_t watched_len;
static long long budget = -1;
static atomic_llong written;

static void init(void)
{
    real_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    watched = getenv("LADDER_ENOSPC_DIR");
    watched_len = watched ? strlen(watched) : 0;
    const char *b = getenv("LADDER_ENOSPC_BYTES");
    budget = b ? atoll(b) : -1;
}

/* Whether fd is a file under the watched directory. */
static int under_watched(int fd)
{
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return !strncmp(target, watched, watched_len) && (target[watched_len] == '/' || target[watched_len] == '\0');
}

ssize_t write(int fd, const void *buf, size_t count)
{
    if (!real_write)
        init();
    if (watched_len && budget >= 0 && count > 0 && under_watched(fd)) {
        long long before = atomic_fetch_add(&written, (long long)count);
        if (before + (long long)count > budget) {
            /* What was room for is written, then the device is full. */
            long long room = budget - before;
            if (room <= 0) {
                errno = ENOSPC;
                return -1;
            }
            return real_write(fd, buf, (size_t)room);
        }
    }
    return real_write(fd, buf, count);
}
