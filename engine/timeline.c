/*
 * One presentation timeline for every stream of the input: see timeline.h
 * for what is decided, README "Timelines" for what users see.
 */
#include "timeline.h"

#include <stdlib.h>

#include "ladder/error.h"

/* A forward step this long is reported as a gap (shorter ones are a
 * variable frame rate's rhythm, or dropped frames). */
#define GAP_REPORT_US 250000
/* A step back shorter than this is timestamp noise (the demuxer's guesses
 * between the times a TS stream carries), left to the followers: the pump
 * drops a picture that is not later than the last, audio trims. */
#define BACK_US 100000
/* Two streams' jumps within this of each other are the same splice. */
#define MATCH_US 1000000
/* ... and so are jumps this close in time (streams interleave loosely). */
#define MATCH_WINDOW_US 5000000
/* A step back that returns to the old line within this many packets (and
 * a second) was one packet out of line, not a splice. */
#define OUTLIER_PACKETS 8
#define OUTLIER_US 1000000
/* A step that undoes the last jump to within this is the return. */
#define RETURN_US 2000

typedef struct jump {
    int64_t delta_us;             /* where the first stream landed, less where it was due */
    int64_t change_us;            /* the offset change each stream that makes it takes */
    int64_t at_us;                /* mapped time where the first stream's jump was */
    uint64_t streams;             /* which streams have taken it */
    int event;                    /* its index in events[], -1 when not kept */
} jump;

typedef struct stream_line {
    bool seen;
    int64_t offset_us;
    int64_t last_dts_us;          /* mapped */
    int64_t step_us;              /* last packet's duration, or dts step */
    int last_jump;                /* index in jumps[] of the last one taken, -1: none */
    int packets_since_jump;
    bool jumped;                  /* at its last packet */
} stream_line;

struct timeline {
    timeline_params params;
    stream_line streams[TIMELINE_MAX_STREAMS];
    jump jumps[16];               /* the most recent ones, a ring */
    int nb_jumps;                 /* ever made; jumps[i % 16] */
    timeline_event events[TIMELINE_MAX_EVENTS];
    int nb_events;
    int64_t total_events;
};

int timeline_init(timeline **out, const timeline_params *params)
{
    timeline *t = calloc(1, sizeof(*t));
    if (!t)
        return LADDER_ENOMEM;
    t->params = *params;
    if (t->params.max_hold_us <= 0)
        t->params.max_hold_us = TIMELINE_MAX_HOLD_US;
    for (int i = 0; i < TIMELINE_MAX_STREAMS; i++)
        t->streams[i].last_jump = -1;
    *out = t;
    return 0;
}

void timeline_close(timeline *t)
{
    free(t);
}

/* Returns the event's index in events[], or -1 when only counted. */
static int note(timeline *t, timeline_event_kind kind, int stream, int64_t at_us, int64_t size_us)
{
    t->total_events++;
    if (t->nb_events == TIMELINE_MAX_EVENTS)
        return -1;
    t->events[t->nb_events] = (timeline_event){ kind, stream, at_us, size_us };
    return t->nb_events++;
}

void timeline_note(timeline *t, timeline_event_kind kind, int stream, int64_t at_us, int64_t size_us)
{
    note(t, kind, stream, at_us, size_us);
}

int timeline_events(const timeline *t, const timeline_event **events, int64_t *total)
{
    *events = t->events;
    *total = t->total_events;
    return t->nb_events;
}

/* The recent jump of another stream that this one is making too. */
static jump *matching_jump(timeline *t, int stream, int64_t delta_us, int64_t at_us, bool closes)
{
    int oldest = t->nb_jumps > 16 ? t->nb_jumps - 16 : 0;
    for (int i = t->nb_jumps - 1; i >= oldest; i--) {
        jump *j = &t->jumps[i % 16];
        if ((j->streams >> stream) & 1)
            continue;
        if ((j->change_us != 0) != closes)
            continue;
        if (llabs(j->delta_us - delta_us) < MATCH_US && llabs(j->at_us - at_us) < MATCH_WINDOW_US)
            return j;
    }
    return NULL;
}

/* This stream jumps by delta: take a matching jump, or make a new one. */
static void take_jump(timeline *t, int stream, int64_t delta_us, int64_t at_us, timeline_event_kind kind)
{
    stream_line *st = &t->streams[stream];
    bool closes = kind != TIMELINE_GAP;
    jump *j = matching_jump(t, stream, delta_us, at_us, closes);
    if (!j) {
        j = &t->jumps[t->nb_jumps % 16];
        *j = (jump){ .delta_us = delta_us, .change_us = closes ? -delta_us : 0, .at_us = at_us };
        j->event = note(t, kind, stream, at_us, delta_us);
        t->nb_jumps++;
    }
    j->streams |= (uint64_t)1 << stream;
    st->offset_us += j->change_us;
    st->last_jump = (int)(j - t->jumps);
    st->packets_since_jump = 0;
    st->jumped = true;
}

/*
 * The packet is back on the line this stream left at its last jump, a few
 * packets ago: that jump was one packet out of line. Undo it.
 */
static bool returns_from_outlier(timeline *t, stream_line *st, int64_t delta_us)
{
    if (st->last_jump < 0 || st->packets_since_jump > OUTLIER_PACKETS)
        return false;
    jump *j = &t->jumps[st->last_jump];
    if (j->change_us == 0 || llabs(delta_us - j->change_us) > RETURN_US ||
        llabs(st->last_dts_us - j->at_us) > OUTLIER_US)
        return false;
    st->offset_us -= j->change_us;
    if (j->event >= 0 && j->streams == ((uint64_t)1 << (st - t->streams)))
        t->events[j->event].kind = TIMELINE_OUTLIER;
    st->last_jump = -1;
    return true;
}

int64_t timeline_packet(timeline *t, int stream, int64_t dts_us, int64_t duration_us)
{
    if (stream < 0 || stream >= TIMELINE_MAX_STREAMS)
        return 0;
    stream_line *st = &t->streams[stream];
    if (dts_us == TIMELINE_NO_TS)
        return st->offset_us;
    if (!st->seen) {
        st->seen = true;
        st->last_dts_us = dts_us + st->offset_us;
        st->step_us = duration_us > 0 ? duration_us : 0;
        return st->offset_us;
    }
    st->packets_since_jump++;
    st->jumped = false;
    int64_t mapped = dts_us + st->offset_us;
    int64_t due = st->last_dts_us + st->step_us;
    int64_t delta = mapped - due;
    int64_t gap_limit = t->params.close_gaps ? GAP_REPORT_US : t->params.max_hold_us;
    if (returns_from_outlier(t, st, delta)) {
        mapped = dts_us + st->offset_us;
    } else if (mapped < st->last_dts_us - BACK_US) {
        take_jump(t, stream, delta, due, TIMELINE_JUMP_BACK);
        mapped = dts_us + st->offset_us;
    } else if (delta > gap_limit) {
        take_jump(t, stream, delta, due, TIMELINE_GAP_CLOSED);
        mapped = dts_us + st->offset_us;
    } else if (delta > GAP_REPORT_US) {
        take_jump(t, stream, delta, due, TIMELINE_GAP);   /* kept: reported once */
    }
    if (duration_us > 0)
        st->step_us = duration_us;
    else if (mapped > st->last_dts_us)
        st->step_us = mapped - st->last_dts_us;
    if (mapped > st->last_dts_us)
        st->last_dts_us = mapped;
    return st->offset_us;
}

bool timeline_stream_jumped(const timeline *t, int stream)
{
    return stream >= 0 && stream < TIMELINE_MAX_STREAMS && t->streams[stream].jumped;
}

int64_t timeline_hold_frames(int64_t last_pts, int64_t pts, int64_t cadence, bool cfr, int64_t max_frames)
{
    if (cadence <= 0 || pts <= last_pts)
        return 0;
    /* Bounded so that the arithmetic below cannot overflow (a hostile
     * input's times may be anything). */
    int64_t hole = pts - last_pts > INT64_MAX / 4 ? INT64_MAX / 4 : pts - last_pts;
    /* Twice the arithmetic in halves: hole > 1.5 or 2.5 cadences. */
    if (2 * hole <= (cfr ? 3 : 5) * cadence)
        return 0;
    int64_t n = (2 * hole - cadence) / (2 * cadence);
    return n < max_frames ? n : max_frames;
}

const char *timeline_event_name(timeline_event_kind kind)
{
    switch (kind) {
    case TIMELINE_GAP:           return "gap";
    case TIMELINE_GAP_CLOSED:    return "jump_forward";
    case TIMELINE_JUMP_BACK:     return "jump_back";
    case TIMELINE_OUTLIER:       return "out_of_line";
    case TIMELINE_AUDIO_FORMAT:  return "audio_format";
    case TIMELINE_END_HELD:      return "audio_past_video";
    case TIMELINE_RATE_REPLACED: return "frame_rate";
    }
    return "unknown";
}

const char *timeline_event_action(timeline_event_kind kind)
{
    switch (kind) {
    case TIMELINE_GAP:           return "kept: picture held, silence";
    case TIMELINE_GAP_CLOSED:    return "closed on every stream";
    case TIMELINE_JUMP_BACK:     return "continued after what came before, every stream";
    case TIMELINE_OUTLIER:       return "put back in line";
    case TIMELINE_AUDIO_FORMAT:  return "resampled to the rendition's format";
    case TIMELINE_END_HELD:      return "picture held to the end of the audio";
    case TIMELINE_RATE_REPLACED: return "replaced by the measured rate";
    }
    return "";
}
