/*
 * Intel GPUs: which adapters there are, what each can encode and decode,
 * and which of that FFmpeg's Quick Sync really opens.
 *
 * Three sources, each asked only what it knows:
 *
 * - sysfs (intel_nodes.c) lists the adapters: every render node whose PCI
 *   vendor is Intel, named by PCI address, in PCI order (vendor_index is
 *   that position: `intel:N`). A device is reached by its own render node,
 *   never by 128 + an index: renderD128 may be another vendor's GPU, and a
 *   oneVPL implementation index counts software implementations and second
 *   runtimes too. No Intel node: the probe stops there, having loaded
 *   nothing but the dispatcher's name (a directory read on such a host).
 *
 * - oneVPL (libvpl.so.2, dlopen'ed) describes the runtimes installed:
 *   codecs, sizes, 10-bit, B-frames. Software implementations are skipped.
 *   A hardware implementation is tied to its adapter by the PCI address of
 *   its mfxExtendedDeviceId (runtimes of API 2.6 and later), else by the
 *   PCI device id in its DeviceID ("56a0/0") against the sysfs list; when
 *   several adapters share that id the first one no other implementation
 *   took, in PCI order, is assumed, and the device's reason says so.
 *   Runtimes describing the same adapter (the oneVPL GPU runtime and Media
 *   SDK's) make one device with their codec lists united: which runtime
 *   FFmpeg ends up on is settled below, not here.
 *
 * - FFmpeg decides. Debian's libavcodec 5.1 reaches Quick Sync through the
 *   Media SDK dispatcher (libmfx.so.1, 22.x), not libvpl.so.2, and that
 *   dispatcher picks one runtime per process by itself: Media SDK's
 *   libmfxhw64.so.1 when any Intel adapter of the host is a Media SDK
 *   platform (up to Tiger Lake, DG1), else the oneVPL GPU runtime
 *   libmfx-gen.so.1.2 (INTEL_MEDIA_RUNTIME=ONEVPL or MSDK forces one). The
 *   adapter is the VA display of the render node the QSV device is made on
 *   (FFmpeg's child_device). So oneVPL can promise what FFmpeg's runtime
 *   cannot do: an Arc next to an older iGPU gets libmfxhw64, which does not
 *   drive it. A codec therefore counts as usable only once FFmpeg has
 *   opened it: a QSV device on the adapter's render node, made exactly as
 *   engine/qsv_device.c makes it, and on it a small h264_qsv / hevc_qsv
 *   encoder, 8-bit, and 10-bit where oneVPL claims it (ladder_qsv_path in
 *   device_probe.h; fakes in the unit tests). Decoders need a bitstream to
 *   open; they count when the device opens (a decoder failing later falls
 *   back to the CPU, see engine/video_decoder.c). This costs a session and
 *   a few encoder opens per Intel adapter, and nothing on other hosts.
 *
 * The dispatcher is dlopen'ed, not linked, for the reason the NVIDIA
 * libraries are: one binary must start on hosts without it. Its headers are
 * needed at build time only; without them (no libvpl-dev) the probe
 * reports "built without oneVPL" and the rest of ladder is unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/hwcontext.h>
#include <libavutil/opt.h>

#include "device_probe.h"
#include "intel_nodes.h"
#include "ladder/error.h"

/* ---- FFmpeg's Quick Sync path ------------------------------------------ */

static int av_why(int ret, const char *what, char *why, size_t why_size)
{
    char msg[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(ret, msg, sizeof(msg));
    snprintf(why, why_size, "%s: %s", what, msg);
    return ret;
}

/* The device as engine/qsv_device.c creates it: "hw" (MFX_IMPL_HARDWARE)
 * over a VA display on the render node. Keep the two the same. */
static int ffmpeg_qsv_open(void **session, const char *render_node, char *why, size_t why_size)
{
    AVDictionary *opts = NULL;
    AVBufferRef *device = NULL;
    int ret = av_dict_set(&opts, "child_device", render_node, 0);
    if (ret >= 0)
        ret = av_hwdevice_ctx_create(&device, AV_HWDEVICE_TYPE_QSV, "hw", opts, 0);
    av_dict_free(&opts);
    if (ret < 0)
        return av_why(ret, "no QSV device", why, why_size);
    *session = device;
    return 0;
}

/* A 320x240 encoder with system-memory input on that device, as the
 * engine's workers open theirs (configure_qsv in engine/encoder_backend.c). */
static int ffmpeg_qsv_try_encoder(void *session, const char *encoder, int bit_depth, char *why,
                                  size_t why_size)
{
    const AVCodec *codec = avcodec_find_encoder_by_name(encoder);
    if (!codec)
        return av_why(AVERROR_ENCODER_NOT_FOUND, encoder, why, why_size);
    AVCodecContext *ctx = avcodec_alloc_context3(codec);
    if (!ctx)
        return av_why(AVERROR(ENOMEM), encoder, why, why_size);
    ctx->width = 320;
    ctx->height = 240;
    ctx->pix_fmt = bit_depth > 8 ? AV_PIX_FMT_P010 : AV_PIX_FMT_NV12;
    ctx->time_base = (AVRational){ 1, 25 };
    ctx->framerate = (AVRational){ 25, 1 };
    ctx->bit_rate = 1000000;
    av_opt_set_int(ctx->priv_data, "async_depth", 1, 0);
    ctx->hw_device_ctx = av_buffer_ref(session);
    int ret = ctx->hw_device_ctx ? avcodec_open2(ctx, codec, NULL) : AVERROR(ENOMEM);
    avcodec_free_context(&ctx);
    return ret < 0 ? av_why(ret, encoder, why, why_size) : 0;
}

static void ffmpeg_qsv_close(void **session)
{
    av_buffer_unref((AVBufferRef **)session);
}

const ladder_qsv_path intel_qsv_ffmpeg = {
    .open = ffmpeg_qsv_open,
    .try_encoder = ffmpeg_qsv_try_encoder,
    .close = ffmpeg_qsv_close,
};

#ifdef LADDER_HAVE_VPL
#include <dlfcn.h>

#define VPL_LIBNAME "libvpl.so.2"

int intel_driver_open(ladder_vpl_api *api, char *why, size_t why_size)
{
    memset(api, 0, sizeof(*api));
    void *lib = dlopen(VPL_LIBNAME, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(why, why_size, "%s not found (oneVPL dispatcher not installed)", VPL_LIBNAME);
        return LADDER_ECODEC;
    }
    api->MFXLoad = (mfxLoader (*)(void))dlsym(lib, "MFXLoad");
    api->MFXUnload = (void (*)(mfxLoader))dlsym(lib, "MFXUnload");
    api->MFXEnumImplementations =
        (mfxStatus (*)(mfxLoader, mfxU32, mfxImplCapsDeliveryFormat, mfxHDL *))
            dlsym(lib, "MFXEnumImplementations");
    api->MFXDispReleaseImplDescription =
        (mfxStatus (*)(mfxLoader, mfxHDL))dlsym(lib, "MFXDispReleaseImplDescription");
    if (!api->MFXLoad || !api->MFXUnload || !api->MFXEnumImplementations ||
        !api->MFXDispReleaseImplDescription) {
        snprintf(why, why_size, "%s lacks the 2.x dispatcher API", VPL_LIBNAME);
        dlclose(lib);
        memset(api, 0, sizeof(*api));
        return LADDER_ECODEC;
    }
    api->loader_state = lib;
    return 0;
}

void intel_driver_close(ladder_vpl_api *api)
{
    if (api->loader_state)
        dlclose(api->loader_state);
    api->loader_state = NULL;
}

static const char *const qsv_encoders[LADDER_VIDEO_CODEC_COUNT] = {
    "h264_qsv", "hevc_qsv", "av1_qsv", "",
};
static const char *const qsv_decoders[LADDER_VIDEO_CODEC_COUNT] = {
    "h264_qsv", "hevc_qsv", "av1_qsv", "vp9_qsv",
};

static int codec_from_vpl(mfxU32 codec_id)
{
    switch (codec_id) {
    case MFX_CODEC_AVC: return LADDER_VIDEO_H264;
    case MFX_CODEC_HEVC: return LADDER_VIDEO_HEVC;
    case MFX_CODEC_AV1: return LADDER_VIDEO_AV1;
    case MFX_CODEC_VP9: return LADDER_VIDEO_VP9;
    default: return -1;
    }
}

/* One memory type of one profile: widen the largest size; a P010 surface
 * format means 10-bit. */
static void note_memory_type(ladder_codec_support *support, const mfxRange32U *width,
                             const mfxRange32U *height, const mfxU32 *formats,
                             mfxU16 nb_formats)
{
    if ((int)width->Max > support->max_width)
        support->max_width = (int)width->Max;
    if ((int)height->Max > support->max_height)
        support->max_height = (int)height->Max;
    for (mfxU16 f = 0; f < nb_formats && formats; f++)
        if (formats[f] == MFX_FOURCC_P010)
            support->ten_bit = true;
}

/* The encoder and decoder descriptions have the same shape but distinct
 * types, hence two walkers. */
static void scan_encoder(const struct encoder *codec, ladder_codec_support *support)
{
    for (mfxU16 p = 0; p < codec->NumProfiles && codec->Profiles; p++) {
        const struct encprofile *profile = &codec->Profiles[p];
        for (mfxU16 m = 0; m < profile->NumMemTypes && profile->MemDesc; m++)
            note_memory_type(support, &profile->MemDesc[m].Width, &profile->MemDesc[m].Height,
                             profile->MemDesc[m].ColorFormats,
                             profile->MemDesc[m].NumColorFormats);
    }
}

static void scan_decoder(const struct decoder *codec, ladder_codec_support *support)
{
    for (mfxU16 p = 0; p < codec->NumProfiles && codec->Profiles; p++) {
        const struct decprofile *profile = &codec->Profiles[p];
        for (mfxU16 m = 0; m < profile->NumMemTypes && profile->MemDesc; m++)
            note_memory_type(support, &profile->MemDesc[m].Width, &profile->MemDesc[m].Height,
                             profile->MemDesc[m].ColorFormats,
                             profile->MemDesc[m].NumColorFormats);
    }
}

/* Add one runtime's description to the device's. Only ever widens, so a
 * second runtime of the same adapter unites its list with the first's. */
static void note_description(const mfxImplDescription *desc, ladder_device_info *info)
{
    for (mfxU16 i = 0; i < desc->Enc.NumCodecs && desc->Enc.Codecs; i++) {
        int c = codec_from_vpl(desc->Enc.Codecs[i].CodecID);
        if (c < 0 || !qsv_encoders[c][0])
            continue;
        ladder_codec_support *enc = &info->encode[c];
        enc->device = true;
        enc->bframes |= desc->Enc.Codecs[i].BiDirectionalPrediction != 0;
        scan_encoder(&desc->Enc.Codecs[i], enc);
    }
    for (mfxU16 i = 0; i < desc->Dec.NumCodecs && desc->Dec.Codecs; i++) {
        int c = codec_from_vpl(desc->Dec.Codecs[i].CodecID);
        if (c < 0)
            continue;
        info->decode[c].device = true;
        scan_decoder(&desc->Dec.Codecs[i], &info->decode[c]);
    }
}

/* Once every runtime has been heard: device and library together. */
static void resolve_codecs(ladder_device_info *info, const ladder_device_drivers *drivers)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        const char *name = ladder_video_codec_name((enum ladder_video_codec)c);
        if (qsv_encoders[c][0]) {
            if (!info->encode[c].device)
                snprintf(info->encode[c].note, sizeof(info->encode[c].note),
                         "this GPU's oneVPL runtime cannot encode %s", name);
            device_codec_resolve(&info->encode[c], (enum ladder_video_codec)c, "encode",
                                 "GPU", drivers->has_encoder);
        }
        if (!info->decode[c].device)
            snprintf(info->decode[c].note, sizeof(info->decode[c].note),
                     "this GPU's oneVPL runtime cannot decode %s", name);
        device_codec_resolve(&info->decode[c], (enum ladder_video_codec)c, "decode", "GPU",
                             drivers->has_decoder);
    }
}

/* ---- Implementations to adapters --------------------------------------- */

typedef struct intel_adapter {
    intel_node node;
    ladder_device_info info;
    bool described;                 /* some hardware implementation is this adapter */
    char vpl_id[MFX_STRFIELD_LEN];  /* the first one's DeviceID ("56a0/0") */
    int shared_id;                  /* matched by a device id this many adapters have */
    char no_encode[200];            /* why FFmpeg encodes nothing here; "" unknown */
} intel_adapter;

typedef struct intel_scan {
    intel_adapter adapters[INTEL_NODES_MAX];
    int nb;
} intel_scan;

static int adapter_at_pci(const intel_scan *scan, const mfxExtendedDeviceId *id)
{
    for (int a = 0; a < scan->nb; a++) {
        const intel_node *n = &scan->adapters[a].node;
        if (n->pci_known && n->domain == id->PCIDomain && n->bus == id->PCIBus &&
            n->slot == id->PCIDevice && n->function == id->PCIFunction)
            return a;
    }
    return -1;
}

static int adapter_at_minor(const intel_scan *scan, mfxU32 minor)
{
    for (int a = 0; minor && a < scan->nb; a++)
        if (scan->adapters[a].node.minor == (int)minor)
            return a;
    return -1;
}

/* By the implementation's own PCI address (or, lacking it, its render
 * node number): API 2.6 runtimes give one, Media SDK's does not. */
static int by_extended_id(const ladder_vpl_api *api, mfxLoader loader, mfxU32 i,
                          const mfxImplDescription *desc, const intel_scan *scan)
{
    if (desc->ApiVersion.Major < 2 || (desc->ApiVersion.Major == 2 && desc->ApiVersion.Minor < 6))
        return -1;
    mfxHDL handle = NULL;
    if (api->MFXEnumImplementations(loader, i, MFX_IMPLCAPS_DEVICE_ID_EXTENDED, &handle) !=
            MFX_ERR_NONE || !handle)
        return -1;
    const mfxExtendedDeviceId *id = handle;
    int a = adapter_at_pci(scan, id);
    if (a < 0)
        a = adapter_at_minor(scan, id->DRMRenderNodeNum);
    api->MFXDispReleaseImplDescription(loader, handle);
    return a;
}

/*
 * By PCI device id: DeviceID is "<device id, hex>/<the runtime's adapter
 * number>". The same DeviceID as an adapter already has is that adapter
 * through another runtime; else the first adapter with that id that no
 * implementation has taken, in PCI order (the runtime's numbering is its
 * own, so it is not trusted); when there was a choice, the reason says so.
 */
static int by_device_id(const mfxImplDescription *desc, intel_scan *scan)
{
    char *end = NULL;
    unsigned long id = strtoul(desc->Dev.DeviceID, &end, 16);
    if (end == desc->Dev.DeviceID)
        return -1;
    int first = -1, free_one = -1, candidates = 0;
    for (int a = 0; a < scan->nb; a++) {
        const intel_adapter *ad = &scan->adapters[a];
        if (ad->node.device_id != id)
            continue;
        if (!strcmp(ad->vpl_id, desc->Dev.DeviceID))
            return a;
        candidates++;
        first = first < 0 ? a : first;
        free_one = free_one < 0 && !ad->vpl_id[0] ? a : free_one;
    }
    int pick = free_one >= 0 ? free_one : first;
    if (pick >= 0 && candidates > 1)
        scan->adapters[pick].shared_id = candidates;
    return pick;
}

static void describe(intel_adapter *ad, const mfxImplDescription *desc)
{
    if (!ad->described)
        snprintf(ad->info.name, sizeof(ad->info.name), "Intel GPU %04x (%.64s)",
                 ad->node.device_id, desc->ImplName);
    ad->described = true;
    if (!ad->vpl_id[0])
        snprintf(ad->vpl_id, sizeof(ad->vpl_id), "%s", desc->Dev.DeviceID);
    note_description(desc, &ad->info);
}

/* Every implementation the dispatcher lists, onto its adapter. */
static void enumerate(const ladder_vpl_api *api, mfxLoader loader, intel_scan *scan)
{
    for (mfxU32 i = 0;; i++) {
        mfxHDL handle = NULL;
        if (api->MFXEnumImplementations(loader, i, MFX_IMPLCAPS_IMPLDESCSTRUCTURE, &handle) !=
                MFX_ERR_NONE || !handle)
            return;
        const mfxImplDescription *desc = handle;
        if (desc->Impl == MFX_IMPL_TYPE_HARDWARE) {
            int a = by_extended_id(api, loader, i, desc, scan);
            if (a < 0)
                a = by_device_id(desc, scan);
            if (a >= 0)
                describe(&scan->adapters[a], desc);
        }
        api->MFXDispReleaseImplDescription(loader, handle);
    }
}

/* ---- What FFmpeg opens -------------------------------------------------- */

static void withdraw(ladder_codec_support *support, const char *note)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        if (!support[c].usable)
            continue;
        support[c].usable = false;
        snprintf(support[c].note, sizeof(support[c].note), "%s", note);
    }
}

static void try_encoder(const ladder_qsv_path *qsv, void *session, intel_adapter *ad, int c)
{
    ladder_codec_support *enc = &ad->info.encode[c];
    char why[160] = "";
    if (qsv->try_encoder(session, enc->library_name, 8, why, sizeof(why)) < 0) {
        enc->usable = false;
        /* Copies first: the note, the encoder's name and the node are all
         * fields of *ad (-Wrestrict). */
        char encoder[sizeof(enc->library_name)], node[sizeof(ad->node.path)];
        memcpy(encoder, enc->library_name, sizeof(encoder));
        memcpy(node, ad->node.path, sizeof(node));
        snprintf(enc->note, sizeof(enc->note), "oneVPL lists %s encode, but FFmpeg's %.24s does not "
                 "open on %.40s (%.100s)", ladder_video_codec_name((enum ladder_video_codec)c), encoder,
                 node, why);
        return;
    }
    if (enc->ten_bit && qsv->try_encoder(session, enc->library_name, 10, why, sizeof(why)) < 0)
        enc->ten_bit = false;
}

static void try_through_ffmpeg(const ladder_qsv_path *qsv, intel_adapter *ad)
{
    void *session = NULL;
    char why[160] = "";
    if (qsv->open(&session, ad->node.path, why, sizeof(why)) < 0) {
        snprintf(ad->no_encode, sizeof(ad->no_encode),
                 "FFmpeg's Quick Sync (libmfx.so.1 and the runtime it loads) opens no "
                 "session on %s (%.80s)", ad->node.path, why);
        withdraw(ad->info.encode, ad->no_encode);
        withdraw(ad->info.decode, ad->no_encode);
        return;
    }
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (ad->info.encode[c].usable)
            try_encoder(qsv, session, ad, c);
    qsv->close(&session);
}

static void finish_adapter(intel_adapter *ad, const ladder_device_drivers *drivers)
{
    ladder_device_info *info = &ad->info;
    if (!ad->described) {
        info->role = LADDER_ROLE_EXCLUDED;
        info->health = LADDER_HEALTH_IDLE;
        snprintf(info->reason, sizeof(info->reason),
                 "no oneVPL hardware implementation describes this adapter (no runtime for it, "
                 "such as libmfx-gen1.2)");
        return;
    }
    resolve_codecs(info, drivers);
    try_through_ffmpeg(drivers->qsv ? drivers->qsv : &intel_qsv_ffmpeg, ad);
    device_assign_role(info, 1, ad->no_encode[0] ? ad->no_encode : "no QSV encoder usable");
    if (ad->shared_id > 1) {
        size_t used = strlen(info->reason);
        snprintf(info->reason + used, sizeof(info->reason) - used,
                 "%s%d adapters share device id %04x and the runtime gave no PCI address: "
                 "taken as %s by PCI order", used ? "; " : "", ad->shared_id, ad->node.device_id,
                 ad->node.bus_id);
    }
}

/* One adapter per Intel render node, identity filled, nothing known yet. */
static void adapters_from_nodes(intel_scan *scan, const intel_node *nodes, int nb)
{
    scan->nb = nb;
    for (int a = 0; a < nb; a++) {
        intel_adapter *ad = &scan->adapters[a];
        ad->node = nodes[a];
        ad->info = (ladder_device_info){
            .kind = LADDER_DEVICE_INTEL, .vendor_index = a, .memory_total = -1, .memory_free = -1,
        };
        snprintf(ad->info.name, sizeof(ad->info.name), "Intel GPU %04x", nodes[a].device_id);
        snprintf(ad->info.bus_id, sizeof(ad->info.bus_id), "%.31s", nodes[a].bus_id);
        snprintf(ad->info.render_node, sizeof(ad->info.render_node), "%.31s", nodes[a].path);
        for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
            snprintf(ad->info.encode[c].library_name, sizeof(ad->info.encode[c].library_name),
                     "%s", qsv_encoders[c]);
            snprintf(ad->info.decode[c].library_name, sizeof(ad->info.decode[c].library_name),
                     "%s", qsv_decoders[c]);
        }
    }
}

/* The adapters described through the dispatcher, finished and added. */
static int probe_adapters(ladder_device_inventory *inventory, const ladder_device_drivers *drivers,
                          const ladder_vpl_api *api, mfxLoader loader, const intel_node *nodes,
                          int nb)
{
    intel_scan *scan = calloc(1, sizeof(*scan));
    if (!scan)
        return LADDER_ENOMEM;
    adapters_from_nodes(scan, nodes, nb);
    enumerate(api, loader, scan);
    int err = 0;
    for (int a = 0; a < scan->nb && !err; a++) {
        finish_adapter(&scan->adapters[a], drivers);
        err = device_inventory_add(inventory, &scan->adapters[a].info);
    }
    free(scan);
    return err;
}

int intel_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers)
{
    ladder_vendor_status *status = device_inventory_vendor_mut(inventory, LADDER_DEVICE_INTEL);
    if (!drivers->intel_open) {
        snprintf(status->reason, sizeof(status->reason), "Intel probing disabled");
        return 0;
    }
    ladder_vpl_api api;
    char why[LADDER_DEVICE_REASON_MAX] = "";
    int err = drivers->intel_open(&api, why, sizeof(why));
    if (err == LADDER_ENOMEM)
        return err;
    if (err < 0) {
        snprintf(status->reason, sizeof(status->reason), "%s", why);
        return 0;
    }
    intel_node nodes[INTEL_NODES_MAX];
    int nb = intel_nodes_scan(drivers->drm_sysfs_root, nodes, INTEL_NODES_MAX);
    mfxLoader loader = nb ? api.MFXLoad() : NULL;
    if (!nb)
        snprintf(status->reason, sizeof(status->reason),
                 "no Intel GPU: no Intel render node in %.160s, so oneVPL was not asked",
                 drivers->drm_sysfs_root ? drivers->drm_sysfs_root : "/sys/class/drm");
    else if (!loader)
        snprintf(status->reason, sizeof(status->reason), "MFXLoad failed");
    else
        err = probe_adapters(inventory, drivers, &api, loader, nodes, nb);
    if (loader)
        api.MFXUnload(loader);
    drivers->intel_close(&api);
    return err;
}

#else /* !LADDER_HAVE_VPL */

int intel_driver_open(ladder_vpl_api *api, char *why, size_t why_size)
{
    snprintf(why, why_size, "built without oneVPL (libvpl-dev was absent at build time)");
    return LADDER_ECODEC;
}

void intel_driver_close(ladder_vpl_api *api)
{
}

int intel_probe(ladder_device_inventory *inventory, const ladder_device_drivers *drivers)
{
    ladder_vendor_status *status = device_inventory_vendor_mut(inventory, LADDER_DEVICE_INTEL);
    snprintf(status->reason, sizeof(status->reason),
             "built without oneVPL (libvpl-dev was absent at build time)");
    return 0;
}

#endif
