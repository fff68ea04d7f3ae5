/* Private to jobs/: the context every job type runs with, and the shared
 * decode / transcode / image helpers. */
#ifndef LADDER_JOBS_JOB_INTERNAL_H
#define LADDER_JOBS_JOB_INTERNAL_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "ladder/job.h"

typedef struct job_ctx {
    const ladder_job_spec *spec;
    /* What libavformat opens for spec->input (ladder_job_input_open_path:
     * "./" before a relative name FFmpeg would read as "proto:"). */
    const char *input_path;
    const ladder_job_sink *sink;
    ladder_job_runner *runner;    /* cancellation */
    const char *dir;              /* the temporary output directory */
    bool dir_adopted;             /* an earlier attempt's, with its resume journal */
    ladder_job_result *result;
    char *err;
    size_t err_size;
} job_ctx;

/* Record the one-line error (first one wins) and return code. */
int job_fail(job_ctx *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void job_progress(job_ctx *c, const char *stage, double percent);
bool job_cancelled(const job_ctx *c);
/* The ladder type's session, so a cancel reaches it (NULL to unregister,
 * before closing it). */
struct ladder_session;
void job_set_session(job_ctx *c, struct ladder_session *s);
/* dir/name, malloc'ed */
char *job_path(const job_ctx *c, const char *name);
/* Append an output file (path in the temporary dir; renamed later). */
int job_add_output(job_ctx *c, const char *tmp_path, double duration, int width, int height);
/* printf into result->extra_json (appends, comma-separated). */
int job_extra(job_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct job_input {
    AVFormatContext *fmt;
    int vi, ai;                   /* stream indexes, -1 when none */
    AVCodecContext *vdec, *adec;
    double duration;              /* seconds, 0 when unknown */
    double start;                 /* the container's start time, seconds */
    int rotation;                 /* the video's display matrix: clockwise degrees to turn it upright */
} job_input;

/* Open and probe the input, open the video decoder (and the audio one when
 * want_audio and there is audio). LADDER_EINPUT_MISSING/INVALID, ENOVIDEO. */
int job_input_open(job_ctx *c, job_input *in, bool want_audio);
void job_input_close(job_input *in);

/* Called for each decoded frame; is_audio tells which decoder. Return 0 to
 * go on, 1 to stop decoding, < 0 to fail. The frame is unref'ed after. */
typedef int (*job_frame_cb)(void *opaque, bool is_audio, AVFrame *f);
/* Decode from the current position; at the end the decoders are drained. */
int job_input_decode(job_ctx *c, job_input *in, job_frame_cb cb, void *opaque);
/* Seek so the next decoded frames start at or before t (seconds, source time). */
int job_input_seek(job_input *in, double t);
/* A frame's time in seconds on its stream, relative to the container start. */
double job_frame_time(const job_input *in, bool is_audio, const AVFrame *f);

typedef struct job_transcode_opts {
    const char *path;             /* output MP4 */
    const char *vfilter;          /* between the decoder and the encoder */
    const char *afilter;          /* NULL = no audio in the output */
    int bitrate_kbps, crf;        /* crf used when bitrate_kbps is 0 */
    const char *preset;
    int audio_bitrate_kbps, audio_channels, audio_rate;
    double seek;                  /* < 0: decode from the start */
    double stop;                  /* < 0: to the end; else stop after this source time */
    double expected_duration;     /* output seconds, for progress */
} job_transcode_opts;

/* Decode -> filters -> libx264 (+ AAC) -> faststart MP4. */
int job_transcode(job_ctx *c, job_input *in, const job_transcode_opts *o);

/* Encode one picture (any pixel format: converted) as JPEG or WebP. */
int job_write_image(job_ctx *c, const AVFrame *f, ladder_image_format fmt, int quality, const char *path);

/* Scale src into dst (allocated by the caller, YUVJ420P or YUV420P) at x,y
 * with size w x h. */
int job_scale_into(job_ctx *c, const AVFrame *src, AVFrame *dst, int x, int y, int w, int h);
/* The same for a source whose display matrix turns it (rotation: clockwise
 * degrees, 0/90/180/270, ladder_stream_rotation()): the w x h box of dst
 * gets the upright picture. Scales first, then turns the small picture. */
int job_scale_upright_into(job_ctx *c, const AVFrame *src, AVFrame *dst, int x, int y, int w, int h,
                           int rotation);

/* Type runners. */
int job_run_proxy(job_ctx *c);
int job_run_thumbnail(job_ctx *c);
int job_run_filmstrip(job_ctx *c);
int job_run_conform(job_ctx *c);
int job_run_trim(job_ctx *c);
int job_run_ladder(job_ctx *c);

#endif
