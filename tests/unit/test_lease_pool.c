/* Lease pool: capacity never exceeded, FIFO fairness, and the rung a free
 * lease picks (its own, an unattended rung, or the most remaining work). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "ladder/error.h"
#include "ladder/lease_pool.h"

typedef struct hammer {
    ladder_lease_pool *pool;
    atomic_int *inside;
    atomic_int *max_inside;
    int rounds;
} hammer;

static void *hammer_thread(void *arg)
{
    hammer *h = arg;
    for (int i = 0; i < h->rounds; i++) {
        ladder_lease lease;
        assert_int_equal(ladder_lease_pool_acquire(h->pool, &lease), 0);
        int now = atomic_fetch_add(h->inside, 1) + 1;
        int prev = atomic_load(h->max_inside);
        while (now > prev && !atomic_compare_exchange_weak(h->max_inside, &prev, now))
            ;
        assert_true(ladder_lease_pool_in_use(h->pool) <= ladder_lease_pool_capacity(h->pool));
        /* Hold the lease a moment so holders really overlap. */
        struct timespec ts = { 0, 20000 };
        nanosleep(&ts, NULL);
        atomic_fetch_sub(h->inside, 1);
        ladder_lease_pool_release(h->pool, &lease);
    }
    return NULL;
}

static void test_never_over_lent(void **state)
{
    (void)state;
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 3), 0);
    atomic_int inside = 0, max_inside = 0;
    hammer h = { pool, &inside, &max_inside, 300 };
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, hammer_thread, &h);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    assert_true(atomic_load(&max_inside) <= 3);
    assert_true(atomic_load(&max_inside) >= 2);   /* and it was really shared */
    assert_int_equal(ladder_lease_pool_in_use(pool), 0);
    ladder_lease_pool_close(pool);
}

static void test_names_and_try(void **state)
{
    (void)state;
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 2), 0);
    ladder_lease a, b, c;
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &a), 0);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &b), 0);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &c), 1);
    assert_string_equal(a.name, "cpu:0");
    assert_string_equal(b.name, "cpu:1");
    ladder_lease_pool_release(pool, &a);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &c), 0);
    assert_string_equal(c.name, "cpu:0");
    ladder_lease_pool_release(pool, &b);
    ladder_lease_pool_release(pool, &c);
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 0) , LADDER_EINVAL);
    ladder_lease_pool_close(pool);
}

/* Fairness: waiters are served in arrival order. */
typedef struct waiter {
    ladder_lease_pool *pool;
    int id;
    int *order;
    atomic_int *served;
} waiter;

static void *waiter_thread(void *arg)
{
    waiter *w = arg;
    ladder_lease lease;
    assert_int_equal(ladder_lease_pool_acquire(w->pool, &lease), 0);
    w->order[atomic_fetch_add(w->served, 1)] = w->id;
    ladder_lease_pool_release(w->pool, &lease);
    return NULL;
}

/* Devices are lent in the order given: the first device's slots first, and
 * a lease names its device and slot within it. */
static void test_several_devices(void **state)
{
    (void)state;
    const char *names[] = { "cpu", "aom" };
    int slots[] = { 1, 2 };
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init(&pool, names, slots, 2), 0);
    assert_int_equal(ladder_lease_pool_capacity(pool), 3);
    ladder_lease a, b, c, d;
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &a), 0);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &b), 0);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &c), 0);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &d), 1);
    assert_int_equal(a.device, 0);
    assert_string_equal(a.name, "cpu:0");
    assert_int_equal(b.device, 1);
    assert_int_equal(b.slot, 0);
    assert_string_equal(b.name, "aom:0");
    assert_string_equal(c.name, "aom:1");
    /* A freed slot of the first device goes out again before any other. */
    ladder_lease_pool_release(pool, &a);
    ladder_lease_pool_release(pool, &c);
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &d), 0);
    assert_string_equal(d.name, "cpu:0");
    assert_int_equal(ladder_lease_pool_in_use(pool), 2);
    ladder_lease_pool_release(pool, &b);
    ladder_lease_pool_release(pool, &d);
    assert_int_equal(ladder_lease_pool_in_use(pool), 0);
    ladder_lease_pool_close(pool);

    int bad[] = { 1, 0 };
    assert_int_equal(ladder_lease_pool_init(&pool, names, bad, 2), LADDER_EINVAL);
    const char *long_name[] = { "a-device-name-far-too-long-for-a-lease" };
    assert_int_equal(ladder_lease_pool_init(&pool, long_name, slots, 1), LADDER_EINVAL);
}

static void test_fifo_fairness(void **state)
{
    (void)state;
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 1), 0);
    ladder_lease held;
    assert_int_equal(ladder_lease_pool_acquire(pool, &held), 0);
    int order[4] = { -1, -1, -1, -1 };
    atomic_int served = 0;
    waiter w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (waiter){ pool, i, order, &served };
        pthread_create(&t[i], NULL, waiter_thread, &w[i]);
        /* Thread i takes its ticket before i+1 starts (a fixed sleep was
         * not enough on a loaded machine). */
        while (ladder_lease_pool_waiting(pool) < i + 1) {
            struct timespec ts = { 0, 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    assert_int_equal(ladder_lease_pool_waiting(pool), 4);
    ladder_lease_pool_release(pool, &held);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        assert_int_equal(order[i], i);
    ladder_lease_pool_close(pool);
}

static void test_abort(void **state)
{
    (void)state;
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 1), 0);
    ladder_lease a;
    assert_int_equal(ladder_lease_pool_acquire(pool, &a), 0);
    ladder_lease_pool_abort(pool);
    ladder_lease b;
    assert_int_equal(ladder_lease_pool_acquire(pool, &b), LADDER_ECANCELED);
    ladder_lease_pool_release(pool, &a);
    ladder_lease_pool_close(pool);
}

typedef struct masked_waiter {
    ladder_lease_pool *pool;
    uint64_t devices;
    const atomic_bool *give_up;
    int ret;
    ladder_lease lease;
} masked_waiter;

static void *masked_waiter_thread(void *arg)
{
    masked_waiter *w = arg;
    w->ret = ladder_lease_pool_acquire_from(w->pool, w->devices, w->give_up, &w->lease);
    return NULL;
}

static void wait_for_waiters(ladder_lease_pool *pool, int n)
{
    while (ladder_lease_pool_waiting(pool) < n) {
        struct timespec ts = { 0, 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* A waiter for one device does not hold up a later waiter for another:
 * freed slots go to the first waiter in line that accepts their device. */
static void test_waiters_by_device(void **state)
{
    (void)state;
    const char *names[] = { "cpu", "gpu" };
    int slots[] = { 1, 1 };
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init(&pool, names, slots, 2), 0);
    assert_int_equal(ladder_lease_pool_device_count(pool), 2);
    assert_string_equal(ladder_lease_pool_device_name(pool, 1), "gpu");
    assert_int_equal(ladder_lease_pool_device_slots(pool, 1), 1);
    assert_null(ladder_lease_pool_device_name(pool, 2));
    ladder_lease cpu, gpu;
    assert_int_equal(ladder_lease_pool_acquire_from(pool, 1u << 0, NULL, &cpu), 0);
    assert_string_equal(cpu.name, "cpu:0");
    assert_int_equal(ladder_lease_pool_acquire_from(pool, 1u << 1, NULL, &gpu), 0);
    assert_string_equal(gpu.name, "gpu:0");
    /* A mask naming no device of the pool is refused, not a wait forever. */
    ladder_lease none;
    assert_int_equal(ladder_lease_pool_acquire_from(pool, 1u << 5, NULL, &none), LADDER_EINVAL);

    masked_waiter first = { .pool = pool, .devices = 1u << 0 };   /* wants the CPU */
    masked_waiter second = { .pool = pool, .devices = 1u << 1 };  /* wants the GPU */
    pthread_t t1, t2;
    pthread_create(&t1, NULL, masked_waiter_thread, &first);
    wait_for_waiters(pool, 1);
    pthread_create(&t2, NULL, masked_waiter_thread, &second);
    wait_for_waiters(pool, 2);
    assert_int_equal(ladder_lease_pool_waiting_for(pool, 0), 1);
    assert_int_equal(ladder_lease_pool_waiting_for(pool, 1), 1);
    /* The GPU comes free: the second waiter gets it although the first,
     * which wants only the CPU, is ahead of it. */
    ladder_lease_pool_release(pool, &gpu);
    pthread_join(t2, NULL);
    assert_int_equal(second.ret, 0);
    assert_string_equal(second.lease.name, "gpu:0");
    assert_int_equal(ladder_lease_pool_waiting(pool), 1);
    ladder_lease_pool_release(pool, &cpu);
    pthread_join(t1, NULL);
    assert_int_equal(first.ret, 0);
    assert_string_equal(first.lease.name, "cpu:0");

    /* Both accept the GPU, the older one is served first; try_acquire does
     * not jump the line either. */
    masked_waiter any = { .pool = pool, .devices = 0 };
    masked_waiter gpu_only = { .pool = pool, .devices = 1u << 1 };
    pthread_create(&t1, NULL, masked_waiter_thread, &any);
    wait_for_waiters(pool, 1);
    pthread_create(&t2, NULL, masked_waiter_thread, &gpu_only);
    wait_for_waiters(pool, 2);
    ladder_lease_pool_release(pool, &second.lease);
    pthread_join(t1, NULL);
    assert_string_equal(any.lease.name, "gpu:0");
    assert_int_equal(ladder_lease_pool_waiting(pool), 1);
    ladder_lease extra;
    ladder_lease_pool_release(pool, &first.lease);      /* the CPU: gpu_only does not take it */
    assert_int_equal(ladder_lease_pool_try_acquire(pool, &extra), 1);
    ladder_lease_pool_release(pool, &any.lease);
    pthread_join(t2, NULL);
    assert_string_equal(gpu_only.lease.name, "gpu:0");
    ladder_lease_pool_release(pool, &gpu_only.lease);
    assert_int_equal(ladder_lease_pool_in_use(pool), 0);
    ladder_lease_pool_close(pool);
}

/* One session of several sharing a pool stops its own waiters (give_up +
 * wake) and leaves the others waiting. */
static void test_give_up_leaves_others_waiting(void **state)
{
    (void)state;
    ladder_lease_pool *pool;
    assert_int_equal(ladder_lease_pool_init_cpu(&pool, 1), 0);
    ladder_lease held;
    assert_int_equal(ladder_lease_pool_acquire(pool, &held), 0);
    atomic_bool mine_stops = false, theirs_stops = false;
    masked_waiter mine = { .pool = pool, .give_up = &mine_stops };
    masked_waiter theirs = { .pool = pool, .give_up = &theirs_stops };
    pthread_t t1, t2;
    pthread_create(&t1, NULL, masked_waiter_thread, &mine);
    wait_for_waiters(pool, 1);
    pthread_create(&t2, NULL, masked_waiter_thread, &theirs);
    wait_for_waiters(pool, 2);
    atomic_store(&mine_stops, true);
    ladder_lease_pool_wake(pool);
    pthread_join(t1, NULL);
    assert_int_equal(mine.ret, LADDER_ECANCELED);
    assert_int_equal(ladder_lease_pool_waiting(pool), 1);
    /* The one that gave up was ahead: the other still gets the slot. */
    ladder_lease_pool_release(pool, &held);
    pthread_join(t2, NULL);
    assert_int_equal(theirs.ret, 0);
    ladder_lease_pool_release(pool, &theirs.lease);
    ladder_lease_pool_close(pool);
}

static void test_pick_keeps_own_rung(void **state)
{
    (void)state;
    ladder_rung_load loads[3] = {
        { .queued = 1, .active = 0, .frames_left = 100, .cost_per_frame = 1 },
        { .queued = 2, .active = 0, .frames_left = 1000, .cost_per_frame = 5 },
        { .queued = 1, .active = 0, .frames_left = 10, .cost_per_frame = 1 },
    };
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 3, 2, true), 2);
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 3, 2, false), 2);
}

static void test_pick_unattended_rung_first(void **state)
{
    (void)state;
    /* Own rung drained; rung 1 has the most work but already a worker;
     * rung 2 has nobody: it comes first, helpers or not. */
    ladder_rung_load loads[3] = {
        { .queued = 0, .active = 0, .frames_left = 0, .cost_per_frame = 1 },
        { .queued = 3, .active = 1, .frames_left = 5000, .cost_per_frame = 4 },
        { .queued = 1, .active = 0, .frames_left = 300, .cost_per_frame = 1 },
    };
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 3, 0, true), 2);
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 3, 0, false), 2);
}

static void test_helper_picks_most_remaining_work(void **state)
{
    (void)state;
    /* Rung 1 has more frames left but cheap frames; rung 2 has fewer,
     * expensive frames: frames x cost makes rung 2 the bigger job. Rung 3
     * is first in the list and busy too, and must not win by position. */
    ladder_rung_load loads[4] = {
        { .queued = 0, .active = 0, .frames_left = 0, .cost_per_frame = 1 },
        { .queued = 2, .active = 1, .frames_left = 900, .cost_per_frame = 0.01 },
        { .queued = 2, .active = 1, .frames_left = 400, .cost_per_frame = 0.08 },
        { .queued = 1, .active = 1, .frames_left = 100, .cost_per_frame = 0.02 },
    };
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 4, 0, true), 2);
    /* Without helpers nobody joins a busy rung. */
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 4, 0, false), -1);
    /* A new worker (no rung yet) behaves the same. */
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 4, -1, true), 2);
}

static void test_pick_nothing_queued(void **state)
{
    (void)state;
    ladder_rung_load loads[2] = {
        { .queued = 0, .active = 1, .frames_left = 50, .cost_per_frame = 1 },
        { .queued = 0, .active = 0, .frames_left = 50, .cost_per_frame = 1 },
    };
    assert_int_equal(ladder_lease_pool_pick_rung(loads, 2, 0, true), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_over_lent),
        cmocka_unit_test(test_names_and_try),
        cmocka_unit_test(test_several_devices),
        cmocka_unit_test(test_fifo_fairness),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_waiters_by_device),
        cmocka_unit_test(test_give_up_leaves_others_waiting),
        cmocka_unit_test(test_pick_keeps_own_rung),
        cmocka_unit_test(test_pick_unattended_rung_first),
        cmocka_unit_test(test_helper_picks_most_remaining_work),
        cmocka_unit_test(test_pick_nothing_queued),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
