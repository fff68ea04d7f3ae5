/*
 * GPU memory for chunks that keep their pictures on the GPU (rungs with
 * rung_ctx.gpu.cuda_frames: decoded on NVDEC, encoded by NVENC on that GPU).
 * Private to engine/ and its unit test.
 *
 * Such a chunk holds CUDA frames from its rung's scale_cuda frames
 * context, whose pool (libavutil/hwcontext_cuda.c, initial_pool_size 0)
 * allocates a buffer whenever none is free and keeps every buffer until
 * the graph goes: a rung's GPU memory is the most frames it ever held at
 * once. The host budget (--memory-budget, sized for RAM) says nothing
 * about that, and a 2 GB board (a Quadro P400) is smaller than a default
 * host budget. So device frames do not count in the host budget; each
 * such rung gets a number of CUDA frames its chunks may hold at once,
 * from the decoding GPU's free memory (gpu_budget_plan()). A chunk keeps
 * its pictures on the GPU only when its rung has room for a whole chunk
 * when the chunk starts; otherwise its scaler downloads them and the
 * chunk is an ordinary one, held against the host budget (which waits as
 * it always did). The GPU side never waits, so it adds no deadlock, and
 * what it holds is bounded by construction: the rung's count never passes
 * its maximum (rung_scaler.c takes, chunk_frames_free() gives back).
 */
#ifndef LADDER_ENGINE_GPU_BUDGET_H
#define LADDER_ENGINE_GPU_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libavutil/buffer.h>
#include <libavutil/pixfmt.h>

#include "ladder/ladder.h"

/* CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT when the driver cannot be asked
 * (hwcontext_cuda.c aligns every plane's pitch to it). */
#define GPU_TEXTURE_ALIGNMENT_DEFAULT 512
/* The decoding GPU's free memory when it cannot be measured: conservative
 * (less than a 2 GB board has free with a display attached); a larger GPU
 * then keeps fewer chunks on the GPU than it could, never more. */
#define GPU_FREE_UNKNOWN_BYTES ((int64_t)1 << 30)
/* Left to each NVENC session of the job on that GPU: its reference
 * pictures, FFmpeg's bitstream buffers and, while every encode opens its
 * own, a CUDA context. An allowance, not a measurement. */
#define GPU_NVENC_SESSION_BYTES ((int64_t)256 << 20)
/* Kept free besides: allocation granularity, filters' and the driver's
 * own small allocations. */
#define GPU_RESERVE_BYTES ((int64_t)128 << 20)
/* Frames of a rung's scale_cuda pool that no chunk holds: the output it
 * keeps for its next picture (s->frame) and one being made. */
#define GPU_GRAPH_FRAMES 2
/* No rung needs more device frames than this at once (the queue holds a
 * few chunks per rung): keeps the arithmetic in int. */
#define GPU_MAX_FRAMES (1 << 20)

/*
 * Bytes of one CUDA frame of a rung, as scale_cuda allocates it in FFmpeg
 * 5.1: its frames context is FFALIGN(width, 32) x FFALIGN(height, 32)
 * (vf_scale_cuda.c, init_hwframe_ctx()), and hwcontext_cuda.c sizes a
 * buffer with av_image_get_buffer_size() at the device's texture alignment,
 * doubled for yuv420p (NVENC wants the chroma pitch half the luma's).
 * 0 for a size or format libavutil refuses.
 */
size_t gpu_frame_bytes(int width, int height, enum AVPixelFormat sw_format, int texture_alignment);

typedef struct gpu_budget_rung {
    size_t frame_bytes;           /* gpu_frame_bytes() of the rung's pictures */
    int chunk_frames;             /* pictures in one of its chunks (estimate) */
    bool gpu_scaled;              /* scaled by scale_cuda: has a pool on the GPU */
    bool keeps_frames;            /* its chunks may keep CUDA frames (cuda_frames) */
} gpu_budget_rung;

typedef struct gpu_budget_in {
    int64_t free_bytes;           /* the decoding GPU's free memory now; < 0 unknown */
    int64_t decoder_bytes;        /* what the decoder may still allocate */
    int nvenc_sessions;           /* the job's NVENC sessions on that GPU */
    const gpu_budget_rung *rungs;
    int nb_rungs;                 /* at most LADDER_MAX_RUNGS */
} gpu_budget_in;

typedef struct gpu_budget {
    int64_t free_bytes;           /* what was planned with (the default when unknown) */
    int64_t chunk_bytes;          /* left for chunks' frames */
    double chunks;                /* chunks' worth every keeping rung may hold at once */
    int max_frames[LADDER_MAX_RUNGS]; /* per rung: CUDA frames its chunks may hold at once */
} gpu_budget;

/*
 * What is left after the decoder, the NVENC sessions, the reserve and the
 * graphs' own frames is shared so that every keeping rung may hold the
 * same number of chunks: max_frames = chunks x chunk_frames, rounded down.
 */
void gpu_budget_plan(const gpu_budget_in *in, gpu_budget *out);

/*
 * cuda_memory.c: the free memory and texture alignment of the GPU behind
 * a CUDA AVHWDeviceContext, asked of libcuda (already loaded by libavutil)
 * with that device's context current. 0, or -1 when the driver cannot be
 * asked (the outputs are then untouched).
 */
int cuda_memory_query(AVBufferRef *cuda_device, int64_t *free_bytes, int *texture_alignment);

#endif /* LADDER_ENGINE_GPU_BUDGET_H */
