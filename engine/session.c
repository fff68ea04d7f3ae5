/*
 * The session: set-up, the decode pump, tear-down. See session_internal.h
 * for the threads and locks.
 */
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

#include "ladder/atomic_file.h"
#include "ladder/codec_string.h"
#include "ladder/error.h"
#include "ladder/ladder_config.h"
#include "input.h"
#include "outputs.h"
#include "session_internal.h"
#include "timeline.h"

/* FRAME_FIFO_CAPACITY: session_internal.h (NVDEC's surfaces count it). */

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
    double elapsed = session_now() - s->start_time;
    ladder_rung_progress p = {
        .rung = r->index,
        .name = r->cfg.name,
        .width = r->width,
        .height = r->height,
        .state = r->state,
        .frames_done = r->frames_done,
        .frames_total = r->frames_total > r->frames_done ? r->frames_total : r->frames_done,
        .segments_written = r->nb_segments,
        .bytes = r->bytes,
        .fps = elapsed > 0 ? (double)r->frames_done / elapsed : 0,
        .eta_seconds = -1,
        .device = r->last_device[0] ? r->last_device : "-",
    };
    if (p.fps > 0 && r->state == LADDER_RUNG_RUNNING)
        p.eta_seconds = (double)(p.frames_total - p.frames_done) / p.fps;
    else if (r->state == LADDER_RUNG_COMPLETED)
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
    s->video_stream = -1;
    pthread_mutex_init(&s->error_lock, NULL);
    pthread_mutex_init(&s->progress_lock, NULL);
    pthread_mutex_init(&s->dec_pool_lock, NULL);
    if (encoder_devices_init(&s->enc_devices)) {
        ladder_session_close(s);
        return LADDER_ENOMEM;
    }
    atomic_init(&s->cancelled, false);
    atomic_init(&s->stopping, false);
    atomic_init(&s->leases_closed, false);
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
    for (int i = 0; i < nb && !ret; i++) {
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
        r->frames_total = s->frames_estimate;
        if (r->cfg.max_fps > 0 && r->cfg.max_fps < src_fps * 0.999) {
            r->frame_rate = av_d2q(r->cfg.max_fps, 1001000);
            /* Keep a frame once a full capped interval has passed, less half
             * a source frame of slack for timestamp jitter. */
            int64_t step = av_rescale_q(1, av_inv_q(r->frame_rate), s->src_tb);
            r->min_frame_ticks = step - s->nominal_frame_ticks / 2;
            r->frames_total = (int64_t)llround((double)s->frames_estimate * r->cfg.max_fps / src_fps);
        }
        pthread_mutex_init(&r->finalize_lock, NULL);
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
            const ladder_cmaf_segment *last = &r->segments[r->kept_chunks - 1];
            at.next_number = last->number + 1;
            at.decode_time = last->decode_time + last->decode_duration;
            at.dts_shift = last->dts_shift;
            at.track_start = last->track_start;
        }
        int err = ladder_cmaf_writer_open_at(&r->writer, r->dir, r->codecpar, s->src_tb, NULL,
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
    int err = ladder_mkdir_p(s->output_dir);
    if (!err && access(s->output_dir, W_OK) != 0)
        err = LADDER_EOUTPUT;
    if (err) {
        session_fail(s, err, "output directory '%s': %s", s->output_dir, ladder_strerror(err));
        return err;
    }
    err = refuse_symlinks(s);
    if (err)
        return err;
    /* A playlist from an earlier run must not vouch for this run's files. */
    outputs_remove_stale(s);
    return 0;
}

/* Fan one decoded frame out to every rung: a reference each, no copy. */
static int fan_out(ladder_session *s, AVFrame *frame)
{
    bool starts = false;
    int chunk = ladder_chunk_plan_next(&s->plan, frame->pts, &starts);
    for (int i = 0; i < s->nb_rungs; i++) {
        AVFrame *ref = av_frame_clone(frame);
        if (!ref)
            return LADDER_ENOMEM;
        ladder_fifo_item item = { .frame = ref, .chunk = chunk, .starts_chunk = starts };
        if (ladder_frame_fifo_push(s->rungs[i].input, item)) {
            av_frame_free(&ref);
            return LADDER_ECANCELED;
        }
    }
    return 0;
}

typedef struct pump_state {
    int64_t last_pts;
    bool have_origin;
    int64_t frames;               /* decoded source pictures */
    int64_t held_frames;          /* copies of a picture that cover a gap or the end */
    int64_t dropped;
    int64_t decode_errors;
    int64_t end_pts;              /* end of the last frame, output time */
    int64_t source_end_pts;       /* ... before the video was held to the audio's end */
    int64_t last_real_pts;        /* the last decoded picture (not a held copy) */
    int64_t frame_step;           /* between the last two decoded pictures, when regular; 0: none */
    AVFrame *held;                /* the last picture sent: what a gap shows */
    AVPacket **early_audio;       /* audio read before the first video frame, all streams */
    int nb_early_audio, cap_early_audio;
    size_t early_audio_bytes;
    int64_t early_audio_dropped;
} pump_state;

/*
 * The decoder holds back its first frames (threads, reordering), so audio
 * packets arrive before video time zero is known; keep them until it is,
 * instead of losing the start of the audio.
 */
static audio_track *track_of(ladder_session *s, int stream_index)
{
    for (int k = 0; k < s->nb_audio; k++)
        if (s->audio[k].stream_index == stream_index)
            return s->audio[k].track;
    return NULL;
}

/*
 * Audio before the first picture is kept: a decoder with frame threads
 * gives its first picture several packets late, and a slideshow's next
 * packet may be 10 s of audio later. Bounded in bytes (compressed audio:
 * 64 MiB is hours); past that it is lost, and the log says so.
 */
#define EARLY_AUDIO_MAX_BYTES ((size_t)64 << 20)

static int keep_early_audio(pump_state *ps, const AVPacket *pkt)
{
    if (ps->early_audio_bytes + (size_t)pkt->size > EARLY_AUDIO_MAX_BYTES) {
        ps->early_audio_dropped++;
        return 0;
    }
    if (ps->nb_early_audio == ps->cap_early_audio) {
        int cap = ps->cap_early_audio ? ps->cap_early_audio * 2 : 256;
        AVPacket **grown = realloc(ps->early_audio, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        ps->early_audio = grown;
        ps->cap_early_audio = cap;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    ps->early_audio[ps->nb_early_audio++] = copy;
    ps->early_audio_bytes += (size_t)pkt->size;
    return 0;
}

/* Once video time zero is known: the kept audio to its tracks (or, with
 * err set, only freed). */
static int flush_early_audio(ladder_session *s, pump_state *ps, int err)
{
    for (int i = 0; i < ps->nb_early_audio; i++) {
        if (!err && ps->have_origin)
            err = audio_track_packet(track_of(s, ps->early_audio[i]->stream_index), ps->early_audio[i], false);
        av_packet_free(&ps->early_audio[i]);
    }
    ps->nb_early_audio = 0;
    ps->early_audio_bytes = 0;
    return err;
}

static int feed_audio(ladder_session *s, pump_state *ps, audio_track *track, AVPacket *pkt)
{
    bool jumped = timeline_stream_jumped(s->timeline, pkt->stream_index);
    if (!ps->have_origin)
        return keep_early_audio(ps, pkt);
    int err = flush_early_audio(s, ps, 0);
    return err ? err : audio_track_packet(track, pkt, jumped);
}

/* --max-duration holds for what is decoded too: a container that claims
 * 2 s may hold hours. */
static int check_decoded_duration(ladder_session *s, const pump_state *ps)
{
    double t = (double)ps->end_pts * av_q2d(s->src_tb);
    if (!(s->job.max_duration > 0) || t <= s->job.max_duration)
        return 0;
    session_fail(s, LADDER_ELIMIT, "input '%s': longer than %.1f s (--max-duration)", s->input,
                 s->job.max_duration);
    return LADDER_ELIMIT;
}

/* One picture to every rung, and kept as what a later gap shows. */
static int send_picture(ladder_session *s, pump_state *ps, AVFrame *frame)
{
    ps->last_pts = frame->pts;
    int64_t dur = frame->pkt_duration > 0 ? frame->pkt_duration : s->nominal_frame_ticks;
    ps->end_pts = frame->pts + dur;
    int err = check_decoded_duration(s, ps);
    if (!err)
        err = fan_out(s, frame);
    if (!err && frame != ps->held) {
        av_frame_unref(ps->held);
        err = av_frame_ref(ps->held, frame) < 0 ? LADDER_ENOMEM : 0;
    }
    return err;
}

/*
 * A held picture repeats at the source's own rhythm: its last regular step
 * between pictures, else its nominal rate. (A 25 fps file with a gap has an
 * average rate under 25 and passes for variable-rate: holding at that
 * average would put copies off the frame grid and segments off their
 * length.)
 */
static int64_t hold_cadence(const ladder_session *s, const pump_state *ps)
{
    int64_t nominal = s->nominal_frame_ticks;
    if (ps->frame_step >= nominal / 4 && ps->frame_step > 0 && ps->frame_step < nominal)
        return ps->frame_step;
    return nominal;
}

/*
 * The video holds its last picture over a hole in the timeline, one copy
 * per frame (hold_cadence()), so that every segment has pictures and the
 * audio (which gets silence over the same hole) stays in line. The copies
 * are references to the same buffers, as every fan-out is.
 */
static int hold_until(ladder_session *s, pump_state *ps, int64_t pts, int64_t max_frames)
{
    if (!ps->held->buf[0])
        return 0;
    int64_t step = hold_cadence(s, ps);
    int64_t n = timeline_hold_frames(ps->last_pts, pts, step, s->src_cfr, max_frames);
    int64_t from = ps->last_pts;
    for (int64_t k = 1; k <= n; k++) {
        ps->held->pts = from + k * step;
        ps->held->pkt_duration = step;
        int err = send_picture(s, ps, ps->held);
        if (err)
            return err;
        ps->held_frames++;
    }
    return 0;
}

/* A hole inside the input is at most TIMELINE_MAX_HOLD_US (longer jumps
 * are closed before decoding); this bounds the copies all the same. */
static int64_t max_hold_frames(const ladder_session *s)
{
    return av_rescale_q(TIMELINE_MAX_HOLD_US, AV_TIME_BASE_Q, s->src_tb) / s->nominal_frame_ticks + 1;
}

/* A decoded picture's time on the output timeline (source ticks from the
 * first picture). A source whose timestamps cannot be trusted (an
 * implausible rate) is timed by picture count at the measured rate. */
static int64_t picture_time(ladder_session *s, pump_state *ps, const AVFrame *frame)
{
    if (s->retime_video)
        return ps->frames * s->nominal_frame_ticks + (ps->have_origin ? s->origin_pts : 0);
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = ps->have_origin ? ps->last_pts + s->nominal_frame_ticks + s->origin_pts : 0;
    return pts;
}

static int receive_frames(ladder_session *s, AVFrame *frame, pump_state *ps)
{
    for (;;) {
        int ret = video_decoder_receive(s, frame, &ps->decode_errors);
        if (ret <= 0)
            return ret;
        int64_t pts = picture_time(s, ps, frame);
        if (!ps->have_origin) {
            ps->have_origin = true;
            s->origin_pts = pts;
            ps->last_pts = -1;
        }
        pts -= s->origin_pts;
        if (pts <= ps->last_pts) {
            /* Encoders and muxers need strictly increasing timestamps. */
            ps->dropped++;
            av_frame_unref(frame);
            continue;
        }
        frame->pts = pts;
        /* The source's rhythm: steps up to one and a half nominal frames
         * (a longer one is a hole, not a rhythm). */
        if (ps->frames > 0 && pts - ps->last_real_pts <= s->nominal_frame_ticks * 3 / 2)
            ps->frame_step = pts - ps->last_real_pts;
        ps->last_real_pts = pts;
        ps->frames++;
        ret = s->rotation ? rotate_frame(s, frame) : 0;
        if (!ret)
            ret = hold_until(s, ps, pts, max_hold_frames(s));
        if (!ret)
            ret = send_picture(s, ps, frame);
        av_frame_unref(frame);
        if (ret)
            return ret;
    }
}

/*
 * Every packet of the streams ladder uses is put on the one presentation
 * timeline (engine/timeline.c decides: splices and restarts continue
 * right after what came before, long forward jumps are closed, on every
 * stream alike) before it is decoded or copied.
 */
static void map_packet(ladder_session *s, AVPacket *pkt)
{
    if (pkt->stream_index != s->video_stream && !track_of(s, pkt->stream_index))
        return;
    AVRational tb = s->in->streams[pkt->stream_index]->time_base;
    /* Decode times only: presentation times go back and forth with
     * B-frames, which is no jump. */
    int64_t ts = pkt->dts;
    int64_t offset_us = timeline_packet(s->timeline, pkt->stream_index,
                                        ts == AV_NOPTS_VALUE ? TIMELINE_NO_TS
                                                             : av_rescale_q(ts, tb, AV_TIME_BASE_Q),
                                        pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : 0);
    int64_t offset = av_rescale_q(offset_us, AV_TIME_BASE_Q, tb);
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += offset;
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += offset;
}

/*
 * The end of the input: audio that runs past the last picture is kept, and
 * the video holds its last picture to cover it (the playlists end where
 * the longest stream does).
 */
static int hold_to_audio_end(ladder_session *s, pump_state *ps)
{
    ps->source_end_pts = ps->end_pts;
    double audio_end = 0;
    for (int k = 0; k < s->nb_audio; k++) {
        int err = audio_track_drain(s->audio[k].track);
        if (err) {
            session_fail(s, err, "audio %s: %s", s->audio[k].dir, ladder_strerror(err));
            return err;
        }
        double end = audio_track_end_seconds(s->audio[k].track);
        if (end > audio_end)
            audio_end = end;
    }
    if (!ps->have_origin)
        return 0;
    int64_t end = (int64_t)llround(audio_end / av_q2d(s->src_tb));
    /* An audio track usually ends within a frame or two of the video (the
     * encoder's last frame, muxing habits): that stays as it was, cut with
     * the last picture. Beyond that the audio is content. */
    int64_t slack = FFMAX(2 * s->nominal_frame_ticks, (int64_t)llround(0.1 / av_q2d(s->src_tb)));
    int64_t video_end = ps->end_pts;
    bool audio_longer = end > video_end + slack;
    /* A last picture meant to stay for long (a slideshow's) is held frame
     * by frame too: one picture as long as several segments would make a
     * segment that long. The audio's end is real data of the input,
     * however far: held all the way (--max-duration still bounds it). */
    int err = hold_until(s, ps, audio_longer ? end : video_end, INT64_MAX);
    if (!err && audio_longer && ps->end_pts > video_end)
        timeline_note(s->timeline, TIMELINE_END_HELD, s->video_stream,
                      av_rescale_q(video_end, s->src_tb, AV_TIME_BASE_Q),
                      av_rescale_q(ps->end_pts - video_end, s->src_tb, AV_TIME_BASE_Q));
    return err;
}

/* One log line per timeline event, and the events into the report. */
static void log_timeline(ladder_session *s, const pump_state *ps)
{
    const timeline_event *ev;
    int64_t total;
    int n = timeline_events(s->timeline, &ev, &total);
    int64_t origin_us = av_rescale_q(s->origin_pts, s->src_tb, AV_TIME_BASE_Q);
    for (int i = 0; i < n; i++) {
        ladder_timeline_event *out = &s->report.timeline_events[i];
        snprintf(out->kind, sizeof(out->kind), "%s", timeline_event_name(ev[i].kind));
        snprintf(out->action, sizeof(out->action), "%s", timeline_event_action(ev[i].kind));
        out->stream = ev[i].stream;
        /* Events noted after decoding are on the output timeline already. */
        bool output_time = ev[i].kind == TIMELINE_END_HELD || ev[i].kind == TIMELINE_AUDIO_FORMAT ||
                           ev[i].kind == TIMELINE_RATE_REPLACED;
        out->at = (double)(ev[i].at_us - (output_time ? 0 : origin_us)) / 1e6;
        out->size = (double)ev[i].size_us / 1e6;
        session_log(s, LADDER_LOG_INFO, "input '%s': event=timeline kind=%s stream=%d at=%.3f size=%.3f: %s",
                    s->input, out->kind, out->stream, out->at, out->size, out->action);
    }
    s->report.nb_timeline_events = n;
    s->report.timeline_events_total = total;
    s->report.frames_held = ps->held_frames;
    if (total > n)
        session_log(s, LADDER_LOG_INFO, "input '%s': %lld more timeline events not listed", s->input,
                    (long long)(total - n));
}

/* Demux and decode the source once; video to the rungs, each audio stream
 * to its rendition's track. */
static int run_pump(ladder_session *s, pump_state *ps)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    ps->held = av_frame_alloc();
    timeline_params tp = { .close_gaps = s->job.close_gaps, .max_hold_us = TIMELINE_MAX_HOLD_US };
    if (!pkt || !frame || !ps->held || timeline_init(&s->timeline, &tp)) {
        av_packet_free(&pkt);
        av_frame_free(&frame);
        av_frame_free(&ps->held);
        return LADDER_ENOMEM;
    }
    if (s->retime_video)
        timeline_note(s->timeline, TIMELINE_RATE_REPLACED, s->video_stream, 0,
                      (int64_t)llround(1e6 / s->rate_replaced_from));
    int err = 0;
    bool truncated = false;
    while (!err) {
        if (atomic_load(&s->cancelled) || atomic_load(&s->stopping)) {
            err = LADDER_ECANCELED;
            break;
        }
        int ret = av_read_frame(s->in, pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            truncated = true;     /* read error mid-file: the input is cut off */
            break;
        }
        map_packet(s, pkt);
        if (pkt->stream_index == s->video_stream) {
            err = video_decoder_send(s, pkt, &ps->decode_errors);
            if (!err)
                err = receive_frames(s, frame, ps);
        } else {
            audio_track *track = track_of(s, pkt->stream_index);
            if (track)
                err = feed_audio(s, ps, track, pkt);
        }
        av_packet_unref(pkt);
    }
    if (!err) {
        err = video_decoder_send(s, NULL, &ps->decode_errors);
        if (!err)
            err = receive_frames(s, frame, ps);
    }
    /* The last pictures may have come only with the decoder's flush. */
    err = flush_early_audio(s, ps, err);
    if (!err && !truncated)
        err = hold_to_audio_end(s, ps);
    flush_early_audio(s, ps, LADDER_ECANCELED);
    free(ps->early_audio);
    ps->early_audio = NULL;
    if (ps->early_audio_dropped)
        session_log(s, LADDER_LOG_WARNING, "input '%s': %lld audio packets before the first picture lost "
                    "(more than %zu MiB)", s->input, (long long)ps->early_audio_dropped,
                    EARLY_AUDIO_MAX_BYTES >> 20);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    av_frame_free(&ps->held);
    if (!err && truncated) {
        /* A ladder of the first few seconds of a cut-off file would look
         * like a complete one; refuse it. */
        err = LADDER_EINPUT_INVALID;
        session_fail(s, err, "input '%s': truncated or corrupt: read error after %lld frames",
                     s->input, (long long)ps->frames);
    }
    if (ps->decode_errors)
        session_log(s, LADDER_LOG_INFO, "input '%s': %lld undecodable video packets skipped",
                    s->input, (long long)ps->decode_errors);
    log_timeline(s, ps);
    if (ps->dropped)
        session_log(s, LADDER_LOG_WARNING, "input '%s': %lld frames with repeated timestamps dropped",
                    s->input, (long long)ps->dropped);
    return err;
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
 * never under 512 MiB. More buys no speed: measured on a 4-rung 1080p ladder
 * on 2 cores, 512 MiB ran as fast as 1 GiB, and every extra byte is a fresh
 * page to fault in (about 1 s per GiB on a virtual machine).
 */
static size_t auto_memory_budget(const ladder_session *s, int slots)
{
    double frames_per_chunk = s->job.segment_seconds * av_q2d(s->src_rate);
    if (!(frames_per_chunk > 0))
        frames_per_chunk = s->job.segment_seconds * 30;
    size_t largest = 0;
    for (int i = 0; i < s->nb_rungs; i++) {
        size_t chunk = s->rungs[i].frame_bytes * (size_t)ceil(frames_per_chunk);
        if (chunk > largest)
            largest = chunk;
    }
    size_t budget = largest * (size_t)(slots + 1);
    size_t floor_bytes = (size_t)512 << 20;
    return budget > floor_bytes ? budget : floor_bytes;
}

static int start_threads(ladder_session *s)
{
    int64_t frames_total[LADDER_MAX_RUNGS];
    double cost[LADDER_MAX_RUNGS];
    for (int i = 0; i < s->nb_rungs; i++) {
        frames_total[i] = s->rungs[i].frames_total;
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

/*
 * A source that decoded to much less than its container holds was cut
 * off or broken: a ladder of its first seconds would pass for the whole.
 * Fewer pictures alone prove nothing (an edit list hides some, an AVI's
 * empty frames repeat the one before), so the pictures must also end well
 * before the time the container says the video lasts.
 */
static void check_complete(ladder_session *s, const pump_state *ps)
{
    const AVStream *st = s->in->streams[s->video_stream];
    int64_t declared = st->nb_frames;
    if (declared <= 0 || ps->frames >= declared * 9 / 10)
        return;
    double claimed = 0;
    if (st->duration > 0)
        claimed = (double)st->duration * av_q2d(st->time_base);
    else if (s->in->duration > 0)
        claimed = (double)s->in->duration / AV_TIME_BASE;
    double presented = (double)ps->source_end_pts * av_q2d(s->src_tb);
    if (claimed > 0 && presented >= claimed * 0.9)
        return;
    session_fail(s, LADDER_EINPUT_INVALID,
                 "input '%s': truncated or corrupt: decoded %lld of %lld frames (%.2f of %.2f s)", s->input,
                 (long long)ps->frames, (long long)declared, presented, claimed);
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
        kept += s->rungs[i].nb_segments;
    resume_stopped(s, "stop requested");
    session_fail(s, LADDER_ESTOPPED,
                 "output '%s': stopped at a chunk boundary with %d segments kept; run again with --resume to "
                 "continue", s->output_dir, kept);
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

    pump_state ps = { 0 };
    err = start_threads(s);
    if (err)
        session_fail(s, err, "cannot start worker threads: %s", ladder_strerror(err));
    else
        err = run_pump(s, &ps);
    if (!err) {
        /* End of stream: every scaler completes its last chunk. */
        for (int i = 0; i < s->nb_rungs && !err; i++)
            if (ladder_frame_fifo_push(s->rungs[i].input, (ladder_fifo_item){ .frame = NULL }))
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
        check_complete(s, &ps);
    s->report.frames_in = ps.frames;
    s->report.source_duration = (double)ps.end_pts * av_q2d(s->src_tb);
    s->report.memory_budget = (int64_t)s->job.memory_budget;
    s->report.queue_peak_bytes = (int64_t)ladder_chunk_queue_peak_bytes(s->queue);
    s->report.frame_pool_bytes = (int64_t)ladder_frame_pool_bytes(s->dec_pool);
    session_log(s, LADDER_LOG_DEBUG, "event=frame_pool owner=decoder bytes=%zu",
                ladder_frame_pool_bytes(s->dec_pool));
    for (int i = 0; i < s->nb_rungs; i++) {
        s->report.frame_pool_bytes += (int64_t)ladder_frame_pool_bytes(s->rungs[i].pool);
        session_log(s, LADDER_LOG_DEBUG, "rung=%s event=frame_pool owner=scaler bytes=%zu",
                    s->rungs[i].cfg.name, ladder_frame_pool_bytes(s->rungs[i].pool));
    }
    if (s->error_code) {
        for (int i = 0; i < s->nb_rungs; i++) {
            pthread_mutex_lock(&s->progress_lock);
            s->rungs[i].state = LADDER_RUNG_FAILED;
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
        sws_freeContext(r->sws);
        gpu_scale_close(&r->gpu);
        ladder_frame_pool_close(r->pool);
        chunk_free(r->building);
        while (r->pending) {
            encoded_chunk *next = r->pending->next;
            encoded_chunk_free(r->pending);
            r->pending = next;
        }
        ladder_cmaf_writer_close(r->writer);
        avcodec_parameters_free(&r->codecpar);
        rung_devices_close(r);
        free(r->segments);
        pthread_mutex_destroy(&r->finalize_lock);
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
    avformat_close_input(&s->in);
    timeline_close(s->timeline);
    resume_close(s);
    pthread_mutex_destroy(&s->error_lock);
    pthread_mutex_destroy(&s->progress_lock);
    free(s->input);
    free(s->output_dir);
    free(s->preset);
    free(s->allow_protocols);
    free(s->job_rungs);
    rotate_close(s);
    free(s);
}
