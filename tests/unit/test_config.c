/*
 * Host configuration: defaults, then file < environment < flag for every
 * key with the source recorded; every bad value or unknown key refused
 * with a line naming the key and the file; a bad file changes nothing;
 * which file is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/config.h"
#include "ladder/error.h"

static int key_index(const char *name)
{
    for (int i = 0; i < ladder_conf_key_count(); i++)
        if (!strcmp(ladder_conf_key(i)->name, name))
            return i;
    fail_msg("no key %s", name);
    return -1;
}

static void assert_value(const ladder_conf *c, const char *key, const char *want, const char *origin)
{
    char buf[4096];
    int i = key_index(key);
    ladder_conf_format(c, i, buf, sizeof(buf));
    if (strcmp(buf, want) || strcmp(ladder_conf_origin(c, i), origin))
        fail_msg("%s: got \"%s\" from %s, want \"%s\" from %s", key, buf, ladder_conf_origin(c, i), want, origin);
}

static void clear_env(void)
{
    for (int i = 0; i < ladder_conf_key_count(); i++)
        if (ladder_conf_key(i)->env)
            unsetenv(ladder_conf_key(i)->env);
    unsetenv("LADDER_CONFIG");
}

/* Per key: a file value, an env value, a flag value, and each as formatted. */
typedef struct layer_case {
    const char *key;
    const char *json;             /* the file's "key": value, routing keys nested by the test */
    const char *file_text;
    const char *env, *env_text;
    const char *flag, *flag_text;
} layer_case;

static const layer_case layers[] = {
    { "state_dir", "\"/srv/a\"", "/srv/a", "/srv/b", "/srv/b", "/srv/c", "/srv/c" },
    { "host_cpu_slots", "3", "3", "5", "5", "7", "7" },
    { "devices", "\"cpu:2\"", "cpu:2", "cpu:1,cpu:1", "cpu:1,cpu:1", "cpu:3:av1=libaom-av1", "cpu:3:av1=libaom-av1" },
    { "gpu_sessions", "2", "2", "3", "3", "4", "4" },
    { "decode_device", "\"auto\"", "auto", "gpu:1", "gpu:1", "cpu", "cpu" },
    { "preset", "\"slow\"", "slow", "fast", "fast", "medium", "medium" },
    { "segment_seconds", "3.5", "3.5", "4", "4", "6", "6" },
    { "memory_budget", "\"1G\"", "1073741824", "2M", "2097152", "3072K", "3145728" },
    { "when_busy", "\"cpu\"", "cpu", "fail", "fail", "wait", "wait" },
    { "tier_file", "\"/etc/t.json\"", "/etc/t.json", "/x/t.json", "/x/t.json", "/y/t.json", "/y/t.json" },
    { "routing.gpu_memory_reserve", "1048576", "1048576", "1G", "1073741824", "0", "0" },
    { "routing.small_job_max_pixels", "100", "100", "200", "200", "0", "0" },
    { "allow_protocols", "\"http\"", "http", "https", "https", "http,https", "http,https" },
    { "max_pixels", "100", "100", "200", "200", "300", "300" },
    { "max_memory", "\"1G\"", "1073741824", "2M", "2097152", "3072K", "3145728" },
    { "output_root", "\"/out\"", "/out", "/out2", "/out2", "/out3", "/out3" },
    { "input_allow", "[\"/in\", \"/media\"]", "/in:/media", "/a:/b:/c", "/a:/b:/c", "/d", "/d" },
};

static void test_defaults(void **state)
{
    (void)state;
    clear_env();
    ladder_conf *c;
    assert_int_equal(ladder_conf_init(&c), 0);
    for (int i = 0; i < ladder_conf_key_count(); i++) {
        assert_string_equal(ladder_conf_origin(c, i), "default");
        assert_int_equal(ladder_conf_source_of(c, i), LADDER_CONF_DEFAULT);
    }
    const ladder_conf_values *v = ladder_conf_get(c);
    assert_string_equal(v->preset, "veryfast");
    assert_true(v->segment_seconds == 2.0);
    assert_int_equal(v->when_busy, LADDER_WHEN_BUSY_WAIT);
    assert_int_equal(v->gpu_memory_reserve, 512 << 20);
    assert_int_equal(v->small_job_max_pixels, 0);  /* no size rule */
    assert_int_equal(v->host_cpu_slots, 0);
    assert_string_equal(v->state_dir, "");
    /* Every row is in the table with a doc line, so README and help can list them. */
    assert_int_equal(ladder_conf_key_count(), (int)(sizeof(layers) / sizeof(layers[0])));
    for (int i = 0; i < ladder_conf_key_count(); i++)
        assert_true(ladder_conf_key(i)->doc[0] != '\0');
    ladder_conf_close(c);
}

static void test_precedence_every_key(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(layers) / sizeof(layers[0]); k++) {
        const layer_case *t = &layers[k];
        clear_env();
        ladder_conf *c;
        char err[1024] = "", text[512];
        assert_int_equal(ladder_conf_init(&c), 0);
        const char *dot = strchr(t->key, '.');
        if (dot)
            snprintf(text, sizeof(text), "{\"routing\": {\"%s\": %s}}", dot + 1, t->json);
        else
            snprintf(text, sizeof(text), "{\"%s\": %s}", t->key, t->json);
        if (ladder_conf_load_text(c, text, "file:/etc/ladder/x.json", err, sizeof(err)))
            fail_msg("%s: %s", t->key, err);
        assert_value(c, t->key, t->file_text, "file:/etc/ladder/x.json");
        assert_int_equal(ladder_conf_source_of(c, key_index(t->key)), LADDER_CONF_FILE);

        const char *env = ladder_conf_key(key_index(t->key))->env;
        assert_non_null(env);
        setenv(env, t->env, 1);
        if (ladder_conf_apply_env(c, err, sizeof(err)))
            fail_msg("%s: %s", t->key, err);
        char origin[96];
        snprintf(origin, sizeof(origin), "env:%s", env);
        assert_value(c, t->key, t->env_text, origin);

        if (ladder_conf_set(c, t->key, t->flag, LADDER_CONF_FLAG, NULL, err, sizeof(err)))
            fail_msg("%s: %s", t->key, err);
        assert_value(c, t->key, t->flag_text, "flag");
        assert_int_equal(ladder_conf_source_of(c, key_index(t->key)), LADDER_CONF_FLAG);
        /* Only this key moved. */
        for (int i = 0; i < ladder_conf_key_count(); i++)
            if (i != key_index(t->key))
                assert_string_equal(ladder_conf_origin(c, i), "default");
        ladder_conf_close(c);
    }
    clear_env();
}

static void test_load_file_then_env(void **state)
{
    (void)state;
    clear_env();
    char path[] = "/tmp/ladder-test-config-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "{\"preset\": \"slow\", \"segment_seconds\": 4, \"routing\": {\"gpu_memory_reserve\": \"1G\"}}";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    setenv("LADDER_CONFIG", path, 1);
    setenv("LADDER_PRESET", "medium", 1);
    ladder_conf *c;
    char err[1024];
    assert_int_equal(ladder_conf_load(&c, NULL, err, sizeof(err)), 0);
    assert_string_equal(ladder_conf_file(c), path);
    char origin[128];
    snprintf(origin, sizeof(origin), "file:%s", path);
    assert_value(c, "preset", "medium", "env:LADDER_PRESET");
    assert_value(c, "segment_seconds", "4", origin);
    assert_value(c, "routing.gpu_memory_reserve", "1073741824", origin);
    assert_value(c, "when_busy", "wait", "default");
    char *json = ladder_conf_json(c);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"source\":\"env:LADDER_PRESET\""));
    free(json);
    ladder_conf_close(c);
    unlink(path);
    clear_env();
}

/* Each bad file: refused, the line names the key and the file, nothing changes. */
static void test_bad_values_name_key_and_file(void **state)
{
    (void)state;
    clear_env();
    static const struct { const char *text, *key; } bad[] = {
        { "{\"state_dir\": 5}", "state_dir" },
        { "{\"state_dir\": \"\"}", "state_dir" },
        { "{\"host_cpu_slots\": 0}", "host_cpu_slots" },
        { "{\"host_cpu_slots\": \"4\"}", "host_cpu_slots" },
        { "{\"host_cpu_slots\": 5000}", "host_cpu_slots" },
        { "{\"devices\": \"gpu:2\"}", "devices" },
        { "{\"devices\": [\"cpu\"]}", "devices" },
        { "{\"preset\": \"quick\"}", "preset" },
        { "{\"segment_seconds\": 0.1}", "segment_seconds" },
        { "{\"segment_seconds\": \"2\"}", "segment_seconds" },
        { "{\"memory_budget\": \"12Q\"}", "memory_budget" },
        { "{\"memory_budget\": \"100K\"}", "memory_budget" },
        { "{\"when_busy\": \"sometimes\"}", "when_busy" },
        { "{\"tier_file\": true}", "tier_file" },
        { "{\"routing\": {\"gpu_memory_reserve\": -1}}", "routing.gpu_memory_reserve" },
        { "{\"routing\": {\"small_job_max_pixels\": 1.5}}", "routing.small_job_max_pixels" },
        { "{\"routing\": []}", "routing" },
        { "{\"output_root\": null}", "output_root" },
        { "{\"input_allow\": \"/in\"}", "input_allow" },
        { "{\"input_allow\": [\"/a:b\"]}", "input_allow" },
        { "{\"preset\": \"slow\", \"presett\": \"slow\"}", "presett" },
        { "{\"routing\": {\"gpu_memory_reserv\": 1}}", "routing.gpu_memory_reserv" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ladder_conf *c;
        char err[1024] = "";
        assert_int_equal(ladder_conf_init(&c), 0);
        int ret = ladder_conf_load_text(c, bad[i].text, "file:/etc/ladder/bad.json", err, sizeof(err));
        if (ret != LADDER_ECONFIG)
            fail_msg("accepted %s", bad[i].text);
        char want_key[128];
        snprintf(want_key, sizeof(want_key), "key %s", bad[i].key);
        if (!strstr(err, "/etc/ladder/bad.json") || !strstr(err, want_key) || strchr(err, '\n'))
            fail_msg("%s: message \"%s\" must name %s and the file on one line", bad[i].text, err, bad[i].key);
        /* A rejected file leaves every default in place. */
        assert_string_equal(ladder_conf_get(c)->preset, "veryfast");
        assert_string_equal(ladder_conf_file(c), "");
        for (int k = 0; k < ladder_conf_key_count(); k++)
            assert_string_equal(ladder_conf_origin(c, k), "default");
        ladder_conf_close(c);
    }
}

static void test_bad_documents(void **state)
{
    (void)state;
    static const char *const docs[] = { "", "[1]", "{\"preset\": ", "{} {}", "\"x\"" };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        ladder_conf *c;
        char err[1024] = "";
        assert_int_equal(ladder_conf_init(&c), 0);
        assert_int_equal(ladder_conf_load_text(c, docs[i], "file:/x/c.json", err, sizeof(err)), LADDER_ECONFIG);
        assert_non_null(strstr(err, "/x/c.json"));
        ladder_conf_close(c);
    }
    /* A named file that does not exist is an error naming it, not "no file". */
    clear_env();
    ladder_conf *c = NULL;
    char err[1024] = "";
    assert_int_equal(ladder_conf_load(&c, "/nonexistent/ladder.json", err, sizeof(err)), LADDER_ECONFIG);
    assert_null(c);
    assert_non_null(strstr(err, "/nonexistent/ladder.json"));
}

static void test_bad_env_and_flag(void **state)
{
    (void)state;
    clear_env();
    ladder_conf *c;
    char err[1024] = "";
    assert_int_equal(ladder_conf_init(&c), 0);
    setenv("LADDER_HOST_CPU_SLOTS", "many", 1);
    assert_int_equal(ladder_conf_apply_env(c, err, sizeof(err)), LADDER_ECONFIG);
    assert_non_null(strstr(err, "LADDER_HOST_CPU_SLOTS"));
    assert_non_null(strstr(err, "host_cpu_slots"));
    assert_int_equal(ladder_conf_get(c)->host_cpu_slots, 0);
    unsetenv("LADDER_HOST_CPU_SLOTS");
    assert_int_equal(ladder_conf_set(c, "when_busy", "later", LADDER_CONF_FLAG, NULL, err, sizeof(err)),
                     LADDER_ECONFIG);
    assert_non_null(strstr(err, "when_busy"));
    assert_int_equal(ladder_conf_set(c, "no_such_key", "1", LADDER_CONF_FLAG, NULL, err, sizeof(err)),
                     LADDER_ECONFIG);
    assert_non_null(strstr(err, "no_such_key"));
    ladder_conf_close(c);
}

static void test_find_file(void **state)
{
    (void)state;
    clear_env();
    char dir[] = "/tmp/ladder-test-xdg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char buf[1024], sub[1100], file[1200];
    setenv("XDG_CONFIG_HOME", dir, 1);
    /* No file at the XDG place: that place is not used (the /etc one may be, on a host that has it). */
    int found = ladder_conf_find_file(NULL, buf, sizeof(buf));
    assert_true(!found || !strcmp(buf, "/etc/ladder/config.json"));
    snprintf(sub, sizeof(sub), "%s/ladder", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(file, sizeof(file), "%s/config.json", sub);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
    assert_int_equal(ladder_conf_find_file(NULL, buf, sizeof(buf)), 1);
    assert_string_equal(buf, file);
    setenv("LADDER_CONFIG", "/from/env.json", 1);
    assert_int_equal(ladder_conf_find_file(NULL, buf, sizeof(buf)), 1);
    assert_string_equal(buf, "/from/env.json");
    assert_int_equal(ladder_conf_find_file("/from/flag.json", buf, sizeof(buf)), 1);
    assert_string_equal(buf, "/from/flag.json");
    unlink(file);
    rmdir(sub);
    rmdir(dir);
    unsetenv("XDG_CONFIG_HOME");
    clear_env();
}

/* samples/ladder.config.json is valid and sets every key from the file. */
static void test_sample_file(void **state)
{
    (void)state;
    clear_env();
    const char *src = getenv("LADDER_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof(path), "%s/samples/ladder.config.json", src ? src : ".");
    ladder_conf *c;
    char err[1024];
    assert_int_equal(ladder_conf_init(&c), 0);
    if (ladder_conf_load_file(c, path, err, sizeof(err)))
        fail_msg("%s", err);
    for (int i = 0; i < ladder_conf_key_count(); i++)
        assert_int_equal(ladder_conf_source_of(c, i), LADDER_CONF_FILE);
    assert_int_equal(ladder_conf_get(c)->nb_input_allow, 2);
    ladder_conf_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_precedence_every_key),
        cmocka_unit_test(test_load_file_then_env),
        cmocka_unit_test(test_bad_values_name_key_and_file),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_bad_env_and_flag),
        cmocka_unit_test(test_find_file),
        cmocka_unit_test(test_sample_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
