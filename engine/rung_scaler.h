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
#include "ladder/ladder.h"

typedef struct ladder_session ladder_session;
typedef struct rung_ctx rung_ctx;

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

/*
 * Where a rung's pictures come from: the decode pump (the source), or the
 * scaler of a larger rung of the job (a cascade, rung_scaler_plan()), which
 * passes on a reference to each picture it made (no copy). Set on the
 * caller's thread before any scaler starts; read-only after, by the pump
 * and the scalers.
 */
typedef struct rung_feed {
    bool cascaded;                /* fed by rung `parent`'s scaler, not by the pump */
    int parent;
    int children[LADDER_MAX_RUNGS]; /* the rungs this one feeds */
    int nb_children;
} rung_feed;

/* One rung's scaler (rung_ctx.scaler): its thread only (feed excepted),
 * then the session's close after the join. */
typedef struct rung_scaler {
    rung_feed feed;
    struct SwsContext *sws;
    ladder_frame_pool *pool;      /* scaled frame buffers, recycled */
    struct gpu_scale *graph;      /* GPU pictures: scale_cuda (+ download) (gpu_scale.c) */
    ladder_chunk *building;       /* chunk being filled */
    bool building_on_gpu;         /* the chunk being filled keeps CUDA frames */
    int64_t last_kept_pts;
    int64_t source_end;           /* end time of the latest source frame */
} rung_scaler;

/*
 * Decide every rung's feed (the report's scaled_from too), before the
 * scalers start. A rung is scaled from the nearest larger rung made from
 * the source when that costs less and loses nothing (measured: benches/
 * RESULTS.md "Cascade scaling"): the larger rung 2 to 2.5 times its width
 * and height (or exactly its size), the same pixel format, every source
 * frame kept (no frame-rate cap), a 4:2:0 source of the rung's bit depth
 * decoded into system memory (never with NVDEC: its rungs scale on the
 * GPU), and job.no_cascade unset.
 */
void rung_scaler_plan(ladder_session *s);
/* Whether the decode pump feeds rung r (else its parent's scaler does,
 * end of stream included). */
bool rung_fed_by_pump(const rung_ctx *r);
/* The thread: arg is the rung_ctx. */
void *rung_scaler_main(void *arg);
/* After the thread joined: the chunk it was building, its graph, its
 * converter and its pool. */
void rung_scaler_close(rung_scaler *sc);
void chunk_frames_free(chunk_frames *cf);
/* A chunk and its frames (the queue's drain callback too). */
void chunk_free(ladder_chunk *c);

#endif /* LADDER_ENGINE_RUNG_SCALER_H */
