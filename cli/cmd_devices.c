/*
 * `ladder devices`: what devices this host has and what each can do, as a
 * table for people or JSON for programs (schema in the README). Absent
 * vendors are listed with the reason, so "why is my GPU not used?" has an
 * answer on the screen.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "host_config.h"
#include "ladder/device_inventory.h"
#include "ladder/error.h"
#include "ladder/ladder.h"

static void devices_usage(FILE *out)
{
    fprintf(out,
        "Usage: ladder devices [--json] [--config FILE] [--tier-file FILE]\n"
        "\n"
        "List the devices ladder can use on this host: the CPU (cores this process may\n"
        "use, SIMD level, RAM), NVIDIA GPUs (CUDA, NVENC, NVDEC) and Intel GPUs (oneVPL),\n"
        "each with the codecs it can encode and decode here (the device must be able to\n"
        "AND this FFmpeg build must have the encoder/decoder), its encoder sessions, its\n"
        "role (encode, decode-only, excluded) and why. Vendors with no device are listed\n"
        "with the reason (driver not installed, no GPU, ...).\n"
        "\n"
        "  --json       one JSON document on stdout instead of the table\n"
        "  --config FILE     host configuration (see 'ladder config'); its tier_file\n"
        "                    gives each device a tier (TIER column, \"tier\" in JSON)\n"
        "  --tier-file FILE  tier file, over the configuration's\n"
        "  -h, --help   this help\n"
        "\n"
        "Exit status: 0 (also when there is no GPU), 1 internal error, 2 usage.\n");
}

static const char *vendor_label(enum ladder_device_kind kind)
{
    switch (kind) {
    case LADDER_DEVICE_CPU: return "CPU";
    case LADDER_DEVICE_NVIDIA: return "NVIDIA";
    case LADDER_DEVICE_INTEL: return "Intel";
    default: return "?";
    }
}

/* "h264,hevc" of the usable codecs, "-" for none. */
static void usable_list(const ladder_codec_support *support, char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        if (!support[c].usable)
            continue;
        int n = snprintf(out + used, size - used, "%s%s", used ? "," : "",
                         ladder_video_codec_name((enum ladder_video_codec)c));
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    if (!used)
        snprintf(out, size, "-");
}

static void format_memory(const ladder_device_info *d, char *out, size_t size)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    if (d->memory_total < 0)
        snprintf(out, size, "?");
    else if (d->memory_free < 0)
        snprintf(out, size, "%.1f GiB", d->memory_total / gib);
    else
        snprintf(out, size, "%.1f/%.1f GiB", d->memory_free / gib, d->memory_total / gib);
}

/* The device's tier name: "-" (no tier file) or "none" (no tier matched) when it has none. */
static const char *tier_of(const ladder_tiers *tiers, const ladder_device_info *d)
{
    const char *name = ladder_tiers_name(tiers, ladder_tiers_match(tiers, d));
    return name ? name : tiers ? "none" : "-";
}

/* A GPU's identity, and what its encoder sessions rest on: NVENC engines
 * (the sessions ladder plans) and, on GeForce, the driver's per-system cap. */
static void print_gpu_line(const ladder_device_info *d)
{
    char engines[32] = "";
    if (d->encoder_engines > 0)
        snprintf(engines, sizeof(engines), "  NVENC engines %d", d->encoder_engines);
    printf("   %s  bus %s\n", d->uuid[0] ? d->uuid : "(no uuid)", d->bus_id[0] ? d->bus_id : "?");
    printf("   compute %d.%d%s%s\n", d->compute_major, d->compute_minor, engines,
           d->sessions_per_system ? "  sessions capped per system (GeForce)" : "");
}

static void print_table(const ladder_device_inventory *inventory, const ladder_tiers *tiers)
{
    /* Two lines a device, so the table fits 80 columns: who and what state,
     * then memory and codecs; identity and notes below. */
    printf("%-2s %-7s %-30s %4s %-6s %-6s %s\n", "#", "KIND", "NAME", "SESS", "STATE", "TIER", "ROLE: NOTE");
    printf("   MEMORY free/all; ENCODE; DECODE\n");
    int count = ladder_device_inventory_count(inventory);
    for (int i = 0; i < count; i++) {
        const ladder_device_info *d = ladder_device_inventory_device(inventory, i);
        char memory[48], encode[64], decode[64];
        format_memory(d, memory, sizeof(memory));
        usable_list(d->encode, encode, sizeof(encode));
        usable_list(d->decode, decode, sizeof(decode));
        printf("%-2d %-7s %-30.30s %4d %-6s %-6s %s%s%s\n", d->index, ladder_device_kind_name(d->kind), d->name,
               d->encoder_sessions, ladder_device_health_name(d->health), tier_of(tiers, d),
               ladder_device_role_name(d->role), d->reason[0] ? ": " : "", d->reason);
        printf("   %s; encode %s; decode %s\n", memory, encode, decode);
        if (d->kind == LADDER_DEVICE_CPU)
            printf("   %d cores, %s\n", d->cores, d->simd);
        /* Identity for GPUs, and the codecs the device can but this build
         * cannot use: the lines someone debugging a missing codec needs. */
        if (d->kind == LADDER_DEVICE_NVIDIA)
            print_gpu_line(d);
        else if (d->kind == LADDER_DEVICE_INTEL)
            printf("   bus %s  %s\n", d->bus_id[0] ? d->bus_id : "?",
                   d->render_node[0] ? d->render_node : "(no render node)");
        for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
            if (d->encode[c].device && !d->encode[c].usable && d->encode[c].note[0])
                printf("   %s\n", d->encode[c].note);
            if (d->decode[c].device && !d->decode[c].usable && d->decode[c].note[0])
                printf("   %s\n", d->decode[c].note);
        }
    }
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++) {
        const ladder_vendor_status *v =
            ladder_device_inventory_vendor(inventory, (enum ladder_device_kind)k);
        if (k == LADDER_DEVICE_CPU)
            continue;
        if (v->devices)
            printf("%s: %d device%s\n", vendor_label(v->kind), v->devices,
                   v->devices == 1 ? "" : "s");
        else
            printf("%s: none (%s)\n", vendor_label(v->kind), v->reason);
    }
}

static json_object *string_or_null(const char *s)
{
    return s[0] ? json_object_new_string(s) : NULL;
}

/* encode: the encoder's fields too (max_bframes). */
static json_object *codec_caps_json(const ladder_codec_support *support, bool encode)
{
    json_object *caps = json_object_new_object();
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++) {
        const ladder_codec_support *s = &support[c];
        if (!s->library_name[0] && !s->device)
            continue; /* nothing to say: no such path on this device */
        json_object *o = json_object_new_object();
        json_object_object_add(o, "device", json_object_new_boolean(s->device));
        json_object_object_add(o, "library", json_object_new_boolean(s->library));
        json_object_object_add(o, "usable", json_object_new_boolean(s->usable));
        json_object_object_add(o, "library_name", string_or_null(s->library_name));
        json_object_object_add(o, "max_width", s->max_width ? json_object_new_int(s->max_width) : NULL);
        json_object_object_add(o, "max_height", s->max_height ? json_object_new_int(s->max_height) : NULL);
        json_object_object_add(o, "bframes", json_object_new_boolean(s->bframes));
        if (encode)
            json_object_object_add(o, "max_bframes", json_object_new_int(s->max_bframes));
        json_object_object_add(o, "ten_bit", json_object_new_boolean(s->ten_bit));
        json_object_object_add(o, "note", string_or_null(s->note));
        json_object_object_add(caps, ladder_video_codec_name((enum ladder_video_codec)c), o);
    }
    return caps;
}

static json_object *usable_json(const ladder_codec_support *support)
{
    json_object *list = json_object_new_array();
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (support[c].usable)
            json_object_array_add(list, json_object_new_string(
                                            ladder_video_codec_name((enum ladder_video_codec)c)));
    return list;
}

static json_object *device_json(const ladder_device_info *d, const ladder_tiers *tiers)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "index", json_object_new_int(d->index));
    json_object_object_add(o, "kind", json_object_new_string(ladder_device_kind_name(d->kind)));
    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "uuid", string_or_null(d->uuid));
    json_object_object_add(o, "bus_id", string_or_null(d->bus_id));
    if (d->kind == LADDER_DEVICE_INTEL) /* the adapter's own node: never 128 + an index */
        json_object_object_add(o, "render_node", string_or_null(d->render_node));
    json_object *memory = json_object_new_object();
    json_object_object_add(memory, "total_bytes",
                           d->memory_total >= 0 ? json_object_new_int64(d->memory_total) : NULL);
    json_object_object_add(memory, "free_bytes",
                           d->memory_free >= 0 ? json_object_new_int64(d->memory_free) : NULL);
    json_object_object_add(o, "memory", memory);
    if (d->kind == LADDER_DEVICE_CPU) {
        json_object_object_add(o, "cores", json_object_new_int(d->cores));
        json_object_object_add(o, "simd", json_object_new_string(d->simd));
    }
    if (d->kind == LADDER_DEVICE_NVIDIA) {
        char cc[16];
        snprintf(cc, sizeof(cc), "%d.%d", d->compute_major, d->compute_minor);
        json_object_object_add(o, "compute_capability",
                               d->compute_major >= 0 ? json_object_new_string(cc) : NULL);
        /* null: the driver did not say (no session, or too old to know) */
        json_object_object_add(o, "encoder_engines",
                               d->encoder_engines > 0 ? json_object_new_int(d->encoder_engines) : NULL);
        json_object_object_add(o, "sessions_per_system", json_object_new_boolean(d->sessions_per_system));
    }
    json_object_object_add(o, "encode", usable_json(d->encode));
    json_object_object_add(o, "decode", usable_json(d->decode));
    json_object_object_add(o, "encode_caps", codec_caps_json(d->encode, true));
    json_object_object_add(o, "decode_caps", codec_caps_json(d->decode, false));
    json_object_object_add(o, "encoder_sessions", json_object_new_int(d->encoder_sessions));
    json_object_object_add(o, "role", json_object_new_string(ladder_device_role_name(d->role)));
    json_object_object_add(o, "state", json_object_new_string(ladder_device_health_name(d->health)));
    json_object_object_add(o, "reason", string_or_null(d->reason));
    /* null: no tier file, or no tier matched (the device runs nothing) */
    const char *tier = ladder_tiers_name(tiers, ladder_tiers_match(tiers, d));
    json_object_object_add(o, "tier", tier ? json_object_new_string(tier) : NULL);
    return o;
}

static int print_json(const ladder_device_inventory *inventory, const ladder_tiers *tiers)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "version", json_object_new_string(LADDER_VERSION_STRING));
    json_object *devices = json_object_new_array();
    for (int i = 0; i < ladder_device_inventory_count(inventory); i++)
        json_object_array_add(devices, device_json(ladder_device_inventory_device(inventory, i), tiers));
    json_object_object_add(root, "devices", devices);
    json_object *vendors = json_object_new_object();
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++) {
        const ladder_vendor_status *v =
            ladder_device_inventory_vendor(inventory, (enum ladder_device_kind)k);
        json_object *o = json_object_new_object();
        json_object_object_add(o, "devices", json_object_new_int(v->devices));
        json_object_object_add(o, "reason", string_or_null(v->reason));
        json_object_object_add(vendors, ladder_device_kind_name(v->kind), o);
    }
    json_object_object_add(root, "vendors", vendors);
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    int status = puts(text) < 0 ? 1 : 0;
    json_object_put(root);
    return status;
}

enum { OPT_JSON = 256, OPT_CONFIG, OPT_TIER_FILE };

static const struct option devices_options[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "tier-file", required_argument, NULL, OPT_TIER_FILE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

int cmd_devices(int argc, char **argv)
{
    bool json = false;
    const char *tier_file = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "+h", devices_options, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = true; break;
        case OPT_CONFIG: break;   /* read by host_config_load() */
        case OPT_TIER_FILE: tier_file = optarg; break;
        case 'h': devices_usage(stdout); return 0;
        default:
            fprintf(stderr, "ladder: devices: unknown option '%s' (try 'ladder devices --help')\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ladder: devices: unexpected argument '%s' (try 'ladder devices --help')\n",
                argv[optind]);
        return 2;
    }
    /* Tiers: --tier-file, else the host configuration's tier_file. */
    ladder_conf *conf;
    int status = host_config_load(&conf, argc, argv);
    if (status)
        return status;
    ladder_conf_values conf_values = *ladder_conf_get(conf);
    ladder_conf_close(conf);
    if (tier_file)
        snprintf(conf_values.tier_file, sizeof(conf_values.tier_file), "%s", tier_file);
    ladder_tiers *tiers = NULL;
    status = host_config_tiers(&conf_values, &tiers);
    if (status)
        return status;
    ladder_device_inventory *inventory = NULL;
    /* A replayed inventory's problems get their own words. */
    const char *replay = getenv("LADDER_INVENTORY_FILE");
    char why[600] = "";
    int err = replay && *replay ? ladder_device_inventory_load(&inventory, replay, why, sizeof(why))
                                : ladder_device_inventory_probe(&inventory);
    if (!err && replay && *replay && !json)
        printf("(inventory replayed from %s, $LADDER_INVENTORY_FILE)\n", replay);
    if (err) {
        fprintf(stderr, "ladder: devices: %s\n", why[0] ? why : ladder_strerror(err));
        ladder_tiers_close(tiers);
        return ladder_exit_code(err);
    }
    if (json)
        status = print_json(inventory, tiers);
    else
        print_table(inventory, tiers);
    ladder_device_inventory_close(inventory);
    ladder_tiers_close(tiers);
    return status;
}
