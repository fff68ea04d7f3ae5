/*
 * What ladder does with each source audio stream, decided without media:
 * copy it or encode it, to which codec, how many channels, which sample
 * rate and bit rate; which rendition is the default; what its directory is
 * called. Pure functions, so the rules are unit-tested on their own
 * (tests/unit/test_audio_plan.c); engine/audio_track.c carries them out.
 */
#ifndef LADDER_AUDIO_PLAN_H
#define LADDER_AUDIO_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/ladder.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most channels a rendition has: 5.1. Wider layouts are downmixed. */
#define LADDER_AUDIO_MAX_CHANNELS 6

/* What a source stream is, as far as the plan cares. */
typedef enum ladder_audio_source_codec {
    LADDER_AUDIO_SOURCE_OTHER = 0,  /* anything ladder always re-encodes (AC-3, PCM, MP3...) */
    LADDER_AUDIO_SOURCE_AAC_LC,     /* AAC low complexity (not HE-AAC) */
    LADDER_AUDIO_SOURCE_OPUS,
} ladder_audio_source_codec;

typedef struct ladder_audio_source {
    ladder_audio_source_codec codec;
    int channels;
    int sample_rate;              /* Hz */
    int64_t bit_rate;             /* bits/s; 0 = unknown */
    bool has_config;              /* AudioSpecificConfig / OpusHead present
                                     (a sample entry cannot be built without) */
} ladder_audio_source;

/* What the job asks for (ladder_job's audio fields). */
typedef struct ladder_audio_request {
    ladder_audio_codec codec;
    int max_channels;             /* 0 = LADDER_AUDIO_MAX_CHANNELS */
    int bitrate_kbps;             /* 0 = ladder_audio_default_kbps() */
    /* The container lets a stream change its rate or layout, or splice,
     * mid-stream (MPEG-TS): a copy could not follow, so never copy. */
    bool source_may_change;
} ladder_audio_request;

typedef struct ladder_audio_plan {
    bool copy;                    /* packaged as it is */
    ladder_audio_codec codec;     /* of the rendition */
    int channels;
    int sample_rate;
    int bitrate_kbps;             /* the encoder's target (copy: the limit it met) */
} ladder_audio_plan;

/*
 * Default bit rate for an encoded rendition of codec with channels
 * channels: AAC-LC 64 kb/s per channel (128k stereo, 384k 5.1: the rates
 * at which libavcodec's AAC encoder stops being audibly limited on music);
 * Opus 48k mono, 96k stereo, 256k 5.1 (96k per coupled pair, 48k per lone
 * full-band channel, 16k for the LFE: Opus reaches the same quality at
 * about three quarters of AAC's rate, which its multistream surround
 * mapping codes as pairs).
 */
int ladder_audio_default_kbps(ladder_audio_codec codec, int channels);

/*
 * The plan for one source stream:
 *  - channels: the source's, but at most 6 (7.1 and wider become 5.1) and
 *    at most request->max_channels (2: everything stereo);
 *  - sample rate: Opus 48 kHz; AAC keeps 44.1 or 48 kHz, anything else 48;
 *  - copy when the source is already the asked codec (AAC-LC for aac, Opus
 *    for opus) with its configuration, needs no channel or rate change,
 *    and is not much richer than asked (bit rate unknown or at most 1.5 x
 *    the target, so a 320k stereo AAC is re-encoded to 128k).
 * Returns 0, or LADDER_EINVAL for a source without channels or rate.
 */
int ladder_audio_plan_make(const ladder_audio_source *src, const ladder_audio_request *request,
                           ladder_audio_plan *out);

/*
 * Which of n renditions (in source order) is the default one: the first
 * whose source stream is marked default, else the first. -1 when n < 1.
 */
int ladder_audio_default_rendition(const bool *marked_default, int n);

/*
 * A stream's language tag as an RFC 5646 primary subtag (what HLS LANGUAGE
 * and DASH @lang take): ISO 639-2 codes with an ISO 639-1 equivalent become
 * two letters ("eng", "ENG" -> "en"), other letters-only 2-3 letter tags
 * are kept in lower case. NULL for no tag, "und", or anything else. The
 * result lives in buf (at least 4 bytes) or in a static table.
 */
const char *ladder_audio_language(const char *tag, char *buf, size_t size);

/*
 * The rendition's directory under the output directory:
 * "audio/<stream index>-<language or und>-<aac|opus>", e.g. "audio/1-en-aac".
 * The stream index is the source's (ffprobe's #0:N), so names are stable
 * across runs and unique; the language comes from ladder_audio_language(),
 * so only [a-z0-9-] appear. Returns 0 or LADDER_EINVAL (too small a buffer).
 */
int ladder_audio_rendition_dir(int stream_index, const char *language, ladder_audio_codec codec,
                               char *buf, size_t size);

/* "aac" or "opus". */
const char *ladder_audio_codec_name(ladder_audio_codec codec);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_AUDIO_PLAN_H */
