/*
 * Decode times for the packets of one chunk (private to engine/; the
 * encode worker's, unit-tested by tests/unit/test_chunk_dts.c).
 *
 * Chunks are encoded apart, by fresh encoders, and their packets go into
 * one fMP4 track. The mp4 muxer refuses a decode time that does not rise
 * ("non monotonically increasing dts"), or one after its presentation time,
 * and it places a fragment's first sample where the previous fragment's
 * decode times ended (its last sample's dts plus duration), keeping the
 * packet's pts - dts: the first picture of a chunk is shown at its time
 * only if its dts leads its pts by what the first chunk's did, and the
 * previous chunk's decode times end exactly there.
 *
 * An encoder's own decode times do not promise that: x264 and x265 lead
 * their first packet by the presentation time of the frames they hold back
 * (two frames of a 30 fps part, two of a 15 fps part: another lead per
 * chunk of a variable-rate source, and a chunk starting slower than the
 * last one ended decodes before it); NVENC's assume a constant rate. So
 * every chunk's are made here from its presentation times, the same way
 * for every encoder:
 *
 * - the lead D = depth * step is the rung's own (depth: the most frames its
 *   encoder holds back, step: one frame of the rung), the same in every
 *   chunk, so the track's decode-time shift holds for all of them;
 * - the first dts is the first picture's pts less D, packet i (i >= depth)
 *   decodes at the presentation time of the (i - depth)th picture shown,
 *   the first depth packets step up from the first dts by step;
 * - the last packet's decode time ends (dts + duration) at the chunk's end
 *   less D: the next chunk's first dts. Its dts is set for the duration the
 *   writer gives it (its presentation duration); where that would put the
 *   dts after its pts (a picture after it shown for longer than D), it
 *   decodes at its pts and its duration is made its decode duration, up to
 *   the chunk's end less D: still within the chunk, so the segment's length
 *   (its pictures' pts + duration) is unchanged. Packets before it that
 *   would decode at or after it are moved back one tick each.
 *
 * For a constant rate whose encoder holds back depth frames, these are
 * exactly x264's own decode times.
 */
#ifndef LADDER_ENGINE_CHUNK_DTS_H
#define LADDER_ENGINE_CHUNK_DTS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct chunk_dts_params {
    int depth;                    /* frames the encoder holds back at most (>= 0) */
    int64_t step;                 /* one frame of the rung, ticks (>= 1) */
    int64_t end;                  /* the chunk's presentation end: the next chunk's first pts */
    int64_t last_duration;        /* the duration the writer gives the last packet (decode order) */
} chunk_dts_params;

/* What chunk_dts_make() found. */
typedef struct chunk_dts_result {
    int64_t last_duration;        /* the last packet's duration: params' or its decode duration */
    int late_packet;              /* -1, or a packet shown before a packet depth places before it */
} chunk_dts_result;

/*
 * dts[i] for the n packets whose pts (decode order, distinct) are pts[i].
 * 0; LADDER_EINVAL when a packet is shown before one decoded more than
 * depth packets before it (its dts would pass its pts: res->late_packet
 * says which), or n, step, the duration or the end make no sense;
 * LADDER_ENOMEM.
 */
int chunk_dts_make(const int64_t *pts, int n, const chunk_dts_params *params, int64_t *dts,
                   chunk_dts_result *res);

#endif
