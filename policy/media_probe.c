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

#include "engine/input_policy.h"
#include "policy/media_probe.h"

#define DEFAULT_SCAN_SECONDS 10.0
#define MAX_SCAN_PACKETS 20000    /* bounds the scan of a very high frame rate */

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

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * H.264 and HEVC keep at most 16 pictures back for reordering: every
 * picture decoded before one inside the window and shown after it is
 * among them, so once 17 packets past the window have come none of the
 * later ones can fall inside it.
 */
#define MAX_REORDER 16

/* What the scan of the first scan_seconds of the video read. */
typedef struct rate_scan {
    int64_t *pts;                 /* presentation times inside the window */
    int n;
    int64_t pictures;             /* every picture read, in the window or not */
    bool whole;                   /* the scan read to the end of the input (no read error) */
} rate_scan;

/*
 * Read the video's packets in decode order while their presentation times
 * can still fall inside [first, first + scan_seconds]: with B-frames a
 * picture inside the window arrives after pictures beyond it, and leaving
 * it out would put a hole at the window's end (a CFR source then measures
 * slower than its rate, and VFR). Packets the demuxer marks discarded (an
 * edit list's) are not pictures the decoder gives.
 */
static void scan_window(AVFormatContext *in, int video, double scan_seconds, AVPacket *pkt, rate_scan *r)
{
    AVStream *st = in->streams[video];
    double ticks = scan_seconds / av_q2d(st->time_base);
    int64_t limit = ticks < 9e18 ? (int64_t)ticks : INT64_MAX;
    int64_t first = AV_NOPTS_VALUE;
    int past = 0;
    while (r->n < MAX_SCAN_PACKETS && past <= MAX_REORDER) {
        int ret = av_read_frame(in, pkt);
        if (ret < 0) {
            r->whole = ret == AVERROR_EOF;   /* a read error: not all of them counted */
            return;
        }
        if (pkt->stream_index == video && !(pkt->flags & AV_PKT_FLAG_DISCARD)) {
            r->pictures++;
            int64_t t = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
            if (t != AV_NOPTS_VALUE && first == AV_NOPTS_VALUE)
                first = t;
            /* Unsigned: a hostile file's times must not overflow the difference. */
            if (t != AV_NOPTS_VALUE && (t <= first || (uint64_t)t - (uint64_t)first <= (uint64_t)limit))
                r->pts[r->n++] = t;
            else if (t != AV_NOPTS_VALUE)
                past++;
        }
        av_packet_unref(pkt);
    }
}

/*
 * Frame rate = pictures over the span of their presentation times (sorted:
 * B-frames arrive out of order), and VFR when an interval differs from the
 * median by more than timestamp rounding allows (one tick and a half, or
 * 2 %: a 1 ms time base stores 29.97 fps as 33 and 34 ms).
 */
static int judge_intervals(ladder_media_probe *p, ladder_probe_stream *s, const AVStream *st, rate_scan *r)
{
    int n = r->n;
    int64_t *pts = r->pts;
    qsort(pts, (size_t)n, sizeof(*pts), compare_i64);
    s->measured_frames = n;
    if (n < 3 || pts[n - 1] <= pts[0])
        return 0;
    double span = ((double)pts[n - 1] - (double)pts[0]) * av_q2d(st->time_base);
    s->measured_frame_rate = (n - 1) / span;
    p->scan_seconds = span;
    int64_t *gaps = malloc((size_t)(n - 1) * sizeof(*gaps));
    if (!gaps)
        return LADDER_ENOMEM;
    for (int i = 0; i + 1 < n; i++) {
        uint64_t gap = (uint64_t)pts[i + 1] - (uint64_t)pts[i];   /* sorted: never negative */
        gaps[i] = gap > INT64_MAX ? INT64_MAX : (int64_t)gap;
    }
    qsort(gaps, (size_t)(n - 1), sizeof(*gaps), compare_i64);
    double median = (double)gaps[(n - 1) / 2];
    double slack = fmax(1.5, 0.02 * median);
    s->vfr = (double)gaps[n - 2] - median > slack || median - (double)gaps[0] > slack;
    free(gaps);
    return 0;
}

/*
 * The pictures the decoder will give: counted when the scan read the whole
 * input, else the container's count (what ladder encode's progress
 * expects), else the duration at the measured (or header) rate.
 */
static void estimate_frames(const ladder_media_probe *p, ladder_probe_stream *s, const AVStream *st,
                            const rate_scan *r)
{
    if (r->whole) {
        s->frames = r->pictures;
        s->frames_counted = true;
        return;
    }
    double rate = s->measured_frame_rate > 0 ? s->measured_frame_rate
                  : s->avg_frame_rate > 0 ? s->avg_frame_rate : s->header_frame_rate;
    double duration = st->duration > 0 ? (double)st->duration * av_q2d(st->time_base) : p->duration;
    s->frames = st->nb_frames > 0 ? st->nb_frames : (int64_t)llround(duration * rate);
}

static int measure_frame_rate(ladder_media_probe *p, AVFormatContext *in, int video, double scan_seconds)
{
    rate_scan r = { .pts = malloc(MAX_SCAN_PACKETS * sizeof(int64_t)) };
    AVPacket *pkt = av_packet_alloc();
    if (!r.pts || !pkt) {
        free(r.pts);
        av_packet_free(&pkt);
        return LADDER_ENOMEM;
    }
    scan_window(in, video, scan_seconds, pkt, &r);
    av_packet_free(&pkt);
    ladder_probe_stream *s = &p->streams[video];
    int ret = judge_intervals(p, s, in->streams[video], &r);
    estimate_frames(p, s, in->streams[video], &r);
    free(r.pts);
    return ret;
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
