/*
 * A small bounded FIFO of decoded frames between the decode pump and one
 * rung's scaler. It holds references, never copies; its small capacity is
 * what turns a stalled scaler into back-pressure on the decoder.
 */
#ifndef LADDER_FRAME_FIFO_H
#define LADDER_FRAME_FIFO_H

#include <stdbool.h>

#include <libavutil/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_frame_fifo ladder_frame_fifo;

typedef struct ladder_fifo_item {
    AVFrame *frame;               /* NULL marks the end of the stream */
    int chunk;                    /* dense chunk index from the chunk plan */
    bool starts_chunk;
} ladder_fifo_item;

int ladder_frame_fifo_init(ladder_frame_fifo **out, int capacity);
/* Frees any frames still queued. */
void ladder_frame_fifo_close(ladder_frame_fifo *fifo);
/* Takes ownership of item.frame on success. 0 or LADDER_ECANCELED. */
int ladder_frame_fifo_push(ladder_frame_fifo *fifo, ladder_fifo_item item);
/* 0 with *item set (caller owns item->frame), or LADDER_ECANCELED. */
int ladder_frame_fifo_pop(ladder_frame_fifo *fifo, ladder_fifo_item *item);
void ladder_frame_fifo_abort(ladder_frame_fifo *fifo);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_FRAME_FIFO_H */
