/*
 * The audio rendition: AAC-LC stereo in its own CMAF track, cut at the same
 * times as the video segments. Source audio that already fits (AAC-LC, at
 * most two channels) is copied; anything else is decoded, resampled and
 * encoded with libavcodec's AAC encoder. Runs on the decode pump's thread:
 * it costs about a percent of the video work.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "ladder/codec_string.h"
#include "ladder/error.h"
#include "session_internal.h"

struct audio_track {
    ladder_session *s;
    AVStream *in_st;
    bool copy;
    AVCodecContext *dec, *enc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    AVFrame *frame;               /* decode scratch */
    AVRational out_tb;
    int64_t origin;               /* video time zero, in the input's time base */
    int64_t next_pts;             /* transcode: next sample to encode, out_tb */
    int64_t skip_samples;         /* transcode: samples before video time zero */
    bool started;
    ladder_cmaf_writer *writer;
    int64_t segment_ticks;        /* nominal segment length in out_tb */
    int64_t next_boundary;
    AVPacket **pending;           /* the open segment's packets */
    int nb_pending, cap_pending;
    ladder_cmaf_segment *segs;
    int nb_segs, cap_segs;
    char codecs[32];
    int channels;
};

bool ladder_audio_source_copyable(const AVCodecParameters *par, int bitrate_kbps)
{
    if (par->codec_id != AV_CODEC_ID_AAC || par->profile != FF_PROFILE_AAC_LOW)
        return false;
    if (par->ch_layout.nb_channels < 1 || par->ch_layout.nb_channels > 2)
        return false;
    if (!par->extradata_size)
        return false;
    /* A much richer source than asked for is re-encoded to save bytes. */
    return par->bit_rate <= 0 || par->bit_rate <= (int64_t)bitrate_kbps * 1000 * 3 / 2;
}

static int open_transcode(audio_track *a)
{
    const AVCodecParameters *par = a->in_st->codecpar;
    const AVCodec *dcodec = avcodec_find_decoder(par->codec_id);
    const AVCodec *ecodec = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!dcodec || !ecodec)
        return LADDER_ECODEC;
    a->dec = avcodec_alloc_context3(dcodec);
    a->enc = avcodec_alloc_context3(ecodec);
    a->frame = av_frame_alloc();
    if (!a->dec || !a->enc || !a->frame)
        return LADDER_ENOMEM;
    if (avcodec_parameters_to_context(a->dec, par) < 0)
        return LADDER_ENOMEM;
    a->dec->pkt_timebase = a->in_st->time_base;
    if (avcodec_open2(a->dec, dcodec, NULL) < 0)
        return LADDER_ECODEC;

    int rate = a->dec->sample_rate;
    if (rate <= 0)
        return LADDER_EINPUT_INVALID;
    if (rate > 48000)
        rate = 48000;
    a->enc->sample_rate = rate;
    a->enc->sample_fmt = AV_SAMPLE_FMT_FLTP;
    av_channel_layout_default(&a->enc->ch_layout, 2);
    a->enc->bit_rate = (int64_t)a->s->job.audio_bitrate_kbps * 1000;
    a->enc->time_base = (AVRational){ 1, rate };
    a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    a->enc->profile = FF_PROFILE_AAC_LOW;
    if (avcodec_open2(a->enc, ecodec, NULL) < 0)
        return LADDER_EENCODER;

    AVChannelLayout in_layout;
    if (a->dec->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&in_layout, a->dec->ch_layout.nb_channels);
    else if (av_channel_layout_copy(&in_layout, &a->dec->ch_layout) < 0)
        return LADDER_ENOMEM;
    int ret = swr_alloc_set_opts2(&a->swr, &a->enc->ch_layout, a->enc->sample_fmt, rate,
                                  &in_layout, a->dec->sample_fmt, a->dec->sample_rate, 0, NULL);
    av_channel_layout_uninit(&in_layout);
    if (ret < 0 || swr_init(a->swr) < 0)
        return LADDER_ENOMEM;
    a->fifo = av_audio_fifo_alloc(a->enc->sample_fmt, 2, a->enc->frame_size * 4);
    if (!a->fifo)
        return LADDER_ENOMEM;
    a->out_tb = a->enc->time_base;
    a->channels = 2;
    return 0;
}

int audio_track_open(audio_track **out, ladder_session *s, AVStream *in_st)
{
    audio_track *a = calloc(1, sizeof(*a));
    if (!a)
        return LADDER_ENOMEM;
    a->s = s;
    a->in_st = in_st;
    a->copy = ladder_audio_source_copyable(in_st->codecpar, s->job.audio_bitrate_kbps);
    int err = 0;
    const AVCodecParameters *out_par = in_st->codecpar;
    if (a->copy) {
        a->out_tb = in_st->time_base;
        a->channels = in_st->codecpar->ch_layout.nb_channels;
    } else {
        err = open_transcode(a);
        if (err)
            goto fail;
    }
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (!par) {
        err = LADDER_ENOMEM;
        goto fail;
    }
    if (a->copy)
        err = avcodec_parameters_copy(par, out_par) < 0 ? LADDER_ENOMEM : 0;
    else
        err = avcodec_parameters_from_context(par, a->enc) < 0 ? LADDER_ENOMEM : 0;
    if (!err && ladder_codec_string_aac(par->extradata, (size_t)par->extradata_size,
                                        a->codecs, sizeof(a->codecs)))
        snprintf(a->codecs, sizeof(a->codecs), "mp4a.40.2");
    char dir[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/audio/aac", s->output_dir);
    if (!err)
        err = ladder_cmaf_writer_open(&a->writer, dir, par, a->out_tb);
    avcodec_parameters_free(&par);
    if (err)
        goto fail;
    double seg = ladder_chunk_plan_segment_seconds(&s->plan);
    a->segment_ticks = llround(seg * a->out_tb.den / a->out_tb.num);
    if (a->segment_ticks < 1)
        a->segment_ticks = 1;
    a->next_boundary = a->segment_ticks;
    a->origin = av_rescale_q(s->origin_pts, s->src_tb, in_st->time_base);
    *out = a;
    return 0;
fail:
    audio_track_close(a);
    return err;
}

static int flush_segment(audio_track *a)
{
    if (a->nb_pending == 0)
        return 0;
    int err = 0;
    for (int i = 0; i < a->nb_pending && !err; i++)
        err = ladder_cmaf_writer_write(a->writer, a->pending[i]);
    for (int i = 0; i < a->nb_pending; i++)
        av_packet_free(&a->pending[i]);
    a->nb_pending = 0;
    ladder_cmaf_segment seg;
    if (!err)
        err = ladder_cmaf_writer_end_segment(a->writer, &seg);
    if (err)
        return err;
    if (a->nb_segs == a->cap_segs) {
        int cap = a->cap_segs ? a->cap_segs * 2 : 64;
        ladder_cmaf_segment *grown = realloc(a->segs, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        a->segs = grown;
        a->cap_segs = cap;
    }
    a->segs[a->nb_segs++] = seg;
    return 0;
}

/* Queue one output packet (pts in out_tb, relative to video time zero). */
static int emit(audio_track *a, AVPacket *pkt)
{
    if (pkt->pts == AV_NOPTS_VALUE || pkt->pts < 0)
        return 0;                 /* before the first video frame */
    if (pkt->duration <= 0) {
        /* One AAC frame at the track's own sample rate. */
        int rate = a->enc ? a->enc->sample_rate : a->in_st->codecpar->sample_rate;
        pkt->duration = av_rescale_q(1024, (AVRational){ 1, rate > 0 ? rate : 48000 }, a->out_tb);
    }
    pkt->dts = pkt->pts;
    if (pkt->pts >= a->next_boundary) {
        int err = flush_segment(a);
        if (err)
            return err;
        while (a->next_boundary <= pkt->pts)
            a->next_boundary += a->segment_ticks;
    }
    if (a->nb_pending == a->cap_pending) {
        int cap = a->cap_pending ? a->cap_pending * 2 : 256;
        AVPacket **grown = realloc(a->pending, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        a->pending = grown;
        a->cap_pending = cap;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    a->pending[a->nb_pending++] = copy;
    return 0;
}

static int drain_encoder(audio_track *a)
{
    AVPacket *pkt = av_packet_alloc();
    if (!pkt)
        return LADDER_ENOMEM;
    int err = 0;
    for (;;) {
        int ret = avcodec_receive_packet(a->enc, pkt);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            err = LADDER_EENCODER;
            break;
        }
        /* The encoder's priming packet carries pts -1024: shift so that it
         * starts the track at zero, as FFmpeg's own fMP4 output does. */
        pkt->pts += a->enc->initial_padding;
        err = emit(a, pkt);
        av_packet_unref(pkt);
        if (err)
            break;
    }
    av_packet_free(&pkt);
    return err;
}

static int encode_from_fifo(audio_track *a, bool final)
{
    int frame_size = a->enc->frame_size;
    while (av_audio_fifo_size(a->fifo) >= frame_size ||
           (final && av_audio_fifo_size(a->fifo) > 0)) {
        int n = FFMIN(frame_size, av_audio_fifo_size(a->fifo));
        AVFrame *f = av_frame_alloc();
        if (!f)
            return LADDER_ENOMEM;
        f->nb_samples = n;
        f->format = a->enc->sample_fmt;
        f->sample_rate = a->enc->sample_rate;
        if (av_channel_layout_copy(&f->ch_layout, &a->enc->ch_layout) < 0 ||
            av_frame_get_buffer(f, 0) < 0) {
            av_frame_free(&f);
            return LADDER_ENOMEM;
        }
        av_audio_fifo_read(a->fifo, (void **)f->data, n);
        f->pts = a->next_pts;
        a->next_pts += n;
        int ret = avcodec_send_frame(a->enc, f);
        av_frame_free(&f);
        if (ret < 0)
            return LADDER_EENCODER;
        int err = drain_encoder(a);
        if (err)
            return err;
    }
    return 0;
}

static int resample_into_fifo(audio_track *a, const AVFrame *in)
{
    int max_out = swr_get_out_samples(a->swr, in ? in->nb_samples : 0);
    if (max_out <= 0)
        return 0;
    uint8_t **buf = NULL;
    if (av_samples_alloc_array_and_samples(&buf, NULL, 2, max_out, a->enc->sample_fmt, 0) < 0)
        return LADDER_ENOMEM;
    int n = swr_convert(a->swr, buf, max_out,
                        in ? (const uint8_t **)in->extended_data : NULL, in ? in->nb_samples : 0);
    int err = n < 0 ? LADDER_EENCODER : 0;
    if (!err && n > 0) {
        int offset = 0;
        if (a->skip_samples > 0) {
            offset = (int)FFMIN(a->skip_samples, (int64_t)n);
            a->skip_samples -= offset;
        }
        if (n > offset) {
            uint8_t *planes[2] = { buf[0] + (size_t)offset * sizeof(float),
                                   buf[1] + (size_t)offset * sizeof(float) };
            if (av_audio_fifo_write(a->fifo, (void **)planes, n - offset) < n - offset)
                err = LADDER_ENOMEM;
        }
    }
    av_freep(&buf[0]);
    av_freep(&buf);
    return err;
}

static int decode_and_encode(audio_track *a, const AVPacket *pkt)
{
    int ret = avcodec_send_packet(a->dec, pkt);
    if (ret < 0 && ret != AVERROR_EOF) {
        session_log(a->s, LADDER_LOG_WARNING, "audio: skipping undecodable packet");
        return 0;                 /* one bad packet is not worth the run */
    }
    for (;;) {
        ret = avcodec_receive_frame(a->dec, a->frame);
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
            return 0;
        if (ret < 0)
            return 0;
        if (!a->started) {
            a->started = true;
            int64_t first = a->frame->best_effort_timestamp;
            if (first == AV_NOPTS_VALUE)
                first = a->origin;
            /* Line audio up with video time zero: a late start leaves a gap
             * before it, an early start loses the samples before zero. */
            int64_t offset = av_rescale_q(first - a->origin, a->in_st->time_base, a->out_tb);
            if (offset >= 0)
                a->next_pts = offset;
            else
                a->skip_samples = -offset;
        }
        int err = resample_into_fifo(a, a->frame);
        av_frame_unref(a->frame);
        if (!err)
            err = encode_from_fifo(a, false);
        if (err)
            return err;
    }
}

int audio_track_packet(audio_track *a, AVPacket *pkt)
{
    if (!a->copy)
        return decode_and_encode(a, pkt);
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    if (copy->pts != AV_NOPTS_VALUE)
        copy->pts -= a->origin;
    int err = emit(a, copy);
    av_packet_free(&copy);
    return err;
}

int audio_track_finish(audio_track *a, double video_end_seconds)
{
    int err = 0;
    if (!a->copy) {
        err = decode_and_encode(a, NULL);
        if (!err)
            err = resample_into_fifo(a, NULL);
        if (!err)
            err = encode_from_fifo(a, true);
        if (!err && avcodec_send_frame(a->enc, NULL) >= 0)
            err = drain_encoder(a);
    }
    if (err)
        return err;
    /* Audio that runs past the last video frame would make the audio
     * rendition longer than every video one; drop it. */
    int64_t end = llround(video_end_seconds * a->out_tb.den / a->out_tb.num);
    while (a->nb_pending > 0 && a->pending[a->nb_pending - 1]->pts >= end)
        av_packet_free(&a->pending[--a->nb_pending]);
    return flush_segment(a);
}

void audio_track_close(audio_track *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->nb_pending; i++)
        av_packet_free(&a->pending[i]);
    free(a->pending);
    free(a->segs);
    ladder_cmaf_writer_close(a->writer);
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    swr_free(&a->swr);
    if (a->fifo)
        av_audio_fifo_free(a->fifo);
    av_frame_free(&a->frame);
    free(a);
}

int audio_track_segments(const audio_track *a, const ladder_cmaf_segment **segs)
{
    *segs = a->segs;
    return a->nb_segs;
}

const char *audio_track_codecs(const audio_track *a) { return a->codecs; }
bool audio_track_copied(const audio_track *a) { return a->copy; }
int audio_track_channels(const audio_track *a) { return a->channels; }
AVRational audio_track_time_base(const audio_track *a) { return a->out_tb; }

int audio_track_sample_rate(const audio_track *a)
{
    return a->enc ? a->enc->sample_rate : a->in_st->codecpar->sample_rate;
}
