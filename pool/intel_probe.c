/*
 * Intel GPUs through oneVPL: every hardware implementation the dispatcher
 * enumerates is one device, with its encoder and decoder codec lists.
 *
 * The dispatcher (libvpl.so.2) is dlopen'ed, not linked, for the reason the
 * NVIDIA libraries are: one binary must start on hosts without it. Its
 * headers are needed at build time only; without them (no libvpl-dev) the
 * probe reports "built without oneVPL" and the rest of ladder is unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device_probe.h"
#include "ladder/error.h"

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

static void read_description(const mfxImplDescription *desc, ladder_device_info *info,
                             const ladder_device_drivers *drivers)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        snprintf(info->encode[c].library_name, sizeof(info->encode[c].library_name), "%s",
                 qsv_encoders[c]);
        snprintf(info->decode[c].library_name, sizeof(info->decode[c].library_name), "%s",
                 qsv_decoders[c]);
    }
    for (mfxU16 i = 0; i < desc->Enc.NumCodecs && desc->Enc.Codecs; i++) {
        int c = codec_from_vpl(desc->Enc.Codecs[i].CodecID);
        if (c < 0 || !qsv_encoders[c][0])
            continue;
        ladder_codec_support *enc = &info->encode[c];
        enc->device = true;
        enc->bframes = desc->Enc.Codecs[i].BiDirectionalPrediction != 0;
        scan_encoder(&desc->Enc.Codecs[i], enc);
    }
    for (mfxU16 i = 0; i < desc->Dec.NumCodecs && desc->Dec.Codecs; i++) {
        int c = codec_from_vpl(desc->Dec.Codecs[i].CodecID);
        if (c < 0)
            continue;
        info->decode[c].device = true;
        scan_decoder(&desc->Dec.Codecs[i], &info->decode[c]);
    }
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        if (qsv_encoders[c][0]) {
            if (!info->encode[c].device)
                snprintf(info->encode[c].note, sizeof(info->encode[c].note),
                         "this GPU's oneVPL runtime cannot encode %s",
                         ladder_video_codec_name((enum ladder_video_codec)c));
            device_codec_resolve(&info->encode[c], (enum ladder_video_codec)c, "encode",
                                 "GPU", drivers->has_encoder);
        }
        if (!info->decode[c].device)
            snprintf(info->decode[c].note, sizeof(info->decode[c].note),
                     "this GPU's oneVPL runtime cannot decode %s",
                     ladder_video_codec_name((enum ladder_video_codec)c));
        device_codec_resolve(&info->decode[c], (enum ladder_video_codec)c, "decode", "GPU",
                             drivers->has_decoder);
    }
}

/* Two runtimes (oneVPL GPU runtime, legacy Media SDK) may describe the same
 * adapter; the dispatcher lists the preferred one first, so keep that.
 * DeviceID ("56a0/0": PCI device id / adapter number) names the adapter. */
#define MAX_INTEL_ADAPTERS 16

static bool seen_adapter(char (*seen)[MFX_STRFIELD_LEN], int *nb_seen, const char *device_id)
{
    for (int i = 0; i < *nb_seen; i++)
        if (!strcmp(seen[i], device_id))
            return true;
    if (*nb_seen < MAX_INTEL_ADAPTERS)
        snprintf(seen[(*nb_seen)++], MFX_STRFIELD_LEN, "%s", device_id);
    return false;
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
    mfxLoader loader = api.MFXLoad();
    if (!loader) {
        snprintf(status->reason, sizeof(status->reason), "MFXLoad failed");
        drivers->intel_close(&api);
        return 0;
    }
    int software_only = 0;
    char seen[MAX_INTEL_ADAPTERS][MFX_STRFIELD_LEN];
    int nb_seen = 0;
    err = 0;
    for (mfxU32 i = 0; !err; i++) {
        mfxHDL handle = NULL;
        mfxStatus st = api.MFXEnumImplementations(loader, i, MFX_IMPLCAPS_IMPLDESCSTRUCTURE,
                                                  &handle);
        if (st != MFX_ERR_NONE || !handle)
            break;
        const mfxImplDescription *desc = handle;
        if (desc->Impl != MFX_IMPL_TYPE_HARDWARE) {
            software_only++;
        } else {
            ladder_device_info info = {
                .kind = LADDER_DEVICE_INTEL, .vendor_index = (int)i,
                .memory_total = -1, .memory_free = -1,
            };
            snprintf(info.name, sizeof(info.name), "Intel GPU %.32s (%.64s)",
                     desc->Dev.DeviceID, desc->ImplName);
            if (!seen_adapter(seen, &nb_seen, desc->Dev.DeviceID)) {
                read_description(desc, &info, drivers);
                device_assign_role(&info, 1, "no QSV encoder usable");
                err = device_inventory_add(inventory, &info);
            }
        }
        api.MFXDispReleaseImplDescription(loader, handle);
    }
    if (!err && status->devices == 0)
        snprintf(status->reason, sizeof(status->reason), "%s",
                 software_only ? "only software oneVPL implementations, no Intel GPU"
                               : "no oneVPL hardware implementation: no Intel GPU, or no "
                                 "runtime such as libmfx-gen1.2");
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
