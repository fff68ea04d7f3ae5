/*
 * Applying the source's display matrix. A phone video is often stored
 * landscape with a matrix that says "turn 90 degrees to show": players
 * obey it, so every rung must be encoded upright (segments carry no
 * matrix, and HLS/DASH players would ignore one). Done once, in the decode
 * pump, with libavfilter's transpose / hflip+vflip (every pixel format, 4:2:2
 * through an automatic conversion), before the frames fan out to the rungs.
 */
#include "rotate.h"

#include <math.h>
#include <stdio.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/hwcontext.h>

#include "ladder/error.h"
#include "ladder/ladder.h"
#include "filter_chain.h"

void rotate_close(rotate_state *rs)
{
    avfilter_graph_free(&rs->graph);
    rs->src = rs->sink = NULL;
}

static int rotate_build(rotate_state *rs, int degrees, AVRational tb, const AVFrame *f)
{
    rotate_close(rs);
    const char *chain = ladder_rotation_filter(degrees);
    char args[256];
    snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             f->width, f->height, f->format, tb.num, tb.den,
             f->sample_aspect_ratio.num > 0 ? f->sample_aspect_ratio.num : 1,
             f->sample_aspect_ratio.den > 0 ? f->sample_aspect_ratio.den : 1);
    int ret = (rs->graph = avfilter_graph_alloc()) ? 0 : AVERROR(ENOMEM);
    if (ret >= 0) {
        /* The pump is one thread among the scalers and encoders. */
        rs->graph->nb_threads = 1;
        ret = avfilter_graph_create_filter(&rs->src, avfilter_get_by_name("buffer"), "in", args,
                                           NULL, rs->graph);
    }
    if (ret >= 0)
        ret = avfilter_graph_create_filter(&rs->sink, avfilter_get_by_name("buffersink"), "out",
                                           NULL, NULL, rs->graph);
    if (ret >= 0)
        ret = filter_chain_link(rs->graph, rs->src, rs->sink, chain);
    if (ret < 0) {
        rotate_close(rs);
        return ret == AVERROR(ENOMEM) ? LADDER_ENOMEM : LADDER_EINTERNAL;
    }
    rs->w = f->width;
    rs->h = f->height;
    rs->fmt = f->format;
    return 0;
}

int rotate_frame(rotate_state *rs, int degrees, AVRational time_base, AVFrame *frame)
{
    /* NVDEC pictures are turned on the CPU (this FFmpeg has no CUDA
     * transpose): they come down once here, and the rungs then scale the
     * upright picture on the CPU. */
    if (frame->format == AV_PIX_FMT_CUDA) {
        AVFrame *sw = av_frame_alloc();
        if (!sw || av_hwframe_transfer_data(sw, frame, 0) < 0 || av_frame_copy_props(sw, frame) < 0) {
            av_frame_free(&sw);
            return LADDER_ENOMEM;
        }
        av_frame_unref(frame);
        av_frame_move_ref(frame, sw);
        av_frame_free(&sw);
    }
    /* Rebuilt when the decoder changes size or format mid-stream. */
    if (!rs->graph || frame->width != rs->w || frame->height != rs->h || frame->format != rs->fmt) {
        int err = rotate_build(rs, degrees, time_base, frame);
        if (err)
            return err;
    }
    int64_t duration = frame->pkt_duration;
    /* The graph takes the reference; frame is empty until the turned
     * picture comes back into it (the filters are one in, one out). */
    int ret = av_buffersrc_add_frame_flags(rs->src, frame, AV_BUFFERSRC_FLAG_KEEP_REF);
    av_frame_unref(frame);
    if (ret >= 0)
        ret = av_buffersink_get_frame(rs->sink, frame);
    if (ret < 0)
        return ret == AVERROR(ENOMEM) ? LADDER_ENOMEM : LADDER_EINTERNAL;
    frame->pkt_duration = duration;
    return 0;
}

int ladder_stream_rotation(const AVStream *st)
{
    const int32_t *m = (const int32_t *)av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!m)
        return 0;
    /* av_display_rotation_get() is counter-clockwise. */
    double cw = -av_display_rotation_get(m);
    if (isnan(cw))
        return 0;
    double quarter = round(cw / 90.0);
    if (fabs(cw - quarter * 90.0) > 1.0)
        return 0;
    int deg = ((int)quarter * 90) % 360;
    return deg < 0 ? deg + 360 : deg;
}

const char *ladder_rotation_filter(int degrees)
{
    switch (degrees) {
    case 90: return "transpose=clock";
    case 180: return "hflip,vflip";
    case 270: return "transpose=cclock";
    default: return "";
    }
}
