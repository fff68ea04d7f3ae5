/*
 * The one transcode path of proxy, conform and trim: decoder -> libavfilter
 * graph (per stream) -> libx264 / AAC -> MP4 with the moov box first
 * (faststart), so a browser or an editor can start reading at once.
 */
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>

#include "job_internal.h"
#include "ladder/ladder.h"

typedef struct lane {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    AVCodecContext *enc;
    AVStream *st;
    bool src_closed;
    int64_t end_pts;              /* where the last frame fed in ends; AV_NOPTS_VALUE = unknown */
} lane;

typedef struct transcode {
    job_ctx *c;
    job_input *in;
    const job_transcode_opts *o;
    AVFormatContext *oc;
    lane v, a;
    AVFrame *filtered;
    AVPacket *pkt;
    double last_time;             /* output seconds of the last video frame */
} transcode;

static int build_graph(transcode *t, lane *l, bool audio, const char *desc)
{
    job_ctx *c = t->c;
    AVCodecContext *dec = audio ? t->in->adec : t->in->vdec;
    AVStream *ist = t->in->fmt->streams[audio ? t->in->ai : t->in->vi];
    char args[512];
    l->graph = avfilter_graph_alloc();
    if (!l->graph)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    /* Filters share the host like the decoder: keep them to one thread. */
    l->graph->nb_threads = 1;
    int ret;
    if (!audio) {
        AVRational fr = av_guess_frame_rate(t->in->fmt, ist, NULL);
        AVRational sar = dec->sample_aspect_ratio.num ? dec->sample_aspect_ratio : (AVRational){ 1, 1 };
        snprintf(args, sizeof(args), "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
                 dec->width, dec->height, dec->pix_fmt, ist->time_base.num, ist->time_base.den, sar.num,
                 sar.den);
        if (fr.num > 0 && fr.den > 0) {
            size_t len = strlen(args);
            snprintf(args + len, sizeof(args) - len, ":frame_rate=%d/%d", fr.num, fr.den);
        }
        ret = avfilter_graph_create_filter(&l->src, avfilter_get_by_name("buffer"), "in", args, NULL, l->graph);
        if (ret >= 0)
            ret = avfilter_graph_create_filter(&l->sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL,
                                               l->graph);
    } else {
        char layout[128];
        AVChannelLayout ch;
        if (dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
            av_channel_layout_default(&ch, dec->ch_layout.nb_channels);
        else
            av_channel_layout_copy(&ch, &dec->ch_layout);
        av_channel_layout_describe(&ch, layout, sizeof(layout));
        av_channel_layout_uninit(&ch);
        snprintf(args, sizeof(args), "time_base=%d/%d:sample_rate=%d:sample_fmt=%s:channel_layout=%s",
                 ist->time_base.num, ist->time_base.den, dec->sample_rate, av_get_sample_fmt_name(dec->sample_fmt),
                 layout);
        ret = avfilter_graph_create_filter(&l->src, avfilter_get_by_name("abuffer"), "in", args, NULL, l->graph);
        if (ret >= 0)
            ret = avfilter_graph_create_filter(&l->sink, avfilter_get_by_name("abuffersink"), "out", NULL, NULL,
                                               l->graph);
    }
    if (ret < 0)
        return job_fail(c, LADDER_EINTERNAL, "filter set-up failed: %s", av_err2str(ret));
    AVFilterInOut *outputs = avfilter_inout_alloc(), *inputs = avfilter_inout_alloc();
    if (!outputs || !inputs) {
        avfilter_inout_free(&outputs);
        avfilter_inout_free(&inputs);
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    }
    outputs->name = av_strdup("in");
    outputs->filter_ctx = l->src;
    inputs->name = av_strdup("out");
    inputs->filter_ctx = l->sink;
    /* A phone video's display matrix: the output is turned upright (it
     * carries no matrix of its own), before the job's own filters so that
     * their sizes and crops apply to the picture as it is seen. */
    char turned[1024];
    const char *rotation = audio ? "" : ladder_rotation_filter(ladder_stream_rotation(ist));
    if (rotation[0]) {
        snprintf(turned, sizeof(turned), "%s,%s", rotation, desc);
        desc = turned;
    }
    ret = avfilter_graph_parse_ptr(l->graph, desc, &inputs, &outputs, NULL);
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    if (ret >= 0)
        ret = avfilter_graph_config(l->graph, NULL);
    if (ret < 0)
        return job_fail(c, LADDER_EINTERNAL, "%s filters '%s': %s", audio ? "audio" : "video", desc,
                        av_err2str(ret));
    return 0;
}

static int open_video_encoder(transcode *t)
{
    job_ctx *c = t->c;
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return job_fail(c, LADDER_ECODEC, "libx264 is not in the linked FFmpeg");
    AVCodecContext *e = t->v.enc = avcodec_alloc_context3(codec);
    if (!e)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    AVFilterContext *s = t->v.sink;
    e->width = av_buffersink_get_w(s);
    e->height = av_buffersink_get_h(s);
    e->pix_fmt = av_buffersink_get_format(s);
    e->sample_aspect_ratio = av_buffersink_get_sample_aspect_ratio(s);
    e->time_base = av_buffersink_get_time_base(s);
    e->framerate = av_buffersink_get_frame_rate(s);
    /* A key frame every 2 s: editors and players seek in proxies. */
    if (e->framerate.num > 0)
        e->gop_size = (int)(2 * av_q2d(e->framerate) + 0.5);
    e->thread_count = 2;
    if (t->o->bitrate_kbps > 0) {
        e->bit_rate = (int64_t)t->o->bitrate_kbps * 1000;
        e->rc_max_rate = e->bit_rate * 3 / 2;
        e->rc_buffer_size = (int)(e->bit_rate * 3);
    } else {
        av_opt_set_int(e->priv_data, "crf", t->o->crf, 0);
    }
    av_opt_set(e->priv_data, "preset", t->o->preset, 0);
    if (t->oc->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    int ret = avcodec_open2(e, codec, NULL);
    if (ret < 0)
    {
        /* EINVAL is nearly always the spec: an unknown preset name. */
        if (ret == AVERROR(EINVAL))
            return job_fail(c, LADDER_ECONFIG, "job spec: \"preset\" '%s' (or %dx%d %s) refused by libx264: %s",
                            t->o->preset, e->width, e->height, av_get_pix_fmt_name(e->pix_fmt), av_err2str(ret));
        return job_fail(c, LADDER_EENCODER, "libx264 could not open (%dx%d %s): %s", e->width, e->height,
                        av_get_pix_fmt_name(e->pix_fmt), av_err2str(ret));
    }
    return 0;
}

static int open_audio_encoder(transcode *t)
{
    job_ctx *c = t->c;
    const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec)
        return job_fail(c, LADDER_ECODEC, "no AAC encoder in the linked FFmpeg");
    AVCodecContext *e = t->a.enc = avcodec_alloc_context3(codec);
    if (!e)
        return job_fail(c, LADDER_ENOMEM, "out of memory");
    AVFilterContext *s = t->a.sink;
    e->sample_fmt = av_buffersink_get_format(s);
    e->sample_rate = av_buffersink_get_sample_rate(s);
    int ret = av_buffersink_get_ch_layout(s, &e->ch_layout);
    e->time_base = (AVRational){ 1, e->sample_rate };
    e->bit_rate = (int64_t)t->o->audio_bitrate_kbps * 1000;
    if (t->oc->oformat->flags & AVFMT_GLOBALHEADER)
        e->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (ret >= 0)
        ret = avcodec_open2(e, codec, NULL);
    if (ret < 0)
        return job_fail(c, LADDER_EENCODER, "AAC encoder could not open: %s", av_err2str(ret));
    /* The encoder takes whole frames of frame_size samples (AAC: 1024). */
    av_buffersink_set_frame_size(s, e->frame_size);
    return 0;
}

static int add_stream(transcode *t, lane *l)
{
    l->st = avformat_new_stream(t->oc, NULL);
    if (!l->st)
        return job_fail(t->c, LADDER_ENOMEM, "out of memory");
    int ret = avcodec_parameters_from_context(l->st->codecpar, l->enc);
    if (ret < 0)
        return job_fail(t->c, LADDER_EINTERNAL, "stream set-up failed: %s", av_err2str(ret));
    l->st->time_base = l->enc->time_base;
    return 0;
}

static int output_failure(int err)
{
    return err == AVERROR(ENOSPC) ? LADDER_ENOSPC : LADDER_EOUTPUT;
}

/* Send frame (NULL = flush) to the lane's encoder and mux what comes out. */
static int encode(transcode *t, lane *l, AVFrame *frame)
{
    int ret = avcodec_send_frame(l->enc, frame);
    if (ret < 0 && ret != AVERROR_EOF)
        return job_fail(t->c, LADDER_EENCODER, "%s encoder failed: %s", l->enc->codec->name, av_err2str(ret));
    for (;;) {
        ret = avcodec_receive_packet(l->enc, t->pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return job_fail(t->c, LADDER_EENCODER, "%s encoder failed: %s", l->enc->codec->name,
                            av_err2str(ret));
        /* libx264 leaves durations at 0; the MP4 muxer would then give
         * the last sample no duration and players (ffprobe too) drop it. */
        if (l == &t->v && t->pkt->duration <= 0 && l->enc->framerate.num > 0)
            t->pkt->duration = av_rescale_q(1, av_inv_q(l->enc->framerate), l->enc->time_base);
        av_packet_rescale_ts(t->pkt, l->enc->time_base, l->st->time_base);
        t->pkt->stream_index = l->st->index;
        ret = av_interleaved_write_frame(t->oc, t->pkt);
        if (ret < 0)
            return job_fail(t->c, output_failure(ret), "output '%s': write failed: %s", t->o->path,
                            av_err2str(ret));
    }
}

/* Pull every frame the lane's filters have ready into its encoder. */
static int pull(transcode *t, lane *l)
{
    for (;;) {
        int ret = av_buffersink_get_frame(l->sink, t->filtered);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return job_fail(t->c, LADDER_EINTERNAL, "filtering failed: %s", av_err2str(ret));
        if (l == &t->v) {
            t->last_time = t->filtered->pts * av_q2d(l->enc->time_base);
            t->filtered->pict_type = AV_PICTURE_TYPE_NONE;
            if (t->o->expected_duration > 0)
                job_progress(t->c, "encode", 100 * t->last_time / t->o->expected_duration);
        }
        ret = encode(t, l, t->filtered);
        av_frame_unref(t->filtered);
        if (ret)
            return ret;
    }
}

static int on_frame(void *opaque, bool is_audio, AVFrame *f)
{
    transcode *t = opaque;
    lane *l = is_audio ? &t->a : &t->v;
    if (!l->graph || l->src_closed)
        return 0;
    double time = job_frame_time(t->in, is_audio, f);
    f->pts = f->best_effort_timestamp;
    if (f->pts != AV_NOPTS_VALUE && f->pkt_duration > 0)
        l->end_pts = f->pts + f->pkt_duration;
    int ret = av_buffersrc_add_frame_flags(l->src, f, AV_BUFFERSRC_FLAG_KEEP_REF);
    if (ret < 0)
        return job_fail(t->c, LADDER_EINTERNAL, "filtering failed: %s", av_err2str(ret));
    if ((ret = pull(t, l)))
        return ret;
    /* Past the end of a trim: close this lane; stop reading once both are. */
    if (t->o->stop >= 0 && time > t->o->stop + 0.5) {
        l->src_closed = true;
        if (!t->a.graph || (t->a.src_closed && t->v.src_closed))
            return 1;
    }
    return 0;
}

static int finish_lane(transcode *t, lane *l)
{
    if (!l->graph)
        return 0;
    /* Closing at the end of the last frame, not its start, lets a rate
     * conversion (fps) fill the last frame's whole duration. */
    int ret = l->end_pts != AV_NOPTS_VALUE ? av_buffersrc_close(l->src, l->end_pts, 0)
                                           : av_buffersrc_add_frame(l->src, NULL);
    if (ret < 0 && ret != AVERROR_EOF)
        return job_fail(t->c, LADDER_EINTERNAL, "filtering failed: %s", av_err2str(ret));
    if ((ret = pull(t, l)))
        return ret;
    return encode(t, l, NULL);
}

static void lane_free(lane *l)
{
    avfilter_graph_free(&l->graph);
    avcodec_free_context(&l->enc);
}

int job_transcode(job_ctx *c, job_input *in, const job_transcode_opts *o)
{
    transcode t = { .c = c, .in = in, .o = o, .v.end_pts = AV_NOPTS_VALUE, .a.end_pts = AV_NOPTS_VALUE };
    AVDictionary *mux_opts = NULL;
    bool header = false;
    int ret = 0;
    t.filtered = av_frame_alloc();
    t.pkt = av_packet_alloc();
    if (!t.filtered || !t.pkt) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    if (avformat_alloc_output_context2(&t.oc, NULL, "mp4", o->path) < 0 || !t.oc) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    if ((ret = build_graph(&t, &t.v, false, o->vfilter)) || (ret = open_video_encoder(&t)) ||
        (ret = add_stream(&t, &t.v)))
        goto done;
    if (o->afilter && in->adec) {
        if ((ret = build_graph(&t, &t.a, true, o->afilter)) || (ret = open_audio_encoder(&t)) ||
            (ret = add_stream(&t, &t.a)))
            goto done;
    }
    int r = avio_open(&t.oc->pb, o->path, AVIO_FLAG_WRITE);
    if (r < 0) {
        ret = job_fail(c, output_failure(r), "output '%s': %s", o->path, av_err2str(r));
        goto done;
    }
    /* faststart: the muxer rewrites the file with moov ahead of mdat. */
    av_dict_set(&mux_opts, "movflags", "+faststart", 0);
    r = avformat_write_header(t.oc, &mux_opts);
    if (r < 0) {
        ret = job_fail(c, output_failure(r), "output '%s': %s", o->path, av_err2str(r));
        goto done;
    }
    header = true;
    if (o->seek > 0 && job_input_seek(in, o->seek) < 0) {
        /* Not seekable: decode from the start, the filters still cut. */
        avcodec_flush_buffers(in->vdec);
    }
    if ((ret = job_input_decode(c, in, on_frame, &t)))
        goto done;
    if ((ret = finish_lane(&t, &t.v)) || (ret = finish_lane(&t, &t.a)))
        goto done;
    job_progress(c, "mux", 100);
    r = av_write_trailer(t.oc);
    header = false;
    if (r < 0)
        ret = job_fail(c, output_failure(r), "output '%s': %s", o->path, av_err2str(r));
done:
    if (header)
        av_write_trailer(t.oc);
    if (t.oc) {
        if (t.oc->pb)
            avio_closep(&t.oc->pb);
        avformat_free_context(t.oc);
    }
    av_dict_free(&mux_opts);
    lane_free(&t.v);
    lane_free(&t.a);
    av_frame_free(&t.filtered);
    av_packet_free(&t.pkt);
    return ret;
}
