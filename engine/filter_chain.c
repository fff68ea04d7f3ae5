/*
 * A linear libavfilter chain between a graph's source and sink, parsed from
 * its description and configured: what the rotation of the pump and each
 * rung's GPU scaler do alike (their sources differ: software frames by
 * arguments, GPU frames by a frames context).
 */
#include "filter_chain.h"

#include <libavutil/error.h>
#include <libavutil/mem.h>

int filter_chain_link(AVFilterGraph *graph, AVFilterContext *src, AVFilterContext *sink, const char *desc)
{
    AVFilterInOut *outputs = avfilter_inout_alloc(), *inputs = avfilter_inout_alloc();
    int ret = outputs && inputs ? 0 : AVERROR(ENOMEM);
    if (ret >= 0) {
        outputs->name = av_strdup("in");
        outputs->filter_ctx = src;
        inputs->name = av_strdup("out");
        inputs->filter_ctx = sink;
        ret = outputs->name && inputs->name ? avfilter_graph_parse_ptr(graph, desc, &inputs, &outputs, NULL)
                                            : AVERROR(ENOMEM);
    }
    avfilter_inout_free(&outputs);
    avfilter_inout_free(&inputs);
    if (ret >= 0)
        ret = avfilter_graph_config(graph, NULL);
    return ret;
}
