/*
 * Private to engine/: a linear libavfilter chain between a graph's source
 * and sink (filter_chain.c), for the pump's rotation and the rungs' GPU
 * scalers.
 */
#ifndef LADDER_ENGINE_FILTER_CHAIN_H
#define LADDER_ENGINE_FILTER_CHAIN_H

#include <libavfilter/avfilter.h>

/* Link src to sink through the chain desc and configure the graph; 0 or
 * an AVERROR. */
int filter_chain_link(AVFilterGraph *graph, AVFilterContext *src, AVFilterContext *sink, const char *desc);

#endif /* LADDER_ENGINE_FILTER_CHAIN_H */
