/*
 * GPU pictures (NVDEC) to a rung: scale_cuda to the rung's size in GPU
 * memory, so the CPU neither decodes nor scales. Then either:
 *  - the picture stays in GPU memory (r->gpu.cuda_frames: the rung's canonical
 *    encoder is NVENC on the decoding GPU): chunks carry CUDA frames, NVENC
 *    reads them with no copy, and a worker on another device (a CPU helper)
 *    downloads the chunk's pictures itself, once;
 *  - or one download per rung frame (hwdownload), so only rung-size
 *    pictures cross the bus.
 * 8-bit rungs are yuv420p, 10-bit ones p010, which the scaler's (or the
 * worker's) swscale turns into yuv420p10 without scaling.
 *
 * One filter graph per rung, built on the first GPU picture and again when
 * the pictures' size or frames context changes; the rung's scaler thread
 * owns it.
 *
 * scale_cuda runs with passthrough=0: by default (vf_scale_cuda.c) a rung
 * at the source's size and format (a 10-bit rung at source size: NVDEC's
 * P010 is p010le) would get the decoded picture itself, one of NVDEC's
 * few surfaces, and a cuda_frames chunk would keep it for a whole chunk
 * and its encode (video_decoder.c counts on no chunk holding one). The
 * cost is one copy in GPU memory per picture on such a rung; at the
 * source's size the copy samples nearest (exact, as the CPU path's kept
 * reference is), scaling is bicubic. Outputs never hold a surface, so the
 * counted reference a decoded picture carries (its opaque_ref, which
 * av_frame_copy_props() passes on) is dropped from them.
 *
 * A cuda_frames rung's chunks keep CUDA frames only within the rung's GPU
 * budget (gpu_budget.h; gpu_budget_start() sizes it): a chunk that does
 * not fit is downloaded by the scaler (rung_scaler.c).
 */
#include "gpu_scale.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/hwcontext.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "ladder/error.h"
#include "filter_chain.h"
#include "gpu_budget.h"
#include "session.h"

struct gpu_scale {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    int in_w, in_h;
    const void *frames_ctx;       /* identity of the input frames context */
};

void gpu_scale_close(struct gpu_scale **g)
{
    if (!*g)
        return;
    avfilter_graph_free(&(*g)->graph);
    free(*g);
    *g = NULL;
}

static int build(rung_ctx *r, struct gpu_scale *g, const AVFrame *src)
{
    avfilter_graph_free(&g->graph);
    g->graph = avfilter_graph_alloc();
    if (!g->graph)
        return LADDER_ENOMEM;
    int ret = 0;
    AVBufferSrcParameters *par = av_buffersrc_parameters_alloc();
    g->src = avfilter_graph_alloc_filter(g->graph, avfilter_get_by_name("buffer"), "in");
    if (!par || !g->src) {
        av_free(par);
        return LADDER_ENOMEM;
    }
    par->format = AV_PIX_FMT_CUDA;
    par->width = src->width;
    par->height = src->height;
    par->time_base = r->session->src_tb;
    par->sample_aspect_ratio = src->sample_aspect_ratio;
    par->hw_frames_ctx = src->hw_frames_ctx;
    ret = av_buffersrc_parameters_set(g->src, par);
    av_free(par);
    if (ret < 0 || avfilter_init_str(g->src, NULL) < 0)
        return LADDER_ECODEC;
    if (avfilter_graph_create_filter(&g->sink, avfilter_get_by_name("buffersink"), "out", NULL, NULL,
                                     g->graph) < 0)
        return LADDER_ECODEC;

    /* Bicubic, as the CPU path's swscale: a rung looks the same whichever
     * device decoded it. At the source's size nothing is resampled: a
     * nearest copy is exact (bicubic's weights would go through floats). */
    const char *fmt = r->bit_depth == 10 ? "p010le" : "yuv420p";
    const char *interp = src->width == r->width && src->height == r->height ? "nearest" : "bicubic";
    char desc[256];
    if (r->gpu.cuda_frames)
        snprintf(desc, sizeof(desc), "scale_cuda=w=%d:h=%d:format=%s:interp_algo=%s:passthrough=0", r->width,
                 r->height, fmt, interp);
    else
        snprintf(desc, sizeof(desc),
                 "scale_cuda=w=%d:h=%d:format=%s:interp_algo=%s:passthrough=0,hwdownload,format=%s", r->width,
                 r->height, fmt, interp, fmt);
    ret = filter_chain_link(g->graph, g->src, g->sink, desc);
    if (ret < 0) {
        char msg[128];
        av_strerror(ret, msg, sizeof(msg));
        session_log(r->session, LADDER_LOG_ERROR, "rung=%s event=gpu_scale_failed graph='%s': %s", r->cfg.name,
                    desc, msg);
        return LADDER_ECODEC;
    }
    g->in_w = src->width;
    g->in_h = src->height;
    g->frames_ctx = src->hw_frames_ctx ? src->hw_frames_ctx->data : NULL;
    session_log(r->session, LADDER_LOG_DEBUG, "rung=%s event=gpu_scale graph='%s' from=%dx%d", r->cfg.name, desc,
                src->width, src->height);
    return 0;
}

AVFrame *gpu_scale_frame(rung_ctx *r, const AVFrame *src, int *err)
{
    *err = 0;
    struct gpu_scale *g = r->scaler.graph;
    if (!g) {
        g = r->scaler.graph = calloc(1, sizeof(*g));
        if (!g) {
            *err = LADDER_ENOMEM;
            return NULL;
        }
    }
    const void *frames_ctx = src->hw_frames_ctx ? src->hw_frames_ctx->data : NULL;
    if (!g->graph || g->in_w != src->width || g->in_h != src->height || g->frames_ctx != frames_ctx) {
        *err = build(r, g, src);
        if (*err)
            return NULL;
    }
    AVFrame *out = av_frame_alloc();
    if (!out) {
        *err = LADDER_ENOMEM;
        return NULL;
    }
    /* scale_cuda (and hwdownload) are one frame in, one frame out. */
    int ret = av_buffersrc_add_frame_flags(g->src, (AVFrame *)src, AV_BUFFERSRC_FLAG_KEEP_REF);
    if (ret >= 0)
        ret = av_buffersink_get_frame(g->sink, out);
    if (ret < 0) {
        char msg[128];
        av_strerror(ret, msg, sizeof(msg));
        session_log(r->session, LADDER_LOG_ERROR, "rung=%s event=gpu_scale_failed pts=%lld: %s", r->cfg.name,
                    (long long)src->pts, msg);
        av_frame_free(&out);
        *err = LADDER_ECODEC;
        return NULL;
    }
    out->pts = src->pts;
    av_buffer_unref(&out->opaque_ref);   /* no surface in it: see the top */
    return out;
}

bool gpu_frames_encodable(const ladder_session *s, int d, const encoder_choice *choice)
{
    const ladder_device_spec *spec = &s->devices[d].spec;
    return s->job.decode.kind == LADDER_DECODE_NVDEC && choice->backend &&
           encoder_backend_runs_on(choice->backend, "nvidia") && !strcmp(spec->kind, "nvidia") &&
           spec->gpu >= 0 && spec->gpu == s->job.decode.gpu;
}

void gpu_scale_plan(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        int d = r->canonical_device;
        r->gpu.cuda_frames = gpu_frames_encodable(s, d, &s->devices[d].choice[r->cfg.codec]);
        atomic_init(&r->gpu.cuda_input_refused, false);
        atomic_init(&r->gpu.frames_in_use, 0);
        if (r->gpu.cuda_frames)
            session_log(s, LADDER_LOG_INFO, "rung=%s device=%s event=cuda_frames encoder=%s gpu=%d "
                        "reason=decoded and encoded on one GPU: pictures stay in its memory",
                        r->cfg.name, s->devices[d].spec.name,
                        encoder_backend_name(s->devices[d].choice[r->cfg.codec].backend), s->job.decode.gpu);
    }
}

AVFrame *gpu_frame_download(const AVFrame *f)
{
    AVFrame *out = av_frame_alloc();
    /* format 0 (unset): the frames context's sw_format. */
    if (!out || av_hwframe_transfer_data(out, f, 0) < 0 || av_frame_copy_props(out, f) < 0) {
        av_frame_free(&out);
        return NULL;
    }
    return out;
}

/* The job's NVENC sessions on the decoding GPU: each may open an encoder
 * there at the same time as the others. */
static int nvenc_sessions_on_decoding_gpu(const ladder_session *s)
{
    int n = 0;
    for (int d = 0; d < s->nb_devices; d++) {
        const ladder_device_spec *spec = &s->devices[d].spec;
        if (!strcmp(spec->kind, "nvidia") && spec->gpu == s->job.decode.gpu)
            n += spec->slots;
    }
    return n;
}

static int chunk_frames_estimate(const ladder_session *s, const rung_ctx *r)
{
    double fps = r->frame_rate.num > 0 && r->frame_rate.den > 0 ? av_q2d(r->frame_rate) : 30.0;
    double frames = ceil(s->job.segment_seconds * fps);
    return frames >= 1 && frames < GPU_MAX_FRAMES ? (int)frames : 1;
}

void gpu_budget_start(ladder_session *s, const AVFrame *first, int pool_surfaces)
{
    bool any = false;
    for (int i = 0; i < s->nb_rungs; i++)
        any |= s->rungs[i].gpu.cuda_frames;
    /* A rotated source comes down in the pump: no rung gets a CUDA frame. */
    if (!any || s->rotation)
        return;
    int64_t free_bytes = -1;
    int align = GPU_TEXTURE_ALIGNMENT_DEFAULT;
    bool measured = cuda_memory_query(s->vdec.hw_device, &free_bytes, &align) == 0;
    /* The decoder's surfaces exist by now (cuvidCreateDecoder ran in
     * get_format) and are out of free_bytes; its output surfaces (as many
     * again, ulNumOutputSurfaces) are allowed for in case the driver makes
     * them only as pictures are mapped. */
    int64_t decoder_bytes = 0;
    if (first->hw_frames_ctx) {
        const AVHWFramesContext *fc = (const AVHWFramesContext *)first->hw_frames_ctx->data;
        int size = av_image_get_buffer_size(fc->sw_format, fc->width, fc->height, 1);
        decoder_bytes = size > 0 ? (int64_t)size * pool_surfaces : 0;
    }
    gpu_budget_rung rungs[LADDER_MAX_RUNGS];
    for (int i = 0; i < s->nb_rungs; i++) {
        const rung_ctx *r = &s->rungs[i];
        rungs[i] = (gpu_budget_rung){
            .frame_bytes = gpu_frame_bytes(r->width, r->height, r->bit_depth == 10 ? AV_PIX_FMT_P010 : AV_PIX_FMT_YUV420P,
                                           align),
            .chunk_frames = chunk_frames_estimate(s, r),
            .gpu_scaled = true,
            .keeps_frames = r->gpu.cuda_frames,
        };
    }
    gpu_budget_in in = {
        .free_bytes = free_bytes,
        .decoder_bytes = decoder_bytes,
        .nvenc_sessions = nvenc_sessions_on_decoding_gpu(s),
        .rungs = rungs,
        .nb_rungs = s->nb_rungs,
    };
    gpu_budget plan;
    gpu_budget_plan(&in, &plan);
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        r->gpu.frames_max = plan.max_frames[i];
        r->gpu.chunk_frames = rungs[i].chunk_frames;
        if (r->gpu.cuda_frames && r->gpu.frames_max < r->gpu.chunk_frames)
            session_log(s, LADDER_LOG_WARNING, "rung=%s event=gpu_budget reason=GPU memory holds less than one "
                        "chunk of this rung (%d of %d frames): its chunks are downloaded",
                        r->cfg.name, r->gpu.frames_max, r->gpu.chunk_frames);
    }
    session_log(s, LADDER_LOG_INFO, "event=gpu_budget gpu=%d free_mib=%lld%s decoder_mib=%lld nvenc_sessions=%d "
                "budget_mib=%lld chunks=%.1f", s->job.decode.gpu, (long long)(plan.free_bytes >> 20),
                measured ? "" : " (unknown: assumed)", (long long)(decoder_bytes >> 20), in.nvenc_sessions,
                (long long)(plan.chunk_bytes >> 20), plan.chunks);
}
