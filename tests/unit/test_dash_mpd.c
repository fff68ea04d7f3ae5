/*
 * DASH MPD: every document is parsed back with libxml2 and checked through
 * XPath, attribute by attribute, the way a player reads it; the segment
 * timeline is expanded back into (start, duration) pairs and compared with
 * what went in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "mux/dash_mpd.h"
#include "ladder/error.h"

#define MPD_NS "urn:mpeg:dash:schema:mpd:2011"
#define VIDEO_SET "/m:MPD/m:Period/m:AdaptationSet[@contentType='video']"
#define AUDIO_SET "/m:MPD/m:Period/m:AdaptationSet[@contentType='audio']"

/* ---- parsing the output back -------------------------------------------- */

typedef struct parsed {
    char *text;
    xmlDocPtr doc;
    xmlXPathContextPtr xpath;
} parsed;

/* Builds the MPD (which must succeed) and parses it strictly. */
static parsed build(const ladder_dash_video *video, size_t nb_video,
                    const ladder_dash_audio *audio, size_t nb_audio)
{
    parsed p = { 0 };
    assert_int_equal(ladder_dash_mpd(video, nb_video, audio, nb_audio, &p.text), 0);
    assert_non_null(p.text);
    p.doc = xmlReadMemory(p.text, (int)strlen(p.text), "manifest.mpd", NULL,
                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!p.doc)
        fail_msg("the MPD is not well-formed XML:\n%s", p.text);
    p.xpath = xmlXPathNewContext(p.doc);
    assert_non_null(p.xpath);
    assert_int_equal(xmlXPathRegisterNs(p.xpath, BAD_CAST "m", BAD_CAST MPD_NS), 0);
    return p;
}

static void release(parsed *p)
{
    xmlXPathFreeContext(p->xpath);
    xmlFreeDoc(p->doc);
    free(p->text);
}

/* The string value of an XPath expression; "" when it selects nothing. The
 * result lives until the next call. */
static const char *str(parsed *p, const char *expr)
{
    static char value[1024];
    char wrapped[1024];
    snprintf(wrapped, sizeof(wrapped), "string(%s)", expr);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST wrapped, p->xpath);
    if (!o || o->type != XPATH_STRING)
        fail_msg("bad XPath %s", expr);
    snprintf(value, sizeof(value), "%s", (const char *)o->stringval);
    xmlXPathFreeObject(o);
    return value;
}

static int count(parsed *p, const char *expr)
{
    char wrapped[1024];
    snprintf(wrapped, sizeof(wrapped), "count(%s)", expr);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST wrapped, p->xpath);
    if (!o || o->type != XPATH_NUMBER)
        fail_msg("bad XPath %s", expr);
    int n = (int)o->floatval;
    xmlXPathFreeObject(o);
    return n;
}

#define assert_attr(p, expr, want) do {                                           \
        const char *got_ = str((p), (expr));                                      \
        if (strcmp(got_, (want)) != 0)                                            \
            fail_msg("%s = \"%s\", want \"%s\" in:\n%s", (expr), got_, (want), (p)->text); \
    } while (0)

#define assert_absent(p, expr) do {                                               \
        if (count((p), (expr)) != 0)                                              \
            fail_msg("%s should be absent in:\n%s", (expr), (p)->text);           \
    } while (0)

/*
 * The <S> elements under the SegmentTimeline at expr, expanded the way
 * ISO/IEC 23009-1 defines them: t restarts the clock, otherwise a segment
 * starts where the previous one ended; r repeats d.
 */
static size_t expand_timeline(parsed *p, const char *expr, ladder_dash_segment *out, size_t max)
{
    char q[512];
    snprintf(q, sizeof(q), "%s/m:S", expr);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST q, p->xpath);
    assert_non_null(o);
    assert_non_null(o->nodesetval);
    size_t n = 0;
    int64_t clock = 0;
    for (int i = 0; i < o->nodesetval->nodeNr; i++) {
        xmlNodePtr s = o->nodesetval->nodeTab[i];
        xmlChar *t = xmlGetProp(s, BAD_CAST "t");
        xmlChar *d = xmlGetProp(s, BAD_CAST "d");
        xmlChar *r = xmlGetProp(s, BAD_CAST "r");
        assert_non_null(d);
        if (i == 0 && !t)
            fail_msg("the first S has no t in:\n%s", p->text);
        if (t)
            clock = strtoll((const char *)t, NULL, 10);
        int64_t dur = strtoll((const char *)d, NULL, 10);
        int64_t repeat = r ? strtoll((const char *)r, NULL, 10) : 0;
        assert_true(repeat >= 0);
        for (int64_t k = 0; k <= repeat; k++) {
            assert_true(n < max);
            out[n++] = (ladder_dash_segment){ clock, dur };
            clock += dur;
        }
        xmlFree(t);
        xmlFree(d);
        xmlFree(r);
    }
    xmlXPathFreeObject(o);
    return n;
}

static void assert_timeline(parsed *p, const char *expr, const ladder_dash_segment *want, size_t nb)
{
    ladder_dash_segment got[64];
    size_t n = expand_timeline(p, expr, got, 64);
    if (n != nb)
        fail_msg("%s: %zu segments, want %zu in:\n%s", expr, n, nb, p->text);
    for (size_t i = 0; i < nb; i++)
        if (got[i].start != want[i].start || got[i].duration != want[i].duration)
            fail_msg("%s segment %zu: t=%lld d=%lld, want t=%lld d=%lld in:\n%s", expr, i,
                     (long long)got[i].start, (long long)got[i].duration,
                     (long long)want[i].start, (long long)want[i].duration, p->text);
}

/* ---- fixtures ----------------------------------------------------------- */

/* 29.97 fps on the 30000 timescale, cut every 60 frames (2.002 s); the
 * tail is 40 frames. 6.046 s in all. */
static const ladder_dash_segment ntsc_segs[] = {
    { 0, 60060 }, { 60060, 60060 }, { 120120, 60060 }, { 180180, 40040 },
};
/* The same instants on a 90 kHz clock. */
static const ladder_dash_segment ntsc_segs_90k[] = {
    { 0, 180180 }, { 180180, 180180 }, { 360360, 180180 }, { 540540, 120120 },
};
/* AAC at 48 kHz, cut at the video boundaries within a frame (1024). */
static const ladder_dash_segment aac_segs[] = {
    { 0, 96256 }, { 96256, 96256 }, { 192512, 96256 }, { 288768, 61440 },
};

static ladder_dash_video video_rung(const char *id, const char *dir, int w, int h)
{
    return (ladder_dash_video){
        .id = id, .codecs = "avc1.64001f", .bandwidth = 3300000,
        .width = w, .height = h, .frame_rate_num = 30000, .frame_rate_den = 1001,
        .sar_num = 1, .sar_den = 1,
        .timeline = { .dir = dir, .start_number = 1, .timescale = 30000,
                      .segments = ntsc_segs, .nb_segments = 4 },
    };
}

static ladder_dash_audio aac_track(void)
{
    return (ladder_dash_audio){
        .id = "aac", .codecs = "mp4a.40.2", .bandwidth = 131072, .sample_rate = 48000,
        .channels = 2, .lang = "eng",
        .timeline = { .dir = "audio/aac", .start_number = 1, .timescale = 48000,
                      .segments = aac_segs, .nb_segments = 4 },
    };
}

/* ---- tests -------------------------------------------------------------- */

static void ladder_with_audio(void **state)
{
    (void)state;
    ladder_dash_video video[2] = {
        video_rung("720p", "video/720p", 1280, 720),
        video_rung("360p", "video/360p", 640, 360),
    };
    video[1].codecs = "avc1.64001e";
    video[1].bandwidth = 880000;
    video[1].timeline.timescale = 90000;
    video[1].timeline.segments = ntsc_segs_90k;
    ladder_dash_audio audio = aac_track();
    parsed p = build(video, 2, &audio, 1);

    assert_true(strncmp(p.text, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 38) == 0);
    xmlNodePtr root = xmlDocGetRootElement(p.doc);
    assert_string_equal((const char *)root->name, "MPD");
    assert_non_null(root->ns);
    assert_string_equal((const char *)root->ns->href, MPD_NS);
    assert_attr(&p, "/m:MPD/@type", "static");
    assert_attr(&p, "/m:MPD/@profiles", "urn:mpeg:dash:profile:isoff-live:2011");
    /* Video: 220220 / 30000 = 7.340666.. s; audio ends earlier, 7.296 s. */
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT7.341S");
    /* The longest segment, rounded up: 96256 / 48000 = 2.005333.. s. */
    assert_attr(&p, "/m:MPD/@minBufferTime", "PT2.006S");
    assert_attr(&p, "/m:MPD/@maxSegmentDuration", "PT2.006S");
    assert_int_equal(count(&p, "/m:MPD/m:Period"), 1);
    assert_attr(&p, "/m:MPD/m:Period/@id", "0");
    assert_attr(&p, "/m:MPD/m:Period/@start", "PT0S");
    assert_int_equal(count(&p, "/m:MPD/m:Period/m:AdaptationSet"), 2);

    assert_attr(&p, VIDEO_SET "/@mimeType", "video/mp4");
    assert_attr(&p, VIDEO_SET "/@segmentAlignment", "true");
    assert_attr(&p, VIDEO_SET "/@startWithSAP", "1");
    assert_attr(&p, VIDEO_SET "/@maxWidth", "1280");
    assert_attr(&p, VIDEO_SET "/@maxHeight", "720");
    assert_attr(&p, VIDEO_SET "/@maxFrameRate", "30000/1001");
    assert_attr(&p, VIDEO_SET "/@par", "16:9");
    assert_int_equal(count(&p, VIDEO_SET "/m:Representation"), 2);

#define REP720 VIDEO_SET "/m:Representation[@id='720p']"
#define REP360 VIDEO_SET "/m:Representation[@id='360p']"
    assert_attr(&p, REP720 "/@bandwidth", "3300000");
    assert_attr(&p, REP720 "/@codecs", "avc1.64001f");
    assert_attr(&p, REP720 "/@width", "1280");
    assert_attr(&p, REP720 "/@height", "720");
    assert_attr(&p, REP720 "/@frameRate", "30000/1001");
    assert_attr(&p, REP720 "/@sar", "1:1");
    assert_attr(&p, REP720 "/m:SegmentTemplate/@timescale", "30000");
    assert_attr(&p, REP720 "/m:SegmentTemplate/@initialization", "video/720p/init.mp4");
    assert_attr(&p, REP720 "/m:SegmentTemplate/@media", "video/720p/seg_$Number%05d$.m4s");
    assert_attr(&p, REP720 "/m:SegmentTemplate/@startNumber", "1");
    assert_timeline(&p, REP720 "/m:SegmentTemplate/m:SegmentTimeline", ntsc_segs, 4);
    /* Three equal durations share one S: t=0 d=60060 r=2, then d=40040. */
    assert_int_equal(count(&p, REP720 "/m:SegmentTemplate/m:SegmentTimeline/m:S"), 2);
    assert_attr(&p, REP720 "/m:SegmentTemplate/m:SegmentTimeline/m:S[1]/@t", "0");
    assert_attr(&p, REP720 "/m:SegmentTemplate/m:SegmentTimeline/m:S[1]/@r", "2");
    assert_absent(&p, REP720 "/m:SegmentTemplate/m:SegmentTimeline/m:S[2]/@t");
    assert_absent(&p, REP720 "/m:SegmentTemplate/m:SegmentTimeline/m:S[2]/@r");

    assert_attr(&p, REP360 "/@codecs", "avc1.64001e");
    assert_attr(&p, REP360 "/@bandwidth", "880000");
    assert_attr(&p, REP360 "/m:SegmentTemplate/@timescale", "90000");
    assert_attr(&p, REP360 "/m:SegmentTemplate/@media", "video/360p/seg_$Number%05d$.m4s");
    assert_timeline(&p, REP360 "/m:SegmentTemplate/m:SegmentTimeline", ntsc_segs_90k, 4);

    assert_attr(&p, AUDIO_SET "/@mimeType", "audio/mp4");
    assert_attr(&p, AUDIO_SET "/@lang", "eng");
    assert_attr(&p, AUDIO_SET "/@startWithSAP", "1");
    assert_int_equal(count(&p, AUDIO_SET "/m:Representation"), 1);
    assert_attr(&p, AUDIO_SET "/m:Representation/@id", "aac");
    assert_attr(&p, AUDIO_SET "/m:Representation/@codecs", "mp4a.40.2");
    assert_attr(&p, AUDIO_SET "/m:Representation/@audioSamplingRate", "48000");
    assert_attr(&p, AUDIO_SET "/m:Representation/@bandwidth", "131072");
    assert_attr(&p, AUDIO_SET "/m:Representation/m:AudioChannelConfiguration/@schemeIdUri",
                "urn:mpeg:dash:23003:3:audio_channel_configuration:2011");
    assert_attr(&p, AUDIO_SET "/m:Representation/m:AudioChannelConfiguration/@value", "2");
    assert_attr(&p, AUDIO_SET "/m:Representation/m:SegmentTemplate/@timescale", "48000");
    assert_attr(&p, AUDIO_SET "/m:Representation/m:SegmentTemplate/@initialization",
                "audio/aac/init.mp4");
    assert_attr(&p, AUDIO_SET "/m:Representation/m:SegmentTemplate/@media",
                "audio/aac/seg_$Number%05d$.m4s");
    assert_timeline(&p, AUDIO_SET "/m:Representation/m:SegmentTemplate/m:SegmentTimeline",
                    aac_segs, 4);
    /* Not the main rendition: no Role. */
    assert_int_equal(count(&p, AUDIO_SET "/m:Role"), 0);
    release(&p);
}

/* Several audio renditions: one AdaptationSet each, the default one with
 * Role "main", ids and directories their own. */
static void several_audio_sets(void **state)
{
    (void)state;
    ladder_dash_video video = video_rung("720p", "video/720p", 1280, 720);
    ladder_dash_audio audio[2] = { aac_track(), aac_track() };
    audio[0].is_main = 1;
    audio[1].id = "2-fr-opus";
    audio[1].codecs = "opus";
    audio[1].channels = 6;
    audio[1].lang = "fr";
    audio[1].timeline.dir = "audio/2-fr-opus";
    parsed p = build(&video, 1, audio, 2);
    assert_int_equal(count(&p, AUDIO_SET), 2);
    assert_attr(&p, AUDIO_SET "[1]/m:Role/@schemeIdUri", "urn:mpeg:dash:role:2011");
    assert_attr(&p, AUDIO_SET "[1]/m:Role/@value", "main");
    assert_int_equal(count(&p, AUDIO_SET "[2]/m:Role"), 0);
    assert_attr(&p, AUDIO_SET "[2]/@lang", "fr");
    assert_attr(&p, AUDIO_SET "[2]/m:Representation/@codecs", "opus");
    assert_attr(&p, AUDIO_SET "[2]/m:Representation/m:AudioChannelConfiguration/@value", "6");
    assert_attr(&p, AUDIO_SET "[2]/m:Representation/m:SegmentTemplate/@initialization",
                "audio/2-fr-opus/init.mp4");
    release(&p);
}

static void video_only(void **state)
{
    (void)state;
    ladder_dash_video v = video_rung("240p", "video/240p", 426, 240);
    v.frame_rate_num = 25;
    v.frame_rate_den = 1;
    v.sar_num = 640;
    v.sar_den = 639;
    parsed p = build(&v, 1, NULL, 0);
    assert_int_equal(count(&p, "/m:MPD/m:Period/m:AdaptationSet"), 1);
    assert_absent(&p, AUDIO_SET);
    /* Integer rates are written as integers. */
    assert_attr(&p, VIDEO_SET "/m:Representation/@frameRate", "25");
    assert_attr(&p, VIDEO_SET "/@maxFrameRate", "25");
    assert_attr(&p, VIDEO_SET "/m:Representation/@sar", "640:639");
    /* 426 x 640 : 240 x 639 = 272640 : 153360 = 16:9. */
    assert_attr(&p, VIDEO_SET "/@par", "16:9");
    /* One Representation is aligned with itself. */
    assert_attr(&p, VIDEO_SET "/@segmentAlignment", "true");
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT7.341S");
    assert_attr(&p, "/m:MPD/@minBufferTime", "PT2.002S");
    release(&p);
}

/* An HDR ladder's colour description is on the video AdaptationSet as
 * CICP descriptors, before its Representations; unspecified is left out. */
static void colour_descriptors(void **state)
{
    (void)state;
    ladder_dash_video v = video_rung("2160p", "video/2160p", 3840, 2160);
    v.colour_primaries = 9;
    v.transfer_characteristics = 16;
    v.matrix_coefficients = 2;
    parsed p = build(&v, 1, NULL, 0);
    assert_attr(&p, VIDEO_SET "/m:SupplementalProperty[@schemeIdUri='urn:mpeg:mpegB:cicp:ColourPrimaries']/@value", "9");
    assert_attr(&p, VIDEO_SET "/m:SupplementalProperty[@schemeIdUri='urn:mpeg:mpegB:cicp:TransferCharacteristics']/@value",
                "16");
    assert_absent(&p, VIDEO_SET "/m:SupplementalProperty[@schemeIdUri='urn:mpeg:mpegB:cicp:MatrixCoefficients']");
    assert_int_equal(count(&p, VIDEO_SET "/m:Representation[1]/preceding-sibling::m:SupplementalProperty"), 2);
    release(&p);
    v.colour_primaries = v.transfer_characteristics = 0;
    p = build(&v, 1, NULL, 0);
    assert_absent(&p, VIDEO_SET "/m:SupplementalProperty");
    release(&p);
}

/* segmentAlignment is a finding, not a default. */
static void alignment_is_computed(void **state)
{
    (void)state;
    ladder_dash_video video[2] = {
        video_rung("a", "video/a", 640, 360),
        video_rung("b", "video/b", 320, 180),
    };
    /* The same instants on another timescale: aligned. */
    video[1].timeline.timescale = 90000;
    video[1].timeline.segments = ntsc_segs_90k;
    parsed p = build(video, 2, NULL, 0);
    assert_attr(&p, VIDEO_SET "/@segmentAlignment", "true");
    release(&p);

    /* One boundary a tick off. */
    const ladder_dash_segment shifted[] = {
        { 0, 60060 }, { 60060, 60061 }, { 120121, 60059 }, { 180180, 40040 },
    };
    video[1].timeline.timescale = 30000;
    video[1].timeline.segments = shifted;
    p = build(video, 2, NULL, 0);
    assert_absent(&p, VIDEO_SET "/@segmentAlignment");
    release(&p);

    /* Same boundaries, but one rung lacks the last segment. */
    video[1].timeline.segments = ntsc_segs;
    video[1].timeline.nb_segments = 3;
    p = build(video, 2, NULL, 0);
    assert_absent(&p, VIDEO_SET "/@segmentAlignment");
    release(&p);

    /* Same times, different segment numbers. */
    video[1].timeline.nb_segments = 4;
    video[1].timeline.start_number = 0;
    p = build(video, 2, NULL, 0);
    assert_absent(&p, VIDEO_SET "/@segmentAlignment");
    release(&p);
}

/* Run-length coding of the timeline: r for equal neighbours, t only where
 * a segment does not start where the previous one ended. */
static void timeline_coding(void **state)
{
    (void)state;
    const ladder_dash_segment segs[] = {
        { 3003, 1001 }, { 4004, 1001 }, { 5005, 1001 },  /* S t=3003 d=1001 r=2 */
        { 6006, 2002 },                                  /* S d=2002 */
        { 9009, 2002 }, { 11011, 2002 },                 /* gap: S t=9009 d=2002 r=1 */
        { 13013, 1001 },                                 /* S d=1001 */
        { 14014, 1001 },                                 /* joins the previous: r=1 */
    };
    ladder_dash_video v = video_rung("v", "video/v", 320, 180);
    v.timeline.segments = segs;
    v.timeline.nb_segments = sizeof(segs) / sizeof(segs[0]);
    parsed p = build(&v, 1, NULL, 0);
#define TL VIDEO_SET "/m:Representation/m:SegmentTemplate/m:SegmentTimeline"
    assert_timeline(&p, TL, segs, sizeof(segs) / sizeof(segs[0]));
    assert_int_equal(count(&p, TL "/m:S"), 4);
    assert_attr(&p, TL "/m:S[1]/@t", "3003");
    assert_attr(&p, TL "/m:S[1]/@d", "1001");
    assert_attr(&p, TL "/m:S[1]/@r", "2");
    assert_absent(&p, TL "/m:S[2]/@t");
    assert_attr(&p, TL "/m:S[2]/@d", "2002");
    assert_absent(&p, TL "/m:S[2]/@r");
    assert_attr(&p, TL "/m:S[3]/@t", "9009");
    assert_attr(&p, TL "/m:S[3]/@r", "1");
    assert_absent(&p, TL "/m:S[4]/@t");
    assert_attr(&p, TL "/m:S[4]/@d", "1001");
    assert_attr(&p, TL "/m:S[4]/@r", "1");
    /* The presentation ends with the last segment: 15015 / 30000 s. */
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT0.501S");
    release(&p);
}

/* A long VOD: one S for hours of equal segments. */
static void long_timeline(void **state)
{
    (void)state;
    enum { N = 5400 }; /* 3 hours of 2 s */
    ladder_dash_segment *segs = calloc(N, sizeof(*segs));
    assert_non_null(segs);
    for (int i = 0; i < N; i++)
        segs[i] = (ladder_dash_segment){ (int64_t)i * 180000, 180000 };
    ladder_dash_video v = video_rung("v", "video/v", 320, 180);
    v.timeline.timescale = 90000;
    v.timeline.segments = segs;
    v.timeline.nb_segments = N;
    parsed p = build(&v, 1, NULL, 0);
    assert_int_equal(count(&p, TL "/m:S"), 1);
    assert_attr(&p, TL "/m:S/@r", "5399");
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT10800.000S");
    release(&p);
    free(segs);
}

/* Whatever a name contains, the document stays well-formed, the values come
 * back unchanged, and a path cannot inject template identifiers. */
static void escaping(void **state)
{
    (void)state;
    ladder_dash_video v = video_rung("a&b<c>\"d'", "video/$Number$ 50%#\xc3\xa9", 320, 180);
    ladder_dash_audio a = aac_track();
    a.id = "<aac>";
    a.codecs = "mp4a.40.2&";
    parsed p = build(&v, 1, &a, 1);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST VIDEO_SET "/m:Representation", p.xpath);
    assert_non_null(o);
    assert_int_equal(o->nodesetval->nodeNr, 1);
    xmlChar *id = xmlGetProp(o->nodesetval->nodeTab[0], BAD_CAST "id");
    assert_string_equal((const char *)id, "a&b<c>\"d'");
    xmlFree(id);
    xmlXPathFreeObject(o);
    assert_attr(&p, AUDIO_SET "/m:Representation/@id", "<aac>");
    assert_attr(&p, AUDIO_SET "/m:Representation/@codecs", "mp4a.40.2&");
    /* '$', ' ', '%', '#' and non-ASCII bytes are percent-encoded: the only
     * identifier left in media is the segment number. */
    assert_attr(&p, VIDEO_SET "/m:Representation/m:SegmentTemplate/@initialization",
                "video/%24Number%24%2050%25%23%C3%A9/init.mp4");
    assert_attr(&p, VIDEO_SET "/m:Representation/m:SegmentTemplate/@media",
                "video/%24Number%24%2050%25%23%C3%A9/seg_$Number%05d$.m4s");
    release(&p);
}

/* Rates are reduced; rungs without a rate make the maximum unknowable. */
static void frame_rates_and_shapes(void **state)
{
    (void)state;
    ladder_dash_video video[3] = {
        video_rung("a", "video/a", 640, 360),
        video_rung("b", "video/b", 640, 480),
        video_rung("c", "video/c", 320, 180),
    };
    video[0].frame_rate_num = 60000;
    video[0].frame_rate_den = 2002;
    video[1].frame_rate_num = 50;
    video[1].frame_rate_den = 2;
    video[2].frame_rate_num = 60;
    video[2].frame_rate_den = 1;
    parsed p = build(video, 3, NULL, 0);
    assert_attr(&p, VIDEO_SET "/m:Representation[@id='a']/@frameRate", "30000/1001");
    assert_attr(&p, VIDEO_SET "/m:Representation[@id='b']/@frameRate", "25");
    assert_attr(&p, VIDEO_SET "/@maxFrameRate", "60");
    /* 16:9 and 4:3 in one set: no @par. */
    assert_absent(&p, VIDEO_SET "/@par");
    release(&p);

    video[2].frame_rate_num = 0;
    video[2].frame_rate_den = 0;
    video[1].width = 320;
    video[1].height = 180;
    p = build(video, 3, NULL, 0);
    assert_absent(&p, VIDEO_SET "/m:Representation[@id='c']/@frameRate");
    assert_absent(&p, VIDEO_SET "/@maxFrameRate");
    assert_attr(&p, VIDEO_SET "/@par", "16:9");
    release(&p);
}

static void audio_optional_fields(void **state)
{
    (void)state;
    ladder_dash_video v = video_rung("v", "video/v", 320, 180);
    ladder_dash_audio a = aac_track();
    a.lang = NULL;
    a.channels = 0;
    parsed p = build(&v, 1, &a, 1);
    assert_absent(&p, AUDIO_SET "/@lang");
    assert_absent(&p, AUDIO_SET "/m:Representation/m:AudioChannelConfiguration");
    release(&p);

    /* The longest Representation sets the presentation's duration, whatever
     * its type: 4 x 96256 / 48000 = 8.021333.. s. */
    const ladder_dash_segment longer[] = {
        { 0, 96256 }, { 96256, 96256 }, { 192512, 96256 }, { 288768, 96256 },
    };
    a.timeline.segments = longer;
    p = build(&v, 1, &a, 1);
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT8.021S");
    release(&p);
}

/* Rounding of the presentation duration (nearest ms) and of the buffer
 * (up: it must hold the longest segment). */
static void duration_rounding(void **state)
{
    (void)state;
    const ladder_dash_segment a[] = { { 0, 100104 } }; /* 10.0104 s at 10 kHz */
    const ladder_dash_segment b[] = { { 0, 100105 } }; /* 10.0105 s */
    const ladder_dash_segment c[] = { { 0, 20001 } };  /* 2.0001 s */
    ladder_dash_video v = video_rung("v", "video/v", 320, 180);
    v.timeline.timescale = 10000;
    v.timeline.nb_segments = 1;

    v.timeline.segments = a;
    parsed p = build(&v, 1, NULL, 0);
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT10.010S");
    assert_attr(&p, "/m:MPD/@minBufferTime", "PT10.011S");
    release(&p);

    v.timeline.segments = b;
    p = build(&v, 1, NULL, 0);
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT10.011S");
    release(&p);

    v.timeline.segments = c;
    p = build(&v, 1, NULL, 0);
    assert_attr(&p, "/m:MPD/@mediaPresentationDuration", "PT2.000S");
    assert_attr(&p, "/m:MPD/@minBufferTime", "PT2.001S");
    release(&p);
}

static int try_video(const ladder_dash_video *v)
{
    char *out = (char *)"untouched";
    int ret = ladder_dash_mpd(v, 1, NULL, 0, &out);
    assert_null(out);
    return ret;
}

static int try_audio(const ladder_dash_audio *a)
{
    ladder_dash_video v = video_rung("v", "video/v", 320, 180);
    char *out = (char *)"untouched";
    int ret = ladder_dash_mpd(&v, 1, a, 1, &out);
    assert_null(out);
    return ret;
}

static void invalid_input(void **state)
{
    (void)state;
    ladder_dash_video ok = video_rung("v", "video/v", 320, 180);
    ladder_dash_audio aok = aac_track();
    char *out = NULL;
    assert_int_equal(ladder_dash_mpd(&ok, 1, NULL, 0, NULL), LADDER_EINVAL);
    assert_int_equal(ladder_dash_mpd(NULL, 0, NULL, 0, &out), LADDER_EINVAL);
    assert_int_equal(ladder_dash_mpd(&ok, 0, NULL, 0, &out), LADDER_EINVAL);
    assert_int_equal(ladder_dash_mpd(&ok, 1, NULL, 1, &out), LADDER_EINVAL);
    assert_null(out);

    ladder_dash_video v;
#define BAD_VIDEO(field, value) do {                                           \
        v = ok;                                                                \
        v.field = value;                                                       \
        if (try_video(&v) != LADDER_EINVAL)                                    \
            fail_msg("video with " #field " = " #value " was accepted");       \
    } while (0)
    BAD_VIDEO(id, NULL);
    BAD_VIDEO(id, "");
    BAD_VIDEO(id, "has space");
    BAD_VIDEO(id, "tab\there");
    BAD_VIDEO(id, "bad\xff" "utf8");
    BAD_VIDEO(codecs, NULL);
    BAD_VIDEO(codecs, "avc1.64001f\n");
    BAD_VIDEO(bandwidth, 0);
    BAD_VIDEO(width, 0);
    BAD_VIDEO(height, -2);
    BAD_VIDEO(frame_rate_den, 0);
    BAD_VIDEO(sar_num, 0);
    BAD_VIDEO(timeline.dir, NULL);
    BAD_VIDEO(timeline.dir, "");
    BAD_VIDEO(timeline.timescale, 0);
    BAD_VIDEO(timeline.start_number, -1);
    BAD_VIDEO(timeline.nb_segments, 0);
    BAD_VIDEO(timeline.segments, NULL);

    const ladder_dash_segment overlap[] = { { 0, 60060 }, { 60000, 60060 } };
    const ladder_dash_segment empty[] = { { 0, 60060 }, { 60060, 0 } };
    const ladder_dash_segment negative[] = { { -1, 60060 } };
    const ladder_dash_segment huge[] = { { INT64_MAX - 10, 5 } };
    const ladder_dash_segment overflow[] = { { 1000, INT64_MAX - 10 } };
    const ladder_dash_segment *bad_timelines[] = { overlap, empty, negative, huge, overflow };
    const size_t bad_sizes[] = { 2, 2, 1, 1, 1 };
    for (size_t i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        v = ok;
        v.timeline.segments = bad_timelines[i];
        v.timeline.nb_segments = bad_sizes[i];
        if (try_video(&v) != LADDER_EINVAL)
            fail_msg("bad timeline %zu was accepted", i);
    }

    ladder_dash_audio a;
#define BAD_AUDIO(field, value) do {                                           \
        a = aok;                                                               \
        a.field = value;                                                       \
        if (try_audio(&a) != LADDER_EINVAL)                                    \
            fail_msg("audio with " #field " = " #value " was accepted");       \
    } while (0)
    BAD_AUDIO(id, "v"); /* the video Representation's id */
    BAD_AUDIO(id, NULL);
    BAD_AUDIO(codecs, "");
    BAD_AUDIO(bandwidth, -1);
    BAD_AUDIO(sample_rate, 0);
    BAD_AUDIO(channels, -1);
    BAD_AUDIO(lang, "");
    BAD_AUDIO(lang, "en_US");
    BAD_AUDIO(lang, "en-");
    BAD_AUDIO(lang, "toolongsubtag");
    BAD_AUDIO(lang, "\"><x");
    BAD_AUDIO(timeline.timescale, 0);

    /* Duplicate ids among the rungs. */
    ladder_dash_video two[2] = { ok, ok };
    out = NULL;
    assert_int_equal(ladder_dash_mpd(two, 2, NULL, 0, &out), LADDER_EINVAL);
    assert_null(out);

    /* Well-formed tags pass. */
    a = aok;
    a.lang = "pt-BR";
    parsed p = build(&ok, 1, &a, 1);
    assert_attr(&p, AUDIO_SET "/@lang", "pt-BR");
    release(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ladder_with_audio),
        cmocka_unit_test(several_audio_sets),
        cmocka_unit_test(video_only),
        cmocka_unit_test(colour_descriptors),
        cmocka_unit_test(alignment_is_computed),
        cmocka_unit_test(timeline_coding),
        cmocka_unit_test(long_timeline),
        cmocka_unit_test(escaping),
        cmocka_unit_test(frame_rates_and_shapes),
        cmocka_unit_test(audio_optional_fields),
        cmocka_unit_test(duration_rounding),
        cmocka_unit_test(invalid_input),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return failed;
}
