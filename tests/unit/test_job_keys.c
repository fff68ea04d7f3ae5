/*
 * A queue message is a producer's data: keys that are not ladder's are
 * ignored and listed, a slip of one of the job type's keys is an error
 * that names the key meant. Local inputs are files whatever characters
 * their names hold (a colon included); a URL is "scheme://". A missing
 * input under input_allow is told apart from one outside it.
 */
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

#include "ladder/job.h"

#define BASE "\"input\":\"in.mp4\",\"output_root\":\"/tmp\",\"output\":\"out\""

static ladder_job_spec *parse_ok(const char *json)
{
    ladder_job_spec *s = NULL;
    char err[256] = "";
    if (ladder_job_spec_parse(json, &s, err, sizeof(err)))
        fail_msg("'%s' refused: %s", json, err);
    return s;
}

/* Refused as a typo of meant. */
static void typo(const char *type, const char *key, const char *meant)
{
    char json[512], err[256] = "", want[128];
    snprintf(json, sizeof(json), "{\"type\":\"%s\"," BASE ",\"%s\":1}", type, key);
    if (!strcmp(type, "trim"))
        snprintf(json, sizeof(json), "{\"type\":\"trim\",\"in\":0,\"out\":1," BASE ",\"%s\":1}", key);
    ladder_job_spec *s = NULL;
    if (ladder_job_spec_parse(json, &s, err, sizeof(err)) != LADDER_ECONFIG)
        fail_msg("%s: '%s' accepted", type, key);
    snprintf(want, sizeof(want), "\"%s\" for a %s job: did you mean \"%s\"?", key, type, meant);
    if (!strstr(err, want))
        fail_msg("%s: error '%s' does not say '%s'", type, err, want);
}

static void producer_keys_ignored_and_listed(void **state)
{
    (void)state;
    ladder_job_spec *s = parse_ok("{\"assetId\":\"a-1\",\"type\":\"proxy\"," BASE ",\"userId\":42,"
                                  "\"callbackUrl\":\"https://x/cb\",\"meta\":{\"k\":[1,2]},\"height\":360}");
    assert_int_equal(s->height, 360);
    assert_int_equal(s->nb_ignored_keys, 4);
    const char *want[] = { "assetId", "userId", "callbackUrl", "meta" };
    for (int i = 0; i < 4; i++)
        assert_string_equal(s->ignored_keys[i], want[i]);
    ladder_job_spec_free(s);
    s = parse_ok("{\"type\":\"thumbnail\"," BASE "}");
    assert_int_equal(s->nb_ignored_keys, 0);
    assert_null(s->ignored_keys);
    ladder_job_spec_free(s);
    /* A key ladder takes for another type is foreign to this one. */
    s = parse_ok("{\"type\":\"proxy\"," BASE ",\"deterministic\":true,\"gaps\":\"close\",\"width\":1280}");
    assert_int_equal(s->nb_ignored_keys, 3);
    assert_string_equal(s->ignored_keys[2], "width");
    ladder_job_spec_free(s);
}

static void typos_name_the_key_meant(void **state)
{
    (void)state;
    typo("proxy", "inptu", "input");          /* neighbours swapped */
    typo("proxy", "ouput", "output");
    typo("proxy", "Input", "input");          /* case */
    typo("proxy", "ID", "id");
    typo("proxy", "outputRoot", "output_root");
    typo("proxy", "audioBitrate", "audio_bitrate");
    typo("proxy", "heigth", "height");
    typo("thumbnail", "tiem", "time");
    typo("filmstrip", "colums", "columns");
    typo("conform", "pixFmt", "pix_fmt");
    typo("trim", "mdoe", "mode");
    typo("ladder", "segmentSeconds", "segment_seconds");
    typo("ladder", "segment_secs", "segment_seconds");  /* 3 edits: a key of 12+ characters */
    typo("ladder", "determinstic", "deterministic");
    typo("ladder", "max_duraton", "max_duration");
}

static void producer_names_are_not_typos(void **state)
{
    (void)state;
    /* Near a short key only by more than a case slip, or too far. */
    const char *names[] = { "uid", "pid", "assetId", "userId", "sourcePath", "callbackUrl", "title",
                            "duration", "priority", "max_time", NULL };
    for (int t = LADDER_JOB_PROXY; t <= LADDER_JOB_LADDER; t++)
        for (const char **n = names; *n; n++)
            if (ladder_job_key_typo((ladder_job_type)t, *n))
                fail_msg("%s: '%s' read as a typo of '%s'", ladder_job_type_name((ladder_job_type)t), *n,
                         ladder_job_key_typo((ladder_job_type)t, *n));
    /* The named exceptions, a slip away from a trim or thumbnail key. */
    assert_null(ladder_job_key_typo(LADDER_JOB_TRIM, "code"));
    assert_null(ladder_job_key_typo(LADDER_JOB_TRIM, "node"));
    assert_null(ladder_job_key_typo(LADDER_JOB_THUMBNAIL, "mime"));
    /* Only the type's own keys count: "tiem" is foreign to a proxy. */
    assert_null(ladder_job_key_typo(LADDER_JOB_PROXY, "tiem"));
    assert_string_equal(ladder_job_key_typo(LADDER_JOB_THUMBNAIL, "tiem"), "time");
    /* Long keys are never matched past their limit, however long. */
    char longkey[300];
    memset(longkey, 'a', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = 0;
    assert_null(ladder_job_key_typo(LADDER_JOB_LADDER, longkey));
}

static void what_is_a_url(void **state)
{
    (void)state;
    assert_true(ladder_job_input_is_url("https://media.example/a.mp4"));
    assert_true(ladder_job_input_is_url("s3://bucket/a.mp4"));
    assert_true(ladder_job_input_is_url("svn+ssh://h/x"));
    assert_true(ladder_job_input_is_url("file:///media/a.mp4"));
    assert_true(ladder_job_input_is_url("File:/media/a.mp4"));
    assert_false(ladder_job_input_is_url("/media/Interview: part 1.mp4"));
    assert_false(ladder_job_input_is_url("Interview: part 1.mp4"));
    assert_false(ladder_job_input_is_url("clip:v2.mp4"));
    assert_false(ladder_job_input_is_url("concat:a.mp4|b.mp4"));
    assert_false(ladder_job_input_is_url("/media/a://b.mp4"));    /* no scheme before "://" */
    assert_false(ladder_job_input_is_url("1http://x/a.mp4"));      /* a scheme starts with a letter */
    assert_false(ladder_job_input_is_url("/média/日本語 clip.mp4"));
}

static void open_path(const char *input, const char *want)
{
    char *p = ladder_job_input_open_path(input);
    assert_non_null(p);
    assert_string_equal(p, want);
    free(p);
}

/* FFmpeg reads "name:" (and "subfile,...:") at the start of a name as a
 * protocol: such a relative name is opened as "./name", so it is a file. */
static void open_paths_keep_names_files(void **state)
{
    (void)state;
    open_path("/media/Interview: part 1.mp4", "/media/Interview: part 1.mp4");
    open_path("Interview: part 1.mp4", "./Interview: part 1.mp4");
    open_path("concat:/etc/passwd|x", "./concat:/etc/passwd|x");
    open_path("subfile,,start,0,end,9,,:a.mp4", "./subfile,,start,0,end,9,,:a.mp4");
    open_path("dir/a:b.mp4", "dir/a:b.mp4");
    open_path("plain.mp4", "plain.mp4");
    open_path("https://media.example/a:b.mp4", "https://media.example/a:b.mp4");
}

static char root[256];

static int make_root(void **state)
{
    snprintf(root, sizeof(root), "%s/ladder-job-keys-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(root) ? 0 : -1;
}

static int remove_root(void **state)
{
    return ladder_job_rmtree(root);
}

/* A missing input is judged by where it would be: under the allowed
 * directory (missing, exit 3), or outside it, through ".." or a symlink
 * (refused, exit 13, whether or not it exists there). */
static void missing_paths_judged_by_where_they_would_be(void **state)
{
    (void)state;
    char allowed[300], outside[300], p[600];
    snprintf(allowed, sizeof(allowed), "%s/allowed", root);
    snprintf(outside, sizeof(outside), "%s/outside", root);
    assert_int_equal(mkdir(allowed, 0755), 0);
    assert_int_equal(mkdir(outside, 0755), 0);
    snprintf(p, sizeof(p), "%s/out", allowed);
    assert_int_equal(symlink(outside, p), 0);
    snprintf(p, sizeof(p), "%s/Interview: part 1.mp4", allowed);
    assert_true(ladder_job_missing_path_under(p, allowed));
    snprintf(p, sizeof(p), "%s/no/such/dir/x.mp4", allowed);
    assert_true(ladder_job_missing_path_under(p, allowed));
    snprintf(p, sizeof(p), "%s/x.mp4", outside);
    assert_false(ladder_job_missing_path_under(p, allowed));
    snprintf(p, sizeof(p), "%s/../outside/x.mp4", allowed);
    assert_false(ladder_job_missing_path_under(p, allowed));
    snprintf(p, sizeof(p), "%s/out/x.mp4", allowed);          /* through the symlink */
    assert_false(ladder_job_missing_path_under(p, allowed));
    snprintf(p, sizeof(p), "%s/no/../x.mp4", allowed);        /* ".." after a missing part */
    assert_false(ladder_job_missing_path_under(p, allowed));
    /* Something there is not missing (ladder_job_path_under judges it). */
    assert_false(ladder_job_missing_path_under(allowed, allowed));
    snprintf(p, sizeof(p), "%s/dangling", allowed);
    assert_int_equal(symlink("/nonexistent-ladder-target", p), 0);
    assert_false(ladder_job_missing_path_under(p, allowed));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(producer_keys_ignored_and_listed),
        cmocka_unit_test(typos_name_the_key_meant),
        cmocka_unit_test(producer_names_are_not_typos),
        cmocka_unit_test(what_is_a_url),
        cmocka_unit_test(open_paths_keep_names_files),
        cmocka_unit_test_setup_teardown(missing_paths_judged_by_where_they_would_be, make_root, remove_root),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
