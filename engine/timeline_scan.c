/*
 * The input's timeline before a run (`ladder probe`): see
 * ladder/timeline_scan.h. The decisions are the engine's own: every packet
 * goes through timeline_packet() as session.c's map_packet() passes it
 * (decode time and duration in microseconds, the same streams), the frame-rate rule is frame_rate.c's, and an audio
 * format change is judged as audio_track.c's follow_format() judges it. What
 * this file adds is what the encode learns only by decoding: where its
 * time zero (the first picture) is, and the decoded audio's formats.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>

#include "engine/timeline_scan.h"
#include "frame_rate.h"
#include "timeline.h"

_Static_assert(LADDER_TIMELINE_MAX_EVENTS == TIMELINE_MAX_EVENTS, "the scan lists what the report lists");

/* Time arithmetic that a hostile file's timestamps cannot overflow. */
static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN + 1) : r;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_sub_overflow(a, b, &r) ? (b < 0 ? INT64_MAX : INT64_MIN + 1) : r;
}

/* What the scan keeps of each stream it puts on the timeline. */
typedef struct scan_stream {
    int index;
    AVStream *st;
    bool is_video;
    bool have_first;
    int64_t first_us;             /* its first time on its own clock */
    int64_t end_us;               /* mapped end of its latest packet */
    int64_t last_pts_us;          /* video: mapped time of the picture that ends last */
    int64_t offset;               /* the timeline's latest shift of its times, in its time base */
    AVCodecContext *dec;          /* audio: NULL when it cannot be decoded */
    bool have_format;             /* the decoded format so far */
    int rate;
    int format;
    AVChannelLayout layout;
} scan_stream;

typedef struct scan_state {
    const ladder_timeline_scan_options *opts;
    ladder_timeline_scan *out;
    AVFormatContext *in;
    frame_rate_prefetch *prefetch; /* packets read to measure the rate, read first */
    timeline *tl;
    scan_stream streams[1 + LADDER_MAX_AUDIO];
    int nb_streams;
    AVFrame *frame;
    /* Time zero: the first picture, as the encode's pump takes it. */
    bool have_origin;
    int64_t origin_us;
    bool have_first_video;
    int64_t first_video_us;
    /* Frame rate from the video's times: a running maximum, whose rises
     * add up to the span, jumps and gaps left out. */
    bool have_video_max;
    int64_t video_max_us;
    int64_t span_us;
    int64_t intervals;
    int64_t nominal_us;           /* one frame at the ladder's rate */
    bool cfr;                     /* constant rate, as the encode judges it */
    bool retime;
    /* Per listed event: what only the scan knows. */
    ladder_timeline_scan_event extra[LADDER_TIMELINE_MAX_EVENTS];
} scan_state;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The rate ladder encode makes the ladder at: the header's as
 * engine/input.c reads it (the lowest common rate of a constant-rate
 * source, else its average, else 25), judged by frame_rate.c's rule, a
 * constant one checked against the packet times of the same first seconds
 * (frame_rate_decide_input()).
 */
static int decide_rate(scan_state *s, int video)
{
    ladder_timeline_scan *o = s->out;
    frame_rate_decision d;
    int err = frame_rate_decide_input(s->in, video, &s->prefetch, &d);
    if (err)
        return err;
    AVRational rate = d.rate;
    s->cfr = d.cfr;
    o->cfr = d.cfr;
    o->header_frame_rate = av_q2d(d.header);
    o->rate_implausible = d.verdict == FRAME_RATE_IMPLAUSIBLE;
    o->slideshow = d.verdict == FRAME_RATE_SLIDESHOW;
    s->retime = o->rate_implausible;
    o->ladder_frame_rate = av_q2d(rate);
    s->nominal_us = o->ladder_frame_rate > 0 ? (int64_t)llround(1e6 / o->ladder_frame_rate) : 40000;
    if (s->nominal_us < 1)
        s->nominal_us = 1;
    return 0;
}

/* The audio streams ladder encode makes renditions of (engine/audio_renditions.c):
 * every one it can read, or the first, or none. */
static bool usable_audio(const AVStream *st)
{
    const AVCodecParameters *par = st->codecpar;
    return par->codec_type == AVMEDIA_TYPE_AUDIO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC) &&
           par->ch_layout.nb_channels >= 1 && par->sample_rate > 0 && avcodec_find_decoder(par->codec_id);
}

static int open_audio_decoder(scan_stream *ss)
{
    const AVCodec *codec = avcodec_find_decoder(ss->st->codecpar->codec_id);
    if (!codec)
        return 0;
    ss->dec = avcodec_alloc_context3(codec);
    if (!ss->dec)
        return LADDER_ENOMEM;
    ss->dec->pkt_timebase = ss->st->time_base;
    if (avcodec_parameters_to_context(ss->dec, ss->st->codecpar) < 0 || avcodec_open2(ss->dec, codec, NULL) < 0)
        avcodec_free_context(&ss->dec);   /* still on the timeline, formats unknown */
    return 0;
}

static int pick_streams(scan_state *s, int video)
{
    AVFormatContext *in = s->in;
    s->streams[s->nb_streams++] = (scan_stream){ .index = video, .st = in->streams[video], .is_video = true,
                                                 .end_us = INT64_MIN };
    s->out->video_stream = video;
    for (unsigned i = 0; i < in->nb_streams && s->opts->audio_mode != LADDER_AUDIO_NONE; i++) {
        if (!usable_audio(in->streams[i]) || s->out->nb_audio == LADDER_MAX_AUDIO)
            continue;
        scan_stream *ss = &s->streams[s->nb_streams++];
        *ss = (scan_stream){ .index = (int)i, .st = in->streams[i], .end_us = INT64_MIN };
        s->out->audio_streams[s->out->nb_audio++] = (int)i;
        int err = open_audio_decoder(ss);
        if (err)
            return err;
        if (s->opts->audio_mode == LADDER_AUDIO_FIRST)
            break;
    }
    /* The demuxer need not hand over what nobody reads. */
    for (unsigned i = 0; i < in->nb_streams; i++) {
        bool used = false;
        for (int k = 0; k < s->nb_streams; k++)
            used |= s->streams[k].index == (int)i;
        if (!used)
            in->streams[i]->discard = AVDISCARD_ALL;
    }
    return 0;
}

static scan_stream *scan_stream_of(scan_state *s, int index)
{
    for (int k = 0; k < s->nb_streams; k++)
        if (s->streams[k].index == index)
            return &s->streams[k];
    return NULL;
}

/* How many events the timeline lists so far. */
static int listed(const scan_state *s)
{
    const timeline_event *ev;
    int64_t total;
    return timeline_events(s->tl, &ev, &total);
}

static void layout_name(const AVChannelLayout *layout, char *buf, size_t size)
{
    if (av_channel_layout_describe(layout, buf, size) < 0)
        snprintf(buf, size, "%d channels", layout->nb_channels);
}

/*
 * A decoded frame in another format than the stream's last (rate, layout,
 * sample format), judged as audio_track.c's follow_format() does: the
 * first frame sets the format without an event (the encode sets its
 * resampler up from it), each change after it is one.
 */
static int follow_format(scan_state *s, scan_stream *ss, const AVFrame *f, int64_t at_us)
{
    if (ss->have_format) {
        bool same_layout = f->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC
                               ? f->ch_layout.nb_channels == ss->layout.nb_channels
                               : !av_channel_layout_compare(&f->ch_layout, &ss->layout);
        if (f->sample_rate == ss->rate && f->format == ss->format && same_layout)
            return 0;
        int before = listed(s);
        timeline_note(s->tl, TIMELINE_AUDIO_FORMAT, ss->index, at_us, 0);
        if (listed(s) > before) {
            ladder_timeline_scan_event *x = &s->extra[before];
            x->from_rate = ss->rate;
            x->to_rate = f->sample_rate;
            layout_name(&ss->layout, x->from_layout, sizeof(x->from_layout));
            layout_name(&f->ch_layout, x->to_layout, sizeof(x->to_layout));
        }
    }
    ss->have_format = true;
    ss->rate = f->sample_rate;
    ss->format = f->format;
    av_channel_layout_uninit(&ss->layout);
    return av_channel_layout_copy(&ss->layout, &f->ch_layout) < 0 ? LADDER_ENOMEM : 0;
}

/* Decode an audio packet (NULL: drain) and follow the frames' formats. */
static int decode_audio(scan_state *s, scan_stream *ss, const AVPacket *pkt)
{
    if (!ss->dec)
        return 0;
    int sent = avcodec_send_packet(ss->dec, pkt);
    for (;;) {
        int ret = avcodec_receive_frame(ss->dec, s->frame);
        if (ret == AVERROR(EAGAIN) && sent == AVERROR(EAGAIN)) {
            sent = avcodec_send_packet(ss->dec, pkt);
            if (sent == AVERROR(EAGAIN))
                return 0;         /* a decoder that takes nothing: leave it */
            continue;
        }
        if (ret < 0)
            return 0;             /* undecodable packets are skipped, as the encode skips them */
        int64_t ts = s->frame->best_effort_timestamp;
        int64_t at_us = ts != AV_NOPTS_VALUE ? av_rescale_q(ts, ss->st->time_base, AV_TIME_BASE_Q)
                        : ss->end_us != INT64_MIN ? ss->end_us : 0;
        int err = follow_format(s, ss, s->frame, at_us);
        av_frame_unref(s->frame);
        if (err)
            return err;
    }
}

/*
 * One packet onto the timeline, as session.c's map_packet(): its decode
 * time (presentation times go back and forth with B-frames, which is no
 * jump) and duration in microseconds; the offset returned moves its
 * timestamps. Returns the packet's mapped decode time in microseconds, or
 * TIMELINE_NO_TS.
 */
static int64_t map_packet(scan_state *s, scan_stream *ss, AVPacket *pkt)
{
    AVRational tb = ss->st->time_base;
    int64_t ts = pkt->dts;
    int64_t ts_us = ts == AV_NOPTS_VALUE ? TIMELINE_NO_TS : av_rescale_q(ts, tb, AV_TIME_BASE_Q);
    int before = listed(s);
    int64_t offset_us = timeline_packet(s->tl, ss->index, ts_us,
                                        pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : 0);
    int64_t offset = av_rescale_q(offset_us, AV_TIME_BASE_Q, tb);
    ss->offset = offset;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts = add_sat(pkt->dts, offset);
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts = add_sat(pkt->pts, offset);
    if (ts_us == TIMELINE_NO_TS)
        return TIMELINE_NO_TS;
    if (listed(s) > before) {
        const timeline_event *ev;
        int64_t total;
        timeline_events(s->tl, &ev, &total);
        ladder_timeline_scan_event *x = &s->extra[before];
        x->has_input_at = true;
        x->input_at = (double)ts_us / 1e6;
        x->restart = ev[before].kind == TIMELINE_JUMP_BACK && ss->have_first && ts_us < ss->first_us;
    }
    if (!ss->have_first) {
        ss->have_first = true;
        ss->first_us = ts_us;
    }
    return add_sat(ts_us, offset_us);
}

/*
 * The video packet's part (its timestamps mapped already): time zero, the
 * measured rate, where it ends. The rate is measured on presentation
 * times, else decode times: their running maximum does not mind the order
 * of B-frames, and a stream whose first packets have no decode time (as
 * Matroska's) is measured from its first picture.
 */
static void follow_video(scan_state *s, scan_stream *ss, const AVPacket *pkt)
{
    ladder_timeline_scan *o = s->out;
    o->video_packets++;
    bool shown = !(pkt->flags & AV_PKT_FLAG_DISCARD);
    if (shown)
        o->video_frames++;
    AVRational tb = ss->st->time_base;
    int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    int64_t pts_us = pts != AV_NOPTS_VALUE ? av_rescale_q(pts, tb, AV_TIME_BASE_Q) : TIMELINE_NO_TS;
    int64_t mapped_us = shown ? pts_us : TIMELINE_NO_TS;   /* not a picture: no interval */
    if (pts_us != TIMELINE_NO_TS && !s->have_first_video) {
        s->have_first_video = true;
        s->first_video_us = pts_us;
    }
    /* The decoder's first picture is the first key frame's (a stream cut
     * mid-GOP starts there); a stream timed by count starts at 0. */
    if (!s->have_origin && (pkt->flags & AV_PKT_FLAG_KEY) && pts_us != TIMELINE_NO_TS) {
        s->have_origin = true;
        s->origin_us = s->retime ? 0 : pts_us;
    }
    if (mapped_us != TIMELINE_NO_TS) {
        if (!s->have_video_max) {
            s->have_video_max = true;
            s->video_max_us = mapped_us;
        } else {
            bool jumped = timeline_stream_jumped(s->tl, ss->index);
            if (mapped_us > s->video_max_us && !jumped)
                s->span_us = add_sat(s->span_us, sub_sat(mapped_us, s->video_max_us));
            if (!jumped)
                s->intervals++;
            if (mapped_us > s->video_max_us)
                s->video_max_us = mapped_us;
        }
    }
    int64_t dur_us = pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : s->nominal_us;
    if (s->retime) {
        ss->last_pts_us = (o->video_packets - 1) * s->nominal_us;
        ss->end_us = o->video_packets * s->nominal_us;
    } else if (pts_us != TIMELINE_NO_TS && (ss->end_us == INT64_MIN || add_sat(pts_us, dur_us) > ss->end_us)) {
        ss->last_pts_us = pts_us;
        ss->end_us = add_sat(pts_us, dur_us);
    }
}

static void follow_audio_end(scan_stream *ss, const AVPacket *pkt)
{
    int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (pts == AV_NOPTS_VALUE)
        return;
    int64_t end = av_rescale_q(add_sat(pts, pkt->duration > 0 ? pkt->duration : 0), ss->st->time_base,
                               AV_TIME_BASE_Q);
    if (end > ss->end_us)
        ss->end_us = end;
}

/* Where the scan is on the output timeline, for --timeline-scan SECONDS. */
static double position_seconds(const scan_state *s, int64_t mapped_us)
{
    if (s->retime || mapped_us == TIMELINE_NO_TS)
        return (double)s->out->video_packets * (double)s->nominal_us / 1e6;
    int64_t zero = s->have_origin ? s->origin_us : s->have_first_video ? s->first_video_us : mapped_us;
    return ((double)mapped_us - (double)zero) / 1e6;
}

/*
 * The end of the input, as session.c's hold_to_audio_end(): audio that
 * runs past the last picture by more than two frames or 100 ms is kept and
 * the video holds its last picture to cover it all, a copy per frame of
 * the nominal rate.
 */
static void note_audio_past_video(scan_state *s)
{
    const scan_stream *video = &s->streams[0];
    int64_t audio_end = INT64_MIN;
    for (int k = 1; k < s->nb_streams; k++)
        if (s->streams[k].end_us > audio_end)
            audio_end = s->streams[k].end_us;
    if (video->end_us == INT64_MIN || audio_end == INT64_MIN)
        return;
    int64_t zero = s->retime ? 0 : s->origin_us;
    int64_t video_end = sub_sat(video->end_us, zero), last = sub_sat(video->last_pts_us, zero);
    audio_end = sub_sat(audio_end, s->origin_us);
    int64_t slack = 2 * s->nominal_us > 100000 ? 2 * s->nominal_us : 100000;
    if (audio_end <= add_sat(video_end, slack))
        return;
    int64_t n = timeline_hold_frames(last, audio_end, s->nominal_us, s->cfr, INT64_MAX);
    int64_t held_end = add_sat(last, (n + 1) * s->nominal_us);
    if (n > 0 && held_end > video_end)
        timeline_note(s->tl, TIMELINE_END_HELD, video->index, video_end, sub_sat(held_end, video_end));
}

/* The timeline's events onto the output timeline, with what the scan knows. */
static void list_events(scan_state *s)
{
    ladder_timeline_scan *o = s->out;
    const timeline_event *ev;
    int64_t total;
    int n = timeline_events(s->tl, &ev, &total);
    for (int i = 0; i < n; i++) {
        ladder_timeline_scan_event *e = &o->events[i];
        *e = s->extra[i];
        snprintf(e->kind, sizeof(e->kind), "%s", timeline_event_name(ev[i].kind));
        snprintf(e->action, sizeof(e->action), "%s", timeline_event_action(ev[i].kind));
        e->stream = ev[i].stream;
        /* Those noted at the end or before the start are on the output
         * timeline already (as in session.c's log_timeline()). */
        bool output_time = ev[i].kind == TIMELINE_END_HELD || ev[i].kind == TIMELINE_RATE_REPLACED;
        e->at = ((double)ev[i].at_us - (output_time ? 0 : (double)s->origin_us)) / 1e6;
        e->size = (double)ev[i].size_us / 1e6;
        if (ev[i].kind != TIMELINE_JUMP_BACK)
            e->restart = false;
    }
    o->nb_events = n;
    o->events_total = total;
}

/*
 * H.264 and HEVC keep at most 16 pictures back for reordering: a picture
 * shown before the latest one read comes at most that many packets later.
 */
#define MAX_REORDER 16

/*
 * A scan stopped at --timeline-scan SECONDS read the pictures in decode
 * order up to there: with B-frames some shown before the latest
 * presentation time read come after it, and the rate would count the span
 * without them (a CFR source measured slower than its rate). Read on, for
 * the rate only (not onto the timeline), until none can come any more.
 * Only pictures within the reorder depth of that time count: one far
 * before it is a jump back, not a reordered picture.
 */
static void settle_rate(scan_state *s, AVPacket *pkt)
{
    const scan_stream *video = &s->streams[0];
    int64_t reach = (MAX_REORDER + 1) * s->nominal_us;
    int past = 0;
    while (s->have_video_max && !s->retime && past <= MAX_REORDER &&
           frame_rate_prefetch_read(s->prefetch, s->in, pkt) >= 0) {
        int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
        if (pkt->stream_index == video->index && !(pkt->flags & AV_PKT_FLAG_DISCARD) && pts != AV_NOPTS_VALUE) {
            int64_t us = av_rescale_q(add_sat(pts, video->offset), video->st->time_base, AV_TIME_BASE_Q);
            if (us <= s->video_max_us && us > sub_sat(s->video_max_us, reach))
                s->intervals++;
            else
                past++;
        }
        av_packet_unref(pkt);
    }
}

static int scan(scan_state *s)
{
    ladder_timeline_scan *o = s->out;
    AVPacket *pkt = av_packet_alloc();
    s->frame = av_frame_alloc();
    if (!pkt || !s->frame) {
        av_packet_free(&pkt);
        return LADDER_ENOMEM;
    }
    bool stopped = false;
    int err = 0;
    while (!err) {
        int ret = frame_rate_prefetch_read(s->prefetch, s->in, pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            o->truncated = true;
            break;
        }
        scan_stream *ss = scan_stream_of(s, pkt->stream_index);
        if (!ss) {
            av_packet_unref(pkt);
            continue;
        }
        int64_t mapped_us = map_packet(s, ss, pkt);
        if (ss->is_video) {
            follow_video(s, ss, pkt);
        } else {
            follow_audio_end(ss, pkt);
            err = decode_audio(s, ss, pkt);
        }
        av_packet_unref(pkt);
        if (!err && s->opts->max_seconds > 0 && position_seconds(s, mapped_us) > s->opts->max_seconds) {
            stopped = true;
            break;
        }
    }
    for (int k = 1; !err && k < s->nb_streams && !stopped; k++)
        err = decode_audio(s, &s->streams[k], NULL);
    if (!err && stopped)
        settle_rate(s, pkt);
    o->complete = !stopped && !o->truncated;
    av_packet_free(&pkt);
    return err;
}

static void finish(scan_state *s)
{
    ladder_timeline_scan *o = s->out;
    if (!s->have_origin)
        s->origin_us = s->retime || !s->have_first_video ? 0 : s->first_video_us;
    if (o->complete)
        note_audio_past_video(s);
    list_events(s);
    if (s->intervals > 0 && s->span_us > 0)
        o->measured_frame_rate = (double)s->intervals * 1e6 / (double)s->span_us;
    int64_t end = INT64_MIN;
    for (int k = 0; k < s->nb_streams; k++) {
        const scan_stream *ss = &s->streams[k];
        if (ss->end_us == INT64_MIN)
            continue;
        int64_t e = ss->is_video && s->retime ? ss->end_us : sub_sat(ss->end_us, s->origin_us);
        if (e > end)
            end = e;
    }
    o->seconds = end > 0 ? (double)end / 1e6 : 0;
    if (s->in->pb) {
        int64_t pos = avio_tell(s->in->pb);
        o->bytes = pos > 0 ? pos : 0;
    }
}

static void close_state(scan_state *s)
{
    for (int k = 0; k < s->nb_streams; k++) {
        avcodec_free_context(&s->streams[k].dec);
        av_channel_layout_uninit(&s->streams[k].layout);
    }
    av_frame_free(&s->frame);
    frame_rate_prefetch_free(&s->prefetch);
    timeline_close(s->tl);
    avformat_close_input(&s->in);
}

int ladder_timeline_scan_run(ladder_timeline_scan **out, const char *path,
                             const ladder_timeline_scan_options *opts, char *err, size_t err_size)
{
    if (!out || !path || !opts || !err || !err_size)
        return LADDER_EINVAL;
    *out = NULL;
    double start = now_seconds();
    scan_state *s = calloc(1, sizeof(*s));
    ladder_timeline_scan *o = calloc(1, sizeof(*o));
    if (!s || !o) {
        free(s);
        free(o);
        snprintf(err, err_size, "input '%s': out of memory", path);
        return LADDER_ENOMEM;
    }
    s->opts = opts;
    s->out = o;
    int ret = ladder_input_open(&s->in, path, opts->policy, err, err_size);
    if (ret) {
        free(s);
        free(o);
        return ret;
    }
    /* libavformat shows a text file as video ("tty"): not media. */
    if (!strcmp(s->in->iformat->name, "tty") || avformat_find_stream_info(s->in, NULL) < 0) {
        snprintf(err, err_size, "input '%s': not a media file (%s)", path,
                 !strcmp(s->in->iformat->name, "tty") ? "text" : "no readable streams");
        ret = LADDER_EINPUT_INVALID;
        goto done;
    }
    int video = ladder_input_video_stream(s->in);
    if (video < 0) {
        snprintf(err, err_size, "input '%s': no video stream", path);
        ret = LADDER_ENOVIDEO;
        goto done;
    }
    timeline_params tp = { .close_gaps = opts->close_gaps, .max_hold_us = TIMELINE_MAX_HOLD_US };
    ret = timeline_init(&s->tl, &tp);
    if (!ret)
        ret = pick_streams(s, video);
    if (!ret)
        ret = decide_rate(s, video);
    if (!ret) {
        /* First, as the encode's pump notes it. */
        if (o->rate_implausible)
            timeline_note(s->tl, TIMELINE_RATE_REPLACED, video, 0, (int64_t)llround(1e6 / o->header_frame_rate));
        ret = scan(s);
    }
    if (!ret)
        finish(s);
    else
        snprintf(err, err_size, "input '%s': %s", path, ladder_strerror(ret));
done:
    close_state(s);
    free(s);
    if (ret) {
        free(o);
        return ret;
    }
    o->wall_seconds = now_seconds() - start;
    *out = o;
    return 0;
}

void ladder_timeline_scan_free(ladder_timeline_scan *scan)
{
    free(scan);
}
