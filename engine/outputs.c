/*
 * End of a run: one media playlist per rendition, the master playlist, the
 * report. Order matters: media playlists first, master last, so a master
 * playlist on disk always names complete renditions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ladder/atomic_file.h"
#include "ladder/error.h"
#include "ladder/hls_playlist.h"
#include "outputs.h"

void outputs_remove_stale(ladder_session *s)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/master.m3u8", s->output_dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/report.json", s->output_dir);
    unlink(path);
}

static int write_text(ladder_session *s, const char *path, const char *text)
{
    int err = ladder_atomic_write(path, text, strlen(text));
    if (err)
        session_fail(s, err, "output '%s': %s", path, ladder_strerror(err));
    return err;
}

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

int outputs_write(ladder_session *s)
{
    ladder_report *rep = &s->report;
    rep->nb_rungs = s->nb_rungs;
    for (int i = 0; i < s->nb_rungs; i++) {
        pthread_mutex_lock(&s->progress_lock);
        s->rungs[i].state = LADDER_RUNG_FINALIZING;
        pthread_mutex_unlock(&s->progress_lock);
        session_progress(s, &s->rungs[i]);
    }

    double audio_peak = 0, audio_avg = 0;
    if (s->audio) {
        const ladder_cmaf_segment *segs;
        int nb = audio_track_segments(s->audio, &segs);
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/audio/aac", s->output_dir);
        if (nb > 0) {
            int64_t bytes;
            int err = write_media_playlist(s, dir, segs, nb);
            if (err)
                return err;
            segment_rates(segs, nb, &audio_peak, &audio_avg, &rep->audio_duration, &bytes);
            rep->has_audio = true;
            rep->audio_bitrate = audio_avg;
            rep->audio_copied = audio_track_copied(s->audio);
            snprintf(rep->audio_codecs, sizeof(rep->audio_codecs), "%s", audio_track_codecs(s->audio));
        }
    }

    ladder_hls_variant variants[LADDER_MAX_RUNGS];
    char uris[LADDER_MAX_RUNGS][LADDER_NAME_MAX + 32];
    char codecs[LADDER_MAX_RUNGS][128];
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_rung_report *rr = &rep->rungs[i];
        if (r->nb_segments == 0) {
            session_fail(s, LADDER_EINTERNAL, "rung %s: no segments were written", r->cfg.name);
            return LADDER_EINTERNAL;
        }
        int err = write_media_playlist(s, r->dir, r->segments, r->nb_segments);
        if (err)
            return err;
        snprintf(rr->name, sizeof(rr->name), "%s", r->cfg.name);
        rr->width = r->width;
        rr->height = r->height;
        segment_rates(r->segments, r->nb_segments, &rr->peak_bitrate, &rr->avg_bitrate,
                      &rr->duration, &rr->bytes);
        int64_t samples = 0;
        for (int k = 0; k < r->nb_segments; k++)
            samples += r->segments[k].nb_samples;
        rr->frames = samples;
        rr->frame_rate = rr->duration > 0 ? (double)samples / rr->duration : 0;
        rr->segments = r->nb_segments;
        rr->encode_seconds = r->encode_seconds;
        rr->encode_cpu_seconds = r->encode_cpu_seconds;
        rr->abr_chunks = r->rate_abr_chunks;
        rr->crf_chunks = r->rate_crf_chunks;
        rr->crf_mean = r->rate_crf_chunks ? r->rate_crf_sum / r->rate_crf_chunks : 0;
        rr->chunks = r->chunks;
        rr->chunks_by_helpers = r->chunks_by_helpers;
        rr->invariant_requeues = r->invariant_requeues;
        snprintf(rr->codecs, sizeof(rr->codecs), "%s", r->codecs);
        rr->state = LADDER_RUNG_COMPLETED;

        snprintf(uris[i], sizeof(uris[i]), "video/%s/index.m3u8", r->cfg.name);
        if (rep->has_audio)
            snprintf(codecs[i], sizeof(codecs[i]), "%s,%s", r->codecs, rep->audio_codecs);
        else
            snprintf(codecs[i], sizeof(codecs[i]), "%s", r->codecs);
        /* The nominal rate for CFR rungs (29.970 rather than 29.969...);
         * the report states the same figure as the playlist. */
        double fps = s->src_cfr || r->min_frame_ticks ? av_q2d(r->frame_rate) : rr->frame_rate;
        rr->frame_rate = fps;
        variants[i] = (ladder_hls_variant){
            .uri = uris[i],
            .bandwidth = (int64_t)(rr->peak_bitrate + audio_peak + 0.5),
            .average_bandwidth = (int64_t)(rr->avg_bitrate + audio_avg + 0.5),
            .codecs = codecs[i],
            .width = r->width,
            .height = r->height,
            .frame_rate = fps,
            .audio_group = rep->has_audio ? "audio" : NULL,
        };
        pthread_mutex_lock(&s->progress_lock);
        r->state = LADDER_RUNG_COMPLETED;
        r->frames_total = r->frames_done;
        pthread_mutex_unlock(&s->progress_lock);
        session_progress(s, r);
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
    ladder_hls_audio_rendition audio = {
        .group_id = "audio", .name = "aac", .uri = "audio/aac/index.m3u8",
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
