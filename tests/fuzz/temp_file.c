/*
 * fuzz_write_temp() (fuzz.h): one scratch file per process under $TMPDIR,
 * reused for every input so that a long run does not create millions of
 * files, and unlinked at exit.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <unistd.h>

static char temp_path[512];

static void remove_temp(void)
{
    if (temp_path[0])
        unlink(temp_path);
}

const char *fuzz_write_temp(const uint8_t *data, size_t size)
{
    if (!temp_path[0]) {
        const char *dir = getenv("TMPDIR");
        snprintf(temp_path, sizeof(temp_path), "%s/ladder-fuzz-%ld.bin",
                 dir && *dir ? dir : "/tmp", (long)getpid());
        atexit(remove_temp);
    }
    int fd = open(temp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return NULL;
        }
        done += (size_t)n;
    }
    close(fd);
    return temp_path;
}
