/*
 * The decode pump: the caller's thread, between the set-up and the join
 * (ladder_session_run() in session.c). Every packet of the streams ladder
 * uses goes onto the one presentation timeline (timeline.c), video is
 * decoded (video_decoder.c), turned upright (rotate.c), its holes held
 * with the last picture, and fanned out to the frame FIFO of every rung
 * scaled from the source, one reference per rung (no copy); the FIFOs'
 * small capacity is the back-pressure that keeps memory bounded. Audio
 * packets go to their rendition's track (audio_track.c) once video time
 * zero is known.
 */
#include "decode_pump.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "chunk_plan.h"
#include "ladder/error.h"
#include "frame_fifo.h"
#include "audio_track.h"
#include "input.h"
#include "rotate.h"
#include "rung_scaler.h"
#include "session.h"
#include "timeline.h"
#include "video_decoder.h"

/* Fan one decoded frame out to every rung the pump feeds: a reference
 * each, no copy. */
static int fan_out(ladder_session *s, AVFrame *frame)
{
    bool starts = false;
    int chunk = ladder_chunk_plan_next(&s->plan, frame->pts, &starts);
    for (int i = 0; i < s->nb_rungs; i++) {
        if (!rung_fed_by_pump(&s->rungs[i]))
            continue;             /* a larger rung's scaler feeds it (rung_scaler_plan()) */
        AVFrame *ref = av_frame_clone(frame);
        if (!ref)
            return LADDER_ENOMEM;
        ladder_fifo_item item = { .frame = ref, .chunk = chunk, .starts_chunk = starts };
        if (ladder_frame_fifo_push(s->rungs[i].input, item)) {
            av_frame_free(&ref);
            return LADDER_ECANCELED;
        }
    }
    return 0;
}

/* The track of a source stream; NULL for a stream ladder does not use. */
static audio_track *track_of(ladder_session *s, int stream_index)
{
    for (int k = 0; k < s->nb_audio; k++)
        if (s->audio[k].stream_index == stream_index)
            return s->audio[k].track;
    return NULL;
}

/*
 * The decoder holds back its first frames (threads, reordering), so audio
 * packets arrive before video time zero is known; they are kept until it
 * is, instead of losing the start of the audio. A decoder with frame threads
 * gives its first picture several packets late, and a slideshow's next
 * packet may be 10 s of audio later. Bounded in bytes (compressed audio:
 * 64 MiB is hours); past that it is lost, and the log says so.
 */
#define EARLY_AUDIO_MAX_BYTES ((size_t)64 << 20)

static int keep_early_audio(pump_state *ps, const AVPacket *pkt)
{
    if (ps->early_audio_bytes + (size_t)pkt->size > EARLY_AUDIO_MAX_BYTES) {
        ps->early_audio_dropped++;
        return 0;
    }
    if (ps->nb_early_audio == ps->cap_early_audio) {
        int cap = ps->cap_early_audio ? ps->cap_early_audio * 2 : 256;
        AVPacket **grown = realloc(ps->early_audio, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        ps->early_audio = grown;
        ps->cap_early_audio = cap;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    ps->early_audio[ps->nb_early_audio++] = copy;
    ps->early_audio_bytes += (size_t)pkt->size;
    return 0;
}

/* Once video time zero is known: the kept audio to its tracks (or, with
 * err set, only freed). */
static int flush_early_audio(ladder_session *s, pump_state *ps, int err)
{
    for (int i = 0; i < ps->nb_early_audio; i++) {
        if (!err && ps->have_origin)
            err = audio_track_packet(track_of(s, ps->early_audio[i]->stream_index), ps->early_audio[i], false);
        av_packet_free(&ps->early_audio[i]);
    }
    ps->nb_early_audio = 0;
    ps->early_audio_bytes = 0;
    return err;
}

static int feed_audio(ladder_session *s, pump_state *ps, audio_track *track, AVPacket *pkt)
{
    bool jumped = timeline_stream_jumped(s->timeline, pkt->stream_index);
    if (!ps->have_origin)
        return keep_early_audio(ps, pkt);
    int err = flush_early_audio(s, ps, 0);
    return err ? err : audio_track_packet(track, pkt, jumped);
}

/* --max-duration holds for what is decoded too: a container that claims
 * 2 s may hold hours. */
static int check_decoded_duration(ladder_session *s, const pump_state *ps)
{
    double t = (double)ps->end_pts * av_q2d(s->src_tb);
    if (!(s->job.max_duration > 0) || t <= s->job.max_duration)
        return 0;
    session_fail(s, LADDER_ELIMIT, "input '%s': longer than %.1f s (--max-duration)", s->input,
                 s->job.max_duration);
    return LADDER_ELIMIT;
}

/* One picture to every rung, and kept as what a later gap shows. */
static int send_picture(ladder_session *s, pump_state *ps, AVFrame *frame)
{
    ps->last_pts = frame->pts;
    int64_t dur = frame->pkt_duration > 0 ? frame->pkt_duration : s->nominal_frame_ticks;
    ps->end_pts = frame->pts + dur;
    int err = check_decoded_duration(s, ps);
    if (!err)
        err = fan_out(s, frame);
    if (!err && frame != ps->held) {
        av_frame_unref(ps->held);
        err = av_frame_ref(ps->held, frame) < 0 ? LADDER_ENOMEM : 0;
    }
    return err;
}

/*
 * A held picture repeats at the source's own rhythm: its last regular step
 * between pictures, else its nominal rate. (A 25 fps file with a gap has an
 * average rate under 25 and passes for variable-rate: holding at that
 * average would put copies off the frame grid and segments off their
 * length.)
 */
static int64_t hold_cadence(const ladder_session *s, const pump_state *ps)
{
    int64_t nominal = s->nominal_frame_ticks;
    if (ps->frame_step >= nominal / 4 && ps->frame_step > 0 && ps->frame_step < nominal)
        return ps->frame_step;
    return nominal;
}

/*
 * The video holds its last picture over a hole in the timeline, one copy
 * per frame (hold_cadence()), so that every segment has pictures and the
 * audio (which gets silence over the same hole) stays in line. The copies
 * are references to the same buffers, as every fan-out is.
 */
static int hold_until(ladder_session *s, pump_state *ps, int64_t pts, int64_t max_frames)
{
    if (!ps->held->buf[0])
        return 0;
    int64_t step = hold_cadence(s, ps);
    int64_t n = timeline_hold_frames(ps->last_pts, pts, step, s->src_cfr, max_frames);
    int64_t from = ps->last_pts;
    for (int64_t k = 1; k <= n; k++) {
        ps->held->pts = from + k * step;
        ps->held->pkt_duration = step;
        int err = send_picture(s, ps, ps->held);
        if (err)
            return err;
        ps->held_frames++;
    }
    return 0;
}

/* A hole inside the input is at most TIMELINE_MAX_HOLD_US (longer jumps
 * are closed before decoding); this bounds the copies all the same. */
static int64_t max_hold_frames(const ladder_session *s)
{
    return av_rescale_q(TIMELINE_MAX_HOLD_US, AV_TIME_BASE_Q, s->src_tb) / s->nominal_frame_ticks + 1;
}

/* A decoded picture's time on the output timeline (source ticks from the
 * first picture). A source whose timestamps cannot be trusted (an
 * implausible rate) is timed by picture count at the measured rate. */
static int64_t picture_time(ladder_session *s, pump_state *ps, const AVFrame *frame)
{
    if (s->retime_video)
        return ps->frames * s->nominal_frame_ticks + (ps->have_origin ? s->origin_pts : 0);
    int64_t pts = frame->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
        pts = ps->have_origin ? ps->last_pts + s->nominal_frame_ticks + s->origin_pts : 0;
    return pts;
}

static int receive_frames(ladder_session *s, AVFrame *frame, pump_state *ps)
{
    for (;;) {
        int ret = video_decoder_receive(s, frame, &ps->decode_errors);
        if (ret <= 0)
            return ret;
        int64_t pts = picture_time(s, ps, frame);
        if (!ps->have_origin) {
            ps->have_origin = true;
            s->origin_pts = pts;
            ps->last_pts = -1;
        }
        pts -= s->origin_pts;
        if (pts <= ps->last_pts) {
            /* Encoders and muxers need strictly increasing timestamps. */
            ps->dropped++;
            av_frame_unref(frame);
            continue;
        }
        frame->pts = pts;
        /* The source's rhythm: steps up to one and a half nominal frames
         * (a longer one is a hole, not a rhythm). */
        if (ps->frames > 0 && pts - ps->last_real_pts <= s->nominal_frame_ticks * 3 / 2)
            ps->frame_step = pts - ps->last_real_pts;
        ps->last_real_pts = pts;
        ps->frames++;
        ret = s->rotation ? rotate_frame(&s->rotate, s->rotation, s->src_tb, frame) : 0;
        if (!ret)
            ret = hold_until(s, ps, pts, max_hold_frames(s));
        if (!ret)
            ret = send_picture(s, ps, frame);
        av_frame_unref(frame);
        if (ret)
            return ret;
    }
}

/*
 * Every packet of the streams ladder uses is put on the one presentation
 * timeline (engine/timeline.c decides: splices and restarts continue
 * right after what came before, long forward jumps are closed, on every
 * stream alike) before it is decoded or copied.
 */
static void map_packet(ladder_session *s, AVPacket *pkt)
{
    if (pkt->stream_index != s->video_stream && !track_of(s, pkt->stream_index))
        return;
    AVRational tb = s->in->streams[pkt->stream_index]->time_base;
    /* Decode times only: presentation times go back and forth with
     * B-frames, which is no jump. */
    int64_t ts = pkt->dts;
    int64_t offset_us = timeline_packet(s->timeline, pkt->stream_index,
                                        ts == AV_NOPTS_VALUE ? TIMELINE_NO_TS
                                                             : av_rescale_q(ts, tb, AV_TIME_BASE_Q),
                                        pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, AV_TIME_BASE_Q) : 0);
    int64_t offset = av_rescale_q(offset_us, AV_TIME_BASE_Q, tb);
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts += offset;
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts += offset;
}

/*
 * The end of the input: audio that runs past the last picture is kept, and
 * the video holds its last picture to cover it (the playlists end where
 * the longest stream does).
 */
static int hold_to_audio_end(ladder_session *s, pump_state *ps)
{
    ps->source_end_pts = ps->end_pts;
    double audio_end = 0;
    for (int k = 0; k < s->nb_audio; k++) {
        int err = audio_track_drain(s->audio[k].track);
        if (err) {
            session_fail(s, err, "audio %s: %s", s->audio[k].dir, ladder_strerror(err));
            return err;
        }
        double end = audio_track_end_seconds(s->audio[k].track);
        if (end > audio_end)
            audio_end = end;
    }
    if (!ps->have_origin)
        return 0;
    int64_t end = (int64_t)llround(audio_end / av_q2d(s->src_tb));
    /* An audio track usually ends within a frame or two of the video (the
     * encoder's last frame, muxing habits): that stays as it was, cut with
     * the last picture. Beyond that the audio is content. */
    int64_t slack = FFMAX(2 * s->nominal_frame_ticks, (int64_t)llround(0.1 / av_q2d(s->src_tb)));
    int64_t video_end = ps->end_pts;
    bool audio_longer = end > video_end + slack;
    /* A last picture meant to stay for long (a slideshow's) is held frame
     * by frame too: one picture as long as several segments would make a
     * segment that long. The audio's end is real data of the input,
     * however far: held all the way (--max-duration still bounds it). */
    int err = hold_until(s, ps, audio_longer ? end : video_end, INT64_MAX);
    if (!err && audio_longer && ps->end_pts > video_end)
        timeline_note(s->timeline, TIMELINE_END_HELD, s->video_stream,
                      av_rescale_q(video_end, s->src_tb, AV_TIME_BASE_Q),
                      av_rescale_q(ps->end_pts - video_end, s->src_tb, AV_TIME_BASE_Q));
    return err;
}

/* One log line per timeline event, and the events into the report. */
static void log_timeline(ladder_session *s, const pump_state *ps)
{
    const timeline_event *ev;
    int64_t total;
    int n = timeline_events(s->timeline, &ev, &total);
    int64_t origin_us = av_rescale_q(s->origin_pts, s->src_tb, AV_TIME_BASE_Q);
    for (int i = 0; i < n; i++) {
        ladder_timeline_event *out = &s->report.timeline_events[i];
        snprintf(out->kind, sizeof(out->kind), "%s", timeline_event_name(ev[i].kind));
        snprintf(out->action, sizeof(out->action), "%s", timeline_event_action(ev[i].kind));
        out->stream = ev[i].stream;
        /* Events noted after decoding are on the output timeline already. */
        bool output_time = ev[i].kind == TIMELINE_END_HELD || ev[i].kind == TIMELINE_AUDIO_FORMAT ||
                           ev[i].kind == TIMELINE_RATE_REPLACED;
        out->at = (double)(ev[i].at_us - (output_time ? 0 : origin_us)) / 1e6;
        out->size = (double)ev[i].size_us / 1e6;
        session_log(s, LADDER_LOG_INFO, "input '%s': event=timeline kind=%s stream=%d at=%.3f size=%.3f: %s",
                    s->input, out->kind, out->stream, out->at, out->size, out->action);
    }
    s->report.nb_timeline_events = n;
    s->report.timeline_events_total = total;
    s->report.frames_held = ps->held_frames;
    if (total > n)
        session_log(s, LADDER_LOG_INFO, "input '%s': %lld more timeline events not listed", s->input,
                    (long long)(total - n));
}

/* Demux and decode the source once; video to the rungs, each audio stream
 * to its rendition's track. */
int decode_pump_run(ladder_session *s, pump_state *ps)
{
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    ps->held = av_frame_alloc();
    timeline_params tp = { .close_gaps = s->job.close_gaps, .max_hold_us = TIMELINE_MAX_HOLD_US };
    if (!pkt || !frame || !ps->held || timeline_init(&s->timeline, &tp)) {
        av_packet_free(&pkt);
        av_frame_free(&frame);
        av_frame_free(&ps->held);
        return LADDER_ENOMEM;
    }
    if (s->retime_video)
        timeline_note(s->timeline, TIMELINE_RATE_REPLACED, s->video_stream, 0,
                      (int64_t)llround(1e6 / s->rate_replaced_from));
    int err = 0;
    bool truncated = false;
    while (!err) {
        if (atomic_load(&s->cancelled) || atomic_load(&s->stopping)) {
            err = LADDER_ECANCELED;
            break;
        }
        int ret = input_read_packet(s, pkt);
        if (ret == AVERROR_EOF)
            break;
        if (ret < 0) {
            truncated = true;     /* read error mid-file: the input is cut off */
            break;
        }
        map_packet(s, pkt);
        if (pkt->stream_index == s->video_stream) {
            err = video_decoder_send(s, pkt, &ps->decode_errors);
            if (!err)
                err = receive_frames(s, frame, ps);
        } else {
            audio_track *track = track_of(s, pkt->stream_index);
            if (track)
                err = feed_audio(s, ps, track, pkt);
        }
        av_packet_unref(pkt);
    }
    if (!err) {
        err = video_decoder_send(s, NULL, &ps->decode_errors);
        if (!err)
            err = receive_frames(s, frame, ps);
    }
    /* The last pictures may have come only with the decoder's flush. */
    err = flush_early_audio(s, ps, err);
    if (!err && !truncated)
        err = hold_to_audio_end(s, ps);
    flush_early_audio(s, ps, LADDER_ECANCELED);
    free(ps->early_audio);
    ps->early_audio = NULL;
    if (ps->early_audio_dropped)
        session_log(s, LADDER_LOG_WARNING, "input '%s': %lld audio packets before the first picture lost "
                    "(more than %zu MiB)", s->input, (long long)ps->early_audio_dropped,
                    EARLY_AUDIO_MAX_BYTES >> 20);
    av_packet_free(&pkt);
    av_frame_free(&frame);
    av_frame_free(&ps->held);
    if (!err && truncated) {
        /* A ladder of the first few seconds of a cut-off file would look
         * like a complete one; refuse it. */
        err = LADDER_EINPUT_INVALID;
        session_fail(s, err, "input '%s': truncated or corrupt: read error after %lld frames",
                     s->input, (long long)ps->frames);
    }
    if (ps->decode_errors)
        session_log(s, LADDER_LOG_INFO, "input '%s': %lld undecodable video packets skipped",
                    s->input, (long long)ps->decode_errors);
    log_timeline(s, ps);
    if (ps->dropped)
        session_log(s, LADDER_LOG_WARNING, "input '%s': %lld frames with repeated timestamps dropped",
                    s->input, (long long)ps->dropped);
    return err;
}

/*
 * A source that decoded to much less than its container holds was cut
 * off or broken: a ladder of its first seconds would pass for the whole.
 * Fewer pictures alone prove nothing (an edit list hides some, an AVI's
 * empty frames repeat the one before), so the pictures must also end well
 * before the time the container says the video lasts.
 */
void decode_pump_check_complete(ladder_session *s, const pump_state *ps)
{
    const AVStream *st = s->in->streams[s->video_stream];
    int64_t declared = st->nb_frames;
    if (declared <= 0 || ps->frames >= declared * 9 / 10)
        return;
    double claimed = 0;
    if (st->duration > 0)
        claimed = (double)st->duration * av_q2d(st->time_base);
    else if (s->in->duration > 0)
        claimed = (double)s->in->duration / AV_TIME_BASE;
    double presented = (double)ps->source_end_pts * av_q2d(s->src_tb);
    if (claimed > 0 && presented >= claimed * 0.9)
        return;
    session_fail(s, LADDER_EINPUT_INVALID,
                 "input '%s': truncated or corrupt: decoded %lld of %lld frames (%.2f of %.2f s)", s->input,
                 (long long)ps->frames, (long long)declared, presented, claimed);
}
