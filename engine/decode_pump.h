/*
 * Private to engine/: the decode pump (decode_pump.c), which runs on the
 * caller's thread inside ladder_session_run(): demux, the one timeline,
 * decode, rotation, holes held, the fan-out of every picture to the rungs'
 * frame FIFOs, and each audio packet to its rendition's track.
 */
#ifndef LADDER_ENGINE_DECODE_PUMP_H
#define LADDER_ENGINE_DECODE_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

typedef struct ladder_session ladder_session;

/* What the pump keeps between packets; the pump thread only. The session
 * reads the counts and times after decode_pump_run() returns. */
typedef struct pump_state {
    int64_t last_pts;
    bool have_origin;
    int64_t frames;               /* decoded source pictures */
    int64_t held_frames;          /* copies of a picture that cover a gap or the end */
    int64_t dropped;
    int64_t decode_errors;
    int64_t end_pts;              /* end of the last frame, output time */
    int64_t source_end_pts;       /* ... before the video was held to the audio's end */
    int64_t last_real_pts;        /* the last decoded picture (not a held copy) */
    int64_t frame_step;           /* between the last two decoded pictures, when regular; 0: none */
    AVFrame *held;                /* the last picture sent: what a gap shows */
    AVPacket **early_audio;       /* audio read before the first video frame, all streams */
    int nb_early_audio, cap_early_audio;
    size_t early_audio_bytes;
    int64_t early_audio_dropped;
} pump_state;

/* Demux and decode the source once; video to the rungs, each audio stream
 * to its rendition's track. Ends at the end of the input (0), at a stop or
 * cancel (LADDER_ECANCELED) or on an error. No end of stream is pushed. */
int decode_pump_run(ladder_session *s, pump_state *ps);
/* After a complete run: fails the session when the source decoded to
 * much less than its container claims (cut off or broken). */
void decode_pump_check_complete(ladder_session *s, const pump_state *ps);

#endif /* LADDER_ENGINE_DECODE_PUMP_H */
