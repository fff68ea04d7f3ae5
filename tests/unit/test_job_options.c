/*
 * The option table (engine/job_options.h) and `ladder encode`'s one
 * precedence chain (cli/encode_options.c): default < host config file <
 * environment < ladder file < flag, each value with its source; the same
 * value means the same from a flag, a ladder file and a job spec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "encode_options.h"
#include "engine/job_options.h"
#include "ladder/job.h"
#include "policy/config.h"

static char dir[] = "/tmp/test_job_options.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[4][256];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* Every row is well formed, and every name, flag and key is unique. */
static void test_table_rows(void **state)
{
    (void)state;
    for (int i = 0; i < job_option_count(); i++) {
        const job_option *a = job_option_at(i);
        assert_non_null(a->name);
        assert_non_null(a->group);
        assert_true(a->help && a->help[0]);
        assert_true(a->brief && a->brief[0] && strlen(a->brief) <= 54);
        assert_true(a->type != JOB_OPT_CHOICE || a->choices);
        if (a->flag && a->type != JOB_OPT_SWITCH && a->type != JOB_OPT_COUNT)
            assert_non_null(a->metavar);
        for (int j = i + 1; j < job_option_count(); j++) {
            const job_option *b = job_option_at(j);
            assert_string_not_equal(a->name, b->name);
            if (a->flag && b->flag)
                assert_string_not_equal(a->flag, b->flag);
            if (a->file_key && b->file_key)
                assert_string_not_equal(a->file_key, b->file_key);
            if (a->spec_key && b->spec_key)
                assert_string_not_equal(a->spec_key, b->spec_key);
            assert_true(!a->short_flag || a->short_flag != b->short_flag);
        }
        /* A host configuration key must be one policy/config.c knows. */
        bool known = !a->conf_key;
        for (int k = 0; a->conf_key && k < ladder_conf_key_count(); k++)
            known |= !strcmp(ladder_conf_key(k)->name, a->conf_key);
        if (!known)
            fail_msg("row %s: no host configuration key %s", a->name, a->conf_key);
    }
}

/* One value, three spellings, one meaning. */
static void test_same_value_everywhere(void **state)
{
    (void)state;
    const char *cases[][3] = {
        /* row, flag text, JSON */
        { "segment_seconds", "4", "4" },
        { "gaps", "close", "\"close\"" },
        { "audio_channels", "2", "2" },
        { "format", "hls,mp4", "[\"hls\",\"mp4\"]" },
        { "max_memory", "1G", "\"1G\"" },
        { "exact_shape", NULL, "true" },
        { "codec", "hevc", "\"hevc\"" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const job_option *row = job_option_by_name(cases[i][0]);
        assert_non_null(row);
        job_options *a, *b;
        char err[256], ta[64], tb[64];
        assert_int_equal(job_options_init(&a), 0);
        assert_int_equal(job_options_init(&b), 0);
        assert_int_equal(job_options_set(a, row, cases[i][1], JOB_OPT_FLAG, NULL, err, sizeof(err)), 0);
        json_object *v = json_tokener_parse(cases[i][2]);
        assert_int_equal(job_options_set_json(b, row, v, JOB_OPT_SPEC, NULL, err, sizeof(err)), 0);
        json_object_put(v);
        job_options_format(a, row, ta, sizeof(ta));
        job_options_format(b, row, tb, sizeof(tb));
        assert_string_equal(ta, tb);
        assert_int_equal(job_options_source(a, row), JOB_OPT_FLAG);
        assert_int_equal(job_options_source(b, row), JOB_OPT_SPEC);
        job_options_close(a);
        job_options_close(b);
    }
}

/* Each source words a bad value its own way, naming the option as it is written there. */
static void test_errors_name_the_option(void **state)
{
    (void)state;
    job_options *o;
    char err[400];
    assert_int_equal(job_options_init(&o), 0);
    const job_option *seg = job_option_by_name("segment_seconds");
    assert_int_equal(job_options_set(o, seg, "0.1", JOB_OPT_FLAG, NULL, err, sizeof(err)), LADDER_ECONFIG);
    assert_string_equal(err, "--segment '0.1': expected seconds between 0.5 and 60");
    json_object *v = json_tokener_parse("\"2\"");
    assert_int_equal(job_options_set_json(o, seg, v, JOB_OPT_FILE, NULL, err, sizeof(err)), LADDER_ECONFIG);
    assert_string_equal(err, "segment_seconds: expected a number of seconds");
    json_object_put(v);
    v = json_tokener_parse("\"fill\"");
    assert_int_equal(job_options_set_json(o, job_option_by_name("gaps"), v, JOB_OPT_SPEC, NULL, err, sizeof(err)),
                     LADDER_ECONFIG);
    assert_string_equal(err, "job spec: \"gaps\" must be \"hold\" or \"close\"");
    json_object_put(v);
    /* A near miss gets a suggestion. */
    assert_int_equal(job_options_set(o, job_option_by_name("preset"), "slowest", JOB_OPT_FLAG, NULL, err,
                                     sizeof(err)), LADDER_ECONFIG);
    assert_non_null(strstr(err, "did you mean slower?"));
    assert_int_equal(job_options_set(o, job_option_by_name("audio"), "frist", JOB_OPT_FLAG, NULL, err,
                                     sizeof(err)), LADDER_ECONFIG);
    assert_non_null(strstr(err, "did you mean first?"));
    /* A failed set leaves the value and its source alone. */
    char text[32];
    job_options_format(o, seg, text, sizeof(text));
    assert_string_equal(text, "2");
    assert_int_equal(job_options_source(o, seg), JOB_OPT_DEFAULT);
    job_options_close(o);
}

static int parse(encode_request *req, int argc, const char **argv)
{
    return encode_options_parse(req, argc, (char **)argv);
}

/* default < config file < environment < ladder file < flag, each recorded. */
static void test_precedence_chain(void **state)
{
    (void)state;
    const char *conf = write_file("config.json", "{\"segment_seconds\": 3, \"preset\": \"fast\", "
                                                 "\"memory_budget\": \"600M\", \"max_pixels\": 2073600}");
    const char *ladder = write_file("ladder.json", "{\"segment_seconds\": 5, \"gaps\": \"close\", "
                                                   "\"rungs\": [{\"height\": 360, \"bitrate\": \"800k\"}]}");
    setenv("LADDER_CONFIG", conf, 1);
    setenv("LADDER_PRESET", "medium", 1);
    setenv("LADDER_MEMORY_BUDGET", "700M", 1);
    encode_request req = { 0 };
    const char *argv[] = { "encode", "in.mp4", "-o", "out", "--ladder", ladder, "--memory-budget", "800M",
                           "--max-duration=30" };
    assert_int_equal(parse(&req, 9, argv), -1);
    const job_option_values *v = job_options_values(req.options);
    const job_options *o = req.options;
    assert_string_equal(v->input, "in.mp4");
    assert_string_equal(v->output, "out");
    /* ladder file over config file */
    assert_true(v->segment_seconds == 5);
    assert_int_equal(job_options_source(o, job_option_by_name("segment_seconds")), JOB_OPT_FILE);
    /* environment over config file */
    assert_string_equal(v->preset, "medium");
    assert_int_equal(job_options_source(o, job_option_by_name("preset")), JOB_OPT_ENV);
    assert_string_equal(job_options_origin(o, job_option_by_name("preset")), "env:LADDER_PRESET");
    /* flag over environment */
    assert_int_equal(v->memory_budget, 800LL << 20);
    assert_int_equal(job_options_source(o, job_option_by_name("memory_budget")), JOB_OPT_FLAG);
    /* config file alone */
    assert_int_equal(v->max_pixels, 2073600);
    assert_int_equal(job_options_source(o, job_option_by_name("max_pixels")), JOB_OPT_CONFIG);
    assert_non_null(strstr(job_options_origin(o, job_option_by_name("max_pixels")), conf));
    /* the file's rungs and its other key */
    assert_int_equal(v->nb_rungs, 1);
    assert_int_equal(v->gaps, 1);
    /* built-in default */
    assert_int_equal(job_options_source(o, job_option_by_name("codec")), JOB_OPT_DEFAULT);
    assert_true(v->max_duration == 30);
    ladder_job job;
    ladder_job_defaults(&job);
    char err[256];
    assert_int_equal(job_options_to_job(o, &job, NULL, err, sizeof(err)), 0);
    assert_true(job.close_gaps);
    assert_int_equal(job.memory_budget, 800u << 20);
    assert_int_equal(job.nb_rungs, 1);
    job_options_close(req.options);
    unsetenv("LADDER_CONFIG");
    unsetenv("LADDER_PRESET");
    unsetenv("LADDER_MEMORY_BUDGET");
}

/* Usage errors name the argument that is wrong: exit 2. */
static void test_usage_errors(void **state)
{
    (void)state;
    unsetenv("LADDER_CONFIG");
    const char *cases[][6] = {
        { "encode", "in.mp4", "-o", "e9", "-crf", "23" },
        { "encode", "in.mp4", "-o", "out", "--segmnet", "2" },
        { "encode", "in.mp4", "-o", "out", "--preset", "slowest" },
        { "encode", "in.mp4", "-o", "out", "--rung", "720p" },
        { "encode", "in.mp4", "other.mp4", "-o", "out", "-v" },
    };
    const int codes[] = { 2, 2, 2, 6, 2 };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        encode_request req = { 0 };
        assert_int_equal(parse(&req, 6, cases[i]), codes[i]);
        job_options_close(req.options);
    }
    /* --help works whatever follows, and -i is the input as FFmpeg users write it. */
    encode_request req = { 0 };
    const char *help[] = { "encode", "--help", "--bogus" };
    assert_int_equal(parse(&req, 2, help), 0);
    job_options_close(req.options);
    req = (encode_request){ 0 };
    const char *ffmpeg_style[] = { "encode", "-i", "in.mp4", "-y", "-o", "out" };
    assert_int_equal(parse(&req, 6, ffmpeg_style), -1);
    assert_string_equal(job_options_values(req.options)->input, "in.mp4");
    assert_int_equal(job_options_values(req.options)->force, 1);
    job_options_close(req.options);
}

/* A ladder-type job spec reads its options through the same rows. */
static void test_job_spec_uses_the_table(void **state)
{
    (void)state;
    ladder_job_spec *s = NULL;
    char err[256];
    const char *json = "{\"type\":\"ladder\",\"input\":\"in.mp4\",\"output_root\":\"/tmp\",\"output\":\"x\","
                       "\"audio_codec\":\"opus\",\"segment_seconds\":4,\"max_memory\":\"1G\"}";
    assert_int_equal(ladder_job_spec_parse(json, &s, err, sizeof(err)), 0);
    ladder_job job;
    ladder_job_defaults(&job);
    assert_int_equal(job_options_to_job(s->options, &job, NULL, err, sizeof(err)), 0);
    assert_int_equal(job.audio_codec, LADDER_AUDIO_OPUS);
    assert_true(job.segment_seconds == 4);
    assert_int_equal(job.max_memory, 1u << 30);
    ladder_job_spec_free(s);
}

int main(void)
{
    assert_non_null(mkdtemp(dir));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows),
        cmocka_unit_test(test_same_value_everywhere),
        cmocka_unit_test(test_errors_name_the_option),
        cmocka_unit_test(test_precedence_chain),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_job_spec_uses_the_table),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd)) {
    }
    return failed;
}
