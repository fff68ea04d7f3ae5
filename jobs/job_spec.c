/*
 * Job specs: JSON text -> ladder_job_spec, validated. A queue message
 * carries its producer's own fields too (ids, callbacks): a key that is not
 * ladder's is ignored and listed (ignored_keys), but one a slip away from
 * a key of the job's type is an error, since a typo must not silently
 * produce a default result.
 */
#include <json-c/json.h>
#include <pthread.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ladder/job.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"
#include "engine/job_options.h"
#include "engine/spell.h"

static const char *const type_names[] = {
    [LADDER_JOB_PROXY] = "proxy", [LADDER_JOB_THUMBNAIL] = "thumbnail",
    [LADDER_JOB_FILMSTRIP] = "filmstrip", [LADDER_JOB_CONFORM] = "conform",
    [LADDER_JOB_TRIM] = "trim", [LADDER_JOB_LADDER] = "ladder",
};

const char *ladder_job_type_name(ladder_job_type t)
{
    return (unsigned)t < sizeof(type_names) / sizeof(type_names[0]) ? type_names[t] : "unknown";
}

/* Keys every type takes, then the keys of each type. */
static const char *const common_keys[] = { "type", "id", "input", "output_root", "output", "url_allow", "class",
                                         NULL };
/* Producer names that sit a slip away from a short key of ladder's and are
 * too common in job data to be read as typos of it. */
static const char *const producer_names[] = { "code", "mime", "node", NULL };

static bool key_in(const char *key, const char *const *list);
static const char *const *keys_of(ladder_job_type t);

/* The nearest key of list within its typo limit (first of equals), with
 * its distance in *best. */
static const char *nearest(const char *key, const char *const *list, const char *found, int *best)
{
    for (; *list; list++) {
        int limit = spell_limit(*list);
        int dist = spell_distance(key, *list, limit);
        if (dist <= limit && dist < *best) {
            *best = dist;
            found = *list;
        }
    }
    return found;
}

const char *ladder_job_key_typo(ladder_job_type type, const char *key)
{
    if ((unsigned)type > LADDER_JOB_LADDER || key_in(key, producer_names))
        return NULL;
    int best = INT32_MAX;
    const char *found = nearest(key, common_keys, NULL, &best);
    return nearest(key, keys_of(type), found, &best);
}

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return LADDER_ECONFIG;
}

static bool key_in(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return true;
    return false;
}

static int get_string(json_object *root, const char *key, bool required, char **out, char *err, size_t n)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v)) {
        if (required)
            return fail(err, n, "job spec: missing \"%s\"", key);
        return 0;
    }
    if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
        return fail(err, n, "job spec: \"%s\" must be a non-empty string", key);
    char *s = strdup(json_object_get_string(v));
    if (!s)
        return LADDER_ENOMEM;
    free(*out);
    *out = s;
    return 0;
}

/* A number in [lo, hi]; *given tells whether the key was there. */
static int get_number(json_object *root, const char *key, double lo, double hi, double *out, bool *given,
                      char *err, size_t n)
{
    json_object *v;
    if (given)
        *given = false;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return fail(err, n, "job spec: \"%s\" must be a number", key);
    double d = json_object_get_double(v);
    if (!isfinite(d) || d < lo || d > hi)
        return fail(err, n, "job spec: \"%s\" must be between %g and %g", key, lo, hi);
    *out = d;
    if (given)
        *given = true;
    return 0;
}

static int get_int(json_object *root, const char *key, int lo, int hi, int *out, char *err, size_t n)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int))
        return fail(err, n, "job spec: \"%s\" must be an integer", key);
    int64_t i = json_object_get_int64(v);
    if (i < lo || i > hi)
        return fail(err, n, "job spec: \"%s\" must be between %d and %d", key, lo, hi);
    *out = (int)i;
    return 0;
}

/* "2000k", "2M", or a number in kb/s. */
static int get_kbps(json_object *root, const char *key, int lo, int hi, int *out, char *err, size_t n)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    double kbps;
    if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)) {
        kbps = json_object_get_double(v);
    } else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end;
        kbps = strtod(s, &end);
        if (end == s)
            return fail(err, n, "job spec: \"%s\" '%s': expected kb/s like \"2000k\" or \"2M\"", key, s);
        if (!strcmp(end, "k") || !strcmp(end, "K"))
            ;
        else if (!strcmp(end, "M") || !strcmp(end, "m"))
            kbps *= 1000;
        else if (*end == 0)
            kbps /= 1000;         /* a bare string number is bits/s */
        else
            return fail(err, n, "job spec: \"%s\" '%s': expected kb/s like \"2000k\" or \"2M\"", key, s);
    } else {
        return fail(err, n, "job spec: \"%s\" must be a number (kb/s) or a string like \"2000k\"", key);
    }
    if (!(kbps >= lo && kbps <= hi))
        return fail(err, n, "job spec: \"%s\" must be between %d and %d kb/s", key, lo, hi);
    *out = (int)lround(kbps);
    return 0;
}

bool ladder_job_output_name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 128 || name[0] == '.')
        return false;             /* also refuses "." and ".." and our own hidden temporaries */
    for (const char *p = name; *p; p++)
        if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* "scheme://" at the start, the scheme as RFC 3986 spells it. */
static bool has_scheme(const char *s)
{
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return false;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '+' ||
           *p == '-' || *p == '.')
        p++;
    return !strncmp(p, "://", 3);
}

static bool is_file_url(const char *s)
{
    return !strncasecmp(s, "file:", 5);
}

bool ladder_job_input_is_url(const char *input)
{
    return has_scheme(input) || is_file_url(input);
}

static bool prefix_in_list(const char *input, const char *list)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ') {
            p++;
            len--;
        }
        if (len && !strncmp(input, p, len))
            return true;
        if (!comma)
            break;
        p = comma + 1;
    }
    return false;
}

bool ladder_job_input_allowed(const char *input, const char *const *allow, int nb_allow, const char *env_list)
{
    /* A URL is "scheme://": a colon elsewhere is part of a file name
     * (ladder_job_input_open_path keeps FFmpeg from reading "name:" as a
     * protocol). A file: URL is refused whatever the lists say: as a URL
     * it would not be held to input_allow. */
    if (!ladder_job_input_is_url(input))
        return true;
    if (is_file_url(input))
        return false;
    for (int i = 0; i < nb_allow; i++)
        if (allow[i][0] && !strncmp(input, allow[i], strlen(allow[i])))
            return true;
    return env_list && prefix_in_list(input, env_list);
}

char *ladder_job_input_open_path(const char *input)
{
    const char *colon = strchr(input, ':'), *slash = strchr(input, '/');
    bool guard = !ladder_job_input_is_url(input) && input[0] != '/' && colon && (!slash || colon < slash);
    size_t n = strlen(input) + 3;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s%s", guard ? "./" : "", input);
    return path;
}

static void spec_defaults(ladder_job_spec *s)
{
    s->height = 0;
    s->bitrate_kbps = 0;
    s->crf = -1;
    s->audio_bitrate_kbps = 128;
    s->audio_channels = 2;
    s->audio_rate = 48000;
    s->time = -1;
    s->interval = 10;
    s->columns = 5;
    s->in = s->out = -1;
}

/* ---- the keys of the other types: one row each --------------------------- */

#define T(type) (1u << (type))
#define SPEC(f) offsetof(ladder_job_spec, f)

typedef enum spec_kind { K_INT, K_NUMBER, K_KBPS, K_TEXT, K_CHOICE } spec_kind;

typedef struct spec_field {
    unsigned types;               /* T(LADDER_JOB_...) of the types that take it */
    const char *key;
    spec_kind kind;
    double lo, hi;
    size_t offset;                /* int, double, char * or (K_CHOICE) int-sized enum */
    const job_option_choice *choices; /* K_CHOICE; "expected" lists them */
    size_t given;                 /* offset of a bool set when the key is there; 0: none */
} spec_field;

static const job_option_choice image_formats[] = {
    { "jpeg", LADDER_IMAGE_JPEG }, { "jpg", LADDER_IMAGE_JPEG }, { "webp", LADDER_IMAGE_WEBP }, { NULL, 0 } };
static const job_option_choice fits[] = { { "pad", LADDER_FIT_PAD }, { "crop", LADDER_FIT_CROP }, { NULL, 0 } };
static const job_option_choice trim_modes[] = {
    { "smart", LADDER_TRIM_SMART }, { "reencode", LADDER_TRIM_REENCODE }, { NULL, 0 } };

#define IMAGES (T(LADDER_JOB_THUMBNAIL) | T(LADDER_JOB_FILMSTRIP))
#define ENCODES (T(LADDER_JOB_CONFORM) | T(LADDER_JOB_TRIM))

static const spec_field spec_fields[] = {
    { T(LADDER_JOB_PROXY), "height", K_INT, 16, 4320, SPEC(height), NULL, 0 },
    { T(LADDER_JOB_PROXY), "bitrate", K_KBPS, 50, 100000, SPEC(bitrate_kbps), NULL, 0 },
    { T(LADDER_JOB_THUMBNAIL), "time", K_NUMBER, 0, 1e7, SPEC(time), NULL, 0 },
    { T(LADDER_JOB_FILMSTRIP), "count", K_INT, 1, 1000, SPEC(count), NULL, 0 },
    { T(LADDER_JOB_FILMSTRIP), "interval", K_NUMBER, 0.1, 1e6, SPEC(interval), NULL, 0 },
    { T(LADDER_JOB_FILMSTRIP), "columns", K_INT, 1, 100, SPEC(columns), NULL, 0 },
    { T(LADDER_JOB_FILMSTRIP), "rows", K_INT, 0, 100, SPEC(rows), NULL, 0 },
    { IMAGES, "width", K_INT, 0, 8192, SPEC(width), NULL, 0 },
    { IMAGES, "height", K_INT, 0, 8192, SPEC(height), NULL, 0 },
    { IMAGES, "format", K_CHOICE, 0, 0, SPEC(image_format), image_formats, 0 },
    { IMAGES, "quality", K_INT, 1, 100, SPEC(quality), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "fps", K_NUMBER, 1, 240, SPEC(fps), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "width", K_INT, 16, 8192, SPEC(width), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "height", K_INT, 16, 8192, SPEC(height), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "fit", K_CHOICE, 0, 0, SPEC(fit), fits, 0 },
    { T(LADDER_JOB_CONFORM), "pix_fmt", K_TEXT, 0, 0, SPEC(pix_fmt), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "audio_channels", K_INT, 1, 2, SPEC(audio_channels), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "audio_rate", K_INT, 8000, 96000, SPEC(audio_rate), NULL, 0 },
    { T(LADDER_JOB_CONFORM), "loudness", K_NUMBER, -70, -5, SPEC(loudness), NULL, SPEC(has_loudness) },
    { T(LADDER_JOB_TRIM), "in", K_NUMBER, 0, 1e7, SPEC(in), NULL, 0 },
    { T(LADDER_JOB_TRIM), "out", K_NUMBER, 0, 1e7, SPEC(out), NULL, 0 },
    { T(LADDER_JOB_TRIM), "mode", K_CHOICE, 0, 0, SPEC(trim_mode), trim_modes, SPEC(trim_mode_given) },
    { ENCODES, "bitrate", K_KBPS, 50, 200000, SPEC(bitrate_kbps), NULL, 0 },
    { ENCODES, "crf", K_INT, 0, 51, SPEC(crf), NULL, 0 },
    { T(LADDER_JOB_PROXY) | ENCODES, "audio_bitrate", K_KBPS, 32, 512, SPEC(audio_bitrate_kbps), NULL, 0 },
    { T(LADDER_JOB_PROXY) | ENCODES, "preset", K_TEXT, 0, 0, SPEC(preset), NULL, 0 },
};

#define NB_SPEC_FIELDS (sizeof(spec_fields) / sizeof(spec_fields[0]))

/* Each type's keys, from the rows above and (the ladder type) the option
 * table's spec keys; built once. */
static const char *type_keys[LADDER_JOB_LADDER + 1][48];
static pthread_once_t type_keys_once = PTHREAD_ONCE_INIT;

static void add_key(const char **list, const char *key)
{
    int n = 0;
    while (list[n] && strcmp(list[n], key))
        n++;
    if (!list[n] && n < 47)
        list[n] = key;
}

static void build_type_keys(void)
{
    for (size_t f = 0; f < NB_SPEC_FIELDS; f++)
        for (int t = 0; t <= LADDER_JOB_LADDER; t++)
            if (spec_fields[f].types & T(t))
                add_key(type_keys[t], spec_fields[f].key);
    add_key(type_keys[LADDER_JOB_LADDER], "rungs");
    for (int i = 0; i < job_option_count(); i++)
        if (job_option_at(i)->spec_key)
            add_key(type_keys[LADDER_JOB_LADDER], job_option_at(i)->spec_key);
}

static const char *const *keys_of(ladder_job_type t)
{
    pthread_once(&type_keys_once, build_type_keys);
    return type_keys[t];
}

static int get_choice(json_object *root, const spec_field *f, int *out, char *err, size_t n)
{
    char *text = NULL;
    int ret = get_string(root, f->key, false, &text, err, n);
    if (ret || !text)
        return ret;
    for (int i = 0; f->choices[i].name; i++)
        if (!strcmp(text, f->choices[i].name)) {
            *out = f->choices[i].value;
            free(text);
            return 0;
        }
    char list[128] = "";
    for (int i = 0; f->choices[i].name; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"", i == 0 ? "" :
                 f->choices[i + 1].name ? ", " : " or ", f->choices[i].name);
    ret = fail(err, n, "job spec: \"%s\" '%s': expected %s", f->key, text, list);
    free(text);
    return ret;
}

static int get_field(json_object *root, const spec_field *f, ladder_job_spec *s, char *err, size_t n)
{
    void *field = (char *)s + f->offset;
    bool given = json_object_object_get_ex(root, f->key, NULL);
    if (f->given && given)
        *(bool *)((char *)s + f->given) = true;
    switch (f->kind) {
    case K_INT: return get_int(root, f->key, (int)f->lo, (int)f->hi, field, err, n);
    case K_NUMBER: return get_number(root, f->key, f->lo, f->hi, field, NULL, err, n);
    case K_KBPS: return get_kbps(root, f->key, (int)f->lo, (int)f->hi, field, err, n);
    case K_TEXT: return get_string(root, f->key, false, field, err, n);
    case K_CHOICE: return get_choice(root, f, field, err, n);
    }
    return 0;
}

/* Sizes a type fills in when the spec leaves them out. */
static void type_defaults(ladder_job_spec *s)
{
    switch (s->type) {
    case LADDER_JOB_PROXY: s->height = 540, s->bitrate_kbps = 2000; break;
    case LADDER_JOB_FILMSTRIP: s->width = 160, s->height = 90; break;
    case LADDER_JOB_CONFORM: s->width = 1920, s->height = 1080; break;
    default: break;
    }
}

/* What no single key can check: evenness, pairs, orders. */
static int type_checks(const ladder_job_spec *s, json_object *root, char *err, size_t n)
{
    bool encodes = s->type == LADDER_JOB_CONFORM || s->type == LADDER_JOB_TRIM;
    if (s->type == LADDER_JOB_PROXY && s->height % 2)
        return fail(err, n, "job spec: \"height\" must be even");
    if (s->type == LADDER_JOB_FILMSTRIP && (s->width < 16 || s->height < 16))
        return fail(err, n, "job spec: \"%s\" must be at least 16 for a filmstrip tile",
                    s->width < 16 ? "width" : "height");
    if (s->type == LADDER_JOB_CONFORM && (s->width % 2 || s->height % 2))
        return fail(err, n, "job spec: \"%s\" must be even", s->width % 2 ? "width" : "height");
    if (s->type == LADDER_JOB_CONFORM && strcmp(s->pix_fmt, "yuv420p") && strcmp(s->pix_fmt, "yuv422p") &&
        strcmp(s->pix_fmt, "yuv444p"))
        return fail(err, n, "job spec: \"pix_fmt\" '%s': expected yuv420p, yuv422p or yuv444p", s->pix_fmt);
    if (s->type == LADDER_JOB_TRIM) {
        bool has_in = json_object_object_get_ex(root, "in", NULL), has_out = json_object_object_get_ex(root, "out", NULL);
        if (!has_in || !has_out)
            return fail(err, n, "job spec: missing \"%s\"", !has_in ? "in" : "out");
        if (!(s->out > s->in))
            return fail(err, n, "job spec: \"out\" (%g) must be after \"in\" (%g)", s->out, s->in);
    }
    if (encodes && s->bitrate_kbps && s->crf >= 0)
        return fail(err, n, "job spec: give \"bitrate\" or \"crf\", not both");
    return 0;
}

/* The ladder type: every key through the option table, then the public
 * fields of the spec from it. */
static int parse_ladder_options(json_object *root, ladder_job_spec *s, char *err, size_t n)
{
    json_object *v;
    if (json_object_object_get_ex(root, "rungs", &v)) {
        if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
            return fail(err, n, "job spec: \"rungs\" must be a non-empty array of rung objects");
        if (!(s->rungs_json = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN))))
            return LADDER_ENOMEM;
    }
    if (job_options_init(&s->options))
        return LADDER_ENOMEM;
    json_object_object_foreach(root, key, val) {
        const job_option *row = job_option_by_spec_key(key);
        int ret = row ? job_options_set_json(s->options, row, val, JOB_OPT_SPEC, "job spec", err, n) : 0;
        if (ret)
            return ret;
    }
    const job_option_values *o = job_options_values(s->options);
    s->formats = o->formats;
    s->codec = o->codec;
    s->segment_seconds = json_object_object_get_ex(root, "segment_seconds", NULL) ? o->segment_seconds : 0;
    s->deterministic = o->deterministic;
    s->exact_shape = o->exact_shape;
    s->close_gaps = o->gaps == 1;
    s->max_pixels = o->max_pixels;
    s->max_duration = o->max_duration;
    s->max_memory = o->max_memory;
    free(s->preset);
    return (s->preset = strdup(o->preset)) ? 0 : LADDER_ENOMEM;
}

static int parse_type_options(json_object *root, ladder_job_spec *s, char *err, size_t n)
{
    if (s->type == LADDER_JOB_LADDER)
        return parse_ladder_options(root, s, err, n);
    type_defaults(s);
    for (size_t f = 0; f < NB_SPEC_FIELDS; f++) {
        int ret = spec_fields[f].types & T(s->type) ? get_field(root, &spec_fields[f], s, err, n) : 0;
        if (ret)
            return ret;
    }
    int ret = type_checks(s, root, err, n);
    if (!ret && (s->type == LADDER_JOB_CONFORM || s->type == LADDER_JOB_TRIM) && !s->bitrate_kbps && s->crf < 0)
        s->crf = s->type == LADDER_JOB_TRIM ? 18 : 23;
    return ret;
}

/* The type's keys are read later; a typo of one is an error; every other
 * key is the producer's: kept aside in ignored_keys for the result. */
static int sort_keys(json_object *root, ladder_job_spec *s, char *err, size_t n)
{
    json_object_object_foreach(root, key, val) {
        (void)val;
        if (key_in(key, common_keys) || key_in(key, keys_of(s->type)))
            continue;
        const char *meant = ladder_job_key_typo(s->type, key);
        if (meant)
            return fail(err, n, "job spec: unknown key \"%s\" for a %s job: did you mean \"%s\"?", key,
                        type_names[s->type], meant);
        char **grown = realloc(s->ignored_keys, (size_t)(s->nb_ignored_keys + 1) * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        s->ignored_keys = grown;
        if (!(grown[s->nb_ignored_keys] = strdup(key)))
            return LADDER_ENOMEM;
        s->nb_ignored_keys++;
    }
    return 0;
}

int ladder_job_spec_parse(const char *json, ladder_job_spec **out, char *err, size_t n)
{
    *out = NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return LADDER_ENOMEM;
    json_object *root = json_tokener_parse_ex(tok, json, (int)strlen(json));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    /* Trailing garbage after the object is refused, like a truncated one. */
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return fail(err, n, "job spec: not valid JSON (%s)",
                    jerr != json_tokener_success ? json_tokener_error_desc(jerr) : "empty");
    }
    for (const char *p = json + used; *p; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            json_object_put(root);
            return fail(err, n, "job spec: unexpected text after the JSON object");
        }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return fail(err, n, "job spec: expected a JSON object");
    }
    ladder_job_spec *s = calloc(1, sizeof(*s));
    if (!s) {
        json_object_put(root);
        return LADDER_ENOMEM;
    }
    spec_defaults(s);
    char *type = NULL;
    int ret = get_string(root, "type", true, &type, err, n);
    if (!ret) {
        size_t t;
        for (t = 0; t < sizeof(type_names) / sizeof(type_names[0]); t++)
            if (!strcmp(type, type_names[t]))
                break;
        if (t == sizeof(type_names) / sizeof(type_names[0]))
            ret = fail(err, n, "job spec: \"type\" '%s': expected proxy, thumbnail, filmstrip, conform, "
                       "trim or ladder", type);
        else
            s->type = (ladder_job_type)t;
    }
    free(type);
    if (!ret)
        ret = sort_keys(root, s, err, n);
    if (!ret)
        ret = get_string(root, "id", false, &s->id, err, n);
    if (!ret)
        ret = get_string(root, "input", true, &s->input, err, n);
    if (!ret)
        ret = get_string(root, "output_root", true, &s->output_root, err, n);
    if (!ret)
        ret = get_string(root, "output", true, &s->output, err, n);
    if (!ret && !ladder_job_output_name_ok(s->output))
        ret = fail(err, n, "job spec: \"output\" '%s': must be one plain name under output_root "
                   "(no '/', no '..', not hidden)", s->output);
    if (!ret) {
        json_object *v;
        if (json_object_object_get_ex(root, "url_allow", &v)) {
            if (!json_object_is_type(v, json_type_array)) {
                ret = fail(err, n, "job spec: \"url_allow\" must be an array of URL prefixes");
            } else {
                size_t len = json_object_array_length(v);
                s->url_allow = calloc(len ? len : 1, sizeof(char *));
                if (!s->url_allow)
                    ret = LADDER_ENOMEM;
                for (size_t i = 0; !ret && i < len; i++) {
                    json_object *e = json_object_array_get_idx(v, i);
                    if (!json_object_is_type(e, json_type_string) || !has_scheme(json_object_get_string(e))) {
                        ret = fail(err, n, "job spec: \"url_allow\" entries must be URL prefixes like "
                                   "\"https://media.example/\"");
                        break;
                    }
                    if (!(s->url_allow[i] = strdup(json_object_get_string(e))))
                        ret = LADDER_ENOMEM;
                    else
                        s->nb_url_allow++;
                }
            }
        }
    }
    if (!ret) {
        char *klass = NULL;
        ret = get_string(root, "class", false, &klass, err, n);
        if (!ret && klass) {
            if (!strcmp(klass, "realtime"))
                s->realtime = true;
            else if (strcmp(klass, "batch"))
                ret = fail(err, n, "job spec: \"class\" '%s': expected \"realtime\" or \"batch\"", klass);
        }
        free(klass);
    }
    if (!ret && !(s->id || (s->id = strdup(""))))
        ret = LADDER_ENOMEM;
    if (!ret && !(s->pix_fmt = strdup("yuv420p")))
        ret = LADDER_ENOMEM;
    if (!ret)
        ret = parse_type_options(root, s, err, n);
    if (!ret && !s->preset && !(s->preset = strdup("veryfast")))
        ret = LADDER_ENOMEM;
    json_object_put(root);
    if (ret) {
        if (ret == LADDER_ENOMEM)
            snprintf(err, n, "job spec: out of memory");
        ladder_job_spec_free(s);
        return ret;
    }
    *out = s;
    return 0;
}

void ladder_job_spec_free(ladder_job_spec *s)
{
    if (s)
        job_options_close(s->options);
    if (!s)
        return;
    free(s->id);
    free(s->input);
    free(s->output_root);
    free(s->output);
    free(s->preset);
    free(s->pix_fmt);
    free(s->rungs_json);
    for (int i = 0; i < s->nb_url_allow; i++)
        free(s->url_allow[i]);
    free(s->url_allow);
    for (int i = 0; i < s->nb_ignored_keys; i++)
        free(s->ignored_keys[i]);
    free(s->ignored_keys);
    free(s);
}
