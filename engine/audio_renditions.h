/*
 * Private to engine/: the set of audio renditions (audio_renditions.c):
 * which source streams become one, their plans and what the manifests
 * call them. The media of each is its audio_track (audio_track.h).
 */
#ifndef LADDER_ENGINE_AUDIO_RENDITIONS_H
#define LADDER_ENGINE_AUDIO_RENDITIONS_H

#include <stdbool.h>

#include "audio_track.h"

typedef struct ladder_session ladder_session;

/* One audio rendition (session.audio[]): set up by
 * audio_renditions_open() before the threads; the pump thread drives its
 * track, the outputs read it after the join. */
typedef struct audio_rendition {
    audio_track *track;           /* owned */
    int stream_index;             /* the source stream */
    char language[8];             /* RFC 5646 ("en"); "" when untagged */
    char name[128];               /* HLS NAME: unique among the renditions */
    char dir[64];                 /* "audio/1-en-aac", relative to output_dir */
    bool is_default;              /* exactly one rendition is */
} audio_rendition;

/* Choose the source's audio streams (job.audio_mode), plan, label and
 * open one rendition each; LADDER_E* after session_fail. */
int audio_renditions_open(ladder_session *s);
void audio_renditions_close(ladder_session *s);

#endif /* LADDER_ENGINE_AUDIO_RENDITIONS_H */
