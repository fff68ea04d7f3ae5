/* Bounded frame FIFO: see frame_fifo.h. One lock, two conds. */
#include "frame_fifo.h"

#include <pthread.h>
#include <stdlib.h>

#include "ladder/error.h"

struct ladder_frame_fifo {
    pthread_mutex_t lock;         /* guards the ring and the flag */
    pthread_cond_t not_full;
    pthread_cond_t not_empty;
    ladder_fifo_item *ring;
    int capacity, head, count;
    bool aborted;
};

int ladder_frame_fifo_init(ladder_frame_fifo **out, int capacity)
{
    if (!out || capacity < 1)
        return LADDER_EINVAL;
    ladder_frame_fifo *f = calloc(1, sizeof(*f));
    if (!f)
        return LADDER_ENOMEM;
    f->ring = calloc((size_t)capacity, sizeof(*f->ring));
    if (!f->ring) {
        free(f);
        return LADDER_ENOMEM;
    }
    f->capacity = capacity;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->not_full, NULL);
    pthread_cond_init(&f->not_empty, NULL);
    *out = f;
    return 0;
}

void ladder_frame_fifo_close(ladder_frame_fifo *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->count; i++)
        av_frame_free(&f->ring[(f->head + i) % f->capacity].frame);
    pthread_mutex_destroy(&f->lock);
    pthread_cond_destroy(&f->not_full);
    pthread_cond_destroy(&f->not_empty);
    free(f->ring);
    free(f);
}

int ladder_frame_fifo_push(ladder_frame_fifo *f, ladder_fifo_item item)
{
    pthread_mutex_lock(&f->lock);
    while (!f->aborted && f->count == f->capacity)
        pthread_cond_wait(&f->not_full, &f->lock);
    if (f->aborted) {
        pthread_mutex_unlock(&f->lock);
        return LADDER_ECANCELED;
    }
    f->ring[(f->head + f->count) % f->capacity] = item;
    f->count++;
    pthread_cond_signal(&f->not_empty);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

int ladder_frame_fifo_pop(ladder_frame_fifo *f, ladder_fifo_item *item)
{
    pthread_mutex_lock(&f->lock);
    while (!f->aborted && f->count == 0)
        pthread_cond_wait(&f->not_empty, &f->lock);
    if (f->aborted) {
        pthread_mutex_unlock(&f->lock);
        return LADDER_ECANCELED;
    }
    *item = f->ring[f->head];
    f->ring[f->head].frame = NULL;
    f->head = (f->head + 1) % f->capacity;
    f->count--;
    pthread_cond_signal(&f->not_full);
    pthread_mutex_unlock(&f->lock);
    return 0;
}

void ladder_frame_fifo_abort(ladder_frame_fifo *f)
{
    pthread_mutex_lock(&f->lock);
    f->aborted = true;
    pthread_cond_broadcast(&f->not_full);
    pthread_cond_broadcast(&f->not_empty);
    pthread_mutex_unlock(&f->lock);
}
