/*
 * Which frame rate a source is made at (private to engine/): the one rule
 * `ladder encode` (engine/input.c) applies and `ladder probe` reports
 * (engine/timeline_scan.c), and the measurement of the rate from packet
 * times that both (and policy/media_probe.c) make. Unit-tested by
 * tests/unit/test_frame_rate.c.
 *
 * - A header that claims more than 240 fps (a raw H.264 stream saying
 *   90000) is implausible: the pictures are timed by count at
 *   frame_rate_measured() instead.
 * - Under 1 fps is a slideshow: made at the smallest whole multiple of its
 *   rate of at least 1 fps, each picture held.
 * - A header that claims a constant rate is checked against the packet
 *   times of the first FRAME_RATE_SCAN_SECONDS (frame_rate_decide_input()):
 *   a Matroska file remuxed from a VFR source states its average rate as
 *   its frame duration, and made as CFR at that rate its pictures were
 *   held off their times (and, before the decode times were remade from
 *   the presentation times, its muxer refused the chunks).
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

/* ---- The rate measured from packet times ---- */

/* The window measured: the first this many seconds of presentation time,
 * at most this many pictures (a very high frame rate). */
#define FRAME_RATE_SCAN_SECONDS 10.0
#define FRAME_RATE_SCAN_PICTURES 20000
/* H.264 and HEVC keep at most 16 pictures back for reordering: a picture
 * shown inside the window comes at most that many packets after one shown
 * beyond it, and a picture shown more than that many frames before the
 * latest is a jump back, not a reordered picture. */
#define FRAME_RATE_MAX_REORDER 16

/*
 * The presentation times of the window, fed the video's packets in the
 * order read. B-frames come after pictures shown later, so the window
 * reads on until no picture can fall inside it any more. It ends at a
 * jump back (the timeline continues the stream there; its times sorted
 * with those before would look like a rate twice as high).
 */
typedef struct frame_rate_window {
    AVRational tb;                /* the stream's time base */
    int64_t limit;                /* window length, stream ticks */
    int64_t reach;                /* reorder reach: further back is a jump, stream ticks */
    int64_t *pts;                 /* presentation times inside the window */
    int n, cap;
    bool have_first;
    int64_t first, max;           /* first and latest presentation time */
    int past;                     /* pictures read beyond the window */
    int64_t pictures;             /* pictures read (not those the demuxer marks discarded) */
    bool jumped;                  /* ended at a jump back */
    bool done;                    /* wants no more packets */
} frame_rate_window;

/* For the video stream st, a window of `seconds` (> 0). 0 or LADDER_ENOMEM;
 * frame_rate_window_free() in every case. */
int frame_rate_window_init(frame_rate_window *w, const AVStream *st, double seconds);
/* One packet of the video stream; false once the window wants no more. */
bool frame_rate_window_add(frame_rate_window *w, const AVPacket *pkt);
void frame_rate_window_free(frame_rate_window *w);

/* What a window measured. */
typedef struct frame_rate_measure {
    int frames;                   /* presentation times in the window */
    int intervals;                /* between them: frames - 1, 0 when fewer than 3 */
    double rate;                  /* (frames - 1) over their span; 0: fewer than 3 */
    double span;                  /* seconds from the first to the last */
    bool vfr;                     /* an interval differs from the median by more than rounding */
    int short_intervals;          /* intervals shorter than the header's frame by more than rounding */
} frame_rate_measure;

/*
 * The window's times sorted and judged (the window's times are sorted in
 * place). Rounding: one tick and a half, or 2 % (a 1 ms time base stores
 * 29.97 fps as 33 and 34 ms). header_ticks: the header's frame in stream
 * ticks, for short_intervals (0: none counted). 0 or LADDER_ENOMEM.
 */
int frame_rate_window_judge(frame_rate_window *w, double header_ticks, frame_rate_measure *out);

/* ---- The decision ---- */

/* The whole decision for the video stream st of in. */
typedef struct frame_rate_decision {
    AVRational header;            /* what the header says (r_frame_rate when CFR, else the average, else 25) */
    AVRational rate;              /* what the ladder is made at */
    bool cfr;                     /* constant rate: average = r_frame_rate, or made so below */
    frame_rate_verdict verdict;
    bool contradicted;            /* the header claims a constant rate, the packet times vary */
    double measured;              /* the rate measured (frame_rate_decide_input()), 0: none */
} frame_rate_decision;

/*
 * Constant frame rate when the container's average matches the lowest
 * common rate of its timestamps (a VFR source differs between the two) and
 * the measurement m (NULL: none) does not contradict it: at least 2 of its
 * intervals, and 1 in 50, shorter than the header's frame by more than
 * rounding (a constant rate has no such interval; longer ones are holes,
 * which the timeline holds, and a single picture out of line makes two).
 * Then frame_rate_judge() on that rate: an implausible one is replaced by
 * frame_rate_measured() (the pictures are then timed by count), a
 * slideshow's multiplied. Both of those are constant-rate, whatever the
 * packet times (they are not trusted, or too few).
 */
void frame_rate_decide(const AVFormatContext *in, const AVStream *st, const frame_rate_measure *m,
                       frame_rate_decision *out);

/*
 * The decision as `ladder encode` and `ladder probe` make it, on the
 * opened input: frame_rate_decide() on the header; when that says a
 * plausible constant rate, the first FRAME_RATE_SCAN_SECONDS of the video
 * are read (at most FRAME_RATE_PREFETCH_BYTES of packets of every stream),
 * measured, and decided again. The packets read are kept in *prefetch
 * (NULL when none were read): frame_rate_prefetch_read() gives them back
 * first, so the input is still read once, from its start. 0 or
 * LADDER_ENOMEM; frame_rate_prefetch_free() in every case.
 */
#define FRAME_RATE_PREFETCH_BYTES (16 << 20)
typedef struct frame_rate_prefetch frame_rate_prefetch;
int frame_rate_decide_input(AVFormatContext *in, int video, frame_rate_prefetch **prefetch,
                            frame_rate_decision *out);

/* The next packet of in: the prefetched ones first (p may be NULL), then
 * av_read_frame()'s; a read error met while prefetching comes after them. */
int frame_rate_prefetch_read(frame_rate_prefetch *p, AVFormatContext *in, AVPacket *pkt);
void frame_rate_prefetch_free(frame_rate_prefetch **p);

#endif
