/* The GPU memory budget of chunks kept on the GPU: see gpu_budget.h. */
#include "gpu_budget.h"

#include <libavutil/imgutils.h>
#include <libavutil/macros.h>

size_t gpu_frame_bytes(int width, int height, enum AVPixelFormat sw_format, int texture_alignment)
{
    if (width <= 0 || height <= 0 || texture_alignment <= 0)
        return 0;
    int align = sw_format == AV_PIX_FMT_YUV420P ? texture_alignment * 2 : texture_alignment;
    int size = av_image_get_buffer_size(sw_format, FFALIGN(width, 32), FFALIGN(height, 32), align);
    return size > 0 ? (size_t)size : 0;
}

static int64_t overhead(const gpu_budget_in *in, int nb)
{
    int64_t bytes = in->decoder_bytes > 0 ? in->decoder_bytes : 0;
    bytes += (int64_t)(in->nvenc_sessions > 0 ? in->nvenc_sessions : 0) * GPU_NVENC_SESSION_BYTES;
    bytes += GPU_RESERVE_BYTES;
    for (int i = 0; i < nb; i++)
        if (in->rungs[i].gpu_scaled)
            bytes += GPU_GRAPH_FRAMES * (int64_t)in->rungs[i].frame_bytes;
    return bytes;
}

void gpu_budget_plan(const gpu_budget_in *in, gpu_budget *out)
{
    *out = (gpu_budget){ .free_bytes = in->free_bytes >= 0 ? in->free_bytes : GPU_FREE_UNKNOWN_BYTES };
    int nb = in->nb_rungs < LADDER_MAX_RUNGS ? in->nb_rungs : LADDER_MAX_RUNGS;
    int64_t left = out->free_bytes - overhead(in, nb);
    out->chunk_bytes = left > 0 ? left : 0;
    double one_chunk_each = 0;
    for (int i = 0; i < nb; i++)
        if (in->rungs[i].keeps_frames && in->rungs[i].chunk_frames > 0)
            one_chunk_each += (double)in->rungs[i].frame_bytes * in->rungs[i].chunk_frames;
    if (!(one_chunk_each > 0))
        return;
    out->chunks = (double)out->chunk_bytes / one_chunk_each;
    for (int i = 0; i < nb; i++) {
        if (!in->rungs[i].keeps_frames || in->rungs[i].chunk_frames <= 0)
            continue;
        double frames = out->chunks * in->rungs[i].chunk_frames;
        out->max_frames[i] = frames >= GPU_MAX_FRAMES ? GPU_MAX_FRAMES : (int)frames;
    }
}
