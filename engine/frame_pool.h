/*
 * Reusable raw-frame buffers for one picture size and format.
 *
 * Raw frames are allocated and freed at the frame rate, and a ladder keeps
 * hundreds alive (chunks of 2 s waiting for encoders). Fresh memory costs a
 * page fault per 4 KiB on first touch, which is expensive under
 * virtualisation: a 10 s 1080p ladder took ~330k faults and seconds of
 * system time. So buffers are recycled through an AVBufferPool and carved
 * out of 2 MiB-aligned slabs advised as transparent huge pages: one fault
 * per 2 MiB. The pool never holds more buffers than were in use at once,
 * which the chunk queue's budget bounds.
 */
#ifndef LADDER_FRAME_POOL_H
#define LADDER_FRAME_POOL_H

#include <libavutil/frame.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_frame_pool ladder_frame_pool;

int ladder_frame_pool_init(ladder_frame_pool **out, int width, int height, int pix_fmt);
/* A frame with buffers from the pool (contents undefined), or NULL. */
AVFrame *ladder_frame_pool_get(ladder_frame_pool *pool);
/*
 * Give frame (whose width/height/format the caller set, e.g. a decoder)
 * buffers from the pool; the pool's picture must be at least that large.
 * 0 or LADDER_ENOMEM. Used as a decoder's get_buffer2.
 */
int ladder_frame_pool_attach(ladder_frame_pool *pool, AVFrame *frame);
/* The pool's picture size and format. */
void ladder_frame_pool_geometry(const ladder_frame_pool *pool, int *width, int *height,
                                int *pix_fmt);
/* Bytes of buffer memory the pool has allocated so far (it never shrinks
 * before close): for the run report. */
size_t ladder_frame_pool_bytes(const ladder_frame_pool *pool);
/* Frames still referencing pool buffers stay valid after close. */
void ladder_frame_pool_close(ladder_frame_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_FRAME_POOL_H */
