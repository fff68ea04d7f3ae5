/*
 * Reusable raw-frame buffers for one picture size and format.
 *
 * Raw frames are allocated and freed at the frame rate, and a ladder keeps
 * hundreds alive (chunks of 2 s waiting for encoders). Fresh memory costs a
 * page fault per 4 KiB on first touch, which is expensive under
 * virtualisation: a 10 s 1080p ladder took ~330k faults and seconds of
 * system time. So buffers are recycled and carved out of 2 MiB-aligned
 * slabs advised as transparent huge pages: one fault per 2 MiB.
 *
 * Slabs have one size for every pool (12 MiB), and a slab whose buffers
 * are all back leaves its pool for any pool that needs one (it stays
 * mapped until the last pool closes). Pools of different rungs peak at
 * different moments (a rung's chunks wait while another's are encoded):
 * pools that kept their own buffers held the sum of those peaks, about
 * 40 % more than the chunk queue's budget, which bounds what is in use at
 * once. Sharing, the process holds the most in use at once over all pools
 * (plus partly used slabs), and a page once faulted in is never zeroed
 * again by the kernel.
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
/* The most slab memory the pool held at once (its peak; pools' peaks may
 * fall at different moments): for the run report. */
size_t ladder_frame_pool_bytes(const ladder_frame_pool *pool);
/* Slab memory the pool holds now. */
size_t ladder_frame_pool_held_bytes(const ladder_frame_pool *pool);
/* Frames still referencing pool buffers stay valid after close. */
void ladder_frame_pool_close(ladder_frame_pool *pool);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_FRAME_POOL_H */
