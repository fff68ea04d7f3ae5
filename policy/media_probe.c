/*
 * Source facts for `ladder probe`: libavformat's stream parameters, plus a
 * frame-rate measurement from packet timestamps (a container's r_frame_rate
 * is a guess: a VFR file often claims a constant rate).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>

#include "engine/frame_rate.h"
#include "engine/input_policy.h"
#include "policy/media_probe.h"

#define DEFAULT_SCAN_SECONDS FRAME_RATE_SCAN_SECONDS

static void copy_text(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

static const char *type_name(enum AVMediaType t)
{
    const char *name = av_get_media_type_string(t);
    return name ? name : "unknown";
}

static double q2d_or_zero(AVRational q)
{
    return q.num > 0 && q.den > 0 ? av_q2d(q) : 0;
}

static void fill_video(ladder_probe_stream *s, AVFormatContext *in, AVStream *st)
{
    const AVCodecParameters *par = st->codecpar;
    s->width = par->width;
    s->height = par->height;
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get((enum AVPixelFormat)par->format);
    if (desc) {
        copy_text(s->pix_fmt, sizeof(s->pix_fmt), desc->name);
        s->bit_depth = desc->comp[0].depth;
    }
    const char *trc = av_color_transfer_name(par->color_trc);
    copy_text(s->color_transfer, sizeof(s->color_transfer), trc ? trc : "unknown");
    const char *prim = av_color_primaries_name(par->color_primaries);
    copy_text(s->color_primaries, sizeof(s->color_primaries), prim ? prim : "unknown");
    copy_text(s->hdr, sizeof(s->hdr), par->color_trc == AVCOL_TRC_SMPTE2084 ? "PQ"
                                      : par->color_trc == AVCOL_TRC_ARIB_STD_B67 ? "HLG" : "SDR");
    AVRational sar = av_guess_sample_aspect_ratio(in, st, NULL);
    if (sar.num <= 0 || sar.den <= 0)
        sar = (AVRational){ 1, 1 };
    s->sar_num = sar.num;
    s->sar_den = sar.den;
    if (par->width > 0 && par->height > 0)
        av_reduce(&s->dar_num, &s->dar_den, (int64_t)par->width * sar.num,
                  (int64_t)par->height * sar.den, 1 << 30);
    s->header_frame_rate = q2d_or_zero(st->r_frame_rate);
    s->avg_frame_rate = q2d_or_zero(st->avg_frame_rate);
    const int32_t *matrix = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (matrix) {
        double deg = av_display_rotation_get(matrix);
        if (!isnan(deg))
            s->rotation = deg == 0 ? 0 : deg; /* no "-0" in the output */
    }
    s->attached_pic = (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0;
}

static void fill_audio(ladder_probe_stream *s, const AVStream *st)
{
    const AVCodecParameters *par = st->codecpar;
    s->sample_rate = par->sample_rate;
    s->channels = par->ch_layout.nb_channels;
    if (av_channel_layout_describe(&par->ch_layout, s->channel_layout, sizeof(s->channel_layout)) < 0)
        s->channel_layout[0] = '\0';
    s->bit_depth = par->bits_per_raw_sample > 0 ? par->bits_per_raw_sample
                   : par->format >= 0 ? av_get_bytes_per_sample((enum AVSampleFormat)par->format) * 8 : 0;
}

/*
 * The frame rate from packet timestamps, measured as the encode measures
 * it (engine/frame_rate.c's window: the first scan_seconds of presentation
 * time, B-frames shown inside it read on for, discarded packets left out,
 * ended at a jump back): pictures over the span of their presentation
 * times, and VFR when an interval differs from the median by more than
 * timestamp rounding. The pictures the decoder will give are counted when
 * the scan read the whole input, else the container's count (what ladder
 * encode's progress expects), else the duration at the measured (or
 * header) rate.
 */
static int measure_frame_rate(ladder_media_probe *p, AVFormatContext *in, int video, double scan_seconds)
{
    AVStream *st = in->streams[video];
    frame_rate_window w;
    AVPacket *pkt = av_packet_alloc();
    int ret = frame_rate_window_init(&w, st, scan_seconds);
    if (!ret && !pkt)
        ret = LADDER_ENOMEM;
    bool whole = false;
    while (!ret && !w.done) {
        int r = av_read_frame(in, pkt);
        if (r < 0) {
            whole = r == AVERROR_EOF;   /* a read error: not all of them counted */
            break;
        }
        if (pkt->stream_index == video)
            frame_rate_window_add(&w, pkt);
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    frame_rate_measure m = { 0 };
    if (!ret)
        ret = frame_rate_window_judge(&w, 0, &m);
    frame_rate_window_free(&w);
    if (ret)
        return ret;
    ladder_probe_stream *s = &p->streams[video];
    s->measured_frames = m.frames;
    s->measured_frame_rate = m.rate;
    s->vfr = m.vfr;
    if (m.rate > 0)
        p->scan_seconds = m.span;
    if (whole) {
        s->frames = w.pictures;
        s->frames_counted = true;
        return 0;
    }
    double rate = s->measured_frame_rate > 0 ? s->measured_frame_rate
                  : s->avg_frame_rate > 0 ? s->avg_frame_rate : s->header_frame_rate;
    double duration = st->duration > 0 ? (double)st->duration * av_q2d(st->time_base) : p->duration;
    s->frames = st->nb_frames > 0 ? st->nb_frames : (int64_t)llround(duration * rate);
    return 0;
}

int ladder_media_probe_open(ladder_media_probe **out, const char *path, double scan_seconds,
                            char *err, size_t err_size)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || access(path, R_OK) != 0) {
        snprintf(err, err_size, "input '%s': %s", path, strerror(errno));
        return LADDER_EINPUT_MISSING;
    }
    if (S_ISDIR(sb.st_mode)) {
        snprintf(err, err_size, "input '%s': is a directory", path);
        return LADDER_EINPUT_MISSING;
    }
    if (S_ISREG(sb.st_mode) && sb.st_size == 0) {
        snprintf(err, err_size, "input '%s': file is empty", path);
        return LADDER_EINPUT_INVALID;
    }
    /* The default input policy (ladder/input_policy.h): a playlist or a
     * concat list is not probed through, it is refused. */
    AVFormatContext *in = NULL;
    int ret = ladder_input_open(&in, path, NULL, err, err_size);
    if (ret)
        return ret;
    /* libavformat shows a text file as video ("tty"): not media. */
    if (!strcmp(in->iformat->name, "tty") || avformat_find_stream_info(in, NULL) < 0 ||
        in->nb_streams == 0) {
        snprintf(err, err_size, "input '%s': not a media file (%s)", path,
                 !strcmp(in->iformat->name, "tty") ? "text" : "no readable streams");
        avformat_close_input(&in);
        return LADDER_EINPUT_INVALID;
    }

    ladder_media_probe *p = calloc(1, sizeof(*p));
    if (p)
        p->streams = calloc(in->nb_streams, sizeof(*p->streams));
    if (!p || !p->streams) {
        ladder_media_probe_free(p);
        avformat_close_input(&in);
        snprintf(err, err_size, "input '%s': out of memory", path);
        return LADDER_ENOMEM;
    }
    copy_text(p->path, sizeof(p->path), path);
    copy_text(p->format, sizeof(p->format), in->iformat->name);
    copy_text(p->format_long, sizeof(p->format_long), in->iformat->long_name);
    p->duration = in->duration > 0 ? (double)in->duration / AV_TIME_BASE : 0;
    p->size = (int64_t)sb.st_size;
    p->bit_rate = in->bit_rate;
    p->nb_streams = (int)in->nb_streams;
    for (unsigned i = 0; i < in->nb_streams; i++) {
        AVStream *st = in->streams[i];
        const AVCodecParameters *par = st->codecpar;
        ladder_probe_stream *s = &p->streams[i];
        s->index = (int)i;
        copy_text(s->type, sizeof(s->type), type_name(par->codec_type));
        copy_text(s->codec, sizeof(s->codec), avcodec_get_name(par->codec_id));
        copy_text(s->profile, sizeof(s->profile), avcodec_profile_name(par->codec_id, par->profile));
        s->bit_rate = par->bit_rate;
        if (par->codec_type == AVMEDIA_TYPE_VIDEO)
            fill_video(s, in, st);
        else if (par->codec_type == AVMEDIA_TYPE_AUDIO)
            fill_audio(s, st);
        const AVDictionaryEntry *tag = av_dict_get(st->metadata, "language", NULL, 0);
        if (tag && strcmp(tag->value, "und"))
            copy_text(s->language, sizeof(s->language), tag->value);
        tag = av_dict_get(st->metadata, "title", NULL, 0);
        if (tag)
            copy_text(s->title, sizeof(s->title), tag->value);
        s->is_default = (st->disposition & AV_DISPOSITION_DEFAULT) != 0;
    }
    p->video_stream = ladder_input_video_stream(in);
    if (p->video_stream >= 0) {
        ret = measure_frame_rate(p, in, p->video_stream,
                                 scan_seconds > 0 ? scan_seconds : DEFAULT_SCAN_SECONDS);
        if (ret) {
            ladder_media_probe_free(p);
            avformat_close_input(&in);
            snprintf(err, err_size, "input '%s': out of memory", path);
            return ret;
        }
    }
    avformat_close_input(&in);
    *out = p;
    return 0;
}

void ladder_media_probe_set_frames(ladder_media_probe *p, int64_t frames)
{
    if (!p || p->video_stream < 0 || frames < 0)
        return;
    p->streams[p->video_stream].frames = frames;
    p->streams[p->video_stream].frames_counted = true;
}

void ladder_media_probe_free(ladder_media_probe *p)
{
    if (!p)
        return;
    free(p->streams);
    free(p);
}

const ladder_probe_stream *ladder_media_probe_video(const ladder_media_probe *p)
{
    return p->video_stream >= 0 ? &p->streams[p->video_stream] : NULL;
}

void ladder_media_probe_display_size(const ladder_media_probe *p, int *width, int *height)
{
    const ladder_probe_stream *v = ladder_media_probe_video(p);
    *width = *height = 0;
    if (!v)
        return;
    /* As ladder encode (engine/input.c): the SAR stretches the width. */
    *width = v->sar_num != v->sar_den ? (int)lrint((double)v->width * v->sar_num / v->sar_den) : v->width;
    *height = v->height;
}
