/*
 * HLS playlist text: see hls_playlist.h.
 *
 * Decimal numbers are printed from integers (milliseconds, thousandths of
 * a frame) rather than with "%.3f": printf's decimal separator follows
 * LC_NUMERIC, and a host program that calls setlocale() would otherwise
 * get "2,002" in its playlists. It also lets TARGETDURATION be derived from
 * exactly the value that is printed.
 */
#include "mux/hls_playlist.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"
#include "utf8.h"

/* Values beyond these are a caller's bug (a timestamp unit mix-up), not
 * media; the bounds also keep the thousandths counts far from overflow. */
#define MAX_SEGMENT_SECONDS 1e6
#define MAX_FRAME_RATE 1e6

/* Growable NUL-terminated text. A failed allocation is remembered so that
 * the formatting code can append unconditionally and check once. */
typedef struct strbuf {
    char *data;
    size_t len, cap;
    int failed;
} strbuf;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(strbuf *sb, const char *fmt, ...)
{
    if (sb->failed)
        return;
    for (;;) {
        size_t room = sb->cap - sb->len;
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(sb->data ? sb->data + sb->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            sb->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            sb->len += (size_t)n;
            return;
        }
        size_t need = sb->len + (size_t)n + 1;
        size_t cap = sb->cap ? sb->cap : 1024;
        while (cap < need) {
            if (cap > SIZE_MAX / 2) {
                sb->failed = 1;
                return;
            }
            cap *= 2;
        }
        char *grown = realloc(sb->data, cap);
        if (!grown) {
            sb->failed = 1;
            return;
        }
        sb->data = grown;
        sb->cap = cap;
    }
}

/* Hands the text to the caller, or frees it after a failed allocation. */
static int sb_finish(strbuf *sb, char **out)
{
    if (sb->failed || !sb->data) {
        free(sb->data);
        return LADDER_ENOMEM;
    }
    *out = sb->data;
    return 0;
}

/*
 * Strings are written verbatim, inside double quotes for attributes or as
 * URI lines. RFC 8216 quoted strings cannot contain '"', CR or LF, and
 * there is no escape syntax, so such input is refused rather than altered.
 * A playlist must be UTF-8 without control characters other than CR and
 * LF (RFC 8216 4.1), so those are refused as well. Empty strings are
 * refused too: none of the fields may be empty.
 */
static int valid_text(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t c;
        size_t n = ladder_utf8_decode(p, &c);
        /* C0 controls (CR and LF among them), DEL and C1 controls. */
        if (n == 0 || c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '"')
            return 0;
        p += n;
    }
    return 1;
}

/*
 * A URI on a line of its own: besides valid_text, it must not start with
 * '#', which would make the line a tag or a comment to every reader (the
 * segment or variant would vanish and the next one take its EXTINF or
 * STREAM-INF).
 */
static int valid_uri_line(const char *s)
{
    return valid_text(s) && s[0] != '#';
}

/*
 * x rounded to the nearest thousandth (halves up), as an integer count of
 * them. Callers have checked that x is finite, non-negative and bounded,
 * so the cast cannot overflow.
 */
static long long thousandths(double x)
{
    return (long long)(x * 1000.0 + 0.5);
}

static void sb_thousandths(strbuf *sb, long long v)
{
    sb_printf(sb, "%lld.%03lld", v / 1000, v % 1000);
}

static int media_playlist(const char *init_uri, const ladder_hls_segment *segs, size_t nb_segs,
                          bool iframes, char **out)
{
    if (out)
        *out = NULL;
    if (!out || !valid_text(init_uri) || !segs || nb_segs == 0)
        return LADDER_EINVAL;

    /*
     * RFC 8216 4.3.3.1: every EXTINF, rounded to the nearest integer, must
     * not exceed the target duration. Rounding the printed millisecond value
     * half up gives 2.5 -> 3, 2.49 -> 2 and 2.002 -> 2, the way a validator
     * reading the text would.
     */
    long long target = 0;
    for (size_t i = 0; i < nb_segs; i++) {
        double d = segs[i].duration;
        if (!valid_uri_line(segs[i].uri) || !isfinite(d) || d <= 0 || d > MAX_SEGMENT_SECONDS)
            return LADDER_EINVAL;
        if (iframes && (segs[i].byte_length <= 0 || segs[i].byte_offset < 0))
            return LADDER_EINVAL;
        long long rounded = (thousandths(d) + 500) / 1000;
        if (rounded > target)
            target = rounded;
    }

    strbuf sb = {0};
    sb_printf(&sb, "#EXTM3U\n"
                   "#EXT-X-VERSION:7\n"
                   "#EXT-X-TARGETDURATION:%lld\n"
                   "#EXT-X-PLAYLIST-TYPE:VOD\n"
                   "#EXT-X-INDEPENDENT-SEGMENTS\n"
                   "%s"
                   "#EXT-X-MAP:URI=\"%s\"\n", target, iframes ? "#EXT-X-I-FRAMES-ONLY\n" : "", init_uri);
    for (size_t i = 0; i < nb_segs; i++) {
        sb_printf(&sb, "#EXTINF:");
        sb_thousandths(&sb, thousandths(segs[i].duration));
        sb_printf(&sb, ",\n");
        if (iframes)
            sb_printf(&sb, "#EXT-X-BYTERANGE:%" PRId64 "@%" PRId64 "\n", segs[i].byte_length,
                      segs[i].byte_offset);
        sb_printf(&sb, "%s\n", segs[i].uri);
    }
    sb_printf(&sb, "#EXT-X-ENDLIST\n");
    return sb_finish(&sb, out);
}

int ladder_hls_media_playlist(const char *init_uri,
                              const ladder_hls_segment *segs, size_t nb_segs,
                              char **out)
{
    return media_playlist(init_uri, segs, nb_segs, false, out);
}

int ladder_hls_iframe_playlist(const char *init_uri,
                               const ladder_hls_segment *segs, size_t nb_segs,
                               char **out)
{
    return media_playlist(init_uri, segs, nb_segs, true, out);
}

/*
 * Beyond quoting, the audio renditions must obey RFC 8216 4.3.4.1.1 within
 * each group: names unique, at most one DEFAULT=YES.
 */
static int check_audio(const ladder_hls_audio_rendition *audio, size_t nb_audio)
{
    for (size_t i = 0; i < nb_audio; i++) {
        const ladder_hls_audio_rendition *a = &audio[i];
        if (!valid_text(a->group_id) || !valid_text(a->name) || !valid_text(a->uri) ||
            (a->language && !valid_text(a->language)) || a->channels < 0)
            return LADDER_EINVAL;
        for (size_t j = 0; j < i; j++) {
            const ladder_hls_audio_rendition *b = &audio[j];
            if (strcmp(a->group_id, b->group_id) != 0)
                continue;
            if (strcmp(a->name, b->name) == 0 || (a->is_default && b->is_default))
                return LADDER_EINVAL;
        }
    }
    return 0;
}

/*
 * BANDWIDTH is the only required attribute; the optional ones are left out
 * when their value is zero (AVERAGE-BANDWIDTH, RESOLUTION, FRAME-RATE), so
 * a rendition whose rate could not be measured still gets a playlist.
 * Negative values are bugs. An AUDIO group must name a rendition given
 * (RFC 8216 4.3.4.2).
 */
static int check_variant(const ladder_hls_variant *v,
                         const ladder_hls_audio_rendition *audio, size_t nb_audio)
{
    if (!valid_uri_line(v->uri) || !valid_text(v->codecs) ||
        v->bandwidth <= 0 || v->average_bandwidth < 0 ||
        v->width < 0 || v->height < 0 || (v->width == 0) != (v->height == 0) ||
        !isfinite(v->frame_rate) || v->frame_rate < 0 || v->frame_rate > MAX_FRAME_RATE)
        return LADDER_EINVAL;
    if (v->iframe_uri && (!valid_text(v->iframe_uri) || !valid_text(v->iframe_codecs) ||
                          v->iframe_bandwidth <= 0))
        return LADDER_EINVAL;
    /* An enumerated string: only the values RFC 8216bis defines. */
    if (v->video_range && strcmp(v->video_range, "SDR") && strcmp(v->video_range, "PQ") &&
        strcmp(v->video_range, "HLG"))
        return LADDER_EINVAL;
    if (!v->audio_group)
        return 0;
    if (!valid_text(v->audio_group))
        return LADDER_EINVAL;
    for (size_t i = 0; i < nb_audio; i++)
        if (strcmp(audio[i].group_id, v->audio_group) == 0)
            return 0;
    return LADDER_EINVAL;
}

int ladder_hls_master_playlist(const ladder_hls_variant *variants, size_t nb_variants,
                               const ladder_hls_audio_rendition *audio, size_t nb_audio,
                               char **out)
{
    if (out)
        *out = NULL;
    if (!out || !variants || nb_variants == 0 || (nb_audio > 0 && !audio))
        return LADDER_EINVAL;
    int err = check_audio(audio, nb_audio);
    if (err)
        return err;
    for (size_t i = 0; i < nb_variants; i++) {
        err = check_variant(&variants[i], audio, nb_audio);
        if (err)
            return err;
    }

    strbuf sb = {0};
    sb_printf(&sb, "#EXTM3U\n"
                   "#EXT-X-VERSION:7\n"
                   "#EXT-X-INDEPENDENT-SEGMENTS\n");
    for (size_t i = 0; i < nb_audio; i++) {
        const ladder_hls_audio_rendition *a = &audio[i];
        sb_printf(&sb, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"%s\",NAME=\"%s\"",
                  a->group_id, a->name);
        if (a->language)
            sb_printf(&sb, ",LANGUAGE=\"%s\"", a->language);
        sb_printf(&sb, ",DEFAULT=%s,AUTOSELECT=YES", a->is_default ? "YES" : "NO");
        if (a->channels > 0)
            sb_printf(&sb, ",CHANNELS=\"%d\"", a->channels);
        sb_printf(&sb, ",URI=\"%s\"\n", a->uri);
    }
    for (size_t i = 0; i < nb_variants; i++) {
        const ladder_hls_variant *v = &variants[i];
        sb_printf(&sb, "#EXT-X-STREAM-INF:BANDWIDTH=%" PRId64, v->bandwidth);
        if (v->average_bandwidth > 0)
            sb_printf(&sb, ",AVERAGE-BANDWIDTH=%" PRId64, v->average_bandwidth);
        sb_printf(&sb, ",CODECS=\"%s\"", v->codecs);
        if (v->width > 0)
            sb_printf(&sb, ",RESOLUTION=%dx%d", v->width, v->height);
        if (v->frame_rate > 0) {
            sb_printf(&sb, ",FRAME-RATE=");
            sb_thousandths(&sb, thousandths(v->frame_rate));
        }
        if (v->video_range)
            sb_printf(&sb, ",VIDEO-RANGE=%s", v->video_range);
        if (v->audio_group)
            sb_printf(&sb, ",AUDIO=\"%s\"", v->audio_group);
        sb_printf(&sb, "\n%s\n", v->uri);
    }
    /* Trick play: I-frame streams carry video only, so no AUDIO and the
     * video codec alone. */
    for (size_t i = 0; i < nb_variants; i++) {
        const ladder_hls_variant *v = &variants[i];
        if (!v->iframe_uri)
            continue;
        sb_printf(&sb, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%" PRId64 ",CODECS=\"%s\"",
                  v->iframe_bandwidth, v->iframe_codecs);
        if (v->width > 0)
            sb_printf(&sb, ",RESOLUTION=%dx%d", v->width, v->height);
        if (v->video_range)
            sb_printf(&sb, ",VIDEO-RANGE=%s", v->video_range);
        sb_printf(&sb, ",URI=\"%s\"\n", v->iframe_uri);
    }
    return sb_finish(&sb, out);
}
