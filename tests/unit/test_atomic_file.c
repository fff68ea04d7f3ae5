/*
 * Atomic writes and mkdir -p against a real file system, each test in its
 * own fresh directory under $TMPDIR (or /tmp).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "mux/atomic_file.h"
#include "ladder/error.h"

#define PATH_LEN 4096

/* Removes path and everything below it; chmods back what a test locked. */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char child[PATH_LEN];
                snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
                remove_tree(child);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static int setup_dir(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(PATH_LEN);
    if (!dir)
        return -1;
    snprintf(dir, PATH_LEN, "%s/ladder_atomic_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int teardown_dir(void **state)
{
    remove_tree(*state);
    free(*state);
    return 0;
}

/* dir/name into a fixed buffer. */
static void join(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_LEN, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_LEN);
}

/* Reads a whole small file into buf (NUL-terminated); returns its size. */
static long read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return (long)n;
}

/* Number of entries in dir other than "." and "..". */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/*
 * A symlink planted at the temporary names (they are predictable: pid and
 * a counter) is never written through: O_EXCL skips the name, and the
 * file lands at its own path with the victim untouched. Runs first, so the
 * process's counter starts at 0.
 */
static void write_skips_planted_temp_symlinks(void **state)
{
    const char *dir = *state;
    char victim[PATH_LEN], path[PATH_LEN], link[PATH_LEN];
    join(victim, dir, "victim");
    FILE *f = fopen(victim, "wb");
    assert_non_null(f);
    fputs("untouched", f);
    fclose(f);
    join(path, dir, "seg_00001.m4s");
    for (int n = 0; n < 4; n++) {
        snprintf(link, sizeof(link), "%s/.seg_00001.m4s.tmp.%ld.%d", dir, (long)getpid(), n);
        assert_int_equal(symlink(victim, link), 0);
    }
    const char text[] = "segment";
    assert_int_equal(ladder_atomic_write(path, text, strlen(text)), 0);
    char buf[64];
    assert_int_equal(read_file(victim, buf, sizeof(buf)), 9);
    assert_string_equal(buf, "untouched");
    assert_int_equal(read_file(path, buf, sizeof(buf)), (long)strlen(text));
    assert_string_equal(buf, text);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

static void write_creates_file(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "index.m3u8");
    const char text[] = "#EXTM3U\n#EXT-X-ENDLIST\n";
    assert_int_equal(ladder_atomic_write(path, text, strlen(text)), 0);

    char buf[256];
    assert_int_equal(read_file(path, buf, sizeof(buf)), (long)strlen(text));
    assert_string_equal(buf, text);
    /* Only the target: the temporary name was renamed away. */
    assert_int_equal(count_entries(dir), 1);
}

static void write_empty_file(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "empty");
    assert_int_equal(ladder_atomic_write(path, NULL, 0), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_size, 0);
    assert_int_equal(count_entries(dir), 1);
}

/* Binary data larger than a pipe or page, with NULs in it. */
static void write_large_binary(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "seg_00001.m4s");
    size_t len = 3 * 1024 * 1024 + 17;
    unsigned char *data = malloc(len);
    assert_non_null(data);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)(i * 2654435761u >> 13);
    assert_int_equal(ladder_atomic_write(path, data, len), 0);

    unsigned char *back = malloc(len);
    assert_non_null(back);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(back, 1, len, f), len);
    assert_int_equal(fgetc(f), EOF);
    fclose(f);
    assert_memory_equal(back, data, len);
    free(back);
    free(data);
}

static void write_replaces_existing(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "master.m3u8");
    const char longer[] = "an older and longer version of the file\n";
    const char shorter[] = "new\n";
    assert_int_equal(ladder_atomic_write(path, longer, strlen(longer)), 0);
    assert_int_equal(ladder_atomic_write(path, shorter, strlen(shorter)), 0);
    char buf[256];
    assert_int_equal(read_file(path, buf, sizeof(buf)), (long)strlen(shorter));
    assert_string_equal(buf, shorter);
    assert_int_equal(count_entries(dir), 1);
}

static void write_fails_without_directory(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "missing/index.m3u8");
    assert_int_equal(ladder_atomic_write(path, "x", 1), LADDER_EOUTPUT);
    assert_int_equal(count_entries(dir), 0);
}

/* A parent that is a regular file fails for root too (ENOTDIR). */
static void write_fails_under_regular_file(void **state)
{
    const char *dir = *state;
    char file[PATH_LEN], path[PATH_LEN];
    join(file, dir, "not_a_dir");
    assert_int_equal(ladder_atomic_write(file, "x", 1), 0);
    join(path, dir, "not_a_dir/index.m3u8");
    assert_int_equal(ladder_atomic_write(path, "y", 1), LADDER_EOUTPUT);
    assert_int_equal(count_entries(dir), 1);
}

static void write_fails_in_readonly_directory(void **state)
{
    /* Root bypasses permission bits; the regular-file case above covers
     * EOUTPUT for it. */
    if (geteuid() == 0)
        skip();
    const char *dir = *state;
    char sub[PATH_LEN], path[PATH_LEN];
    join(sub, dir, "ro");
    assert_int_equal(mkdir(sub, 0555), 0);
    join(path, dir, "ro/index.m3u8");
    assert_int_equal(ladder_atomic_write(path, "x", 1), LADDER_EOUTPUT);
    assert_int_equal(count_entries(sub), 0);
}

/* The rename fails (EISDIR) after the temporary file was written: it must
 * be removed, and the directory in the way left alone. */
static void failed_rename_removes_temp(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "in_the_way");
    assert_int_equal(mkdir(path, 0755), 0);
    int err = ladder_atomic_write(path, "data", 4);
    assert_int_equal(err, LADDER_EIO);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_entries(dir), 1);
}

static void write_invalid_arguments(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "");            /* "dir/": no file name */
    assert_int_equal(ladder_atomic_write(path, "x", 1), LADDER_EINVAL);
    assert_int_equal(ladder_atomic_write(NULL, "x", 1), LADDER_EINVAL);
    assert_int_equal(ladder_atomic_write("", "x", 1), LADDER_EINVAL);
    join(path, dir, "f");
    assert_int_equal(ladder_atomic_write(path, NULL, 1), LADDER_EINVAL);
    assert_int_equal(count_entries(dir), 0);
}

/*
 * Many threads rewriting the same file and writing their own: temporary
 * names never collide, every write succeeds, and the shared file always
 * holds one writer's complete content.
 */
enum { THREADS = 8, ROUNDS = 50, PAYLOAD = 4096 };

typedef struct writer_arg {
    const char *dir;
    int id;
    int failures;
} writer_arg;

static void *writer_thread(void *opaque)
{
    writer_arg *a = opaque;
    unsigned char data[PAYLOAD];
    memset(data, 'a' + a->id, sizeof(data));
    char shared[PATH_LEN], own[PATH_LEN];
    snprintf(shared, sizeof(shared), "%s/shared", a->dir);
    for (int r = 0; r < ROUNDS; r++) {
        snprintf(own, sizeof(own), "%s/own_%d_%d", a->dir, a->id, r);
        if (ladder_atomic_write(shared, data, sizeof(data)) != 0)
            a->failures++;
        if (ladder_atomic_write(own, data, sizeof(data)) != 0)
            a->failures++;
    }
    return NULL;
}

static void concurrent_writers(void **state)
{
    const char *dir = *state;
    pthread_t threads[THREADS];
    writer_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (writer_arg){ .dir = dir, .id = i };
        assert_int_equal(pthread_create(&threads[i], NULL, writer_thread, &args[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    assert_int_equal(count_entries(dir), 1 + THREADS * ROUNDS);

    char path[PATH_LEN];
    join(path, dir, "shared");
    char buf[PAYLOAD + 2];
    assert_int_equal(read_file(path, buf, sizeof(buf)), PAYLOAD);
    for (size_t i = 1; i < PAYLOAD; i++)
        assert_int_equal(buf[i], buf[0]);
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void mkdir_p_nested(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN];
    join(path, dir, "out/video/720p");
    assert_int_equal(ladder_mkdir_p(path), 0);
    assert_true(is_dir(path));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    /* 0755 less the umask, which never removes the owner's bits here. */
    assert_int_equal(st.st_mode & 0700, 0700);
    /* Again: everything exists already. */
    assert_int_equal(ladder_mkdir_p(path), 0);
    /* A sibling below an existing parent. */
    join(path, dir, "out/video/360p");
    assert_int_equal(ladder_mkdir_p(path), 0);
    assert_true(is_dir(path));
}

static void mkdir_p_odd_slashes(void **state)
{
    const char *dir = *state;
    char path[PATH_LEN], check[PATH_LEN];
    join(path, dir, "a//b///c/");
    assert_int_equal(ladder_mkdir_p(path), 0);
    join(check, dir, "a/b/c");
    assert_true(is_dir(check));
    assert_int_equal(count_entries(check), 0);
}

static void mkdir_p_relative(void **state)
{
    const char *dir = *state;
    char cwd[PATH_LEN];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    int err = ladder_mkdir_p("rel/x/y");
    int made = is_dir("rel/x/y");
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(err, 0);
    assert_true(made);
}

static void mkdir_p_through_file_fails(void **state)
{
    const char *dir = *state;
    char file[PATH_LEN], path[PATH_LEN];
    join(file, dir, "file");
    assert_int_equal(ladder_atomic_write(file, "x", 1), 0);
    /* The last component is a file. */
    assert_int_equal(ladder_mkdir_p(file), LADDER_EOUTPUT);
    /* A middle component is a file. */
    join(path, dir, "file/sub/dir");
    assert_int_equal(ladder_mkdir_p(path), LADDER_EOUTPUT);
    assert_int_equal(count_entries(dir), 1);
}

static void mkdir_p_readonly_parent_fails(void **state)
{
    if (geteuid() == 0)
        skip();
    const char *dir = *state;
    char ro[PATH_LEN], path[PATH_LEN];
    join(ro, dir, "ro");
    assert_int_equal(mkdir(ro, 0555), 0);
    join(path, dir, "ro/new/dir");
    assert_int_equal(ladder_mkdir_p(path), LADDER_EOUTPUT);
    /* Existing but not writable: unusable as an output directory. */
    assert_int_equal(ladder_mkdir_p(ro), LADDER_EOUTPUT);
}

static void mkdir_p_invalid(void **state)
{
    (void)state;
    assert_int_equal(ladder_mkdir_p(NULL), LADDER_EINVAL);
    assert_int_equal(ladder_mkdir_p(""), LADDER_EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_dir, teardown_dir)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(write_skips_planted_temp_symlinks),
        T(write_creates_file),
        T(write_empty_file),
        T(write_large_binary),
        T(write_replaces_existing),
        T(write_fails_without_directory),
        T(write_fails_under_regular_file),
        T(write_fails_in_readonly_directory),
        T(failed_rename_removes_temp),
        T(write_invalid_arguments),
        T(concurrent_writers),
        T(mkdir_p_nested),
        T(mkdir_p_odd_slashes),
        T(mkdir_p_relative),
        T(mkdir_p_through_file_fails),
        T(mkdir_p_readonly_parent_fails),
        T(mkdir_p_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
