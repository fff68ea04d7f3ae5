/*
 * Private to engine/: one audio rendition's media (audio_track.c), copied
 * or encoded, cut at the video's segment times. Pump thread only.
 */
#ifndef LADDER_ENGINE_AUDIO_TRACK_H
#define LADDER_ENGINE_AUDIO_TRACK_H

#include <stdbool.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "engine/audio_plan.h"
#include "mux/cmaf_writer.h"

typedef struct ladder_session ladder_session;
typedef struct audio_track audio_track;

/* A track that carries out plan for in_st. dir: absolute. */
int audio_track_open(audio_track **out, ladder_session *s, AVStream *in_st,
                     const ladder_audio_plan *plan, const char *dir);
/* A packet of the track's source stream, after video time zero is known;
 * discontinuity: the timeline found one at this packet (timeline.h). */
int audio_track_packet(audio_track *a, AVPacket *pkt, bool discontinuity);
/* End of input: everything decoded and encoded (idempotent); then
 * end_seconds is where the track's last packet ends, output time. */
int audio_track_drain(audio_track *a);
double audio_track_end_seconds(const audio_track *a);
/* Drains, drops what starts at or after video_end_seconds (a fraction of
 * a frame: the video is held to the audio's end) and writes the last
 * segment. */
int audio_track_finish(audio_track *a, double video_end_seconds);
void audio_track_close(audio_track *a);
/* The plan's view of a source stream. */
ladder_audio_source audio_track_source_of(const AVCodecParameters *par);
/* Results after finish. */
int audio_track_segments(const audio_track *a, const ladder_cmaf_segment **segs);
const char *audio_track_codecs(const audio_track *a);
/* Codec, channels, sample rate, copied or not: what the track does. */
const ladder_audio_plan *audio_track_plan(const audio_track *a);
/* The time base of the segment times audio_track_segments() reports. */
AVRational audio_track_time_base(const audio_track *a);

#endif /* LADDER_ENGINE_AUDIO_TRACK_H */
