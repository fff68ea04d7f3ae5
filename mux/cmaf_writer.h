/*
 * CMAF fMP4 writer for one track: an init segment (ftyp 'cmfc' + moov) and
 * one media segment (moof + mdat, tfdt in every fragment) per call to
 * ladder_cmaf_writer_end_segment(). Built on libavformat's mp4 muxer with
 * fragments cut on request and negative composition offsets, so each
 * fragment's tfdt is the presentation time of its first frame and no edit
 * list is needed. Every file is written atomically.
 *
 * Not thread-safe: one owner at a time (the rung's finalizer).
 */
#ifndef LADDER_CMAF_WRITER_H
#define LADDER_CMAF_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include <libavcodec/avcodec.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_cmaf_writer ladder_cmaf_writer;

typedef struct ladder_cmaf_segment {
    int number;                   /* 1-based; file seg_%05d.m4s */
    char uri[32];
    int64_t start;                /* presentation start, in the writer's time base */
    int64_t duration;             /* exact, in the writer's time base */
    double seconds;
    size_t bytes;                 /* file size */
    int nb_samples;
    uint32_t timescale;           /* the track's (mdhd) timescale in the files */
    /* The first sample with what a player needs to read it alone (moof,
     * mdat header, sample): bytes [offset, offset + length) of the file.
     * Every segment starts with a key frame, so this is an I-frame
     * playlist entry. */
    int64_t first_sample_offset, first_sample_length;
    /* The fragment's decode timeline in the track's timescale: its tfdt and
     * its samples' durations summed. The next segment's tfdt is their sum,
     * which is what a writer resumed after this segment starts from. */
    uint64_t decode_time, decode_duration;
    uint32_t crc32;               /* of the file's bytes (IEEE, as zlib's crc32) */
    /* Of the track, the same in every segment (what a resumed writer needs,
     * in the writer's time base): its first packet's pts - dts, and the
     * earliest pts of its first segment. */
    int64_t dts_shift, track_start;
} ladder_cmaf_segment;

/*
 * Where a writer picks up a track whose first segments are already on disk
 * (ladder encode --resume): the number of the first segment it writes,
 * that segment's tfdt (decode_time + decode_duration of the last one
 * kept), and the track's dts_shift and track_start from any kept segment. Its fragments then carry the sequence numbers and decode times an
 * uninterrupted writer would have given them.
 */
typedef struct ladder_cmaf_resume_point {
    int next_number;              /* >= 1 */
    uint64_t decode_time;
    int64_t dts_shift, track_start; /* as the kept segments say */
} ladder_cmaf_resume_point;

/*
 * Create dir (and parents) and write dir/init.mp4 for a track described by
 * par (codec, extradata, size / sample rate). time_base: the time base of
 * the packets that will be written. par->codec_tag names the sample entry
 * ('avc3', 'hev1'); 0 = avc1/hvc1/av01/mp4a. language: the track's ISO
 * 639-2 code for mdhd ("eng"; NULL: undetermined), which players show and
 * stitched MP4s keep. Returns 0 or a LADDER_E* code.
 */
int ladder_cmaf_writer_open(ladder_cmaf_writer **out, const char *dir,
                            const AVCodecParameters *par, AVRational time_base,
                            const char *language);

/*
 * As ladder_cmaf_writer_open(), for a writer that continues a track at
 * `at` (NULL: from the start). The init segment is written again; with the
 * same parameters its bytes are the same.
 */
int ladder_cmaf_writer_open_at(ladder_cmaf_writer **out, const char *dir,
                               const AVCodecParameters *par, AVRational time_base,
                               const char *language, const ladder_cmaf_resume_point *at);

/*
 * Append one packet (timestamps and duration in the writer's time base;
 * duration must be set) to the current segment. The packet is not consumed.
 */
int ladder_cmaf_writer_write(ladder_cmaf_writer *w, const AVPacket *pkt);

/*
 * Cut the current segment and write it as dir/seg_%05d.m4s. *seg (may be
 * NULL) receives its description. A segment with no packets is an error.
 */
int ladder_cmaf_writer_end_segment(ladder_cmaf_writer *w, ladder_cmaf_segment *seg);

/* CRC-32 (IEEE 802.3, zlib's crc32()) of data: what segment.crc32 holds. */
uint32_t ladder_crc32(const uint8_t *data, size_t len);
/* The same over pieces: state starts at UINT32_MAX, the CRC is the final
 * state ^ UINT32_MAX. */
uint32_t ladder_crc32_update(uint32_t state, const uint8_t *data, size_t len);

/* Bytes of the init segment. */
size_t ladder_cmaf_writer_init_bytes(const ladder_cmaf_writer *w);

void ladder_cmaf_writer_close(ladder_cmaf_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_CMAF_WRITER_H */
