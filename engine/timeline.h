/*
 * One presentation timeline for every stream of the input (private to
 * engine/). The decode pump asks it about every packet before decoding and
 * about every decoded video frame; audio tracks follow the timestamps it
 * leaves. Pure bookkeeping on microseconds: no FFmpeg state, no threads
 * (the pump's thread only), unit-tested by tests/unit/test_timeline.c.
 *
 * What it decides (README "Timelines"):
 * - A stream whose timestamps go back (a splice, a restart at 0), or jump
 *   forward by more than max_hold_us (or, with close_gaps, by more than a
 *   gap's threshold), is shifted so that what follows continues right
 *   after what came before. Every stream that makes the same jump (within
 *   a second) gets the same shift, so video and audio stay together.
 * - A single packet out of line (one step back, then back on the old line)
 *   is put back where it belongs instead of moving the stream for good.
 * - Forward gaps up to max_hold_us are kept: the video holds its last
 *   picture (timeline_hold_frames) and audio gets silence (audio_track.c),
 *   so both cover the gap the same way.
 */
#ifndef LADDER_ENGINE_TIMELINE_H
#define LADDER_ENGINE_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#define TIMELINE_MAX_STREAMS 64
#define TIMELINE_MAX_EVENTS 32        /* kept for the report; the rest counted */

typedef enum timeline_event_kind {
    TIMELINE_GAP,                 /* forward gap kept: picture held, silence */
    TIMELINE_GAP_CLOSED,          /* forward jump closed on every stream */
    TIMELINE_JUMP_BACK,           /* backward jump or restart, continued */
    TIMELINE_OUTLIER,             /* one packet out of line, put back */
    TIMELINE_AUDIO_FORMAT,        /* audio rate or layout changed: resampled */
    TIMELINE_END_HELD,            /* video held to the end of the audio */
    TIMELINE_RATE_REPLACED,       /* an implausible frame rate replaced */
} timeline_event_kind;

typedef struct timeline_event {
    timeline_event_kind kind;
    int stream;                   /* input stream index, -1: all */
    int64_t at_us;                /* where, on the input's (mapped) timeline */
    int64_t size_us;              /* signed jump, gap length, ... */
} timeline_event;

/* Forward gaps up to this are held; longer jumps are closed. */
#define TIMELINE_MAX_HOLD_US (10 * (int64_t)1000000)

typedef struct timeline_params {
    bool close_gaps;              /* --gaps close: every forward gap closed */
    int64_t max_hold_us;          /* forward gaps up to this are held; 0: TIMELINE_MAX_HOLD_US */
} timeline_params;

typedef struct timeline timeline;

int timeline_init(timeline **out, const timeline_params *params);
void timeline_close(timeline *t);

/*
 * A packet of `stream` with its decode time and duration in microseconds
 * on the input's own clock (duration 0 = unknown). Returns the offset, in
 * microseconds, to add to its timestamps. Streams at or beyond
 * TIMELINE_MAX_STREAMS get 0; a packet without a decode time
 * (TIMELINE_NO_TS) gets its stream's current offset.
 */
#define TIMELINE_NO_TS INT64_MIN
int64_t timeline_packet(timeline *t, int stream, int64_t dts_us, int64_t duration_us);

/* Whether the stream's last packet was at a discontinuity (a jump taken or
 * a gap): the first packet after it carries the time to follow. */
bool timeline_stream_jumped(const timeline *t, int stream);

/* Record an event decided elsewhere (audio format change, end held, rate). */
void timeline_note(timeline *t, timeline_event_kind kind, int stream, int64_t at_us, int64_t size_us);

/* Events so far: the first TIMELINE_MAX_EVENTS, and how many in all. */
int timeline_events(const timeline *t, const timeline_event **events, int64_t *total);

/*
 * How many copies of the previous picture (shown last_pts) fill the hole
 * before a picture shown at pts, one every `cadence` ticks: the hole less
 * half a frame, in whole frames. A constant-rate source fills any hole of
 * more than one and a half frames; a variable-rate one only holes of more
 * than two and a half frames of its nominal rate (shorter ones are its
 * rhythm, not a gap). At most max_frames.
 */
int64_t timeline_hold_frames(int64_t last_pts, int64_t pts, int64_t cadence, bool cfr, int64_t max_frames);

/* The event kind's name and what was done about it, for logs and report. */
const char *timeline_event_name(timeline_event_kind kind);
const char *timeline_event_action(timeline_event_kind kind);

#endif
