/*
 * Ladder descriptions: --rung specs, JSON ladder files (json-c), the default
 * ladder and the output size of a rung. See include/ladder/ladder_config.h.
 *
 * Every parser here works on (pointer, length) pairs rather than C strings:
 * JSON strings may hold NUL bytes, and a spec field is a slice of the spec.
 * Numbers are parsed by hand (digits only) instead of strtol/strtod so that
 * signs, spaces, hex, "inf" and the locale's decimal separator never sneak in.
 */
#include "ladder/ladder_config.h"
#include "ladder_file.h"
#include "spell.h"
#include "pool/spec_words.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <libavutil/rational.h>

#include "ladder/error.h"

#define MAX_DIMENSION 16384
/* 1 Gb/s is far above any ladder, and 2.2 x this (a derived bufsize) still
 * fits in an int. */
#define MAX_KBPS 1000000
/* A bare number in a string at or above this is bits/s ("3000000"), below it
 * kb/s ("3000"): a rung under 100 kb/s or over 100 Mb/s is implausible, so
 * the magnitude tells which unit was meant. */
#define BITS_PER_SECOND_FROM 100000
#define MAX_CRF 51
#define MAX_FPS 1000
/* Same bounds as the CLI's --segment. */
#define MIN_SEGMENT_SECONDS 0.5
#define MAX_SEGMENT_SECONDS 60.0
/* A ladder file is a few hundred bytes; refuse to slurp a video by mistake. */
#define MAX_FILE_BYTES (1024 * 1024)

#define STR_(x) #x
#define STR(x) STR_(x)
#define BITRATE_HINT "expected a bitrate like \"3000k\", \"2.5M\" or \"3000000\" (bits/s)"
#define FPS_HINT "expected a frame rate like \"30\", \"29.97\" or \"30000/1001\""
#define PROFILE_HINT "expected baseline, main, high (H.264) or main10 (HEVC)"
#define CODEC_HINT "expected h264, hevc or av1"
#define NAME_HINT "use 1 to 31 letters, digits, '.', '_' or '-', not starting with '.'"

typedef enum parse_result {
    PARSE_OK = 0,
    PARSE_SYNTAX,   /* not a number of the expected form */
    PARSE_LOW,      /* a number, but zero or too small */
    PARSE_HIGH,     /* a number, but too large */
} parse_result;

/* ---- error text --------------------------------------------------------- */

/*
 * All error text goes through here. Messages quote user input, so control
 * characters (a newline in a spec, a tab in a JSON key) become spaces to keep
 * the promise of one line.
 */
static void set_err(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t size, const char *fmt, ...)
{
    if (!err || size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    for (char *p = err; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
}

/* User text quoted in a message, cut short so one silly argument cannot push
 * the useful part of the message out of a caller's fixed-size buffer. */
#define QUOTE_MAX 64
typedef struct quoted { char s[QUOTE_MAX + 4]; } quoted;

/* Where to cut s to at most max bytes without splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static quoted quote(const char *s, size_t len)
{
    quoted q;
    if (len > QUOTE_MAX)
        snprintf(q.s, sizeof(q.s), "%.*s...", (int)utf8_cut(s, QUOTE_MAX - 3), s);
    else
        snprintf(q.s, sizeof(q.s), "%.*s", (int)len, s);
    return q;
}

static quoted quote_str(const char *s)
{
    return quote(s, strlen(s));
}

/* Paths keep their end: the file name matters more than /home/someone/. */
static quoted quote_path(const char *path)
{
    quoted q;
    size_t len = strlen(path);
    if (len > QUOTE_MAX) {
        const char *tail = path + len - (QUOTE_MAX - 3);
        while (((unsigned char)*tail & 0xC0) == 0x80)
            tail++;
        snprintf(q.s, sizeof(q.s), "...%s", tail);
    } else {
        snprintf(q.s, sizeof(q.s), "%s", path);
    }
    return q;
}

/* ---- numbers ------------------------------------------------------------ */

/* Not isdigit(): that one depends on the locale and on the sign of char. */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Unsigned decimal integer, digits only. max must be well below LONG_MAX/10. */
static parse_result parse_uint(const char *s, size_t len, long max, long *out)
{
    if (len == 0)
        return PARSE_SYNTAX;
    long v = 0;
    bool too_big = false;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return PARSE_SYNTAX;
        if (!too_big) {
            v = v * 10 + (s[i] - '0');
            too_big = v > max;
        }
    }
    if (too_big)
        return PARSE_HIGH;
    *out = v;
    return PARSE_OK;
}

/*
 * "123" or "12.5" as mantissa / 10^frac_digits. The mantissa stays below
 * 10^15 so that scaling it by 1000 (M -> k) cannot overflow 64 bits.
 */
static parse_result parse_decimal(const char *s, size_t len, uint64_t *mantissa, int *frac_digits)
{
    uint64_t m = 0;
    int frac = 0;
    bool dot = false;
    if (len == 0)
        return PARSE_SYNTAX;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            /* "5." and ".5" are typos more often than numbers. */
            if (dot || i == 0 || i + 1 == len)
                return PARSE_SYNTAX;
            dot = true;
            continue;
        }
        if (!is_digit(s[i]))
            return PARSE_SYNTAX;
        if (dot && ++frac > 9)
            return PARSE_SYNTAX;
        m = m * 10 + (uint64_t)(s[i] - '0');
        if (m >= UINT64_C(1000000000000000))
            return PARSE_HIGH;
    }
    *mantissa = m;
    *frac_digits = frac;
    return PARSE_OK;
}

static uint64_t pow10_u64(int n)
{
    uint64_t p = 1;
    while (n-- > 0)
        p *= 10;
    return p;
}

/*
 * "3000k"/"3000K" = 3000 kb/s, "3M"/"3m" = 3000, "2.5M" = 2500, a bare
 * integer "3000000" >= BITS_PER_SECOND_FROM is bits/s, a smaller bare integer
 * is kb/s. Fractions are rounded to the nearest kb/s.
 */
static parse_result parse_bitrate(const char *s, size_t len, int *kbps)
{
    uint64_t unit = 0; /* kb/s per written unit; 0: bare number */
    if (len > 0) {
        char c = s[len - 1];
        if (c == 'k' || c == 'K')
            unit = 1;
        else if (c == 'm' || c == 'M')
            unit = 1000;
    }
    uint64_t m;
    int frac;
    parse_result pr = parse_decimal(s, unit ? len - 1 : len, &m, &frac);
    if (pr != PARSE_OK)
        return pr;
    uint64_t k;
    if (unit) {
        uint64_t den = pow10_u64(frac);
        k = (m * unit + den / 2) / den;
    } else {
        if (frac)
            return PARSE_SYNTAX; /* "2.5" of what? */
        k = m >= BITS_PER_SECOND_FROM ? (m + 500) / 1000 : m;
    }
    if (k == 0)
        return PARSE_LOW;
    if (k > MAX_KBPS)
        return PARSE_HIGH;
    *kbps = (int)k;
    return PARSE_OK;
}

static const char *bitrate_problem(parse_result pr)
{
    switch (pr) {
    case PARSE_LOW:  return "must be at least 1k";
    case PARSE_HIGH: return "is above the limit of " STR(MAX_KBPS) "k (1 Gb/s)";
    default:         return BITRATE_HINT;
    }
}

static parse_result check_fps_value(double v, double *fps)
{
    if (!(v > 0)) /* also rejects NaN */
        return PARSE_LOW;
    if (v > MAX_FPS)
        return PARSE_HIGH;
    *fps = v;
    return PARSE_OK;
}

/* "30", "29.97" or "30000/1001". */
static parse_result parse_fps(const char *s, size_t len, double *fps)
{
    const char *slash = memchr(s, '/', len);
    double v;
    if (slash) {
        size_t nlen = (size_t)(slash - s);
        long num, den;
        parse_result pr = parse_uint(s, nlen, 1000000000L, &num);
        if (pr == PARSE_OK)
            pr = parse_uint(slash + 1, len - nlen - 1, 1000000000L, &den);
        if (pr != PARSE_OK || den == 0)
            return PARSE_SYNTAX;
        v = (double)num / (double)den;
    } else {
        uint64_t m;
        int frac;
        parse_result pr = parse_decimal(s, len, &m, &frac);
        if (pr == PARSE_HIGH)
            return PARSE_HIGH;
        if (pr != PARSE_OK)
            return PARSE_SYNTAX;
        v = (double)m / (double)pow10_u64(frac);
    }
    return check_fps_value(v, fps);
}

static const char *fps_problem(parse_result pr)
{
    switch (pr) {
    case PARSE_LOW:  return "must be above 0 (leave it out to keep the source rate)";
    case PARSE_HIGH: return "is above the limit of " STR(MAX_FPS);
    default:         return FPS_HINT;
    }
}

/* ---- words -------------------------------------------------------------- */

static bool slice_is(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

static bool valid_profile(const char *s, size_t len)
{
    return slice_is(s, len, "baseline") || slice_is(s, len, "main") || slice_is(s, len, "high") ||
           slice_is(s, len, "main10");
}

/* HEVC rungs are Main (8-bit) or Main 10; the H.264 names mean nothing to
 * libx265. */
static bool valid_hevc_profile(const char *s, size_t len)
{
    return len == 0 || slice_is(s, len, "main") || slice_is(s, len, "main10");
}

/* AV1's Main profile (seq_profile 0) covers 8 and 10-bit 4:2:0. */
static bool valid_av1_profile(const char *s, size_t len)
{
    return len == 0 || slice_is(s, len, "main");
}

/*
 * A codec name (a slice). An unknown name is a bad description
 * (LADDER_ECONFIG). Whether the linked FFmpeg has the codec's encoder is
 * not a question about the description: the session answers it
 * (LADDER_ECODEC) before it writes anything.
 */
static int parse_codec_name(const char *s, size_t len, ladder_codec *out, char *why, size_t size)
{
    if (ladder_codec_from_name(s, len, out))
        return 0;
    static const char *const names[] = { "h264", "hevc", "av1", NULL };
    char word[32];
    snprintf(word, sizeof(word), "%.*s", (int)(len < sizeof(word) ? len : sizeof(word) - 1), s);
    const char *meant = spell_nearest(word, names);
    int n = snprintf(why, size, "unknown codec '%s' (" CODEC_HINT ")", quote(s, len).s);
    if (meant && n > 0 && (size_t)n < size && snprintf(why + n, size - (size_t)n, "; did you mean '%s'?", meant) < 0)
        why[n] = '\0';
    return LADDER_ECONFIG;
}

/*
 * A rung name becomes a directory and a playlist URI (OUTDIR/video/<name>/),
 * so no separators, no "." or "..", nothing a shell or a URL must escape.
 */
static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= LADDER_NAME_MAX || s[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* ---- one rung ----------------------------------------------------------- */

/* Derived maxrate/bufsize may exceed MAX_KBPS; accept them so that validating
 * an already validated ladder is harmless. */
#define MAX_MAXRATE_KBPS (MAX_KBPS / 10 * 11)
#define MAX_BUFSIZE_KBPS (2 * MAX_MAXRATE_KBPS)

/*
 * Checks shared by the spec parser, the file loader and validate: ranges of
 * every field and the combinations that make no sense. Writes the problem to
 * why and returns true when there is one.
 */
static bool rung_problem(const ladder_rung *r, char *why, size_t size)
{
    /* Rungs can come from API callers: never trust the strings to end. */
    size_t name_len = strnlen(r->name, sizeof(r->name));
    size_t profile_len = strnlen(r->profile, sizeof(r->profile));
    if (name_len == sizeof(r->name)) {
        snprintf(why, size, "name is not NUL-terminated");
    } else if (name_len && !valid_name(r->name, name_len)) {
        snprintf(why, size, "name '%s': " NAME_HINT, quote_str(r->name).s);
    } else if (r->width < 0 || r->width > MAX_DIMENSION || r->height < 0 || r->height > MAX_DIMENSION) {
        snprintf(why, size, "size %dx%d: width and height must be between 0 (derive) and %d",
                 r->width, r->height, MAX_DIMENSION);
    } else if (r->width == 0 && r->height == 0) {
        snprintf(why, size, "has no size: give a width, a height or both");
    } else if (r->rate_mode != LADDER_RATE_CAPPED_VBR && r->rate_mode != LADDER_RATE_CRF) {
        snprintf(why, size, "unknown rate mode %d", (int)r->rate_mode);
    } else if (r->rate_mode == LADDER_RATE_CAPPED_VBR && (r->bitrate_kbps < 1 || r->bitrate_kbps > MAX_KBPS)) {
        snprintf(why, size, "bitrate %dk: must be between 1k and %dk", r->bitrate_kbps, MAX_KBPS);
    } else if (r->rate_mode == LADDER_RATE_CRF && (r->crf < 0 || r->crf > MAX_CRF)) {
        snprintf(why, size, "crf %d: must be between 0 and %d", r->crf, MAX_CRF);
    } else if (r->maxrate_kbps < 0 || r->maxrate_kbps > MAX_MAXRATE_KBPS) {
        snprintf(why, size, "maxrate %dk: must be between 1k and %dk, or 0 to derive it",
                 r->maxrate_kbps, MAX_MAXRATE_KBPS);
    } else if (r->bufsize_kbps < 0 || r->bufsize_kbps > MAX_BUFSIZE_KBPS) {
        snprintf(why, size, "bufsize %dk: must be between 1k and %dk, or 0 to derive it",
                 r->bufsize_kbps, MAX_BUFSIZE_KBPS);
    } else if (r->rate_mode == LADDER_RATE_CAPPED_VBR && r->maxrate_kbps &&
               r->maxrate_kbps < r->bitrate_kbps) {
        /* x264 would quietly turn this into CBR at maxrate. */
        snprintf(why, size, "maxrate %dk is below bitrate %dk", r->maxrate_kbps, r->bitrate_kbps);
    } else if (r->rate_mode == LADDER_RATE_CRF && r->bufsize_kbps && !r->maxrate_kbps) {
        snprintf(why, size, "bufsize %dk without maxrate: a CRF rung is capped only when maxrate is given",
                 r->bufsize_kbps);
    } else if (profile_len == sizeof(r->profile)) {
        snprintf(why, size, "profile is not NUL-terminated");
    } else if (profile_len && !valid_profile(r->profile, profile_len)) {
        snprintf(why, size, "profile '%s': " PROFILE_HINT, quote_str(r->profile).s);
    } else if (r->codec < LADDER_CODEC_DEFAULT || r->codec > LADDER_CODEC_AV1) {
        snprintf(why, size, "unknown codec %d", (int)r->codec);
    } else if (r->codec == LADDER_CODEC_HEVC && !valid_hevc_profile(r->profile, profile_len)) {
        snprintf(why, size, "profile '%s' is not an HEVC profile (an hevc rung is main or main10)",
                 quote_str(r->profile).s);
    } else if (r->codec == LADDER_CODEC_AV1 && !valid_av1_profile(r->profile, profile_len)) {
        /* AV1's 4:2:0 profile is called Main too (seq_profile 0). */
        snprintf(why, size, "profile '%s' is not an AV1 profile (an av1 rung is main)",
                 quote_str(r->profile).s);
    } else if (r->codec == LADDER_CODEC_H264 && slice_is(r->profile, profile_len, "main10")) {
        snprintf(why, size, "profile 'main10' is an HEVC profile (an h264 rung is baseline, main or high)");
    } else if (r->codec == LADDER_CODEC_H264 && r->rate_mode == LADDER_RATE_CRF && r->crf == 0) {
        /* x264 refuses lossless in every profile a rung can have. */
        snprintf(why, size, "crf 0 is lossless, which H.264 baseline/main/high cannot carry (use crf 1 or more)");
    } else if (r->bit_depth != 0 && r->bit_depth != 8 && r->bit_depth != 10) {
        snprintf(why, size, "bit depth %d: must be 8 or 10", r->bit_depth);
    } else if (r->bit_depth == 10 && r->codec == LADDER_CODEC_H264) {
        /* x264 could (High 10), but no browser decodes it: a rendition
         * nobody can play is a mistake worth stopping for. */
        snprintf(why, size, "bit depth 10 needs hevc or av1 (browsers do not decode H.264 High 10)");
    } else if (r->bit_depth == 8 && slice_is(r->profile, profile_len, "main10")) {
        snprintf(why, size, "profile main10 with bit depth 8: Main 10 is the 10-bit profile");
    } else if (!(r->max_fps >= 0) || r->max_fps > MAX_FPS) {
        snprintf(why, size, "max fps %g: must be between 0 (source rate) and %d", r->max_fps, MAX_FPS);
    } else {
        return false;
    }
    return true;
}

/* ---- --rung specs ------------------------------------------------------- */

#define SPEC_KEYS "maxrate, bufsize, fps, profile, name, bit_depth, codec"

enum spec_key { KEY_MAXRATE, KEY_BUFSIZE, KEY_FPS, KEY_PROFILE, KEY_NAME, KEY_BIT_DEPTH, KEY_CODEC, NB_KEYS };
static const char *const spec_keys[NB_KEYS] = {
    [KEY_MAXRATE] = "maxrate", [KEY_BUFSIZE] = "bufsize", [KEY_FPS] = "fps",
    [KEY_PROFILE] = "profile", [KEY_NAME] = "name", [KEY_BIT_DEPTH] = "bit_depth", [KEY_CODEC] = "codec",
};

/* One dimension of "WxH"; empty means 0, "derive from the other". */
static bool parse_dimension(const char *s, size_t len, const char *what, int *out,
                            char *why, size_t size)
{
    long v = 0;
    parse_result pr = len ? parse_uint(s, len, MAX_DIMENSION, &v) : PARSE_OK;
    if (pr == PARSE_HIGH) {
        snprintf(why, size, "%s '%s': above the limit of %d", what, quote(s, len).s, MAX_DIMENSION);
        return false;
    }
    if (pr != PARSE_OK) {
        snprintf(why, size, "%s '%s': expected a number of pixels", what, quote(s, len).s);
        return false;
    }
    *out = (int)v;
    return true;
}

/* "3000k" or "crf23" */
static bool parse_rate_field(const char *s, size_t len, ladder_rung *r, char *why, size_t size)
{
    if (len >= 3 && memcmp(s, "crf", 3) == 0) {
        long crf = 0;
        parse_result pr = parse_uint(s + 3, len - 3, MAX_CRF, &crf);
        if (pr == PARSE_HIGH) {
            snprintf(why, size, "'%s': crf must be between 0 and %d", quote(s, len).s, MAX_CRF);
            return false;
        }
        if (pr != PARSE_OK) {
            snprintf(why, size, "'%s': expected crf and a number from 0 to %d, e.g. \"crf23\"",
                     quote(s, len).s, MAX_CRF);
            return false;
        }
        r->rate_mode = LADDER_RATE_CRF;
        r->crf = (int)crf;
        return true;
    }
    parse_result pr = parse_bitrate(s, len, &r->bitrate_kbps);
    if (pr != PARSE_OK) {
        snprintf(why, size, "bitrate '%s': %s%s", quote(s, len).s, bitrate_problem(pr),
                 pr == PARSE_SYNTAX ? ", or \"crf23\"" : "");
        return false;
    }
    r->rate_mode = LADDER_RATE_CAPPED_VBR;
    return true;
}

/* One "key=value" after the rate. seen collects keys to catch repeats. */
static bool parse_option(const char *s, size_t len, unsigned *seen, ladder_rung *r,
                         char *why, size_t size)
{
    const char *eq = memchr(s, '=', len);
    if (!eq) {
        snprintf(why, size, "option '%s': expected key=value (keys: " SPEC_KEYS ")", quote(s, len).s);
        return false;
    }
    size_t klen = (size_t)(eq - s);
    const char *v = eq + 1;
    size_t vlen = len - klen - 1;
    int k = 0;
    while (k < NB_KEYS && !slice_is(s, klen, spec_keys[k]))
        k++;
    if (k == NB_KEYS) {
        snprintf(why, size, "unknown option '%s' (keys: " SPEC_KEYS ")", quote(s, klen).s);
        return false;
    }
    if (*seen & (1u << k)) {
        snprintf(why, size, "option '%s' given twice", spec_keys[k]);
        return false;
    }
    *seen |= 1u << k;

    parse_result pr;
    switch (k) {
    case KEY_MAXRATE:
    case KEY_BUFSIZE:
        pr = parse_bitrate(v, vlen, k == KEY_MAXRATE ? &r->maxrate_kbps : &r->bufsize_kbps);
        if (pr != PARSE_OK) {
            snprintf(why, size, "%s '%s': %s", spec_keys[k], quote(v, vlen).s, bitrate_problem(pr));
            return false;
        }
        return true;
    case KEY_FPS:
        pr = parse_fps(v, vlen, &r->max_fps);
        if (pr != PARSE_OK) {
            snprintf(why, size, "fps '%s': %s", quote(v, vlen).s, fps_problem(pr));
            return false;
        }
        return true;
    case KEY_PROFILE:
        if (!valid_profile(v, vlen)) {
            snprintf(why, size, "profile '%s': " PROFILE_HINT, quote(v, vlen).s);
            return false;
        }
        memcpy(r->profile, v, vlen);
        r->profile[vlen] = '\0';
        return true;
    case KEY_BIT_DEPTH:
        if (slice_is(v, vlen, "8") || slice_is(v, vlen, "10")) {
            r->bit_depth = v[0] == '8' ? 8 : 10;
            return true;
        }
        snprintf(why, size, "bit_depth '%s': expected 8 or 10", quote(v, vlen).s);
        return false;
    case KEY_CODEC: {
        /* A rung's own codec, as a ladder file's rung "codec" says it. */
        char problem[160];
        if (parse_codec_name(v, vlen, &r->codec, problem, sizeof(problem))) {
            snprintf(why, size, "codec: %s", problem);
            return false;
        }
        return true;
    }
    default: /* KEY_NAME */
        if (!valid_name(v, vlen)) {
            snprintf(why, size, "name '%s': " NAME_HINT, quote(v, vlen).s);
            return false;
        }
        memcpy(r->name, v, vlen);
        r->name[vlen] = '\0';
        return true;
    }
}

static bool parse_spec(const char *spec, ladder_rung *r, char *why, size_t size)
{
    const char *end = spec + strlen(spec);
    const char *colon = memchr(spec, ':', (size_t)(end - spec));
    const char *size_end = colon ? colon : end;
    const char *x = memchr(spec, 'x', (size_t)(size_end - spec));
    if (!x) {
        snprintf(why, size, "expected WxH:BITRATE[:key=value...], e.g. \"1280x720:3000k\" or \"x720:3000k\"");
        return false;
    }
    if (!parse_dimension(spec, (size_t)(x - spec), "width", &r->width, why, size) ||
        !parse_dimension(x + 1, (size_t)(size_end - x - 1), "height", &r->height, why, size))
        return false;
    if (!r->width && !r->height) {
        snprintf(why, size, "size '%s': give a width, a height or both (\"x720\" derives the width)",
                 quote(spec, (size_t)(size_end - spec)).s);
        return false;
    }
    if (!colon) {
        snprintf(why, size, "missing the bitrate: expected WxH:BITRATE, e.g. \"1280x720:3000k\" or "
                 "\"1280x720:crf23\"");
        return false;
    }

    const char *field = colon + 1;
    colon = memchr(field, ':', (size_t)(end - field));
    if (!parse_rate_field(field, (size_t)((colon ? colon : end) - field), r, why, size))
        return false;

    unsigned seen = 0;
    while (colon) {
        field = colon + 1;
        colon = memchr(field, ':', (size_t)(end - field));
        if (!parse_option(field, (size_t)((colon ? colon : end) - field), &seen, r, why, size))
            return false;
    }
    return !rung_problem(r, why, size);
}

int ladder_config_parse_rung(const char *spec, ladder_rung *out, char *err, size_t err_size)
{
    if (!out) {
        set_err(err, err_size, "rung spec: no place to store the rung");
        return LADDER_EINVAL;
    }
    memset(out, 0, sizeof(*out));
    if (!spec || !*spec) {
        set_err(err, err_size, "empty rung spec: expected WxH:BITRATE[:key=value...], e.g. \"1280x720:3000k\"");
        return LADDER_ECONFIG;
    }
    /* Parse into a scratch rung so that out stays cleared on failure. */
    ladder_rung r = { 0 };
    char why[192];
    if (!parse_spec(spec, &r, why, sizeof(why))) {
        set_err(err, err_size, "rung spec '%s': %s", quote_str(spec).s, why);
        return LADDER_ECONFIG;
    }
    *out = r;
    return 0;
}

/* ---- output formats ----------------------------------------------------- */

static const struct { const char *name; unsigned flag; } format_names[] = {
    { "hls", LADDER_FORMAT_HLS },
    { "dash", LADDER_FORMAT_DASH },
    { "mp4", LADDER_FORMAT_MP4 },
};
#define NB_FORMAT_NAMES (sizeof(format_names) / sizeof(format_names[0]))
#define FORMAT_HINT "expected a comma-separated list of hls, dash, mp4"

/* One format name (a slice); false and a reason when it is not one. */
static bool parse_format_name(const char *s, size_t len, unsigned *flags, char *why, size_t size)
{
    for (size_t i = 0; i < NB_FORMAT_NAMES; i++) {
        if (slice_is(s, len, format_names[i].name)) {
            *flags |= format_names[i].flag;
            return true;
        }
    }
    if (len == 0)
        snprintf(why, size, "empty format name (" FORMAT_HINT ")");
    else
        snprintf(why, size, "unknown format '%s' (" FORMAT_HINT ")", quote(s, len).s);
    return false;
}

/* "hls,dash": a set, so repeating a name is harmless. */
static bool parse_format_list(const char *s, size_t len, unsigned *out, char *why, size_t size)
{
    unsigned flags = 0;
    const char *end = s + len;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *item_end = comma ? comma : end;
        if (!parse_format_name(s, (size_t)(item_end - s), &flags, why, size))
            return false;
        if (!comma)
            break;
        s = comma + 1;
    }
    *out = flags;
    return true;
}

int ladder_config_parse_codec(const char *name, ladder_codec *codec, char *err, size_t err_size)
{
    if (!codec) {
        set_err(err, err_size, "codec: no place to store it");
        return LADDER_EINVAL;
    }
    char why[160];
    ladder_codec found = LADDER_CODEC_DEFAULT;
    int ret = name ? parse_codec_name(name, strlen(name), &found, why, sizeof(why)) : LADDER_ECONFIG;
    if (ret) {
        if (!name)
            snprintf(why, sizeof(why), "no codec given (" CODEC_HINT ")");
        set_err(err, err_size, "%s", why);
        return ret;
    }
    *codec = found;
    return 0;
}

const char *ladder_config_svt_preset(const char *x264_preset)
{
    /* Roughly equal speed relative to each encoder's range: SVT's 13
     * presets spread over x264's ten names, its fastest for ultrafast. */
    static const struct { const char *x264, *svt; } map[] = {
        { "ultrafast", "12" }, { "superfast", "11" }, { "veryfast", "10" }, { "faster", "9" },
        { "fast", "8" }, { "medium", "7" }, { "slow", "5" }, { "slower", "4" }, { "veryslow", "2" },
        { "placebo", "1" },
    };
    if (!x264_preset)
        return NULL;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (!strcmp(map[i].x264, x264_preset))
            return map[i].svt;
    return x264_preset;
}

/* The names and the size grammar are pool's (ladder/spec_words.h): device
 * lists use the same words, and pool must not depend on engine. */
const char *ladder_config_codec_name(ladder_codec codec)
{
    return ladder_codec_name(codec);
}

int ladder_config_parse_size(const char *text, int64_t *bytes)
{
    return ladder_size_parse(text, bytes);
}

int ladder_config_parse_parameter_sets(const char *name, ladder_parameter_sets *out, char *err, size_t err_size)
{
    if (name && !strcmp(name, "out-of-band")) {
        *out = LADDER_PARAMETER_SETS_OUT_OF_BAND;
        return 0;
    }
    if (name && !strcmp(name, "in-band")) {
        *out = LADDER_PARAMETER_SETS_IN_BAND;
        return 0;
    }
    set_err(err, err_size, "expected out-of-band or in-band");
    return LADDER_ECONFIG;
}

int ladder_config_parse_formats(const char *list, unsigned *formats, char *err, size_t err_size)
{
    if (!formats) {
        set_err(err, err_size, "formats: no place to store them");
        return LADDER_EINVAL;
    }
    char why[160];
    unsigned flags = 0;
    if (!list || !parse_format_list(list, strlen(list), &flags, why, sizeof(why))) {
        if (!list)
            snprintf(why, sizeof(why), "no formats given (" FORMAT_HINT ")");
        set_err(err, err_size, "%s", why);
        return LADDER_ECONFIG;
    }
    *formats = flags;
    return 0;
}

/* ---- JSON ladder files -------------------------------------------------- */

/* The whole file, NUL-terminated (*len excludes the NUL). Errors name the
 * file; an unreadable file is LADDER_EINPUT_MISSING like an absent one. */
static int read_small_file(const char *path, const char *shown, char **text, size_t *len,
                           char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_err(err, err_size, "ladder file '%s': cannot open: %s", shown, strerror(errno));
        return LADDER_EINPUT_MISSING;
    }
    char *buf = malloc(1);
    size_t n = 0;
    int ret = buf ? 0 : LADDER_ENOMEM;
    char chunk[4096];
    size_t got;
    while (!ret && (got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (n + got > MAX_FILE_BYTES) {
            set_err(err, err_size, "ladder file '%s': larger than %d bytes, not a ladder file",
                    shown, MAX_FILE_BYTES);
            ret = LADDER_ECONFIG;
            break;
        }
        char *grown = realloc(buf, n + got + 1);
        if (!grown) {
            ret = LADDER_ENOMEM;
            break;
        }
        buf = grown;
        memcpy(buf + n, chunk, got);
        n += got;
    }
    if (!ret && ferror(f)) {
        /* e.g. EISDIR: the path names a directory */
        set_err(err, err_size, "ladder file '%s': cannot read: %s", shown, strerror(errno));
        ret = LADDER_EINPUT_MISSING;
    }
    fclose(f);
    if (ret == LADDER_ENOMEM)
        set_err(err, err_size, "ladder file '%s': out of memory", shown);
    if (ret) {
        free(buf);
        return ret;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

static void line_and_column(const char *text, size_t offset, int *line, int *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            ++*line;
            *column = 1;
        } else {
            ++*column;
        }
    }
}

/* Parse text as exactly one JSON value. *root is owned by the caller. */
static int parse_json_text(const char *text, size_t len, json_object **root, char *why, size_t size)
{
    /* Some Windows editors start UTF-8 files with a byte-order mark; RFC 8259
     * lets a parser ignore it, json-c does not. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    size_t skip = strspn(text, " \t\r\n");
    if (skip == len) {
        snprintf(why, size, "is empty");
        return LADDER_ECONFIG;
    }
    if (len > (size_t)MAX_FILE_BYTES) { /* read_small_file sees to it: json-c takes an int */
        snprintf(why, size, "larger than %d bytes", MAX_FILE_BYTES);
        return LADDER_EINTERNAL;
    }
    json_tokener *tok = json_tokener_new();
    if (!tok) {
        snprintf(why, size, "out of memory");
        return LADDER_ENOMEM;
    }
    /* Strict: plain JSON that any other tool reads the same way (no comments,
     * no trailing commas, nothing after the top-level value). */
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* len + 1 passes the terminating NUL so a truncated file reads as
     * "unexpected end of data" rather than "waiting for more". */
    json_object *obj = json_tokener_parse_ex(tok, text, (int)len + 1);
    size_t end = json_tokener_get_parse_end(tok);
    int ret = 0;
    if (!obj) {
        int line, column;
        line_and_column(text, end, &line, &column);
        snprintf(why, size, "invalid JSON at line %d, column %d: %s", line, column,
                 json_tokener_error_desc(json_tokener_get_error(tok)));
        ret = LADDER_ECONFIG;
    } else if (end < len && end + strspn(text + end, " \t\r\n") < len) {
        /* A NUL byte inside the file also stops the tokener: same complaint. */
        int line, column;
        line_and_column(text, end, &line, &column);
        snprintf(why, size, "invalid JSON at line %d, column %d: unexpected data after the top-level value",
                 line, column);
        json_object_put(obj);
        obj = NULL;
        ret = LADDER_ECONFIG;
    }
    json_tokener_free(tok);
    *root = obj;
    return ret;
}

/* A bitrate from JSON: a string with unit, or a whole number of kb/s. */
static parse_result json_bitrate(json_object *v, int *kbps)
{
    if (json_object_is_type(v, json_type_string))
        return parse_bitrate(json_object_get_string(v), (size_t)json_object_get_string_len(v), kbps);
    if (!json_object_is_type(v, json_type_int))
        return PARSE_SYNTAX;
    int64_t n = json_object_get_int64(v); /* saturates rather than wraps */
    if (n < 1)
        return PARSE_LOW;
    if (n > MAX_KBPS)
        return PARSE_HIGH;
    *kbps = (int)n;
    return PARSE_OK;
}

/* A whole number in [min, max]; describes the expectation in why on failure. */
static bool json_int_in(json_object *v, int min, int max, int *out, const char *where,
                        char *why, size_t size)
{
    if (!json_object_is_type(v, json_type_int)) {
        snprintf(why, size, "%s: expected a whole number from %d to %d", where, min, max);
        return false;
    }
    int64_t n = json_object_get_int64(v);
    if (n < min || n > max) {
        snprintf(why, size, "%s: %lld is out of range (%d to %d)", where, (long long)n, min, max);
        return false;
    }
    *out = (int)n;
    return true;
}

/* *code is the error when it returns false: LADDER_ECONFIG, or LADDER_ECODEC
 * for a codec this build does not support. */
static bool json_rung(json_object *o, int index, ladder_rung *r, int *code, char *why, size_t size)
{
    *code = LADDER_ECONFIG;
    char where[96];
    if (!json_object_is_type(o, json_type_object)) {
        snprintf(why, size, "rungs[%d]: expected an object like {\"height\": 720, \"bitrate\": \"3000k\"}",
                 index);
        return false;
    }
    bool has_bitrate = false, has_crf = false;
    struct json_object_iterator it = json_object_iter_begin(o);
    struct json_object_iterator it_end = json_object_iter_end(o);
    for (; !json_object_iter_equal(&it, &it_end); json_object_iter_next(&it)) {
        const char *key = json_object_iter_peek_name(&it);
        json_object *v = json_object_iter_peek_value(&it);
        snprintf(where, sizeof(where), "rungs[%d].%s", index, quote_str(key).s);

        if (!strcmp(key, "name")) {
            if (!json_object_is_type(v, json_type_string) ||
                !valid_name(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
                snprintf(why, size, "%s: expected a string; " NAME_HINT, where);
                return false;
            }
            snprintf(r->name, sizeof(r->name), "%s", json_object_get_string(v));
        } else if (!strcmp(key, "width")) {
            if (!json_int_in(v, 0, MAX_DIMENSION, &r->width, where, why, size))
                return false;
        } else if (!strcmp(key, "height")) {
            if (!json_int_in(v, 0, MAX_DIMENSION, &r->height, where, why, size))
                return false;
        } else if (!strcmp(key, "bitrate") || !strcmp(key, "maxrate") || !strcmp(key, "bufsize")) {
            int *dst = !strcmp(key, "bitrate") ? &r->bitrate_kbps
                     : !strcmp(key, "maxrate") ? &r->maxrate_kbps : &r->bufsize_kbps;
            parse_result pr = json_bitrate(v, dst);
            if (pr != PARSE_OK) {
                snprintf(why, size, "%s: %s%s", where, bitrate_problem(pr),
                         pr == PARSE_SYNTAX ? " or a whole number of kb/s" : "");
                return false;
            }
            has_bitrate |= dst == &r->bitrate_kbps;
        } else if (!strcmp(key, "crf")) {
            if (!json_int_in(v, 0, MAX_CRF, &r->crf, where, why, size))
                return false;
            has_crf = true;
        } else if (!strcmp(key, "profile")) {
            if (!json_object_is_type(v, json_type_string) ||
                !valid_profile(json_object_get_string(v), (size_t)json_object_get_string_len(v))) {
                snprintf(why, size, "%s: " PROFILE_HINT, where);
                return false;
            }
            snprintf(r->profile, sizeof(r->profile), "%s", json_object_get_string(v));
        } else if (!strcmp(key, "codec")) {
            /* Room for the longest, "unknown codec '<quoted, at most 67
             * bytes>' (expected h264, hevc or av1)": 113 bytes. */
            char problem[120];
            int ret = json_object_is_type(v, json_type_string)
                          ? parse_codec_name(json_object_get_string(v), (size_t)json_object_get_string_len(v),
                                             &r->codec, problem, sizeof(problem))
                          : LADDER_ECONFIG;
            if (ret) {
                if (!json_object_is_type(v, json_type_string))
                    snprintf(problem, sizeof(problem), "expected a string (h264, hevc or av1)");
                snprintf(why, size, "%s: %s", where, problem);
                *code = ret;
                return false;
            }
        } else if (!strcmp(key, "bit_depth")) {
            if (!json_int_in(v, 8, 10, &r->bit_depth, where, why, size))
                return false;
            if (r->bit_depth != 8 && r->bit_depth != 10) {
                snprintf(why, size, "%s: expected 8 or 10", where);
                return false;
            }
        } else if (!strcmp(key, "max_fps")) {
            parse_result pr = PARSE_SYNTAX;
            if (json_object_is_type(v, json_type_string))
                pr = parse_fps(json_object_get_string(v), (size_t)json_object_get_string_len(v), &r->max_fps);
            else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
                pr = check_fps_value(json_object_get_double(v), &r->max_fps);
            if (pr != PARSE_OK) {
                snprintf(why, size, "%s: %s", where, fps_problem(pr));
                return false;
            }
        } else {
            snprintf(why, size, "%s: unknown key (expected name, width, height, bitrate, crf, "
                     "maxrate, bufsize, profile, max_fps, codec, bit_depth)", where);
            return false;
        }
    }

    if (has_bitrate && has_crf) {
        snprintf(why, size, "rungs[%d]: give either \"bitrate\" or \"crf\", not both", index);
        return false;
    }
    if (!has_bitrate && !has_crf) {
        snprintf(why, size, "rungs[%d]: missing \"bitrate\" (or \"crf\" for constant quality)", index);
        return false;
    }
    r->rate_mode = has_crf ? LADDER_RATE_CRF : LADDER_RATE_CAPPED_VBR;
    if (!r->width && !r->height) {
        snprintf(why, size, "rungs[%d]: give \"height\", \"width\" or both", index);
        return false;
    }
    char problem[160];
    if (rung_problem(r, problem, sizeof(problem))) {
        snprintf(why, size, "rungs[%d]: %s", index, problem);
        return false;
    }
    return true;
}

/* The document's top level. On success *out is malloc'ed and owned by the caller. */
int ladder_config_parse_audio_mode(const char *name, ladder_audio_mode *out, char *err, size_t err_size)
{
    static const char *const names[] = { [LADDER_AUDIO_ALL] = "all", [LADDER_AUDIO_FIRST] = "first",
                                         [LADDER_AUDIO_NONE] = "none" };
    for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i])) {
            *out = (ladder_audio_mode)i;
            return 0;
        }
    set_err(err, err_size, "expected all, first or none");
    return LADDER_ECONFIG;
}

int ladder_config_parse_audio_codec(const char *name, ladder_audio_codec *out, char *err, size_t err_size)
{
    if (name && !strcmp(name, "aac")) {
        *out = LADDER_AUDIO_AAC;
        return 0;
    }
    if (name && !strcmp(name, "opus")) {
        *out = LADDER_AUDIO_OPUS;
        return 0;
    }
    set_err(err, err_size, "expected aac or opus");
    return LADDER_ECONFIG;
}

int ladder_config_parse_audio_channels(const char *text, int *out, char *err, size_t err_size)
{
    /* 1, 2 or 6: mono, stereo, 5.1. Other limits would invent layouts
     * (5.1 squeezed into quad) nobody delivers. */
    if (text && (!strcmp(text, "1") || !strcmp(text, "2") || !strcmp(text, "6"))) {
        *out = text[0] - '0';
        return 0;
    }
    set_err(err, err_size, "expected 1, 2 or 6 (mono, stereo, 5.1)");
    return LADDER_ECONFIG;
}

/* The file's keys besides "rungs", in words, for an unknown key. */
static void file_keys(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < job_option_count(); i++) {
        const char *key = job_option_at(i)->file_key;
        int w = key ? snprintf(buf + used, size - used, "%s\"%s\"", used ? ", " : "", key) : 0;
        if (w > 0 && (size_t)w < size - used)
            used += (size_t)w;
    }
}

/* The file key (or "rungs") a mistyped key was probably meant to be. */
static const char *nearest_file_key(const char *key)
{
    const char *keys[64] = { "rungs" };
    int n = 1;
    for (int i = 0; i < job_option_count() && n < 63; i++)
        if (job_option_at(i)->file_key)
            keys[n++] = job_option_at(i)->file_key;
    keys[n] = NULL;
    return spell_nearest(key, keys);
}

/* The document's top level: "rungs" here, every other key through the
 * option table (engine/job_options.h) into opts. */
static int ladder_from_json(json_object *root, ladder_rung **out, int *count, job_options *opts,
                            const char *origin, char *why, size_t size)
{
    if (!json_object_is_type(root, json_type_object)) {
        snprintf(why, size, "expected a JSON object with a \"rungs\" array");
        return LADDER_ECONFIG;
    }
    json_object *list = NULL;
    struct json_object_iterator it = json_object_iter_begin(root);
    struct json_object_iterator it_end = json_object_iter_end(root);
    for (; !json_object_iter_equal(&it, &it_end); json_object_iter_next(&it)) {
        const char *key = json_object_iter_peek_name(&it);
        json_object *v = json_object_iter_peek_value(&it);
        const job_option *row = job_option_by_file_key(key);
        if (!strcmp(key, "rungs")) {
            list = v;
            if (!json_object_is_type(list, json_type_array)) {
                snprintf(why, size, "rungs: expected an array of rung objects");
                return LADDER_ECONFIG;
            }
        } else if (row) {
            int ret = job_options_set_json(opts, row, v, JOB_OPT_FILE, origin, why, size);
            if (ret)
                return ret;
        } else {
            char keys[400];
            file_keys(keys, sizeof(keys));
            const char *meant = nearest_file_key(key);
            if (meant)
                snprintf(why, size, "unknown key '%s': did you mean \"%s\"?", quote_str(key).s, meant);
            else
                snprintf(why, size, "unknown key '%s' (expected \"rungs\" and optionally %s)", quote_str(key).s,
                         keys);
            return LADDER_ECONFIG;
        }
    }
    if (!list) {
        snprintf(why, size, "missing the \"rungs\" array");
        return LADDER_ECONFIG;
    }
    size_t n = json_object_array_length(list);
    if (n == 0 || n > LADDER_MAX_RUNGS) {
        snprintf(why, size, "rungs: has %zu rungs, expected 1 to %d", n, LADDER_MAX_RUNGS);
        return LADDER_ECONFIG;
    }
    ladder_rung *rungs = calloc(n, sizeof(*rungs));
    if (!rungs) {
        snprintf(why, size, "out of memory");
        return LADDER_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        int code = LADDER_ECONFIG;
        if (!json_rung(json_object_array_get_idx(list, i), (int)i, &rungs[i], &code, why, size)) {
            free(rungs);
            return code;
        }
    }
    *out = rungs;
    *count = (int)n;
    return 0;
}

int ladder_file_load(const char *path, ladder_rung **rungs, int *nb_rungs, job_options *opts, char *err,
                     size_t err_size)
{
    if (!path || !rungs || !nb_rungs || !opts) {
        set_err(err, err_size, "ladder file: missing path or output argument");
        return LADDER_EINVAL;
    }
    quoted shown = quote_path(path);
    char *text = NULL;
    size_t len = 0;
    int ret = read_small_file(path, shown.s, &text, &len, err, err_size);
    if (ret)
        return ret;

    char why[512], origin[300];
    snprintf(origin, sizeof(origin), "ladder file %s", shown.s);
    json_object *root = NULL;
    ladder_rung *list = NULL;
    int count = 0;
    ret = parse_json_text(text, len, &root, why, sizeof(why));
    free(text);
    if (!ret)
        ret = ladder_from_json(root, &list, &count, opts, origin, why, sizeof(why));
    json_object_put(root); /* the rungs were copied out; NULL is fine */
    if (ret) {
        set_err(err, err_size, "ladder file '%s': %s", shown.s, why);
        return ret;
    }
    *rungs = list;
    *nb_rungs = count;
    return 0;
}

/* Whether the file set row, and so the matching has_ field. */
static bool from_file(const job_options *o, const char *name)
{
    return job_options_source(o, job_option_by_name(name)) == JOB_OPT_FILE;
}

int ladder_config_load_file_options(const char *path, ladder_rung **rungs, int *nb_rungs,
                                    ladder_file_options *opts, char *err, size_t err_size)
{
    job_options *o = NULL;
    if (job_options_init(&o)) {
        set_err(err, err_size, "out of memory");
        return LADDER_ENOMEM;
    }
    int ret = ladder_file_load(path, rungs, nb_rungs, o, err, err_size);
    if (!ret && opts) {
        const job_option_values *v = job_options_values(o);
        *opts = (ladder_file_options){
            .segment_seconds = v->segment_seconds, .has_segment_seconds = from_file(o, "segment_seconds"),
            .formats = v->formats, .has_formats = from_file(o, "format"),
            .codec = (ladder_codec)v->codec, .has_codec = from_file(o, "codec"),
            .audio_mode = (ladder_audio_mode)v->audio, .has_audio_mode = from_file(o, "audio"),
            .audio_codec = (ladder_audio_codec)v->audio_codec, .has_audio_codec = from_file(o, "audio_codec"),
            .audio_channels = v->audio_channels, .has_audio_channels = from_file(o, "audio_channels"),
            .parameter_sets = (ladder_parameter_sets)v->parameter_sets,
            .has_parameter_sets = from_file(o, "parameter_sets"),
            .exact_shape = v->exact_shape, .has_exact_shape = from_file(o, "exact_shape"),
            .close_gaps = v->gaps == 1, .has_gaps = from_file(o, "gaps"),
        };
    }
    job_options_close(o);
    return ret;
}

int ladder_config_load_file(const char *path, ladder_rung **rungs, int *nb_rungs,
                            double *segment_seconds, char *err, size_t err_size)
{
    ladder_file_options opts;
    int ret = ladder_config_load_file_options(path, rungs, nb_rungs, &opts, err, err_size);
    if (!ret && opts.has_segment_seconds && segment_seconds)
        *segment_seconds = opts.segment_seconds;
    return ret;
}

/* ---- default ladder ----------------------------------------------------- */

static const struct { int height, kbps; } default_rungs[] = {
    { 1080, 5000 }, { 720, 3000 }, { 480, 1400 }, { 360, 800 }, { 240, 400 },
};

static void set_rates(ladder_rung *r, int kbps)
{
    r->rate_mode = LADDER_RATE_CAPPED_VBR;
    r->bitrate_kbps = kbps;
    r->maxrate_kbps = (kbps * 11 + 5) / 10;
    r->bufsize_kbps = 2 * r->maxrate_kbps;
}

int ladder_config_default_ladder(int src_w, int src_h, ladder_rung **rungs, int *nb_rungs)
{
    if (src_w <= 0 || src_h <= 0 || !rungs || !nb_rungs)
        return LADDER_EINVAL;
    /* The shorter side, so that a portrait phone video (1080x1920) is treated
     * as the 1080p source it is, not as a 1920p one. */
    int short_side = src_w < src_h ? src_w : src_h;
    size_t n = 0;
    for (size_t i = 0; i < sizeof(default_rungs) / sizeof(default_rungs[0]); i++)
        n += default_rungs[i].height <= short_side;

    ladder_rung *list = calloc(n ? n : 1, sizeof(*list));
    if (!list)
        return LADDER_ENOMEM;
    if (n == 0) {
        /* Tiny source: one rung at its own size. The name is left empty for
         * validate to derive from the height output_size settles on (an odd
         * height is made even, so "181p" would be wrong). */
        list[0].width = src_w;
        list[0].height = src_h;
        set_rates(&list[0], 400);
        n = 1;
    } else {
        size_t k = 0;
        for (size_t i = 0; i < sizeof(default_rungs) / sizeof(default_rungs[0]); i++) {
            if (default_rungs[i].height > short_side)
                continue;
            ladder_rung *r = &list[k++];
            /* The rung's "p" number bounds the short side: a portrait source
             * gets 1080x1920 for "1080p", not 608x1080. The other dimension
             * is 0 so output_size derives it from the aspect ratio. */
            if (src_h > src_w)
                r->width = default_rungs[i].height;
            else
                r->height = default_rungs[i].height;
            snprintf(r->name, sizeof(r->name), "%dp", default_rungs[i].height);
            set_rates(r, default_rungs[i].kbps);
        }
    }
    *rungs = list;
    *nb_rungs = (int)n;
    return 0;
}

/* ---- output size -------------------------------------------------------- */

/* a * b / c rounded to nearest, half up; all positive. */
static int64_t mul_div_round(int64_t a, int64_t b, int64_t c)
{
    return (2 * a * b + c) / (2 * c);
}

/*
 * Rounding rule. The scale is the smallest of box_w/src_w and box_h/src_h
 * (for the box dimensions that are given) and 1 (never upscale). Each output
 * dimension is src * scale rounded to the nearest pixel, then an odd result
 * is rounded down to even (the even neighbours of an odd integer are a tie;
 * down never leaves the box or the source), minimum 2:
 *   853x480 source          -> 853  -> 852x480
 *   1921x1081 in "x1080"    -> 1919.2 -> 1919 -> 1918x1080
 *   1080x1920 in 1280x720   -> 405  -> 404x720
 *   1920x1080 in "x480"     -> 853.3 -> 853 -> 852x480
 * The scale stays an exact fraction: 1440 * (720/1080) must be 960, not the
 * 959.99 a double could give before rounding.
 * A box given in full that lies within 2 pixels of that size in both
 * dimensions, and inside the source, is taken as it is: "852x480" on a 16:9
 * source means the conventional 480p size, not 852x478. Its pixels are
 * square (the picture is 0.2 % narrower than 16:9) unless the job keeps the
 * exact shape: ladder_config_rung_sar().
 */
int ladder_config_output_size(const ladder_rung *r, int src_w, int src_h, int *out_w, int *out_h)
{
    if (!r || !out_w || !out_h || src_w <= 0 || src_h <= 0)
        return LADDER_EINVAL;
    if (r->width < 0 || r->height < 0 || (r->width == 0 && r->height == 0))
        return LADDER_ECONFIG;
    int64_t num = 1, den = 1; /* scale = num / den */
    /* box/src < num/den  <=>  box * den < num * src */
    if (r->width > 0 && (int64_t)r->width * den < num * src_w) {
        num = r->width;
        den = src_w;
    }
    if (r->height > 0 && (int64_t)r->height * den < num * src_h) {
        num = r->height;
        den = src_h;
    }
    int64_t w = mul_div_round(src_w, num, den) & ~(int64_t)1;
    int64_t h = mul_div_round(src_h, num, den) & ~(int64_t)1;
    if (r->width > 0 && r->height > 0) {
        int64_t box_w = r->width & ~1, box_h = r->height & ~1;
        if (box_w >= 2 && box_h >= 2 && box_w <= src_w && box_h <= src_h &&
            llabs(box_w - w) <= 2 && llabs(box_h - h) <= 2) {
            w = box_w;
            h = box_h;
        }
    }
    *out_w = w < 2 ? 2 : (int)w;
    *out_h = h < 2 ? 2 : (int)h;
    return 0;
}

/* ---- sample aspect ratio ------------------------------------------------ */

/*
 * Square pixels by default: a player shows the decoded size, which is then
 * what HLS RESOLUTION and the MPD's @width/@height say (hls.js matches
 * decoded frames against the levels' sizes). The exact shape is the ratio
 * of the source's display aspect to the rung's pixel aspect,
 * (src_w / src_h) / (out_w / out_h), with terms of at most 4096: FFmpeg's
 * libx264 wrapper cuts the SPS's SAR to that bound, so a larger one (38400:
 * 38359 for 862x360 from 1280x534) would leave the MPD's @sar and the
 * 'pasp' box stating another ratio than the bitstream (2810:2807).
 */
int ladder_config_parse_gaps(const char *text, bool *close_gaps)
{
    if (!text || !close_gaps)
        return LADDER_ECONFIG;
    if (!strcmp(text, "hold"))
        *close_gaps = false;
    else if (!strcmp(text, "close"))
        *close_gaps = true;
    else
        return LADDER_ECONFIG;
    return 0;
}

void ladder_config_rung_sar(bool exact_shape, int src_w, int src_h, int out_w, int out_h,
                            int *sar_num, int *sar_den)
{
    int num = 1, den = 1;
    if (exact_shape && src_w > 0 && src_h > 0 && out_w > 0 && out_h > 0) {
        av_reduce(&num, &den, (int64_t)src_w * out_h, (int64_t)src_h * out_w, 4096);
        if (num <= 0 || den <= 0)
            num = den = 1;
    }
    *sar_num = num;
    *sar_den = den;
}

int ladder_config_display_width(int width, int sar_num, int sar_den)
{
    if (width <= 0 || sar_num <= 0 || sar_den <= 0)
        return width;
    return (int)mul_div_round(width, sar_num, sar_den);
}

/* ---- validate ----------------------------------------------------------- */

/* Case-insensitive: names are directory names, and on a case-insensitive
 * file system (macOS, Windows shares) "HD" and "hd" are the same place. */
static bool name_taken(const ladder_rung *rungs, int nb, int self, const char *name)
{
    for (int i = 0; i < nb; i++)
        if (i != self && rungs[i].name[0] && !strcasecmp(rungs[i].name, name))
            return true;
    return false;
}

int ladder_config_validate(ladder_rung *rungs, int nb_rungs, char *err, size_t err_size)
{
    if (!rungs || nb_rungs < 1 || nb_rungs > LADDER_MAX_RUNGS) {
        set_err(err, err_size, "ladder has %d rungs, expected 1 to %d", rungs ? nb_rungs : 0,
                LADDER_MAX_RUNGS);
        return LADDER_ECONFIG;
    }
    /* Check everything before filling anything in, so that a rejected ladder
     * comes back untouched. */
    char why[192];
    for (int i = 0; i < nb_rungs; i++) {
        const ladder_rung *r = &rungs[i];
        if (rung_problem(r, why, sizeof(why))) {
            set_err(err, err_size, "rung %d: %s", i + 1, why);
            return LADDER_ECONFIG;
        }
        if (!r->name[0] && r->height <= 0) {
            set_err(err, err_size, "rung %d: no height to derive a name from; give it a name", i + 1);
            return LADDER_ECONFIG;
        }
        for (int j = 0; j < i; j++) {
            if (r->name[0] && !strcasecmp(rungs[j].name, r->name)) {
                set_err(err, err_size, "rungs %d and %d are both named '%s'%s", j + 1, i + 1, r->name,
                        strcmp(rungs[j].name, r->name) ? " (names are compared ignoring case)" : "");
                return LADDER_ECONFIG;
            }
        }
    }

    for (int i = 0; i < nb_rungs; i++) {
        ladder_rung *r = &rungs[i];
        if (r->rate_mode == LADDER_RATE_CAPPED_VBR && !r->maxrate_kbps)
            r->maxrate_kbps = (r->bitrate_kbps * 11 + 5) / 10;
        if (r->maxrate_kbps && !r->bufsize_kbps)
            r->bufsize_kbps = 2 * r->maxrate_kbps;
        if (!r->name[0]) {
            /* Given names were checked unique above; a derived one steps
             * aside for them and for earlier derived ones: 720p, 720p_2. */
            char base[16]; /* "16384p" at most: rung_problem bounds the height */
            snprintf(base, sizeof(base), "%dp", r->height);
            snprintf(r->name, sizeof(r->name), "%s", base);
            for (int k = 2; name_taken(rungs, nb_rungs, i, r->name); k++)
                snprintf(r->name, sizeof(r->name), "%s_%d", base, k);
        }
    }
    return 0;
}
