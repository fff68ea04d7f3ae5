/*
 * End of a run: the manifests (and stitched MP4s) of the selected formats,
 * then the report.
 * Order matters: HLS media playlists first, the master playlist after them,
 * the DASH MPD last, so a manifest on disk always names complete
 * renditions. Both formats describe the same CMAF files; nothing here
 * writes media.
 */
#include "outputs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/dict.h>

#include "mux/atomic_file.h"
#include "engine/resume_journal.h"
#include "mux/dash_mpd.h"
#include "ladder/error.h"
#include "mux/hls_playlist.h"
#include "ladder/ladder_config.h"
#include "mux/mp4_stitch.h"
#include "audio_track.h"
#include "session.h"

#define MP4_DIR "mp4"

/* HLS VIDEO-RANGE of the ladder: every rung carries the source's transfer
 * characteristics (encoder_backend.c), so PQ and HLG sources are HDR
 * renditions; anything else is SDR, the attribute's default, left out. */
/*
 * A manifest writer refuses (LADDER_EINVAL) only values that cannot be
 * written: a segment of no length, a rate that is no number. ladder made
 * them from the input's timing, so that is a problem of the input (exit 4,
 * naming it), not of the command line.
 */
static int manifest_failed(ladder_session *s, int err, const char *what)
{
    if (err == LADDER_EINVAL) {
        session_fail(s, LADDER_EINPUT_INVALID, "input '%s': %s: its timing gives values no manifest can carry",
                     s->input, what);
        return LADDER_EINPUT_INVALID;
    }
    session_fail(s, err, "%s: %s", what, ladder_strerror(err));
    return err;
}

static const char *video_range(const ladder_session *s)
{
    switch (s->src_trc) {
    case AVCOL_TRC_SMPTE2084:    return "PQ";
    case AVCOL_TRC_ARIB_STD_B67: return "HLG";
    default:                     return NULL;
    }
}

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
    /* Every audio rendition's playlist, this run's or not: an earlier run
     * may have had other streams (or the older audio/aac layout). */
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/audio", s->output_dir);
    DIR *audio = opendir(dir);
    for (struct dirent *e; audio && (e = readdir(audio));) {
        if (e->d_name[0] == '.')
            continue;
        char sub[PATH_MAX + 300];
        if (snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) < (int)sizeof(sub))
            remove_in(sub, "index.m3u8");
    }
    if (audio)
        closedir(audio);
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
        char what[PATH_MAX + 32];
        snprintf(what, sizeof(what), "playlist for '%s'", dir);
        return manifest_failed(s, err, what);
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/index.m3u8", dir);
    err = write_text(s, path, text);
    free(text);
    return err;
}

/* Rates measured over the renditions, shared by both formats. */
typedef struct measured {
    double audio_peak, audio_avg;  /* the largest over the renditions: RFC 8216
                                      wants BANDWIDTH for the heaviest combination */
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
    ladder_hls_segment *list = calloc((size_t)r->fin.nb_segments, sizeof(*list));
    if (!list)
        return LADDER_ENOMEM;
    double peak = 0;
    for (int i = 0; i < r->fin.nb_segments; i++) {
        const ladder_cmaf_segment *seg = &r->fin.segments[i];
        list[i] = (ladder_hls_segment){
            .uri = seg->uri, .duration = seg->seconds,
            .byte_offset = seg->first_sample_offset, .byte_length = seg->first_sample_length,
        };
        double rate = seg->seconds > 0 ? (double)seg->first_sample_length * 8 / seg->seconds : 0;
        peak = rate > peak ? rate : peak;
    }
    char *text = NULL;
    int err = ladder_hls_iframe_playlist("init.mp4", list, (size_t)r->fin.nb_segments, &text);
    free(list);
    if (err) {
        char what[128];
        snprintf(what, sizeof(what), "rung %s: I-frame playlist", r->cfg.name);
        return manifest_failed(s, err, what);
    }
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/iframes.m3u8", r->dir);
    err = write_text(s, path, text);
    free(text);
    *bandwidth = (int64_t)(peak + 0.5);
    return err;
}

/*
 * The audio CODECS entries: every codec of the AUDIO group, each once.
 *
 * One group holds every rendition. RFC 8216 4.3.4.2 wants a variant's
 * CODECS to name every format of every rendition it may be played with,
 * and 4.3.4.1.1 lets several groups of one TYPE exist only as alternative
 * encodings of the same member set. So renditions of two codecs would
 * either make every variant list both (a client that lacks one rejects
 * the variant outright), or need every stream in both codecs. ladder
 * avoids the question: every rendition of a run has the asked codec
 * (a source is copied only when it is already that codec, see
 * audio_plan.h), so the group has one codec and CODECS names it once.
 */
static void audio_codecs(const ladder_session *s, char *buf, size_t size)
{
    buf[0] = '\0';
    size_t len = 0;
    for (int k = 0; k < s->nb_audio; k++) {
        const char *c = audio_track_codecs(s->audio[k].track);
        bool seen = false;
        for (int j = 0; j < k && !seen; j++)
            seen = !strcmp(audio_track_codecs(s->audio[j].track), c);
        if (!seen && len < size)
            len += (size_t)snprintf(buf + len, size - len, ",%s", c);
    }
}

static int write_hls(ladder_session *s, const measured *m)
{
    const ladder_report *rep = &s->report;
    for (int k = 0; k < s->nb_audio; k++) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio[k].track, &segs);
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", s->output_dir, s->audio[k].dir);
        int err = write_media_playlist(s, dir, segs, nb);
        if (err)
            return err;
    }
    char group_codecs[128];
    audio_codecs(s, group_codecs, sizeof(group_codecs));

    ladder_hls_variant variants[LADDER_MAX_RUNGS];
    char uris[LADDER_MAX_RUNGS][LADDER_NAME_MAX + 32];
    char iframe_uris[LADDER_MAX_RUNGS][LADDER_NAME_MAX + 32];
    char codecs[LADDER_MAX_RUNGS][192];
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        const ladder_rung_report *rr = &rep->rungs[i];
        int64_t iframe_bandwidth = 0;
        int err = write_media_playlist(s, r->dir, r->fin.segments, r->fin.nb_segments);
        if (!err)
            err = write_iframe_playlist(s, r, &iframe_bandwidth);
        if (err)
            return err;
        snprintf(uris[i], sizeof(uris[i]), "video/%s/index.m3u8", r->cfg.name);
        snprintf(iframe_uris[i], sizeof(iframe_uris[i]), "video/%s/iframes.m3u8", r->cfg.name);
        snprintf(codecs[i], sizeof(codecs[i]), "%s%s", r->codecs, group_codecs);
        variants[i] = (ladder_hls_variant){
            .uri = uris[i],
            .bandwidth = (int64_t)(rr->peak_bitrate + m->audio_peak + 0.5),
            .average_bandwidth = (int64_t)(rr->avg_bitrate + m->audio_avg + 0.5),
            .codecs = codecs[i],
            /* RESOLUTION is the size a player shows: the encoded size, or
             * that stretched by an exact-shape rung's SAR (measure()). */
            .width = rr->display_width,
            .height = rr->display_height,
            .frame_rate = m->fps[i],
            .audio_group = s->nb_audio > 0 ? "audio" : NULL,
            .iframe_uri = iframe_uris[i],
            .iframe_bandwidth = iframe_bandwidth,
            .iframe_codecs = r->codecs,
            .video_range = video_range(s),
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
    ladder_hls_audio_rendition audio[LADDER_MAX_AUDIO];
    char audio_uris[LADDER_MAX_AUDIO][80];
    for (int k = 0; k < s->nb_audio; k++) {
        const audio_rendition *a = &s->audio[k];
        snprintf(audio_uris[k], sizeof(audio_uris[k]), "%s/index.m3u8", a->dir);
        audio[k] = (ladder_hls_audio_rendition){
            .group_id = "audio", .name = a->name,
            .language = a->language[0] ? a->language : NULL, .uri = audio_uris[k],
            .is_default = a->is_default, .channels = audio_track_plan(a->track)->channels,
        };
    }
    char *text = NULL;
    int err = ladder_hls_master_playlist(variants, (size_t)s->nb_rungs, audio, (size_t)s->nb_audio, &text);
    if (err)
        return manifest_failed(s, err, "master playlist");
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
    ladder_dash_audio audio[LADDER_MAX_AUDIO];
    ladder_dash_segment *audio_segs[LADDER_MAX_AUDIO] = { 0 };
    char audio_ids[LADDER_MAX_AUDIO][80];
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
            /* FFmpeg's colour enums are the CICP code points. */
            .colour_primaries = s->src_primaries,
            .transfer_characteristics = s->src_trc,
            .matrix_coefficients = s->src_colorspace,
        };
        /* The nominal rate where the rung has one (CFR source or a frame-rate
         * cap); a VFR rung has no single frame rate to state. */
        if (s->src_cfr || r->min_frame_ticks) {
            v->frame_rate_num = r->frame_rate.num;
            v->frame_rate_den = r->frame_rate.den;
        }
        /* session.c opens every rung's writer with the source time base. */
        err = dash_timeline(s, r->cfg.name, video_dirs[i], r->fin.segments, r->fin.nb_segments,
                            s->src_tb, &v->timeline, &video_segs[i]);
    }

    for (int k = 0; k < s->nb_audio && !err; k++) {
        const audio_rendition *a = &s->audio[k];
        const ladder_audio_plan *plan = audio_track_plan(a->track);
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(a->track, &segs);
        audio[k] = (ladder_dash_audio){ .sample_rate = plan->sample_rate };
        err = dash_timeline(s, a->dir, a->dir, segs, nb, audio_track_time_base(a->track),
                            &audio[k].timeline, &audio_segs[k]);
        if (err)
            break;
        /* Representation ids are unique across the MPD, and a rung may be
         * called like a rendition directory ("1-en-aac"). */
        const char *base = a->dir + strlen("audio/");
        snprintf(audio_ids[k], sizeof(audio_ids[k]), "%s", base);
        for (int n = 2; rung_named(s, audio_ids[k]); n++)
            snprintf(audio_ids[k], sizeof(audio_ids[k]), "%s_%d", base, n);
        audio[k].id = audio_ids[k];
        audio[k].codecs = audio_track_codecs(a->track);
        audio[k].bandwidth = bits_per_second(rep->audio[k].peak_bitrate);
        audio[k].channels = plan->channels;
        audio[k].lang = a->language[0] ? a->language : NULL;
        audio[k].is_main = a->is_default;
    }

    if (!err) {
        err = ladder_dash_mpd(video, (size_t)s->nb_rungs, audio, (size_t)s->nb_audio, &text);
        if (err)
            err = manifest_failed(s, err, "DASH manifest");
    }
    if (!err) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/manifest.mpd", s->output_dir);
        err = write_text(s, path, text);
    }
    free(text);
    for (int k = 0; k < s->nb_audio; k++)
        free(audio_segs[k]);
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
 * One MP4 per rung with every audio rendition, from the CMAF segments
 * (mux/mp4_stitch.c copies the samples; nothing is encoded again). The
 * default rendition is the first audio track and the only enabled one;
 * the others are its alternates, which players offer as languages.
 */
static int write_mp4(ladder_session *s)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/" MP4_DIR, s->output_dir);
    int err = ladder_mkdir_p(dir);
    if (err) {
        session_fail(s, err, "output '%s': %s", dir, ladder_strerror(err));
        return err;
    }
    /* Track 0 is the video; then the default rendition, then the others in
     * source order. */
    ladder_mp4_track tracks[1 + LADDER_MAX_AUDIO];
    char audio_inits[LADDER_MAX_AUDIO][PATH_MAX + 16];
    char **audio_paths[LADDER_MAX_AUDIO] = { 0 };
    int nb_tracks = 1;
    for (int pass = 0; pass < 2 && !err; pass++)
        for (int k = 0; k < s->nb_audio && !err; k++) {
            const audio_rendition *a = &s->audio[k];
            if (a->is_default != (pass == 0))
                continue;
            const ladder_cmaf_segment *segs;
            int nb = audio_track_segments(a->track, &segs);
            char audio_dir[PATH_MAX];
            snprintf(audio_dir, sizeof(audio_dir), "%s/%s", s->output_dir, a->dir);
            snprintf(audio_inits[k], sizeof(audio_inits[k]), "%s/init.mp4", audio_dir);
            err = segment_paths(audio_dir, segs, nb, &audio_paths[k]);
            tracks[nb_tracks++] = (ladder_mp4_track){
                audio_inits[k], (const char *const *)audio_paths[k], (size_t)nb,
                .alternate = !a->is_default,
            };
        }
    for (int i = 0; i < s->nb_rungs && !err; i++) {
        rung_ctx *r = &s->rungs[i];
        char init[PATH_MAX + 16], path[PATH_MAX + LADDER_NAME_MAX + 16], why[PATH_MAX + 128];
        snprintf(init, sizeof(init), "%s/init.mp4", r->dir);
        snprintf(path, sizeof(path), "%s/%s.mp4", dir, r->cfg.name);
        char **video_paths = NULL;
        if ((err = segment_paths(r->dir, r->fin.segments, r->fin.nb_segments, &video_paths)))
            break;
        tracks[0] = (ladder_mp4_track){ init, (const char *const *)video_paths, (size_t)r->fin.nb_segments, 0 };
        err = ladder_mp4_stitch(path, tracks, (size_t)nb_tracks, why, sizeof(why));
        free_paths(video_paths);
        if (err)
            session_fail(s, err, "rung %s: MP4 %s", r->cfg.name, why);
        else
            session_log(s, LADDER_LOG_INFO, "rung=%s event=mp4_written path=%s", r->cfg.name, path);
    }
    for (int k = 0; k < s->nb_audio; k++)
        free_paths(audio_paths[k]);
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
        for (int k = 0; k < r->fin.nb_segments; k++)
            remove_in(r->dir, r->fin.segments[k].uri);
        remove_in(r->dir, "init.mp4");
        rmdir(r->dir);
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/video", s->output_dir);
    rmdir(dir);
    for (int a = 0; a < s->nb_audio; a++) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio[a].track, &segs);
        snprintf(dir, sizeof(dir), "%s/%s", s->output_dir, s->audio[a].dir);
        for (int k = 0; k < nb; k++)
            remove_in(dir, segs[k].uri);
        remove_in(dir, "init.mp4");
        rmdir(dir);
    }
    if (s->nb_audio > 0) {
        snprintf(dir, sizeof(dir), "%s/audio", s->output_dir);
        rmdir(dir);
    }
    /* The journal would vouch for the files just removed: it keeps its job
     * line only, which vouches for nothing and marks the directory as
     * ladder's (output_dir.h). */
    ladder_resume_journal_close(s->journal);
    s->journal = NULL;
    ladder_resume_journal *bare = NULL;
    if (ladder_resume_journal_create(&bare, s->output_dir, s->fingerprint, NULL, 0) == 0)
        ladder_resume_journal_close(bare);
    else
        session_log(s, LADDER_LOG_WARNING, "output '%s': could not drop the segment lines of its resume journal",
                    s->output_dir);
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
    rep->nb_audio = 0;
    rep->exact_shape = s->job.exact_shape;
    for (int k = 0; k < s->nb_audio; k++) {
        const audio_rendition *a = &s->audio[k];
        const ladder_audio_plan *plan = audio_track_plan(a->track);
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(a->track, &segs);
        if (nb == 0) {
            session_fail(s, LADDER_EINTERNAL, "audio %s: no segments were written", a->dir);
            return LADDER_EINTERNAL;
        }
        ladder_audio_report *ar = &rep->audio[rep->nb_audio++];
        int64_t bytes;
        *ar = (ladder_audio_report){
            .index = a->stream_index, .channels = plan->channels,
            .sample_rate = plan->sample_rate, .copied = plan->copy,
            .is_default = a->is_default, .segments = nb,
        };
        snprintf(ar->language, sizeof(ar->language), "%s", a->language);
        snprintf(ar->name, sizeof(ar->name), "%s", a->name);
        snprintf(ar->dir, sizeof(ar->dir), "%s", a->dir);
        snprintf(ar->codecs, sizeof(ar->codecs), "%s", audio_track_codecs(a->track));
        segment_rates(segs, nb, &ar->peak_bitrate, &ar->bitrate, &ar->duration, &bytes);
        if (ar->peak_bitrate > m->audio_peak)
            m->audio_peak = ar->peak_bitrate;
        if (ar->bitrate > m->audio_avg)
            m->audio_avg = ar->bitrate;
    }
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_rung_report *rr = &rep->rungs[i];
        if (r->fin.nb_segments == 0) {
            session_fail(s, LADDER_EINTERNAL, "rung %s: no segments were written", r->cfg.name);
            return LADDER_EINTERNAL;
        }
        snprintf(rr->name, sizeof(rr->name), "%s", r->cfg.name);
        rr->width = r->width;
        rr->height = r->height;
        rr->sar_num = r->sar.num;
        rr->sar_den = r->sar.den;
        rr->display_width = ladder_config_display_width(r->width, r->sar.num, r->sar.den);
        rr->display_height = r->height;
        rr->clamped_from_width = r->clamped_w;
        rr->clamped_from_height = r->clamped_h;
        segment_rates(r->fin.segments, r->fin.nb_segments, &rr->peak_bitrate, &rr->avg_bitrate,
                      &rr->duration, &rr->bytes);
        int64_t samples = 0;
        for (int k = 0; k < r->fin.nb_segments; k++)
            samples += r->fin.segments[k].nb_samples;
        rr->frames = samples;
        rr->segments = r->fin.nb_segments;
        rr->encode_seconds = r->progress.encode_seconds;
        rr->encode_cpu_seconds = r->progress.encode_cpu_seconds;
        rr->abr_chunks = r->rate.abr_chunks;
        rr->crf_chunks = r->rate.crf_chunks;
        rr->crf_mean = r->rate.crf_chunks ? r->rate.crf_sum / r->rate.crf_chunks : 0;
        rr->chunks = r->progress.chunks;
        rr->segments_kept = r->kept_chunks;
        rr->chunks_by_helpers = r->progress.chunks_by_helpers;
        rr->invariant_requeues = r->progress.invariant_requeues;
        rr->failure_requeues = r->progress.failure_requeues;
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
        s->rungs[i].progress.state = LADDER_RUNG_FINALIZING;
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
        r->progress.state = LADDER_RUNG_COMPLETED;
        r->progress.frames_total = r->progress.frames_done;
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
