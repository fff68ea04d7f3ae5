/* Opening and decoding a job's input (libavformat + libavcodec). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/input_policy.h"
#include "ladder/ladder.h"
#include "job_internal.h"

static int open_decoder(job_ctx *c, job_input *in, int index, AVCodecContext **out)
{
    AVStream *st = in->fmt->streams[index];
    const AVCodec *dec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!dec)
        return job_fail(c, LADDER_EINPUT_INVALID, "input '%s': no decoder for stream %d (%s)",
                        c->spec->input, index, avcodec_get_name(st->codecpar->codec_id));
    AVCodecContext *ctx = avcodec_alloc_context3(dec);
    if (!ctx)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    int ret = avcodec_parameters_to_context(ctx, st->codecpar);
    ctx->pkt_timebase = st->time_base;
    /* Two threads: the host's cores are shared with other jobs. */
    ctx->thread_count = 2;
    if (ret >= 0)
        ret = avcodec_open2(ctx, dec, NULL);
    if (ret < 0) {
        avcodec_free_context(&ctx);
        return job_fail(c, LADDER_EINPUT_INVALID, "input '%s': cannot open the %s decoder: %s",
                        c->spec->input, dec->name, av_err2str(ret));
    }
    *out = ctx;
    return 0;
}

/*
 * The input policy of ladder/input_policy.h: a local file, or the one URL
 * the spec's url_allow (or LADDER_JOB_URL_ALLOW) let through, with its own
 * protocol only; playlist-like formats are never a job's input.
 */
static int open_with_policy(job_ctx *c, job_input *in, const char *path)
{
    const char *proto = ladder_job_input_is_url(c->spec->input) ? avio_find_protocol_name(path) : NULL;
    ladder_input_policy policy = { .allow_protocols = proto, .allow_playlists = false };
    char msg[512];
    int ret = ladder_input_open(&in->fmt, path, &policy, msg, sizeof(msg));
    return ret ? job_fail(c, ret, "%s", msg) : 0;
}

/* Every job type decodes the whole picture: the encode limit on its size
 * (the spec's or host configuration's max_pixels, else the built-in
 * default) holds for all of them, before a decoder is opened. */
static int check_pixels(job_ctx *c, const AVStream *vs)
{
    long long max = c->spec->max_pixels ? c->spec->max_pixels : LADDER_DEFAULT_MAX_PIXELS;
    long long w = vs->codecpar->width, h = vs->codecpar->height;
    if (max < 0 || w * h <= max)
        return 0;
    return job_fail(c, LADDER_ELIMIT, "input '%s': %lldx%lld is more than %lld pixels (max_pixels)",
                    c->spec->input, w, h, max);
}

int job_input_open(job_ctx *c, job_input *in, bool want_audio)
{
    memset(in, 0, sizeof(*in));
    in->vi = in->ai = -1;
    /* Opened as input_path ("./" before a name FFmpeg would read as a
     * protocol), named as the spec wrote it. */
    const char *path = c->input_path;
    if (!ladder_job_input_is_url(c->spec->input)) {
        struct stat sb;
        if (stat(path, &sb) != 0 || access(path, R_OK) != 0)
            return job_fail(c, LADDER_EINPUT_MISSING, "input '%s': %s", c->spec->input, strerror(errno));
        if (S_ISDIR(sb.st_mode))
            return job_fail(c, LADDER_EINPUT_MISSING, "input '%s': is a directory", c->spec->input);
    }
    int ret = open_with_policy(c, in, path);
    if (ret)
        return ret;
    ret = avformat_find_stream_info(in->fmt, NULL);
    if (ret < 0)
        return job_fail(c, LADDER_EINPUT_INVALID, "input '%s': %s", c->spec->input, av_err2str(ret));
    in->vi = av_find_best_stream(in->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (in->vi < 0)
        return job_fail(c, LADDER_ENOVIDEO, "input '%s': no video stream", c->spec->input);
    /* A cover picture is not the video. */
    if (in->fmt->streams[in->vi]->disposition & AV_DISPOSITION_ATTACHED_PIC)
        return job_fail(c, LADDER_ENOVIDEO, "input '%s': no video stream (only a cover picture)", c->spec->input);
    in->rotation = ladder_stream_rotation(in->fmt->streams[in->vi]);
    if (want_audio) {
        in->ai = av_find_best_stream(in->fmt, AVMEDIA_TYPE_AUDIO, -1, in->vi, NULL, 0);
        if (in->ai < 0)
            in->ai = -1;
    }
    in->start = in->fmt->start_time != AV_NOPTS_VALUE ? in->fmt->start_time / (double)AV_TIME_BASE : 0;
    if (in->fmt->duration > 0)
        in->duration = in->fmt->duration / (double)AV_TIME_BASE;
    AVStream *vs = in->fmt->streams[in->vi];
    if (vs->duration > 0 && vs->duration != AV_NOPTS_VALUE)
        in->duration = vs->duration * av_q2d(vs->time_base);
    for (unsigned i = 0; i < in->fmt->nb_streams; i++)
        if ((int)i != in->vi && (int)i != in->ai)
            in->fmt->streams[i]->discard = AVDISCARD_ALL;
    if ((ret = check_pixels(c, vs)))
        return ret;
    if ((ret = open_decoder(c, in, in->vi, &in->vdec)))
        return ret;
    if (in->ai >= 0 && (ret = open_decoder(c, in, in->ai, &in->adec)))
        return ret;
    return 0;
}

void job_input_close(job_input *in)
{
    avcodec_free_context(&in->vdec);
    avcodec_free_context(&in->adec);
    avformat_close_input(&in->fmt);
}

double job_frame_time(const job_input *in, bool is_audio, const AVFrame *f)
{
    AVStream *st = in->fmt->streams[is_audio ? in->ai : in->vi];
    int64_t ts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    if (ts == AV_NOPTS_VALUE)
        return 0;
    return ts * av_q2d(st->time_base) - in->start;
}

int job_input_seek(job_input *in, double t)
{
    int64_t ts = (int64_t)((t + in->start) * AV_TIME_BASE);
    int ret = av_seek_frame(in->fmt, -1, ts, AVSEEK_FLAG_BACKWARD);
    if (ret < 0)
        return ret;
    avcodec_flush_buffers(in->vdec);
    if (in->adec)
        avcodec_flush_buffers(in->adec);
    return 0;
}

/* Receive every frame the decoder has; 1 when the callback asked to stop. */
static int drain(job_ctx *c, job_input *in, AVCodecContext *dec, AVFrame *f, job_frame_cb cb, void *opaque)
{
    for (;;) {
        int ret = avcodec_receive_frame(dec, f);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return job_fail(c, LADDER_EINPUT_INVALID, "input '%s': decoding failed: %s", c->spec->input,
                            av_err2str(ret));
        ret = cb(opaque, dec == in->adec, f);
        av_frame_unref(f);
        if (ret)
            return ret;
    }
}

int job_input_decode(job_ctx *c, job_input *in, job_frame_cb cb, void *opaque)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    int ret = 0;
    if (!pkt || !f) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    while (!ret) {
        if (job_cancelled(c)) {
            ret = job_fail(c, LADDER_ECANCELED, "cancelled");
            break;
        }
        int r = av_read_frame(in->fmt, pkt);
        if (r == AVERROR_EOF)
            break;
        if (r < 0) {
            ret = job_fail(c, LADDER_EINPUT_INVALID, "input '%s': read failed: %s", c->spec->input,
                           av_err2str(r));
            break;
        }
        AVCodecContext *dec = pkt->stream_index == in->vi ? in->vdec
                            : pkt->stream_index == in->ai ? in->adec : NULL;
        if (dec) {
            r = avcodec_send_packet(dec, pkt);
            /* A damaged packet is skipped like players do; the decoder
             * reports real trouble through receive_frame. */
            if (r < 0 && r != AVERROR(EAGAIN) && r != AVERROR_INVALIDDATA) {
                ret = job_fail(c, LADDER_EINPUT_INVALID, "input '%s': decoding failed: %s", c->spec->input,
                               av_err2str(r));
            } else {
                ret = drain(c, in, dec, f, cb, opaque);
            }
        }
        av_packet_unref(pkt);
    }
    /* End of input: flush both decoders, unless the callback stopped us. */
    if (!ret) {
        avcodec_send_packet(in->vdec, NULL);
        ret = drain(c, in, in->vdec, f, cb, opaque);
    }
    if (!ret && in->adec) {
        avcodec_send_packet(in->adec, NULL);
        ret = drain(c, in, in->adec, f, cb, opaque);
    }
done:
    av_packet_free(&pkt);
    av_frame_free(&f);
    return ret == 1 ? 0 : ret;
}
