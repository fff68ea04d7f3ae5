/*
 * Device leases. One lock guards the slot table; waiters queue in arrival
 * order, each with the devices it accepts, and a free slot goes to the
 * first waiter that accepts its device, so leases are handed out first
 * come, first served per device and no caller starves.
 */
#include "ladder/lease_pool.h"

#include <pthread.h>
#include <stdatomic.h>
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

/* One blocked acquirer, on its own stack, linked in arrival order. */
typedef struct lease_waiter {
    uint64_t devices;             /* bit d: accepts device d */
    struct lease_waiter *next;
} lease_waiter;

struct ladder_lease_pool {
    pthread_mutex_t lock;         /* guards every field below */
    pthread_cond_t freed;         /* a slot was released, a waiter left, abort or wake */
    int capacity;
    lease_slot *slots;            /* [capacity] */
    char (*device_names)[LADDER_DEVICE_NAME_MAX];  /* [nb_devices] */
    int *device_slots;            /* [nb_devices] */
    int nb_devices;
    int in_use;
    lease_waiter *first, *last;   /* the queue, oldest first */
    int nb_waiting;
    bool aborted;
};

int ladder_lease_pool_init(ladder_lease_pool **out, const char *const *names, const int *slots,
                           int nb_devices)
{
    if (!out || !names || !slots || nb_devices < 1 || nb_devices > LADDER_LEASE_POOL_MAX_DEVICES)
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
    pool->device_slots = calloc((size_t)nb_devices, sizeof(*pool->device_slots));
    if (!pool->slots || !pool->device_names || !pool->device_slots) {
        free(pool->slots);
        free(pool->device_names);
        free(pool->device_slots);
        free(pool);
        return LADDER_ENOMEM;
    }
    for (int d = 0, i = 0; d < nb_devices; d++) {
        snprintf(pool->device_names[d], sizeof(pool->device_names[d]), "%s", names[d]);
        pool->device_slots[d] = slots[d];
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
    free(pool->device_slots);
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

int ladder_lease_pool_device_count(const ladder_lease_pool *pool)
{
    return pool->nb_devices;
}

const char *ladder_lease_pool_device_name(const ladder_lease_pool *pool, int device)
{
    return device >= 0 && device < pool->nb_devices ? pool->device_names[device] : NULL;
}

int ladder_lease_pool_device_slots(const ladder_lease_pool *pool, int device)
{
    return device >= 0 && device < pool->nb_devices ? pool->device_slots[device] : 0;
}

static uint64_t all_devices(const ladder_lease_pool *pool)
{
    return pool->nb_devices >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << pool->nb_devices) - 1;
}

/*
 * Under the lock: the first free slot, in device order (the caller lists
 * its preferred devices first), that w accepts and no waiter ahead of it
 * accepts too (that one is first in line for it). -1 if none.
 */
static int slot_for(const ladder_lease_pool *pool, const lease_waiter *w)
{
    uint64_t ahead = 0;
    for (const lease_waiter *e = pool->first; e && e != w; e = e->next)
        ahead |= e->devices;
    for (int i = 0; i < pool->capacity; i++) {
        const lease_slot *ls = &pool->slots[i];
        uint64_t bit = UINT64_C(1) << ls->device;
        if (!ls->busy && (w->devices & bit) && !(ahead & bit))
            return i;
    }
    return -1;
}

static void lend_slot(ladder_lease_pool *pool, int i, ladder_lease *lease)
{
    lease_slot *ls = &pool->slots[i];
    ls->busy = true;
    pool->in_use++;
    lease->device = ls->device;
    lease->slot = ls->slot;
    lease->index = i;
    snprintf(lease->name, sizeof(lease->name), "%s:%d", pool->device_names[ls->device], ls->slot);
}

static void dequeue(ladder_lease_pool *pool, lease_waiter *w)
{
    lease_waiter **link = &pool->first;
    lease_waiter *prev = NULL;
    while (*link && *link != w) {
        prev = *link;
        link = &(*link)->next;
    }
    if (!*link)
        return;
    *link = w->next;
    if (pool->last == w)
        pool->last = prev;
    pool->nb_waiting--;
}

int ladder_lease_pool_acquire_from(ladder_lease_pool *pool, uint64_t devices, const atomic_bool *give_up,
                                   ladder_lease *lease)
{
    pthread_mutex_lock(&pool->lock);
    lease_waiter w = { .devices = (devices ? devices : all_devices(pool)) & all_devices(pool) };
    if (!w.devices) {
        pthread_mutex_unlock(&pool->lock);
        return LADDER_EINVAL;
    }
    if (pool->last)
        pool->last->next = &w;
    else
        pool->first = &w;
    pool->last = &w;
    pool->nb_waiting++;
    int ret = 0;
    for (;;) {
        if (pool->aborted || (give_up && atomic_load(give_up))) {
            ret = LADDER_ECANCELED;
            break;
        }
        int i = slot_for(pool, &w);
        if (i >= 0) {
            lend_slot(pool, i, lease);
            break;
        }
        pthread_cond_wait(&pool->freed, &pool->lock);
    }
    dequeue(pool, &w);
    /* Whoever was behind this waiter may be able to go now. */
    pthread_cond_broadcast(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
    return ret;
}

int ladder_lease_pool_acquire(ladder_lease_pool *pool, ladder_lease *lease)
{
    return ladder_lease_pool_acquire_from(pool, 0, NULL, lease);
}

int ladder_lease_pool_try_acquire(ladder_lease_pool *pool, ladder_lease *lease)
{
    int ret = 1;
    pthread_mutex_lock(&pool->lock);
    /* Only when nobody is queued: try must not jump the line. */
    lease_waiter any = { .devices = all_devices(pool) };
    int i = !pool->aborted && !pool->first ? slot_for(pool, &any) : -1;
    if (i >= 0) {
        lend_slot(pool, i, lease);
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
    int n = pool->nb_waiting;
    pthread_mutex_unlock(&pool->lock);
    return n;
}

int ladder_lease_pool_waiting_for(ladder_lease_pool *pool, int device)
{
    if (device < 0 || device >= 64)
        return 0;
    pthread_mutex_lock(&pool->lock);
    int n = 0;
    for (const lease_waiter *e = pool->first; e; e = e->next)
        n += (e->devices >> device) & 1;
    pthread_mutex_unlock(&pool->lock);
    return n;
}

void ladder_lease_pool_wake(ladder_lease_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
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
