/*
 * The HLS playlist writers (mux/hls_playlist.c) fed fuzzer-built
 * structures: URIs, names, languages, codec strings, durations, byte
 * ranges. A playlist that is written must parse back (a small RFC 8216
 * reader below) to what was given: every segment's EXTINF (to the
 * millisecond) and URI, TARGETDURATION at least every rounded EXTINF,
 * every rendition's and variant's attributes; a refused input writes
 * nothing.
 */
#include "fuzz.h"

#include <math.h>

#include "ladder/error.h"
#include "mux/hls_playlist.h"

#define MAX_ITEMS 24
#define MAX_TEXT 24

/* Durations and rates are mostly ordinary, sometimes the values that break
 * formatting: zero, negative, huge, NaN, infinite, halves. */
static double fuzz_seconds(fuzz_reader *r)
{
    uint32_t v = fuzz_u32(r);
    switch (v >> 29) {
    case 0: return (double)(v & 0xffff) / 1000.0;
    case 1: return (double)(v & 0xffffff) / 7.0;
    case 2: return -(double)(v & 0xff);
    case 3: return (double)(v & 0xfffff) + 0.4995;
    case 4: return (v & 1) ? INFINITY : NAN;
    case 5: return 1e6 - (double)(v & 0xff) / 1024.0;
    default: return (double)v;
    }
}

/* A string, or sometimes NULL (when the byte says so). */
static const char *maybe_str(fuzz_reader *r, char *buf, bool null_ok)
{
    fuzz_str(r, buf, MAX_TEXT);
    if (null_ok && buf[0] == '\0')
        return NULL;
    return buf;
}

/* Lines of the text, in place: returns the count, never more than max.
 * The text has no control characters but the line ends (RFC 8216 4.1). */
static size_t split_lines(char *text, char **lines, size_t max)
{
    for (const unsigned char *c = (const unsigned char *)text; *c; c++)
        FUZZ_CHECK(*c == '\n' || (*c >= 0x20 && *c != 0x7f));
    size_t n = 0;
    char *p = text;
    while (*p && n < max) {
        char *nl = strchr(p, '\n');
        FUZZ_CHECK(nl != NULL); /* every line ends with a newline */
        *nl = '\0';
        FUZZ_CHECK(!strchr(p, '\r'));
        lines[n++] = p;
        p = nl + 1;
    }
    FUZZ_CHECK(*p == '\0');
    return n;
}

/* RFC 8216 4.2 attribute lists: value of attribute name, unquoted, into
 * out; false when absent. */
static bool attr(const char *list, const char *name, char *out, size_t size)
{
    const char *p = list;
    size_t name_len = strlen(name);
    while (*p) {
        const char *eq = strchr(p, '=');
        FUZZ_CHECK(eq != NULL);
        bool match = (size_t)(eq - p) == name_len && !strncmp(p, name, name_len);
        const char *v = eq + 1, *end;
        if (*v == '"') {
            end = strchr(v + 1, '"');
            FUZZ_CHECK(end != NULL);
            if (match) {
                snprintf(out, size, "%.*s", (int)(end - v - 1), v + 1);
                return true;
            }
            end++;
        } else {
            end = strchr(v, ',');
            if (!end)
                end = v + strlen(v);
            if (match) {
                snprintf(out, size, "%.*s", (int)(end - v), v);
                return true;
            }
        }
        FUZZ_CHECK(*end == ',' || *end == '\0');
        p = *end ? end + 1 : end;
    }
    return false;
}

static void check_media(fuzz_reader *r, bool iframes)
{
    char init_buf[MAX_TEXT + 1];
    const char *init_uri = maybe_str(r, init_buf, true);
    size_t nb = fuzz_u8(r) % MAX_ITEMS;
    ladder_hls_segment segs[MAX_ITEMS];
    char uris[MAX_ITEMS][MAX_TEXT + 1];
    for (size_t i = 0; i < nb; i++) {
        segs[i].uri = maybe_str(r, uris[i], true);
        segs[i].duration = fuzz_seconds(r);
        segs[i].byte_offset = (int64_t)fuzz_u64(r);
        segs[i].byte_length = (int64_t)fuzz_u64(r);
    }
    char *text = (char *)0x1;
    int ret = iframes ? ladder_hls_iframe_playlist(init_uri, segs, nb, &text)
                      : ladder_hls_media_playlist(init_uri, segs, nb, &text);
    if (ret) {
        FUZZ_CHECK(ret == LADDER_EINVAL && text == NULL);
        return;
    }
    char *lines[4 * MAX_ITEMS + 16];
    size_t n = split_lines(text, lines, sizeof(lines) / sizeof(lines[0]));
    FUZZ_CHECK(n >= 7 && !strcmp(lines[0], "#EXTM3U"));
    FUZZ_CHECK(!strcmp(lines[n - 1], "#EXT-X-ENDLIST"));
    long long target = -1;
    size_t seg = 0;
    bool pending_extinf = false;
    long long pending_ms = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        const char *l = lines[i];
        if (!strncmp(l, "#EXT-X-TARGETDURATION:", 22)) {
            target = atoll(l + 22);
        } else if (!strncmp(l, "#EXT-X-MAP:", 11)) {
            char uri[64];
            FUZZ_CHECK(attr(l + 11, "URI", uri, sizeof(uri)) && !strcmp(uri, init_uri));
        } else if (!strncmp(l, "#EXTINF:", 8)) {
            FUZZ_CHECK(!pending_extinf && seg < nb);
            long long whole = 0, frac = 0;
            FUZZ_CHECK(sscanf(l + 8, "%lld.%3lld,", &whole, &frac) == 2);
            pending_ms = whole * 1000 + frac;
            pending_extinf = true;
        } else if (!strncmp(l, "#EXT-X-BYTERANGE:", 17)) {
            FUZZ_CHECK(iframes && pending_extinf);
            long long len = -1, off = -1;
            FUZZ_CHECK(sscanf(l + 17, "%lld@%lld", &len, &off) == 2);
            FUZZ_CHECK(len == segs[seg].byte_length && off == segs[seg].byte_offset);
        } else if (l[0] == '#') {
            continue;
        } else {
            /* A URI line: the segment the last EXTINF announced. */
            FUZZ_CHECK(pending_extinf);
            if (strcmp(l, segs[seg].uri))
                fprintf(stderr, "segment %zu: URI line '%s', given '%s'\n", seg, l, segs[seg].uri);
            FUZZ_CHECK(!strcmp(l, segs[seg].uri));
            FUZZ_CHECK(llabs(pending_ms - llround(segs[seg].duration * 1000.0)) <= 1);
            FUZZ_CHECK(target >= (pending_ms + 500) / 1000);
            pending_extinf = false;
            seg++;
        }
    }
    if (seg != nb)
        fprintf(stderr, "%zu segments given, %zu read back\n", nb, seg);
    FUZZ_CHECK(seg == nb && !pending_extinf);
    free(text);
}

static void check_master(fuzz_reader *r)
{
    size_t nb_audio = fuzz_u8(r) % 6, nb_var = fuzz_u8(r) % 8;
    ladder_hls_audio_rendition audio[6];
    ladder_hls_variant var[8];
    char text_buf[6 + 8][6][MAX_TEXT + 1];
    static const char *const groups[] = { "audio", "aud2" };
    static const char *const ranges[] = { NULL, "SDR", "PQ", "HLG", "pq" };
    for (size_t i = 0; i < nb_audio; i++) {
        uint8_t flags = fuzz_u8(r);
        audio[i].group_id = (flags & 1) ? groups[(flags >> 1) & 1] : maybe_str(r, text_buf[i][0], false);
        audio[i].name = maybe_str(r, text_buf[i][1], false);
        audio[i].language = maybe_str(r, text_buf[i][2], true);
        audio[i].uri = maybe_str(r, text_buf[i][3], false);
        audio[i].is_default = (flags >> 2) & 1;
        audio[i].channels = (int)(int8_t)fuzz_u8(r);
    }
    for (size_t i = 0; i < nb_var; i++) {
        char (*t)[MAX_TEXT + 1] = text_buf[6 + i];
        uint8_t flags = fuzz_u8(r);
        var[i].uri = maybe_str(r, t[0], false);
        var[i].bandwidth = (int64_t)fuzz_u64(r);
        var[i].average_bandwidth = (int64_t)fuzz_u64(r);
        var[i].codecs = maybe_str(r, t[1], false);
        var[i].width = (int)fuzz_u32(r);
        var[i].height = (int)fuzz_u32(r);
        var[i].frame_rate = fuzz_seconds(r);
        var[i].audio_group = (flags & 1) ? groups[(flags >> 1) & 1] : maybe_str(r, t[2], true);
        var[i].iframe_uri = maybe_str(r, t[3], true);
        var[i].iframe_bandwidth = (int64_t)fuzz_u64(r);
        var[i].iframe_codecs = maybe_str(r, t[4], true);
        var[i].video_range = ranges[(flags >> 2) % 5];
    }
    char *text = (char *)0x1;
    int ret = ladder_hls_master_playlist(var, nb_var, audio, nb_audio, &text);
    if (ret) {
        FUZZ_CHECK(ret == LADDER_EINVAL && text == NULL);
        return;
    }
    char *lines[64];
    size_t n = split_lines(text, lines, sizeof(lines) / sizeof(lines[0]));
    FUZZ_CHECK(n >= 3 && !strcmp(lines[0], "#EXTM3U"));
    size_t a = 0, v = 0, iv = 0;
    bool pending_inf = false;
    char value[128];
    for (size_t i = 1; i < n; i++) {
        const char *l = lines[i];
        if (!strncmp(l, "#EXT-X-MEDIA:", 13)) {
            FUZZ_CHECK(a < nb_audio);
            FUZZ_CHECK(attr(l + 13, "GROUP-ID", value, sizeof(value)) && !strcmp(value, audio[a].group_id));
            FUZZ_CHECK(attr(l + 13, "NAME", value, sizeof(value)) && !strcmp(value, audio[a].name));
            FUZZ_CHECK(attr(l + 13, "URI", value, sizeof(value)) && !strcmp(value, audio[a].uri));
            if (audio[a].language)
                FUZZ_CHECK(attr(l + 13, "LANGUAGE", value, sizeof(value)) &&
                           !strcmp(value, audio[a].language));
            a++;
        } else if (!strncmp(l, "#EXT-X-STREAM-INF:", 18)) {
            FUZZ_CHECK(v < nb_var && !pending_inf);
            FUZZ_CHECK(attr(l + 18, "CODECS", value, sizeof(value)) && !strcmp(value, var[v].codecs));
            FUZZ_CHECK(attr(l + 18, "BANDWIDTH", value, sizeof(value)) &&
                       atoll(value) == var[v].bandwidth);
            if (var[v].audio_group)
                FUZZ_CHECK(attr(l + 18, "AUDIO", value, sizeof(value)) &&
                           !strcmp(value, var[v].audio_group));
            pending_inf = true;
        } else if (!strncmp(l, "#EXT-X-I-FRAME-STREAM-INF:", 26)) {
            while (iv < nb_var && !var[iv].iframe_uri)
                iv++;
            FUZZ_CHECK(iv < nb_var);
            FUZZ_CHECK(attr(l + 26, "URI", value, sizeof(value)) && !strcmp(value, var[iv].iframe_uri));
            FUZZ_CHECK(attr(l + 26, "CODECS", value, sizeof(value)) &&
                       !strcmp(value, var[iv].iframe_codecs));
            iv++;
        } else if (l[0] != '#') {
            FUZZ_CHECK(pending_inf);
            if (strcmp(l, var[v].uri))
                fprintf(stderr, "variant %zu: URI line '%s', given '%s'\n", v, l, var[v].uri);
            FUZZ_CHECK(!strcmp(l, var[v].uri));
            pending_inf = false;
            v++;
        }
    }
    if (v != nb_var)
        fprintf(stderr, "%zu variants given, %zu read back\n", nb_var, v);
    FUZZ_CHECK(a == nb_audio && v == nb_var && !pending_inf);
    while (iv < nb_var && !var[iv].iframe_uri)
        iv++;
    FUZZ_CHECK(iv == nb_var);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    switch (fuzz_u8(&r) % 3) {
    case 0: check_media(&r, false); break;
    case 1: check_media(&r, true); break;
    default: check_master(&r); break;
    }
    return 0;
}
