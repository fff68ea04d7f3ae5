/*
 * The DASH MPD writer (mux/dash_mpd.c) fed fuzzer-built structures: ids,
 * codec strings, directories (percent-encoded into URLs), languages,
 * timescales and segment timelines. An MPD that is written must be
 * well-formed XML that libxml2 reads back to what was given: one
 * Representation per rendition with its id and codecs, the lang, the
 * initialization URL that decodes to the directory, and a SegmentTimeline
 * whose S entries (t, d, r) expand to exactly the segments given.
 */
#include "fuzz.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include "mux/dash_mpd.h"
#include "ladder/error.h"

#define MAX_REPS 4
#define MAX_SEGS 24
#define MAX_TEXT 24

typedef struct rep_input {
    char id[MAX_TEXT + 1], codecs[MAX_TEXT + 1], dir[MAX_TEXT + 1], lang[MAX_TEXT + 1];
    ladder_dash_segment segs[MAX_SEGS];
} rep_input;

static const char *text_or_null(fuzz_reader *r, char *buf)
{
    fuzz_str(r, buf, MAX_TEXT);
    return buf[0] ? buf : NULL;
}

/* Mostly a well-formed timeline (contiguous, sometimes a gap, sometimes
 * repeated durations), sometimes raw values. */
static void make_timeline(fuzz_reader *r, rep_input *in, ladder_dash_timeline *tl)
{
    tl->dir = text_or_null(r, in->dir);
    tl->start_number = (int)(int16_t)(fuzz_u8(r) << 8 | fuzz_u8(r));
    uint8_t ts = fuzz_u8(r);
    tl->timescale = ts < 200 ? (uint32_t[]){ 1000, 90000, 48000, 44100, 1 }[ts % 5] : fuzz_u32(r);
    tl->nb_segments = fuzz_u8(r) % MAX_SEGS;
    tl->segments = in->segs;
    int64_t t = 0;
    for (size_t i = 0; i < tl->nb_segments; i++) {
        uint8_t how = fuzz_u8(r);
        if (how < 8) {
            in->segs[i].start = (int64_t)fuzz_u64(r);
            in->segs[i].duration = (int64_t)fuzz_u64(r);
        } else {
            if (how < 40)
                t += fuzz_u8(r);  /* a gap */
            in->segs[i].start = t;
            in->segs[i].duration = how < 128 ? (int64_t)(fuzz_u8(r) << 8 | fuzz_u8(r)) : 2000;
        }
        /* Wrapping, not signed overflow: raw values may be anything. */
        t = (int64_t)((uint64_t)in->segs[i].start +
                      (uint64_t)(in->segs[i].duration > 0 ? in->segs[i].duration : 0));
    }
}

static const char *prop(xmlNodePtr n, const char *name, char *buf, size_t size)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    if (!v)
        return NULL;
    snprintf(buf, size, "%s", (const char *)v);
    xmlFree(v);
    return buf;
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && !xmlStrcmp(c->name, BAD_CAST name))
            return c;
    return NULL;
}

static void check_rep(xmlNodePtr rep, const char *id, const char *codecs, const ladder_dash_timeline *tl)
{
    char buf[512];
    FUZZ_CHECK(prop(rep, "id", buf, sizeof(buf)) && !strcmp(buf, id));
    FUZZ_CHECK(prop(rep, "codecs", buf, sizeof(buf)) && !strcmp(buf, codecs));
    xmlNodePtr tmpl = child(rep, "SegmentTemplate");
    if (!tmpl)
        tmpl = child(rep->parent, "SegmentTemplate");
    FUZZ_CHECK(tmpl != NULL);
    FUZZ_CHECK(prop(tmpl, "timescale", buf, sizeof(buf)) && strtoull(buf, NULL, 10) == tl->timescale);
    FUZZ_CHECK(prop(tmpl, "startNumber", buf, sizeof(buf)) && atoll(buf) == tl->start_number);
    FUZZ_CHECK(prop(tmpl, "initialization", buf, sizeof(buf)));
    char *url = xmlURIUnescapeString(buf, 0, NULL);
    FUZZ_CHECK(url != NULL);
    size_t dir_len = strlen(tl->dir);
    const char *sep = tl->dir[dir_len - 1] == '/' ? "" : "/";
    char want[128];
    snprintf(want, sizeof(want), "%s%sinit.mp4", tl->dir, sep);
    if (strcmp(url, want))
        fprintf(stderr, "initialization '%s' decodes to '%s', want '%s'\n", buf, url, want);
    FUZZ_CHECK(!strcmp(url, want));
    xmlFree(url);
    xmlNodePtr timeline = child(tmpl, "SegmentTimeline");
    FUZZ_CHECK(timeline != NULL);
    size_t seg = 0;
    int64_t t = -1;
    for (xmlNodePtr s = timeline->children; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE)
            continue;
        FUZZ_CHECK(!xmlStrcmp(s->name, BAD_CAST "S"));
        if (prop(s, "t", buf, sizeof(buf)))
            t = atoll(buf);
        FUZZ_CHECK(t >= 0);
        FUZZ_CHECK(prop(s, "d", buf, sizeof(buf)));
        int64_t d = atoll(buf);
        int64_t repeat = prop(s, "r", buf, sizeof(buf)) ? atoll(buf) : 0;
        FUZZ_CHECK(repeat >= 0);
        for (int64_t k = 0; k <= repeat; k++) {
            FUZZ_CHECK(seg < tl->nb_segments);
            FUZZ_CHECK(tl->segments[seg].start == t && tl->segments[seg].duration == d);
            t += d;
            seg++;
        }
    }
    FUZZ_CHECK(seg == tl->nb_segments);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader r = { data, size };
    size_t nb_video = fuzz_u8(&r) % (MAX_REPS + 1), nb_audio = fuzz_u8(&r) % MAX_REPS;
    static rep_input in[2 * MAX_REPS];
    ladder_dash_video video[MAX_REPS];
    ladder_dash_audio audio[MAX_REPS];
    memset(video, 0, sizeof(video));
    memset(audio, 0, sizeof(audio));
    for (size_t i = 0; i < nb_video; i++) {
        ladder_dash_video *v = &video[i];
        v->id = text_or_null(&r, in[i].id);
        v->codecs = text_or_null(&r, in[i].codecs);
        v->bandwidth = (int64_t)fuzz_u64(&r);
        v->width = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r));
        v->height = (int)(int16_t)(fuzz_u8(&r) << 8 | fuzz_u8(&r));
        v->frame_rate_num = (int)fuzz_u32(&r);
        v->frame_rate_den = (int)fuzz_u32(&r);
        v->sar_num = (int)fuzz_u32(&r);
        v->sar_den = (int)fuzz_u32(&r);
        v->colour_primaries = fuzz_u8(&r);
        v->transfer_characteristics = fuzz_u8(&r);
        v->matrix_coefficients = fuzz_u8(&r);
        make_timeline(&r, &in[i], &v->timeline);
    }
    for (size_t i = 0; i < nb_audio; i++) {
        ladder_dash_audio *a = &audio[i];
        rep_input *ai = &in[MAX_REPS + i];
        a->id = text_or_null(&r, ai->id);
        a->codecs = text_or_null(&r, ai->codecs);
        a->bandwidth = (int64_t)fuzz_u64(&r);
        a->sample_rate = (int)fuzz_u32(&r);
        a->channels = (int)(int8_t)fuzz_u8(&r);
        a->lang = text_or_null(&r, ai->lang);
        a->is_main = fuzz_u8(&r) & 1;
        make_timeline(&r, ai, &a->timeline);
    }
    char *text = (char *)0x1;
    int ret = ladder_dash_mpd(video, nb_video, audio, nb_audio, &text);
    if (ret) {
        FUZZ_CHECK(ret == LADDER_EINVAL);
        return 0;
    }
    FUZZ_CHECK(text != NULL);
    xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "fuzz.mpd", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        fprintf(stderr, "not well-formed:\n%s\n", text);
    FUZZ_CHECK(doc != NULL);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    FUZZ_CHECK(root && !xmlStrcmp(root->name, BAD_CAST "MPD"));
    xmlNodePtr period = child(root, "Period");
    FUZZ_CHECK(period != NULL);
    size_t v = 0, a = 0;
    char buf[128];
    for (xmlNodePtr set = period->children; set; set = set->next) {
        if (set->type != XML_ELEMENT_NODE || xmlStrcmp(set->name, BAD_CAST "AdaptationSet"))
            continue;
        FUZZ_CHECK(prop(set, "contentType", buf, sizeof(buf)));
        bool is_video = !strcmp(buf, "video");
        if (!is_video)
            FUZZ_CHECK(a < nb_audio);
        if (!is_video && audio[a].lang)
            FUZZ_CHECK(prop(set, "lang", buf, sizeof(buf)) && !strcmp(buf, audio[a].lang));
        for (xmlNodePtr rep = set->children; rep; rep = rep->next) {
            if (rep->type != XML_ELEMENT_NODE || xmlStrcmp(rep->name, BAD_CAST "Representation"))
                continue;
            if (is_video) {
                FUZZ_CHECK(v < nb_video);
                check_rep(rep, video[v].id, video[v].codecs, &video[v].timeline);
                v++;
            } else {
                FUZZ_CHECK(a < nb_audio);
                check_rep(rep, audio[a].id, audio[a].codecs, &audio[a].timeline);
                a++;
            }
        }
    }
    FUZZ_CHECK(v == nb_video && a == nb_audio);
    xmlFreeDoc(doc);
    free(text);
    return 0;
}
