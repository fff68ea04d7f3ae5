/* NVDEC surface arithmetic: see nvdec_surfaces.h for where each number
 * comes from in FFmpeg 5.1. */
#include "nvdec_surfaces.h"

/* ff_nvdec_frame_params()'s + 2 and nvdec_init_hwframes()'s + 3. */
#define FFMPEG_POOL_MARGIN 5
/* What the decoder keeps beside its dpb: see nvdec_surfaces.h. */
#define DECODER_BEYOND_DPB 2

int nvdec_surfaces_held(const nvdec_holders *h)
{
    if (h->nb_rungs < 1)
        return h->pump_keeps_last ? 1 : 0;
    if (h->output_aliases_input)
        return -1;
    /* The pump's picture is the newest of the window: it adds none. */
    return h->fifo_capacity + 1;
}

void nvdec_surfaces_plan(int dpb, int held, nvdec_surface_plan *out)
{
    if (dpb < 0)
        dpb = 0;
    int room = NVDEC_MAX_SURFACES - (dpb + FFMPEG_POOL_MARGIN);
    /* The pool has FFMPEG_POOL_MARGIN - DECODER_BEYOND_DPB = 3 over the
     * decoder's own need before any extra. */
    int base = FFMPEG_POOL_MARGIN - DECODER_BEYOND_DPB;
    int want = held < 0 ? room : held - base;
    if (want < 0)
        want = 0;
    int extra = want <= room ? want : room;
    if (extra < 0)
        extra = 0;
    out->extra = extra;
    out->pool = dpb + FFMPEG_POOL_MARGIN + extra;
    out->allowed = base + extra;
    out->limited = held < 0 || out->allowed < held;
    out->over_limit = room < 0;
}
