/*
 * End of a run: the manifests (and stitched MP4s) of the selected formats,
 * then the report.
 * Order matters: HLS media playlists first, the master playlist after them,
 * the DASH MPD last, so a manifest on disk always names complete
 * renditions. Both formats describe the same CMAF files; nothing here
 * writes media.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/dict.h>

#include "ladder/atomic_file.h"
#include "ladder/dash_mpd.h"
#include "ladder/error.h"
#include "ladder/hls_playlist.h"
#include "ladder/mp4_stitch.h"
#include "outputs.h"

#define AUDIO_DIR "audio/aac"
#define MP4_DIR "mp4"

static unsigned job_formats(const ladder_session *s)
{
    return s->job.formats ? s->job.formats : LADDER_FORMATS_DEFAULT;
}

static void remove_in(const char *dir, const char *name)
{
    char path[PATH_MAX + LADDER_NAME_MAX + 16];
    if (snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path))
        unlink(path);
}

/*
 * Every format's manifests go, whichever formats this run writes: an MPD or
 * a media playlist from an earlier run would describe segments this run is
 * about to overwrite.
 */
void outputs_remove_stale(ladder_session *s)
{
    remove_in(s->output_dir, "master.m3u8");
    remove_in(s->output_dir, "manifest.mpd");
    remove_in(s->output_dir, "report.json");
    for (int i = 0; i < s->nb_rungs; i++) {
        remove_in(s->rungs[i].dir, "index.m3u8");
        remove_in(s->rungs[i].dir, "iframes.m3u8");
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/" AUDIO_DIR, s->output_dir);
    remove_in(dir, "index.m3u8");
    snprintf(dir, sizeof(dir), "%s/" MP4_DIR, s->output_dir);
    for (int i = 0; i < s->nb_rungs; i++) {
        char name[LADDER_NAME_MAX + 8];
        snprintf(name, sizeof(name), "%s.mp4", s->rungs[i].cfg.name);
        remove_in(dir, name);
    }
}

static int write_text(ladder_session *s, const char *path, const char *text)
{
    int err = ladder_atomic_write(path, text, strlen(text));
    if (err)
        session_fail(s, err, "output '%s': %s", path, ladder_strerror(err));
    return err;
}

/* ---- the audio rendition's labels ---------------------------------------- */

/*
 * ISO 639-2 codes (what MP4 and Matroska tag streams with) that have an
 * ISO 639-1 code: RFC 5646, which HLS LANGUAGE and DASH @lang follow, wants
 * the two-letter form where one exists ("en", not "eng"). Both bibliographic
 * and terminology codes are listed where they differ.
 */
static const char *const iso639_2_to_1[][2] = {
    { "ara", "ar" }, { "ben", "bn" }, { "bul", "bg" }, { "cat", "ca" }, { "ces", "cs" },
    { "cze", "cs" }, { "chi", "zh" }, { "zho", "zh" }, { "dan", "da" }, { "deu", "de" },
    { "ger", "de" }, { "dut", "nl" }, { "nld", "nl" }, { "ell", "el" }, { "gre", "el" },
    { "eng", "en" }, { "est", "et" }, { "fas", "fa" }, { "per", "fa" }, { "fin", "fi" },
    { "fra", "fr" }, { "fre", "fr" }, { "heb", "he" }, { "hin", "hi" }, { "hrv", "hr" },
    { "hun", "hu" }, { "ind", "id" }, { "ita", "it" }, { "jpn", "ja" }, { "kor", "ko" },
    { "lav", "lv" }, { "lit", "lt" }, { "msa", "ms" }, { "may", "ms" }, { "nor", "no" },
    { "pol", "pl" }, { "por", "pt" }, { "ron", "ro" }, { "rum", "ro" }, { "rus", "ru" },
    { "slk", "sk" }, { "slo", "sk" }, { "slv", "sl" }, { "spa", "es" }, { "srp", "sr" },
    { "swe", "sv" }, { "tam", "ta" }, { "tha", "th" }, { "tur", "tr" }, { "ukr", "uk" },
    { "urd", "ur" }, { "vie", "vi" },
};

/* The source audio's language as an RFC 5646 primary tag ("en", or a
 * three-letter code that has no two-letter one), lower case, in buf; NULL
 * when the source does not say ("und" or no tag) or says something else. */
static const char *audio_language(const ladder_session *s, char *buf, size_t size)
{
    if (s->audio_stream < 0 || !s->in || size < 4)
        return NULL;
    const AVDictionaryEntry *e = av_dict_get(s->in->streams[s->audio_stream]->metadata,
                                             "language", NULL, 0);
    size_t len = e ? strlen(e->value) : 0;
    if (len < 2 || len > 3)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = e->value[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return NULL;
        buf[i] = (char)(c | 0x20);
    }
    buf[len] = '\0';
    if (!strcmp(buf, "und"))
        return NULL;
    for (size_t i = 0; i < sizeof(iso639_2_to_1) / sizeof(iso639_2_to_1[0]); i++)
        if (!strcmp(buf, iso639_2_to_1[i][0]))
            return iso639_2_to_1[i][1];
    return buf;
}

/* The rendition's NAME: the source stream's title when it has one (quotes
 * and control characters, which a quoted-string cannot hold, replaced),
 * else its language, else "audio". */
static const char *audio_name(const ladder_session *s, const char *language, char *buf, size_t size)
{
    const AVDictionaryEntry *e = s->audio_stream >= 0 && s->in
        ? av_dict_get(s->in->streams[s->audio_stream]->metadata, "title", NULL, 0) : NULL;
    if (e && e->value[0]) {
        snprintf(buf, size, "%s", e->value);
        for (char *c = buf; *c; c++)
            if (*c == '"')
                *c = '\'';
            else if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
        return buf;
    }
    return language ? language : "audio";
}

/* ---- HLS ---------------------------------------------------------------- */

static int write_media_playlist(ladder_session *s, const char *dir,
                                const ladder_cmaf_segment *segs, int nb)
{
    ladder_hls_segment *list = calloc((size_t)nb, sizeof(*list));
    if (!list)
        return LADDER_ENOMEM;
    for (int i = 0; i < nb; i++)
        list[i] = (ladder_hls_segment){ .uri = segs[i].uri, .duration = segs[i].seconds };
    char *text = NULL;
    int err = ladder_hls_media_playlist("init.mp4", list, (size_t)nb, &text);
    free(list);
    if (err) {
        session_fail(s, err, "playlist for '%s': %s", dir, ladder_strerror(err));
        return err;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/index.m3u8", dir);
    err = write_text(s, path, text);
    free(text);
    return err;
}

/* Rates measured over the renditions, shared by both formats. */
typedef struct measured {
    double audio_peak, audio_avg;
    double fps[LADDER_MAX_RUNGS];  /* what the manifests state per rung */
} measured;

/*
 * A rung's I-frame playlist (trick play: scrubbing previews, fast forward):
 * every segment starts with its IDR, so each entry is the byte range of a
 * segment's moof, mdat header and first sample, which the CMAF writer
 * recorded as it wrote the segment. *bandwidth: the peak of those ranges'
 * bits over their EXTINF.
 */
static int write_iframe_playlist(ladder_session *s, rung_ctx *r, int64_t *bandwidth)
{
    ladder_hls_segment *list = calloc((size_t)r->nb_segments, sizeof(*list));
    if (!list)
        return LADDER_ENOMEM;
    double peak = 0;
    for (int i = 0; i < r->nb_segments; i++) {
        const ladder_cmaf_segment *seg = &r->segments[i];
        list[i] = (ladder_hls_segment){
            .uri = seg->uri, .duration = seg->seconds,
            .byte_offset = seg->first_sample_offset, .byte_length = seg->first_sample_length,
        };
        double rate = seg->seconds > 0 ? (double)seg->first_sample_length * 8 / seg->seconds : 0;
        peak = rate > peak ? rate : peak;
    }
    char *text = NULL;
    int err = ladder_hls_iframe_playlist("init.mp4", list, (size_t)r->nb_segments, &text);
    free(list);
    if (err) {
        session_fail(s, err, "rung %s: I-frame playlist: %s", r->cfg.name, ladder_strerror(err));
        return err;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/iframes.m3u8", r->dir);
    err = write_text(s, path, text);
    free(text);
    *bandwidth = (int64_t)(peak + 0.5);
    return err;
}

static int write_hls(ladder_session *s, const measured *m)
{
    const ladder_report *rep = &s->report;
    if (rep->has_audio) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio, &segs);
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/" AUDIO_DIR, s->output_dir);
        int err = write_media_playlist(s, dir, segs, nb);
        if (err)
            return err;
    }

    ladder_hls_variant variants[LADDER_MAX_RUNGS];
    char uris[LADDER_MAX_RUNGS][LADDER_NAME_MAX + 32];
    char iframe_uris[LADDER_MAX_RUNGS][LADDER_NAME_MAX + 32];
    char codecs[LADDER_MAX_RUNGS][128];
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        const ladder_rung_report *rr = &rep->rungs[i];
        int64_t iframe_bandwidth = 0;
        int err = write_media_playlist(s, r->dir, r->segments, r->nb_segments);
        if (!err)
            err = write_iframe_playlist(s, r, &iframe_bandwidth);
        if (err)
            return err;
        snprintf(uris[i], sizeof(uris[i]), "video/%s/index.m3u8", r->cfg.name);
        snprintf(iframe_uris[i], sizeof(iframe_uris[i]), "video/%s/iframes.m3u8", r->cfg.name);
        if (rep->has_audio)
            snprintf(codecs[i], sizeof(codecs[i]), "%s,%s", r->codecs, rep->audio_codecs);
        else
            snprintf(codecs[i], sizeof(codecs[i]), "%s", r->codecs);
        variants[i] = (ladder_hls_variant){
            .uri = uris[i],
            .bandwidth = (int64_t)(rr->peak_bitrate + m->audio_peak + 0.5),
            .average_bandwidth = (int64_t)(rr->avg_bitrate + m->audio_avg + 0.5),
            .codecs = codecs[i],
            .width = r->width,
            .height = r->height,
            .frame_rate = m->fps[i],
            .audio_group = rep->has_audio ? "audio" : NULL,
            .iframe_uri = iframe_uris[i],
            .iframe_bandwidth = iframe_bandwidth,
            .iframe_codecs = r->codecs,
        };
    }

    /* Highest bandwidth first: players that take the first variant as the
     * starting point then begin with a sensible one anyway (hls.js, Safari
     * pick by their own estimate). */
    for (int i = 1; i < s->nb_rungs; i++)
        for (int j = i; j > 0 && variants[j].bandwidth > variants[j - 1].bandwidth; j--) {
            ladder_hls_variant t = variants[j];
            variants[j] = variants[j - 1];
            variants[j - 1] = t;
        }
    char lang_buf[8], name_buf[128];
    const char *language = audio_language(s, lang_buf, sizeof(lang_buf));
    ladder_hls_audio_rendition audio = {
        .group_id = "audio", .name = audio_name(s, language, name_buf, sizeof(name_buf)),
        .language = language, .uri = AUDIO_DIR "/index.m3u8",
        .is_default = 1, .channels = s->audio ? audio_track_channels(s->audio) : 0,
    };
    char *text = NULL;
    int err = ladder_hls_master_playlist(variants, (size_t)s->nb_rungs, &audio,
                                         rep->has_audio ? 1 : 0, &text);
    if (err) {
        session_fail(s, err, "master playlist: %s", ladder_strerror(err));
        return err;
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/master.m3u8", s->output_dir);
    err = write_text(s, path, text);
    free(text);
    return err;
}

/* ---- DASH --------------------------------------------------------------- */

/*
 * A track's segments on the timeline of its files. The writer reports
 * times in the time base its packets came in (writer_tb); the mp4 muxer
 * rescales them to the track's timescale (which it picks itself: for video
 * a multiple of the packets' time base of at least 10000; the writer
 * reports it with each segment) and, for fragmented output
 * without edit lists, shifts the track so that its first packet is at 0
 * (libavformat's avoid_negative_ts=make_zero). A ladder track's first
 * packet is its first segment's earliest frame (the IDR, or the first AAC
 * frame), so the same shift is applied here and every t equals the
 * fragment's tfdt. End points are rescaled rather than durations, so that
 * contiguous segments stay contiguous. Each segment is also checked against
 * the seconds the writer computed from its time base, so that a mixed-up
 * writer_tb fails the run instead of skewing the MPD.
 */
static int dash_segments(const ladder_cmaf_segment *segs, int nb, AVRational writer_tb,
                         uint32_t timescale, ladder_dash_segment **out)
{
    ladder_dash_segment *list = calloc((size_t)nb, sizeof(*list));
    if (!list)
        return LADDER_ENOMEM;
    AVRational tb = { 1, (int)timescale };
    int64_t origin = av_rescale_q(segs[0].start, writer_tb, tb);
    for (int i = 0; i < nb; i++) {
        if ((double)segs[i].duration * writer_tb.num / writer_tb.den != segs[i].seconds) {
            free(list);
            return LADDER_EINTERNAL;
        }
        int64_t start = av_rescale_q(segs[i].start, writer_tb, tb) - origin;
        int64_t end = av_rescale_q(segs[i].start + segs[i].duration, writer_tb, tb) - origin;
        list[i] = (ladder_dash_segment){ .start = start, .duration = end - start };
    }
    *out = list;
    return 0;
}

/* One track's timeline on its files' timescale; *segs_out is the caller's
 * to free. */
static int dash_timeline(ladder_session *s, const char *what, const char *rel_dir,
                         const ladder_cmaf_segment *segs, int nb, AVRational writer_tb,
                         ladder_dash_timeline *tl, ladder_dash_segment **segs_out)
{
    uint32_t timescale = nb > 0 ? segs[0].timescale : 0;
    int err = timescale > 0 && timescale <= INT32_MAX
                  ? dash_segments(segs, nb, writer_tb, timescale, segs_out) : LADDER_EINTERNAL;
    if (err) {
        session_fail(s, err, "DASH manifest: %s: %s", what,
                     err == LADDER_EINTERNAL ? "segment times are not in the expected time base"
                                             : ladder_strerror(err));
        return err;
    }
    *tl = (ladder_dash_timeline){
        .dir = rel_dir, .start_number = segs[0].number, .timescale = timescale,
        .segments = *segs_out, .nb_segments = (size_t)nb,
    };
    return 0;
}

static bool rung_named(const ladder_session *s, const char *name)
{
    for (int i = 0; i < s->nb_rungs; i++)
        if (!strcmp(s->rungs[i].cfg.name, name))
            return true;
    return false;
}

static int64_t bits_per_second(double rate)
{
    /* Rounded up: @bandwidth is a bound the stream must stay under. */
    int64_t bps = (int64_t)rate;
    return (double)bps < rate ? bps + 1 : bps;
}

static int write_dash(ladder_session *s, const measured *m)
{
    const ladder_report *rep = &s->report;
    ladder_dash_video video[LADDER_MAX_RUNGS];
    ladder_dash_segment *video_segs[LADDER_MAX_RUNGS] = { 0 };
    char video_dirs[LADDER_MAX_RUNGS][LADDER_NAME_MAX + 8];
    ladder_dash_audio audio = { 0 };
    ladder_dash_segment *audio_segs = NULL;
    char audio_id[LADDER_NAME_MAX + 8] = "aac", lang_buf[8];
    size_t nb_audio = 0;
    char *text = NULL;
    int err = 0;

    for (int i = 0; i < s->nb_rungs && !err; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_dash_video *v = &video[i];
        snprintf(video_dirs[i], sizeof(video_dirs[i]), "video/%s", r->cfg.name);
        *v = (ladder_dash_video){
            .id = r->cfg.name,
            .codecs = r->codecs,
            .bandwidth = bits_per_second(rep->rungs[i].peak_bitrate),
            .width = r->width,
            .height = r->height,
            .sar_num = r->sar.num,
            .sar_den = r->sar.den,
        };
        /* The nominal rate where the rung has one (CFR source or a frame-rate
         * cap); a VFR rung has no single frame rate to state. */
        if (s->src_cfr || r->min_frame_ticks) {
            v->frame_rate_num = r->frame_rate.num;
            v->frame_rate_den = r->frame_rate.den;
        }
        /* session.c opens every rung's writer with the source time base. */
        err = dash_timeline(s, r->cfg.name, video_dirs[i], r->segments, r->nb_segments,
                            s->src_tb, &v->timeline, &video_segs[i]);
    }

    if (!err && rep->has_audio) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio, &segs);
        audio.sample_rate = audio_track_sample_rate(s->audio);
        err = dash_timeline(s, "audio", AUDIO_DIR, segs, nb, audio_track_time_base(s->audio),
                            &audio.timeline, &audio_segs);
        if (!err) {
            /* Representation ids are unique across the MPD, and a rung may
             * be called "aac". */
            for (int k = 2; rung_named(s, audio_id); k++)
                snprintf(audio_id, sizeof(audio_id), "aac_%d", k);
            audio.id = audio_id;
            audio.codecs = rep->audio_codecs;
            audio.bandwidth = bits_per_second(m->audio_peak);
            audio.channels = audio_track_channels(s->audio);
            audio.lang = audio_language(s, lang_buf, sizeof(lang_buf));
            nb_audio = 1;
        }
    }

    if (!err) {
        err = ladder_dash_mpd(video, (size_t)s->nb_rungs, &audio, nb_audio, &text);
        if (err)
            session_fail(s, err, "DASH manifest: %s", ladder_strerror(err));
    }
    if (!err) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/manifest.mpd", s->output_dir);
        err = write_text(s, path, text);
    }
    free(text);
    free(audio_segs);
    for (int i = 0; i < s->nb_rungs; i++)
        free(video_segs[i]);
    return err;
}

/* ---- stitched MP4 ---------------------------------------------------------- */

/* "DIR/seg_00001.m4s" for each segment; *out and its strings are the
 * caller's (free_paths). */
static int segment_paths(const char *dir, const ladder_cmaf_segment *segs, int nb, char ***out)
{
    char **paths = calloc((size_t)nb + 1, sizeof(*paths));
    if (!paths)
        return LADDER_ENOMEM;
    for (int i = 0; i < nb; i++) {
        size_t len = strlen(dir) + strlen(segs[i].uri) + 2;
        paths[i] = malloc(len);
        if (!paths[i]) {
            for (int k = 0; k < i; k++)
                free(paths[k]);
            free(paths);
            return LADDER_ENOMEM;
        }
        snprintf(paths[i], len, "%s/%s", dir, segs[i].uri);
    }
    *out = paths;
    return 0;
}

static void free_paths(char **paths)
{
    for (char **p = paths; p && *p; p++)
        free(*p);
    free(paths);
}

/*
 * One MP4 per rung with the audio, from the rung's CMAF segments
 * (mux/mp4_stitch.c copies the samples; nothing is encoded again).
 */
static int write_mp4(ladder_session *s)
{
    char dir[PATH_MAX], audio_dir[PATH_MAX], audio_init[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/" MP4_DIR, s->output_dir);
    snprintf(audio_dir, sizeof(audio_dir), "%s/" AUDIO_DIR, s->output_dir);
    snprintf(audio_init, sizeof(audio_init), "%s/init.mp4", audio_dir);
    int err = ladder_mkdir_p(dir);
    if (err) {
        session_fail(s, err, "output '%s': %s", dir, ladder_strerror(err));
        return err;
    }
    char **audio_paths = NULL;
    const ladder_cmaf_segment *audio_segs = NULL;
    int nb_audio = s->report.has_audio ? audio_track_segments(s->audio, &audio_segs) : 0;
    if (nb_audio > 0 && (err = segment_paths(audio_dir, audio_segs, nb_audio, &audio_paths)))
        return err;
    for (int i = 0; i < s->nb_rungs && !err; i++) {
        rung_ctx *r = &s->rungs[i];
        char init[PATH_MAX + 16], path[PATH_MAX + LADDER_NAME_MAX + 16], why[PATH_MAX + 128];
        snprintf(init, sizeof(init), "%s/init.mp4", r->dir);
        snprintf(path, sizeof(path), "%s/%s.mp4", dir, r->cfg.name);
        char **video_paths = NULL;
        if ((err = segment_paths(r->dir, r->segments, r->nb_segments, &video_paths)))
            break;
        ladder_mp4_track tracks[2] = {
            { init, (const char *const *)video_paths, (size_t)r->nb_segments },
            { audio_init, (const char *const *)audio_paths, (size_t)nb_audio },
        };
        err = ladder_mp4_stitch(path, tracks, nb_audio > 0 ? 2 : 1, why, sizeof(why));
        free_paths(video_paths);
        if (err)
            session_fail(s, err, "rung %s: MP4 %s", r->cfg.name, why);
        else
            session_log(s, LADDER_LOG_INFO, "rung=%s event=mp4_written path=%s", r->cfg.name, path);
    }
    free_paths(audio_paths);
    return err;
}

/*
 * With MP4 alone the CMAF files were only the way there: remove them, the
 * segments first, so no init segment is left without its segments' names
 * being meaningful to anyone.
 */
static void remove_cmaf_files(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        for (int k = 0; k < r->nb_segments; k++)
            remove_in(r->dir, r->segments[k].uri);
        remove_in(r->dir, "init.mp4");
        rmdir(r->dir);
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/video", s->output_dir);
    rmdir(dir);
    if (s->audio) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio, &segs);
        snprintf(dir, sizeof(dir), "%s/" AUDIO_DIR, s->output_dir);
        for (int k = 0; k < nb; k++)
            remove_in(dir, segs[k].uri);
        remove_in(dir, "init.mp4");
        rmdir(dir);
        snprintf(dir, sizeof(dir), "%s/audio", s->output_dir);
        rmdir(dir);
    }
}

/* ---- the run's end ------------------------------------------------------ */

/* Peak and average bits per second over a rendition's segments. */
static void segment_rates(const ladder_cmaf_segment *segs, int nb, double *peak,
                          double *avg, double *duration, int64_t *bytes)
{
    *peak = 0;
    double seconds = 0;
    int64_t total = 0;
    for (int i = 0; i < nb; i++) {
        if (segs[i].seconds > 0) {
            double rate = (double)segs[i].bytes * 8.0 / segs[i].seconds;
            if (rate > *peak)
                *peak = rate;
        }
        seconds += segs[i].seconds;
        total += (int64_t)segs[i].bytes;
    }
    *avg = seconds > 0 ? (double)total * 8.0 / seconds : 0;
    *duration = seconds;
    *bytes = total;
}

/* The report's rendition figures, which the manifests state too. */
static int measure(ladder_session *s, measured *m)
{
    ladder_report *rep = &s->report;
    rep->nb_rungs = s->nb_rungs;
    if (s->audio) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio, &segs);
        if (nb > 0) {
            int64_t bytes;
            segment_rates(segs, nb, &m->audio_peak, &m->audio_avg, &rep->audio_duration, &bytes);
            rep->has_audio = true;
            rep->audio_bitrate = m->audio_avg;
            rep->audio_copied = audio_track_copied(s->audio);
            snprintf(rep->audio_codecs, sizeof(rep->audio_codecs), "%s", audio_track_codecs(s->audio));
        }
    }
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_rung_report *rr = &rep->rungs[i];
        if (r->nb_segments == 0) {
            session_fail(s, LADDER_EINTERNAL, "rung %s: no segments were written", r->cfg.name);
            return LADDER_EINTERNAL;
        }
        snprintf(rr->name, sizeof(rr->name), "%s", r->cfg.name);
        rr->width = r->width;
        rr->height = r->height;
        segment_rates(r->segments, r->nb_segments, &rr->peak_bitrate, &rr->avg_bitrate,
                      &rr->duration, &rr->bytes);
        int64_t samples = 0;
        for (int k = 0; k < r->nb_segments; k++)
            samples += r->segments[k].nb_samples;
        rr->frames = samples;
        rr->segments = r->nb_segments;
        rr->encode_seconds = r->encode_seconds;
        rr->encode_cpu_seconds = r->encode_cpu_seconds;
        rr->abr_chunks = r->rate_abr_chunks;
        rr->crf_chunks = r->rate_crf_chunks;
        rr->crf_mean = r->rate_crf_chunks ? r->rate_crf_sum / r->rate_crf_chunks : 0;
        rr->chunks = r->chunks;
        rr->chunks_by_helpers = r->chunks_by_helpers;
        rr->invariant_requeues = r->invariant_requeues;
        rr->failure_requeues = r->failure_requeues;
        snprintf(rr->codecs, sizeof(rr->codecs), "%s", r->codecs);
        rr->bit_depth = r->bit_depth;
        rr->state = LADDER_RUNG_COMPLETED;
        /* The nominal rate for CFR rungs (29.970 rather than 29.969...);
         * the report states the same figure as the playlist. */
        double average = rr->duration > 0 ? (double)samples / rr->duration : 0;
        rr->frame_rate = s->src_cfr || r->min_frame_ticks ? av_q2d(r->frame_rate) : average;
        m->fps[i] = rr->frame_rate;
    }
    return 0;
}

int outputs_write(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        pthread_mutex_lock(&s->progress_lock);
        s->rungs[i].state = LADDER_RUNG_FINALIZING;
        pthread_mutex_unlock(&s->progress_lock);
        session_progress(s, &s->rungs[i]);
    }

    measured m = { 0 };
    int err = measure(s, &m);
    unsigned formats = job_formats(s);
    if (!err && (formats & LADDER_FORMAT_HLS))
        err = write_hls(s, &m);
    if (!err && (formats & LADDER_FORMAT_DASH))
        err = write_dash(s, &m);
    if (!err && (formats & LADDER_FORMAT_MP4)) {
        err = write_mp4(s);
        if (!err && !(formats & (LADDER_FORMAT_HLS | LADDER_FORMAT_DASH)))
            remove_cmaf_files(s);
    }
    if (err)
        return err;

    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        pthread_mutex_lock(&s->progress_lock);
        r->state = LADDER_RUNG_COMPLETED;
        r->frames_total = r->frames_done;
        pthread_mutex_unlock(&s->progress_lock);
        session_progress(s, r);
    }
    return 0;
}

int outputs_write_report(ladder_session *s)
{
    char *json = ladder_report_json(&s->report, s->input);
    if (!json)
        return LADDER_ENOMEM;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/report.json", s->output_dir);
    int err = ladder_atomic_write(path, json, strlen(json));
    free(json);
    if (err)
        session_fail(s, err, "output '%s': %s", path, ladder_strerror(err));
    return err;
}
