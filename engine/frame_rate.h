/*
 * Which frame rate a source is made at (private to engine/): the one rule
 * `ladder encode` (engine/input.c) applies and `ladder probe` reports
 * (engine/timeline_scan.c). Pure arithmetic on what the header says; unit-
 * tested by tests/unit/test_frame_rate.c.
 *
 * - A header that claims more than 240 fps (a raw H.264 stream saying
 *   90000) is implausible: the pictures are timed by count at
 *   frame_rate_measured() instead.
 * - Under 1 fps is a slideshow: made at the smallest whole multiple of its
 *   rate of at least 1 fps, each picture held.
 */
#ifndef LADDER_ENGINE_FRAME_RATE_H
#define LADDER_ENGINE_FRAME_RATE_H

#include <stdbool.h>

#include <libavformat/avformat.h>

/* Frame rates a camera or an encoder really makes. */
#define FRAME_RATE_MAX_PLAUSIBLE 240.0
/* Below this a source is a slideshow: its pictures are repeated up to it. */
#define FRAME_RATE_MIN_CADENCE 1.0

typedef enum frame_rate_verdict {
    FRAME_RATE_AS_IS,             /* the header's rate is used */
    FRAME_RATE_IMPLAUSIBLE,       /* over 240 fps: timed by count at the measured rate */
    FRAME_RATE_SLIDESHOW,         /* under 1 fps: raised to a whole multiple */
} frame_rate_verdict;

/*
 * What to make of a header rate of fps. For a slideshow *times is the
 * multiple (the smallest whole one that reaches 1 fps); else 1.
 */
frame_rate_verdict frame_rate_judge(double fps, int *times);

/*
 * The rate the pictures of st (a stream of in) really come at when the
 * header's cannot be: its frame count over its audio's length, else
 * FFmpeg's raw-stream default of 25 fps.
 */
AVRational frame_rate_measured(const AVFormatContext *in, const AVStream *st);

/* The whole decision for the video stream st of in. */
typedef struct frame_rate_decision {
    AVRational header;            /* what the header says (r_frame_rate when CFR, else the average, else 25) */
    AVRational rate;              /* what the ladder is made at */
    bool cfr;                     /* constant rate: average = r_frame_rate, or made so below */
    frame_rate_verdict verdict;
} frame_rate_decision;

/*
 * Constant frame rate when the container's average matches the lowest
 * common rate of its timestamps (a VFR source differs between the two);
 * then frame_rate_judge() on that rate: an implausible one is replaced by
 * frame_rate_measured() (the pictures are then timed by count), a
 * slideshow's multiplied. Both of those are constant-rate.
 */
void frame_rate_decide(const AVFormatContext *in, const AVStream *st, frame_rate_decision *out);

#endif
