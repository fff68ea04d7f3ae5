/*
 * Atomic output files: see atomic_file.h.
 *
 * Every segment, playlist and report goes through ladder_atomic_write(), so
 * a player polling the output directory, or an origin syncing it, can never
 * pick up a half-written file under its final name.
 */
/* renameat2(RENAME_EXCHANGE) is a GNU extension (Linux >= 3.15). */
#define _GNU_SOURCE
#include "mux/atomic_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "ladder/error.h"

/*
 * Distinguishes temporary files of concurrent writers in one process (encode
 * workers write segments in parallel); the pid in the name separates
 * processes sharing an output directory.
 */
static atomic_ulong tmp_counter;

/* How many fresh names to try when a temporary name is somehow taken. */
#define TMP_NAME_ATTEMPTS 16

/* Largest single write(): Linux caps one call near 2 GiB anyway. */
#define MAX_WRITE_CHUNK ((size_t)1 << 30)

static int map_errno(int e)
{
    switch (e) {
    case ENOSPC:
#ifdef EDQUOT
    case EDQUOT:
#endif
        return LADDER_ENOSPC;
    case EACCES:
    case EPERM:
    case EROFS:
    case ENOENT:
    case ENOTDIR:
        return LADDER_EOUTPUT;
    default:
        return LADDER_EIO;
    }
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
    while (len > 0) {
        size_t chunk = len < MAX_WRITE_CHUNK ? len : MAX_WRITE_CHUNK;
        ssize_t n = write(fd, p, chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return map_errno(errno);
        }
        /* write() returning 0 for a non-empty request makes no progress;
         * looping would spin forever. */
        if (n == 0)
            return LADDER_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Opens a new hidden file next to path: "<dir>/.<base>.tmp.<pid>.<n>".
 * Same directory, because rename() is only atomic within one file system.
 * On success *tmp_out is malloc'ed and owned by the caller.
 *
 * mkstemp() would also be collision-free, but it creates files with mode
 * 0600; output files are meant to be served, so they get 0666 less umask
 * like any file the user's tools would create.
 */
static int open_temp(const char *path, char **tmp_out, int *fd_out)
{
    const char *slash = strrchr(path, '/');
    size_t dir_len = slash ? (size_t)(slash - path) + 1 : 0;
    const char *base = path + dir_len;
    if (*base == '\0')
        return LADDER_EINVAL;

    /* ".", ".tmp.", two decimal numbers of at most 20 digits, '.', NUL. */
    size_t cap = strlen(path) + 64;
    char *tmp = malloc(cap);
    if (!tmp)
        return LADDER_ENOMEM;

    int err = LADDER_EIO;
    for (int attempt = 0; attempt < TMP_NAME_ATTEMPTS; attempt++) {
        unsigned long n = atomic_fetch_add(&tmp_counter, 1);
        snprintf(tmp, cap, "%.*s.%s.tmp.%ld.%lu", (int)dir_len, path, base,
                 (long)getpid(), n);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) {
            *tmp_out = tmp;
            *fd_out = fd;
            return 0;
        }
        /* EEXIST: a leftover from a crashed run with a recycled pid; take
         * another number rather than reuse a file we do not own. */
        if (errno == EEXIST || errno == EINTR)
            continue;
        err = map_errno(errno);
        break;
    }
    free(tmp);
    return err;
}

int ladder_atomic_write(const char *path, const void *data, size_t len)
{
    if (!path || !*path || (!data && len > 0))
        return LADDER_EINVAL;

    char *tmp = NULL;
    int fd = -1;
    int err = open_temp(path, &tmp, &fd);
    if (err)
        return err;

    err = write_all(fd, data, len);

    /*
     * No fsync() before the rename: it costs a disk flush per segment, and
     * what callers need is that readers never see a torn file, which
     * rename() alone guarantees. Surviving a power cut is not promised; a
     * crashed job is rerun from scratch.
     *
     * close() is checked because network file systems may report a failed
     * write-back (ENOSPC, EDQUOT) only here.
     */
    if (close(fd) != 0 && !err)
        err = map_errno(errno);

    if (!err && rename(tmp, path) != 0)
        err = map_errno(errno);

    if (err)
        unlink(tmp);
    free(tmp);
    return err;
}

/* Whether path names a directory, following symlinks. */
static int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int ladder_mkdir_p(const char *dir)
{
    if (!dir || !*dir)
        return LADDER_EINVAL;

    /* A path the kernel would refuse anyway (ENAMETOOLONG); a fixed buffer
     * keeps this function free of allocation failures. */
    char buf[PATH_MAX];
    size_t len = strlen(dir);
    if (len >= sizeof(buf))
        return LADDER_EOUTPUT;
    memcpy(buf, dir, len + 1);

    /* The common case: every call after the first finds it there. */
    if (!is_directory(buf)) {
        /* Create each prefix ending before a '/', then the whole path.
         * Starting at 1 skips the root of an absolute path. */
        for (size_t i = 1; i <= len; i++) {
            if (buf[i] != '/' && buf[i] != '\0')
                continue;
            if (buf[i - 1] == '/')
                continue;           /* "a//b" or a trailing slash */
            char saved = buf[i];
            buf[i] = '\0';
            /*
             * Whatever mkdir() says, an existing directory is fine: EEXIST
             * when another thread got there first, but also EACCES or EROFS
             * for an existing parent we may not write to (such as /home).
             */
            if (mkdir(buf, 0755) != 0 && !is_directory(buf))
                return LADDER_EOUTPUT;
            buf[i] = saved;
        }
    }

    /* The caller is about to write here; report it now, at the directory,
     * rather than as a failure of the first segment. */
    if (access(buf, W_OK | X_OK) != 0)
        return LADDER_EOUTPUT;
    return 0;
}

char *ladder_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* The writer pid of one of open_temp()'s names, or 0 when name is not one. */
static long temp_writer(const char *name)
{
    const char *tmp = name[0] == '.' ? strstr(name, ".tmp.") : NULL;
    if (!tmp)
        return 0;
    char *end = NULL;
    errno = 0;
    long pid = strtol(tmp + 5, &end, 10);
    if (errno || !end || *end != '.' || pid <= 0 || pid > INT32_MAX)
        return 0;
    return pid;
}

void ladder_atomic_remove_dead_temps(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        long pid = temp_writer(e->d_name);
        /* kill(pid, 0) fails with ESRCH only when no such process exists;
         * EPERM means someone else's live process. */
        if (!pid || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *path = ladder_path_join(dir, e->d_name);
        if (path)
            unlink(path);
        free(path);
    }
    if (d)
        closedir(d);
}

int ladder_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : LADDER_EIO;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0 || errno == ENOENT ? 0 : LADDER_EIO;
    DIR *d = opendir(path);
    if (!d)
        return LADDER_EIO;
    int err = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *child = ladder_path_join(path, e->d_name);
        /* lstat inside: a symlink is unlinked, never followed. */
        int r = child ? ladder_remove_tree(child) : LADDER_EIO;
        free(child);
        if (r)
            err = r;
    }
    closedir(d);
    if (rmdir(path) != 0 && errno != ENOENT && !err)
        err = LADDER_EIO;
    return err;
}

/* Whether the file system refused RENAME_EXCHANGE itself (not the paths). */
static bool exchange_unsupported(int e)
{
    return e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP;
}

int ladder_replace_entry(const char *src, const char *dst, const char *aside)
{
    struct stat new_st, old_st;
    if (!src || !dst || !aside)
        return LADDER_EINVAL;
    if (lstat(src, &new_st) != 0)
        return map_errno(errno);
    if (lstat(dst, &old_st) != 0 || (!S_ISDIR(new_st.st_mode) && !S_ISDIR(old_st.st_mode))) {
        /* Nothing there, or a file over a file or symlink: one rename,
         * which replaces the old one (a symlink itself, never its target). */
        return rename(src, dst) == 0 ? 0 : map_errno(errno);
    }
    if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_EXCHANGE) == 0)
        return rename(src, aside) == 0 ? 0 : map_errno(errno);
    if (!exchange_unsupported(errno))
        return map_errno(errno);
    /* Two steps: a reader may find dst missing for as long as they take. */
    if (rename(dst, aside) != 0)
        return map_errno(errno);
    if (rename(src, dst) != 0) {
        int e = errno;
        rename(aside, dst);         /* put the old one back */
        return map_errno(e);
    }
    return 0;
}
