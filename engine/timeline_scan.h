/*
 * The input's timeline before a run (`ladder probe`): every packet of the
 * video and of each audio stream `ladder encode` would use goes through the
 * engine's own timeline (engine/timeline.c) as the encode's decode pump
 * puts it there, so the gaps, jumps and packets out of line found are the
 * ones the encode will find, at the same output times. Audio is decoded
 * (not resampled) to find sample-rate and layout changes; video is not
 * decoded: its frame rate is measured from the packet timestamps, and the
 * header's is judged by the engine's rule (engine/frame_rate.c).
 *
 *     ladder_timeline_scan *scan;
 *     ladder_timeline_scan_options opts = { 0 };   // whole input, every audio stream
 *     char err[256];
 *     int ret = ladder_timeline_scan_run(&scan, "capture.ts", &opts, err, sizeof(err));
 *     for (int i = 0; !ret && i < scan->nb_events; i++) ...scan->events[i]...
 *     ladder_timeline_scan_free(scan);
 *
 * Memory is bounded whatever the input's length (one packet and one audio
 * frame per stream at a time, at most LADDER_TIMELINE_MAX_EVENTS events
 * listed, the rest counted). Costs one read of the input and one decode of
 * its audio: README "ladder probe" gives the measured speed.
 */
#ifndef LADDER_TIMELINE_SCAN_H
#define LADDER_TIMELINE_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/error.h"
#include "engine/input_policy.h"
#include "ladder/ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Events listed, as report.json's timeline.events; the rest are counted. */
#define LADDER_TIMELINE_MAX_EVENTS 32

typedef struct ladder_timeline_scan_options {
    double max_seconds;           /* read the first this many seconds of the
                                     input (output timeline); <= 0: all of it */
    ladder_audio_mode audio_mode; /* which audio streams, as ladder_job's (--audio, --no-audio) */
    bool close_gaps;              /* as ladder_job.close_gaps (--gaps close) */
    const ladder_input_policy *policy;  /* NULL: the default (file only, no playlists) */
} ladder_timeline_scan_options;

/* One discontinuity or decision, as report.json's timeline.events. */
typedef struct ladder_timeline_scan_event {
    char kind[24];                /* gap, jump_forward, jump_back, out_of_line,
                                     audio_format, audio_past_video, frame_rate */
    char action[64];              /* what ladder encode does about it */
    int stream;                   /* input stream index */
    double at;                    /* output seconds (from the first picture, after shifts) */
    double size;                  /* seconds: gap length, signed jump, held length,
                                     frame_rate: the header's frame duration; 0 for audio_format */
    /* gap, jump_forward, jump_back, out_of_line: */
    bool has_input_at;
    double input_at;              /* where the packet that made it is on the input's own clock, seconds */
    bool restart;                 /* jump_back: to before the stream's first time (its clock started over) */
    /* audio_format: the decoded format before and after */
    int from_rate, to_rate;       /* Hz */
    char from_layout[64], to_layout[64];  /* "stereo", "5.1(side)" */
} ladder_timeline_scan_event;

typedef struct ladder_timeline_scan {
    int video_stream;             /* the stream ladder encode decodes */
    int nb_audio;                 /* audio streams scanned (those ladder encode would use) */
    int audio_streams[LADDER_MAX_AUDIO];

    /* What was read */
    bool complete;                /* the whole input (else stopped at max_seconds) */
    bool truncated;               /* a read error before the end: ladder encode refuses it */
    double seconds;               /* output timeline covered (first picture to the last stream's end) */
    int64_t bytes;                /* input bytes read */
    double wall_seconds;          /* what the scan took */

    /* Frame rate */
    double header_frame_rate;     /* the rate ladder encode reads from the header */
    double measured_frame_rate;   /* from the video packets' times over the scan, jumps and
                                     gaps left out; 0 when the packets carry no times */
    int64_t video_packets;        /* video packets read */
    int64_t video_frames;         /* pictures the decoder gives of them: the packets less
                                     those the demuxer marks discarded (an edit list's) */
    bool cfr;                     /* ladder encode makes it as a constant-rate source
                                     (engine/frame_rate.c's rule on the header) */
    bool rate_implausible;        /* header over 240 fps: pictures timed by count */
    bool slideshow;               /* under 1 fps: raised to a multiple, pictures held */
    double ladder_frame_rate;     /* the rate ladder encode makes the ladder at */

    /* Events, in the order found (a frame_rate one first) */
    int nb_events;
    int64_t events_total;         /* >= nb_events */
    ladder_timeline_scan_event events[LADDER_TIMELINE_MAX_EVENTS];
} ladder_timeline_scan;

/*
 * Scan path. Errors, with one line naming the input in err:
 * LADDER_EINPUT_MISSING, LADDER_EINPUT_INVALID (not media),
 * LADDER_EREFUSED (the input policy), LADDER_ENOVIDEO (nothing to put on a
 * timeline), LADDER_ENOMEM, LADDER_EINVAL (NULL arguments). A read error
 * part way is not an error: `truncated` says so.
 */
int ladder_timeline_scan_run(ladder_timeline_scan **out, const char *path,
                             const ladder_timeline_scan_options *opts, char *err, size_t err_size);

void ladder_timeline_scan_free(ladder_timeline_scan *scan);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_TIMELINE_SCAN_H */
