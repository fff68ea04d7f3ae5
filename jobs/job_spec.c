/*
 * Job specs: JSON text -> ladder_job_spec, validated. A queue message
 * carries its producer's own fields too (ids, callbacks): a key that is not
 * ladder's is ignored and listed (ignored_keys), but one a slip away from
 * a key of the job's type is an error, since a typo must not silently
 * produce a default result.
 */
#include <json-c/json.h>
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
static const char *const type_keys[][16] = {
    [LADDER_JOB_PROXY] = { "height", "bitrate", "audio_bitrate", "preset", NULL },
    [LADDER_JOB_THUMBNAIL] = { "time", "width", "height", "format", "quality", NULL },
    [LADDER_JOB_FILMSTRIP] = { "count", "interval", "columns", "rows", "width", "height", "format",
                               "quality", NULL },
    [LADDER_JOB_CONFORM] = { "fps", "width", "height", "fit", "pix_fmt", "audio_channels", "audio_rate",
                             "loudness", "bitrate", "crf", "audio_bitrate", "preset", NULL },
    [LADDER_JOB_TRIM] = { "in", "out", "mode", "bitrate", "crf", "audio_bitrate", "preset", NULL },
    [LADDER_JOB_LADDER] = { "rungs", "format", "codec", "segment_seconds", "preset", "max_pixels",
                            "max_duration", "max_memory", "deterministic", "exact_shape", "gaps", NULL },
};

/* Producer names that sit a slip away from a short key of ladder's and are
 * too common in job data to be read as typos of it. */
static const char *const producer_names[] = { "code", "mime", "node", NULL };

static int fold(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Edits from a to b (optimal string alignment: insert, delete, substitute,
 * swap two neighbours), case ignored; anything above limit is limit + 1. */
static int edit_distance(const char *a, const char *b, int limit)
{
    enum { MAX = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return limit + 1;         /* longer than any key: never a typo */
    if ((la > lb ? la - lb : lb - la) > (size_t)limit)
        return limit + 1;
    int d[MAX][MAX];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int cost = fold(a[i - 1]) != fold(b[j - 1]);
            int best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]) &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb] > limit ? limit + 1 : d[la][lb];
}

/* How far a key may be mistyped and still be read as that key: short keys
 * sit close to many ordinary words ("id": "uid", "pid"), so only a case
 * slip counts for them. */
static int typo_limit(const char *known)
{
    size_t n = strlen(known);
    return n <= 2 ? 0 : n <= 5 ? 1 : n <= 11 ? 2 : 3;
}

static bool key_in(const char *key, const char *const *list);

/* The nearest key of list within its typo limit (first of equals), with
 * its distance in *best. */
static const char *nearest(const char *key, const char *const *list, const char *found, int *best)
{
    for (; *list; list++) {
        int limit = typo_limit(*list);
        int dist = edit_distance(key, *list, limit);
        if (dist <= limit && dist < *best) {
            *best = dist;
            found = *list;
        }
    }
    return found;
}

const char *ladder_job_key_typo(ladder_job_type type, const char *key)
{
    if ((unsigned)type >= sizeof(type_keys) / sizeof(type_keys[0]) || key_in(key, producer_names))
        return NULL;
    int best = INT32_MAX;
    const char *found = nearest(key, common_keys, NULL, &best);
    return nearest(key, type_keys[type], found, &best);
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

static int get_bool(json_object *root, const char *key, bool *out, char *err, size_t n)
{
    json_object *v;
    if (!json_object_object_get_ex(root, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_boolean))
        return fail(err, n, "job spec: \"%s\" must be true or false", key);
    *out = json_object_get_boolean(v);
    return 0;
}

/* "gaps": "hold" | "close" (ladder_job.close_gaps). */
static int get_gaps(json_object *root, bool *close_gaps, char *err, size_t n)
{
    json_object *v;
    if (!json_object_object_get_ex(root, "gaps", &v))
        return 0;
    const char *text = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
    if (ladder_config_parse_gaps(text, close_gaps))
        return fail(err, n, "job spec: \"gaps\" must be \"hold\" or \"close\"");
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

static int parse_type_options(json_object *root, ladder_job_spec *s, char *err, size_t n)
{
    int ret;
    char *text = NULL;
    bool given;
#define TRY(x) do { if ((ret = (x))) goto done; } while (0)
    switch (s->type) {
    case LADDER_JOB_PROXY:
        s->height = 540;
        s->bitrate_kbps = 2000;
        TRY(get_int(root, "height", 16, 4320, &s->height, err, n));
        if (s->height % 2) {
            ret = fail(err, n, "job spec: \"height\" must be even");
            goto done;
        }
        TRY(get_kbps(root, "bitrate", 50, 100000, &s->bitrate_kbps, err, n));
        TRY(get_kbps(root, "audio_bitrate", 32, 512, &s->audio_bitrate_kbps, err, n));
        break;
    case LADDER_JOB_THUMBNAIL:
    case LADDER_JOB_FILMSTRIP:
        if (s->type == LADDER_JOB_THUMBNAIL) {
            TRY(get_number(root, "time", 0, 1e7, &s->time, NULL, err, n));
            s->width = 0, s->height = 0;
        } else {
            s->width = 160, s->height = 90;
            TRY(get_int(root, "count", 1, 1000, &s->count, err, n));
            TRY(get_number(root, "interval", 0.1, 1e6, &s->interval, NULL, err, n));
            TRY(get_int(root, "columns", 1, 100, &s->columns, err, n));
            TRY(get_int(root, "rows", 0, 100, &s->rows, err, n));
        }
        TRY(get_int(root, "width", 0, 8192, &s->width, err, n));
        TRY(get_int(root, "height", 0, 8192, &s->height, err, n));
        if (s->type == LADDER_JOB_FILMSTRIP && (s->width < 16 || s->height < 16)) {
            ret = fail(err, n, "job spec: \"%s\" must be at least 16 for a filmstrip tile",
                       s->width < 16 ? "width" : "height");
            goto done;
        }
        TRY(get_string(root, "format", false, &text, err, n));
        if (text) {
            if (!strcmp(text, "jpeg") || !strcmp(text, "jpg"))
                s->image_format = LADDER_IMAGE_JPEG;
            else if (!strcmp(text, "webp"))
                s->image_format = LADDER_IMAGE_WEBP;
            else {
                ret = fail(err, n, "job spec: \"format\" '%s': expected \"jpeg\" or \"webp\"", text);
                goto done;
            }
        }
        TRY(get_int(root, "quality", 1, 100, &s->quality, err, n));
        break;
    case LADDER_JOB_CONFORM:
        s->width = 1920, s->height = 1080;
        TRY(get_number(root, "fps", 1, 240, &s->fps, NULL, err, n));
        TRY(get_int(root, "width", 16, 8192, &s->width, err, n));
        TRY(get_int(root, "height", 16, 8192, &s->height, err, n));
        if (s->width % 2 || s->height % 2) {
            ret = fail(err, n, "job spec: \"%s\" must be even", s->width % 2 ? "width" : "height");
            goto done;
        }
        TRY(get_string(root, "fit", false, &text, err, n));
        if (text) {
            if (!strcmp(text, "pad"))
                s->fit = LADDER_FIT_PAD;
            else if (!strcmp(text, "crop"))
                s->fit = LADDER_FIT_CROP;
            else {
                ret = fail(err, n, "job spec: \"fit\" '%s': expected \"pad\" or \"crop\"", text);
                goto done;
            }
        }
        TRY(get_string(root, "pix_fmt", false, &s->pix_fmt, err, n));
        if (strcmp(s->pix_fmt, "yuv420p") && strcmp(s->pix_fmt, "yuv422p") && strcmp(s->pix_fmt, "yuv444p")) {
            ret = fail(err, n, "job spec: \"pix_fmt\" '%s': expected yuv420p, yuv422p or yuv444p", s->pix_fmt);
            goto done;
        }
        TRY(get_int(root, "audio_channels", 1, 2, &s->audio_channels, err, n));
        TRY(get_int(root, "audio_rate", 8000, 96000, &s->audio_rate, err, n));
        TRY(get_number(root, "loudness", -70, -5, &s->loudness, &s->has_loudness, err, n));
        /* fall through: rate control shared with trim */
        /* FALLTHROUGH */
    case LADDER_JOB_TRIM:
        if (s->type == LADDER_JOB_TRIM) {
            bool has_in, has_out;
            TRY(get_number(root, "in", 0, 1e7, &s->in, &has_in, err, n));
            TRY(get_number(root, "out", 0, 1e7, &s->out, &has_out, err, n));
            if (!has_in || !has_out) {
                ret = fail(err, n, "job spec: missing \"%s\"", !has_in ? "in" : "out");
                goto done;
            }
            if (!(s->out > s->in)) {
                ret = fail(err, n, "job spec: \"out\" (%g) must be after \"in\" (%g)", s->out, s->in);
                goto done;
            }
            TRY(get_string(root, "mode", false, &text, err, n));
            if (text) {
                s->trim_mode_given = true;
                if (!strcmp(text, "smart"))
                    s->trim_mode = LADDER_TRIM_SMART;
                else if (!strcmp(text, "reencode"))
                    s->trim_mode = LADDER_TRIM_REENCODE;
                else {
                    ret = fail(err, n, "job spec: \"mode\" '%s': expected \"smart\" or \"reencode\"", text);
                    goto done;
                }
            }
        }
        TRY(get_kbps(root, "bitrate", 50, 200000, &s->bitrate_kbps, err, n));
        TRY(get_int(root, "crf", 0, 51, &s->crf, err, n));
        if (s->bitrate_kbps && s->crf >= 0) {
            ret = fail(err, n, "job spec: give \"bitrate\" or \"crf\", not both");
            goto done;
        }
        if (!s->bitrate_kbps && s->crf < 0)
            s->crf = s->type == LADDER_JOB_TRIM ? 18 : 23;
        TRY(get_kbps(root, "audio_bitrate", 32, 512, &s->audio_bitrate_kbps, err, n));
        break;
    case LADDER_JOB_LADDER: {
        json_object *v;
        if (json_object_object_get_ex(root, "rungs", &v)) {
            if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) == 0)
                return fail(err, n, "job spec: \"rungs\" must be a non-empty array of rung objects");
            s->rungs_json = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
            if (!s->rungs_json)
                return LADDER_ENOMEM;
        }
        TRY(get_string(root, "format", false, &text, err, n));
        if (text && ladder_config_parse_formats(text, &s->formats, err, n)) {
            char why[200];
            snprintf(why, sizeof(why), "%s", err);
            ret = fail(err, n, "job spec: \"format\": %s", why);
            goto done;
        }
        free(text);
        text = NULL;
        TRY(get_string(root, "codec", false, &text, err, n));
        if (text) {
            ladder_codec c;
            if (ladder_config_parse_codec(text, &c, err, n)) {
                char why[200];
                snprintf(why, sizeof(why), "%s", err);
                ret = fail(err, n, "job spec: \"codec\": %s", why);
                goto done;
            }
            s->codec = (int)c;
        }
        TRY(get_number(root, "segment_seconds", 0.5, 60, &s->segment_seconds, &given, err, n));
        TRY(get_bool(root, "deterministic", &s->deterministic, err, n));
        TRY(get_bool(root, "exact_shape", &s->exact_shape, err, n));
        TRY(get_gaps(root, &s->close_gaps, err, n));
        /* The limits of `ladder encode` (README "Security and limits"). */
        double pixels = 0;
        TRY(get_number(root, "max_pixels", 1, 1e12, &pixels, &given, err, n));
        s->max_pixels = (int64_t)pixels;
        TRY(get_number(root, "max_duration", 0.001, 1e9, &s->max_duration, &given, err, n));
        free(text);
        text = NULL;
        TRY(get_string(root, "max_memory", false, &text, err, n));
        if (text) {
            int64_t bytes;
            if (ladder_config_parse_size(text, &bytes) || bytes < (1 << 20)) {
                ret = fail(err, n, "job spec: \"max_memory\" '%s': expected a size like 512M or 2G", text);
                goto done;
            }
            s->max_memory = bytes;
        }
        break;
    }
    }
    TRY(get_string(root, "preset", false, &s->preset, err, n));
    ret = 0;
done:
    free(text);
    return ret;
#undef TRY
}

/* The type's keys are read later; a typo of one is an error; every other
 * key is the producer's: kept aside in ignored_keys for the result. */
static int sort_keys(json_object *root, ladder_job_spec *s, char *err, size_t n)
{
    json_object_object_foreach(root, key, val) {
        (void)val;
        if (key_in(key, common_keys) || key_in(key, type_keys[s->type]))
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
