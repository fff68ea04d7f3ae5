/*
 * The device inventory: runs the per-vendor probes and keeps what they
 * found. The probes (cpu_probe.c, nvidia_probe.c, intel_probe.c) only see
 * the driver tables of device_probe.h, so tests can replace every driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "device_probe.h"
#include "ladder/device_inventory.h"
#include "ladder/error.h"

struct ladder_device_inventory {
    ladder_device_info *devices;  /* owned; count used, capacity allocated */
    int count;
    int capacity;
    ladder_vendor_status vendors[LADDER_DEVICE_KIND_COUNT];
};

static bool libavcodec_has_encoder(const char *name)
{
    return avcodec_find_encoder_by_name(name) != NULL;
}

static bool libavcodec_has_decoder(const char *name)
{
    return avcodec_find_decoder_by_name(name) != NULL;
}

void ladder_device_drivers_default(ladder_device_drivers *drivers)
{
    *drivers = (ladder_device_drivers){
        .nvidia_open = nvidia_driver_open,
        .nvidia_close = nvidia_driver_close,
        .intel_open = intel_driver_open,
        .intel_close = intel_driver_close,
        .has_encoder = libavcodec_has_encoder,
        .has_decoder = libavcodec_has_decoder,
    };
}

int device_inventory_add(ladder_device_inventory *inventory, const ladder_device_info *info)
{
    if (inventory->count == inventory->capacity) {
        int capacity = inventory->capacity ? inventory->capacity * 2 : 4;
        ladder_device_info *grown = realloc(inventory->devices,
                                            (size_t)capacity * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        inventory->devices = grown;
        inventory->capacity = capacity;
    }
    ladder_device_info *slot = &inventory->devices[inventory->count];
    *slot = *info;
    slot->index = inventory->count++;
    inventory->vendors[info->kind].devices++;
    return 0;
}

ladder_vendor_status *device_inventory_vendor_mut(ladder_device_inventory *inventory,
                                                  enum ladder_device_kind kind)
{
    return &inventory->vendors[kind];
}

int ladder_device_inventory_probe_with(ladder_device_inventory **out,
                                       const ladder_device_drivers *drivers)
{
    *out = NULL;
    ladder_device_inventory *inventory = calloc(1, sizeof(*inventory));
    if (!inventory)
        return LADDER_ENOMEM;
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++)
        inventory->vendors[k].kind = (enum ladder_device_kind)k;
    /* Each probe records its own absence as a reason; only running out of
     * memory stops the inventory. */
    int err = cpu_probe(inventory, drivers);
    if (!err)
        err = nvidia_probe(inventory, drivers);
    if (!err)
        err = intel_probe(inventory, drivers);
    if (err) {
        ladder_device_inventory_close(inventory);
        return err;
    }
    *out = inventory;
    return 0;
}

int device_inventory_new(ladder_device_inventory **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return LADDER_ENOMEM;
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++)
        (*out)->vendors[k].kind = (enum ladder_device_kind)k;
    return 0;
}

int ladder_device_inventory_probe(ladder_device_inventory **out)
{
    /* A captured inventory stands in for the drivers (inventory_file.c). */
    const char *file = getenv("LADDER_INVENTORY_FILE");
    if (file && *file) {
        char err[512];
        return ladder_device_inventory_load(out, file, err, sizeof(err));
    }
    ladder_device_drivers drivers;
    ladder_device_drivers_default(&drivers);
    return ladder_device_inventory_probe_with(out, &drivers);
}

void ladder_device_inventory_close(ladder_device_inventory *inventory)
{
    if (!inventory)
        return;
    free(inventory->devices);
    free(inventory);
}

int ladder_device_inventory_count(const ladder_device_inventory *inventory)
{
    return inventory->count;
}

const ladder_device_info *ladder_device_inventory_device(
    const ladder_device_inventory *inventory, int i)
{
    if (i < 0 || i >= inventory->count)
        return NULL;
    return &inventory->devices[i];
}

const ladder_vendor_status *ladder_device_inventory_vendor(
    const ladder_device_inventory *inventory, enum ladder_device_kind kind)
{
    if ((int)kind < 0 || kind >= LADDER_DEVICE_KIND_COUNT)
        return NULL;
    return &inventory->vendors[kind];
}

/* Upper-case codec names for the notes people read. */
static const char *codec_label(enum ladder_video_codec codec)
{
    static const char *const labels[LADDER_VIDEO_CODEC_COUNT] = {
        "H.264", "HEVC", "AV1", "VP9",
    };
    return labels[codec];
}

void device_codec_resolve(ladder_codec_support *support, enum ladder_video_codec codec,
                          const char *what, const char *vendor_device,
                          bool (*has)(const char *name))
{
    support->library = support->library_name[0] && has(support->library_name);
    support->usable = support->device && support->library;
    if (support->usable) {
        support->note[0] = '\0';
        return;
    }
    /* A note the probe wrote about the device (e.g. "no NVENC") stays;
     * the library is only worth a note when the device could. */
    if (!support->device)
        return;
    if (support->library_name[0])
        snprintf(support->note, sizeof(support->note),
                 "%s %s: %s can, but this FFmpeg build has no %s",
                 codec_label(codec), what, vendor_device, support->library_name);
    else
        snprintf(support->note, sizeof(support->note),
                 "%s %s: %s can, but ladder has no way to use it",
                 codec_label(codec), what, vendor_device);
}

static bool any_usable(const ladder_codec_support *support)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (support[c].usable)
            return true;
    return false;
}

void device_assign_role(ladder_device_info *info, int encode_sessions,
                        const char *no_encode_why)
{
    info->health = LADDER_HEALTH_IDLE;
    if (any_usable(info->encode)) {
        info->role = LADDER_ROLE_ENCODE;
        info->encoder_sessions = encode_sessions;
        return;
    }
    info->encoder_sessions = 0;
    if (any_usable(info->decode)) {
        info->role = LADDER_ROLE_DECODE_ONLY;
        snprintf(info->reason, sizeof(info->reason), "%s; decode/scale device",
                 no_encode_why);
    } else {
        info->role = LADDER_ROLE_EXCLUDED;
        snprintf(info->reason, sizeof(info->reason), "%s; no usable decoder either",
                 no_encode_why);
    }
}

const char *ladder_device_kind_name(enum ladder_device_kind kind)
{
    switch (kind) {
    case LADDER_DEVICE_CPU: return "cpu";
    case LADDER_DEVICE_NVIDIA: return "nvidia";
    case LADDER_DEVICE_INTEL: return "intel";
    default: return "unknown";
    }
}

const char *ladder_video_codec_name(enum ladder_video_codec codec)
{
    switch (codec) {
    case LADDER_VIDEO_H264: return "h264";
    case LADDER_VIDEO_HEVC: return "hevc";
    case LADDER_VIDEO_AV1: return "av1";
    case LADDER_VIDEO_VP9: return "vp9";
    default: return "unknown";
    }
}

const char *ladder_device_role_name(enum ladder_device_role role)
{
    switch (role) {
    case LADDER_ROLE_ENCODE: return "encode";
    case LADDER_ROLE_DECODE_ONLY: return "decode-only";
    case LADDER_ROLE_EXCLUDED: return "excluded";
    default: return "unknown";
    }
}

const char *ladder_device_health_name(enum ladder_device_health health)
{
    switch (health) {
    case LADDER_HEALTH_IDLE: return "idle";
    default: return "unknown";
    }
}
