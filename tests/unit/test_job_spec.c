/*
 * Job specs: every type parses with its defaults, every invalid key is
 * refused with a message naming it, output names are sanitised, URL inputs
 * need the allow-list, and the atomic output directory commits, replaces
 * and cleans up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ladder/job.h"
#include "ladder/ladder.h"

#define BASE "\"input\":\"in.mp4\",\"output_root\":\"/tmp\",\"output\":\"out\""

static ladder_job_spec *parse_ok(const char *json)
{
    ladder_job_spec *s = NULL;
    char err[256] = "";
    int ret = ladder_job_spec_parse(json, &s, err, sizeof(err));
    if (ret)
        fail_msg("'%s' refused: %s", json, err);
    assert_non_null(s);
    return s;
}

/* The spec is refused with LADDER_ECONFIG and the message contains want. */
static void parse_bad(const char *json, const char *want)
{
    ladder_job_spec *s = (ladder_job_spec *)(uintptr_t)1;
    char err[256] = "";
    int ret = ladder_job_spec_parse(json, &s, err, sizeof(err));
    if (ret != LADDER_ECONFIG)
        fail_msg("'%s' accepted (ret %d)", json, ret);
    assert_null(s);
    if (!strstr(err, want))
        fail_msg("'%s': error '%s' does not name '%s'", json, err, want);
    assert_null(strchr(err, '\n'));
}

static void proxy_defaults(void **state)
{
    ladder_job_spec *s = parse_ok("{\"type\":\"proxy\",\"id\":\"job-1\"," BASE "}");
    assert_int_equal(s->type, LADDER_JOB_PROXY);
    assert_string_equal(s->id, "job-1");
    assert_string_equal(s->input, "in.mp4");
    assert_string_equal(s->output_root, "/tmp");
    assert_string_equal(s->output, "out");
    assert_int_equal(s->height, 540);
    assert_int_equal(s->bitrate_kbps, 2000);
    assert_int_equal(s->audio_bitrate_kbps, 128);
    assert_string_equal(s->preset, "veryfast");
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"proxy\"," BASE ",\"height\":720,\"bitrate\":\"3M\",\"audio_bitrate\":96,"
                 "\"preset\":\"fast\"}");
    assert_string_equal(s->id, "");
    assert_int_equal(s->height, 720);
    assert_int_equal(s->bitrate_kbps, 3000);
    assert_int_equal(s->audio_bitrate_kbps, 96);
    assert_string_equal(s->preset, "fast");
    ladder_job_spec_free(s);
}

static void thumbnail_and_filmstrip(void **state)
{
    ladder_job_spec *s = parse_ok("{\"type\":\"thumbnail\"," BASE "}");
    assert_true(s->time < 0);
    assert_int_equal(s->image_format, LADDER_IMAGE_JPEG);
    assert_int_equal(s->width, 0);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"thumbnail\"," BASE ",\"time\":2.5,\"width\":320,\"format\":\"webp\"}");
    assert_true(s->time == 2.5);
    assert_int_equal(s->width, 320);
    assert_int_equal(s->image_format, LADDER_IMAGE_WEBP);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"filmstrip\"," BASE "}");
    assert_int_equal(s->width, 160);
    assert_int_equal(s->height, 90);
    assert_int_equal(s->columns, 5);
    assert_int_equal(s->count, 0);
    assert_true(s->interval == 10);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"filmstrip\"," BASE ",\"count\":12,\"columns\":4,\"rows\":2,\"width\":128,"
                 "\"height\":72}");
    assert_int_equal(s->count, 12);
    assert_int_equal(s->columns, 4);
    assert_int_equal(s->rows, 2);
    ladder_job_spec_free(s);
}

static void conform_and_trim(void **state)
{
    ladder_job_spec *s = parse_ok("{\"type\":\"conform\"," BASE "}");
    assert_int_equal(s->width, 1920);
    assert_int_equal(s->height, 1080);
    assert_int_equal(s->fit, LADDER_FIT_PAD);
    assert_string_equal(s->pix_fmt, "yuv420p");
    assert_int_equal(s->audio_channels, 2);
    assert_int_equal(s->audio_rate, 48000);
    assert_false(s->has_loudness);
    assert_int_equal(s->crf, 23);
    assert_int_equal(s->bitrate_kbps, 0);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"conform\"," BASE ",\"fps\":25,\"width\":1280,\"height\":720,\"fit\":\"crop\","
                 "\"pix_fmt\":\"yuv422p\",\"audio_channels\":1,\"audio_rate\":44100,\"loudness\":-16,"
                 "\"bitrate\":\"4000k\"}");
    assert_true(s->fps == 25);
    assert_int_equal(s->fit, LADDER_FIT_CROP);
    assert_string_equal(s->pix_fmt, "yuv422p");
    assert_true(s->has_loudness && s->loudness == -16);
    assert_int_equal(s->bitrate_kbps, 4000);
    assert_true(s->crf < 0);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"trim\"," BASE ",\"in\":1,\"out\":3.5}");
    assert_true(s->in == 1 && s->out == 3.5);
    assert_int_equal(s->trim_mode, LADDER_TRIM_SMART);
    assert_false(s->trim_mode_given);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"trim\"," BASE ",\"in\":0,\"out\":2,\"mode\":\"reencode\"}");
    assert_int_equal(s->trim_mode, LADDER_TRIM_REENCODE);
    ladder_job_spec_free(s);
}

static void ladder_type(void **state)
{
    ladder_job_spec *s = parse_ok("{\"type\":\"ladder\"," BASE "}");
    assert_null(s->rungs_json);
    assert_int_equal(s->formats, 0);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"ladder\"," BASE ",\"rungs\":[{\"height\":360,\"bitrate\":\"800k\"}],"
                 "\"format\":\"hls\",\"codec\":\"h264\",\"segment_seconds\":4}");
    assert_non_null(strstr(s->rungs_json, "800k"));
    assert_int_equal(s->formats, LADDER_FORMAT_HLS);
    assert_int_equal(s->codec, LADDER_CODEC_H264);
    assert_true(s->segment_seconds == 4);
    assert_false(s->deterministic);
    assert_false(s->exact_shape);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"ladder\"," BASE ",\"deterministic\":true}");
    assert_true(s->deterministic);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"ladder\"," BASE ",\"exact_shape\":true}");
    assert_true(s->exact_shape);
    assert_false(s->close_gaps);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"ladder\"," BASE ",\"gaps\":\"close\"}");
    assert_true(s->close_gaps);
    assert_false(s->deterministic);
    ladder_job_spec_free(s);
}

static void errors_name_the_key(void **state)
{
    parse_bad("not json", "JSON");
    parse_bad("[1]", "object");
    parse_bad("{\"type\":\"proxy\"," BASE "} trailing", "after");
    parse_bad("{" BASE "}", "\"type\"");
    parse_bad("{\"type\":\"encode\"," BASE "}", "\"type\"");
    parse_bad("{\"type\":\"proxy\",\"output_root\":\"/tmp\",\"output\":\"o\"}", "\"input\"");
    parse_bad("{\"type\":\"proxy\",\"input\":\"i\",\"output\":\"o\"}", "\"output_root\"");
    parse_bad("{\"type\":\"proxy\",\"input\":\"i\",\"output_root\":\"/tmp\"}", "\"output\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"input\":5}", "\"input\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"hieght\":720}", "\"hieght\" for a proxy job: did you mean \"height\"?");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"height\":541}", "\"height\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"height\":\"720\"}", "\"height\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"bitrate\":\"fast\"}", "\"bitrate\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"audio_bitrate\":4}", "\"audio_bitrate\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"preset\":\"\"}", "\"preset\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"id\":7}", "\"id\"");
    parse_bad("{\"type\":\"thumbnail\"," BASE ",\"time\":-1}", "\"time\"");
    parse_bad("{\"type\":\"thumbnail\"," BASE ",\"format\":\"png\"}", "\"format\"");
    parse_bad("{\"type\":\"filmstrip\"," BASE ",\"columns\":0}", "\"columns\"");
    parse_bad("{\"type\":\"filmstrip\"," BASE ",\"count\":1001}", "\"count\"");
    parse_bad("{\"type\":\"filmstrip\"," BASE ",\"width\":8}", "\"width\"");
    parse_bad("{\"type\":\"filmstrip\"," BASE ",\"interval\":0}", "\"interval\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"fit\":\"stretch\"}", "\"fit\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"pix_fmt\":\"rgb24\"}", "\"pix_fmt\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"fps\":0}", "\"fps\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"width\":1281}", "\"width\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"audio_channels\":6}", "\"audio_channels\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"audio_rate\":1000}", "\"audio_rate\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"loudness\":3}", "\"loudness\"");
    parse_bad("{\"type\":\"conform\"," BASE ",\"bitrate\":3000,\"crf\":20}", "\"crf\"");
    parse_bad("{\"type\":\"trim\"," BASE ",\"out\":2}", "\"in\"");
    parse_bad("{\"type\":\"trim\"," BASE ",\"in\":2}", "\"out\"");
    parse_bad("{\"type\":\"trim\"," BASE ",\"in\":3,\"out\":2}", "\"out\"");
    parse_bad("{\"type\":\"trim\"," BASE ",\"in\":1,\"out\":2,\"mode\":\"copy\"}", "\"mode\"");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"rungs\":[]}", "\"rungs\"");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"rungs\":{}}", "\"rungs\"");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"format\":\"smooth\"}", "\"format\"");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"deterministic\":1}", "\"deterministic\" must be true or false");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"exact_shape\":\"yes\"}", "\"exact_shape\" must be true or false");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"gaps\":\"fill\"}", "\"gaps\" must be \"hold\" or \"close\"");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"codec\":\"vp9\"}", "\"codec\"");
    parse_bad("{\"type\":\"ladder\"," BASE ",\"segment_seconds\":100}", "\"segment_seconds\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"url_allow\":\"https://x/\"}", "\"url_allow\"");
    parse_bad("{\"type\":\"proxy\"," BASE ",\"url_allow\":[\"/local\"]}", "\"url_allow\"");
}

/* "class" is a common key: every type takes realtime or batch (default),
 * anything else is a bad spec like any other bad value. */
static void job_class(void **state)
{
    (void)state;
    static const char *const types[] = { "proxy", "thumbnail", "filmstrip", "conform", "ladder" };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json), "{\"type\":\"%s\",\"class\":\"realtime\"," BASE "}", types[i]);
        ladder_job_spec *s = parse_ok(json);
        assert_true(s->realtime);
        assert_int_equal(s->cpu_slots, 0);
        assert_null(s->chunk_gate);
        ladder_job_spec_free(s);
        snprintf(json, sizeof(json), "{\"type\":\"%s\",\"class\":\"batch\"," BASE "}", types[i]);
        s = parse_ok(json);
        assert_false(s->realtime);
        ladder_job_spec_free(s);
    }
    ladder_job_spec *s = parse_ok("{\"type\":\"trim\",\"in\":1,\"out\":2,\"class\":\"realtime\"," BASE "}");
    assert_true(s->realtime);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"proxy\"," BASE "}");
    assert_false(s->realtime);
    ladder_job_spec_free(s);
    parse_bad("{\"type\":\"proxy\",\"class\":\"urgent\"," BASE "}", "\"class\" 'urgent'");
    parse_bad("{\"type\":\"proxy\",\"class\":\"Realtime\"," BASE "}", "\"class\"");
    parse_bad("{\"type\":\"proxy\",\"class\":1," BASE "}", "\"class\" must be a non-empty string");
    parse_bad("{\"type\":\"proxy\",\"class\":\"\"," BASE "}", "\"class\"");
}

static void output_names(void **state)
{
    parse_bad("{\"type\":\"proxy\",\"input\":\"i\",\"output_root\":\"/tmp\",\"output\":\"..\"}", "\"output\"");
    parse_bad("{\"type\":\"proxy\",\"input\":\"i\",\"output_root\":\"/tmp\",\"output\":\"../x\"}", "\"output\"");
    parse_bad("{\"type\":\"proxy\",\"input\":\"i\",\"output_root\":\"/tmp\",\"output\":\"/etc\"}", "\"output\"");
    parse_bad("{\"type\":\"proxy\",\"input\":\"i\",\"output_root\":\"/tmp\",\"output\":\"a/b\"}", "\"output\"");
    assert_true(ladder_job_output_name_ok("clip-01_proxy"));
    assert_true(ladder_job_output_name_ok("a..b"));
    assert_false(ladder_job_output_name_ok(""));
    assert_false(ladder_job_output_name_ok("."));
    assert_false(ladder_job_output_name_ok(".."));
    assert_false(ladder_job_output_name_ok(".hidden"));
    assert_false(ladder_job_output_name_ok("a/.."));
    assert_false(ladder_job_output_name_ok("/abs"));
    assert_false(ladder_job_output_name_ok("a\\b"));
    assert_false(ladder_job_output_name_ok("line\nbreak"));
    char long_name[200];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = 0;
    assert_false(ladder_job_output_name_ok(long_name));
}

static void url_allow_list(void **state)
{
    const char *allow[] = { "https://media.example/" };
    assert_true(ladder_job_input_allowed("/data/in.mp4", NULL, 0, NULL));
    assert_true(ladder_job_input_allowed("rel/in.mp4", NULL, 0, NULL));
    assert_false(ladder_job_input_allowed("https://media.example/a.mp4", NULL, 0, NULL));
    assert_true(ladder_job_input_allowed("https://media.example/a.mp4", allow, 1, NULL));
    assert_false(ladder_job_input_allowed("https://media.example.evil/a.mp4", allow, 1, NULL));
    assert_false(ladder_job_input_allowed("http://other/a.mp4", allow, 1, NULL));
    assert_true(ladder_job_input_allowed("http://other/a.mp4", NULL, 0, "https://x/, http://other/"));
    assert_false(ladder_job_input_allowed("http://third/a.mp4", NULL, 0, "https://x/,http://other/"));
    /* A colon does not make a URL: FFmpeg's "proto:" forms are file names
     * here (opened as "./concat:...", see test_job_keys.c), file: URLs are
     * never taken, even when a list names them. */
    assert_true(ladder_job_input_allowed("concat:/etc/passwd|/x", NULL, 0, NULL));
    assert_true(ladder_job_input_allowed("/media/Interview: part 1.mp4", NULL, 0, NULL));
    assert_false(ladder_job_input_allowed("file:/etc/passwd", NULL, 0, NULL));
    assert_false(ladder_job_input_allowed("file:///etc/passwd", NULL, 0, "file:///"));
    assert_false(ladder_job_input_allowed("FILE:///etc/passwd", NULL, 0, NULL));
}

static char root[256];

static int make_root(void **state)
{
    snprintf(root, sizeof(root), "%s/ladder-job-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    return ladder_job_rmtree(root);
}

static int count_entries(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void atomic_output(void **state)
{
    char err[256], final[512], path[600];
    ladder_job_output o;
    snprintf(final, sizeof(final), "%s/result", root);
    assert_int_equal(ladder_job_output_init(&o, root, "result", err, sizeof(err)), 0);
    write_text(o.tmp_path, "a.txt", "first");
    /* Nothing at the final name before the commit. */
    struct stat sb;
    assert_int_not_equal(lstat(final, &sb), 0);
    assert_int_equal(ladder_job_output_commit(&o, err, sizeof(err)), 0);
    ladder_job_output_close(&o);
    snprintf(path, sizeof(path), "%s/a.txt", final);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(count_entries(root), 1);
    /* A second run replaces the first: its files only, nothing left aside. */
    assert_int_equal(ladder_job_output_init(&o, root, "result", err, sizeof(err)), 0);
    write_text(o.tmp_path, "b.txt", "second");
    assert_int_equal(ladder_job_output_commit(&o, err, sizeof(err)), 0);
    ladder_job_output_close(&o);
    assert_int_not_equal(stat(path, &sb), 0);
    snprintf(path, sizeof(path), "%s/b.txt", final);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(count_entries(root), 1);
    /* A failed job (closed without commit) leaves nothing new. */
    assert_int_equal(ladder_job_output_init(&o, root, "failed", err, sizeof(err)), 0);
    write_text(o.tmp_path, "half.txt", "partial");
    ladder_job_output_close(&o);
    assert_int_equal(count_entries(root), 1);
}

/* A ladder job's next attempt takes over the directory a stopped or
 * killed one left (it has a resume journal); the newest wins, the rest go. */
static void resumable_temporary_adopted(void **state)
{
    (void)state;
    char older[512], newer[512], plain[512], err[256], path[600];
    snprintf(older, sizeof(older), "%s/.ladder.tmp-4194305-aaaaaa", root);
    snprintf(newer, sizeof(newer), "%s/.ladder.tmp-4194306-bbbbbb", root);
    snprintf(plain, sizeof(plain), "%s/.ladder.tmp-4194307-cccccc", root);
    assert_int_equal(mkdir(older, 0755), 0);
    assert_int_equal(mkdir(newer, 0755), 0);
    assert_int_equal(mkdir(plain, 0755), 0);
    write_text(older, ".ladder-resume", "older journal");
    write_text(newer, ".ladder-resume", "newer journal");
    write_text(newer, "seg", "kept segment");
    write_text(plain, "x", "no journal: a proxy's leftovers");
    struct timespec t[2] = { { .tv_sec = 1000 }, { .tv_sec = 1000 } };
    snprintf(path, sizeof(path), "%s/.ladder-resume", older);
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);

    ladder_job_output o;
    assert_int_equal(ladder_job_output_init_resumable(&o, root, "ladder", err, sizeof(err)), 0);
    assert_true(o.adopted);
    snprintf(path, sizeof(path), "%s/seg", o.tmp_path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_not_equal(lstat(newer, &sb), 0);
    assert_int_not_equal(lstat(older, &sb), 0);
    assert_int_not_equal(lstat(plain, &sb), 0);
    /* Kept for a later attempt (a stop), it is adopted again. */
    o.keep = true;
    char kept[512];
    snprintf(kept, sizeof(kept), "%s", o.tmp_path);
    ladder_job_output_close(&o);
    assert_int_equal(lstat(kept, &sb), 0);
    /* Its writer (this process) is alive: not adoptable, not removed. */
    assert_int_equal(ladder_job_output_init_resumable(&o, root, "ladder", err, sizeof(err)), 0);
    assert_false(o.adopted);
    ladder_job_output_close(&o);
    assert_int_equal(lstat(kept, &sb), 0);
    assert_int_equal(ladder_job_rmtree(kept), 0);
    /* Other types never adopt. */
    assert_int_equal(mkdir(older, 0755), 0);
    write_text(older, ".ladder-resume", "journal");
    assert_int_equal(ladder_job_output_init(&o, root, "ladder", err, sizeof(err)), 0);
    assert_false(o.adopted);
    assert_int_not_equal(lstat(older, &sb), 0);
    ladder_job_output_close(&o);
}

static void stale_temporaries_removed(void **state)
{
    char stale[512], err[256];
    /* pid 2^22+1 is above Linux's pid_max default: no such process. */
    snprintf(stale, sizeof(stale), "%s/.clip.tmp-4194305-abcdef", root);
    assert_int_equal(mkdir(stale, 0755), 0);
    write_text(stale, "x", "left by a killed job");
    ladder_job_output o;
    assert_int_equal(ladder_job_output_init(&o, root, "clip", err, sizeof(err)), 0);
    struct stat sb;
    assert_int_not_equal(lstat(stale, &sb), 0);
    ladder_job_output_close(&o);
}

/* A writer that exited but was never reaped (a zombie: orphans in a
 * container whose PID 1 does not wait) is gone: its temporary directory is
 * removed. A live writer's is kept. */
static void zombie_writer_temporaries_removed(void **state)
{
    char zombie_dir[512], live_dir[512], err[256];
    pid_t zombie = fork();
    assert_true(zombie >= 0);
    if (zombie == 0)
        _exit(0);
    pid_t live = fork();
    assert_true(live >= 0);
    if (live == 0) {
        /* Never outlive this test (a failed assert skips the kill below). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(60);
        pause();
        _exit(0);
    }
    /* Wait for the zombie without reaping it. */
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)zombie, &si, WEXITED | WNOWAIT), 0);
    snprintf(zombie_dir, sizeof(zombie_dir), "%s/.clip.tmp-%ld-abcdef", root, (long)zombie);
    snprintf(live_dir, sizeof(live_dir), "%s/.clip.tmp-%ld-ghijkl", root, (long)live);
    assert_int_equal(mkdir(zombie_dir, 0755), 0);
    assert_int_equal(mkdir(live_dir, 0755), 0);
    ladder_job_output o;
    assert_int_equal(ladder_job_output_init(&o, root, "clip", err, sizeof(err)), 0);
    struct stat sb;
    assert_int_not_equal(lstat(zombie_dir, &sb), 0);
    assert_int_equal(lstat(live_dir, &sb), 0);
    ladder_job_output_close(&o);
    kill(live, SIGKILL);
    waitpid(live, NULL, 0);
    waitpid(zombie, NULL, 0);
    assert_int_equal(rmdir(live_dir), 0);
}

static void symlink_escape_refused(void **state)
{
    char link[512], err[256];
    snprintf(link, sizeof(link), "%s/escape", root);
    assert_int_equal(symlink("/tmp", link), 0);
    ladder_job_output o;
    assert_int_equal(ladder_job_output_init(&o, root, "escape", err, sizeof(err)), LADDER_EOUTPUT);
    assert_non_null(strstr(err, "escape"));
    assert_int_equal(unlink(link), 0);
    /* output_root that is not a directory */
    assert_int_equal(ladder_job_output_init(&o, "/dev/null", "x", err, sizeof(err)), LADDER_EOUTPUT);
    assert_non_null(strstr(err, "/dev/null"));
    assert_int_equal(ladder_job_output_init(&o, root, "../up", err, sizeof(err)), LADDER_ECONFIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proxy_defaults),
        cmocka_unit_test(thumbnail_and_filmstrip),
        cmocka_unit_test(conform_and_trim),
        cmocka_unit_test(ladder_type),
        cmocka_unit_test(errors_name_the_key),
        cmocka_unit_test(job_class),
        cmocka_unit_test(output_names),
        cmocka_unit_test(url_allow_list),
        cmocka_unit_test_setup_teardown(atomic_output, make_root, remove_root),
        cmocka_unit_test_setup_teardown(stale_temporaries_removed, make_root, remove_root),
        cmocka_unit_test_setup_teardown(resumable_temporary_adopted, make_root, remove_root),
        cmocka_unit_test_setup_teardown(zombie_writer_temporaries_removed, make_root, remove_root),
        cmocka_unit_test_setup_teardown(symlink_escape_refused, make_root, remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
