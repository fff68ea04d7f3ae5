/* Media facts for `ladder bench`. See bench_media.h. */
#include "bench_media.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/pixdesc.h>

#include "ladder/error.h"
#include "ladder/ladder.h"

int bench_media_probe(const char *path, int audio_kbps, bench_media_info *out,
                      char *err, size_t err_size)
{
    memset(out, 0, sizeof(*out));
    if (access(path, R_OK)) {
        snprintf(err, err_size, "%s: %s", path, errno == ENOENT ? "no such file" : strerror(errno));
        return LADDER_EINPUT_MISSING;
    }
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0) {
        snprintf(err, err_size, "%s: not a media file FFmpeg can open", path);
        return LADDER_EINPUT_INVALID;
    }
    int ret = 0;
    if (avformat_find_stream_info(fmt, NULL) < 0) {
        snprintf(err, err_size, "%s: cannot read stream information", path);
        ret = LADDER_EINPUT_INVALID;
        goto done;
    }
    int vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (vi < 0) {
        snprintf(err, err_size, "%s: no video stream", path);
        ret = LADDER_ENOVIDEO;
        goto done;
    }
    AVStream *vs = fmt->streams[vi];
    const AVCodecParameters *vp = vs->codecpar;
    out->width = vp->width;
    out->height = vp->height;
    AVRational sar = av_guess_sample_aspect_ratio(fmt, vs, NULL);
    out->sar_num = sar.num > 0 && sar.den > 0 ? sar.num : 1;
    out->sar_den = sar.num > 0 && sar.den > 0 ? sar.den : 1;
    /* As engine/input.c: the width stretches, the height stays. */
    out->display_w = out->sar_num != out->sar_den
                         ? (int)lrint((double)vp->width * out->sar_num / out->sar_den) : vp->width;
    out->display_h = vp->height;
    AVRational rate = vs->avg_frame_rate.num > 0 && vs->avg_frame_rate.den > 0 ? vs->avg_frame_rate
                                                                              : vs->r_frame_rate;
    if (rate.num > 0 && rate.den > 0) {
        out->fps_num = rate.num;
        out->fps_den = rate.den;
    }
    snprintf(out->video_codec, sizeof(out->video_codec), "%s", avcodec_get_name(vp->codec_id));
    const char *pf = av_get_pix_fmt_name((enum AVPixelFormat)vp->format);
    snprintf(out->pix_fmt, sizeof(out->pix_fmt), "%s", pf ? pf : "unknown");
    out->duration = fmt->duration > 0 ? (double)fmt->duration / AV_TIME_BASE : 0;

    /* The first audio stream: what ladder encode --audio first and
     * FFmpeg's -map 0:a:0 take. */
    int ai = -1;
    for (unsigned i = 0; i < fmt->nb_streams && ai < 0; i++)
        if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
            ai = (int)i;
    if (ai >= 0) {
        const AVCodecParameters *ap = fmt->streams[ai]->codecpar;
        out->has_audio = true;
        snprintf(out->audio_codec, sizeof(out->audio_codec), "%s", avcodec_get_name(ap->codec_id));
        out->audio_channels = ap->ch_layout.nb_channels;
        out->audio_bit_rate = ap->bit_rate;
        out->audio_copyable = ladder_audio_source_copyable(ap, audio_kbps);
    }

    /* Count frames by reading every packet: headers can lie (or be absent,
     * as in fragmented MP4), and this also brings the file into the page
     * cache before the first timed run. */
    AVPacket *pkt = av_packet_alloc();
    if (!pkt) {
        ret = LADDER_ENOMEM;
        snprintf(err, err_size, "out of memory");
        goto done;
    }
    for (unsigned i = 0; i < fmt->nb_streams; i++)
        if ((int)i != vi)
            fmt->streams[i]->discard = AVDISCARD_ALL;
    int r;
    while ((r = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index == vi)
            out->frames++;
        av_packet_unref(pkt);
    }
    av_packet_free(&pkt);
    if (r != AVERROR_EOF) {
        snprintf(err, err_size, "%s: read error after %lld video packets", path, (long long)out->frames);
        ret = LADDER_EINPUT_INVALID;
    } else if (out->frames == 0) {
        snprintf(err, err_size, "%s: no video frames", path);
        ret = LADDER_EINPUT_INVALID;
    }
done:
    avformat_close_input(&fmt);
    return ret;
}
