/* PSNR and SSIM with libavfilter for `ladder bench`. See bench_quality.h. */
#include "bench_quality.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>

#include "bench_stats.h"
#include "ladder/error.h"

int bench_quality_has_vmaf(void)
{
    return avfilter_get_by_name("libvmaf") != NULL;
}

/*
 * A movie source. The file name is set as an option, not through an args
 * string: paths may hold ':' ',' '[' or quotes, which filter-graph syntax
 * would need escaped.
 */
static int add_movie(AVFilterGraph *g, const char *name, const char *path, AVFilterContext **out)
{
    const AVFilter *f = avfilter_get_by_name("movie");
    AVFilterContext *ctx = f ? avfilter_graph_alloc_filter(g, f, name) : NULL;
    if (!ctx)
        return -1;
    if (av_opt_set(ctx, "filename", path, AV_OPT_SEARCH_CHILDREN) < 0 ||
        av_opt_set(ctx, "streams", "dv", AV_OPT_SEARCH_CHILDREN) < 0 ||
        avfilter_init_str(ctx, NULL) < 0)
        return -1;
    *out = ctx;
    return 0;
}

/* A filter whose arguments are ours (numbers and keywords), never user text. */
static int add_filter(AVFilterGraph *g, const char *filter, const char *name, const char *args,
                      AVFilterContext **out)
{
    const AVFilter *f = avfilter_get_by_name(filter);
    if (!f)
        return -1;
    return avfilter_graph_create_filter(out, f, name, args, NULL, g) < 0 ? -1 : 0;
}

static double meta_double(const AVDictionary *m, const char *key)
{
    const AVDictionaryEntry *e = av_dict_get(m, key, NULL, 0);
    if (!e)
        return NAN;
    char *end;
    double v = strtod(e->value, &end);
    return end != e->value ? v : NAN;
}

static int build_graph(AVFilterGraph *g, const char *distorted, const char *source, int width,
                       int height, AVFilterContext **sink, const char **stage)
{
    AVFilterContext *dmov, *dpts, *dfmt, *smov, *sscale, *sfmt, *spts, *split, *psnr, *ssim;
    char scale_args[96];
    snprintf(scale_args, sizeof(scale_args), "w=%d:h=%d:flags=bicubic", width, height);

    *stage = "cannot open the distorted file";
    if (add_movie(g, "distorted", distorted, &dmov))
        return -1;
    *stage = "cannot open the source";
    if (add_movie(g, "source", source, &smov))
        return -1;
    *stage = "cannot build the filter graph";
    if (add_filter(g, "setpts", "dpts", "PTS-STARTPTS", &dpts) ||
        add_filter(g, "format", "dfmt", "yuv420p", &dfmt) ||
        add_filter(g, "scale", "sscale", scale_args, &sscale) ||
        add_filter(g, "format", "sfmt", "yuv420p", &sfmt) ||
        add_filter(g, "setpts", "spts", "PTS-STARTPTS", &spts) ||
        add_filter(g, "split", "split", "2", &split) ||
        add_filter(g, "psnr", "psnr", NULL, &psnr) ||
        add_filter(g, "ssim", "ssim", NULL, &ssim) ||
        add_filter(g, "buffersink", "sink", NULL, sink))
        return -1;
    if (avfilter_link(dmov, 0, dpts, 0) || avfilter_link(dpts, 0, dfmt, 0) ||
        avfilter_link(smov, 0, sscale, 0) || avfilter_link(sscale, 0, sfmt, 0) ||
        avfilter_link(sfmt, 0, spts, 0) || avfilter_link(spts, 0, split, 0) ||
        avfilter_link(dfmt, 0, psnr, 0) || avfilter_link(split, 0, psnr, 1) ||
        /* psnr passes the distorted frame on, its metadata attached. */
        avfilter_link(psnr, 0, ssim, 0) || avfilter_link(split, 1, ssim, 1) ||
        avfilter_link(ssim, 0, *sink, 0))
        return -1;
    *stage = "cannot configure the filter graph (sizes or formats)";
    if (avfilter_graph_config(g, NULL) < 0)
        return -1;
    return 0;
}

int bench_quality_measure(const char *distorted, const char *source, int width, int height,
                          bench_quality *out, char *err, size_t err_size)
{
    *out = (bench_quality){ .psnr = NAN, .psnr_y = NAN, .ssim = NAN };
    AVFilterGraph *g = avfilter_graph_alloc();
    AVFrame *frame = av_frame_alloc();
    if (!g || !frame) {
        avfilter_graph_free(&g);
        av_frame_free(&frame);
        snprintf(err, err_size, "out of memory");
        return LADDER_ENOMEM;
    }
    AVFilterContext *sink = NULL;
    const char *stage = "";
    int ret = 0;
    if (build_graph(g, distorted, source, width, height, &sink, &stage)) {
        snprintf(err, err_size, "%s: %s", distorted, stage);
        ret = LADDER_EINPUT_INVALID;
    }
    double mse_sum = 0, mse_y_sum = 0, ssim_sum = 0;
    int64_t n = 0, n_ssim = 0;
    while (!ret) {
        int r = av_buffersink_get_frame(sink, frame);
        if (r == AVERROR_EOF)
            break;
        if (r < 0) {
            char buf[AV_ERROR_MAX_STRING_SIZE];
            av_strerror(r, buf, sizeof(buf));
            snprintf(err, err_size, "%s: decoding or filtering failed after %lld frames: %s",
                     distorted, (long long)n, buf);
            ret = LADDER_EINPUT_INVALID;
            break;
        }
        double mse = meta_double(frame->metadata, "lavfi.psnr.mse_avg");
        double mse_y = meta_double(frame->metadata, "lavfi.psnr.mse.y");
        double ssim = meta_double(frame->metadata, "lavfi.ssim.All");
        av_frame_unref(frame);
        n++;
        if (isfinite(mse) && isfinite(mse_y)) {
            mse_sum += mse;
            mse_y_sum += mse_y;
        } else {
            snprintf(err, err_size, "%s: frame %lld has no PSNR metadata", distorted, (long long)n);
            ret = LADDER_EINTERNAL;
        }
        if (isfinite(ssim)) {
            ssim_sum += ssim;
            n_ssim++;
        }
    }
    if (!ret && n == 0) {
        snprintf(err, err_size, "%s: no frames to compare", distorted);
        ret = LADDER_EINPUT_INVALID;
    }
    if (!ret) {
        /* 8-bit: the psnr filter's MSE is on the 0..255 scale. */
        out->psnr = bench_stats_psnr(mse_sum / (double)n, 255.0);
        out->psnr_y = bench_stats_psnr(mse_y_sum / (double)n, 255.0);
        out->ssim = n_ssim == n ? ssim_sum / (double)n_ssim : NAN;
        out->frames = n;
    }
    av_frame_free(&frame);
    avfilter_graph_free(&g);
    return ret;
}
