/*
 * DASH MPD: see dash_mpd.h.
 *
 * The document is built as a libxml2 tree and serialised by libxml2, so
 * every attribute value is escaped by the library, whatever a rung name or
 * a language tag contains. Paths additionally go through URI escaping: in a
 * SegmentTemplate '$' starts an identifier, and percent-encoding it (with
 * ' ', '%', '#', ...) keeps a literal directory name literal.
 *
 * Numbers are printed from integers, never with "%f": the decimal separator
 * of printf follows LC_NUMERIC (see hls_playlist.c).
 */
#include "mux/dash_mpd.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <libxml/xmlstring.h>

#include "ladder/error.h"
#include "utf8.h"

#define MPD_NAMESPACE "urn:mpeg:dash:schema:mpd:2011"
#define PROFILE_ISOFF_LIVE "urn:mpeg:dash:profile:isoff-live:2011"
#define CHANNEL_CONFIG_SCHEME "urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
/* ladder_cmaf_writer's file names; $Number%05d$ is seg_%05d.m4s. */
#define INIT_NAME "init.mp4"
#define MEDIA_TEMPLATE_NAME "seg_$Number%05d$.m4s"

/* Tick counts are turned into milliseconds (x 1000); anything near this
 * bound is a unit mix-up in the caller, not media. */
#define MAX_TICKS (INT64_MAX / 1000)
#define MAX_LANG_LEN 64

/* ---- validation --------------------------------------------------------- */

/*
 * Text that libxml2 can carry into a well-formed document: strictly valid
 * UTF-8 (ladder_utf8_decode: xmlCheckUTF8 lets overlong forms through,
 * and the MPD's readers, libxml2's own parser included, refuse them), no
 * C0 control characters or DEL (XML 1.0 cannot represent most of them,
 * and none belongs in these fields), and none of the two non-characters
 * XML 1.0 excludes (U+FFFE, U+FFFF).
 */
static bool valid_text(const char *s)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t c;
        size_t n = ladder_utf8_decode(p, &c);
        if (n == 0 || c < 0x20 || c == 0x7f || c == 0xfffe || c == 0xffff)
            return false;
        p += n;
    }
    return true;
}

/* Representation@id is a StringNoWhitespaceType; codecs lists have no
 * spaces either. */
static bool valid_token(const char *s)
{
    return valid_text(s) && !strchr(s, ' ');
}

/* A BCP 47 tag's shape: alphanumeric subtags of 1 to 8, joined by '-'. */
static bool valid_lang(const char *s)
{
    size_t len = strlen(s), run = 0;
    if (len == 0 || len > MAX_LANG_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '-') {
            if (run == 0)
                return false;
            run = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            if (++run > 8)
                return false;
        } else {
            return false;
        }
    }
    return run > 0;
}

static bool valid_timeline(const ladder_dash_timeline *tl)
{
    if (!valid_text(tl->dir) || tl->start_number < 0 || tl->timescale == 0 ||
        !tl->segments || tl->nb_segments == 0)
        return false;
    int64_t prev_end = 0;
    for (size_t i = 0; i < tl->nb_segments; i++) {
        const ladder_dash_segment *seg = &tl->segments[i];
        if (seg->start < 0 || seg->duration <= 0 || seg->start > MAX_TICKS ||
            seg->duration > MAX_TICKS - seg->start || seg->start < prev_end)
            return false;
        prev_end = seg->start + seg->duration;
    }
    return true;
}

static bool valid_video(const ladder_dash_video *v)
{
    bool rate_given = v->frame_rate_num != 0 || v->frame_rate_den != 0;
    bool sar_given = v->sar_num != 0 || v->sar_den != 0;
    return valid_token(v->id) && valid_token(v->codecs) && v->bandwidth > 0 &&
           v->width > 0 && v->height > 0 &&
           (!rate_given || (v->frame_rate_num > 0 && v->frame_rate_den > 0)) &&
           (!sar_given || (v->sar_num > 0 && v->sar_den > 0)) &&
           valid_timeline(&v->timeline);
}

static bool valid_audio(const ladder_dash_audio *a)
{
    return valid_token(a->id) && valid_token(a->codecs) && a->bandwidth > 0 &&
           a->sample_rate > 0 && a->channels >= 0 && (!a->lang || valid_lang(a->lang)) &&
           valid_timeline(&a->timeline);
}

/* Representation ids must be unique within the Period, across media types. */
static bool ids_unique(const ladder_dash_video *video, size_t nb_video,
                       const ladder_dash_audio *audio, size_t nb_audio)
{
    size_t n = nb_video + nb_audio;
    for (size_t i = 0; i < n; i++) {
        const char *a = i < nb_video ? video[i].id : audio[i - nb_video].id;
        for (size_t j = 0; j < i; j++) {
            const char *b = j < nb_video ? video[j].id : audio[j - nb_video].id;
            if (strcmp(a, b) == 0)
                return false;
        }
    }
    return true;
}

/* ---- arithmetic --------------------------------------------------------- */

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* a / ta == b / tb for tick counts on two timescales. An overflowing
 * product answers "not equal": only segmentAlignment depends on it, and
 * leaving that out is always correct. */
static bool same_instant(int64_t a, uint32_t ta, int64_t b, uint32_t tb)
{
    int64_t x, y;
    if (__builtin_mul_overflow(a, (int64_t)tb, &x) || __builtin_mul_overflow(b, (int64_t)ta, &y))
        return false;
    return x == y;
}

/* Milliseconds in ticks, rounded to nearest or up. ticks <= MAX_TICKS. */
static int64_t ticks_to_ms(int64_t ticks, uint32_t timescale, bool round_up)
{
    int64_t ms = ticks * 1000 / timescale;
    int64_t rest = ticks * 1000 % timescale;
    if (round_up ? rest > 0 : rest * 2 >= (int64_t)timescale)
        ms++;
    return ms;
}

static int64_t timeline_end(const ladder_dash_timeline *tl)
{
    const ladder_dash_segment *last = &tl->segments[tl->nb_segments - 1];
    return last->start + last->duration;
}

static int64_t longest_segment_ms(const ladder_dash_timeline *tl)
{
    int64_t ms = 0;
    for (size_t i = 0; i < tl->nb_segments; i++) {
        int64_t d = ticks_to_ms(tl->segments[i].duration, tl->timescale, true);
        if (d > ms)
            ms = d;
    }
    return ms;
}

/*
 * Every rung's k-th segment starts and ends at the same instant as every
 * other rung's (and carries the same number): ISO/IEC 23009-1 segment
 * alignment, which lets a player switch at any segment boundary.
 */
static bool segments_aligned(const ladder_dash_video *video, size_t nb_video)
{
    const ladder_dash_timeline *ref = &video[0].timeline;
    for (size_t i = 1; i < nb_video; i++) {
        const ladder_dash_timeline *tl = &video[i].timeline;
        if (tl->nb_segments != ref->nb_segments || tl->start_number != ref->start_number)
            return false;
        for (size_t k = 0; k < tl->nb_segments; k++) {
            const ladder_dash_segment *a = &ref->segments[k], *b = &tl->segments[k];
            if (!same_instant(a->start, ref->timescale, b->start, tl->timescale) ||
                !same_instant(a->start + a->duration, ref->timescale,
                              b->start + b->duration, tl->timescale))
                return false;
        }
    }
    return true;
}

/* ---- building the tree -------------------------------------------------- */

/* libxml2 calls can fail on allocation; the first failure is remembered so
 * that the building code reads straight through and checks once. */
typedef struct mpd_builder {
    xmlDocPtr doc;
    bool failed;
} mpd_builder;

static xmlNodePtr add_child(mpd_builder *b, xmlNodePtr parent, const char *name)
{
    if (b->failed)
        return NULL;
    xmlNodePtr node = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    if (!node)
        b->failed = true;
    return node;
}

static void set_attr(mpd_builder *b, xmlNodePtr node, const char *name, const char *value)
{
    if (b->failed)
        return;
    if (!xmlNewProp(node, BAD_CAST name, BAD_CAST value))
        b->failed = true;
}

static void set_attr_i64(mpd_builder *b, xmlNodePtr node, const char *name, int64_t value)
{
    char text[24];
    snprintf(text, sizeof(text), "%" PRId64, value);
    set_attr(b, node, name, text);
}

/* xs:duration with millisecond precision: "PT10.010S". */
static void set_attr_duration(mpd_builder *b, xmlNodePtr node, const char *name, int64_t ms)
{
    char text[40];
    snprintf(text, sizeof(text), "PT%" PRId64 ".%03" PRId64 "S", ms / 1000, ms % 1000);
    set_attr(b, node, name, text);
}

/* A frame rate as DASH's FrameRateType: "25" or "30000/1001" (reduced). */
static void format_rate(char *text, size_t size, int num, int den)
{
    int64_t g = gcd64(num, den);
    int64_t n = num / g, d = den / g;
    if (d == 1)
        snprintf(text, size, "%" PRId64, n);
    else
        snprintf(text, size, "%" PRId64 "/%" PRId64, n, d);
}

/* "16:9": a RatioType, reduced. */
static void format_ratio(char *text, size_t size, int64_t a, int64_t b)
{
    int64_t g = gcd64(a, b);
    snprintf(text, size, "%" PRId64 ":%" PRId64, a / g, b / g);
}

/* Picture aspect ratio of a rung (sar left out counts as square pixels). */
static void picture_ratio(const ladder_dash_video *v, int64_t *w, int64_t *h)
{
    int64_t sn = v->sar_num ? v->sar_num : 1, sd = v->sar_den ? v->sar_den : 1;
    int64_t a = (int64_t)v->width * sn, c = (int64_t)v->height * sd;
    int64_t g = gcd64(a, c);
    *w = a / g;
    *h = c / g;
}

/*
 * <SegmentTemplate> with its <SegmentTimeline>. Equal consecutive durations
 * share one <S> (r = further repeats); t is written for the first segment
 * and again wherever a segment does not start where the previous one ended.
 */
static void add_segment_template(mpd_builder *b, xmlNodePtr parent, const ladder_dash_timeline *tl)
{
    xmlChar *dir = xmlURIEscapeStr(BAD_CAST tl->dir, BAD_CAST "/");
    if (!dir) {
        b->failed = true;
        return;
    }
    size_t dir_len = strlen((const char *)dir);
    const char *sep = dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/";
    size_t size = dir_len + strlen(MEDIA_TEMPLATE_NAME) + strlen(INIT_NAME) + 2;
    char *url = malloc(size);
    if (!url) {
        xmlFree(dir);
        b->failed = true;
        return;
    }

    xmlNodePtr tmpl = add_child(b, parent, "SegmentTemplate");
    set_attr_i64(b, tmpl, "timescale", tl->timescale);
    snprintf(url, size, "%s%s%s", (const char *)dir, sep, INIT_NAME);
    set_attr(b, tmpl, "initialization", url);
    snprintf(url, size, "%s%s%s", (const char *)dir, sep, MEDIA_TEMPLATE_NAME);
    set_attr(b, tmpl, "media", url);
    set_attr_i64(b, tmpl, "startNumber", tl->start_number);
    free(url);
    xmlFree(dir);

    xmlNodePtr timeline = add_child(b, tmpl, "SegmentTimeline");
    size_t i = 0;
    int64_t prev_end = -1;
    while (i < tl->nb_segments && !b->failed) {
        const ladder_dash_segment *first = &tl->segments[i];
        int64_t repeats = 0;
        int64_t end = first->start + first->duration;
        while (i + 1 + (size_t)repeats < tl->nb_segments) {
            const ladder_dash_segment *next = &tl->segments[i + 1 + (size_t)repeats];
            if (next->start != end || next->duration != first->duration)
                break;
            end += next->duration;
            repeats++;
        }
        xmlNodePtr s = add_child(b, timeline, "S");
        if (first->start != prev_end)
            set_attr_i64(b, s, "t", first->start);
        set_attr_i64(b, s, "d", first->duration);
        if (repeats > 0)
            set_attr_i64(b, s, "r", repeats);
        prev_end = end;
        i += 1 + (size_t)repeats;
    }
}

static void add_video_set(mpd_builder *b, xmlNodePtr period,
                          const ladder_dash_video *video, size_t nb_video)
{
    int max_w = 0, max_h = 0;
    const ladder_dash_video *fastest = NULL; /* highest frame rate */
    bool all_rates = true, same_par = true;
    int64_t par_w = 0, par_h = 0;
    for (size_t i = 0; i < nb_video; i++) {
        const ladder_dash_video *v = &video[i];
        max_w = v->width > max_w ? v->width : max_w;
        max_h = v->height > max_h ? v->height : max_h;
        if (!v->frame_rate_num)
            all_rates = false;
        else if (!fastest || (int64_t)v->frame_rate_num * fastest->frame_rate_den >
                                 (int64_t)fastest->frame_rate_num * v->frame_rate_den)
            fastest = v;
        int64_t w, h;
        picture_ratio(v, &w, &h);
        if (i == 0) {
            par_w = w;
            par_h = h;
        } else if (w != par_w || h != par_h) {
            same_par = false;
        }
    }

    char text[48];
    xmlNodePtr set = add_child(b, period, "AdaptationSet");
    set_attr(b, set, "id", "0");
    set_attr(b, set, "contentType", "video");
    set_attr(b, set, "mimeType", "video/mp4");
    if (segments_aligned(video, nb_video))
        set_attr(b, set, "segmentAlignment", "true");
    set_attr(b, set, "startWithSAP", "1");
    set_attr_i64(b, set, "maxWidth", max_w);
    set_attr_i64(b, set, "maxHeight", max_h);
    /* A maximum over rungs that do not all state a rate would be a guess. */
    if (all_rates && fastest) {
        format_rate(text, sizeof(text), fastest->frame_rate_num, fastest->frame_rate_den);
        set_attr(b, set, "maxFrameRate", text);
    }
    /* @par describes every Representation of the set, so only when they agree. */
    if (same_par) {
        format_ratio(text, sizeof(text), par_w, par_h);
        set_attr(b, set, "par", text);
    }

    /* HDR signalling players read before they pick a Representation:
     * DASH-IF's CICP descriptors. */
    static const struct { const char *scheme; size_t offset; } cicp[] = {
        { "urn:mpeg:mpegB:cicp:ColourPrimaries", offsetof(ladder_dash_video, colour_primaries) },
        { "urn:mpeg:mpegB:cicp:TransferCharacteristics", offsetof(ladder_dash_video, transfer_characteristics) },
        { "urn:mpeg:mpegB:cicp:MatrixCoefficients", offsetof(ladder_dash_video, matrix_coefficients) },
    };
    for (size_t k = 0; nb_video > 0 && k < sizeof(cicp) / sizeof(cicp[0]) && !b->failed; k++) {
        int code = *(const int *)((const char *)&video[0] + cicp[k].offset);
        if (code <= 0 || code == 2)
            continue;
        xmlNodePtr prop = add_child(b, set, "SupplementalProperty");
        set_attr(b, prop, "schemeIdUri", cicp[k].scheme);
        set_attr_i64(b, prop, "value", code);
    }

    for (size_t i = 0; i < nb_video && !b->failed; i++) {
        const ladder_dash_video *v = &video[i];
        xmlNodePtr rep = add_child(b, set, "Representation");
        set_attr(b, rep, "id", v->id);
        set_attr_i64(b, rep, "bandwidth", v->bandwidth);
        set_attr(b, rep, "codecs", v->codecs);
        set_attr_i64(b, rep, "width", v->width);
        set_attr_i64(b, rep, "height", v->height);
        if (v->frame_rate_num) {
            format_rate(text, sizeof(text), v->frame_rate_num, v->frame_rate_den);
            set_attr(b, rep, "frameRate", text);
        }
        if (v->sar_num) {
            format_ratio(text, sizeof(text), v->sar_num, v->sar_den);
            set_attr(b, rep, "sar", text);
        }
        add_segment_template(b, rep, &v->timeline);
    }
}

static void add_audio_set(mpd_builder *b, xmlNodePtr period, const ladder_dash_audio *a, size_t index)
{
    xmlNodePtr set = add_child(b, period, "AdaptationSet");
    set_attr_i64(b, set, "id", (int64_t)index);
    set_attr(b, set, "contentType", "audio");
    set_attr(b, set, "mimeType", "audio/mp4");
    if (a->lang)
        set_attr(b, set, "lang", a->lang);
    /* One Representation is aligned with itself. */
    set_attr(b, set, "segmentAlignment", "true");
    set_attr(b, set, "startWithSAP", "1");
    /* Players start with the "main" audio when the user's language does
     * not pick one (DASH-IF IOP role scheme). */
    if (a->is_main) {
        xmlNodePtr role = add_child(b, set, "Role");
        set_attr(b, role, "schemeIdUri", "urn:mpeg:dash:role:2011");
        set_attr(b, role, "value", "main");
    }

    xmlNodePtr rep = add_child(b, set, "Representation");
    set_attr(b, rep, "id", a->id);
    set_attr_i64(b, rep, "bandwidth", a->bandwidth);
    set_attr(b, rep, "codecs", a->codecs);
    set_attr_i64(b, rep, "audioSamplingRate", a->sample_rate);
    if (a->channels > 0) {
        xmlNodePtr cfg = add_child(b, rep, "AudioChannelConfiguration");
        set_attr(b, cfg, "schemeIdUri", CHANNEL_CONFIG_SCHEME);
        set_attr_i64(b, cfg, "value", a->channels);
    }
    add_segment_template(b, rep, &a->timeline);
}

/* ---- entry point -------------------------------------------------------- */

/* libxml2 2.9 wants its global state set up once, from one thread, before
 * concurrent use; two sessions may finish at the same time in a host. */
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

int ladder_dash_mpd(const ladder_dash_video *video, size_t nb_video,
                    const ladder_dash_audio *audio, size_t nb_audio,
                    char **out)
{
    if (out)
        *out = NULL;
    if (!out || !video || nb_video == 0 || (nb_audio > 0 && !audio))
        return LADDER_EINVAL;
    for (size_t i = 0; i < nb_video; i++)
        if (!valid_video(&video[i]))
            return LADDER_EINVAL;
    for (size_t i = 0; i < nb_audio; i++)
        if (!valid_audio(&audio[i]))
            return LADDER_EINVAL;
    if (!ids_unique(video, nb_video, audio, nb_audio))
        return LADDER_EINVAL;

    /* The presentation lasts until its longest Representation ends. */
    int64_t duration_ms = 0, buffer_ms = 0;
    for (size_t i = 0; i < nb_video + nb_audio; i++) {
        const ladder_dash_timeline *tl = i < nb_video ? &video[i].timeline
                                                      : &audio[i - nb_video].timeline;
        int64_t end = ticks_to_ms(timeline_end(tl), tl->timescale, false);
        int64_t longest = longest_segment_ms(tl);
        duration_ms = end > duration_ms ? end : duration_ms;
        buffer_ms = longest > buffer_ms ? longest : buffer_ms;
    }

    pthread_once(&xml_once, xml_init);
    mpd_builder b = { .doc = xmlNewDoc(BAD_CAST "1.0") };
    if (!b.doc)
        return LADDER_ENOMEM;
    xmlNodePtr root = xmlNewDocNode(b.doc, NULL, BAD_CAST "MPD", NULL);
    if (!root) {
        xmlFreeDoc(b.doc);
        return LADDER_ENOMEM;
    }
    xmlDocSetRootElement(b.doc, root);
    xmlNsPtr ns = xmlNewNs(root, BAD_CAST MPD_NAMESPACE, NULL);
    if (!ns)
        b.failed = true;
    else
        xmlSetNs(root, ns);
    set_attr(&b, root, "profiles", PROFILE_ISOFF_LIVE);
    set_attr(&b, root, "type", "static");
    set_attr_duration(&b, root, "mediaPresentationDuration", duration_ms);
    set_attr_duration(&b, root, "maxSegmentDuration", buffer_ms);
    set_attr_duration(&b, root, "minBufferTime", buffer_ms);

    xmlNodePtr period = add_child(&b, root, "Period");
    set_attr(&b, period, "id", "0");
    set_attr(&b, period, "start", "PT0S");
    add_video_set(&b, period, video, nb_video);
    for (size_t i = 0; i < nb_audio && !b.failed; i++)
        add_audio_set(&b, period, &audio[i], i + 1);

    xmlChar *mem = NULL;
    int size = 0;
    if (!b.failed)
        xmlDocDumpFormatMemoryEnc(b.doc, &mem, &size, "UTF-8", 1);
    xmlFreeDoc(b.doc);
    if (!mem || size <= 0) {
        xmlFree(mem);
        return LADDER_ENOMEM;
    }
    /* Hand back malloc'ed memory: a host may route xmlMalloc elsewhere. */
    char *text = malloc((size_t)size + 1);
    if (text) {
        memcpy(text, mem, (size_t)size);
        text[size] = '\0';
    }
    xmlFree(mem);
    if (!text)
        return LADDER_ENOMEM;
    *out = text;
    return 0;
}
