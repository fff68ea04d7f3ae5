/*
 * The atomic output directory of a job: everything is written into a hidden
 * temporary directory next to the final one (same file system, so the last
 * step is a rename), and a failed or killed job never leaves anything at the
 * final name. A retried job replaces the previous result: the old directory
 * is moved aside to a hidden name first, then removed after the rename.
 *
 * Only its own: `ladder job` writes the identity of the job (type and spec
 * id, jobs/job_run.c) into OWNER_FILE in the temporary directory before the
 * commit, and the commit replaces a previous result only when that carries
 * the same file (or neither has one: a caller of this API that writes
 * none keeps the plain replace). A result another job made is never
 * replaced: LADDER_EOWNED, and the temporary directory goes.
 */
/* renameat2(RENAME_EXCHANGE) is a GNU extension (Linux >= 3.15). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "ladder/job.h"
#include "engine/resume_journal.h"

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

static int output_error(int e)
{
    return e == ENOSPC || e == EDQUOT ? LADDER_ENOSPC : LADDER_EOUTPUT;
}

/* Who made a result: one JSON line (jobs/job_run.c writes it). */
#define OWNER_FILE ".ladder-job"
#define OWNER_MAX 4096

/*
 * The owner line of directory dir into buf (NUL-terminated): 1 when there
 * is one, 0 when there is none, -1 when it cannot be read (a symlink, not
 * a regular file, an I/O error: never taken for "none").
 */
static int read_owner(const char *dir, char *buf, size_t n)
{
    char *path = path_join(dir, OWNER_FILE);
    if (!path)
        return -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int e = errno;
    free(path);
    if (fd < 0)
        return e == ENOENT ? 0 : -1;
    struct stat sb;
    ssize_t got = -1;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size < (off_t)n)
        got = read(fd, buf, n - 1);
    close(fd);
    if (got < 0)
        return -1;
    buf[got] = 0;
    return 1;
}

/* Whether the result at final may be replaced by the one in tmp: the same
 * owner line, or none in either. */
static bool same_owner(const char *tmp, const char *final)
{
    char a[OWNER_MAX], b[OWNER_MAX];
    int ra = read_owner(tmp, a, sizeof(a)), rb = read_owner(final, b, sizeof(b));
    if (ra < 0 || rb < 0 || ra != rb)
        return false;
    return ra == 0 || !strcmp(a, b);
}

int ladder_job_rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : LADDER_EIO;
    if (!S_ISDIR(sb.st_mode))
        return unlink(path) == 0 ? 0 : LADDER_EIO;
    DIR *d = opendir(path);
    if (!d)
        return LADDER_EIO;
    int ret = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *child = path_join(path, e->d_name);
        if (!child) {
            ret = LADDER_ENOMEM;
            break;
        }
        int r = ladder_job_rmtree(child);  /* lstat inside: a symlink is unlinked, never followed */
        free(child);
        if (r)
            ret = r;
    }
    closedir(d);
    if (rmdir(path) != 0 && !ret)
        ret = LADDER_EIO;
    return ret;
}

/*
 * Whether the process that wrote a temporary directory has exited. A zombie
 * has: a job killed with its worker is reparented, and where nothing reaps
 * orphans (a container whose PID 1 does not wait for them) it stays a
 * zombie, which kill(pid, 0) still finds; its directory would never go.
 */
static bool writer_gone(long pid)
{
    if (kill((pid_t)pid, 0) != 0)
        return errno == ESRCH;
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* "pid (comm) S ...": the state follows the last ')'. */
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/*
 * A job killed with SIGKILL (or a crashed host process) leaves its hidden
 * temporary directory behind. The next job for the same output removes the
 * ones whose process is gone (or a zombie): the name carries the writer's pid. (Same host
 * only: on shared storage another host's pid means nothing, so a job
 * runner must not run one output name on two hosts at once anyway.)
 */
/* Whether a directory entry is a temporary directory for name
 * (".name.tmp-PID-XXXXXX") whose writer is gone. */
static bool dead_attempt(const char *entry, const char *name)
{
    size_t nl = strlen(name);
    if (entry[0] != '.' || strncmp(entry + 1, name, nl) || strncmp(entry + 1 + nl, ".tmp-", 5))
        return false;
    const char *digits = entry + 1 + nl + 5;
    char *end;
    long pid = strtol(digits, &end, 10);
    return end != digits && *end == '-' && pid > 0 && pid != (long)getpid() && writer_gone(pid);
}

static void remove_stale(const char *root, const char *name)
{
    DIR *d = opendir(root);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!dead_attempt(e->d_name, name))
            continue;
        char *path = path_join(root, e->d_name);
        if (path)
            ladder_job_rmtree(path);
        free(path);
    }
    closedir(d);
}

/*
 * The newest temporary directory for name whose writer is gone and which
 * holds a resume journal (malloc'd path), or NULL.
 */
static char *find_resumable(const char *root, const char *name)
{
    DIR *d = opendir(root);
    if (!d)
        return NULL;
    char *best = NULL;
    struct timespec best_time = { 0 };
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!dead_attempt(e->d_name, name))
            continue;
        char *dir = path_join(root, e->d_name);
        char *journal = dir ? path_join(dir, LADDER_RESUME_FILE) : NULL;
        struct stat sb, jb;
        bool ok = journal && lstat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && lstat(journal, &jb) == 0 &&
                  S_ISREG(jb.st_mode);
        free(journal);
        if (ok && (!best || jb.st_mtim.tv_sec > best_time.tv_sec ||
                   (jb.st_mtim.tv_sec == best_time.tv_sec && jb.st_mtim.tv_nsec > best_time.tv_nsec))) {
            free(best);
            best = dir;
            best_time = jb.st_mtim;
        } else {
            free(dir);
        }
    }
    closedir(d);
    return best;
}

static int output_init(ladder_job_output *o, const char *root, const char *name, bool resumable, char *err,
                       size_t n)
{
    memset(o, 0, sizeof(*o));
    if (!ladder_job_output_name_ok(name)) {
        snprintf(err, n, "job spec: \"output\" '%s': must be one plain name under output_root", name);
        return LADDER_ECONFIG;
    }
    struct stat sb;
    if (stat(root, &sb) != 0) {
        snprintf(err, n, "output_root '%s': %s", root, strerror(errno));
        return LADDER_EOUTPUT;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, n, "output_root '%s': not a directory", root);
        return LADDER_EOUTPUT;
    }
    o->final_path = path_join(root, name);
    size_t tn = strlen(root) + strlen(name) + 40;
    o->tmp_path = malloc(tn);
    if (!o->final_path || !o->tmp_path) {
        ladder_job_output_close(o);
        snprintf(err, n, "out of memory");
        return LADDER_ENOMEM;
    }
    /* A symlink at the final name would make the result land wherever it
     * points (or make the rename replace the link, not a directory). */
    if (lstat(o->final_path, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
        snprintf(err, n, "output '%s': exists and is not a directory (a symlink or a file)", o->final_path);
        ladder_job_output_close(o);
        return LADDER_EOUTPUT;
    }
    char *earlier = resumable ? find_resumable(root, name) : NULL;
    snprintf(o->tmp_path, tn, "%s/.%s.tmp-%ld-XXXXXX", root, name, (long)getpid());
    if (!mkdtemp(o->tmp_path)) {
        int e = errno;
        snprintf(err, n, "output_root '%s': cannot create a directory there: %s", root, strerror(e));
        free(earlier);
        free(o->tmp_path);
        o->tmp_path = NULL;
        ladder_job_output_close(o);
        return output_error(e);
    }
    /* Take the earlier attempt's directory under our own name (so no other
     * attempt takes or removes it while this one lives); if that fails,
     * the fresh directory stays and the job starts over. */
    if (earlier && rmdir(o->tmp_path) == 0) {
        if (rename(earlier, o->tmp_path) == 0)
            o->adopted = true;
        else if (mkdir(o->tmp_path, 0700) != 0) {
            int e = errno;
            snprintf(err, n, "output_root '%s': cannot create a directory there: %s", root, strerror(e));
            free(earlier);
            ladder_job_output_close(o);
            return output_error(e);
        }
    }
    free(earlier);
    remove_stale(root, name);
    /* mkdtemp makes it 0700; the result is as readable as any other file
     * this process creates. */
    mode_t mask = umask(0);
    umask(mask);
    chmod(o->tmp_path, 0777 & ~mask);
    return 0;
}

int ladder_job_output_commit(ladder_job_output *o, char *err, size_t n)
{
    /* Flush the files' data before the rename makes them visible. */
    DIR *d = opendir(o->tmp_path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_NOFOLLOW);
            if (fd >= 0) {
                fsync(fd);
                close(fd);
            }
        }
        closedir(d);
    }
    char *old = NULL;
    struct stat sb;
    if (lstat(o->final_path, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            snprintf(err, n, "output '%s': exists and is not a directory", o->final_path);
            return LADDER_EOUTPUT;
        }
        /* Checked before the job ran too (jobs/job_run.c); again here, for
         * a result another job committed in between. */
        if (!same_owner(o->tmp_path, o->final_path)) {
            snprintf(err, n, "output '%s': exists and was made by another job; not replaced (remove it, or "
                     "give this job another \"output\")", o->final_path);
            return LADDER_EOWNED;
        }
        /* Swap the two directories in one step where the file system can,
         * so readers never find the final name missing; the old result then
         * sits at the temporary name and is removed with it. */
        if (renameat2(AT_FDCWD, o->tmp_path, AT_FDCWD, o->final_path, RENAME_EXCHANGE) == 0) {
            ladder_job_rmtree(o->tmp_path);
            free(o->tmp_path);
            o->tmp_path = NULL;
            return 0;
        }
        size_t on = strlen(o->tmp_path) + 8;
        old = malloc(on);
        if (!old)
            return LADDER_ENOMEM;
        /* tmp_path is unique (mkdtemp), so is this name next to it. */
        snprintf(old, on, "%s.old", o->tmp_path);
        if (rename(o->final_path, old) != 0) {
            int e = errno;
            snprintf(err, n, "output '%s': cannot replace the previous result: %s", o->final_path, strerror(e));
            free(old);
            return output_error(e);
        }
    }
    if (rename(o->tmp_path, o->final_path) != 0) {
        int e = errno;
        snprintf(err, n, "output '%s': rename failed: %s", o->final_path, strerror(e));
        if (old) {
            ladder_job_rmtree(old);  /* the job was retried: the old result is stale either way */
            free(old);
        }
        return output_error(e);
    }
    if (old) {
        ladder_job_rmtree(old);
        free(old);
    }
    free(o->tmp_path);
    o->tmp_path = NULL;           /* committed: close leaves it alone */
    return 0;
}

int ladder_job_output_init(ladder_job_output *o, const char *root, const char *name, char *err, size_t n)
{
    return output_init(o, root, name, false, err, n);
}

int ladder_job_output_init_resumable(ladder_job_output *o, const char *root, const char *name, char *err,
                                     size_t n)
{
    return output_init(o, root, name, true, err, n);
}

void ladder_job_output_close(ladder_job_output *o)
{
    if (o->tmp_path && !o->keep)
        ladder_job_rmtree(o->tmp_path);
    free(o->tmp_path);
    free(o->final_path);
    o->tmp_path = o->final_path = NULL;
}

/* Whether a resolved path is root (resolved here) or lies under it. */
static bool resolved_under(const char *real, const char *root)
{
    char *real_root = realpath(root, NULL);
    bool ok = false;
    if (real && real_root) {
        size_t n = strlen(real_root);
        ok = !strncmp(real, real_root, n) && (real[n] == '\0' || real[n] == '/' || !strcmp(real_root, "/"));
    }
    free(real_root);
    return ok;
}

bool ladder_job_path_under(const char *path, const char *root)
{
    /* Both resolved: "..", "." and symlinks (a symlinked output_root
     * pointing elsewhere included) are judged by where they lead. */
    char *real = realpath(path, NULL);
    bool ok = resolved_under(real, root);
    free(real);
    return ok;
}

/* Whether the components of a missing rest of a path are plain names: a
 * "." or ".." there cannot be resolved, so it is not judged. */
static bool plain_rest(const char *rest)
{
    for (const char *p = rest; *p;) {
        size_t len = strcspn(p, "/");
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        p += len;
        p += *p == '/';
    }
    return true;
}

bool ladder_job_missing_path_under(const char *path, const char *root)
{
    struct stat sb;
    /* Only a path that is not there at all: a dangling symlink exists and
     * is judged by ladder_job_path_under (where it leads). */
    if (!path[0] || lstat(path, &sb) == 0 || errno != ENOENT)
        return false;
    char *dir = strdup(path);
    if (!dir)
        return false;
    bool ok = false;
    /* Cut components off the end until what is left exists. */
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = 0;
        const char *ancestor = slash ? (dir[0] ? dir : "/") : ".";
        size_t cut = slash ? (size_t)(slash - dir) + 1 : 0;
        char *real = realpath(ancestor, NULL);
        if (real) {
            const char *rest = path + cut;
            char *whole = plain_rest(rest) ? path_join(real, rest) : NULL;
            ok = whole && resolved_under(whole, root);
            free(whole);
            free(real);
            break;
        }
        if (!slash || errno != ENOENT)
            break;
    }
    free(dir);
    return ok;
}
