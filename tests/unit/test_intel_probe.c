/*
 * Intel adapters by PCI address: the sysfs scan on fake /sys/class/drm
 * trees (renderD128 an NVIDIA GPU, renderD129 an Arc A380 at 03:00.0,
 * renderD130 an Alder Lake iGPU at 00:02.0), the Intel probe on fake
 * oneVPL implementation lists (a software implementation first, two
 * runtimes describing one adapter, implementations without an extended
 * device id, two adapters sharing a device id) and a fake of FFmpeg's
 * Quick Sync path, which has the last word on every codec. Then the
 * adapter's render node on its way to the engine: the inventory file,
 * the decode device, qsv_device_create().
 *
 * What every case guards: a device is reached by its own render node,
 * never by 128 + an implementation or inventory index.
 */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include <ftw.h>
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

#include <libavutil/log.h>

#include "device_probe.h"
#include "intel_nodes.h"
#include "pool/decode_select.h"
#include "ladder/device_inventory.h"
#include "ladder/error.h"
#include "qsv_device.h"

/* ---- fake sysfs trees ------------------------------------------------------ */

static char sysfs[64];

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* <root>/pci/<address>/{vendor,device} and <root>/renderD<minor>/device
 * linking to it, as the kernel lays them out. */
static void add_node(int minor, const char *address, unsigned vendor, unsigned device)
{
    char dir[256], path[320], link[256];
    snprintf(dir, sizeof(dir), "%s/pci/%s", sysfs, address);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(path, sizeof(path), "%s/vendor", dir);
    char text[16];
    snprintf(text, sizeof(text), "0x%04x\n", vendor);
    write_text(path, text);
    snprintf(path, sizeof(path), "%s/device", dir);
    snprintf(text, sizeof(text), "0x%04x\n", device);
    write_text(path, text);
    snprintf(link, sizeof(link), "%s/renderD%d", sysfs, minor);
    assert_int_equal(mkdir(link, 0755), 0);
    snprintf(path, sizeof(path), "%s/device", link);
    assert_int_equal(symlink(dir, path), 0);
}

enum { NVIDIA_128 = 1, ARC_129 = 2, IGPU_130 = 4, ARC2_130 = 8 };

static void make_sysfs(int which)
{
    snprintf(sysfs, sizeof(sysfs), "/tmp/ladder-test-drm-XXXXXX");
    assert_non_null(mkdtemp(sysfs));
    char path[128];
    snprintf(path, sizeof(path), "%s/pci", sysfs);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/card0", sysfs); /* not a render node */
    assert_int_equal(mkdir(path, 0755), 0);
    if (which & NVIDIA_128)
        add_node(128, "0000:01:00.0", 0x10de, 0x2684);
    if (which & ARC_129)
        add_node(129, "0000:03:00.0", 0x8086, 0x56a0);
    if (which & IGPU_130)
        add_node(130, "0000:00:02.0", 0x8086, 0x4680);
    if (which & ARC2_130)
        add_node(130, "0000:04:00.0", 0x8086, 0x56a0);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int drop_sysfs(void **state)
{
    if (sysfs[0])
        nftw(sysfs, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    sysfs[0] = '\0';
    return 0;
}

static void test_scan_lists_intel_nodes_in_pci_order(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129 | IGPU_130);
    intel_node nodes[INTEL_NODES_MAX];
    assert_int_equal(intel_nodes_scan(sysfs, nodes, INTEL_NODES_MAX), 2);
    /* The iGPU's address sorts first though its node number is higher;
     * the NVIDIA GPU at renderD128 is no Intel adapter. */
    assert_string_equal(nodes[0].path, "/dev/dri/renderD130");
    assert_string_equal(nodes[0].bus_id, "00000000:00:02.0");
    assert_int_equal(nodes[0].device_id, 0x4680);
    assert_string_equal(nodes[1].path, "/dev/dri/renderD129");
    assert_string_equal(nodes[1].bus_id, "00000000:03:00.0");
    assert_int_equal(nodes[1].device_id, 0x56a0);
    assert_int_equal(nodes[1].minor, 129);
    assert_int_equal(intel_nodes_scan("/nonexistent/drm", nodes, INTEL_NODES_MAX), 0);
}

#ifdef LADDER_HAVE_VPL
/* ---- a fake oneVPL dispatcher ---------------------------------------------- */

typedef struct fake_impl {
    mfxImplDescription desc;
    bool has_ext;
    mfxExtendedDeviceId ext;
} fake_impl;

static struct {
    fake_impl impls[6];
    int nb;
    int handed, released, ext_asked, loads, unloads;
} vpl;

static mfxLoader fake_MFXLoad(void)
{
    vpl.loads++;
    return (mfxLoader)&vpl;
}

static void fake_MFXUnload(mfxLoader loader)
{
    vpl.unloads++;
}

static mfxStatus fake_MFXEnumImplementations(mfxLoader loader, mfxU32 i,
                                             mfxImplCapsDeliveryFormat format, mfxHDL *idesc)
{
    if ((int)i >= vpl.nb)
        return MFX_ERR_NOT_FOUND;
    if (format == MFX_IMPLCAPS_DEVICE_ID_EXTENDED) {
        vpl.ext_asked++;
        if (!vpl.impls[i].has_ext)
            return MFX_ERR_UNSUPPORTED;
        *idesc = &vpl.impls[i].ext;
    } else {
        assert_int_equal(format, MFX_IMPLCAPS_IMPLDESCSTRUCTURE);
        *idesc = &vpl.impls[i].desc;
    }
    vpl.handed++;
    return MFX_ERR_NONE;
}

static mfxStatus fake_MFXDispReleaseImplDescription(mfxLoader loader, mfxHDL hdl)
{
    vpl.released++;
    return MFX_ERR_NONE;
}

static int fake_intel_open(ladder_vpl_api *api, char *why, size_t why_size)
{
    api->MFXLoad = fake_MFXLoad;
    api->MFXUnload = fake_MFXUnload;
    api->MFXEnumImplementations = fake_MFXEnumImplementations;
    api->MFXDispReleaseImplDescription = fake_MFXDispReleaseImplDescription;
    return 0;
}

static void fake_intel_close(ladder_vpl_api *api)
{
}

static mfxU32 nv12_p010[] = { MFX_FOURCC_NV12, MFX_FOURCC_P010 };
static struct encmemdesc enc_mem[1] = {
    { .Width = { 64, 8192, 16 }, .Height = { 64, 8192, 16 }, .NumColorFormats = 2, .ColorFormats = nv12_p010 },
};
static struct encprofile enc_profiles[1] = { { .NumMemTypes = 1, .MemDesc = enc_mem } };
static struct encoder gen_encoders[3] = {
    { .CodecID = MFX_CODEC_AVC, .BiDirectionalPrediction = 1, .NumProfiles = 1, .Profiles = enc_profiles },
    { .CodecID = MFX_CODEC_HEVC, .BiDirectionalPrediction = 1, .NumProfiles = 1, .Profiles = enc_profiles },
    { .CodecID = MFX_CODEC_AV1, .NumProfiles = 1, .Profiles = enc_profiles },
};
static struct decmemdesc dec_mem[1] = {
    { .Width = { 16, 16384, 16 }, .Height = { 16, 16384, 16 }, .NumColorFormats = 2, .ColorFormats = nv12_p010 },
};
static struct decprofile dec_profiles[1] = { { .NumMemTypes = 1, .MemDesc = dec_mem } };
static struct decoder gen_decoders[2] = {
    { .CodecID = MFX_CODEC_AVC, .NumProfiles = 1, .Profiles = dec_profiles },
    { .CodecID = MFX_CODEC_HEVC, .NumProfiles = 1, .Profiles = dec_profiles },
};
static struct decoder vp9_decoder[1] = {
    { .CodecID = MFX_CODEC_VP9, .NumProfiles = 1, .Profiles = dec_profiles },
};

static fake_impl *add_impl(const char *name, mfxImplType type, int api_minor, const char *device_id)
{
    fake_impl *f = &vpl.impls[vpl.nb++];
    f->desc.Impl = type;
    f->desc.ApiVersion.Major = api_minor >= 0 ? 2 : 1;
    f->desc.ApiVersion.Minor = (mfxU16)(api_minor >= 0 ? api_minor : 35);
    snprintf(f->desc.ImplName, sizeof(f->desc.ImplName), "%s", name);
    snprintf(f->desc.Dev.DeviceID, sizeof(f->desc.Dev.DeviceID), "%s", device_id);
    f->desc.Enc.NumCodecs = 3;
    f->desc.Enc.Codecs = gen_encoders;
    f->desc.Dec.NumCodecs = 2;
    f->desc.Dec.Codecs = gen_decoders;
    return f;
}

/* The oneVPL GPU runtime (API 2.8) with its adapter's extended id. */
static fake_impl *gen_impl(const char *device_id, unsigned bus, unsigned slot, unsigned render)
{
    fake_impl *f = add_impl("mfx-gen", MFX_IMPL_TYPE_HARDWARE, 8, device_id);
    f->has_ext = true;
    f->ext.VendorID = 0x8086;
    f->ext.DeviceID = (mfxU16)strtoul(device_id, NULL, 16);
    f->ext.PCIBus = bus;
    f->ext.PCIDevice = slot;
    f->ext.DRMRenderNodeNum = render;
    return f;
}

/* ---- a fake of FFmpeg's Quick Sync path ------------------------------------ */

static struct {
    const char *refuse_node;      /* no session opens on this node */
    const char *refuse[4];        /* "hevc_qsv:8@/dev/dri/renderD129" never opens */
    char tried[16][64];           /* what was opened, in order */
    int nb_tried, opens, closes;
} qsv;

static int fake_qsv_open(void **session, const char *node, char *why, size_t why_size)
{
    if (qsv.refuse_node && !strcmp(node, qsv.refuse_node)) {
        snprintf(why, why_size, "no QSV device: Unknown error occurred");
        return -1;
    }
    qsv.opens++;
    *session = strdup(node);
    return 0;
}

static int fake_qsv_try_encoder(void *session, const char *encoder, int bit_depth, char *why,
                                size_t why_size)
{
    char key[64];
    snprintf(key, sizeof(key), "%s:%d@%s", encoder, bit_depth, (const char *)session);
    if (qsv.nb_tried < 16)
        snprintf(qsv.tried[qsv.nb_tried++], sizeof(qsv.tried[0]), "%s", key);
    for (int i = 0; i < 4 && qsv.refuse[i]; i++)
        if (!strcmp(qsv.refuse[i], key)) {
            snprintf(why, why_size, "%s: Invalid argument", encoder);
            return -22;
        }
    return 0;
}

static void fake_qsv_close(void **session)
{
    qsv.closes++;
    free(*session);
    *session = NULL;
}

static const ladder_qsv_path fake_qsv = { fake_qsv_open, fake_qsv_try_encoder, fake_qsv_close };

static bool tried(const char *key)
{
    for (int i = 0; i < qsv.nb_tried; i++)
        if (!strcmp(qsv.tried[i], key))
            return true;
    return false;
}

/* ---- the probe with those fakes -------------------------------------------- */

static int no_nvidia(ladder_nvidia_api *api, char *why, size_t why_size)
{
    snprintf(why, why_size, "libcuda.so.1 not found");
    return LADDER_ECODEC;
}

static void no_nvidia_close(ladder_nvidia_api *api)
{
}

/* FFmpeg 5.1: every QSV decoder, no av1_qsv encoder. */
static bool has_encoder(const char *name)
{
    return strcmp(name, "av1_qsv") != 0;
}

static bool has_decoder(const char *name)
{
    return true;
}

static int reset(void **state)
{
    memset(&vpl, 0, sizeof(vpl));
    memset(&qsv, 0, sizeof(qsv));
    sysfs[0] = '\0';
    return 0;
}

static ladder_device_inventory *probe(void)
{
    ladder_device_drivers drivers = {
        .nvidia_open = no_nvidia, .nvidia_close = no_nvidia_close,
        .intel_open = fake_intel_open, .intel_close = fake_intel_close,
        .has_encoder = has_encoder, .has_decoder = has_decoder,
        .drm_sysfs_root = sysfs, .qsv = &fake_qsv,
    };
    ladder_device_inventory *inv = NULL;
    assert_int_equal(ladder_device_inventory_probe_with(&inv, &drivers), 0);
    /* Every description handed out was handed back, every session closed. */
    assert_int_equal(vpl.released, vpl.handed);
    assert_int_equal(vpl.unloads, vpl.loads);
    assert_int_equal(qsv.closes, qsv.opens);
    return inv;
}

static const ladder_device_info *intel(const ladder_device_inventory *inv, int n)
{
    int seen = 0;
    for (int i = 0; i < ladder_device_inventory_count(inv); i++) {
        const ladder_device_info *d = ladder_device_inventory_device(inv, i);
        if (d->kind == LADDER_DEVICE_INTEL && seen++ == n)
            return d;
    }
    fail_msg("no Intel device %d", n);
    abort();                      /* not reached: fail_msg() does not return */
}

static int intel_count(const ladder_device_inventory *inv)
{
    return ladder_device_inventory_vendor(inv, LADDER_DEVICE_INTEL)->devices;
}

/* NVIDIA holds renderD128, the Arc renderD129; oneVPL lists a software
 * implementation first. The Arc is Intel adapter 0 and implementation 1:
 * neither number leads to its node. */
static void test_arc_behind_nvidia_gets_its_own_node(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129);
    /* A software implementation naming the Arc's device id: skipped. */
    add_impl("software", MFX_IMPL_TYPE_SOFTWARE, 8, "56a0/0")->desc.Enc.NumCodecs = 0;
    gen_impl("56a0/0", 3, 0, 129);
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 1);
    const ladder_device_info *arc = intel(inv, 0);
    assert_int_equal(arc->vendor_index, 0);
    assert_string_equal(arc->render_node, "/dev/dri/renderD129");
    assert_string_equal(arc->bus_id, "00000000:03:00.0");
    assert_string_equal(arc->name, "Intel GPU 56a0 (mfx-gen)");
    assert_int_equal(arc->role, LADDER_ROLE_ENCODE);
    assert_true(arc->encode[LADDER_VIDEO_H264].usable);
    assert_true(arc->encode[LADDER_VIDEO_HEVC].ten_bit);
    assert_int_equal(arc->encoder_sessions, 1);
    assert_true(arc->encode[LADDER_VIDEO_H264].bframes);
    assert_int_equal(arc->encode[LADDER_VIDEO_HEVC].max_height, 8192);
    assert_false(arc->encode[LADDER_VIDEO_AV1].usable); /* FFmpeg 5.1 has no av1_qsv encoder */
    assert_string_equal(arc->encode[LADDER_VIDEO_AV1].note,
                        "AV1 encode: GPU can, but this FFmpeg build has no av1_qsv");
    assert_int_equal(arc->decode[LADDER_VIDEO_HEVC].max_width, 16384);
    assert_false(arc->decode[LADDER_VIDEO_AV1].device);
    assert_string_equal(arc->decode[LADDER_VIDEO_AV1].note, "this GPU's oneVPL runtime cannot decode av1");
    /* FFmpeg tried its encoders on the Arc's node, and on no other. */
    assert_true(tried("h264_qsv:8@/dev/dri/renderD129"));
    assert_true(tried("hevc_qsv:10@/dev/dri/renderD129"));
    assert_false(tried("h264_qsv:8@/dev/dri/renderD128"));
    assert_false(tried("av1_qsv:8@/dev/dri/renderD129"));
    ladder_device_inventory_close(inv);
}

/* Both Intel GPUs, listed Arc first by the dispatcher: the inventory is in
 * PCI order (the iGPU at 00:02.0 is intel0) and each keeps its node. */
static void test_two_adapters_by_pci_address(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129 | IGPU_130);
    add_impl("software", MFX_IMPL_TYPE_SOFTWARE, 8, "0000/0");
    gen_impl("56a0/0", 3, 0, 129);
    gen_impl("4680/1", 0, 2, 130);
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 2);
    const ladder_device_info *igpu = intel(inv, 0), *arc = intel(inv, 1);
    assert_string_equal(igpu->bus_id, "00000000:00:02.0");
    assert_string_equal(igpu->render_node, "/dev/dri/renderD130");
    assert_int_equal(igpu->vendor_index, 0);
    assert_string_equal(arc->bus_id, "00000000:03:00.0");
    assert_string_equal(arc->render_node, "/dev/dri/renderD129");
    assert_int_equal(arc->vendor_index, 1);
    assert_true(tried("h264_qsv:8@/dev/dri/renderD130"));
    ladder_device_inventory_close(inv);
}

/* Two Arcs, one device id, listed against PCI order: their extended ids
 * put each description on its own adapter (the one at 04:00.0 encodes
 * HEVC, the one at 03:00.0 does not), with no guess to report. */
static void test_extended_id_beats_listing_order(void **state)
{
    make_sysfs(ARC_129 | ARC2_130);
    gen_impl("56a0/0", 4, 0, 130);
    gen_impl("56a0/1", 3, 0, 129)->desc.Enc.NumCodecs = 1;
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 2);
    const ladder_device_info *a = intel(inv, 0), *b = intel(inv, 1);
    assert_string_equal(a->bus_id, "00000000:03:00.0");
    assert_false(a->encode[LADDER_VIDEO_HEVC].device);
    assert_string_equal(b->bus_id, "00000000:04:00.0");
    assert_true(b->encode[LADDER_VIDEO_HEVC].usable);
    assert_true(tried("hevc_qsv:8@/dev/dri/renderD130"));
    assert_false(tried("hevc_qsv:8@/dev/dri/renderD129"));
    assert_string_equal(a->reason, "");
    assert_string_equal(b->reason, "");
    ladder_device_inventory_close(inv);
}

/* The oneVPL GPU runtime and a Media SDK runtime (API 1.x: no extended
 * id) describe the same Arc: one device, their codec lists united. */
static void test_two_runtimes_one_adapter(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129 | IGPU_130);
    gen_impl("56a0/0", 3, 0, 129);
    fake_impl *msdk = add_impl("msdk", MFX_IMPL_TYPE_HARDWARE, -1, "56a0/0");
    msdk->desc.Enc.NumCodecs = 1; /* H.264 only */
    msdk->desc.Dec.NumCodecs = 1;
    msdk->desc.Dec.Codecs = vp9_decoder;
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 2);
    const ladder_device_info *arc = intel(inv, 1);
    assert_string_equal(arc->render_node, "/dev/dri/renderD129");
    assert_string_equal(arc->name, "Intel GPU 56a0 (mfx-gen)");
    assert_true(arc->decode[LADDER_VIDEO_H264].usable);  /* the GPU runtime's */
    assert_true(arc->decode[LADDER_VIDEO_VP9].usable);   /* Media SDK's */
    assert_true(arc->encode[LADDER_VIDEO_HEVC].usable);
    assert_string_equal(arc->reason, "");
    /* No runtime describes the iGPU: listed, excluded, never opened. */
    const ladder_device_info *igpu = intel(inv, 0);
    assert_int_equal(igpu->role, LADDER_ROLE_EXCLUDED);
    assert_string_equal(igpu->render_node, "/dev/dri/renderD130");
    assert_non_null(strstr(igpu->reason, "no oneVPL hardware implementation describes this adapter"));
    assert_false(tried("h264_qsv:8@/dev/dri/renderD130"));
    ladder_device_inventory_close(inv);
}

/* No extended id (an API 2.4 runtime is not asked; a 2.8 one whose
 * dispatcher refuses the query falls back): the PCI device id finds the
 * adapter in sysfs. */
static void test_device_id_without_extended_id(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129 | IGPU_130);
    add_impl("mfx-gen", MFX_IMPL_TYPE_HARDWARE, 4, "56a0/0");
    add_impl("mfx-gen", MFX_IMPL_TYPE_HARDWARE, 8, "4680/1");
    ladder_device_inventory *inv = probe();
    assert_int_equal(vpl.ext_asked, 1);
    assert_int_equal(intel_count(inv), 2);
    assert_string_equal(intel(inv, 0)->render_node, "/dev/dri/renderD130");
    assert_string_equal(intel(inv, 0)->bus_id, "00000000:00:02.0");
    assert_string_equal(intel(inv, 1)->render_node, "/dev/dri/renderD129");
    assert_string_equal(intel(inv, 1)->reason, "");
    ladder_device_inventory_close(inv);
}

/* Two Arcs, one device id, no extended ids: PCI order decides, and the
 * reasons say it was a guess. A second runtime's "56a0/1" is the second
 * Arc again, not a third device. */
static void test_shared_device_id_in_pci_order(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129 | ARC2_130);
    add_impl("mfx-gen", MFX_IMPL_TYPE_HARDWARE, 4, "56a0/0");
    add_impl("mfx-gen", MFX_IMPL_TYPE_HARDWARE, 4, "56a0/1");
    fake_impl *msdk = add_impl("msdk", MFX_IMPL_TYPE_HARDWARE, -1, "56a0/1");
    msdk->desc.Dec.NumCodecs = 1;
    msdk->desc.Dec.Codecs = vp9_decoder;
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 2);
    const ladder_device_info *a = intel(inv, 0), *b = intel(inv, 1);
    assert_string_equal(a->render_node, "/dev/dri/renderD129");
    assert_string_equal(b->render_node, "/dev/dri/renderD130");
    assert_string_equal(b->bus_id, "00000000:04:00.0");
    assert_int_equal(a->role, LADDER_ROLE_ENCODE);
    assert_non_null(strstr(a->reason, "2 adapters share device id 56a0"));
    assert_non_null(strstr(a->reason, "taken as 00000000:03:00.0 by PCI order"));
    assert_non_null(strstr(b->reason, "taken as 00000000:04:00.0 by PCI order"));
    assert_true(b->decode[LADDER_VIDEO_VP9].usable);  /* Media SDK's "56a0/1" */
    assert_false(a->decode[LADDER_VIDEO_VP9].device);
    ladder_device_inventory_close(inv);
}

/* oneVPL describes both GPUs, but FFmpeg's dispatcher opens no session on
 * the Arc (libmfx.so.1 loaded a runtime that cannot drive it), and the
 * iGPU's H.264 encoder opens 8-bit only: FFmpeg's answers stand. */
static void test_ffmpeg_has_the_last_word(void **state)
{
    make_sysfs(NVIDIA_128 | ARC_129 | IGPU_130);
    gen_impl("56a0/0", 3, 0, 129);
    gen_impl("4680/1", 0, 2, 130);
    qsv.refuse_node = "/dev/dri/renderD129";
    qsv.refuse[0] = "h264_qsv:10@/dev/dri/renderD130";
    qsv.refuse[1] = "hevc_qsv:8@/dev/dri/renderD130";
    ladder_device_inventory *inv = probe();
    const ladder_device_info *igpu = intel(inv, 0), *arc = intel(inv, 1);
    assert_int_equal(arc->role, LADDER_ROLE_EXCLUDED);
    assert_int_equal(arc->encoder_sessions, 0);
    assert_false(arc->decode[LADDER_VIDEO_H264].usable);
    assert_non_null(strstr(arc->reason, "opens no session on /dev/dri/renderD129"));
    assert_int_equal(igpu->role, LADDER_ROLE_ENCODE);
    assert_true(igpu->encode[LADDER_VIDEO_H264].usable);
    assert_false(igpu->encode[LADDER_VIDEO_H264].ten_bit);
    assert_false(igpu->encode[LADDER_VIDEO_HEVC].usable);
    assert_false(tried("hevc_qsv:10@/dev/dri/renderD130"));
    assert_non_null(strstr(igpu->encode[LADDER_VIDEO_HEVC].note,
                           "FFmpeg's hevc_qsv does not open on /dev/dri/renderD130"));
    ladder_device_inventory_close(inv);
}

/* No Intel node (NVIDIA only, or no sysfs at all): no dispatcher loaded,
 * no session tried, and a reason. */
static void test_no_intel_node_loads_nothing(void **state)
{
    make_sysfs(NVIDIA_128);
    gen_impl("56a0/0", 3, 0, 129);
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 0);
    const char *reason = ladder_device_inventory_vendor(inv, LADDER_DEVICE_INTEL)->reason;
    assert_non_null(strstr(reason, "no Intel render node"));
    assert_non_null(strstr(reason, "oneVPL"));
    assert_int_equal(vpl.loads, 0);
    assert_int_equal(qsv.opens, 0);
    ladder_device_inventory_close(inv);
}

/* Only a software implementation: the Arc is there but nothing drives it. */
static void test_software_only(void **state)
{
    make_sysfs(ARC_129);
    add_impl("software", MFX_IMPL_TYPE_SOFTWARE, 8, "0000/0");
    ladder_device_inventory *inv = probe();
    assert_int_equal(intel_count(inv), 1);
    assert_int_equal(intel(inv, 0)->role, LADDER_ROLE_EXCLUDED);
    assert_string_equal(intel(inv, 0)->render_node, "/dev/dri/renderD129");
    assert_int_equal(qsv.opens, 0);
    ladder_device_inventory_close(inv);
}

#endif /* LADDER_HAVE_VPL */

/* ---- the node on its way to the engine -------------------------------------- */

/* A replayed `ladder devices --json` keeps the node. */
static void test_inventory_file_keeps_render_node(void **state)
{
    char path[] = "/tmp/ladder-test-inventory-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *doc = "{\"devices\": [{\"kind\": \"intel\", \"name\": \"Arc\", \"bus_id\": "
                      "\"00000000:03:00.0\", \"render_node\": \"/dev/dri/renderD129\", \"role\": "
                      "\"encode\"}]}";
    assert_int_equal(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
    close(fd);
    ladder_device_inventory *inv = NULL;
    char err[256];
    assert_int_equal(ladder_device_inventory_load(&inv, path, err, sizeof(err)), 0);
    unlink(path);
    assert_string_equal(ladder_device_inventory_device(inv, 0)->render_node, "/dev/dri/renderD129");
    ladder_device_inventory_close(inv);
}

/* --decode-device intel: the decode device carries the adapter's node. */
static void test_decode_device_carries_render_node(void **state)
{
    ladder_device_info arc = { .kind = LADDER_DEVICE_INTEL, .vendor_index = 0, .role = LADDER_ROLE_ENCODE };
    snprintf(arc.name, sizeof(arc.name), "Intel Arc A380");
    snprintf(arc.render_node, sizeof(arc.render_node), "/dev/dri/renderD129");
    arc.decode[LADDER_VIDEO_H264] = (ladder_codec_support){ .device = true, .library = true, .usable = true };
    ladder_decode_request r;
    char why[256];
    assert_int_equal(ladder_decode_request_parse("intel", &r, why, sizeof(why)), 0);
    const ladder_decode_source src = { "h264", 1280, 720, 8, true };
    ladder_decode_device out;
    assert_int_equal(ladder_decode_select(&r, &arc, 1, "", &src, &out, why, sizeof(why)), 0);
    assert_int_equal(out.kind, LADDER_DECODE_QSV);
    assert_string_equal(out.render_node, "/dev/dri/renderD129");
    assert_non_null(strstr(out.reason, "(QSV, adapter 0) on /dev/dri/renderD129"));
}

/* The engine opens the node it is given ("" = FFmpeg's default adapter);
 * none exists here, so only the name is checked. */
static void test_qsv_device_opens_the_given_node(void **state)
{
    AVBufferRef *ref = NULL;
    char node[64];
    av_log_set_level(AV_LOG_QUIET);
    qsv_device_create(&ref, "/dev/dri/renderD129", node, sizeof(node));
    av_buffer_unref(&ref);
    assert_string_equal(node, "/dev/dri/renderD129");
    qsv_device_create(&ref, "", node, sizeof(node));
    av_buffer_unref(&ref);
    assert_string_equal(node, "the default Intel adapter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_scan_lists_intel_nodes_in_pci_order, drop_sysfs),
#ifdef LADDER_HAVE_VPL
        cmocka_unit_test_setup_teardown(test_arc_behind_nvidia_gets_its_own_node, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_two_adapters_by_pci_address, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_extended_id_beats_listing_order, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_two_runtimes_one_adapter, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_device_id_without_extended_id, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_shared_device_id_in_pci_order, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_ffmpeg_has_the_last_word, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_no_intel_node_loads_nothing, reset, drop_sysfs),
        cmocka_unit_test_setup_teardown(test_software_only, reset, drop_sysfs),
#endif
        cmocka_unit_test(test_inventory_file_keeps_render_node),
        cmocka_unit_test(test_decode_device_carries_render_node),
        cmocka_unit_test(test_qsv_device_opens_the_given_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
