/*
 * Private to engine/: turning decoded pictures upright by the source's
 * display matrix (rotate.c), in the decode pump before the fan-out.
 */
#ifndef LADDER_ENGINE_ROTATE_H
#define LADDER_ENGINE_ROTATE_H

#include <libavfilter/avfilter.h>
#include <libavutil/frame.h>
#include <libavutil/rational.h>

/* The pump's filter graph (session.rotate): pump thread only. */
typedef struct rotate_state {
    AVFilterGraph *graph;
    AVFilterContext *src, *sink;
    int w, h, fmt;                /* the pictures the graph was built for */
} rotate_state;

/* Turn a decoded picture by degrees (clockwise 90, 180 or 270) in place:
 * frame is replaced by the turned one. time_base: the pictures'. */
int rotate_frame(rotate_state *rs, int degrees, AVRational time_base, AVFrame *frame);
void rotate_close(rotate_state *rs);

#endif /* LADDER_ENGINE_ROTATE_H */
