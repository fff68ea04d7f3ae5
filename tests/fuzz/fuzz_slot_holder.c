/*
 * Host-slot lock files (policy/host_slots.c, ladder_host_slots_holders):
 * "pid N\nsince T\njob TEXT\n", written by every ladder process on the host
 * and read back for "waiting for cpu slots held by ..." messages, so any
 * bytes a crashed or foreign writer left there. A holder that is reported
 * names a positive pid that is a real pid_t (not a long that wraps onto
 * another process, or onto kill()'s process-group forms), and a one-line
 * job description.
 */
#include "fuzz.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "ladder/error.h"
#include "policy/host_slots.h"

static char dir[512], lock_path[600];

static void remove_dir(void)
{
    unlink(lock_path);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/ladder-fuzz-slots-%ld", tmp && *tmp ? tmp : "/tmp",
                 (long)getpid());
        if (mkdir(dir, 0700)) {
            dir[0] = '\0';
            return 0;
        }
        snprintf(lock_path, sizeof(lock_path), "%s/cpu.0.lock", dir);
        atexit(remove_dir);
    }
    FILE *f = fopen(lock_path, "wb");
    if (!f)
        return 0;
    size_t written = size ? fwrite(data, 1, size, f) : 0;
    fclose(f);
    if (written != size)
        return 0;
    ladder_host_slots *h = NULL;
    if (ladder_host_slots_open(&h, dir, "fuzz"))
        return 0;
    ladder_host_slot_holder who[2];
    int n = ladder_host_slots_holders(h, "cpu", 1, who, 2);
    FUZZ_CHECK(n == 0 || n == 1);
    if (n == 1) {
        FUZZ_CHECK(who[0].slot == 0);
        FUZZ_CHECK(who[0].pid > 0 && (long)(pid_t)who[0].pid == who[0].pid);
        FUZZ_CHECK(memchr(who[0].job, '\0', sizeof(who[0].job)) && !strchr(who[0].job, '\n'));
    }
    ladder_host_slots_close(h);
    return 0;
}
