/* File-system chores for `ladder bench`. See bench_fs.h. */
#define _GNU_SOURCE   /* vasprintf; includes nftw (XOPEN 700) */
#include "bench_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *bench_vstrdupf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    return s;
}

char *bench_strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = bench_vstrdupf(fmt, ap);
    va_end(ap);
    return s;
}

char *bench_fs_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (!p)
        return NULL;
    memcpy(p, dir, a);
    size_t k = a;
    if (a && dir[a - 1] != '/')
        p[k++] = '/';
    memcpy(p + k, name, b + 1);
    return p;
}

int bench_fs_mkdir_p(const char *path)
{
    if (!path[0])
        return -EINVAL;
    char *p = strdup(path);
    if (!p)
        return -ENOMEM;
    int ret = 0;
    /* Each prefix in turn; "exists" is fine, the final check says whether
     * it is a directory we can use. */
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) && errno != EEXIST) {
                ret = -errno;
                break;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (!ret && stat(p, &st))
        ret = -errno;
    else if (!ret && !S_ISDIR(st.st_mode))
        ret = -ENOTDIR;
    free(p);
    return ret;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    int r = flag == FTW_DP ? rmdir(path) : unlink(path);
    return r && errno != ENOENT ? -1 : 0;
}

int bench_fs_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return errno == ENOENT ? 0 : -errno;
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS))
        return errno ? -errno : -EIO;
    return 0;
}

int64_t bench_fs_size(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return -errno;
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    return (int64_t)st.st_size;
}

int bench_fs_is_file(const char *path)
{
    struct stat st;
    return !stat(path, &st) && S_ISREG(st.st_mode);
}

static void one_line(char *s)
{
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

void bench_fs_last_line(const char *path, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    /* Logs can be long (ffmpeg -v error is not): the last 4 KiB will do. */
    char buf[4096];
    long start = 0;
    if (!fseek(f, 0, SEEK_END)) {
        long len = ftell(f);
        start = len > (long)sizeof(buf) - 1 ? len - (long)sizeof(buf) + 1 : 0;
    }
    fseek(f, start, SEEK_SET);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    line = line ? line + 1 : buf;
    snprintf(out, size, "%s", line);
    one_line(out);
}

void bench_fs_first_line(const char *path, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    if (fgets(out, (int)size, f)) {
        out[strcspn(out, "\r\n")] = '\0';
        one_line(out);
    }
    fclose(f);
}

void bench_fs_line_starting(const char *path, const char *prefix, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    char line[1024];
    size_t plen = strlen(prefix);
    while (fgets(line, (int)sizeof(line), f)) {
        const char *t = line + strspn(line, " \t");
        if (!strncmp(t, prefix, plen)) {
            snprintf(out, size, "%s", t);
            out[strcspn(out, "\r\n")] = '\0';
            one_line(out);
            break;
        }
    }
    fclose(f);
}

/* realpath() of path into out when it is an executable file. */
static int executable_at(const char *path, char *out, size_t size)
{
    struct stat st;
    if (stat(path, &st) || !S_ISREG(st.st_mode) || access(path, X_OK))
        return -1;
    char *real = realpath(path, NULL);
    snprintf(out, size, "%s", real ? real : path);
    free(real);
    return 0;
}

void bench_fs_which(const char *name, char *out, size_t size)
{
    if (!size)
        return;
    out[0] = '\0';
    if (strchr(name, '/')) {
        executable_at(name, out, size);
        return;
    }
    const char *path = getenv("PATH");
    /* posix_spawnp's default search path when PATH is unset. */
    char *copy = strdup(path ? path : "/bin:/usr/bin");
    if (!copy)
        return;
    char *save = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *full = bench_fs_join(dir[0] ? dir : ".", name);
        int found = full && !executable_at(full, out, size);
        free(full);
        if (found)
            break;
    }
    free(copy);
}

static int is_segment(const struct dirent *d)
{
    size_t n = strlen(d->d_name);
    return n > 8 && !strncmp(d->d_name, "seg_", 4) && !strcmp(d->d_name + n - 4, ".m4s");
}

int bench_fs_list_segments(const char *dir, char ***names)
{
    *names = NULL;
    struct dirent **list;
    int n = scandir(dir, &list, is_segment, alphasort);
    if (n < 0)
        return -errno;
    char **out = calloc((size_t)(n ? n : 1), sizeof(*out));
    int ret = out ? n : -ENOMEM;
    for (int i = 0; i < n; i++) {
        if (out && !(out[i] = strdup(list[i]->d_name)) && ret >= 0)
            ret = -ENOMEM;
        free(list[i]);
    }
    free(list);
    if (ret < 0) {
        bench_fs_free_list(out, n);
        return ret;
    }
    *names = out;
    return n;
}

void bench_fs_free_list(char **names, int n)
{
    if (!names)
        return;
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

int bench_fs_concat(const char *const *parts, int n, const char *out_path)
{
    FILE *out = fopen(out_path, "wb");
    if (!out)
        return -errno;
    int ret = 0;
    char *buf = malloc(1 << 16);
    if (!buf)
        ret = -ENOMEM;
    for (int i = 0; i < n && !ret; i++) {
        FILE *in = fopen(parts[i], "rb");
        if (!in) {
            ret = -errno;
            break;
        }
        size_t k;
        while ((k = fread(buf, 1, 1 << 16, in)) > 0) {
            if (fwrite(buf, 1, k, out) != k) {
                ret = -EIO;
                break;
            }
        }
        if (ferror(in) && !ret)
            ret = -EIO;
        fclose(in);
    }
    free(buf);
    if (fclose(out) && !ret)
        ret = -errno;
    return ret;
}

int bench_fs_join_package(const char *dir, const char *out_path)
{
    char **names;
    int n = bench_fs_list_segments(dir, &names);
    if (n < 0)
        return n;
    char **parts = calloc((size_t)n + 1, sizeof(*parts));
    int ret = parts ? 0 : -ENOMEM;
    if (!ret && !(parts[0] = bench_fs_join(dir, "init.mp4")))
        ret = -ENOMEM;
    for (int i = 0; i < n && !ret; i++)
        if (!(parts[i + 1] = bench_fs_join(dir, names[i])))
            ret = -ENOMEM;
    if (!ret)
        ret = bench_fs_concat((const char *const *)parts, n + 1, out_path);
    for (int i = 0; parts && i <= n; i++)
        free(parts[i]);
    free(parts);
    bench_fs_free_list(names, n);
    return ret;
}
