/*
 * Stop and resume, the session's side (the journal itself is
 * resume_journal.c).
 *
 * A run journals every video segment once its file is in place. A resumed
 * run (job.resume) checks that the journal was written for the same job
 * (the fingerprint: the input file, the source's timing, the segment plan
 * and every rung's settings and canonical decoder configuration), keeps
 * each rung's leading run of segments whose files still match, and then
 * runs as usual with three differences: every rung's scaler drops the
 * frames of its kept chunks (nothing is encoded again), the finalizer
 * starts after them, and the rung's CMAF writer continues the track
 * (ladder_cmaf_writer_open_at) so later segments are the bytes an
 * uninterrupted run writes. The source is decoded from the start: chunk
 * boundaries, the timestamp origin and every correction the pump makes
 * depend on what came before, and decoding is a small part of a ladder's
 * cost next to encoding it. Audio is small and cheap and is made again
 * whole: its encoder's state runs through the whole track.
 */
#include "resume.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ladder/error.h"
#include "ladder/ladder_config.h"
#include "engine/resume_journal.h"
#include "mux/atomic_file.h"
#include "encoder_backend.h"
#include "finalizer.h"
#include "rate_control.h"
#include "session.h"

typedef struct text_buf {
    char *data;
    size_t len, cap;
    bool failed;
} text_buf;

static bool grow(text_buf *t, size_t need)
{
    size_t cap = t->cap ? t->cap : 2048;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(t->data, cap);
    if (!grown)
        return false;
    t->data = grown;
    t->cap = cap;
    return true;
}

static void add_line(text_buf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_line(text_buf *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    /* An input path may be thousands of bytes: the line takes what it needs. */
    if (n < 0 || (t->len + (size_t)n + 2 > t->cap && !grow(t, t->len + (size_t)n + 2))) {
        va_end(again);
        t->failed = true;
        return;
    }
    if (t->len)
        t->data[t->len++] = '\n';
    vsnprintf(t->data + t->len, (size_t)n + 1, fmt, again);
    va_end(again);
    t->len += (size_t)n;
}

/*
 * What the kept segments depend on, one fact per line (so a refusal can
 * name the line that changed). Not in it, on purpose: the devices and the
 * decode device (a job may resume on another host; a rung's chunks from
 * different devices already share one configuration, which is in it),
 * audio (made again whole) and the output formats (manifests are written
 * at the end from the segments).
 */
static char *job_fingerprint(const ladder_session *s)
{
    text_buf t = { 0 };
    struct stat sb;
    /* The file, however it is named on the command line. */
    char *real = realpath(s->input, NULL);
    if (real && stat(real, &sb) == 0)
        add_line(&t, "input %s size=%lld mtime=%lld.%09ld", real, (long long)sb.st_size,
                 (long long)sb.st_mtim.tv_sec, (long)sb.st_mtim.tv_nsec);
    else
        add_line(&t, "input %s", s->input);
    free(real);
    add_line(&t, "source %dx%d rotation=%d time_base=%d/%d rate=%d/%d %s", s->src_w, s->src_h, s->rotation,
             s->src_tb.num, s->src_tb.den, s->src_rate.num, s->src_rate.den, s->src_cfr ? "cfr" : "vfr");
    add_line(&t, "segments %.6f s, parameter sets %s, %s, %s, %s, gaps %s", s->job.segment_seconds,
             s->job.parameter_sets == LADDER_PARAMETER_SETS_IN_BAND ? "in band" : "out of band",
             s->job.deterministic ? "deterministic" : "rate control over finished chunks",
             s->job.no_cascade ? "every rung scaled from the source" : "rungs scaled from rungs (cascade)",
             s->job.exact_shape ? "exact shape" : "square pixels",
             s->job.close_gaps ? "closed" : "held");
    for (int i = 0; i < s->nb_rungs; i++) {
        const rung_ctx *r = &s->rungs[i];
        const device_ctx *canon = &s->devices[r->canonical_device];
        const encoder_choice *choice = &canon->choice[r->cfg.codec];
        const rung_device *rd = &r->on_device[r->canonical_device];
        /* The SAR (job.exact_shape) is in every kept segment's bitstream. */
        add_line(&t,
                 "rung %s %dx%d sar=%d:%d %s %d-bit fps=%d/%d crf=%d kbps=%d maxrate=%d bufsize=%d profile=%s "
                 "encoder=%s preset=%s codecs=%s configuration=%08" PRIx32,
                 r->cfg.name, r->width, r->height, r->sar.num, r->sar.den,
                 ladder_config_codec_name(r->cfg.codec), r->bit_depth,
                 r->frame_rate.num, r->frame_rate.den, r->cfg.rate_mode == LADDER_RATE_CRF ? r->cfg.crf : -1,
                 r->cfg.rate_mode == LADDER_RATE_CRF ? 0 : r->cfg.bitrate_kbps, r->cfg.maxrate_kbps,
                 r->cfg.bufsize_kbps, r->cfg.profile[0] ? r->cfg.profile : "-",
                 encoder_backend_name(choice->backend), choice->preset ? choice->preset : "-", r->codecs,
                 ladder_crc32(rd->config, (size_t)(rd->config_size > 0 ? rd->config_size : 0)));
    }
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    return t.data;
}

void resume_track_name(const rung_ctx *r, char *buf, size_t size)
{
    snprintf(buf, size, "video/%s", r->cfg.name);
}

/*
 * Temporary files (".seg_00007.m4s.tmp.PID.N", ladder_atomic_write) that a
 * killed run left, in OUTDIR, every rung's directory and every audio
 * rendition's: removed when their writer is gone, so a resumed output
 * holds nothing but what it lists.
 */
static void remove_dead_temp_files_everywhere(const ladder_session *s)
{
    ladder_atomic_remove_dead_temps(s->output_dir);
    for (int i = 0; i < s->nb_rungs; i++)
        ladder_atomic_remove_dead_temps(s->rungs[i].dir);
    char audio[PATH_MAX];
    snprintf(audio, sizeof(audio), "%s/audio", s->output_dir);
    DIR *d = opendir(audio);
    for (struct dirent *e; d && (e = readdir(d));) {
        char sub[PATH_MAX + 300];
        if (e->d_name[0] != '.' && snprintf(sub, sizeof(sub), "%s/%s", audio, e->d_name) < (int)sizeof(sub))
            ladder_atomic_remove_dead_temps(sub);
    }
    if (d)
        closedir(d);
}

/* The segments of rung r that job.resume keeps, into its segment list. */
static int keep_segments(ladder_session *s, rung_ctx *r, const ladder_resume_state *st)
{
    char track[96];
    resume_track_name(r, track, sizeof(track));
    ladder_cmaf_segment *kept = NULL;
    int nb = 0;
    int err = ladder_resume_kept(st, s->output_dir, track, &kept, &nb);
    if (err)
        return err;
    if (nb == 0)
        return 0;
    finalizer_keep(&r->fin, kept, nb);
    r->kept_chunks = nb;
    rate_target t = rate_target_of(&r->cfg, s->job.segment_seconds, s->job.deterministic);
    int64_t bytes = 0;
    pthread_mutex_lock(&s->progress_lock);
    for (int k = 0; k < nb; k++) {
        bytes += (int64_t)kept[k].bytes;
        /* A bitrate rung's budget counts what the kept segments spent. */
        rate_control_record_kept(&r->rate, &t, kept[k].seconds, (int64_t)kept[k].bytes);
    }
    r->progress.bytes = bytes;
    r->progress.segments = nb;
    pthread_mutex_unlock(&s->progress_lock);
    return 0;
}

int resume_check(ladder_session *s)
{
    s->fingerprint = job_fingerprint(s);
    if (!s->fingerprint)
        return LADDER_ENOMEM;
    if (!s->job.resume)
        return 0;
    ladder_resume_state *st = NULL;
    int err = ladder_resume_load(s->output_dir, &st);
    if (err == LADDER_EINPUT_MISSING || err == LADDER_EINPUT_INVALID) {
        session_log(s, LADDER_LOG_INFO, "output '%s': %s: starting from the beginning", s->output_dir,
                    err == LADDER_EINPUT_MISSING ? "no resume journal" : "resume journal unreadable");
        return 0;
    }
    if (err) {
        session_fail(s, err, "output '%s': reading its resume journal: %s", s->output_dir, ladder_strerror(err));
        return err;
    }
    char diff[512];
    if (ladder_resume_fingerprint_diff(st->fingerprint, s->fingerprint, diff, sizeof(diff))) {
        ladder_resume_state_free(st);
        if (s->job.resume == LADDER_RESUME_IF_SAME_JOB) {
            session_log(s, LADDER_LOG_INFO, "output '%s': made for another job (%s): starting over",
                        s->output_dir, diff);
            return 0;
        }
        session_fail(s, LADDER_ERESUME, "output '%s': cannot resume: it was made for another job: %s",
                     s->output_dir, diff);
        return LADDER_ERESUME;
    }
    s->resume_state = st;
    return 0;
}

int resume_prepare(ladder_session *s)
{
    ladder_resume_state *st = s->resume_state;
    s->resume_state = NULL;
    /* Whatever the run, resumed or not: files half written by a killed
     * writer are nobody's. */
    remove_dead_temp_files_everywhere(s);
    int err = 0;
    ladder_resume_record *records = NULL;
    int nb_records = 0;
    if (st) {
        s->report.resumed = true;
        for (int i = 0; i < s->nb_rungs && !err; i++) {
            rung_ctx *r = &s->rungs[i];
            err = keep_segments(s, r, st);
            nb_records += r->kept_chunks;
        }
        records = nb_records ? calloc((size_t)nb_records, sizeof(*records)) : NULL;
        if (nb_records && !records)
            err = LADDER_ENOMEM;
        int n = 0;
        for (int i = 0; i < s->nb_rungs && !err; i++) {
            rung_ctx *r = &s->rungs[i];
            s->report.segments_kept += r->kept_chunks;
            for (int k = 0; k < r->kept_chunks; k++) {
                resume_track_name(r, records[n].track, sizeof(records[n].track));
                records[n++].seg = r->fin.segments[k];
            }
            session_log(s, LADDER_LOG_INFO, "rung=%s event=resume kept_segments=%d", r->cfg.name, r->kept_chunks);
        }
        if (!err && st->ignored_lines)
            session_log(s, LADDER_LOG_INFO, "output '%s': resume journal: %d torn or altered lines ignored",
                        s->output_dir, st->ignored_lines);
    }
    ladder_resume_state_free(st);
    /* A fresh journal: the job line and what is kept, nothing else. Until
     * it is in place, the old one (and the segments it vouches for) stays. */
    if (!err) {
        err = ladder_resume_journal_create(&s->journal, s->output_dir, s->fingerprint, records, nb_records);
        if (err)
            session_fail(s, err, "output '%s': writing its resume journal: %s", s->output_dir,
                         ladder_strerror(err));
    }
    free(records);
    return err;
}

int resume_record(ladder_session *s, rung_ctx *r, const ladder_cmaf_segment *seg)
{
    if (!s->journal)
        return 0;
    char track[96];
    resume_track_name(r, track, sizeof(track));
    return ladder_resume_journal_add(s->journal, track, seg);
}

void resume_stopped(ladder_session *s, const char *reason)
{
    if (s->journal && ladder_resume_journal_event(s->journal, "stopped", reason))
        session_log(s, LADDER_LOG_WARNING, "output '%s': could not note the stop in its resume journal",
                    s->output_dir);
}

void resume_close(ladder_session *s)
{
    ladder_resume_journal_close(s->journal);
    s->journal = NULL;
    ladder_resume_state_free(s->resume_state);
    s->resume_state = NULL;
    free(s->fingerprint);
    s->fingerprint = NULL;
}
