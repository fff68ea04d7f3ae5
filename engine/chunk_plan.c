/* Chunk boundaries on the source timeline: see chunk_plan.h. */
#include "chunk_plan.h"

#include <math.h>

#include "ladder/error.h"

int ladder_chunk_plan_init(ladder_chunk_plan *plan, int tb_num, int tb_den,
                           bool cfr, int fr_num, int fr_den, double segment_seconds)
{
    if (!plan || tb_num <= 0 || tb_den <= 0 || !(segment_seconds > 0))
        return LADDER_EINVAL;
    *plan = (ladder_chunk_plan){ .tb_num = tb_num, .tb_den = tb_den,
                                 .current_chunk = -1 };
    if (cfr && fr_num > 0 && fr_den > 0) {
        plan->cfr = true;
        /* frame duration in ticks = (fr_den / fr_num) / (tb_num / tb_den) */
        plan->frame_ticks_num = (int64_t)fr_den * tb_den;
        plan->frame_ticks_den = (int64_t)fr_num * tb_num;
        long frames = lround(segment_seconds * fr_num / fr_den);
        plan->frames_per_chunk = frames < 1 ? 1 : (int)frames;
        plan->segment_ticks = (double)plan->frames_per_chunk *
                              (double)plan->frame_ticks_num / (double)plan->frame_ticks_den;
    } else {
        plan->segment_ticks = segment_seconds * tb_den / tb_num;
    }
    if (!(plan->segment_ticks >= 1.0))
        return LADDER_EINVAL;   /* time base too coarse to express a segment */
    return 0;
}

int ladder_chunk_plan_next(ladder_chunk_plan *plan, int64_t pts, bool *starts_chunk)
{
    bool starts = false;
    if (!plan->started) {
        plan->started = true;
        plan->origin = pts;
        plan->current_slot = 0;
        plan->current_chunk = 0;
        starts = true;
    } else {
        /*
         * Containers with coarse time bases (Matroska's 1 ms) jitter CFR
         * timestamps by up to half a frame; the half-frame tolerance puts a
         * frame that was meant to sit on a boundary on the right side of it.
         * VFR sources have no nominal frame, so boundaries are exact.
         */
        double tolerance = plan->cfr
            ? 0.5 * (double)plan->frame_ticks_num / (double)plan->frame_ticks_den : 0.0;
        double rel = (double)(pts - plan->origin) + tolerance;
        int64_t slot = rel < 0 ? 0 : (int64_t)floor(rel / plan->segment_ticks);
        if (slot > plan->current_slot) {
            plan->current_slot = slot;
            plan->current_chunk++;
            starts = true;
        }
    }
    if (starts_chunk)
        *starts_chunk = starts;
    return plan->current_chunk;
}

double ladder_chunk_plan_segment_seconds(const ladder_chunk_plan *plan)
{
    return plan->segment_ticks * plan->tb_num / plan->tb_den;
}
