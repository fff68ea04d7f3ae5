/*
 * DASH MPD (ISO/IEC 23009-1, DASH-IF IOP) for the CMAF renditions the HLS
 * playlists already describe: one static Period, a video AdaptationSet with
 * one Representation per rung and an optional audio AdaptationSet, each
 * Representation with a SegmentTemplate ($Number$) and an explicit
 * SegmentTimeline. Pure formatting, like hls_playlist.h: the function builds
 * the document in memory (libxml2); the caller writes it with
 * ladder_atomic_write().
 *
 * The MPD states what ladder guarantees of its segments, so callers must
 * only describe such segments: every media segment starts with a closed-GOP
 * IDR (video) or any AAC frame (audio), hence startWithSAP="1"; files are
 * named like ladder_cmaf_writer's, "<dir>/init.mp4" and
 * "<dir>/seg_%05d.m4s".
 */
#ifndef LADDER_DASH_MPD_H
#define LADDER_DASH_MPD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_dash_segment {
    int64_t start;                /* presentation time, in timeline.timescale ticks */
    int64_t duration;             /* > 0, ticks; the media's own sample durations */
} ladder_dash_segment;

/* Where a Representation's files are and when each segment plays. */
typedef struct ladder_dash_timeline {
    const char *dir;              /* "video/720p", relative to the MPD; any text:
                                     it is percent-encoded in the URLs */
    int start_number;             /* number of segments[0] in its file name (1) */
    uint32_t timescale;           /* ticks per second: the init segment's mdhd */
    const ladder_dash_segment *segments; /* in order, never overlapping */
    size_t nb_segments;
} ladder_dash_timeline;

typedef struct ladder_dash_video {
    const char *id;               /* Representation@id (the rung name): unique in
                                     the MPD, no white space */
    const char *codecs;           /* RFC 6381, "avc1.64001f" */
    int64_t bandwidth;            /* peak bits/s of this Representation alone */
    int width, height;
    int frame_rate_num, frame_rate_den; /* both 0: frameRate is left out */
    int sar_num, sar_den;         /* sample aspect ratio; both 0: left out */
    /* Colour description as CICP codes (ISO/IEC 23091-2: 9 BT.2020, 16 PQ,
     * 18 HLG), written as SupplementalProperty descriptors of the video
     * AdaptationSet from the first Representation (every rung carries the
     * source's); 0 or 2 (unspecified): left out. */
    int colour_primaries, transfer_characteristics, matrix_coefficients;
    ladder_dash_timeline timeline;
} ladder_dash_video;

typedef struct ladder_dash_audio {
    const char *id;               /* unique in the MPD, no white space */
    const char *codecs;           /* "mp4a.40.2" */
    int64_t bandwidth;            /* peak bits/s */
    int sample_rate;              /* audioSamplingRate, Hz */
    int channels;                 /* AudioChannelConfiguration; 0: left out */
    const char *lang;             /* RFC 5646 tag ("en", "eng"); NULL: unknown */
    int is_main;                  /* the default rendition: Role "main" */
    ladder_dash_timeline timeline;
} ladder_dash_audio;

/*
 * The MPD: type="static", profile isoff-live, mediaPresentationDuration =
 * the end of the longest Representation, minBufferTime and
 * maxSegmentDuration = the longest segment (so that bandwidth, a peak
 * segment rate, holds), one Period. The
 * video AdaptationSet carries maxWidth/maxHeight/maxFrameRate, par when
 * every rung shows the same picture shape, and segmentAlignment="true" only
 * when every rung's segments start and end at the same instants. Each audio
 * rendition gets its own AdaptationSet. Times are written with millisecond
 * precision (xs:duration); segment times are exact ticks.
 * *out is malloc'ed, NUL-terminated UTF-8, owned by the caller.
 * Returns 0, LADDER_EINVAL (no video, an empty or malformed field, a
 * duplicate id, overlapping or empty segments) or LADDER_ENOMEM.
 */
int ladder_dash_mpd(const ladder_dash_video *video, size_t nb_video,
                    const ladder_dash_audio *audio, size_t nb_audio,
                    char **out);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_DASH_MPD_H */
