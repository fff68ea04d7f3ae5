/*
 * Tier files (tiers.h): parsed once into plain structs, so
 * matching a device is a few comparisons and never touches JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ladder/error.h"
#include "policy/tiers.h"

static const char *const job_types[] = {
    "proxy", "conform", "trim", "ladder", "thumbnail", "filmstrip", NULL,
};

typedef struct tier {
    char name[LADDER_TIER_NAME_MAX];
    unsigned kinds;               /* bit per ladder_device_kind; 0 = any */
    int nvenc;                    /* -1 any, 0 must not, 1 must */
    unsigned encode;              /* bit per ladder_video_codec the device must encode */
    double min_memory_gib;        /* 0 = any */
    int min_cores;                /* 0 = any */
    char name_contains[64];
    unsigned jobs;                /* bit per job_types[] entry */
} tier;

struct ladder_tiers {
    int nb;
    tier *tiers;
};

const char *const *ladder_tiers_job_types(void)
{
    return job_types;
}

static int job_index(const char *name)
{
    for (int i = 0; job_types[i]; i++)
        if (!strcmp(job_types[i], name))
            return i;
    return -1;
}

static int kind_of(const char *name)
{
    for (int k = 0; k < LADDER_DEVICE_KIND_COUNT; k++)
        if (!strcmp(ladder_device_kind_name((enum ladder_device_kind)k), name))
            return k;
    return -1;
}

static int codec_of(const char *name)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (!strcmp(ladder_video_codec_name((enum ladder_video_codec)c), name))
            return c;
    return -1;
}

#define FAIL(...) do { snprintf(err, err_size, __VA_ARGS__); return LADDER_ECONFIG; } while (0)

/* "kind": "cpu" or ["cpu","nvidia"]. */
static int parse_kinds(json_object *v, tier *t, const char *origin, char *err, size_t err_size)
{
    size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
    for (size_t j = 0; j < n; j++) {
        json_object *e = json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, j) : v;
        int k = json_object_is_type(e, json_type_string) ? kind_of(json_object_get_string(e)) : -1;
        if (k < 0)
            FAIL("%s: tier %s: match.kind: expected cpu, nvidia, intel or an array of them", origin, t->name);
        t->kinds |= 1u << k;
    }
    return 0;
}

static int parse_match(json_object *m, tier *t, const char *origin, char *err, size_t err_size)
{
    if (!json_object_is_type(m, json_type_object))
        FAIL("%s: tier %s: match: expected an object", origin, t->name);
    json_object_object_foreach(m, key, v) {
        if (!strcmp(key, "kind")) {
            int ret = parse_kinds(v, t, origin, err, err_size);
            if (ret)
                return ret;
        } else if (!strcmp(key, "nvenc")) {
            if (!json_object_is_type(v, json_type_boolean))
                FAIL("%s: tier %s: match.nvenc: expected true or false", origin, t->name);
            t->nvenc = json_object_get_boolean(v) ? 1 : 0;
        } else if (!strcmp(key, "encode")) {
            if (!json_object_is_type(v, json_type_array))
                FAIL("%s: tier %s: match.encode: expected an array of codecs", origin, t->name);
            for (size_t j = 0; j < json_object_array_length(v); j++) {
                json_object *e = json_object_array_get_idx(v, j);
                int c = json_object_is_type(e, json_type_string) ? codec_of(json_object_get_string(e)) : -1;
                if (c < 0)
                    FAIL("%s: tier %s: match.encode: expected h264, hevc, av1 or vp9", origin, t->name);
                t->encode |= 1u << c;
            }
        } else if (!strcmp(key, "min_memory_gib")) {
            if (!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) ||
                !(json_object_get_double(v) >= 0))
                FAIL("%s: tier %s: match.min_memory_gib: expected a number of GiB, 0 or more", origin, t->name);
            t->min_memory_gib = json_object_get_double(v);
        } else if (!strcmp(key, "min_cores")) {
            if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < 0)
                FAIL("%s: tier %s: match.min_cores: expected an integer, 0 or more", origin, t->name);
            t->min_cores = json_object_get_int(v);
        } else if (!strcmp(key, "name_contains")) {
            if (!json_object_is_type(v, json_type_string) ||
                json_object_get_string_len(v) >= (int)sizeof(t->name_contains))
                FAIL("%s: tier %s: match.name_contains: expected a string", origin, t->name);
            snprintf(t->name_contains, sizeof(t->name_contains), "%s", json_object_get_string(v));
        } else {
            FAIL("%s: tier %s: unknown match key %s", origin, t->name, key);
        }
    }
    return 0;
}

static int parse_tier(json_object *o, int index, tier *t, const char *origin, char *err, size_t err_size)
{
    snprintf(t->name, sizeof(t->name), "#%d", index);
    t->nvenc = -1;
    if (!json_object_is_type(o, json_type_object))
        FAIL("%s: tier #%d: expected an object", origin, index);
    json_object *name = NULL, *match = NULL, *jobs = NULL;
    json_object_object_foreach(o, key, v) {
        if (!strcmp(key, "name")) name = v;
        else if (!strcmp(key, "match")) match = v;
        else if (!strcmp(key, "jobs")) jobs = v;
        else FAIL("%s: tier #%d: unknown key %s", origin, index, key);
    }
    if (!name || !json_object_is_type(name, json_type_string) || !json_object_get_string_len(name) ||
        json_object_get_string_len(name) >= LADDER_TIER_NAME_MAX)
        FAIL("%s: tier #%d: name: expected a string of 1 to %d bytes", origin, index, LADDER_TIER_NAME_MAX - 1);
    snprintf(t->name, sizeof(t->name), "%s", json_object_get_string(name));
    if (match) {
        int ret = parse_match(match, t, origin, err, err_size);
        if (ret)
            return ret;
    }
    if (!jobs || !json_object_is_type(jobs, json_type_array))
        FAIL("%s: tier %s: jobs: expected an array of job types", origin, t->name);
    for (size_t j = 0; j < json_object_array_length(jobs); j++) {
        json_object *e = json_object_array_get_idx(jobs, j);
        int k = json_object_is_type(e, json_type_string) ? job_index(json_object_get_string(e)) : -1;
        if (k < 0)
            FAIL("%s: tier %s: jobs: unknown job type %s (known: proxy, conform, trim, ladder, thumbnail, "
                 "filmstrip)", origin, t->name, json_object_is_type(e, json_type_string) ?
                 json_object_get_string(e) : "(not a string)");
        t->jobs |= 1u << k;
    }
    return 0;
}

int ladder_tiers_parse(ladder_tiers **out, const char *text, const char *origin, char *err, size_t err_size)
{
    *out = NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return LADDER_ENOMEM;
    json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        snprintf(err, err_size, "%s: not valid JSON (%s)", origin, json_tokener_error_desc(jerr));
        json_object_put(root);
        return LADDER_ECONFIG;
    }
    json_object *list = NULL;
    int ret = 0;
    if (json_object_is_type(root, json_type_object)) {
        json_object_object_foreach(root, key, v) {
            if (strcmp(key, "tiers")) {
                snprintf(err, err_size, "%s: unknown key %s", origin, key);
                ret = LADDER_ECONFIG;
                break;
            }
            list = v;
        }
    }
    if (!ret && (!list || !json_object_is_type(list, json_type_array))) {
        snprintf(err, err_size, "%s: expected {\"tiers\": [...]}", origin);
        ret = LADDER_ECONFIG;
    }
    ladder_tiers *t = NULL;
    if (!ret) {
        t = calloc(1, sizeof(*t));
        size_t n = json_object_array_length(list);
        if (t && n)
            t->tiers = calloc(n, sizeof(*t->tiers));
        if (!t || (n && !t->tiers))
            ret = LADDER_ENOMEM;
        for (size_t i = 0; !ret && i < n; i++) {
            ret = parse_tier(json_object_array_get_idx(list, i), (int)i, &t->tiers[i], origin, err, err_size);
            t->nb = (int)i + 1;
            for (size_t j = 0; !ret && j < i; j++)
                if (!strcmp(t->tiers[j].name, t->tiers[i].name)) {
                    snprintf(err, err_size, "%s: tier %s: name used twice", origin, t->tiers[i].name);
                    ret = LADDER_ECONFIG;
                }
        }
    }
    json_object_put(root);
    if (ret) {
        ladder_tiers_close(t);
        return ret;
    }
    *out = t;
    return 0;
}

int ladder_tiers_load(ladder_tiers **out, const char *path, char *err, size_t err_size)
{
    *out = NULL;
    char origin[600];
    snprintf(origin, sizeof(origin), "tier file %s", path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "%s: cannot read: %s", origin, strerror(errno));
        return LADDER_ECONFIG;
    }
    size_t cap = 1 << 20;
    char *text = malloc(cap + 1);
    if (!text) {
        fclose(f);
        return LADDER_ENOMEM;
    }
    size_t n = fread(text, 1, cap + 1, f);
    int bad = ferror(f) || n > cap;
    fclose(f);
    if (bad) {
        snprintf(err, err_size, "%s: unreadable or larger than 1 MiB", origin);
        free(text);
        return LADDER_ECONFIG;
    }
    text[n] = '\0';
    int ret = ladder_tiers_parse(out, text, origin, err, err_size);
    free(text);
    return ret;
}

void ladder_tiers_close(ladder_tiers *t)
{
    if (!t)
        return;
    free(t->tiers);
    free(t);
}

int ladder_tiers_count(const ladder_tiers *t)
{
    return t ? t->nb : 0;
}

const char *ladder_tiers_name(const ladder_tiers *t, int i)
{
    return t && i >= 0 && i < t->nb ? t->tiers[i].name : NULL;
}

static bool encodes_anything(const ladder_device_info *d)
{
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if (d->encode[c].usable)
            return true;
    return false;
}

static bool matches(const tier *t, const ladder_device_info *d)
{
    if (t->kinds && !(t->kinds & (1u << d->kind)))
        return false;
    if (t->nvenc >= 0) {
        bool has = d->kind == LADDER_DEVICE_NVIDIA && encodes_anything(d);
        if (has != (t->nvenc == 1))
            return false;
    }
    for (int c = 0; c < LADDER_VIDEO_CODEC_COUNT; c++)
        if ((t->encode & (1u << c)) && !d->encode[c].usable)
            return false;
    /* Unknown memory (-1) meets no minimum: a tier that asks for memory
     * must not take a device it cannot vouch for. */
    if (t->min_memory_gib > 0 &&
        !(d->memory_total >= 0 && (double)d->memory_total >= t->min_memory_gib * 1073741824.0))
        return false;
    if (t->min_cores > 0 && !(d->kind == LADDER_DEVICE_CPU && d->cores >= t->min_cores))
        return false;
    if (t->name_contains[0] && !strstr(d->name, t->name_contains))
        return false;
    return true;
}

int ladder_tiers_match(const ladder_tiers *t, const ladder_device_info *d)
{
    for (int i = 0; t && i < t->nb; i++)
        if (matches(&t->tiers[i], d))
            return i;
    return -1;
}

bool ladder_tiers_allows(const ladder_tiers *t, int tier_index, const char *job_type)
{
    int k = job_index(job_type);
    if (!t || tier_index < 0 || tier_index >= t->nb || k < 0)
        return false;
    return (t->tiers[tier_index].jobs & (1u << k)) != 0;
}

int ladder_tiers_devices_for(const ladder_tiers *t, const char *job_type,
                             const ladder_device_info *const *devices, int nb, bool *allowed)
{
    int count = 0;
    for (int i = 0; i < nb; i++) {
        allowed[i] = !t || ladder_tiers_allows(t, ladder_tiers_match(t, devices[i]), job_type);
        count += allowed[i];
    }
    return count;
}
