/* Device requests against a host's devices: UUID pinning, indexes,
 * free-memory floors, vendor families, auto, and a clear reason (and
 * LADDER_ENODEVICE) when nothing matches. The host is a fake inventory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "pool/device_select.h"
#include "ladder/error.h"

#define GIB ((int64_t)1 << 30)

static ladder_device_info gpu(int index, const char *name, const char *uuid, bool nvenc, int64_t free_bytes)
{
    ladder_device_info d = { .kind = LADDER_DEVICE_NVIDIA, .vendor_index = index, .memory_total = 80 * GIB,
                             .memory_free = free_bytes, .encoder_sessions = 1 };
    snprintf(d.name, sizeof(d.name), "%s", name);
    snprintf(d.uuid, sizeof(d.uuid), "%s", uuid);
    d.role = nvenc ? LADDER_ROLE_ENCODE : LADDER_ROLE_DECODE_ONLY;
    d.encode[LADDER_VIDEO_H264].usable = nvenc;
    d.encode[LADDER_VIDEO_HEVC].usable = nvenc;
    if (!nvenc)
        snprintf(d.reason, sizeof(d.reason), "NVDEC only: NVENC session refused (NV_ENC_ERR_UNSUPPORTED_DEVICE)");
    return d;
}

static ladder_device_info host[3];
static ladder_device_spec req[8], out[LADDER_MAX_DEVICES];
static char why[256];

static int setup(void **state)
{
    (void)state;
    host[0] = (ladder_device_info){ .kind = LADDER_DEVICE_CPU, .cores = 16 };
    host[1] = gpu(0, "NVIDIA H100", "GPU-aaaaaaaa-0000-0000-0000-000000000000", false, 70 * GIB);
    host[2] = gpu(1, "NVIDIA L4", "GPU-bbbbbbbb-0000-0000-0000-000000000000", true, 20 * GIB);
    return 0;
}

static int select_text(const char *text, int *nb)
{
    int nreq = 0;
    assert_int_equal(ladder_device_spec_parse(text, 16, req, 8, &nreq, why, sizeof(why)), 0);
    why[0] = '\0';
    return ladder_device_select(req, nreq, host, 3, "", 16, out, LADDER_MAX_DEVICES, nb, why, sizeof(why));
}

static void test_family_skips_decode_only(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(select_text("cpu:4,nvidia", &nb), 0);
    assert_int_equal(nb, 2);
    assert_string_equal(out[0].name, "cpu");
    assert_string_equal(out[1].name, "nvidia1");       /* the L4, not the H100 */
    assert_int_equal(out[1].gpu, 1);
    assert_string_equal(out[1].uuid, "GPU-bbbbbbbb-0000-0000-0000-000000000000");
    assert_int_equal(out[1].slots, 1);
}

static void test_pinning(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(select_text("nvidia:2:uuid=GPU-bbbbbbbb-0000-0000-0000-000000000000:name=l4", &nb), 0);
    assert_int_equal(nb, 1);
    assert_string_equal(out[0].name, "l4");
    assert_int_equal(out[0].gpu, 1);
    assert_int_equal(out[0].slots, 2);
    assert_int_equal(select_text("nvidia:gpu=1", &nb), 0);
    assert_int_equal(out[0].gpu, 1);
    /* The H100 by UUID or index: it exists, but cannot encode. */
    assert_int_equal(select_text("nvidia:uuid=GPU-aaaaaaaa-0000-0000-0000-000000000000", &nb), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "H100"));
    assert_non_null(strstr(why, "NVENC"));
    assert_int_equal(select_text("nvidia:gpu=0", &nb), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "NV_ENC_ERR_UNSUPPORTED_DEVICE"));
    assert_int_equal(select_text("nvidia:uuid=GPU-cccccccc-0000-0000-0000-000000000000", &nb), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no GPU matches"));
}

static void test_free_memory_floor(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(select_text("nvidia:min-free=16G", &nb), 0);
    assert_int_equal(nb, 1);
    assert_int_equal(select_text("nvidia:min-free=32G", &nb), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "20.0 GiB free, 32.0 GiB asked"));
}

static void test_auto_and_no_gpu(void **state)
{
    (void)state;
    int nb = 0;
    assert_int_equal(select_text("auto", &nb), 0);
    assert_int_equal(nb, 2);
    assert_string_equal(out[0].kind, "cpu");
    assert_int_equal(out[0].slots, 16);
    assert_string_equal(out[1].kind, "nvidia");
    /* A host without NVIDIA GPUs: auto is the CPU, nvidia is an error that
     * says why. */
    int nreq = 0;
    assert_int_equal(ladder_device_spec_parse("auto", 2, req, 8, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, host, 1, "libcuda.so.1 not found", 2, out, LADDER_MAX_DEVICES,
                                          &nb, why, sizeof(why)), 0);
    assert_int_equal(nb, 1);
    assert_int_equal(ladder_device_spec_parse("cpu,nvidia", 2, req, 8, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, host, 1, "libcuda.so.1 not found", 2, out, LADDER_MAX_DEVICES,
                                          &nb, why, sizeof(why)), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no NVIDIA GPU on this host (libcuda.so.1 not found)"));
    assert_true(ladder_device_request_needs_host(req, nreq));
    assert_false(ladder_device_request_needs_host(req, 1));
}

/* Intel GPUs: `intel` is every QSV-capable adapter, auto adds them after
 * the NVENC GPUs, and a host without one says so. */
static void test_intel(void **state)
{
    (void)state;
    ladder_device_info hosts[4];
    memcpy(hosts, host, sizeof(host));
    ladder_device_info arc = { .kind = LADDER_DEVICE_INTEL, .vendor_index = 0, .memory_total = -1, .memory_free = -1,
                               .encoder_sessions = 1, .role = LADDER_ROLE_ENCODE };
    snprintf(arc.name, sizeof(arc.name), "Intel Arc A380");
    arc.encode[LADDER_VIDEO_H264].usable = arc.encode[LADDER_VIDEO_HEVC].usable = true;
    hosts[3] = arc;
    int nreq = 0, nb = 0;
    assert_int_equal(ladder_device_spec_parse("cpu:2,intel:2", 16, req, 8, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, hosts, 4, "", 16, out, LADDER_MAX_DEVICES, &nb, why, sizeof(why)),
                     0);
    assert_int_equal(nb, 2);
    assert_string_equal(out[1].kind, "intel");
    assert_string_equal(out[1].name, "intel0");
    assert_int_equal(out[1].gpu, 0);
    assert_int_equal(out[1].slots, 2);
    assert_int_equal(ladder_device_spec_parse("auto", 16, req, 8, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, hosts, 4, "", 16, out, LADDER_MAX_DEVICES, &nb, why, sizeof(why)),
                     0);
    assert_int_equal(nb, 3);   /* the CPU, the L4 (NVENC), the Arc; not the H100 */
    assert_string_equal(out[0].kind, "cpu");
    assert_string_equal(out[1].name, "nvidia1");
    assert_string_equal(out[2].name, "intel0");
    /* An Arc without usable encoders, and a host without any. */
    hosts[3].role = LADDER_ROLE_DECODE_ONLY;
    snprintf(hosts[3].reason, sizeof(hosts[3].reason), "no QSV encoder in this FFmpeg");
    assert_int_equal(ladder_device_spec_parse("intel", 16, req, 8, &nreq, why, sizeof(why)), 0);
    assert_int_equal(ladder_device_select(req, nreq, hosts, 4, "", 16, out, LADDER_MAX_DEVICES, &nb, why, sizeof(why)),
                     LADDER_ENODEVICE);
    assert_non_null(strstr(why, "Intel Arc A380: no QSV encoder in this FFmpeg"));
    assert_int_equal(ladder_device_select(req, nreq, hosts, 3, "", 16, out, LADDER_MAX_DEVICES, &nb, why, sizeof(why)),
                     LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no Intel GPU on this host"));
}

/* A GPU request without SLOTS gets the sessions the inventory planned for
 * each GPU (one per NVENC engine); a SLOTS count wins; auto as the former. */
static void test_slots_default_from_inventory(void **state)
{
    (void)state;
    host[2].encoder_sessions = 2;      /* an L4: two NVENC engines */
    int nb = 0;
    assert_int_equal(select_text("cpu:4,nvidia", &nb), 0);
    assert_int_equal(out[1].gpu, 1);
    assert_int_equal(out[1].slots, 2);
    assert_false(out[1].slots_default);
    assert_int_equal(select_text("nvidia:gpu=1", &nb), 0);
    assert_int_equal(out[0].slots, 2);
    assert_int_equal(select_text("nvidia:1", &nb), 0);
    assert_int_equal(out[0].slots, 1);
    assert_int_equal(select_text("nvidia:3:gpu=1", &nb), 0);
    assert_int_equal(out[0].slots, 3);
    assert_int_equal(select_text("auto", &nb), 0);
    assert_string_equal(out[1].kind, "nvidia");
    assert_int_equal(out[1].slots, 2);
    /* An inventory that says nothing (a hand-made or old one): 1. */
    host[2].encoder_sessions = 0;
    assert_int_equal(select_text("nvidia", &nb), 0);
    assert_int_equal(out[0].slots, 1);
}

/* MIG instances are asked for by their own UUID, as nvidia-smi spells it. */
static void test_mig_uuid_request(void **state)
{
    (void)state;
    snprintf(host[2].uuid, sizeof(host[2].uuid), "MIG-bbbbbbbb-1111-2222-3333-444444444444");
    int nb = 0;
    assert_int_equal(select_text("nvidia:uuid=MIG-bbbbbbbb-1111-2222-3333-444444444444", &nb), 0);
    assert_int_equal(nb, 1);
    assert_int_equal(out[0].gpu, 1);
    assert_string_equal(out[0].uuid, "MIG-bbbbbbbb-1111-2222-3333-444444444444");
    assert_int_equal(select_text("nvidia:uuid=MIG-cccccccc-1111-2222-3333-444444444444", &nb), LADDER_ENODEVICE);
    assert_non_null(strstr(why, "no GPU matches"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_family_skips_decode_only, setup),
        cmocka_unit_test_setup(test_pinning, setup),
        cmocka_unit_test_setup(test_free_memory_floor, setup),
        cmocka_unit_test_setup(test_auto_and_no_gpu, setup),
        cmocka_unit_test_setup(test_intel, setup),
        cmocka_unit_test_setup(test_slots_default_from_inventory, setup),
        cmocka_unit_test_setup(test_mig_uuid_request, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
