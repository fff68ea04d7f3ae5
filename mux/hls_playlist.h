/*
 * HLS playlist text (RFC 8216bis) for CMAF fMP4 renditions: VOD media
 * playlists and the master playlist. Pure formatting: the functions build a
 * string in memory; the caller writes it with ladder_atomic_write().
 */
#ifndef LADDER_HLS_PLAYLIST_H
#define LADDER_HLS_PLAYLIST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_hls_segment {
    const char *uri;              /* relative to the playlist, "seg_00001.m4s" */
    double duration;              /* seconds, exact */
    int64_t byte_offset;          /* I-frame playlists: the key frame's range */
    int64_t byte_length;          /* in the file (0 elsewhere) */
} ladder_hls_segment;

/*
 * Media playlist: EXT-X-VERSION:7, EXT-X-TARGETDURATION (the longest
 * segment rounded to the nearest integer as RFC 8216 6.2.1 requires, never
 * less than any rounded EXTINF), EXT-X-PLAYLIST-TYPE:VOD,
 * EXT-X-INDEPENDENT-SEGMENTS, EXT-X-MAP:URI="<init_uri>", one EXTINF per
 * segment with three decimals ("2.002,"), EXT-X-ENDLIST.
 * *out is malloc'ed, NUL-terminated, owned by the caller.
 * Returns 0, LADDER_EINVAL (no segments, NULL uri) or LADDER_ENOMEM.
 * Every string here and below must be non-empty UTF-8 without '"' or
 * control characters (RFC 8216 4.1, 4.2: there is no escape syntax), and
 * a URI written on a line of its own (a segment's, a variant's) must not
 * start with '#'; anything else is LADDER_EINVAL.
 */
int ladder_hls_media_playlist(const char *init_uri,
                              const ladder_hls_segment *segs, size_t nb_segs,
                              char **out);

/*
 * I-frame playlist (RFC 8216 4.3.3.6, trick play): like the media playlist,
 * with EXT-X-I-FRAMES-ONLY and one EXT-X-BYTERANGE per entry, each the key
 * frame that starts a segment (its moof, mdat header and sample); EXTINF is
 * the time to the next key frame. Every segment needs byte_length > 0.
 */
int ladder_hls_iframe_playlist(const char *init_uri,
                               const ladder_hls_segment *segs, size_t nb_segs,
                               char **out);

typedef struct ladder_hls_audio_rendition {
    const char *group_id;         /* "audio" */
    const char *name;             /* "aac_128k" */
    const char *language;         /* may be NULL */
    const char *uri;              /* "audio/aac_128k/index.m3u8" */
    int is_default;
    int channels;                 /* CHANNELS attribute; 0 = omit */
} ladder_hls_audio_rendition;

typedef struct ladder_hls_variant {
    const char *uri;              /* "video/720p/index.m3u8" */
    int64_t bandwidth;            /* peak bits/s, video + its audio */
    int64_t average_bandwidth;    /* average bits/s, video + its audio */
    const char *codecs;           /* "avc1.64001f,mp4a.40.2" */
    int width, height;
    double frame_rate;            /* written with three decimals */
    const char *audio_group;      /* NULL when there is no audio */
    const char *iframe_uri;       /* its I-frame playlist; NULL: none */
    int64_t iframe_bandwidth;     /* peak bits/s of the I-frame entries */
    const char *iframe_codecs;    /* the video codec alone, "avc1.64001f" */
    const char *video_range;      /* VIDEO-RANGE: "PQ" or "HLG"; NULL: left out (SDR) */
} ladder_hls_variant;

/*
 * Master playlist: EXT-X-VERSION:7, EXT-X-INDEPENDENT-SEGMENTS, one
 * EXT-X-MEDIA:TYPE=AUDIO per audio rendition, one EXT-X-STREAM-INF (with
 * BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, FRAME-RATE, VIDEO-RANGE, AUDIO) plus
 * its URI line per variant, in the order given (callers pass highest first),
 * then one EXT-X-I-FRAME-STREAM-INF per variant that has an I-frame playlist.
 */
int ladder_hls_master_playlist(const ladder_hls_variant *variants, size_t nb_variants,
                               const ladder_hls_audio_rendition *audio, size_t nb_audio,
                               char **out);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_HLS_PLAYLIST_H */
