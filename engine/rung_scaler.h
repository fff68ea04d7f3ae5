/*
 * Private to engine/: the per-rung scaler thread (rung_scaler.c), which
 * turns the pump's frame references into the rung's pictures and groups
 * them into chunks, and the chunks' payload.
 */
#ifndef LADDER_ENGINE_RUNG_SCALER_H
#define LADDER_ENGINE_RUNG_SCALER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "chunk_queue.h"
#include "frame_pool.h"

/* The frames of one chunk (ladder_chunk.payload), owned by the chunk:
 * made by the scaler, encoded and freed by the worker that pops it. */
typedef struct chunk_frames {
    AVFrame **frames;             /* scaled, in presentation order */
    int64_t *durations;           /* per frame, in the source time base */
    int nb, cap;
    /* CUDA frames among them, counted in their rung's GPU budget
     * (gpu_budget.h); chunk_frames_free() gives them back to *gpu_in_use */
    int gpu_frames;
    atomic_int *gpu_in_use;
} chunk_frames;

/* One rung's scaler (rung_ctx.scaler): its thread only, then the
 * session's close after the join. */
typedef struct rung_scaler {
    struct SwsContext *sws;
    ladder_frame_pool *pool;      /* scaled frame buffers, recycled */
    struct gpu_scale *graph;      /* GPU pictures: scale_cuda (+ download) (gpu_scale.c) */
    ladder_chunk *building;       /* chunk being filled */
    bool building_on_gpu;         /* the chunk being filled keeps CUDA frames */
    int64_t last_kept_pts;
    int64_t source_end;           /* end time of the latest source frame */
} rung_scaler;

/* The thread: arg is the rung_ctx. */
void *rung_scaler_main(void *arg);
/* After the thread joined: the chunk it was building, its graph, its
 * converter and its pool. */
void rung_scaler_close(rung_scaler *sc);
void chunk_frames_free(chunk_frames *cf);
/* A chunk and its frames (the queue's drain callback too). */
void chunk_free(ladder_chunk *c);

#endif /* LADDER_ENGINE_RUNG_SCALER_H */
