/*
 * Routing decisions, table-driven over fake inventories: fits on a GPU,
 * exceeds free memory (reserve included) -> CPU, no GPU -> CPU, all GPUs
 * busy under when_busy wait/cpu/fail, a tier excluding the device, small
 * jobs preferring a GPU and large ones the CPU, codec support, and the
 * numbers in the reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fake_devices.h"
#include "policy/route.h"

#define MiB (1024LL * 1024)
#define NO_SLOT 0
#define FREE 1

typedef struct route_case {
    const char *what;
    int nb;                           /* devices: [0] CPU, then GPUs as described */
    long long gpu_free[3];            /* free bytes of GPUs 1..; -1 unknown */
    bool gpu_nvenc[3];
    bool gpu_av1[3];
    bool allowed[4];                  /* tier filter (all true when none_excluded) */
    bool filter;
    int slots[4];                     /* free slots per device; -1 unknown */
    long long need;                   /* estimate gpu_total_bytes */
    int width, height;
    ladder_codec codec;
    ladder_when_busy when_busy;
    ladder_route_kind want;
    int want_device;
    const char *want_target;
    const char *want_reason[3];       /* substrings the reason must hold */
} route_case;

static const route_case cases[] = {
    { "no GPU", 1, {0}, {0}, {0}, {0}, false, { -1 }, 1 * GiB, 640, 360, LADDER_CODEC_H264,
      LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu", { "no GPU encode device" } },
    { "decode-only GPU is no encode device", 2, { 8 * GiB }, { false }, {0}, {0}, false, { -1, -1 }, 1 * GiB,
      640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu", { "no GPU encode device" } },
    { "small job fits on GPU", 2, { 8 * GiB }, { true }, {0}, {0}, false, { FREE, FREE }, 1 * GiB, 1280, 720,
      LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_GPU, 1, "gpu:GPU-1",
      { "small job", "prefers GPU", "free 8.0 GiB - reserve 0.5 GiB" } },
    { "exceeds free memory", 2, { 2 * GiB }, { true }, {0}, {0}, false, { FREE, FREE }, 3174 * MiB, 640, 360,
      LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu",
      { "estimate 3.1 GiB > free 2.0 GiB - reserve 0.5 GiB on GPU-1", "CPU" } },
    { "fits free memory but not the reserve", 2, { 2 * GiB }, { true }, {0}, {0}, false, { FREE, FREE },
      1800 * MiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu",
      { "estimate 1.8 GiB > free 2.0 GiB - reserve 0.5 GiB" } },
    { "all GPUs busy, wait", 3, { 8 * GiB, 4 * GiB }, { true, true }, {0}, {0}, false, { FREE, NO_SLOT, NO_SLOT },
      1 * GiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_WAIT, 1, "wait",
      { "every fitting GPU is busy", "when_busy wait for gpu:GPU-1" } },
    { "all GPUs busy, cpu", 3, { 8 * GiB, 4 * GiB }, { true, true }, {0}, {0}, false, { FREE, NO_SLOT, NO_SLOT },
      1 * GiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_CPU, LADDER_ROUTE_CPU, -1, "cpu",
      { "when_busy cpu" } },
    { "all GPUs busy, fail", 3, { 8 * GiB, 4 * GiB }, { true, true }, {0}, {0}, false, { FREE, NO_SLOT, NO_SLOT },
      1 * GiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_FAIL, LADDER_ROUTE_FAIL, -1, "fail",
      { "when_busy fail" } },
    { "first GPU busy: the free one", 3, { 8 * GiB, 4 * GiB }, { true, true }, {0}, {0}, false,
      { FREE, NO_SLOT, FREE }, 1 * GiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_FAIL, LADDER_ROUTE_GPU, 2,
      "gpu:GPU-2", { "prefers GPU" } },
    { "most free memory wins", 3, { 4 * GiB, 12 * GiB }, { true, true }, {0}, {0}, false, { FREE, FREE, FREE },
      1 * GiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_GPU, 2, "gpu:GPU-2",
      { "free 12.0 GiB" } },
    { "tier excludes the GPU", 2, { 8 * GiB }, { true }, {0}, { true, false }, true, { FREE, FREE }, 1 * GiB, 640,
      360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu",
      { "no GPU encode device allowed by the tiers" } },
    { "tier excludes one of two", 3, { 12 * GiB, 4 * GiB }, { true, true }, {0}, { true, false, true }, true,
      { FREE, FREE, FREE }, 1 * GiB, 640, 360, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_GPU, 2,
      "gpu:GPU-2", { "GPU-2" } },
    { "large job prefers CPU", 2, { 8 * GiB }, { true }, {0}, {0}, false, { FREE, FREE }, 1 * GiB, 1920, 1080,
      LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu",
      { "large job (2073600 px > 921600)", "prefers CPU" } },
    { "large job, CPU busy: GPU", 2, { 8 * GiB }, { true }, {0}, {0}, false, { NO_SLOT, FREE }, 1 * GiB, 1920,
      1080, LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_GPU, 1, "gpu:GPU-1",
      { "no CPU slot is free" } },
    { "large job, CPU and GPU busy, fail", 2, { 8 * GiB }, { true }, {0}, {0}, false, { NO_SLOT, NO_SLOT },
      1 * GiB, 1920, 1080, LADDER_CODEC_H264, LADDER_WHEN_BUSY_FAIL, LADDER_ROUTE_FAIL, -1, "fail",
      { "no CPU slot and every fitting GPU is busy" } },
    { "GPU cannot encode the codec", 2, { 8 * GiB }, { true }, { false }, {0}, false, { FREE, FREE }, 1 * GiB,
      640, 360, LADDER_CODEC_AV1, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_CPU, -1, "cpu",
      { "GPU-1 cannot encode av1" } },
    { "GPU with AV1 takes an AV1 job", 2, { 8 * GiB }, { true }, { true }, {0}, false, { FREE, FREE }, 1 * GiB,
      640, 360, LADDER_CODEC_AV1, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_GPU, 1, "gpu:GPU-1", { "prefers GPU" } },
    { "unknown free memory fits", 2, { -1 }, { true }, {0}, {0}, false, { -1, -1 }, 40 * GiB, 640, 360,
      LADDER_CODEC_H264, LADDER_WHEN_BUSY_WAIT, LADDER_ROUTE_GPU, 1, "gpu:GPU-1", { "small job" } },
};

static void run_case(const route_case *c)
{
    ladder_device_info devs[4];
    const ladder_device_info *ptrs[4];
    devs[0] = fake_cpu(0, 16, 64 * GiB);
    for (int i = 1; i < c->nb; i++) {
        char uuid[16];
        snprintf(uuid, sizeof(uuid), "GPU-%d", i);
        devs[i] = fake_gpu(i, uuid, 16 * GiB, c->gpu_free[i - 1], c->gpu_nvenc[i - 1], c->gpu_av1[i - 1]);
    }
    for (int i = 0; i < c->nb; i++)
        ptrs[i] = &devs[i];
    ladder_estimate e;
    memset(&e, 0, sizeof(e));
    e.nb_rungs = 1;
    e.rungs[0].width = c->width;
    e.rungs[0].height = c->height;
    e.rungs[0].codec = c->codec;
    e.gpu_total_bytes = c->need;
    ladder_route_input in = {
        .estimate = &e,
        .devices = ptrs,
        .nb_devices = c->nb,
        .allowed = c->filter ? c->allowed : NULL,
        .free_slots = c->slots,
        .rules = { .gpu_memory_reserve = 512 * MiB, .small_job_max_pixels = 1280 * 720, .when_busy = c->when_busy },
    };
    ladder_route r;
    ladder_route_decide(&in, &r);
    if (r.kind != c->want || r.device != c->want_device || strcmp(r.target, c->want_target))
        fail_msg("%s: got %s device %d target %s (%s)", c->what, ladder_route_kind_name(r.kind), r.device,
                 r.target, r.reason);
    for (int k = 0; k < 3 && c->want_reason[k]; k++)
        if (!strstr(r.reason, c->want_reason[k]))
            fail_msg("%s: reason \"%s\" lacks \"%s\"", c->what, r.reason, c->want_reason[k]);
    assert_null(strchr(r.reason, '\n'));
}

static void test_route_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
}

/* The reserve is a rule, not a constant: moving it moves the decision. */
static void test_reserve_rule(void **state)
{
    (void)state;
    ladder_device_info cpu = fake_cpu(0, 8, 32 * GiB);
    ladder_device_info gpu = fake_gpu(1, "GPU-r", 16 * GiB, 4 * GiB, true, false);
    const ladder_device_info *devs[] = { &cpu, &gpu };
    ladder_estimate e;
    memset(&e, 0, sizeof(e));
    e.nb_rungs = 1;
    e.rungs[0].width = 640;
    e.rungs[0].height = 360;
    e.gpu_total_bytes = 3 * GiB;
    ladder_route_input in = { .estimate = &e, .devices = devs, .nb_devices = 2,
                              .rules = { .gpu_memory_reserve = 512 * MiB, .small_job_max_pixels = 1280 * 720 } };
    ladder_route r;
    ladder_route_decide(&in, &r);
    assert_int_equal(r.kind, LADDER_ROUTE_GPU);
    in.rules.gpu_memory_reserve = 2 * GiB;
    ladder_route_decide(&in, &r);
    assert_int_equal(r.kind, LADDER_ROUTE_CPU);
    assert_non_null(strstr(r.reason, "reserve 2.0 GiB"));
    /* And the small-job threshold: at 1 pixel every job is large and takes
     * the free CPU; at 0 there is no size rule and a fitting job takes the GPU. */
    in.rules.gpu_memory_reserve = 0;
    in.rules.small_job_max_pixels = 1;
    ladder_route_decide(&in, &r);
    assert_int_equal(r.kind, LADDER_ROUTE_CPU);
    assert_non_null(strstr(r.reason, "prefers CPU"));
    in.rules.small_job_max_pixels = 0;
    e.rungs[0].width = 3840;
    e.rungs[0].height = 2160;
    ladder_route_decide(&in, &r);
    assert_int_equal(r.kind, LADDER_ROUTE_GPU);
    assert_non_null(strstr(r.reason, "no size rule"));
}

/* A GPU's target is in its vendor's numbering, not the inventory's: the
 * CLI turns it into --devices nvidia:gpu=N or intel:gpu=N. */
static void test_targets_in_vendor_numbering(void **state)
{
    (void)state;
    ladder_device_info cpu = fake_cpu(0, 8, 32 * GiB);
    ladder_device_info nv = fake_gpu(1, "", 16 * GiB, 8 * GiB, true, false);  /* no UUID: CUDA 0 */
    ladder_device_info arc = fake_gpu(1, "", -1, -1, true, false);
    arc.kind = LADDER_DEVICE_INTEL;                                          /* adapter 0 */
    ladder_estimate e;
    memset(&e, 0, sizeof(e));
    e.nb_rungs = 1;
    e.rungs[0].width = 640;
    e.rungs[0].height = 360;
    e.gpu_total_bytes = 1 * GiB;
    ladder_route r;
    const ladder_device_info *with_nv[] = { &cpu, &nv };
    ladder_route_input in = { .estimate = &e, .devices = with_nv, .nb_devices = 2,
                              .rules = { .gpu_memory_reserve = 512 * MiB, .small_job_max_pixels = 1280 * 720 } };
    ladder_route_decide(&in, &r);
    assert_int_equal(r.kind, LADDER_ROUTE_GPU);
    assert_string_equal(r.target, "gpu:0");
    const ladder_device_info *with_arc[] = { &cpu, &arc };
    in.devices = with_arc;
    ladder_route_decide(&in, &r);
    assert_int_equal(r.kind, LADDER_ROUTE_GPU);
    assert_int_equal(r.device, 1);
    assert_string_equal(r.target, "intel:0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_table),
        cmocka_unit_test(test_reserve_rule),
        cmocka_unit_test(test_targets_in_vendor_numbering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
