/* Reusable frame buffers in huge-page slabs: see frame_pool.h. */
#include "frame_pool.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <libavutil/buffer.h>
#include <libavutil/imgutils.h>

#include "ladder/error.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define LINE_ALIGN 64
#define FRAMES_PER_SLAB 8

/* A run of memory shared by several pool buffers; freed with the last. */
typedef struct slab {
    atomic_int refs;
    uint8_t *mem;
    size_t size, used;
} slab;

struct ladder_frame_pool {
    AVBufferPool *pool;
    int width, height, pix_fmt;
    int linesize[4];
    size_t buffer_size;           /* one picture, rounded to LINE_ALIGN */
    slab *current;                /* carving from here; touched only in alloc,
                                     which AVBufferPool calls under its lock */
    atomic_size_t slab_bytes;     /* every slab ever carved: what the pool costs */
};

static void slab_unref(slab *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        free(s->mem);
        free(s);
    }
}

static void free_buffer(void *opaque, uint8_t *data)
{
    (void)data;
    slab_unref(opaque);
}

static slab *slab_new(size_t buffer_size)
{
    slab *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    size_t want = buffer_size * FRAMES_PER_SLAB;
    s->size = (want + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (posix_memalign((void **)&s->mem, HUGE_PAGE, s->size)) {
        free(s);
        return NULL;
    }
#ifdef MADV_HUGEPAGE
    /* Advice only: without THP this is plain memory, still recycled. */
    madvise(s->mem, s->size, MADV_HUGEPAGE);
#endif
    atomic_init(&s->refs, 1);     /* the pool's reference while current */
    return s;
}

static AVBufferRef *alloc_buffer(void *opaque, size_t size)
{
    ladder_frame_pool *p = opaque;
    (void)size;
    if (!p->current || p->current->used + p->buffer_size > p->current->size) {
        slab *fresh = slab_new(p->buffer_size);
        if (!fresh)
            return NULL;
        if (p->current)
            slab_unref(p->current);
        p->current = fresh;
        atomic_fetch_add(&p->slab_bytes, fresh->size);
    }
    slab *s = p->current;
    uint8_t *data = s->mem + s->used;
    atomic_fetch_add(&s->refs, 1);
    AVBufferRef *buf = av_buffer_create(data, p->buffer_size, free_buffer, s, 0);
    if (!buf) {
        slab_unref(s);
        return NULL;
    }
    s->used += p->buffer_size;
    return buf;
}

int ladder_frame_pool_init(ladder_frame_pool **out, int width, int height, int pix_fmt)
{
    if (!out || width <= 0 || height <= 0)
        return LADDER_EINVAL;
    ladder_frame_pool *p = calloc(1, sizeof(*p));
    if (!p)
        return LADDER_ENOMEM;
    p->width = width;
    p->height = height;
    p->pix_fmt = pix_fmt;
    /* Padded lines keep SIMD scalers, decoders and encoders on aligned loads. */
    if (av_image_fill_linesizes(p->linesize, pix_fmt, FFALIGN(width, LINE_ALIGN)) < 0) {
        free(p);
        return LADDER_EINVAL;
    }
    for (int i = 0; i < 4; i++)
        p->linesize[i] = FFALIGN(p->linesize[i], LINE_ALIGN);
    uint8_t *planes[4];
    int size = av_image_fill_pointers(planes, pix_fmt, height, NULL, p->linesize);
    if (size <= 0) {
        free(p);
        return LADDER_EINVAL;
    }
    /* Slack after the last plane for SIMD reads past its end. */
    p->buffer_size = FFALIGN((size_t)size + LINE_ALIGN, LINE_ALIGN);
    p->pool = av_buffer_pool_init2(p->buffer_size, p, alloc_buffer, NULL);
    if (!p->pool) {
        free(p);
        return LADDER_ENOMEM;
    }
    *out = p;
    return 0;
}

int ladder_frame_pool_attach(ladder_frame_pool *p, AVFrame *f)
{
    f->buf[0] = av_buffer_pool_get(p->pool);
    if (!f->buf[0])
        return LADDER_ENOMEM;
    for (int i = 0; i < 4; i++)
        f->linesize[i] = p->linesize[i];
    av_image_fill_pointers(f->data, p->pix_fmt, p->height, f->buf[0]->data, f->linesize);
    f->extended_data = f->data;
    return 0;
}

AVFrame *ladder_frame_pool_get(ladder_frame_pool *p)
{
    AVFrame *f = av_frame_alloc();
    if (!f)
        return NULL;
    f->width = p->width;
    f->height = p->height;
    f->format = p->pix_fmt;
    if (ladder_frame_pool_attach(p, f)) {
        av_frame_free(&f);
        return NULL;
    }
    return f;
}

void ladder_frame_pool_geometry(const ladder_frame_pool *p, int *width, int *height, int *pix_fmt)
{
    *width = p->width;
    *height = p->height;
    *pix_fmt = p->pix_fmt;
}

size_t ladder_frame_pool_bytes(const ladder_frame_pool *p)
{
    return p ? atomic_load(&p->slab_bytes) : 0;
}

void ladder_frame_pool_close(ladder_frame_pool *p)
{
    if (!p)
        return;
    /* Buffers still in use keep their slab alive until they are unref'd. */
    av_buffer_pool_uninit(&p->pool);
    if (p->current)
        slab_unref(p->current);
    free(p);
}
