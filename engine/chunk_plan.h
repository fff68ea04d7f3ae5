/*
 * Chunk boundaries on the source timeline.
 *
 * Every rung is cut at the same source presentation times, so renditions
 * align segment for segment. For constant-frame-rate sources the segment
 * length is snapped to a whole number of frames (2 s at 29.97 fps is 60
 * frames = 2.002 s), which keeps every segment the same length however long
 * the input; for variable-frame-rate sources boundaries are multiples of the
 * segment length in time, and a chunk starts at the first frame at or after
 * its boundary.
 *
 * Chunks are numbered densely in the order they start (a gap in a VFR
 * source longer than a segment does not leave an empty chunk behind).
 */
#ifndef LADDER_CHUNK_PLAN_H
#define LADDER_CHUNK_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_chunk_plan {
    int tb_num, tb_den;           /* source time base */
    bool cfr;
    int64_t frame_ticks_num;      /* CFR frame duration = num/den ticks */
    int64_t frame_ticks_den;
    int frames_per_chunk;         /* CFR only */
    double segment_ticks;         /* segment length in ticks */
    bool started;
    int64_t origin;               /* pts of the first frame */
    int64_t current_slot;         /* boundary slot of the current chunk */
    int current_chunk;            /* dense index, -1 before the first frame */
} ladder_chunk_plan;

/*
 * tb: source time base. fr: the source's nominal frame rate (0/0 or a VFR
 * source: pass cfr=false). segment_seconds > 0.
 */
int ladder_chunk_plan_init(ladder_chunk_plan *plan, int tb_num, int tb_den,
                           bool cfr, int fr_num, int fr_den, double segment_seconds);

/*
 * Feed frames in presentation order. Returns the dense chunk index of the
 * frame at pts and sets *starts_chunk when this frame opens a new chunk.
 */
int ladder_chunk_plan_next(ladder_chunk_plan *plan, int64_t pts, bool *starts_chunk);

/* Nominal segment duration in seconds (2.002 for 2 s at 29.97 fps). */
double ladder_chunk_plan_segment_seconds(const ladder_chunk_plan *plan);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_CHUNK_PLAN_H */
