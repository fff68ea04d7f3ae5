/* The --devices list: defaults, names, per-device encoders and presets,
 * and one clear reason for each kind of mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "ladder/device_spec.h"
#include "ladder/error.h"

static ladder_device_spec specs[LADDER_MAX_DEVICES];
static char why[256];

static int parse(const char *text, int *nb)
{
    why[0] = '\0';
    return ladder_device_spec_parse(text, 4, specs, LADDER_MAX_DEVICES, nb, why, sizeof(why));
}

static void test_plain_cpu(void **state)
{
    (void)state;
    int nb = -1;
    assert_int_equal(parse("cpu", &nb), 0);
    assert_int_equal(nb, 1);
    assert_string_equal(specs[0].kind, "cpu");
    assert_string_equal(specs[0].name, "cpu");
    assert_int_equal(specs[0].slots, 4);          /* the default given */
    for (int c = 0; c < LADDER_CODEC_SLOTS; c++)
        assert_string_equal(specs[0].encoder[c], "");
    assert_string_equal(specs[0].preset, "");
}

static void test_two_devices_with_options(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(parse("cpu:3,cpu:1:av1=libaom-av1:preset=ultrafast", &nb), 0);
    assert_int_equal(nb, 2);
    assert_int_equal(specs[0].slots, 3);
    assert_string_equal(specs[1].name, "cpu2");   /* second of its kind */
    assert_int_equal(specs[1].slots, 1);
    assert_string_equal(specs[1].encoder[LADDER_CODEC_AV1], "libaom-av1");
    assert_string_equal(specs[1].encoder[LADDER_CODEC_H264], "");
    assert_string_equal(specs[1].preset, "ultrafast");

    char text[256];
    ladder_device_spec_format(specs, nb, text, sizeof(text));
    assert_string_equal(text, "cpu:3,cpu:1:av1=libaom-av1:preset=ultrafast:name=cpu2");
    /* What format writes parses back to the same list. */
    ladder_device_spec again[LADDER_MAX_DEVICES];
    int nb2 = 0;
    assert_int_equal(ladder_device_spec_parse(text, 4, again, LADDER_MAX_DEVICES, &nb2, why, sizeof(why)), 0);
    assert_int_equal(nb2, 2);
    assert_memory_equal(again, specs, 2 * sizeof(specs[0]));
}

static void test_fault_device(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(parse("cpu:2,fault:1:fail-after=3", &nb), 0);
    assert_int_equal(nb, 2);
    assert_string_equal(specs[1].kind, "fault");
    assert_string_equal(specs[1].name, "fault");
    assert_int_equal(specs[1].fail_after, 3);
    assert_int_equal(specs[1].fail_for, 0);
    assert_int_equal(parse("fault:1:fail-after=1:fail-for=2", &nb), 0);
    assert_int_equal(specs[0].fail_for, 2);
    char text[128];
    ladder_device_spec_format(specs, nb, text, sizeof(text));
    assert_string_equal(text, "fault:1:fail-after=1:fail-for=2");
    /* fail-after is the fault device's: a CPU device does not take it. */
    assert_int_equal(parse("cpu:1:fail-after=3", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "unknown option 'fail-after'"));
    assert_int_equal(parse("fault:1:fail-after=-1", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "fail-after '-1'"));
}

/* A GPU's slots are NVENC sessions: one unless asked; gpu= pins the CUDA
 * device; only GPU devices take gpu=. */
static void test_nvidia_device(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(parse("cpu,nvidia,nvidia:2:gpu=1", &nb), 0);
    assert_int_equal(nb, 3);
    assert_int_equal(specs[0].gpu, -1);
    assert_string_equal(specs[1].kind, "nvidia");
    assert_int_equal(specs[1].slots, 1);
    assert_true(specs[1].slots_default);      /* the GPU's own count, when selected */
    assert_int_equal(specs[1].gpu, -1);
    assert_string_equal(specs[2].name, "nvidia2");
    assert_int_equal(specs[2].slots, 2);
    assert_false(specs[2].slots_default);     /* SLOTS given */
    assert_int_equal(specs[2].gpu, 1);
    assert_false(specs[0].slots_default);     /* the CPU's default is the core count */
    char text[160];
    ladder_device_spec_format(specs, nb, text, sizeof(text));
    assert_string_equal(text, "cpu:4,nvidia:1,nvidia:2:gpu=1:name=nvidia2");
    assert_int_equal(parse("cpu:1:gpu=0", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "unknown option 'gpu'"));
    assert_int_equal(parse("nvidia:1:gpu=64", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "gpu '64'"));
    /* A MIG instance's UUID, as nvidia-smi spells it. */
    assert_int_equal(parse("nvidia:uuid=MIG-0e2b7f4a-1111-2222-3333-444444444444", &nb), 0);
    assert_string_equal(specs[0].uuid, "MIG-0e2b7f4a-1111-2222-3333-444444444444");
    assert_int_equal(parse("nvidia:uuid=0e2b7f4a", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "not a GPU UUID"));
}

static void test_intel_device(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(parse("intel,intel:2:gpu=1:h264=h264_qsv", &nb), 0);
    assert_int_equal(nb, 2);
    assert_string_equal(specs[0].kind, "intel");
    assert_int_equal(specs[0].slots, 1);      /* one QSV session unless asked */
    assert_int_equal(specs[0].gpu, -1);
    assert_int_equal(specs[1].slots, 2);
    assert_int_equal(specs[1].gpu, 1);
    assert_string_equal(specs[1].encoder[LADDER_CODEC_H264], "h264_qsv");
    /* UUIDs and free-memory floors are NVIDIA's. */
    assert_int_equal(parse("intel:uuid=GPU-1", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "known: h264=, hevc=, av1=, preset=, name=, gpu="));
    assert_int_equal(parse("intel:min-free=1G", &nb), LADDER_ECONFIG);
    assert_int_equal(parse("amd", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "known: cpu, nvidia, intel, auto, fault"));
}

static void test_names(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(parse("cpu:1:name=fast,cpu:1:h264=libx264", &nb), 0);
    assert_string_equal(specs[0].name, "fast");
    assert_string_equal(specs[1].name, "cpu");    /* "cpu" still free */
    assert_int_equal(parse("cpu:1:name=a,cpu:1:name=a", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "used twice"));
    assert_int_equal(parse("cpu:1:name=a/b", &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "a/b"));
}

static void test_errors_name_the_problem(void **state)
{
    (void)state;
    int nb = 0;
    static const struct { const char *text, *needle; } cases[] = {
        { "gpu:1", "unknown kind" },
        { "faulty:1", "unknown kind" },
        { "cpu:0", "slot count '0'" },
        { "cpu:x", "slot count 'x'" },
        { "cpu:2000", "slot count '2000'" },
        { "cpu:1:vp9=libvpx", "unknown option 'vp9'" },
        { "cpu:1:av1=", "not KEY=VALUE" },
        { "cpu:1:av1=lib aom", "not valid" },
        { "cpu,,cpu", "empty item" },
        { "", "empty item" },
        { "cpu::1", "empty field" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].text, &nb), LADDER_ECONFIG);
        if (!strstr(why, cases[i].needle))
            fail_msg("'%s': reason '%s' lacks '%s'", cases[i].text, why, cases[i].needle);
    }
    /* More devices than the limit. */
    char many[LADDER_MAX_DEVICES * 6 + 8] = "";
    for (int i = 0; i <= LADDER_MAX_DEVICES; i++)
        strcat(many, i ? ",cpu:1" : "cpu:1");
    assert_int_equal(parse(many, &nb), LADDER_ECONFIG);
    assert_non_null(strstr(why, "more than"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_cpu),
        cmocka_unit_test(test_two_devices_with_options),
        cmocka_unit_test(test_fault_device),
        cmocka_unit_test(test_nvidia_device),
        cmocka_unit_test(test_intel_device),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_errors_name_the_problem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
