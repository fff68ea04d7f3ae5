/*
 * One audio rendition: a source audio stream in its own CMAF track, cut at
 * the same times as the video segments. What happens to the stream (copy,
 * or decode, remix, resample and encode to AAC-LC or Opus, at which rate)
 * is the plan's decision (engine/audio_plan.c); this file carries it out.
 * Runs on the decode pump's thread: each rendition costs about a percent of
 * the video work.
 */
#include "audio_track.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/audio_fifo.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>

#include "engine/audio_plan.h"
#include "mux/codec_string.h"
#include "ladder/error.h"
#include "session.h"
#include "timeline.h"

/*
 * Audio that is off its timestamps by more than this gets silence (ahead)
 * or loses samples (behind). Right after a discontinuity the timeline found
 * (a gap, a splice), the first frame's time is the packet's own and is
 * followed to within 5 ms. Elsewhere only a difference of 100 ms is: in
 * MPEG-TS only the first frame of a PES carries a time, the demuxer
 * interpolates the others from the stream's header, and after a change of
 * sample rate that is off by up to a frame per frame (seen: 44.1 kHz
 * durations on 48 kHz frames, a saw-tooth of 5.7 ms per PES).
 */
#define RESYNC_TOLERANCE_SECONDS 0.005
#define FOLLOW_TOLERANCE_SECONDS 0.1

struct audio_track {
    ladder_session *s;
    AVStream *in_st;
    ladder_audio_plan plan;
    AVCodecContext *dec, *enc;
    SwrContext *swr;
    AVAudioFifo *fifo;
    /* What the resampler takes: the decoded format, which may change
     * mid-stream (a broadcast's 44.1 kHz programme spliced into 48 kHz). */
    int in_rate;
    enum AVSampleFormat in_fmt;
    AVChannelLayout in_layout;
    bool drained;
    bool resync;                  /* the timeline found a discontinuity: follow closely */
    bool copy_started;            /* copy: copy_end is where the last packet ends (out_tb) */
    int64_t copy_end;
    char *dir;                    /* the rendition's directory (absolute) */
    /* copy, before its first packet at or after zero: the last packets
     * before zero (original timestamps), in case it must be encoded. */
    AVPacket *before_zero[4];
    int nb_before_zero;
    AVFrame *frame;               /* decode scratch */
    AVRational out_tb;
    bool have_origin;
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
};

ladder_audio_source audio_track_source_of(const AVCodecParameters *par)
{
    ladder_audio_source src = {
        .codec = LADDER_AUDIO_SOURCE_OTHER,
        .channels = par->ch_layout.nb_channels,
        .sample_rate = par->sample_rate,
        .bit_rate = par->bit_rate > 0 ? par->bit_rate : 0,
        .has_config = par->extradata_size > 0,
    };
    if (par->codec_id == AV_CODEC_ID_AAC && par->profile == FF_PROFILE_AAC_LOW)
        src.codec = LADDER_AUDIO_SOURCE_AAC_LC;
    else if (par->codec_id == AV_CODEC_ID_OPUS)
        src.codec = LADDER_AUDIO_SOURCE_OPUS;
    return src;
}

bool ladder_audio_source_copyable(const AVCodecParameters *par, int bitrate_kbps)
{
    ladder_audio_source src = audio_track_source_of(par);
    ladder_audio_request req = { .codec = LADDER_AUDIO_AAC, .max_channels = 2,
                                 .bitrate_kbps = bitrate_kbps };
    ladder_audio_plan plan;
    return ladder_audio_plan_make(&src, &req, &plan) == 0 && plan.copy;
}

/*
 * The encoder's channel order for n channels: the layouts both encoders
 * code natively (AAC channel configurations 1-6 and Opus's Vorbis order
 * for mapping family 1 differ only at four channels). 5.1 is 5.1(back),
 * which libswresample fills from 5.1(side) sources as well.
 */
static void output_layout(ladder_audio_codec codec, int channels, AVChannelLayout *out)
{
    switch (channels) {
    case 1: *out = (AVChannelLayout)AV_CHANNEL_LAYOUT_MONO; break;
    case 3: *out = (AVChannelLayout)AV_CHANNEL_LAYOUT_SURROUND; break;
    case 4: *out = codec == LADDER_AUDIO_OPUS ? (AVChannelLayout)AV_CHANNEL_LAYOUT_QUAD
                                              : (AVChannelLayout)AV_CHANNEL_LAYOUT_4POINT0; break;
    case 5: *out = (AVChannelLayout)AV_CHANNEL_LAYOUT_5POINT0_BACK; break;
    case 6: *out = (AVChannelLayout)AV_CHANNEL_LAYOUT_5POINT1_BACK; break;
    default: *out = (AVChannelLayout)AV_CHANNEL_LAYOUT_STEREO; break;
    }
}

/* Float samples when the encoder takes them (planar for AAC, interleaved
 * for libopus), else its first format. */
static enum AVSampleFormat encoder_sample_fmt(const AVCodec *codec)
{
    const enum AVSampleFormat *f = codec->sample_fmts;
    if (!f)
        return AV_SAMPLE_FMT_FLTP;
    for (int i = 0; f[i] != AV_SAMPLE_FMT_NONE; i++)
        if (f[i] == AV_SAMPLE_FMT_FLTP || f[i] == AV_SAMPLE_FMT_FLT)
            return f[i];
    return f[0];
}

/*
 * The resampler from a decoded format to the rendition's. The remix matrix
 * is libswresample's default (ITU-R BS.775 style downmix coefficients:
 * centre and surrounds at -3 dB into the fronts, LFE dropped when going to
 * stereo).
 */
static int setup_resampler(audio_track *a, int rate, enum AVSampleFormat fmt, const AVChannelLayout *layout)
{
    swr_free(&a->swr);
    av_channel_layout_uninit(&a->in_layout);
    if (layout->order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&a->in_layout, layout->nb_channels);
    else if (av_channel_layout_copy(&a->in_layout, layout) < 0)
        return LADDER_ENOMEM;
    a->in_rate = rate;
    a->in_fmt = fmt;
    int ret = swr_alloc_set_opts2(&a->swr, &a->enc->ch_layout, a->enc->sample_fmt, a->enc->sample_rate,
                                  &a->in_layout, fmt, rate, 0, NULL);
    if (ret < 0 || swr_init(a->swr) < 0)
        return LADDER_ENOMEM;
    return 0;
}

static int open_transcode(audio_track *a)
{
    const AVCodecParameters *par = a->in_st->codecpar;
    const AVCodec *dcodec = avcodec_find_decoder(par->codec_id);
    const AVCodec *ecodec = a->plan.codec == LADDER_AUDIO_OPUS ? avcodec_find_encoder_by_name("libopus")
                                                               : avcodec_find_encoder(AV_CODEC_ID_AAC);
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

    int rate = a->plan.sample_rate;
    a->enc->sample_rate = rate;
    a->enc->sample_fmt = encoder_sample_fmt(ecodec);
    output_layout(a->plan.codec, a->plan.channels, &a->enc->ch_layout);
    a->enc->bit_rate = (int64_t)a->plan.bitrate_kbps * 1000;
    a->enc->time_base = (AVRational){ 1, rate };
    a->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (a->plan.codec == LADDER_AUDIO_AAC)
        a->enc->profile = FF_PROFILE_AAC_LOW;
    if (avcodec_open2(a->enc, ecodec, NULL) < 0)
        return LADDER_EENCODER;

    int ret = setup_resampler(a, a->dec->sample_rate, a->dec->sample_fmt, &a->dec->ch_layout);
    if (ret)
        return ret;
    a->fifo = av_audio_fifo_alloc(a->enc->sample_fmt, a->plan.channels, a->enc->frame_size * 4);
    if (!a->fifo)
        return LADDER_ENOMEM;
    a->out_tb = a->enc->time_base;
    return 0;
}

/*
 * The rendition's writer and codecs string, from the source's parameters
 * (copy) or the encoder's. A copy's writer waits for its first packet
 * (start_copy()): only then is it known whether the copy can start on time.
 */
static int open_output(audio_track *a)
{
    AVCodecParameters *par = avcodec_parameters_alloc();
    if (!par)
        return LADDER_ENOMEM;
    int err;
    if (a->plan.copy)
        err = avcodec_parameters_copy(par, a->in_st->codecpar) < 0 ? LADDER_ENOMEM : 0;
    else
        err = avcodec_parameters_from_context(par, a->enc) < 0 ? LADDER_ENOMEM : 0;
    if (!err && a->plan.codec == LADDER_AUDIO_OPUS)
        snprintf(a->codecs, sizeof(a->codecs), "opus");   /* RFC 7845 / Opus-in-ISOBMFF */
    else if (!err && ladder_codec_string_aac(par->extradata, (size_t)par->extradata_size,
                                             a->codecs, sizeof(a->codecs)))
        snprintf(a->codecs, sizeof(a->codecs), "mp4a.40.2");
    /* The source's own tag for mdhd, which takes ISO 639-2 codes. */
    const AVDictionaryEntry *lang = av_dict_get(a->in_st->metadata, "language", NULL, 0);
    if (!err)
        err = ladder_cmaf_writer_open(&a->writer, a->dir, par, a->out_tb,
                                      lang && strlen(lang->value) == 3 ? lang->value : NULL);
    avcodec_parameters_free(&par);
    if (err)
        return err;
    double seg = ladder_chunk_plan_segment_seconds(&a->s->plan);
    a->segment_ticks = llround(seg * a->out_tb.den / a->out_tb.num);
    if (a->segment_ticks < 1)
        a->segment_ticks = 1;
    a->next_boundary = a->segment_ticks;
    return 0;
}

int audio_track_open(audio_track **out, ladder_session *s, AVStream *in_st,
                     const ladder_audio_plan *plan, const char *dir)
{
    audio_track *a = calloc(1, sizeof(*a));
    if (!a)
        return LADDER_ENOMEM;
    a->s = s;
    a->in_st = in_st;
    a->plan = *plan;
    a->dir = strdup(dir);
    int err = a->dir ? 0 : LADDER_ENOMEM;
    if (!err && a->plan.copy) {
        a->out_tb = in_st->time_base;
        /* The codecs string is known now; the writer comes with the first packet. */
        if (a->plan.codec == LADDER_AUDIO_OPUS)
            snprintf(a->codecs, sizeof(a->codecs), "opus");
        else if (ladder_codec_string_aac(in_st->codecpar->extradata, (size_t)in_st->codecpar->extradata_size,
                                         a->codecs, sizeof(a->codecs)))
            snprintf(a->codecs, sizeof(a->codecs), "mp4a.40.2");
    } else if (!err) {
        err = open_transcode(a);
        if (!err)
            err = open_output(a);
    }
    if (err) {
        audio_track_close(a);
        return err;
    }
    *out = a;
    return 0;
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
        /* One frame at the track's own sample rate: the encoder's frame,
         * else AAC's 1024 samples or Opus's usual 20 ms. */
        int rate = a->enc ? a->enc->sample_rate : a->in_st->codecpar->sample_rate;
        int samples = a->enc && a->enc->frame_size > 0 ? a->enc->frame_size
                      : a->plan.codec == LADDER_AUDIO_OPUS ? 960 : 1024;
        pkt->duration = av_rescale_q(samples, (AVRational){ 1, rate > 0 ? rate : 48000 }, a->out_tb);
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
        /*
         * The encoder's first packet is priming: it carries pts
         * -initial_padding. Opus says how much of it to skip in its sample
         * entry (dOps pre-skip), which players apply: the track starts with
         * it at zero. AAC has nothing players agree on (FFmpeg's fMP4
         * output puts it at zero with no edit list, and every sound then
         * plays 1024 samples late), so its priming packet is left out
         * (emit() drops what is before zero) and every sample plays at its
         * own time; a decoder starting without it only smooths the first
         * 21 ms in.
         */
        if (a->plan.codec == LADDER_AUDIO_OPUS)
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
    if (av_samples_alloc_array_and_samples(&buf, NULL, a->plan.channels, max_out,
                                           a->enc->sample_fmt, 0) < 0)
        return LADDER_ENOMEM;
    int n = swr_convert(a->swr, buf, max_out,
                        in ? (const uint8_t **)in->extended_data : NULL, in ? in->nb_samples : 0);
    int err = n < 0 ? LADDER_EENCODER : 0;
    if (!err && n > 0 && av_audio_fifo_write(a->fifo, (void **)buf, n) < n)
        err = LADDER_ENOMEM;
    /* Samples before video time zero are dropped here, whatever the
     * sample layout. */
    if (!err && a->skip_samples > 0) {
        int drop = (int)FFMIN(a->skip_samples, (int64_t)av_audio_fifo_size(a->fifo));
        av_audio_fifo_drain(a->fifo, drop);
        a->skip_samples -= drop;
    }
    av_freep(&buf[0]);
    av_freep(&buf);
    return err;
}

/*
 * A decoded frame in another format than the last (rate, layout, sample
 * format): what the old resampler holds goes out first, then a new one
 * takes the new format to the rendition's, so the rendition keeps one
 * rate and layout from start to end.
 */
static int follow_format(audio_track *a, const AVFrame *f)
{
    bool same_layout = f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC
                           ? f->ch_layout.nb_channels == a->in_layout.nb_channels
                           : !av_channel_layout_compare(&f->ch_layout, &a->in_layout);
    if (f->sample_rate == a->in_rate && f->format == a->in_fmt && same_layout)
        return 0;
    if (!a->started)              /* the stream's header said otherwise: no event */
        return setup_resampler(a, f->sample_rate, f->format, &f->ch_layout);
    char was[64] = "", now[64] = "";
    av_channel_layout_describe(&a->in_layout, was, sizeof(was));
    av_channel_layout_describe(&f->ch_layout, now, sizeof(now));
    /* Where the new format plays: the frame's own time (after a gap, its
     * silence comes first), else where the samples so far end. */
    int64_t ts = f->best_effort_timestamp;
    int64_t at = ts != AV_NOPTS_VALUE
                     ? av_rescale_q(ts - a->origin, a->in_st->time_base, AV_TIME_BASE_Q)
                     : av_rescale_q(a->next_pts + av_audio_fifo_size(a->fifo), a->out_tb, AV_TIME_BASE_Q);
    session_log(a->s, LADDER_LOG_INFO,
                "audio stream %d: event=audio_format at=%.3f: %d Hz %s became %d Hz %s: resampled to %d Hz",
                a->in_st->index, (double)at / 1e6, a->in_rate, was, f->sample_rate, now, a->enc->sample_rate);
    timeline_note(a->s->timeline, TIMELINE_AUDIO_FORMAT, a->in_st->index, at, 0);
    int err = resample_into_fifo(a, NULL);
    return err ? err : setup_resampler(a, f->sample_rate, f->format, &f->ch_layout);
}

/*
 * Keep the samples where their timestamps put them: a frame that starts
 * later than the samples so far end (a gap in the input, which the video
 * covers by holding its picture) gets silence before it; one that starts
 * earlier (the overlap at a splice) loses as many samples. Differences
 * within the tolerance (above) are left alone.
 */
static void follow_timestamps(audio_track *a, const AVFrame *f)
{
    int64_t ts = f->best_effort_timestamp;
    if (ts == AV_NOPTS_VALUE || a->skip_samples > 0)
        return;
    int out_rate = a->enc->sample_rate;
    int64_t due = av_rescale_q(ts - a->origin, a->in_st->time_base, a->out_tb);
    int64_t written = a->next_pts + av_audio_fifo_size(a->fifo) + swr_get_delay(a->swr, out_rate);
    int64_t off = due - written;
    int64_t tolerance = (int64_t)(out_rate * (a->resync ? RESYNC_TOLERANCE_SECONDS : FOLLOW_TOLERANCE_SECONDS));
    a->resync = false;
    if (off > tolerance) {
        /* Silence goes through the resampler after what it holds. */
        swr_inject_silence(a->swr, (int)av_rescale(off, a->in_rate, out_rate));
    } else if (off < -tolerance) {
        swr_drop_output(a->swr, (int)-off);
    }
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
        int err = follow_format(a, a->frame);
        if (err) {
            av_frame_unref(a->frame);
            return err;
        }
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
        } else {
            follow_timestamps(a, a->frame);
        }
        err = resample_into_fifo(a, a->frame);
        av_frame_unref(a->frame);
        if (!err)
            err = encode_from_fifo(a, false);
        if (err)
            return err;
    }
}

/*
 * Silence for a copied track: packets of the track's own codec, rate and
 * layout from an encoder opened the first time a gap needs them. A
 * decoder set up for the source's configuration decodes them (same object
 * type, rate and channels: the sample entry stays the source's).
 */
static int open_silence_encoder(audio_track *a)
{
    const AVCodecParameters *par = a->in_st->codecpar;
    const AVCodec *codec = a->plan.codec == LADDER_AUDIO_OPUS ? avcodec_find_encoder_by_name("libopus")
                                                             : avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!codec)
        return LADDER_ECODEC;
    a->enc = avcodec_alloc_context3(codec);
    if (!a->enc)
        return LADDER_ENOMEM;
    a->enc->sample_rate = par->sample_rate;
    a->enc->sample_fmt = encoder_sample_fmt(codec);
    if (av_channel_layout_copy(&a->enc->ch_layout, &par->ch_layout) < 0)
        return LADDER_ENOMEM;
    if (a->enc->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC)
        av_channel_layout_default(&a->enc->ch_layout, par->ch_layout.nb_channels);
    a->enc->bit_rate = 32000 * par->ch_layout.nb_channels;
    a->enc->time_base = (AVRational){ 1, par->sample_rate };
    if (a->plan.codec == LADDER_AUDIO_AAC)
        a->enc->profile = FF_PROFILE_AAC_LOW;
    return avcodec_open2(a->enc, codec, NULL) < 0 ? LADDER_EENCODER : 0;
}

/* Silent packets from `from` for `count` frames (out_tb ticks each `step`),
 * the last one lasting to `until`: the next packet starts there. */
static int copy_silence(audio_track *a, int64_t from, int64_t count, int64_t step, int64_t until)
{
    if (!a->enc) {
        int err = open_silence_encoder(a);
        if (err)
            return err;
    }
    AVFrame *f = av_frame_alloc();
    AVPacket *pkt = av_packet_alloc();
    int err = f && pkt ? 0 : LADDER_ENOMEM;
    if (!err) {
        f->nb_samples = a->enc->frame_size > 0 ? a->enc->frame_size : 1024;
        f->format = a->enc->sample_fmt;
        f->sample_rate = a->enc->sample_rate;
        if (av_channel_layout_copy(&f->ch_layout, &a->enc->ch_layout) < 0 || av_frame_get_buffer(f, 0) < 0)
            err = LADDER_ENOMEM;
        else
            av_samples_set_silence(f->extended_data, 0, f->nb_samples, f->ch_layout.nb_channels, f->format);
    }
    /* Every packet of silence is silence, priming included: take them as
     * they come and time them ourselves. */
    for (int64_t made = 0; !err && made < count;) {
        if (avcodec_send_frame(a->enc, f) < 0) {
            err = LADDER_EENCODER;
            break;
        }
        while (!err && made < count && avcodec_receive_packet(a->enc, pkt) == 0) {
            pkt->pts = pkt->dts = from + made * step;
            pkt->duration = made + 1 == count ? until - pkt->pts : step;
            err = emit(a, pkt);
            av_packet_unref(pkt);
            made++;
        }
    }
    av_packet_free(&pkt);
    av_frame_free(&f);
    return err;
}

/*
 * A copied track cannot resample or trim inside a packet, so it follows
 * its timestamps by whole packets: a gap of a packet or more is filled
 * with silent ones (the last lasting up to the next packet; a shorter gap
 * stays a gap of under 21 ms), and a packet that starts more than half a
 * packet before the end of the last one (a splice's overlap) is left out
 * (returns 1).
 */
static int copy_follow(audio_track *a, AVPacket *pkt)
{
    if (pkt->pts == AV_NOPTS_VALUE || pkt->pts < 0)
        return 0;
    int rate = a->in_st->codecpar->sample_rate > 0 ? a->in_st->codecpar->sample_rate : 48000;
    int samples = a->plan.codec == LADDER_AUDIO_OPUS ? 960 : 1024;
    int64_t nominal = av_rescale_q(samples, (AVRational){ 1, rate }, a->out_tb);
    /* An MP4 may express a gap as its previous sample lasting longer (the
     * `stts` of a cut): an AAC frame is 1024 samples whatever the
     * container says, an Opus packet at most 120 ms. */
    int64_t longest = a->plan.codec == LADDER_AUDIO_OPUS ? av_rescale_q(120, (AVRational){ 1, 1000 }, a->out_tb)
                                                         : nominal;
    int64_t step = pkt->duration > 0 && pkt->duration <= longest ? pkt->duration : nominal;
    if (step <= 0)
        step = 1;
    pkt->duration = step;
    int err = 0;
    if (a->copy_started) {
        int64_t off = pkt->pts - a->copy_end;
        if (2 * off < -step)
            return 1;
        if (2 * off > step && off >= step)
            err = copy_silence(a, a->copy_end, off / step, step, pkt->pts);
    }
    a->copy_started = true;
    a->copy_end = pkt->pts + step;
    return err;
}

/*
 * A copy starts at video time zero only if a packet starts there: one
 * that straddles zero (an edit list that cuts inside a packet, e.g. a
 * `-ss 2 -c copy` cut, whose demuxer says how many samples to skip) would
 * put every sound up to a packet early or late, so such a track is decoded
 * and encoded instead, from the packets just before zero. Returns 1 when
 * the packet was taken here (kept for that, or fed to the encoder), 0 when
 * the copy goes on with it, or a LADDER_E* error.
 */
#define COPY_START_TOLERANCE_SECONDS 0.001

static int start_copy(audio_track *a, const AVPacket *pkt)
{
    const AVStream *st = a->in_st;
    int64_t rel = pkt->pts == AV_NOPTS_VALUE ? 0 : pkt->pts - a->origin;
    int64_t dur = pkt->duration > 0 ? pkt->duration : 0;
    if (rel + dur <= 0 && pkt->pts != AV_NOPTS_VALUE) {
        /* All of it before zero: kept in case the copy cannot be one. */
        int keep = (int)(sizeof(a->before_zero) / sizeof(a->before_zero[0]));
        if (a->nb_before_zero == keep) {
            av_packet_free(&a->before_zero[0]);
            memmove(a->before_zero, a->before_zero + 1, (size_t)(keep - 1) * sizeof(a->before_zero[0]));
            a->nb_before_zero--;
        }
        a->before_zero[a->nb_before_zero] = av_packet_clone(pkt);
        if (!a->before_zero[a->nb_before_zero])
            return LADDER_ENOMEM;
        a->nb_before_zero++;
        return 1;
    }
    double off = (double)rel * av_q2d(st->time_base);
    bool trims = av_packet_get_side_data(pkt, AV_PKT_DATA_SKIP_SAMPLES, NULL) != NULL;
    if (fabs(off) <= COPY_START_TOLERANCE_SECONDS && !trims)
        return open_output(a);
    session_log(a->s, LADDER_LOG_INFO, "audio stream %d: event=audio_copy first packet at %.4f s, not at the "
                "video's start: encoded instead", st->index, off);
    a->plan.copy = false;
    int err = open_transcode(a);
    if (!err)
        err = open_output(a);
    for (int i = 0; i < a->nb_before_zero; i++) {
        if (!err)
            err = decode_and_encode(a, a->before_zero[i]);
        av_packet_free(&a->before_zero[i]);
    }
    a->nb_before_zero = 0;
    if (!err)
        err = decode_and_encode(a, pkt);
    return err ? err : 1;
}

int audio_track_packet(audio_track *a, AVPacket *pkt, bool discontinuity)
{
    if (discontinuity)
        a->resync = true;
    /* Video time zero is known once the first video frame is decoded; the
     * pump holds audio back until then, so it is known here. Taking it at
     * open time would take 0, and an MPEG-TS source (which starts at 1.4 s
     * or so) would put its audio that far after the video. */
    if (!a->have_origin) {
        a->origin = av_rescale_q(a->s->origin_pts, a->s->src_tb, a->in_st->time_base);
        a->have_origin = true;
    }
    if (!a->plan.copy)
        return decode_and_encode(a, pkt);
    if (!a->writer) {
        int ret = start_copy(a, pkt);
        if (ret)
            return ret < 0 ? ret : 0;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    if (copy->pts != AV_NOPTS_VALUE)
        copy->pts -= a->origin;
    int err = copy_follow(a, copy);
    if (err == 1)
        err = 0;                  /* overlapped what is there: left out */
    else if (!err)
        err = emit(a, copy);
    av_packet_free(&copy);
    return err;
}

int audio_track_drain(audio_track *a)
{
    if (a->drained || a->plan.copy || !a->dec)
        return 0;
    a->drained = true;
    int err = decode_and_encode(a, NULL);
    if (!err)
        err = resample_into_fifo(a, NULL);
    if (!err)
        err = encode_from_fifo(a, true);
    if (!err && avcodec_send_frame(a->enc, NULL) >= 0)
        err = drain_encoder(a);
    return err;
}

double audio_track_end_seconds(const audio_track *a)
{
    int64_t end = 0;
    if (a->nb_pending > 0) {
        const AVPacket *last = a->pending[a->nb_pending - 1];
        end = last->pts + last->duration;
    } else if (a->nb_segs > 0) {
        end = a->segs[a->nb_segs - 1].decode_time + a->segs[a->nb_segs - 1].decode_duration;
    }
    return (double)end * av_q2d(a->out_tb);
}

int audio_track_finish(audio_track *a, double video_end_seconds)
{
    /* A copy that never reached zero still gets its (empty) track. */
    int err = a->writer ? 0 : open_output(a);
    if (!err)
        err = audio_track_drain(a);
    if (err)
        return err;
    /* What starts at or after the last picture's end would make the audio
     * rendition longer than every video one: the video was held to the
     * audio's end, so this is at most a part of a frame. */
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
    for (int i = 0; i < a->nb_before_zero; i++)
        av_packet_free(&a->before_zero[i]);
    free(a->dir);
    free(a->pending);
    free(a->segs);
    ladder_cmaf_writer_close(a->writer);
    avcodec_free_context(&a->dec);
    avcodec_free_context(&a->enc);
    swr_free(&a->swr);
    av_channel_layout_uninit(&a->in_layout);
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
const ladder_audio_plan *audio_track_plan(const audio_track *a) { return &a->plan; }
AVRational audio_track_time_base(const audio_track *a) { return a->out_tb; }
