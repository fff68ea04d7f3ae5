/*
 * A captured inventory instead of the drivers: `ladder devices --json` of
 * one machine, read back. What for: planning and tests. "What would ladder
 * do with this job on an H100 box?" can be answered on a laptop, and the
 * policy code that depends on GPUs (routing, tiers, GPU host slots,
 * --decode-device selection) is tested end to end on machines without one.
 * Encoders and decoders still open for real, so a replayed GPU cannot
 * encode anything here: its NVENC pre-flight fails and the device is kept
 * off every rung with that reason, as on a host whose GPU broke.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "device_probe.h"
#include "ladder/device_inventory.h"
#include "ladder/error.h"

static const char *string_of(json_object *o, const char *key)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return "";
    return json_object_get_string(v);
}

static int64_t int_of(json_object *o, const char *key, int64_t missing)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
        return missing;
    return json_object_get_int64(v);
}

static bool bool_of(json_object *o, const char *key)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static int kind_of(const char *name)
{
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++)
        if (!strcmp(name, ladder_device_kind_name((enum ladder_device_kind)k)))
            return k;
    return -1;
}

static void read_caps(json_object *dev, const char *key, ladder_codec_support *support)
{
    json_object *caps = NULL;
    if (!json_object_object_get_ex(dev, key, &caps) || !json_object_is_type(caps, json_type_object))
        return;
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        json_object *o = NULL;
        if (!json_object_object_get_ex(caps, ladder_video_codec_name((enum ladder_video_codec)c), &o) ||
            !json_object_is_type(o, json_type_object))
            continue;
        ladder_codec_support *s = &support[c];
        s->device = bool_of(o, "device");
        s->library = bool_of(o, "library");
        s->usable = bool_of(o, "usable");
        s->max_width = (int)int_of(o, "max_width", 0);
        s->max_height = (int)int_of(o, "max_height", 0);
        s->bframes = bool_of(o, "bframes");
        /* Files from before max_bframes: 0, "how many unknown"; bframes
         * still says whether there are any. */
        s->max_bframes = (int)int_of(o, "max_bframes", 0);
        s->ten_bit = bool_of(o, "ten_bit");
        snprintf(s->library_name, sizeof(s->library_name), "%s", string_of(o, "library_name"));
        snprintf(s->note, sizeof(s->note), "%s", string_of(o, "note"));
    }
}

static int bad(char *err, size_t err_size, const char *path, const char *what)
{
    snprintf(err, err_size, "inventory file '%s': %s", path, what);
    return LADDER_ECONFIG;
}

int ladder_device_inventory_load(ladder_device_inventory **out, const char *path, char *err, size_t err_size)
{
    *out = NULL;
    json_object *root = json_object_from_file(path);
    if (!root)
        return bad(err, err_size, path, "cannot read it as JSON (expected `ladder devices --json` output)");
    json_object *devices = NULL, *vendors = NULL;
    if (!json_object_object_get_ex(root, "devices", &devices) || !json_object_is_type(devices, json_type_array)) {
        json_object_put(root);
        return bad(err, err_size, path, "no \"devices\" array");
    }
    ladder_device_inventory *inv = NULL;
    int ret = device_inventory_new(&inv);
    for (size_t i = 0; !ret && i < json_object_array_length(devices); i++) {
        json_object *d = json_object_array_get_idx(devices, i);
        int kind = json_object_is_type(d, json_type_object) ? kind_of(string_of(d, "kind")) : -1;
        if (kind < 0) {
            ret = bad(err, err_size, path, "a device without a known \"kind\" (cpu, nvidia, intel)");
            break;
        }
        ladder_device_info info;
        memset(&info, 0, sizeof(info));
        info.kind = (enum ladder_device_kind)kind;
        /* The CUDA index is the position among the GPUs of its vendor. */
        info.vendor_index = ladder_device_inventory_vendor(inv, info.kind)->devices;
        snprintf(info.name, sizeof(info.name), "%s", string_of(d, "name"));
        snprintf(info.uuid, sizeof(info.uuid), "%s", string_of(d, "uuid"));
        snprintf(info.bus_id, sizeof(info.bus_id), "%s", string_of(d, "bus_id"));
        snprintf(info.render_node, sizeof(info.render_node), "%s", string_of(d, "render_node"));
        json_object *mem = NULL;
        info.memory_total = info.memory_free = -1;
        if (json_object_object_get_ex(d, "memory", &mem)) {
            info.memory_total = int_of(mem, "total_bytes", -1);
            info.memory_free = int_of(mem, "free_bytes", -1);
        }
        info.cores = (int)int_of(d, "cores", 0);
        snprintf(info.simd, sizeof(info.simd), "%s", string_of(d, "simd"));
        info.compute_major = info.compute_minor = -1;
        sscanf(string_of(d, "compute_capability"), "%d.%d", &info.compute_major, &info.compute_minor);
        read_caps(d, "encode_caps", info.encode);
        read_caps(d, "decode_caps", info.decode);
        info.encoder_sessions = (int)int_of(d, "encoder_sessions", 0);
        /* Older files have neither: engines unknown (0), no per-system cap. */
        info.encoder_engines = (int)int_of(d, "encoder_engines", 0);
        info.sessions_per_system = bool_of(d, "sessions_per_system");
        const char *role = string_of(d, "role");
        info.role = !strcmp(role, "encode") ? LADDER_ROLE_ENCODE
                    : !strcmp(role, "decode-only") ? LADDER_ROLE_DECODE_ONLY : LADDER_ROLE_EXCLUDED;
        snprintf(info.reason, sizeof(info.reason), "%s", string_of(d, "reason"));
        ret = device_inventory_add(inv, &info);
    }
    if (!ret && json_object_object_get_ex(root, "vendors", &vendors)) {
        for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++) {
            json_object *v = NULL;
            if (!json_object_object_get_ex(vendors, ladder_device_kind_name((enum ladder_device_kind)k), &v))
                continue;
            ladder_vendor_status *st = device_inventory_vendor_mut(inv, (enum ladder_device_kind)k);
            snprintf(st->reason, sizeof(st->reason), "%s", string_of(v, "reason"));
        }
    }
    json_object_put(root);
    if (ret) {
        ladder_device_inventory_close(inv);
        return ret;
    }
    *out = inv;
    return 0;
}
