/*
 * Tiers: each match key, first match wins, a device no tier takes runs
 * nothing, bad tier files refused naming the tier, and the property that
 * a heavy job never lands on a light device, over generated inventories.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_devices.h"
#include "ladder/error.h"
#include "policy/tiers.h"

/* The README's example. */
static const char *const example =
    "{\"tiers\": ["
    " {\"name\": \"heavy\", \"match\": {\"kind\": \"nvidia\", \"nvenc\": true, \"min_memory_gib\": 16},"
    "  \"jobs\": [\"proxy\", \"conform\", \"trim\", \"ladder\"]},"
    " {\"name\": \"light\", \"match\": {\"kind\": [\"cpu\", \"nvidia\"]},"
    "  \"jobs\": [\"thumbnail\", \"filmstrip\"]}]}";

static ladder_tiers *parse(const char *text)
{
    ladder_tiers *t = NULL;
    char err[512] = "";
    if (ladder_tiers_parse(&t, text, "tier file test.json", err, sizeof(err)))
        fail_msg("%s", err);
    return t;
}

static const char *tier_name(const ladder_tiers *t, const ladder_device_info *d)
{
    const char *n = ladder_tiers_name(t, ladder_tiers_match(t, d));
    return n ? n : "(none)";
}

static void test_example_matching(void **state)
{
    (void)state;
    ladder_tiers *t = parse(example);
    assert_int_equal(ladder_tiers_count(t), 2);
    ladder_device_info cpu = fake_cpu(0, 16, 64 * GiB);
    ladder_device_info big = fake_gpu(1, "GPU-big", 80 * GiB, 70 * GiB, true, true);
    ladder_device_info small = fake_gpu(2, "GPU-small", 8 * GiB, 8 * GiB, true, false);
    ladder_device_info nonvenc = fake_gpu(3, "GPU-nonvenc", 40 * GiB, 40 * GiB, false, false);
    ladder_device_info unknown_mem = fake_gpu(4, "GPU-unknown", -1, -1, true, false);
    assert_string_equal(tier_name(t, &cpu), "light");
    assert_string_equal(tier_name(t, &big), "heavy");
    assert_string_equal(tier_name(t, &small), "light");       /* below 16 GiB */
    assert_string_equal(tier_name(t, &nonvenc), "light");     /* no NVENC */
    assert_string_equal(tier_name(t, &unknown_mem), "light"); /* memory it cannot vouch for */
    assert_true(ladder_tiers_allows(t, ladder_tiers_match(t, &big), "ladder"));
    assert_false(ladder_tiers_allows(t, ladder_tiers_match(t, &big), "thumbnail"));
    assert_false(ladder_tiers_allows(t, ladder_tiers_match(t, &cpu), "ladder"));
    assert_false(ladder_tiers_allows(t, ladder_tiers_match(t, &big), "no-such-job"));

    const ladder_device_info *devs[] = { &cpu, &big, &small, &nonvenc, &unknown_mem };
    bool allowed[5];
    assert_int_equal(ladder_tiers_devices_for(t, "ladder", devs, 5, allowed), 1);
    assert_true(allowed[1]);
    assert_int_equal(ladder_tiers_devices_for(t, "thumbnail", devs, 5, allowed), 4);
    assert_false(allowed[1]);
    /* No tier file: everything runs anywhere. */
    assert_int_equal(ladder_tiers_devices_for(NULL, "ladder", devs, 5, allowed), 5);
    ladder_tiers_close(t);
}

static void test_first_match_wins(void **state)
{
    (void)state;
    ladder_device_info gpu = fake_gpu(0, "GPU-a", 24 * GiB, 20 * GiB, true, false);
    ladder_tiers *ab = parse("{\"tiers\": [{\"name\": \"a\", \"match\": {\"kind\": \"nvidia\"}, \"jobs\": [\"trim\"]},"
                             " {\"name\": \"b\", \"match\": {}, \"jobs\": [\"ladder\"]}]}");
    ladder_tiers *ba = parse("{\"tiers\": [{\"name\": \"b\", \"match\": {}, \"jobs\": [\"ladder\"]},"
                             " {\"name\": \"a\", \"match\": {\"kind\": \"nvidia\"}, \"jobs\": [\"trim\"]}]}");
    assert_string_equal(tier_name(ab, &gpu), "a");
    assert_string_equal(tier_name(ba, &gpu), "b");
    /* The tier decides, not the union of the tiers that match. */
    const ladder_device_info *devs[] = { &gpu };
    bool allowed[1];
    assert_int_equal(ladder_tiers_devices_for(ab, "ladder", devs, 1, allowed), 0);
    assert_int_equal(ladder_tiers_devices_for(ba, "ladder", devs, 1, allowed), 1);
    ladder_tiers_close(ab);
    ladder_tiers_close(ba);
}

static void test_match_keys(void **state)
{
    (void)state;
    ladder_tiers *t = parse(
        "{\"tiers\": ["
        " {\"name\": \"av1\", \"match\": {\"encode\": [\"av1\"], \"kind\": \"nvidia\"}, \"jobs\": [\"ladder\"]},"
        " {\"name\": \"bigcpu\", \"match\": {\"min_cores\": 32}, \"jobs\": [\"ladder\"]},"
        " {\"name\": \"named\", \"match\": {\"name_contains\": \"8 GiB\"}, \"jobs\": [\"trim\"]},"
        " {\"name\": \"plain\", \"match\": {\"nvenc\": false}, \"jobs\": [\"thumbnail\"]}]}");
    ladder_device_info av1 = fake_gpu(0, "GPU-av1", 24 * GiB, 20 * GiB, true, true);
    ladder_device_info noav1 = fake_gpu(1, "GPU-noav1", 8 * GiB, 8 * GiB, true, false);
    ladder_device_info cpu64 = fake_cpu(2, 64, 128 * GiB);
    ladder_device_info cpu8 = fake_cpu(3, 8, 16 * GiB);
    ladder_device_info other = fake_gpu(4, "GPU-x", 16 * GiB, 16 * GiB, true, false);
    assert_string_equal(tier_name(t, &av1), "av1");
    assert_string_equal(tier_name(t, &noav1), "named");
    assert_string_equal(tier_name(t, &cpu64), "bigcpu");
    assert_string_equal(tier_name(t, &cpu8), "plain");
    assert_string_equal(tier_name(t, &other), "(none)");
    /* A device no tier takes runs nothing while tiers are in force. */
    const ladder_device_info *devs[] = { &other };
    bool allowed[1];
    for (const char *const *j = ladder_tiers_job_types(); *j; j++)
        assert_int_equal(ladder_tiers_devices_for(t, *j, devs, 1, allowed), 0);
    ladder_tiers_close(t);
}

static void test_bad_files(void **state)
{
    (void)state;
    static const struct { const char *text, *says; } bad[] = {
        { "{\"tiers\": [{\"name\": \"h\", \"match\": {\"kind\": \"tpu\"}, \"jobs\": []}]}", "tier h: match.kind" },
        { "{\"tiers\": [{\"name\": \"h\", \"match\": {\"knd\": \"cpu\"}, \"jobs\": []}]}", "tier h: unknown match key knd" },
        { "{\"tiers\": [{\"name\": \"h\", \"jobs\": [\"ladders\"]}]}", "tier h: jobs: unknown job type ladders" },
        { "{\"tiers\": [{\"name\": \"h\", \"jobs\": [], \"prio\": 1}]}", "tier #0: unknown key prio" },
        { "{\"tiers\": [{\"jobs\": []}]}", "tier #0: name" },
        { "{\"tiers\": [{\"name\": \"h\"}]}", "tier h: jobs" },
        { "{\"tiers\": [{\"name\": \"h\", \"jobs\": []}, {\"name\": \"h\", \"jobs\": []}]}", "tier h: name used twice" },
        { "{\"tier\": []}", "unknown key tier" },
        { "{\"tiers\": [{\"name\": \"h\", \"match\": {\"nvenc\": 1}, \"jobs\": []}]}", "tier h: match.nvenc" },
        { "{\"tiers\": [{\"name\": \"h\", \"match\": {\"min_memory_gib\": -2}, \"jobs\": []}]}", "min_memory_gib" },
        { "[]", "expected {\"tiers\"" },
        { "{", "not valid JSON" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ladder_tiers *t = NULL;
        char err[512] = "";
        assert_int_equal(ladder_tiers_parse(&t, bad[i].text, "tier file /etc/t.json", err, sizeof(err)),
                         LADDER_ECONFIG);
        assert_null(t);
        if (!strstr(err, bad[i].says) || !strstr(err, "/etc/t.json"))
            fail_msg("%s: got \"%s\", want \"%s\" and the file", bad[i].text, err, bad[i].says);
    }
    ladder_tiers *t = NULL;
    char err[512];
    assert_int_equal(ladder_tiers_load(&t, "/nonexistent/tiers.json", err, sizeof(err)), LADDER_ECONFIG);
    assert_non_null(strstr(err, "/nonexistent/tiers.json"));
}

/* Small deterministic generator: the property runs the same cases every time. */
static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void test_heavy_job_never_on_light_device(void **state)
{
    (void)state;
    ladder_tiers *t = parse(example);
    static const char *const heavy_jobs[] = { "proxy", "conform", "trim", "ladder" };
    uint32_t seed = 12345;
    int heavy_seen = 0, light_seen = 0;
    for (int round = 0; round < 2000; round++) {
        int n = 1 + (int)(rnd(&seed) % 8);
        ladder_device_info devs[8];
        const ladder_device_info *ptrs[8];
        for (int i = 0; i < n; i++) {
            if (rnd(&seed) % 4 == 0) {
                devs[i] = fake_cpu(i, 1 + (int)(rnd(&seed) % 128), (long long)(1 + rnd(&seed) % 512) * GiB);
            } else {
                long long total = rnd(&seed) % 10 == 0 ? -1 : (long long)(rnd(&seed) % 96) * GiB / 2;
                char uuid[32];
                snprintf(uuid, sizeof(uuid), "GPU-%d-%d", round, i);
                devs[i] = fake_gpu(i, uuid, total, total, rnd(&seed) % 3 != 0, rnd(&seed) % 2);
            }
            ptrs[i] = &devs[i];
        }
        for (size_t j = 0; j < sizeof(heavy_jobs) / sizeof(heavy_jobs[0]); j++) {
            bool allowed[8];
            ladder_tiers_devices_for(t, heavy_jobs[j], ptrs, n, allowed);
            for (int i = 0; i < n; i++) {
                const char *tier = tier_name(t, &devs[i]);
                bool heavy_class = devs[i].kind == LADDER_DEVICE_NVIDIA && devs[i].role == LADDER_ROLE_ENCODE &&
                                   devs[i].memory_total >= 16 * GiB;
                /* The property, and that it is exactly the heavy class that runs heavy jobs. */
                if (allowed[i] && strcmp(tier, "heavy"))
                    fail_msg("round %d: %s job on %s device %s", round, heavy_jobs[j], tier, devs[i].uuid);
                assert_int_equal(allowed[i], heavy_class);
                heavy_seen += allowed[i];
                light_seen += !strcmp(tier, "light");
            }
        }
    }
    /* The generator reached both sides of the property. */
    assert_true(heavy_seen > 100);
    assert_true(light_seen > 100);
    ladder_tiers_close(t);
}

/* samples/ladder.tiers.json parses, and its first-match order holds. */
static void test_sample_file(void **state)
{
    (void)state;
    const char *src = getenv("LADDER_SOURCE_DIR");
    char path[1024], err[512];
    snprintf(path, sizeof(path), "%s/samples/ladder.tiers.json", src ? src : ".");
    ladder_tiers *t = NULL;
    if (ladder_tiers_load(&t, path, err, sizeof(err)))
        fail_msg("%s", err);
    ladder_device_info big = fake_cpu(0, 64, 256 * GiB), small = fake_cpu(0, 4, 8 * GiB);
    assert_string_equal(tier_name(t, &big), "bigcpu");
    assert_string_equal(tier_name(t, &small), "light");
    ladder_tiers_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_matching),
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_match_keys),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_heavy_job_never_on_light_device),
        cmocka_unit_test(test_sample_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
