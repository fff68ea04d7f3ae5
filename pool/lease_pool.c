/*
 * Device leases. One lock guards the slot table; waiters queue on tickets so
 * leases are handed out first come, first served.
 */
#include "ladder/lease_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "ladder/error.h"

struct ladder_lease_pool {
    pthread_mutex_t lock;         /* guards every field below */
    pthread_cond_t freed;         /* a slot was released, or abort */
    int capacity;
    bool *slot_busy;              /* [capacity] */
    int in_use;
    uint64_t next_ticket;         /* ticket handed to the next acquirer */
    uint64_t serving;             /* lowest ticket still waiting */
    bool aborted;
};

int ladder_lease_pool_init_cpu(ladder_lease_pool **out, int cpu_slots)
{
    if (!out || cpu_slots < 1)
        return LADDER_EINVAL;
    ladder_lease_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return LADDER_ENOMEM;
    pool->slot_busy = calloc((size_t)cpu_slots, sizeof(*pool->slot_busy));
    if (!pool->slot_busy) {
        free(pool);
        return LADDER_ENOMEM;
    }
    pool->capacity = cpu_slots;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    *out = pool;
    return 0;
}

void ladder_lease_pool_close(ladder_lease_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->freed);
    free(pool->slot_busy);
    free(pool);
}

int ladder_lease_pool_capacity(const ladder_lease_pool *pool)
{
    return pool->capacity;
}

static void lend_slot(ladder_lease_pool *pool, ladder_lease *lease)
{
    for (int i = 0; i < pool->capacity; i++) {
        if (!pool->slot_busy[i]) {
            pool->slot_busy[i] = true;
            pool->in_use++;
            lease->device = 0;
            lease->slot = i;
            snprintf(lease->name, sizeof(lease->name), "cpu:%d", i);
            return;
        }
    }
}

int ladder_lease_pool_acquire(ladder_lease_pool *pool, ladder_lease *lease)
{
    pthread_mutex_lock(&pool->lock);
    uint64_t ticket = pool->next_ticket++;
    while (!pool->aborted && (ticket != pool->serving || pool->in_use == pool->capacity))
        pthread_cond_wait(&pool->freed, &pool->lock);
    if (pool->aborted) {
        pthread_mutex_unlock(&pool->lock);
        return LADDER_ECANCELED;
    }
    lend_slot(pool, lease);
    pool->serving++;
    /* The next ticket holder may be able to go too. */
    pthread_cond_broadcast(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

int ladder_lease_pool_try_acquire(ladder_lease_pool *pool, ladder_lease *lease)
{
    int ret = 1;
    pthread_mutex_lock(&pool->lock);
    /* Only when nobody is queued: try must not jump the FIFO. */
    if (!pool->aborted && pool->serving == pool->next_ticket && pool->in_use < pool->capacity) {
        lend_slot(pool, lease);
        ret = 0;
    }
    pthread_mutex_unlock(&pool->lock);
    return ret;
}

void ladder_lease_pool_release(ladder_lease_pool *pool, const ladder_lease *lease)
{
    pthread_mutex_lock(&pool->lock);
    if (lease->slot >= 0 && lease->slot < pool->capacity && pool->slot_busy[lease->slot]) {
        pool->slot_busy[lease->slot] = false;
        pool->in_use--;
    }
    pthread_cond_broadcast(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void ladder_lease_pool_abort(ladder_lease_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->aborted = true;
    pthread_cond_broadcast(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

int ladder_lease_pool_in_use(ladder_lease_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    int n = pool->in_use;
    pthread_mutex_unlock(&pool->lock);
    return n;
}

static double remaining_work(const ladder_rung_load *l)
{
    int64_t frames = l->frames_left > 0 ? l->frames_left : 0;
    return (double)frames * l->cost_per_frame;
}

int ladder_lease_pool_pick_rung(const ladder_rung_load *loads, int nb_rungs,
                                int current, bool helpers)
{
    if (current >= 0 && current < nb_rungs && loads[current].queued > 0 &&
        (helpers || loads[current].active == 0))
        return current;

    /* A rung nobody is encoding comes first: it is someone's own work. */
    int best = -1;
    for (int r = 0; r < nb_rungs; r++) {
        if (loads[r].queued == 0 || loads[r].active > 0)
            continue;
        if (best < 0 || remaining_work(&loads[r]) > remaining_work(&loads[best]))
            best = r;
    }
    if (best >= 0 || !helpers)
        return best;

    for (int r = 0; r < nb_rungs; r++) {
        if (loads[r].queued == 0)
            continue;
        if (best < 0 || remaining_work(&loads[r]) > remaining_work(&loads[best]))
            best = r;
    }
    return best;
}
