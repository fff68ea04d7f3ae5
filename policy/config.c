/*
 * Host configuration (config.h): one table of keys, one
 * text parser per type. A file value, an environment variable and a flag
 * all go through the same parser, so a value means the same wherever it is
 * written, and every error names the key and where the value came from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "policy/config.h"
#include "ladder/ladder_config.h"
#include "pool/decode_select.h"
#include "ladder/device_spec.h"
#include "ladder/error.h"
#include "engine/input_policy.h"

typedef enum conf_type {
    T_PATH,          /* non-empty string */
    T_SLOTS,         /* 1..4096 */
    T_DEVICES,       /* --devices syntax */
    T_DECODE,        /* --decode-device syntax */
    T_PRESET,        /* x264/x265 preset name */
    T_PROTOCOLS,     /* input protocols: "http,https" (ladder/input_policy.h) */
    T_SECONDS,       /* 0.5..60 */
    T_SIZE,          /* bytes: 512M, 2G, 1048576 */
    T_WHEN_BUSY,
    T_PIXELS,        /* 0..2^40 */
    T_PATH_LIST,     /* array of paths (env: colon-separated) */
} conf_type;

typedef struct conf_key {
    ladder_conf_key_info info;
    conf_type type;
    size_t offset;                /* into ladder_conf_values */
    size_t size;                  /* of the field, for strings */
    int64_t min;                  /* T_SIZE: smallest accepted */
} conf_key;

#define FIELD(f) offsetof(ladder_conf_values, f), sizeof(((ladder_conf_values *)0)->f)

/* The table: README.md's "Configuration" section documents the same rows. */
static const conf_key keys[] = {
    { { "state_dir", "path", "", "LADDER_STATE_DIR",
        "directory of the host slot lock files (default $XDG_RUNTIME_DIR/ladder, /run/ladder, /tmp/ladder-UID)" },
      T_PATH, FIELD(state_dir), 0 },
    { { "host_cpu_slots", "int", "", "LADDER_HOST_CPU_SLOTS",
        "CPU slots every ladder process on this host shares (default one per core)" },
      T_SLOTS, FIELD(host_cpu_slots), 0 },
    { { "devices", "devices", "cpu", "LADDER_DEVICES",
        "default device list of ladder encode, --devices syntax" },
      T_DEVICES, FIELD(devices), 0 },
    { { "gpu_sessions", "int", "", "LADDER_GPU_SESSIONS",
        "encoder sessions per GPU that every ladder process on this host shares (1..4096; "
        "default: the GPU's NVENC engines, as ladder devices shows them)" },
      T_SLOTS, FIELD(gpu_sessions), 0 },
    { { "decode_device", "decode", "cpu", "LADDER_DECODE_DEVICE",
        "where ladder encode decodes the source, --decode-device syntax: cpu, gpu[:N|:uuid=UUID], intel[:N] or auto" },
      T_DECODE, FIELD(decode_device), 0 },
    { { "preset", "preset", "veryfast", "LADDER_PRESET", "default encoder preset" },
      T_PRESET, FIELD(preset), 0 },
    { { "segment_seconds", "seconds", "2", "LADDER_SEGMENT_SECONDS", "default segment length, 0.5..60" },
      T_SECONDS, FIELD(segment_seconds), 0 },
    { { "memory_budget", "size", "", "LADDER_MEMORY_BUDGET",
        "default raw-frame memory budget (default automatic)" },
      T_SIZE, FIELD(memory_budget), 1 << 20 },
    { { "when_busy", "enum", "wait", "LADDER_WHEN_BUSY",
        "every allowed device busy: wait, cpu (run on the CPU) or fail (exit 75)" },
      T_WHEN_BUSY, FIELD(when_busy), 0 },
    { { "tier_file", "path", "", "LADDER_TIER_FILE", "tier file: which devices may run which jobs" },
      T_PATH, FIELD(tier_file), 0 },
    { { "routing.gpu_memory_reserve", "size", "512M", "LADDER_GPU_MEMORY_RESERVE",
        "GPU memory a route leaves free on each GPU" },
      T_SIZE, FIELD(gpu_memory_reserve), 0 },
    { { "routing.small_job_max_pixels", "int", "0", "LADDER_SMALL_JOB_MAX_PIXELS",
        "0: every job that fits a GPU's memory prefers it; N: only jobs whose top rung has at most N pixels do" },
      T_PIXELS, FIELD(small_job_max_pixels), 0 },
    { { "allow_protocols", "protocols", "", "LADDER_ALLOW_PROTOCOLS",
        "protocols an encode input may use besides local files: http, https (--allow-protocols)" },
      T_PROTOCOLS, FIELD(allow_protocols), 0 },
    { { "max_pixels", "int", "0", "LADDER_MAX_PIXELS",
        "largest source picture (width x height) of encode and ladder jobs; 0: the built-in 4096x2304" },
      T_PIXELS, FIELD(max_pixels), 0 },
    { { "max_memory", "size", "", "LADDER_MAX_MEMORY",
        "most raw-frame memory of encode and ladder jobs (--max-memory; default none)" },
      T_SIZE, FIELD(max_memory), 1 << 20 },
    { { "output_root", "path", "", "LADDER_OUTPUT_ROOT", "jobs: a spec's output_root must lie under it" },
      T_PATH, FIELD(output_root), 0 },
    { { "input_allow", "paths", "", "LADDER_INPUT_ALLOW",
        "jobs: local inputs must lie under one of these (env: colon-separated)" },
      T_PATH_LIST, FIELD(input_allow), 0 },
};

#define NB_KEYS ((int)(sizeof(keys) / sizeof(keys[0])))

struct ladder_conf {
    ladder_conf_values v;
    ladder_conf_source source[NB_KEYS];
    char origin[NB_KEYS][LADDER_CONF_PATH_MAX + 8];
    char file[LADDER_CONF_PATH_MAX];
};

static const char *const presets[] = {
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
    "placebo",
};

const char *ladder_when_busy_name(ladder_when_busy w)
{
    switch (w) {
    case LADDER_WHEN_BUSY_WAIT: return "wait";
    case LADDER_WHEN_BUSY_CPU:  return "cpu";
    case LADDER_WHEN_BUSY_FAIL: return "fail";
    }
    return "?";
}

static int find_key(const char *name)
{
    for (int i = 0; i < NB_KEYS; i++)
        if (!strcmp(keys[i].info.name, name))
            return i;
    return -1;
}

static int parse_long(const char *text, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int copy_string(char *dst, size_t size, const char *text)
{
    if (strlen(text) >= size)
        return -1;
    memcpy(dst, text, strlen(text) + 1);
    return 0;
}

/*
 * Parse text into a scratch copy of the values, so a bad value leaves the
 * configuration as it was. why gets what was expected.
 */
static int parse_value(const conf_key *k, const char *text, ladder_conf_values *v, char *why, size_t size)
{
    char *field = (char *)v + k->offset;
    long long n;
    switch (k->type) {
    case T_PATH:
        if (!*text || copy_string(field, k->size, text)) {
            snprintf(why, size, "expected a path (1 to %zu bytes)", k->size - 1);
            return -1;
        }
        return 0;
    case T_SLOTS:
        if (parse_long(text, 1, 4096, &n)) {
            snprintf(why, size, "expected a slot count between 1 and 4096");
            return -1;
        }
        *(int *)field = (int)n;
        return 0;
    case T_DEVICES: {
        ladder_device_spec specs[LADDER_MAX_DEVICES];
        int nb;
        char spec_why[256];
        if (strlen(text) >= k->size) {
            snprintf(why, size, "device list longer than %zu bytes", k->size - 1);
            return -1;
        }
        if (ladder_device_spec_parse(text, 1, specs, LADDER_MAX_DEVICES, &nb, spec_why, sizeof(spec_why))) {
            snprintf(why, size, "%s", spec_why);
            return -1;
        }
        return copy_string(field, k->size, text);
    }
    case T_DECODE: {
        ladder_decode_request req;
        char req_why[256];
        if (ladder_decode_request_parse(text, &req, req_why, sizeof(req_why))) {
            snprintf(why, size, "%s", req_why);
            return -1;
        }
        return copy_string(field, k->size, text);
    }
    case T_PROTOCOLS: {
        char policy_why[256];
        if (strlen(text) >= k->size || ladder_input_policy_check(text, policy_why, sizeof(policy_why))) {
            snprintf(why, size, "%s", strlen(text) >= k->size ? "list too long" : policy_why);
            return -1;
        }
        return copy_string(field, k->size, text);
    }
    case T_PRESET:
        for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++)
            if (!strcmp(text, presets[i]))
                return copy_string(field, k->size, text);
        snprintf(why, size, "expected a preset: ultrafast, superfast, veryfast, faster, fast, medium, slow, "
                 "slower, veryslow or placebo");
        return -1;
    case T_SECONDS: {
        char *end;
        errno = 0;
        double s = strtod(text, &end);
        if (errno || end == text || *end || !(s >= 0.5 && s <= 60)) {
            snprintf(why, size, "expected seconds between 0.5 and 60");
            return -1;
        }
        *(double *)field = s;
        return 0;
    }
    case T_SIZE: {
        int64_t bytes;
        if (ladder_config_parse_size(text, &bytes) || bytes < k->min) {
            snprintf(why, size, "expected a size like 512M or 2G%s", k->min ? " (at least 1M)" : "");
            return -1;
        }
        *(int64_t *)field = bytes;
        return 0;
    }
    case T_WHEN_BUSY:
        if (!strcmp(text, "wait")) v->when_busy = LADDER_WHEN_BUSY_WAIT;
        else if (!strcmp(text, "cpu")) v->when_busy = LADDER_WHEN_BUSY_CPU;
        else if (!strcmp(text, "fail")) v->when_busy = LADDER_WHEN_BUSY_FAIL;
        else {
            snprintf(why, size, "expected wait, cpu or fail");
            return -1;
        }
        return 0;
    case T_PIXELS:
        if (parse_long(text, 0, 1LL << 40, &n)) {
            snprintf(why, size, "expected a pixel count (width x height), 0 or more");
            return -1;
        }
        *(int64_t *)field = (int64_t)n;
        return 0;
    case T_PATH_LIST: {
        /* Text form (environment, flags): colon-separated. */
        int nb = 0;
        const char *p = text;
        while (*p) {
            const char *colon = strchr(p, ':');
            size_t len = colon ? (size_t)(colon - p) : strlen(p);
            if (len == 0 || len >= LADDER_CONF_PATH_MAX || nb == LADDER_CONF_ALLOW_MAX) {
                snprintf(why, size, "expected at most %d non-empty paths separated by ':'",
                         LADDER_CONF_ALLOW_MAX);
                return -1;
            }
            memcpy(v->input_allow[nb], p, len);
            v->input_allow[nb][len] = '\0';
            nb++;
            p += len + (colon ? 1 : 0);
            if (colon && !*p) {
                snprintf(why, size, "expected non-empty paths separated by ':'");
                return -1;
            }
        }
        v->nb_input_allow = nb;
        return 0;
    }
    }
    snprintf(why, size, "unknown type");
    return -1;
}

/* The source's description in messages: "config file X", "environment X", "flag". */
static void describe(const char *origin, char *buf, size_t size)
{
    if (!strncmp(origin, "file:", 5))
        snprintf(buf, size, "config file %s", origin + 5);
    else if (!strncmp(origin, "env:", 4))
        snprintf(buf, size, "environment variable %s", origin + 4);
    else
        snprintf(buf, size, "%s", origin);
}

static int set_index(ladder_conf *c, int i, const char *text, ladder_conf_source source,
                     const char *origin, char *err, size_t err_size)
{
    ladder_conf_values scratch = c->v;
    char why[320];
    if (parse_value(&keys[i], text, &scratch, why, sizeof(why))) {
        char where[LADDER_CONF_PATH_MAX + 32];
        describe(origin, where, sizeof(where));
        snprintf(err, err_size, "%s: key %s: %s, got \"%.80s\"", where, keys[i].info.name, why, text);
        return LADDER_ECONFIG;
    }
    c->v = scratch;
    c->source[i] = source;
    snprintf(c->origin[i], sizeof(c->origin[i]), "%s", origin);
    return 0;
}

int ladder_conf_set(ladder_conf *c, const char *key, const char *text, ladder_conf_source source,
                    const char *origin, char *err, size_t err_size)
{
    char fallback[LADDER_CONF_PATH_MAX];
    int i = find_key(key);
    if (!origin) {
        switch (source) {
        case LADDER_CONF_ENV:
            snprintf(fallback, sizeof(fallback), "env:%s", i >= 0 && keys[i].info.env ? keys[i].info.env : "?");
            break;
        case LADDER_CONF_FILE: snprintf(fallback, sizeof(fallback), "file:?"); break;
        case LADDER_CONF_DEFAULT: snprintf(fallback, sizeof(fallback), "default"); break;
        default: snprintf(fallback, sizeof(fallback), "flag"); break;
        }
        origin = fallback;
    }
    if (i < 0) {
        char where[LADDER_CONF_PATH_MAX + 32];
        describe(origin, where, sizeof(where));
        snprintf(err, err_size, "%s: unknown key %s", where, key);
        return LADDER_ECONFIG;
    }
    return set_index(c, i, text, source, origin, err, err_size);
}

int ladder_conf_init(ladder_conf **out)
{
    ladder_conf *c = calloc(1, sizeof(*c));
    if (!c)
        return LADDER_ENOMEM;
    for (int i = 0; i < NB_KEYS; i++) {
        char why[320];
        snprintf(c->origin[i], sizeof(c->origin[i]), "default");
        /* The defaults are table text, parsed like any value: one truth. */
        if (keys[i].info.default_text[0] && parse_value(&keys[i], keys[i].info.default_text, &c->v, why,
                                                          sizeof(why))) {
            free(c);
            return LADDER_EINTERNAL;
        }
    }
    *out = c;
    return 0;
}

void ladder_conf_close(ladder_conf *c)
{
    free(c);
}

/* One JSON value as the text the parsers take; why is set when its JSON type is wrong. */
static int json_to_text(const conf_key *k, json_object *val, char *buf, size_t size, char *why, size_t why_size)
{
    enum json_type t = json_object_get_type(val);
    switch (k->type) {
    case T_SLOTS: case T_PIXELS:
        if (t != json_type_int) {
            snprintf(why, why_size, "expected an integer");
            return -1;
        }
        snprintf(buf, size, "%lld", (long long)json_object_get_int64(val));
        return 0;
    case T_SECONDS:
        if (t != json_type_int && t != json_type_double) {
            snprintf(why, why_size, "expected a number of seconds");
            return -1;
        }
        snprintf(buf, size, "%.17g", json_object_get_double(val));
        return 0;
    case T_SIZE:
        if (t == json_type_int) {
            snprintf(buf, size, "%lld", (long long)json_object_get_int64(val));
            return 0;
        }
        if (t == json_type_string) {
            snprintf(buf, size, "%s", json_object_get_string(val));
            return 0;
        }
        snprintf(why, why_size, "expected bytes (an integer) or a size string like \"512M\"");
        return -1;
    case T_PATH_LIST: {
        /* An array of strings; joined with ':' for the text parser, so a
         * path holding ':' is refused rather than split. */
        if (t != json_type_array) {
            snprintf(why, why_size, "expected an array of paths");
            return -1;
        }
        size_t used = 0;
        buf[0] = '\0';
        for (size_t j = 0; j < json_object_array_length(val); j++) {
            json_object *e = json_object_array_get_idx(val, j);
            if (!json_object_is_type(e, json_type_string) || !json_object_get_string_len(e) ||
                strchr(json_object_get_string(e), ':')) {
                snprintf(why, why_size, "expected an array of non-empty paths without ':'");
                return -1;
            }
            int w = snprintf(buf + used, size - used, "%s%s", j ? ":" : "", json_object_get_string(e));
            if (w < 0 || (size_t)w >= size - used) {
                snprintf(why, why_size, "list too long");
                return -1;
            }
            used += (size_t)w;
        }
        return 0;
    }
    default:
        if (t != json_type_string) {
            snprintf(why, why_size, "expected a string");
            return -1;
        }
        snprintf(buf, size, "%s", json_object_get_string(val));
        return 0;
    }
}

/* Apply object o's keys; prefix is "" or "routing.". */
static int apply_object(ladder_conf *c, json_object *o, const char *prefix, const char *origin,
                        const char *path, char *err, size_t err_size)
{
    json_object_object_foreach(o, name, val) {
        char full[128];
        snprintf(full, sizeof(full), "%s%s", prefix, name);
        if (!*prefix && !strcmp(name, "routing")) {
            if (!json_object_is_type(val, json_type_object)) {
                snprintf(err, err_size, "config file %s: key routing: expected an object", path);
                return LADDER_ECONFIG;
            }
            int ret = apply_object(c, val, "routing.", origin, path, err, err_size);
            if (ret)
                return ret;
            continue;
        }
        int i = find_key(full);
        if (i < 0) {
            snprintf(err, err_size, "config file %s: unknown key %s", path, full);
            return LADDER_ECONFIG;
        }
        char text[LADDER_CONF_PATH_MAX * 4], why[160];
        if (json_to_text(&keys[i], val, text, sizeof(text), why, sizeof(why))) {
            snprintf(err, err_size, "config file %s: key %s: %s", path, full, why);
            return LADDER_ECONFIG;
        }
        int ret = set_index(c, i, text, LADDER_CONF_FILE, origin, err, err_size);
        if (ret)
            return ret;
    }
    return 0;
}

int ladder_conf_load_text(ladder_conf *c, const char *text, const char *origin, char *err, size_t err_size)
{
    const char *path = !strncmp(origin, "file:", 5) ? origin + 5 : origin;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return LADDER_ENOMEM;
    json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    /* Only white space may follow the object. */
    const char *rest = text + (root && jerr == json_tokener_success ? tok->char_offset : 0);
    while (*rest == ' ' || *rest == '\t' || *rest == '\n' || *rest == '\r')
        rest++;
    if (!root || jerr != json_tokener_success || *rest) {
        snprintf(err, err_size, "config file %s: not valid JSON (%s)", path,
                 jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "text after the object");
        json_object_put(root);
        json_tokener_free(tok);
        return LADDER_ECONFIG;
    }
    json_tokener_free(tok);
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(err, err_size, "config file %s: expected a JSON object at the top", path);
        json_object_put(root);
        return LADDER_ECONFIG;
    }
    /* Apply to a copy: a file with one bad key changes nothing. */
    ladder_conf copy = *c;
    int ret = apply_object(&copy, root, "", origin, path, err, err_size);
    json_object_put(root);
    if (ret)
        return ret;
    *c = copy;
    snprintf(c->file, sizeof(c->file), "%s", path);
    return 0;
}

int ladder_conf_load_file(ladder_conf *c, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_size, "config file %s: cannot read: %s", path, strerror(errno));
        return LADDER_ECONFIG;
    }
    /* A config file is small; 1 MiB is generous and bounds a wrong path. */
    size_t cap = 1 << 20;
    char *text = malloc(cap + 1);
    if (!text) {
        fclose(f);
        return LADDER_ENOMEM;
    }
    size_t n = fread(text, 1, cap + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error || n > cap) {
        snprintf(err, err_size, "config file %s: %s", path, read_error ? "read error" : "larger than 1 MiB");
        free(text);
        return LADDER_ECONFIG;
    }
    text[n] = '\0';
    char origin[LADDER_CONF_PATH_MAX + 8];
    snprintf(origin, sizeof(origin), "file:%s", path);
    int ret = ladder_conf_load_text(c, text, origin, err, err_size);
    free(text);
    return ret;
}

int ladder_conf_apply_env(ladder_conf *c, char *err, size_t err_size)
{
    for (int i = 0; i < NB_KEYS; i++) {
        const char *name = keys[i].info.env;
        const char *value = name ? getenv(name) : NULL;
        if (!value || !*value)
            continue;
        char origin[64];
        snprintf(origin, sizeof(origin), "env:%s", name);
        int ret = set_index(c, i, value, LADDER_CONF_ENV, origin, err, err_size);
        if (ret)
            return ret;
    }
    return 0;
}

int ladder_conf_find_file(const char *flag_path, char *buf, size_t size)
{
    buf[0] = '\0';
    const char *env = getenv("LADDER_CONFIG");
    if (flag_path && *flag_path) {
        snprintf(buf, size, "%s", flag_path);
        return 1;
    }
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return 1;
    }
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        snprintf(buf, size, "%s/ladder/config.json", xdg);
    else if (home && *home)
        snprintf(buf, size, "%s/.config/ladder/config.json", home);
    if (buf[0] && access(buf, F_OK) == 0)
        return 1;
    if (access("/etc/ladder/config.json", F_OK) == 0) {
        snprintf(buf, size, "/etc/ladder/config.json");
        return 1;
    }
    buf[0] = '\0';
    return 0;
}

int ladder_conf_load(ladder_conf **out, const char *flag_path, char *err, size_t err_size)
{
    *out = NULL;
    ladder_conf *c;
    int ret = ladder_conf_init(&c);
    if (ret) {
        snprintf(err, err_size, "configuration: %s", ladder_strerror(ret));
        return ret;
    }
    char path[LADDER_CONF_PATH_MAX];
    if (ladder_conf_find_file(flag_path, path, sizeof(path)))
        ret = ladder_conf_load_file(c, path, err, err_size);
    if (!ret)
        ret = ladder_conf_apply_env(c, err, err_size);
    if (ret) {
        ladder_conf_close(c);
        return ret;
    }
    *out = c;
    return 0;
}

const ladder_conf_values *ladder_conf_get(const ladder_conf *c)
{
    return &c->v;
}

const char *ladder_conf_file(const ladder_conf *c)
{
    return c->file;
}

int ladder_conf_key_count(void)
{
    return NB_KEYS;
}

const ladder_conf_key_info *ladder_conf_key(int i)
{
    return i >= 0 && i < NB_KEYS ? &keys[i].info : NULL;
}

const char *ladder_conf_origin(const ladder_conf *c, int i)
{
    return i >= 0 && i < NB_KEYS ? c->origin[i] : "";
}

ladder_conf_source ladder_conf_source_of(const ladder_conf *c, int i)
{
    return i >= 0 && i < NB_KEYS ? c->source[i] : LADDER_CONF_DEFAULT;
}

void ladder_conf_format(const ladder_conf *c, int i, char *buf, size_t size)
{
    buf[0] = '\0';
    if (i < 0 || i >= NB_KEYS)
        return;
    const char *field = (const char *)&c->v + keys[i].offset;
    switch (keys[i].type) {
    case T_PATH: case T_DEVICES: case T_DECODE: case T_PRESET: case T_PROTOCOLS: snprintf(buf, size, "%s", field); break;
    case T_SLOTS:
        if (*(const int *)field)          /* 0: unset (one per core) */
            snprintf(buf, size, "%d", *(const int *)field);
        break;
    case T_SECONDS: snprintf(buf, size, "%g", *(const double *)field); break;
    case T_SIZE: case T_PIXELS:
        if (keys[i].min == 0 || *(const int64_t *)field)   /* memory_budget 0: automatic */
            snprintf(buf, size, "%lld", (long long)*(const int64_t *)field);
        break;
    case T_WHEN_BUSY: snprintf(buf, size, "%s", ladder_when_busy_name(c->v.when_busy)); break;
    case T_PATH_LIST: {
        size_t used = 0;
        for (int j = 0; j < c->v.nb_input_allow && used < size; j++) {
            int w = snprintf(buf + used, size - used, "%s%s", j ? ":" : "", c->v.input_allow[j]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        break;
    }
    }
}

/* A key's value as JSON: numbers as numbers, unset ("" / 0 meaning automatic) as null. */
static json_object *value_json(const ladder_conf *c, int i)
{
    const char *field = (const char *)&c->v + keys[i].offset;
    switch (keys[i].type) {
    case T_PATH: case T_DEVICES: case T_DECODE: case T_PRESET: case T_PROTOCOLS:
        return field[0] ? json_object_new_string(field) : NULL;
    case T_SLOTS: return *(const int *)field ? json_object_new_int(*(const int *)field) : NULL;
    case T_SECONDS: return json_object_new_double(*(const double *)field);
    case T_SIZE:
        /* memory_budget 0 is "automatic"; a 0 reserve is a real value. */
        if (keys[i].min > 0 && *(const int64_t *)field == 0)
            return NULL;
        return json_object_new_int64(*(const int64_t *)field);
    case T_PIXELS: return json_object_new_int64(*(const int64_t *)field);
    case T_WHEN_BUSY: return json_object_new_string(ladder_when_busy_name(c->v.when_busy));
    case T_PATH_LIST: {
        json_object *a = json_object_new_array();
        for (int j = 0; j < c->v.nb_input_allow; j++)
            json_object_array_add(a, json_object_new_string(c->v.input_allow[j]));
        return a;
    }
    }
    return NULL;
}

char *ladder_conf_json(const ladder_conf *c)
{
    json_object *root = json_object_new_object();
    if (!root)
        return NULL;
    json_object_object_add(root, "file", c->file[0] ? json_object_new_string(c->file) : NULL);
    json_object *list = json_object_new_object();
    for (int i = 0; i < NB_KEYS; i++) {
        json_object *k = json_object_new_object();
        json_object_object_add(k, "value", value_json(c, i));
        json_object_object_add(k, "source", json_object_new_string(c->origin[i]));
        json_object_object_add(k, "env", keys[i].info.env ? json_object_new_string(keys[i].info.env) : NULL);
        json_object_object_add(list, keys[i].info.name, k);
    }
    json_object_object_add(root, "keys", list);
    const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
    char *copy = text ? strdup(text) : NULL;
    json_object_put(root);
    return copy;
}
