/* Reusable frame buffers in huge-page slabs: see frame_pool.h. */
#include "frame_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <libavutil/buffer.h>
#include <libavutil/imgutils.h>

#include "ladder/error.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define LINE_ALIGN 64
/* One slab size for every pool, so that a slab one pool gave back serves
 * any other: 6 huge pages hold 4 pictures of 1080p yuv420p, 9 of 720p,
 * 36 of 360p (about 1 % left over). Larger pictures get slabs of their own
 * size, shared among pools of that size. */
#define SLAB_BYTES ((size_t)12 << 20)

/* Under AddressSanitizer slabs come from its allocator, so it still sees
 * overruns past a picture and slabs that are never freed. */
#if defined(__SANITIZE_ADDRESS__)
#define SLAB_FROM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_FROM_MALLOC 1
#endif
#endif

typedef struct ladder_frame_pool ladder_frame_pool;

/* A run of memory carved into `units` pictures, owned by one pool while
 * any of them is in use. Every field is guarded by its pool's lock. */
typedef struct slab {
    ladder_frame_pool *pool;
    uint8_t *mem;
    size_t size;
    int used;                     /* pictures handed out and not back */
    int nb_free;
    int *free_units;              /* stack of unit indexes, lowest on top */
    struct slab *next;
} slab;

struct ladder_frame_pool {
    pthread_mutex_t lock;         /* guards everything below but geometry */
    int width, height, pix_fmt;
    int linesize[4];
    size_t buffer_size;           /* one picture, rounded to LINE_ALIGN */
    size_t slab_size;             /* whole huge pages */
    int units;                    /* pictures per slab */
    slab *slabs;
    int outstanding;              /* buffers handed out and not back */
    bool closed;                  /* the owner let go: gone with the last buffer */
    size_t held, peak;            /* slab bytes now, and at most */
};

/*
 * Empty slabs, shared by every pool of the process: a slab whose pictures
 * are all back leaves its pool for the next pool that needs one. Kept
 * mapped (its pages stay faulted in: a fresh page costs a kernel zeroing,
 * which on a VM was a visible share of the run) while any pool is open, so
 * the process holds the most pictures in use at once over all pools, not
 * the sum of each pool's own peak; all of it is unmapped when the last pool
 * closes. Lock order: a pool's lock, then spares_lock.
 */
typedef struct spare {
    uint8_t *mem;
    size_t size;
    struct spare *next;
} spare;

static pthread_mutex_t spares_lock = PTHREAD_MUTEX_INITIALIZER;
static spare *spares;             /* guarded by spares_lock, as is live_pools */
static int live_pools;            /* pools not closed yet */

static void *map_slab(size_t size)
{
#ifdef SLAB_FROM_MALLOC
    void *mem = NULL;
    return posix_memalign(&mem, HUGE_PAGE, size) ? NULL : mem;
#else
    /* Over-map by one huge page and cut to a 2 MiB boundary: the kernel
     * can then back it with huge pages from the first fault. */
    uint8_t *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
    size_t head = start - (uintptr_t)raw;
    if (head)
        munmap(raw, head);
    if (HUGE_PAGE - head)
        munmap((uint8_t *)start + size, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
    /* Advice only: without THP this is plain memory, still recycled. */
    madvise((void *)start, size, MADV_HUGEPAGE);
#endif
    return (void *)start;
#endif
}

static void unmap_slab(void *mem, size_t size)
{
#ifdef SLAB_FROM_MALLOC
    (void)size;
    free(mem);
#else
    munmap(mem, size);
#endif
}

/* An empty slab of size bytes another pool gave back, or a fresh one. */
static uint8_t *slab_memory(size_t size)
{
    spare *found = NULL;
    pthread_mutex_lock(&spares_lock);
    for (spare **link = &spares; *link; link = &(*link)->next) {
        if ((*link)->size == size) {
            found = *link;
            *link = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&spares_lock);
    if (!found)
        return map_slab(size);
    uint8_t *mem = found->mem;
    free(found);
    return mem;
}

/* An empty slab's memory for the next pool; unmapped when no pool is open
 * (the last buffer of a closed pool came back). */
static void slab_memory_back(uint8_t *mem, size_t size)
{
    spare *sp = malloc(sizeof(*sp));
    pthread_mutex_lock(&spares_lock);
    bool keep = sp && live_pools > 0;
    if (keep) {
        *sp = (spare){ .mem = mem, .size = size, .next = spares };
        spares = sp;
    }
    pthread_mutex_unlock(&spares_lock);
    if (!keep) {
        free(sp);
        unmap_slab(mem, size);
    }
}

/* A pool opens (+1) or closes (-1); after the last, the spares go. */
static void pools_open(int delta)
{
    pthread_mutex_lock(&spares_lock);
    live_pools += delta;
    spare *gone = live_pools == 0 ? spares : NULL;
    if (gone)
        spares = NULL;
    pthread_mutex_unlock(&spares_lock);
    while (gone) {
        spare *next = gone->next;
        unmap_slab(gone->mem, gone->size);
        free(gone);
        gone = next;
    }
}

/* Under p->lock. */
static slab *slab_new(ladder_frame_pool *p)
{
    slab *s = calloc(1, sizeof(*s));
    int *units = s ? malloc((size_t)p->units * sizeof(*units)) : NULL;
    uint8_t *mem = units ? slab_memory(p->slab_size) : NULL;
    if (!mem) {
        free(units);
        free(s);
        return NULL;
    }
    s->pool = p;
    s->mem = mem;
    s->size = p->slab_size;
    s->free_units = units;
    for (int i = 0; i < p->units; i++)
        units[i] = p->units - 1 - i;
    s->nb_free = p->units;
    s->next = p->slabs;
    p->slabs = s;
    p->held += s->size;
    if (p->held > p->peak)
        p->peak = p->held;
    return s;
}

/* Under p->lock: unlink the empty slab s; its memory goes to the spares. */
static void slab_release(ladder_frame_pool *p, slab *s)
{
    for (slab **link = &p->slabs; *link; link = &(*link)->next) {
        if (*link == s) {
            *link = s->next;
            break;
        }
    }
    p->held -= s->size;
    slab_memory_back(s->mem, s->size);
    free(s->free_units);
    free(s);
}

/* Under p->lock: the fullest slab with room, so the others drain and go
 * to other pools; another one when none has room. */
static slab *slab_with_room(ladder_frame_pool *p)
{
    slab *best = NULL;
    for (slab *s = p->slabs; s; s = s->next)
        if (s->nb_free > 0 && (!best || s->used > best->used))
            best = s;
    return best ? best : slab_new(p);
}

static void pool_destroy(ladder_frame_pool *p)
{
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* A buffer is back (from whichever thread dropped its last reference). */
static void give_back(void *opaque, uint8_t *data)
{
    slab *s = opaque;
    ladder_frame_pool *p = s->pool;
    pthread_mutex_lock(&p->lock);
    s->free_units[s->nb_free++] = (int)((size_t)(data - s->mem) / p->buffer_size);
    p->outstanding--;
    if (--s->used == 0)
        slab_release(p, s);
    bool gone = p->closed && p->outstanding == 0;
    pthread_mutex_unlock(&p->lock);
    if (gone)
        pool_destroy(p);
}

static AVBufferRef *take_buffer(ladder_frame_pool *p)
{
    pthread_mutex_lock(&p->lock);
    slab *s = slab_with_room(p);
    AVBufferRef *buf = NULL;
    if (s) {
        int unit = s->free_units[s->nb_free - 1];
        buf = av_buffer_create(s->mem + (size_t)unit * p->buffer_size, p->buffer_size, give_back, s, 0);
        if (buf) {
            s->nb_free--;
            s->used++;
            p->outstanding++;
        } else if (s->used == 0) {
            slab_release(p, s);   /* just taken for this buffer */
        }
    }
    pthread_mutex_unlock(&p->lock);
    return buf;
}

/* Line sizes and the padded picture size of a pool; 0 or LADDER_EINVAL. */
static int pool_geometry(ladder_frame_pool *p)
{
    /* Padded lines keep SIMD scalers, decoders and encoders on aligned loads. */
    if (av_image_fill_linesizes(p->linesize, p->pix_fmt, FFALIGN(p->width, LINE_ALIGN)) < 0)
        return LADDER_EINVAL;
    for (int i = 0; i < 4; i++)
        p->linesize[i] = FFALIGN(p->linesize[i], LINE_ALIGN);
    uint8_t *planes[4];
    int size = av_image_fill_pointers(planes, p->pix_fmt, p->height, NULL, p->linesize);
    if (size <= 0)
        return LADDER_EINVAL;
    /* Slack after the last plane for SIMD reads past its end. */
    p->buffer_size = FFALIGN((size_t)size + LINE_ALIGN, LINE_ALIGN);
    size_t own = (p->buffer_size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    p->slab_size = own > SLAB_BYTES ? own : SLAB_BYTES;
    p->units = (int)(p->slab_size / p->buffer_size);
    return 0;
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
    if (pool_geometry(p)) {
        free(p);
        return LADDER_EINVAL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pools_open(1);
    *out = p;
    return 0;
}

int ladder_frame_pool_attach(ladder_frame_pool *p, AVFrame *f)
{
    f->buf[0] = take_buffer(p);
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

static size_t read_bytes(const ladder_frame_pool *p, bool peak)
{
    if (!p)
        return 0;
    ladder_frame_pool *q = (ladder_frame_pool *)p;   /* the lock only */
    pthread_mutex_lock(&q->lock);
    size_t n = peak ? q->peak : q->held;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t ladder_frame_pool_bytes(const ladder_frame_pool *p)
{
    return read_bytes(p, true);
}

size_t ladder_frame_pool_held_bytes(const ladder_frame_pool *p)
{
    return read_bytes(p, false);
}

void ladder_frame_pool_close(ladder_frame_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->closed = true;
    /* No slab is empty here (each left when it became so); the others
     * leave with their last buffer. */
    bool gone = p->outstanding == 0;
    pthread_mutex_unlock(&p->lock);
    if (gone)
        pool_destroy(p);
    pools_open(-1);
}
