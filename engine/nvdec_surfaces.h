/*
 * NVDEC's decoder surfaces: how many ladder holds, how many to ask for.
 * Private to engine/ (video_decoder.c) and its unit test.
 *
 * What FFmpeg 5.1 does (libavcodec/nvdec.c, decode.c):
 *  - The pictures NVDEC hands out are its own surfaces, mapped
 *    (nvdec_retrieve_data(): cuvidMapVideoFrame, no copy). Every reference
 *    to such a frame keeps the surface's index (unmap_data->idx_ref) taken
 *    from a pool capped at a fixed count (nvdec_decoder_frame_alloc()
 *    returns NULL past it); when a new picture finds none free,
 *    ff_nvdec_start_frame() logs "No decoder surfaces left" and the decode
 *    fails with ENOMEM, which video_decoder.c takes for a hardware failure:
 *    CPU decoding for the rest of the run.
 *  - The cap is the decoder's frames context's initial_pool_size:
 *    ff_nvdec_frame_params() gives dpb + 2, avcodec_get_hw_frames_parameters()
 *    adds extra_hw_frames (when > 0) and nvdec_init_hwframes() 3 more. That
 *    count is also ulNumDecodeSurfaces and ulNumOutputSurfaces.
 *  - dpb, per codec (nvdec_<codec>.c frame_params): H.264 ref_frame_count +
 *    num_reorder_frames (1 for IPPP with one reference); HEVC
 *    max_dec_pic_buffering + 1; AV1 16 (8 references, twice for film
 *    grain); VP9 8; VP8 3; MPEG-1/2/4 and VC-1 2.
 *  - The limit: cuviddec.h gives no number; when creating the decoder
 *    fails with more than 32 surfaces, ff_nvdec_decode_init() warns that
 *    "more than 32 ... decode surfaces might cause nvdec to fail".
 *    NVDEC_MAX_SURFACES is that 32.
 *
 * The decoder's own need is counted as dpb + 2: its references and
 * pictures waiting to be output (dpb), the picture being decoded (AV1 with
 * film grain takes two surfaces for it), and one it may keep besides
 * (H.264 keeps a past reference for error concealment, last_pic_for_ec,
 * from its second IDR until a flush). What the pool has over that is
 * ladder's: 3 + extra_hw_frames.
 */
#ifndef LADDER_ENGINE_NVDEC_SURFACES_H
#define LADDER_ENGINE_NVDEC_SURFACES_H

#include <stdbool.h>

#define NVDEC_MAX_SURFACES 32

/* Where ladder keeps references to decoded pictures. */
typedef struct nvdec_holders {
    int fifo_capacity;            /* pictures each rung's frame FIFO holds */
    int nb_rungs;
    bool pump_keeps_last;         /* pump_state.held: the picture a gap repeats */
    /* a rung's output may be the decoded picture itself (scale_cuda's
     * passthrough), which its chunk then keeps to the end of an encode */
    bool output_aliases_input;
} nvdec_holders;

/*
 * The most distinct decoded pictures ladder holds whenever libavcodec may
 * decode (the pump calls the decoder only between pictures: it has handed
 * the latest one, P, to every rung and dropped its own reference). A
 * rung's FIFO holds at most fifo_capacity pictures ending at P, and its
 * scaler the one before them, so every rung's pictures lie in
 * [P - fifo_capacity, P], however many rungs there are; the picture the
 * pump keeps is P itself. fifo_capacity + 1 with one rung or more; -1
 * (no bound) when an output may alias its input: a chunk would keep a
 * surface for a whole chunk and an encode.
 */
int nvdec_surfaces_held(const nvdec_holders *h);

typedef struct nvdec_surface_plan {
    int extra;                    /* extra_hw_frames to ask for */
    int pool;                     /* the pool FFmpeg 5.1 then makes: dpb + 5 + extra */
    int allowed;                  /* pictures ladder may hold at a decoder call: 3 + extra */
    bool limited;                 /* the limit left less than held: hold at most allowed */
    bool over_limit;              /* dpb + 5 alone is past NVDEC_MAX_SURFACES */
} nvdec_surface_plan;

/*
 * For a stream of this dpb (as its frame_params reports it) and held
 * pictures (nvdec_surfaces_held(), -1 = no bound): the extra_hw_frames
 * that give ladder room for them beside the decoder's dpb + 2, within
 * NVDEC_MAX_SURFACES. When the limit cannot cover them, extra is what it
 * still allows and allowed is less than held: the decoder then waits
 * before decoding until ladder holds no more than allowed (video_decoder.c).
 */
void nvdec_surfaces_plan(int dpb, int held, nvdec_surface_plan *out);

#endif /* LADDER_ENGINE_NVDEC_SURFACES_H */
