/*
 * Device leases. One lock guards the slot table; waiters queue on tickets so
 * leases are handed out first come, first served.
 */
#include "ladder/lease_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder/error.h"

/* One slot of one device; the table lists devices in the caller's order. */
typedef struct lease_slot {
    int device;
    int slot;                     /* index within the device */
    bool busy;
} lease_slot;

struct ladder_lease_pool {
    pthread_mutex_t lock;         /* guards every field below */
    pthread_cond_t freed;         /* a slot was released, or abort */
    int capacity;
    lease_slot *slots;            /* [capacity] */
    char (*device_names)[LADDER_DEVICE_NAME_MAX];  /* [nb_devices] */
    int nb_devices;
    int in_use;
    uint64_t next_ticket;         /* ticket handed to the next acquirer */
    uint64_t serving;             /* lowest ticket still waiting */
    bool aborted;
};

int ladder_lease_pool_init(ladder_lease_pool **out, const char *const *names, const int *slots,
                           int nb_devices)
{
    if (!out || !names || !slots || nb_devices < 1)
        return LADDER_EINVAL;
    int capacity = 0;
    for (int d = 0; d < nb_devices; d++) {
        /* Room for ":<slot>" after the name in a lease name. */
        if (slots[d] < 1 || slots[d] > 1024 || !names[d] || !names[d][0] ||
            strlen(names[d]) + 6 > LADDER_DEVICE_NAME_MAX)
            return LADDER_EINVAL;
        capacity += slots[d];
    }
    ladder_lease_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return LADDER_ENOMEM;
    pool->slots = calloc((size_t)capacity, sizeof(*pool->slots));
    pool->device_names = calloc((size_t)nb_devices, sizeof(*pool->device_names));
    if (!pool->slots || !pool->device_names) {
        free(pool->slots);
        free(pool->device_names);
        free(pool);
        return LADDER_ENOMEM;
    }
    for (int d = 0, i = 0; d < nb_devices; d++) {
        snprintf(pool->device_names[d], sizeof(pool->device_names[d]), "%s", names[d]);
        for (int k = 0; k < slots[d]; k++, i++)
            pool->slots[i] = (lease_slot){ .device = d, .slot = k };
    }
    pool->nb_devices = nb_devices;
    pool->capacity = capacity;
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
    free(pool->slots);
    free(pool->device_names);
    free(pool);
}

int ladder_lease_pool_init_cpu(ladder_lease_pool **out, int cpu_slots)
{
    const char *name = "cpu";
    return ladder_lease_pool_init(out, &name, &cpu_slots, 1);
}

int ladder_lease_pool_capacity(const ladder_lease_pool *pool)
{
    return pool->capacity;
}

/* The first free slot in device order: the caller lists its preferred
 * devices first. */
static void lend_slot(ladder_lease_pool *pool, ladder_lease *lease)
{
    for (int i = 0; i < pool->capacity; i++) {
        lease_slot *ls = &pool->slots[i];
        if (!ls->busy) {
            ls->busy = true;
            pool->in_use++;
            lease->device = ls->device;
            lease->slot = ls->slot;
            lease->index = i;
            snprintf(lease->name, sizeof(lease->name), "%s:%d", pool->device_names[ls->device], ls->slot);
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
    if (lease->index >= 0 && lease->index < pool->capacity && pool->slots[lease->index].busy) {
        pool->slots[lease->index].busy = false;
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

int ladder_lease_pool_waiting(ladder_lease_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    int n = (int)(pool->next_ticket - pool->serving);
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
