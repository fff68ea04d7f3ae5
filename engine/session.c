/*
 * The session: set-up, the run (the decode pump itself is decode_pump.c),
 * tear-down, stop and cancel. See session.h for the threads and locks.
 */
#include "session.h"

#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "mux/atomic_file.h"
#include "chunk_queue.h"
#include "mux/codec_string.h"
#include "ladder/error.h"
#include "frame_fifo.h"
#include "ladder/ladder_config.h"
#include "ladder/lease_pool.h"
#include "audio_renditions.h"
#include "audio_track.h"
#include "decode_pump.h"
#include "encode_worker.h"
#include "encoder_backend.h"
#include "encoder_devices.h"
#include "finalizer.h"
#include "gpu_scale.h"
#include "input.h"
#include "output_dir.h"
#include "outputs.h"
#include "resume.h"
#include "rotate.h"
#include "rung_devices.h"
#include "rung_scaler.h"
#include "timeline.h"
#include "video_decoder.h"

/* FRAME_FIFO_CAPACITY: session.h (NVDEC's surfaces count it). */

void ladder_job_defaults(ladder_job *job)
{
    *job = (ladder_job){
        .segment_seconds = 2.0,
        .memory_budget = 0,       /* automatic: see auto_memory_budget() */
        .helpers = true,
        .preset = "veryfast",
        .audio_mode = LADDER_AUDIO_ALL,
        .audio_codec = LADDER_AUDIO_AAC,
    };
}

const char *ladder_rung_state_name(ladder_rung_state st)
{
    switch (st) {
    case LADDER_RUNG_PENDING:    return "pending";
    case LADDER_RUNG_RUNNING:    return "running";
    case LADDER_RUNG_FINALIZING: return "finalizing";
    case LADDER_RUNG_COMPLETED:  return "completed";
    case LADDER_RUNG_FAILED:     return "failed";
    }
    return "unknown";
}

double session_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void session_log(ladder_session *s, int level, const char *fmt, ...)
{
    if (!s->sink.on_log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->progress_lock);
    s->sink.on_log(s->sink.opaque, level, line);
    pthread_mutex_unlock(&s->progress_lock);
}

static void abort_all(ladder_session *s)
{
    if (s->queue)
        ladder_chunk_queue_abort(s->queue);
    if (s->leases && s->leases_shared) {
        /* Other sessions wait on it too: only ours give up. */
        atomic_store(&s->leases_closed, true);
        ladder_lease_pool_wake(s->leases);
    } else if (s->leases) {
        ladder_lease_pool_abort(s->leases);
    }
    for (int i = 0; i < s->nb_rungs; i++)
        if (s->rungs[i].input)
            ladder_frame_fifo_abort(s->rungs[i].input);
}

void session_fail(ladder_session *s, int code, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&s->error_lock);
    bool first = s->error_code == 0;
    if (first) {
        s->error_code = code;
        snprintf(s->error, sizeof(s->error), "%s", line);
    }
    pthread_mutex_unlock(&s->error_lock);
    /* The first error is the run's result, printed once by the caller;
     * later ones are consequences, kept for debugging. */
    if (!first)
        session_log(s, LADDER_LOG_DEBUG, "also: %s", line);
    abort_all(s);
}

void session_progress(ladder_session *s, rung_ctx *r)
{
    pthread_mutex_lock(&s->progress_lock);
    const rung_progress *pr = &r->progress;
    double elapsed = session_now() - s->start_time;
    ladder_rung_progress p = {
        .rung = r->index,
        .name = r->cfg.name,
        .width = r->width,
        .height = r->height,
        .state = pr->state,
        /* Whole chunks and the frames of those in hand (encode_worker.c
         * adds them while it encodes): bars move by frames, not chunks. */
        .frames_done = pr->frames_done + pr->frames_encoding,
        .frames_total = pr->frames_total > pr->frames_done + pr->frames_encoding
                            ? pr->frames_total : pr->frames_done + pr->frames_encoding,
        .segments_written = pr->segments,
        .bytes = pr->bytes,
        .fps = elapsed > 0 ? (double)(pr->frames_done + pr->frames_encoding) / elapsed : 0,
        .eta_seconds = -1,
        .device = pr->last_device[0] ? pr->last_device : "-",
        .frames_encoding = pr->frames_encoding,
        .frame_rate = av_q2d(r->frame_rate),
        .elapsed = elapsed,
    };
    if (p.fps > 0 && pr->state == LADDER_RUNG_RUNNING)
        p.eta_seconds = (double)(p.frames_total - p.frames_done) / p.fps;
    else if (pr->state == LADDER_RUNG_COMPLETED)
        p.eta_seconds = 0;
    if (s->sink.on_rung)
        s->sink.on_rung(s->sink.opaque, &p);
    pthread_mutex_unlock(&s->progress_lock);
}

int ladder_session_init(ladder_session **out, const ladder_job *job,
                        const ladder_progress_sink *sink)
{
    if (!out || !job || !job->input || !job->output_dir || job->nb_rungs < 0 ||
        job->nb_rungs > LADDER_MAX_RUNGS || (job->nb_rungs > 0 && !job->rungs) ||
        job->codec < LADDER_CODEC_DEFAULT || job->codec > LADDER_CODEC_AV1 ||
        !(job->segment_seconds > 0) || job->cpu_slots < 0 || job->nb_devices < 0 ||
        job->nb_devices > LADDER_MAX_DEVICES || (job->nb_devices > 0 && !job->devices) ||
        (job->parameter_sets != LADDER_PARAMETER_SETS_OUT_OF_BAND &&
         job->parameter_sets != LADDER_PARAMETER_SETS_IN_BAND) ||
        job->audio_mode < LADDER_AUDIO_ALL || job->audio_mode > LADDER_AUDIO_NONE ||
        job->audio_codec < LADDER_AUDIO_AAC || job->audio_codec > LADDER_AUDIO_OPUS ||
        !(job->audio_channels == 0 || job->audio_channels == 1 || job->audio_channels == 2 ||
          job->audio_channels == 6) ||
        job->resume < LADDER_RESUME_OFF || job->resume > LADDER_RESUME_IF_SAME_JOB)
        return LADDER_EINVAL;
    ladder_session *s = calloc(1, sizeof(*s));
    if (!s)
        return LADDER_ENOMEM;
    /* First, before anything can fail: ladder_session_close() destroys
     * them whatever step failed. */
    pthread_mutex_init(&s->error_lock, NULL);
    pthread_mutex_init(&s->progress_lock, NULL);
    pthread_mutex_init(&s->dec_pool_lock, NULL);
    atomic_init(&s->cancelled, false);
    atomic_init(&s->stopping, false);
    atomic_init(&s->leases_closed, false);
    s->video_stream = -1;
    s->job = *job;
    s->input = strdup(job->input);
    s->output_dir = strdup(job->output_dir);
    s->preset = strdup(job->preset ? job->preset : "veryfast");
    if (job->nb_rungs > 0) {
        s->job_rungs = malloc((size_t)job->nb_rungs * sizeof(*s->job_rungs));
        if (s->job_rungs)
            memcpy(s->job_rungs, job->rungs, (size_t)job->nb_rungs * sizeof(*s->job_rungs));
    }
    /* The caller's routing decision, recorded in the report as given. */
    snprintf(s->report.route, sizeof(s->report.route), "%s", job->route ? job->route : "");
    snprintf(s->report.route_reason, sizeof(s->report.route_reason), "%s",
             job->route_reason ? job->route_reason : "");
    s->job.route = s->job.route_reason = NULL;  /* copied: the caller's strings may go */
    s->allow_protocols = strdup(job->allow_protocols ? job->allow_protocols : "");
    s->job.allow_protocols = s->allow_protocols;
    if (!s->input || !s->output_dir || !s->preset || !s->allow_protocols ||
        (job->nb_rungs > 0 && !s->job_rungs)) {
        ladder_session_close(s);
        return LADDER_ENOMEM;
    }
    s->job.input = s->input;
    s->job.output_dir = s->output_dir;
    s->job.preset = s->preset;
    s->job.rungs = s->job_rungs;
    if (s->job.audio_bitrate_kbps < 0)
        s->job.audio_bitrate_kbps = 0;
    int dev_err = rung_devices_init(s);
    if (dev_err) {
        ladder_session_close(s);
        return dev_err;
    }
    if (sink)
        s->sink = *sink;
    if (encoder_devices_init(&s->enc_devices)) {
        ladder_session_close(s);
        return LADDER_ENOMEM;
    }
    *out = s;
    return 0;
}

/* How each codec's RFC 6381 string is read from the canonical
 * configuration (the encoder itself is encode_worker.c's business). */
static const struct codec_output {
    ladder_codec codec;
    const char *parameter_sets;   /* what the codec string is read from */
    int (*codec_string)(const uint8_t *extradata, size_t size, char *buf, size_t buf_size);
} codec_outputs[] = {
    { LADDER_CODEC_H264, "SPS", ladder_codec_string_h264 },
    { LADDER_CODEC_HEVC, "VPS/SPS", ladder_codec_string_hevc },
    { LADDER_CODEC_AV1, "sequence header", ladder_codec_string_av1 },
};

static const struct codec_output *codec_output_of(ladder_codec codec)
{
    for (size_t i = 0; i < sizeof(codec_outputs) / sizeof(codec_outputs[0]); i++)
        if (codec_outputs[i].codec == codec)
            return &codec_outputs[i];
    return NULL;
}

/*
 * Whether a rung's box (asked_w x asked_h, 0: that side free) is larger
 * than the source on every side it names: ladder_config_output_size() then
 * gives the source's own size, as no rung is upscaled.
 */
static bool rung_clamped(int asked_w, int asked_h, int src_w, int src_h)
{
    return (asked_w > 0 || asked_h > 0) && (asked_w <= 0 || asked_w > src_w) && (asked_h <= 0 || asked_h > src_h);
}

/* One warning per clamped rung: a rung that silently came out smaller than
 * asked (maybe the same size as another) would look like a bug. */
static void log_clamped(ladder_session *s, const rung_ctx *r)
{
    char box[32];
    if (r->clamped_w > 0 && r->clamped_h > 0)
        snprintf(box, sizeof(box), "%dx%d", r->clamped_w, r->clamped_h);
    else if (r->clamped_w > 0)
        snprintf(box, sizeof(box), "width %d", r->clamped_w);
    else
        snprintf(box, sizeof(box), "height %d", r->clamped_h);
    session_log(s, LADDER_LOG_WARNING,
                "rung=%s event=clamped asked=%s size=%dx%d reason=larger than the source (%dx%d): not upscaled",
                r->cfg.name, box, r->width, r->height, s->display_w, s->display_h);
}

/* Resolve the ladder against the source: sizes, frame-rate caps, names. */
static int resolve_ladder(ladder_session *s)
{
    ladder_rung *rungs = NULL;
    int nb = 0;
    char err[256] = "";
    if (s->job.nb_rungs > 0) {
        rungs = malloc((size_t)s->job.nb_rungs * sizeof(*rungs));
        if (!rungs)
            return LADDER_ENOMEM;
        memcpy(rungs, s->job_rungs, (size_t)s->job.nb_rungs * sizeof(*rungs));
        nb = s->job.nb_rungs;
    } else if (ladder_config_default_ladder(s->display_w, s->display_h, &rungs, &nb)) {
        return LADDER_ENOMEM;
    }
    int ret = 0;
    /* A rung that names no codec takes the job's (H.264 when that is unset
     * too): validation below then checks profile against the real codec. */
    for (int i = 0; i < nb; i++) {
        if (rungs[i].codec == LADDER_CODEC_DEFAULT)
            rungs[i].codec = s->job.codec != LADDER_CODEC_DEFAULT ? s->job.codec : LADDER_CODEC_H264;
    }
    int clamped[LADDER_MAX_RUNGS][2] = { { 0 } };   /* the box asked, when clamped */
    for (int i = 0; i < nb && !ret; i++) {
        if (i < LADDER_MAX_RUNGS && rung_clamped(rungs[i].width, rungs[i].height, s->display_w, s->display_h)) {
            clamped[i][0] = rungs[i].width;
            clamped[i][1] = rungs[i].height;
        }
        if (ladder_config_output_size(&rungs[i], s->display_w, s->display_h,
                                      &rungs[i].width, &rungs[i].height)) {
            snprintf(err, sizeof(err), "rung %d has no size", i + 1);
            ret = LADDER_ECONFIG;
        }
    }
    if (!ret && ladder_config_validate(rungs, nb, err, sizeof(err)))
        ret = LADDER_ECONFIG;
    /* Before the output directory exists: an unsupported codec leaves
     * nothing behind, like a bad ladder. */
    for (int i = 0; i < nb && !ret; i++) {
        if (!encoder_name(rungs[i].codec) || !codec_output_of(rungs[i].codec)) {
            snprintf(err, sizeof(err), "rung %s: codec '%s' is not supported by this build",
                     rungs[i].name, ladder_config_codec_name(rungs[i].codec));
            ret = LADDER_ECODEC;
        }
    }
    if (ret) {
        session_fail(s, ret, "ladder: %s", err);
        free(rungs);
        return ret;
    }
    /* validate() guarantees this; said again so the compiler sees the bound. */
    if (nb < 1 || nb > LADDER_MAX_RUNGS) {
        free(rungs);
        return LADDER_EINTERNAL;
    }

    s->rungs = calloc((size_t)nb, sizeof(*s->rungs));
    if (!s->rungs) {
        free(rungs);
        return LADDER_ENOMEM;
    }
    s->nb_rungs = nb;
    double src_fps = av_q2d(s->src_rate);
    const AVPixFmtDescriptor *src_desc = av_pix_fmt_desc_get(s->src_pix_fmt);
    int src_depth = src_desc ? src_desc->comp[0].depth : 8;
    for (int i = 0; i < nb; i++) {
        rung_ctx *r = &s->rungs[i];
        r->session = s;
        r->index = i;
        r->cfg = rungs[i];
        r->width = rungs[i].width;
        r->height = rungs[i].height;
        r->clamped_w = clamped[i][0];
        r->clamped_h = clamped[i][1];
        if (r->clamped_w || r->clamped_h)
            log_clamped(s, r);
        /* 10-bit only where there are more than 8 bits to keep: padding an
         * 8-bit source out to 10 bits costs encode time and buys nothing. */
        bool wants_10 = rungs[i].bit_depth == 10 ||
                        (rungs[i].bit_depth == 0 && !strcmp(rungs[i].profile, "main10"));
        r->bit_depth = wants_10 && src_depth > 8 ? 10 : 8;
        r->pix_fmt = r->bit_depth == 10 ? AV_PIX_FMT_YUV420P10 : AV_PIX_FMT_YUV420P;
        if (wants_10 && r->bit_depth != 10) {
            session_log(s, LADDER_LOG_INFO, "rung=%s event=bit_depth reason=source is %d-bit: the rung is 8-bit",
                        r->cfg.name, src_depth);
            /* A main10 profile on 8-bit pictures would only mislabel them. */
            if (!strcmp(r->cfg.profile, "main10"))
                snprintf(r->cfg.profile, sizeof(r->cfg.profile), "main");
        }
        int frame_size = av_image_get_buffer_size(r->pix_fmt, r->width, r->height, 1);
        r->frame_bytes = frame_size > 0 ? (size_t)frame_size : 0;
        /* Square pixels, unless the job keeps the source's exact shape: then
         * a rung a pixel or two off it has pixels stretched by that much. */
        ladder_config_rung_sar(s->job.exact_shape, s->display_w, s->display_h, r->width, r->height,
                               &r->sar.num, &r->sar.den);
        r->frame_rate = s->src_rate;
        r->progress.frames_total = s->frames_estimate;
        if (r->cfg.max_fps > 0 && r->cfg.max_fps < src_fps * 0.999) {
            r->frame_rate = av_d2q(r->cfg.max_fps, 1001000);
            /* Keep a frame once a full capped interval has passed, less half
             * a source frame of slack for timestamp jitter. */
            int64_t step = av_rescale_q(1, av_inv_q(r->frame_rate), s->src_tb);
            r->min_frame_ticks = step - s->nominal_frame_ticks / 2;
            r->progress.frames_total = (int64_t)llround((double)s->frames_estimate * r->cfg.max_fps / src_fps);
        }
        finalizer_init(&r->fin);
        snprintf(r->dir, sizeof(r->dir), "%s/video/%s", s->output_dir, r->cfg.name);
    }
    free(rungs);
    /* Still before the output directory exists: a device that names an
     * encoder ladder does not have leaves nothing behind either. */
    return rung_devices_resolve(s);
}

/* The canonical decoder configuration of every rung, from an encoder opened
 * with the rung's settings before any chunk is encoded. */
static int prepare_rungs(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        const struct codec_output *out = codec_output_of(r->cfg.codec);
        if (!out) {
            session_fail(s, LADDER_ECODEC, "rung %s: codec '%s' is not supported by this build",
                         r->cfg.name, ladder_config_codec_name(r->cfg.codec));
            return LADDER_ECODEC;
        }
        r->codecpar = avcodec_parameters_alloc();
        if (!r->codecpar)
            return LADDER_ENOMEM;
        int err = rung_devices_preflight(s, r);
        if (err)
            return err;
        const rung_device *canon = &r->on_device[r->canonical_device];
        if (out->codec_string(canon->config, (size_t)canon->config_size, r->codecs, sizeof(r->codecs))) {
            session_fail(s, LADDER_EINTERNAL, "rung %s: %s produced no readable %s", r->cfg.name,
                         encoder_backend_name(s->devices[r->canonical_device].choice[r->cfg.codec].backend),
                         out->parameter_sets);
            return LADDER_EINTERNAL;
        }
        /* In-band parameter sets: the sample entry says so (avc3/hev1), and
         * so does the codecs string, whose profile and level stay the
         * canonical configuration's. AV1 has one sample entry either way. */
        r->codecpar->codec_tag = 0;
        if (s->job.parameter_sets == LADDER_PARAMETER_SETS_IN_BAND) {
            if (r->cfg.codec == LADDER_CODEC_H264) {
                r->codecpar->codec_tag = MKTAG('a', 'v', 'c', '3');
                memcpy(r->codecs, "avc3", 4);
            } else if (r->cfg.codec == LADDER_CODEC_HEVC) {
                r->codecpar->codec_tag = MKTAG('h', 'e', 'v', '1');
                memcpy(r->codecs, "hev1", 4);
            }
        }
        err = ladder_frame_fifo_init(&r->input, FRAME_FIFO_CAPACITY);
        if (err) {
            session_fail(s, err, "rung %s: %s", r->cfg.name, ladder_strerror(err));
            return err;
        }
    }
    return 0;
}

/* Every rung's CMAF writer: from the start, or after the segments a
 * resumed run kept, continuing their numbers and decode times. */
static int open_rung_writers(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_cmaf_resume_point at = { .next_number = 1 };
        if (r->kept_chunks > 0) {
            const ladder_cmaf_segment *last = &r->fin.segments[r->kept_chunks - 1];
            at.next_number = last->number + 1;
            at.decode_time = last->decode_time + last->decode_duration;
            at.dts_shift = last->dts_shift;
            at.track_start = last->track_start;
        }
        int err = ladder_cmaf_writer_open_at(&r->fin.writer, r->dir, r->codecpar, s->src_tb, NULL,
                                             r->kept_chunks > 0 ? &at : NULL);
        if (err) {
            session_fail(s, err, "output '%s': %s", r->dir, ladder_strerror(err));
            return err;
        }
    }
    return 0;
}

/* Whether path exists and is a symlink (lstat: never followed). */
static bool is_symlink(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

/*
 * Everything is written inside OUTDIR. A symlink where ladder makes a
 * directory of its own (video/, video/<rung>/, audio/ and the renditions
 * in it, mp4/) would send segments wherever it points, so an output
 * directory holding one is refused before anything is written. (Files are
 * safe: each is written to a fresh O_EXCL temporary name and renamed over
 * whatever sits at its final name, a symlink included.)
 */
static int refuse_symlinks(ladder_session *s)
{
    char path[PATH_MAX];
    const char *tops[] = { "video", "audio", "mp4" };
    const char *bad = NULL;
    for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]) && !bad; i++) {
        snprintf(path, sizeof(path), "%s/%s", s->output_dir, tops[i]);
        if (is_symlink(path))
            bad = path;
    }
    for (int i = 0; i < s->nb_rungs && !bad; i++)
        if (is_symlink(s->rungs[i].dir))
            bad = s->rungs[i].dir;
    snprintf(path, sizeof(path), "%s/audio", s->output_dir);
    DIR *audio = bad ? NULL : opendir(path);
    for (struct dirent *e; audio && !bad && (e = readdir(audio));) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/audio/%s", s->output_dir, e->d_name) < (int)sizeof(path) &&
            is_symlink(path))
            bad = path;
    }
    if (audio)
        closedir(audio);
    if (!bad)
        return 0;
    session_fail(s, LADDER_EOUTPUT, "output '%s': is a symlink: refused (outputs stay inside the output directory)",
                 bad);
    return LADDER_EOUTPUT;
}

static int prepare_output_dir(ladder_session *s)
{
    /* Symlinks first: refused (exit 7) whoever's the directory is. Then
     * whose it is, and where this run writes (output_dir.c). */
    int err = refuse_symlinks(s);
    if (!err)
        err = output_dir_claim(s);
    if (err)
        return err;
    /* A playlist from an earlier run must not vouch for this run's files. */
    outputs_remove_stale(s);
    return 0;
}

/*
 * --max-memory: the least raw-frame memory this ladder runs in is one chunk
 * of every rung being built at once (the budget only holds back chunks
 * waiting for an encoder) plus the decoder's pictures in flight; over the
 * cap, the job is refused before the output directory is made.
 */
static int check_max_memory(ladder_session *s)
{
    if (s->job.max_memory == 0)
        return 0;
    double frames_per_chunk = ceil(s->job.segment_seconds * av_q2d(s->src_rate));
    if (!(frames_per_chunk > 0))
        frames_per_chunk = ceil(s->job.segment_seconds * 30);
    double need = 0;
    for (int i = 0; i < s->nb_rungs; i++)
        need += (double)s->rungs[i].frame_bytes * frames_per_chunk;
    int src_bytes = av_image_get_buffer_size(s->src_pix_fmt, s->src_w, s->src_h, 1);
    need += (double)(src_bytes > 0 ? src_bytes : 0) * (FRAME_FIFO_CAPACITY * s->nb_rungs + 16);
    if (need <= (double)s->job.max_memory)
        return 0;
    session_fail(s, LADDER_ELIMIT, "input '%s': this ladder needs at least %.0f MiB of frames, "
                 "more than --max-memory %.0f MiB", s->input, need / 1048576,
                 (double)s->job.max_memory / 1048576);
    return LADDER_ELIMIT;
}

/* Estimated relative cost of a rung's frame, before anything is measured. */
static double pixel_cost(const rung_ctx *r)
{
    return (double)r->width * r->height;
}

/*
 * The default raw-frame budget: every slot can hold a chunk of the largest
 * rung while one more is being built (less than that starves slots), and
 * room for a chunk of every rung being built (they fill together) while a
 * chunk of the largest is encoded. No fixed floor: memory beyond that buys
 * no speed (benches/RESULTS.md "Memory": a 4-rung 1080p ladder on 2 slots,
 * this rule's 426 MiB against the former 512 MiB floor: 70 MiB less peak
 * RSS, wall and CPU time within the noise; below about 400 MiB encoders
 * start to wait for chunks), and every extra byte is a page held.
 */
static size_t auto_memory_budget(const ladder_session *s, int slots)
{
    double frames_per_chunk = s->job.segment_seconds * av_q2d(s->src_rate);
    if (!(frames_per_chunk > 0))
        frames_per_chunk = s->job.segment_seconds * 30;
    size_t largest = 0, window = 0;
    for (int i = 0; i < s->nb_rungs; i++) {
        size_t chunk = s->rungs[i].frame_bytes * (size_t)ceil(frames_per_chunk);
        window += chunk;
        if (chunk > largest)
            largest = chunk;
    }
    size_t per_slot = largest * (size_t)(slots + 1);
    return per_slot > window + largest ? per_slot : window + largest;
}

static int start_threads(ladder_session *s)
{
    int64_t frames_total[LADDER_MAX_RUNGS];
    double cost[LADDER_MAX_RUNGS];
    for (int i = 0; i < s->nb_rungs; i++) {
        frames_total[i] = s->rungs[i].progress.frames_total;
        cost[i] = pixel_cost(&s->rungs[i]);
    }
    int slots = rung_devices_slots(s);
    s->report.cpu_slots = slots;
    if (s->job.memory_budget == 0)
        s->job.memory_budget = auto_memory_budget(s, slots);
    if (s->job.max_memory > 0 && s->job.memory_budget > s->job.max_memory)
        s->job.memory_budget = s->job.max_memory;
    int err = ladder_chunk_queue_init(&s->queue, s->nb_rungs, s->job.memory_budget,
                                      slots + 1, frames_total, cost);
    if (!err) {
        const char *names[LADDER_MAX_DEVICES];
        int device_slots[LADDER_MAX_DEVICES];
        for (int d = 0; d < s->nb_devices; d++) {
            names[d] = s->devices[d].spec.name;
            device_slots[d] = s->devices[d].spec.slots;
        }
        if (s->job.lease_pool) {
            s->leases = s->job.lease_pool;
            s->leases_shared = true;
        } else {
            err = ladder_lease_pool_init(&s->leases, names, device_slots, s->nb_devices);
        }
    }
    if (err)
        return err;
    rung_scaler_plan(s);          /* which rungs feed which (cascade), before any scaler runs */
    for (int i = 0; i < s->nb_rungs; i++) {
        if (pthread_create(&s->rungs[i].scaler_thread, NULL, rung_scaler_main, &s->rungs[i]))
            return LADDER_ENOMEM;
        s->rungs[i].scaler_started = true;
    }
    /* One worker per lease: a worker is a lease put to work. */
    s->workers = calloc((size_t)slots, sizeof(*s->workers));
    if (!s->workers)
        return LADDER_ENOMEM;
    for (int i = 0; i < slots; i++) {
        if (pthread_create(&s->workers[i], NULL, encode_worker_main, s))
            return LADDER_ENOMEM;
        s->nb_workers++;
    }
    return 0;
}

static void join_threads(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        if (s->rungs[i].scaler_started) {
            pthread_join(s->rungs[i].scaler_thread, NULL);
            s->rungs[i].scaler_started = false;
        }
    }
    for (int i = 0; i < s->nb_workers; i++)
        pthread_join(s->workers[i], NULL);
    s->nb_workers = 0;
}

static void log_plan(ladder_session *s)
{
    session_log(s, LADDER_LOG_INFO, "input '%s': %dx%d %s %.3f fps %s, %lld frames (estimate)",
                s->input, s->src_w, s->src_h, avcodec_get_name(s->src_codec_id),
                av_q2d(s->src_rate), s->src_cfr ? "CFR" : "VFR", (long long)s->frames_estimate);
    for (int i = 0; i < s->nb_rungs; i++) {
        const rung_ctx *r = &s->rungs[i];
        session_log(s, LADDER_LOG_INFO, "rung=%s size=%dx%d fps=%.3f codecs=%s rate=%s%d",
                    r->cfg.name, r->width, r->height, av_q2d(r->frame_rate), r->codecs,
                    r->cfg.rate_mode == LADDER_RATE_CRF ? "crf" : "kbps:",
                    r->cfg.rate_mode == LADDER_RATE_CRF ? r->cfg.crf : r->cfg.bitrate_kbps);
    }
}

/*
 * After a stop: the segments of the chunks in hand are written; say so in
 * the journal and return the stop as the run's result. Nothing else is
 * written: playlists would list an incomplete ladder.
 */
static int session_stopped(ladder_session *s)
{
    int kept = 0;
    for (int i = 0; i < s->nb_rungs; i++)
        kept += s->rungs[i].fin.nb_segments;
    resume_stopped(s, "stop requested");
    session_fail(s, LADDER_ESTOPPED,
                 "output '%s': stopped at a chunk boundary with %d segments kept; run again with --resume to "
                 "continue", output_dir_final(s), kept);
    return LADDER_ESTOPPED;
}

int ladder_session_run(ladder_session *s)
{
    s->start_time = session_now();
    s->report.helpers = s->job.helpers;
    s->report.deterministic = s->job.deterministic;
    /* The input and the ladder are checked before anything is created, so a
     * bad input leaves no directory behind. */
    int err = input_open(s);
    if (!err)
        err = resolve_ladder(s);
    if (!err)
        err = check_max_memory(s);
    if (!err && ladder_chunk_plan_init(&s->plan, s->src_tb.num, s->src_tb.den, s->src_cfr,
                                       s->src_rate.num, s->src_rate.den, s->job.segment_seconds)) {
        err = LADDER_EINPUT_INVALID;
        session_fail(s, err, "input '%s': time base %d/%d cannot express the segment length",
                     s->input, s->src_tb.num, s->src_tb.den);
    }
    /* The pre-flight and the resume check change nothing on disk: a job
     * that fails there, or is refused as another job's resume, leaves the
     * output directory as it was. */
    if (!err)
        err = prepare_rungs(s);
    if (!err)
        gpu_scale_plan(s);
    if (!err)
        err = output_dir_find_staged(s);
    if (!err)
        err = resume_check(s);
    if (!err)
        err = prepare_output_dir(s);
    if (!err)
        err = resume_prepare(s);
    if (!err)
        err = open_rung_writers(s);
    if (!err)
        err = audio_renditions_open(s);
    if (err)
        return s->error_code ? s->error_code : err;
    log_plan(s);
    /* Every rung once before any work: a view knows the whole ladder (and
     * its total) from the start, not as each rung's first chunk ends. */
    for (int i = 0; i < s->nb_rungs; i++)
        session_progress(s, &s->rungs[i]);

    pump_state ps = { 0 };
    err = start_threads(s);
    if (err)
        session_fail(s, err, "cannot start worker threads: %s", ladder_strerror(err));
    else
        err = decode_pump_run(s, &ps);
    if (!err) {
        /* End of stream: every scaler completes its last chunk (a cascaded
         * rung's comes from the rung that feeds it). */
        for (int i = 0; i < s->nb_rungs && !err; i++)
            if (rung_fed_by_pump(&s->rungs[i]) &&
                ladder_frame_fifo_push(s->rungs[i].input, (ladder_fifo_item){ .frame = NULL }))
                err = LADDER_ECANCELED;
    } else if (err == LADDER_ECANCELED && atomic_load(&s->cancelled)) {
        session_fail(s, err, "cancelled");
    } else if (err == LADDER_ECANCELED && atomic_load(&s->stopping)) {
        /* Stopped: the rungs get no end of stream (a chunk cut short would
         * pass for a whole one). stop() aborted their inputs, but a stop
         * that came during set-up found some not made yet: abort again. */
        abort_all(s);
    } else if (err != LADDER_ECANCELED) {
        session_fail(s, err, "input '%s': %s", s->input, ladder_strerror(err));
    }
    double video_end = (double)ps.end_pts * av_q2d(s->src_tb);
    for (int k = 0; k < s->nb_audio && !err; k++) {
        err = audio_track_finish(s->audio[k].track, video_end);
        if (err)
            session_fail(s, err, "audio %s: %s", s->audio[k].dir, ladder_strerror(err));
    }
    join_threads(s);
    if (!s->error_code && atomic_load(&s->stopping))
        return session_stopped(s);
    if (!s->error_code && ps.frames == 0)
        session_fail(s, LADDER_EINPUT_INVALID, "input '%s': no decodable video frames", s->input);
    else if (!s->error_code)
        decode_pump_check_complete(s, &ps);
    s->report.frames_in = ps.frames;
    s->report.source_duration = (double)ps.end_pts * av_q2d(s->src_tb);
    s->report.memory_budget = (int64_t)s->job.memory_budget;
    s->report.queue_peak_bytes = (int64_t)ladder_chunk_queue_peak_bytes(s->queue);
    s->report.frame_pool_bytes = (int64_t)ladder_frame_pool_bytes(s->dec_pool);
    session_log(s, LADDER_LOG_DEBUG, "event=frame_pool owner=decoder bytes=%zu",
                ladder_frame_pool_bytes(s->dec_pool));
    for (int i = 0; i < s->nb_rungs; i++) {
        s->report.frame_pool_bytes += (int64_t)ladder_frame_pool_bytes(s->rungs[i].scaler.pool);
        session_log(s, LADDER_LOG_DEBUG, "rung=%s event=frame_pool owner=scaler bytes=%zu",
                    s->rungs[i].cfg.name, ladder_frame_pool_bytes(s->rungs[i].scaler.pool));
    }
    if (s->error_code) {
        for (int i = 0; i < s->nb_rungs; i++) {
            pthread_mutex_lock(&s->progress_lock);
            s->rungs[i].progress.state = LADDER_RUNG_FAILED;
            pthread_mutex_unlock(&s->progress_lock);
            session_progress(s, &s->rungs[i]);
        }
        return s->error_code;
    }

    err = outputs_write(s);
    rung_devices_report(s);
    s->report.wall_seconds = session_now() - s->start_time;
    if (!err)
        err = outputs_write_report(s);
    if (!err)
        err = output_dir_commit(s);
    return s->error_code ? s->error_code : err;
}

void ladder_session_stop(ladder_session *s)
{
    if (atomic_exchange(&s->stopping, true))
        return;
    session_log(s, LADDER_LOG_INFO, "event=stop reason=stop requested: finishing the chunks being encoded");
    /* The pump reads no more; scalers waiting for frames or for budget,
     * and workers waiting for chunks, are woken and leave. A worker with
     * a chunk in hand finishes it: the queue is not read again, but its
     * finalizer still writes (and journals) the segment. */
    abort_all(s);
}

void ladder_session_cancel(ladder_session *s)
{
    atomic_store(&s->cancelled, true);
    session_fail(s, LADDER_ECANCELED, "cancelled");
}

const ladder_report *ladder_session_report(const ladder_session *s)
{
    return &s->report;
}

const char *ladder_session_error(const ladder_session *s)
{
    return s->error[0] ? s->error : ladder_strerror(s->error_code);
}

void ladder_session_close(ladder_session *s)
{
    if (!s)
        return;
    join_threads(s);
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        ladder_frame_fifo_close(r->input);
        rung_scaler_close(&r->scaler);
        finalizer_close(&r->fin);
        avcodec_parameters_free(&r->codecpar);
        rung_devices_close(r);
    }
    free(s->rungs);
    /* Chunks still queued after an abort own frames: drain them. */
    if (s->queue)
        ladder_chunk_queue_drain(s->queue, chunk_free);
    ladder_chunk_queue_close(s->queue);
    if (!s->leases_shared)
        ladder_lease_pool_close(s->leases);
    free(s->workers);
    audio_renditions_close(s);
    video_decoder_close(&s->vdec);
    encoder_devices_close(&s->enc_devices);
    ladder_frame_pool_close(s->dec_pool);
    pthread_mutex_destroy(&s->dec_pool_lock);
    input_close(s);
    timeline_close(s->timeline);
    resume_close(s);
    output_dir_close(s);
    pthread_mutex_destroy(&s->error_lock);
    pthread_mutex_destroy(&s->progress_lock);
    free(s->input);
    free(s->output_dir);
    free(s->preset);
    free(s->allow_protocols);
    free(s->job_rungs);
    rotate_close(&s->rotate);
    free(s);
}
