/*
 * Private to engine/ and its unit test: GPU (CUDA) pictures to a rung
 * (gpu_scale.c): scale_cuda in a filter graph per rung, the decision that
 * keeps a rung's pictures in GPU memory for NVENC (cuda_frames), and the
 * GPU budget that bounds them (gpu_budget.h has its arithmetic).
 */
#ifndef LADDER_ENGINE_GPU_SCALE_H
#define LADDER_ENGINE_GPU_SCALE_H

#include <stdatomic.h>
#include <stdbool.h>

#include <libavutil/frame.h>

#include "encoder_backend.h"

typedef struct ladder_session ladder_session;
typedef struct rung_ctx rung_ctx;

/* A rung's scale_cuda graph (rung_scaler.graph): its scaler thread only. */
struct gpu_scale;

/* A rung's pictures in GPU memory (rung_ctx.gpu). */
typedef struct rung_gpu {
    /* Scaled pictures stay in GPU memory, CUDA frames in the chunks: the
     * source decodes on NVDEC and the rung's canonical encoder is NVENC on
     * that GPU. Set by gpu_scale_plan() before the threads; read-only
     * after. Workers on other devices download. */
    bool cuda_frames;
    /* NVENC fed CUDA frames made another configuration than its pre-flight
     * (never seen; checked on every chunk): workers download instead. Set
     * once by a worker (encode_worker.c). */
    atomic_bool cuda_input_refused;
    /* The GPU budget of a cuda_frames rung (gpu_budget.h), set by the pump
     * in gpu_budget_start() before it hands out the first NVDEC picture
     * (the frame FIFO's lock orders it before the scaler reads it): CUDA
     * frames its chunks may hold at once, and one chunk's frames
     * (estimate). */
    int frames_max;
    int chunk_frames;
    /* Taken by the scaler (rung_scaler.c), given back by
     * chunk_frames_free() on whichever thread frees a chunk. */
    atomic_int frames_in_use;
} rung_gpu;

/* A GPU (CUDA) picture to the rung's size as yuv420p or p010: left in GPU
 * memory when r->gpu.cuda_frames, else downloaded to system memory; NULL
 * with *err set on failure. Scaler thread. */
AVFrame *gpu_scale_frame(rung_ctx *r, const AVFrame *src, int *err);
void gpu_scale_close(struct gpu_scale **g);
/* After the pre-flight, before the threads: decide every rung's
 * gpu.cuda_frames. */
void gpu_scale_plan(ladder_session *s);
/* Whether device d's encoder for choice takes the decoding GPU's CUDA
 * frames as they are (NVENC on that GPU). */
bool gpu_frames_encodable(const ladder_session *s, int d, const encoder_choice *choice);
/* A CUDA frame's picture in system memory (its sw_format), props copied;
 * NULL on failure. Any thread. */
AVFrame *gpu_frame_download(const AVFrame *f);
/* Pump thread, at the first NVDEC picture (first), the decoder's
 * pool_surfaces made: the GPU budget of the cuda_frames rungs
 * (gpu_budget.h) into their gpu.frames_max / gpu.chunk_frames. */
void gpu_budget_start(ladder_session *s, const AVFrame *first, int pool_surfaces);

#endif /* LADDER_ENGINE_GPU_SCALE_H */
