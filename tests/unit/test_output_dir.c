/*
 * The output directory rule (engine/output_dir.c): whose a directory is,
 * what a run does with it, and the file-system steps a re-run's commit is
 * made of (mux/atomic_file.c: replace an entry, remove a tree, remove the
 * temporary files of dead writers), on a real file system under $TMPDIR.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/output_dir.h"
#include "engine/resume_journal.h"
#include "ladder/error.h"
#include "mux/atomic_file.h"

#define PATH_LEN 4096

static char *path_in(const char *dir, const char *name)
{
    char *p = malloc(PATH_LEN);
    assert_non_null(p);
    snprintf(p, PATH_LEN, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The file's text ("" when it cannot be read). */
static const char *read_text(const char *path)
{
    static char buf[256];
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
    }
    return buf;
}

static bool there(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static int setup_dir(void **state)
{
    const char *tmp = getenv("TMPDIR");
    char *dir = malloc(PATH_LEN);
    if (!dir)
        return -1;
    snprintf(dir, PATH_LEN, "%s/ladder_outdir_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return -1;
    }
    *state = dir;
    return 0;
}

static int teardown_dir(void **state)
{
    char *dir = *state;
    int err = ladder_remove_tree(dir);
    free(dir);
    return err ? -1 : 0;
}

/* A journal as a run writes it: the job line, then one segment line. */
static void make_journal(const char *dir)
{
    ladder_resume_journal *j = NULL;
    assert_int_equal(ladder_resume_journal_create(&j, dir, "input /x size=1\nrung 360p", NULL, 0), 0);
    ladder_cmaf_segment seg = { .number = 1, .bytes = 10, .seconds = 2.0 };
    snprintf(seg.uri, sizeof(seg.uri), "seg_00001.m4s");
    assert_int_equal(ladder_resume_journal_add(j, "video/360p", &seg), 0);
    ladder_resume_journal_close(j);
}

static void test_decide(void **state)
{
    (void)state;
    /* A fresh directory, and --resume of the same job: in place, forced or not. */
    for (int force = 0; force < 2; force++) {
        assert_int_equal(output_dir_decide(OUTPUT_DIR_EMPTY, false, force), OUTPUT_DIR_IN_PLACE);
        assert_int_equal(output_dir_decide(OUTPUT_DIR_OURS, true, force), OUTPUT_DIR_IN_PLACE);
        /* ladder's own output, not resumed: replaced through a staging directory. */
        assert_int_equal(output_dir_decide(OUTPUT_DIR_OURS, false, force), OUTPUT_DIR_STAGED);
    }
    /* Someone else's: refused, unless forced (then staged as well, so a
     * failed run leaves it as it was). */
    assert_int_equal(output_dir_decide(OUTPUT_DIR_FOREIGN, false, false), OUTPUT_DIR_REFUSED);
    assert_int_equal(output_dir_decide(OUTPUT_DIR_FOREIGN, false, true), OUTPUT_DIR_STAGED);
}

static void test_state_of(void **state)
{
    const char *dir = *state;
    char *sub = path_in(dir, "out"), *journal = path_in(sub, LADDER_RESUME_FILE);
    char *file = path_in(sub, "notes.txt"), *plain = path_in(dir, "plain");

    assert_int_equal(output_dir_state_of(sub), OUTPUT_DIR_EMPTY);         /* missing */
    assert_int_equal(mkdir(sub, 0755), 0);
    assert_int_equal(output_dir_state_of(sub), OUTPUT_DIR_EMPTY);         /* empty */
    write_file(file, "mine");
    assert_int_equal(output_dir_state_of(sub), OUTPUT_DIR_FOREIGN);       /* a file, no journal */
    write_file(journal, "not a journal\n");
    assert_int_equal(output_dir_state_of(sub), OUTPUT_DIR_FOREIGN);       /* a stray name is not enough */
    unlink(journal);
    make_journal(sub);
    assert_int_equal(output_dir_state_of(sub), OUTPUT_DIR_OURS);
    /* A journal that is a symlink to a real one is not taken either. */
    char *other = path_in(dir, "other");
    assert_int_equal(mkdir(other, 0755), 0);
    make_journal(other);
    char *other_journal = path_in(other, LADDER_RESUME_FILE);
    unlink(journal);
    assert_int_equal(symlink(other_journal, journal), 0);
    assert_int_equal(output_dir_state_of(sub), OUTPUT_DIR_FOREIGN);
    /* Not a directory: left to making it, which reports it. */
    write_file(plain, "x");
    assert_int_equal(output_dir_state_of(plain), OUTPUT_DIR_EMPTY);
    free(sub), free(journal), free(file), free(plain), free(other), free(other_journal);
}

static void test_replace_file(void **state)
{
    const char *dir = *state;
    char *src = path_in(dir, "new.m3u8"), *dst = path_in(dir, "master.m3u8"), *aside = path_in(dir, "aside");
    write_file(src, "new");
    write_file(dst, "old");
    assert_int_equal(ladder_replace_entry(src, dst, aside), 0);
    assert_string_equal(read_text(dst), "new");
    assert_false(there(src));
    assert_false(there(aside));           /* a file replaced is gone */
    /* Nothing at dst: a plain rename. */
    write_file(src, "again");
    unlink(dst);
    assert_int_equal(ladder_replace_entry(src, dst, aside), 0);
    assert_string_equal(read_text(dst), "again");
    /* src missing: an error, dst untouched. */
    assert_int_equal(ladder_replace_entry(src, dst, aside), LADDER_EOUTPUT);
    assert_string_equal(read_text(dst), "again");
    free(src), free(dst), free(aside);
}

static void test_replace_symlink_not_followed(void **state)
{
    const char *dir = *state;
    char *victim = path_in(dir, "victim.txt"), *src = path_in(dir, "new"), *dst = path_in(dir, "master.m3u8");
    char *aside = path_in(dir, "aside");
    write_file(victim, "untouched");
    assert_int_equal(symlink(victim, dst), 0);
    write_file(src, "new");
    assert_int_equal(ladder_replace_entry(src, dst, aside), 0);
    struct stat st;
    assert_int_equal(lstat(dst, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_string_equal(read_text(dst), "new");
    assert_string_equal(read_text(victim), "untouched");
    free(victim), free(src), free(dst), free(aside);
}

static void test_replace_directory(void **state)
{
    const char *dir = *state;
    char *src = path_in(dir, "staging-video"), *dst = path_in(dir, "video"), *aside = path_in(dir, "old-video");
    assert_int_equal(mkdir(src, 0755), 0);
    assert_int_equal(mkdir(dst, 0755), 0);
    char *new_seg = path_in(src, "seg_00001.m4s"), *old_seg = path_in(dst, "seg_00009.m4s");
    write_file(new_seg, "new");
    write_file(old_seg, "old");
    assert_int_equal(ladder_replace_entry(src, dst, aside), 0);
    /* dst is the new directory, and only it; the old one is aside. */
    char *seg1 = path_in(dst, "seg_00001.m4s"), *seg9 = path_in(dst, "seg_00009.m4s");
    char *aside9 = path_in(aside, "seg_00009.m4s");
    assert_string_equal(read_text(seg1), "new");
    assert_false(there(seg9));
    assert_string_equal(read_text(aside9), "old");
    assert_false(there(src));
    free(src), free(dst), free(aside), free(new_seg), free(old_seg), free(seg1), free(seg9), free(aside9);
}

static void test_remove_tree(void **state)
{
    const char *dir = *state;
    char *outside = path_in(dir, "outside"), *keep = path_in(dir, "outside/keep.txt");
    char *tree = path_in(dir, "tree"), *deep = path_in(dir, "tree/a/b"), *leaf = path_in(dir, "tree/a/b/leaf");
    char *link = path_in(dir, "tree/a/link");
    assert_int_equal(mkdir(outside, 0755), 0);
    write_file(keep, "keep");
    assert_int_equal(ladder_mkdir_p(deep), 0);
    write_file(leaf, "x");
    assert_int_equal(symlink(outside, link), 0);
    assert_int_equal(ladder_remove_tree(tree), 0);
    assert_false(there(tree));
    assert_string_equal(read_text(keep), "keep");   /* the symlink went, not what it names */
    assert_int_equal(ladder_remove_tree(tree), 0);  /* nothing there: fine */
    free(outside), free(keep), free(tree), free(deep), free(leaf), free(link);
}

static void test_remove_dead_temps(void **state)
{
    const char *dir = *state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    assert_int_equal(waitpid(child, NULL, 0), child);   /* reaped: that pid is gone */
    char dead[128], live[128];
    snprintf(dead, sizeof(dead), ".master.m3u8.tmp.%ld.3", (long)child);
    snprintf(live, sizeof(live), ".master.m3u8.tmp.%ld.4", (long)getpid());
    char *dead_path = path_in(dir, dead), *live_path = path_in(dir, live);
    char *plain = path_in(dir, "master.m3u8"), *hidden = path_in(dir, ".ladder-resume");
    write_file(dead_path, "x");
    write_file(live_path, "x");
    write_file(plain, "x");
    write_file(hidden, "x");
    ladder_atomic_remove_dead_temps(dir);
    assert_false(there(dead_path));
    assert_true(there(live_path));
    assert_true(there(plain));
    assert_true(there(hidden));
    free(dead_path), free(live_path), free(plain), free(hidden);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decide),
        cmocka_unit_test_setup_teardown(test_state_of, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_replace_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_replace_symlink_not_followed, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_replace_directory, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_remove_tree, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_remove_dead_temps, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
