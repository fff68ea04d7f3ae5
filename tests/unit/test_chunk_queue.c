/* Chunk queue: memory bound and back-pressure, FIFO per rung, scheduling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "chunk_queue.h"
#include "ladder/error.h"

static ladder_chunk *make_chunk(int rung, int index, size_t bytes, int frames)
{
    ladder_chunk *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->rung = rung;
    c->index = index;
    c->bytes = bytes;
    c->nb_frames = frames;
    return c;
}

static void free_chunk(ladder_chunk *c)
{
    free(c);
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

typedef struct pusher {
    ladder_chunk_queue *q;
    ladder_chunk *chunk;
    atomic_int done;
    int ret;
} pusher;

static void *push_thread(void *arg)
{
    pusher *p = arg;
    p->ret = ladder_chunk_queue_push(p->q, p->chunk);
    atomic_store(&p->done, 1);
    return NULL;
}

static void test_backpressure(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 1, 100, 0, NULL, NULL), 0);
    ladder_chunk *a = make_chunk(0, 0, 60, 10);
    assert_int_equal(ladder_chunk_queue_push(q, a), 0);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 60);

    /* 60 + 60 > 100: the second push must wait until the first is done. */
    pusher p = { .q = q, .chunk = make_chunk(0, 1, 60, 10) };
    pthread_t t;
    pthread_create(&t, NULL, push_thread, &p);
    sleep_ms(100);
    assert_int_equal(atomic_load(&p.done), 0);

    int rung = -1;
    ladder_chunk *got = NULL;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &got), 0);
    assert_ptr_equal(got, a);
    sleep_ms(50);
    /* Taken is not done: the frames still exist while they are encoded. */
    assert_int_equal(atomic_load(&p.done), 0);
    ladder_chunk_queue_done(q, got, 0.1);
    free(got);
    pthread_join(t, NULL);
    assert_int_equal(p.ret, 0);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 60);
    assert_true(ladder_chunk_queue_peak_bytes(q) <= 100);

    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &got), 0);
    assert_ptr_equal(got, p.chunk);
    ladder_chunk_queue_done(q, got, 0.1);
    free(got);
    ladder_chunk_queue_close(q);
}

typedef struct reserver {
    ladder_chunk_queue *q;
    ladder_chunk *chunk;
    size_t bytes;
    atomic_int done;
    int ret;
} reserver;

static void *reserve_thread(void *arg)
{
    reserver *r = arg;
    r->ret = ladder_chunk_queue_reserve(r->q, r->chunk, r->bytes);
    atomic_store(&r->done, 1);
    return NULL;
}

/* Frames of a chunk still being built count against the budget, and a
 * reservation waits for workers to release pushed chunks. */
static void test_reserve_counts_chunks_being_built(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 2, 100, 0, NULL, NULL), 0);
    ladder_chunk *a = make_chunk(0, 0, 0, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(ladder_chunk_queue_reserve(q, a, 10), 0);
    assert_int_equal(a->bytes, 60);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 60);
    /* Fully reserved: the push takes nothing more and does not wait. */
    assert_int_equal(ladder_chunk_queue_push(q, a), 0);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 60);

    ladder_chunk *b = make_chunk(1, 0, 0, 5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(ladder_chunk_queue_reserve(q, b, 10), 0);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 100);
    /* Full, and a pushed chunk holds memory: the next frame waits for it. */
    reserver r = { .q = q, .chunk = b, .bytes = 10 };
    pthread_t t;
    pthread_create(&t, NULL, reserve_thread, &r);
    sleep_ms(100);
    assert_int_equal(atomic_load(&r.done), 0);

    int rung = -1;
    ladder_chunk *got = NULL;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &got), 0);
    assert_ptr_equal(got, a);
    ladder_chunk_queue_done(q, got, 0.1);
    free(got);
    pthread_join(t, NULL);
    assert_int_equal(r.ret, 0);
    assert_int_equal(b->bytes, 50);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 50);
    assert_true(ladder_chunk_queue_peak_bytes(q) <= 100);

    /* A chunk that will never be pushed gives its bytes back. */
    ladder_chunk_queue_unreserve(q, b);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 0);
    free(b);
    ladder_chunk_queue_close(q);
}

/* Only chunks under construction hold the budget: waiting would deadlock
 * (their scalers all wait on the same decoder), so reservations go on. */
static void test_reserve_never_waits_on_chunks_being_built(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 2, 100, 0, NULL, NULL), 0);
    ladder_chunk *a = make_chunk(0, 0, 0, 8);
    ladder_chunk *b = make_chunk(1, 0, 0, 8);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(ladder_chunk_queue_reserve(q, a, 10), 0);
        assert_int_equal(ladder_chunk_queue_reserve(q, b, 10), 0);
    }
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 160);
    assert_int_equal(ladder_chunk_queue_push(q, a), 0);
    assert_int_equal(ladder_chunk_queue_push(q, b), 0);
    int rung = -1;
    ladder_chunk *got = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &got), 0);
        ladder_chunk_queue_done(q, got, 0.1);
        free(got);
    }
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 0);
    ladder_chunk_queue_close(q);
}

static void test_depth_limit_per_rung(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 2, 1 << 20, 2, NULL, NULL), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 0, 10, 1)), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 1, 10, 1)), 0);
    /* Another rung is not affected by rung 0 being full. */
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(1, 0, 10, 1)), 0);
    pusher p = { .q = q, .chunk = make_chunk(0, 2, 10, 1) };
    pthread_t t;
    pthread_create(&t, NULL, push_thread, &p);
    sleep_ms(100);
    assert_int_equal(atomic_load(&p.done), 0);   /* rung 0 holds 2 untaken */
    int rung = 0;
    ladder_chunk *c;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &c), 0);
    assert_int_equal(c->rung, 0);
    /* Taken (not yet done) frees a place in the depth limit. */
    pthread_join(t, NULL);
    assert_int_equal(p.ret, 0);
    ladder_chunk_queue_done(q, c, 0);
    free(c);
    ladder_chunk_queue_drain(q, free_chunk);
    ladder_chunk_queue_close(q);
}

static void test_oversized_chunk_progresses(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 1, 100, 0, NULL, NULL), 0);
    /* Larger than the whole budget but nothing else held: must not block. */
    ladder_chunk *big = make_chunk(0, 0, 500, 10);
    assert_int_equal(ladder_chunk_queue_push(q, big), 0);
    int rung = -1;
    ladder_chunk *got;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &got), 0);
    ladder_chunk_queue_done(q, got, 0);
    free(got);
    ladder_chunk_queue_close(q);
}

static void test_fifo_per_rung_and_drain(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 2, 1 << 20, 0, NULL, NULL), 0);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, i, 10, 1)), 0);
        assert_int_equal(ladder_chunk_queue_push(q, make_chunk(1, i, 10, 1)), 0);
    }
    ladder_chunk_queue_finish_rung(q, 0);
    ladder_chunk_queue_finish_rung(q, 1);
    int next[2] = { 0, 0 };
    int rung = 0;
    for (int n = 0; n < 10; n++) {
        ladder_chunk *c = NULL;
        assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &c), 0);
        assert_non_null(c);
        assert_int_equal(c->index, next[c->rung]);
        next[c->rung]++;
        ladder_chunk_queue_done(q, c, 0.01);
        free(c);
    }
    ladder_chunk *c = (ladder_chunk *)1;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &c), 0);
    assert_null(c);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 0);
    ladder_chunk_queue_close(q);
}

static void test_requeue_goes_first(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 1, 1 << 20, 0, NULL, NULL), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 0, 10, 1)), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 1, 10, 1)), 0);
    int rung = -1;
    ladder_chunk *c;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &c), 0);
    assert_int_equal(c->index, 0);
    ladder_chunk_queue_requeue(q, c);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 20);
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &c), 0);
    assert_int_equal(c->index, 0);
    ladder_chunk_queue_done(q, c, 0);
    free(c);
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &c), 0);
    assert_int_equal(c->index, 1);
    ladder_chunk_queue_done(q, c, 0);
    free(c);
    ladder_chunk_queue_close(q);
}

typedef struct popper {
    ladder_chunk_queue *q;
    bool helpers;
    int ret;
    ladder_chunk *_Atomic got;
} popper;

static void *pop_thread(void *arg)
{
    popper *p = arg;
    int rung = -1;
    ladder_chunk *c = NULL;
    p->ret = ladder_chunk_queue_pop(p->q, &rung, p->helpers, &c);
    atomic_store(&p->got, c);
    return NULL;
}

static void test_abort_wakes_waiters(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 1, 10, 0, NULL, NULL), 0);
    popper pp = { .q = q, .helpers = true };
    pthread_t t;
    pthread_create(&t, NULL, pop_thread, &pp);
    sleep_ms(50);
    ladder_chunk_queue_abort(q);
    pthread_join(t, NULL);
    assert_int_equal(pp.ret, LADDER_ECANCELED);
    ladder_chunk *c = make_chunk(0, 0, 5, 1);
    assert_int_equal(ladder_chunk_queue_push(q, c), LADDER_ECANCELED);
    free(c);
    ladder_chunk_queue_close(q);
}

static void test_no_helpers_one_worker_per_rung(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 2, 1 << 20, 0, NULL, NULL), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 0, 10, 1)), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 1, 10, 1)), 0);
    int rung_a = -1;
    ladder_chunk *a;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung_a, false, &a), 0);
    assert_false(a->by_helper);
    /* Rung 0 is busy and helpers are off: a second worker must wait even
     * though rung 0 has a queued chunk; it gets rung 1's chunk instead. */
    popper pp = { .q = q, .helpers = false };
    pthread_t t;
    pthread_create(&t, NULL, pop_thread, &pp);
    sleep_ms(100);
    assert_null(atomic_load(&pp.got));
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(1, 0, 10, 1)), 0);
    pthread_join(t, NULL);
    ladder_chunk *b = atomic_load(&pp.got);
    assert_non_null(b);
    assert_int_equal(b->rung, 1);
    assert_false(b->by_helper);
    ladder_chunk_queue_done(q, b, 0);
    free(b);
    ladder_chunk_queue_done(q, a, 0);
    free(a);
    /* Rung 0's second chunk is still queued: drain frees it. */
    ladder_chunk_queue_drain(q, free_chunk);
    assert_int_equal(ladder_chunk_queue_bytes_held(q), 0);
    ladder_chunk_queue_close(q);
}

static void test_helper_flag(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    assert_int_equal(ladder_chunk_queue_init(&q, 1, 1 << 20, 0, NULL, NULL), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 0, 10, 1)), 0);
    assert_int_equal(ladder_chunk_queue_push(q, make_chunk(0, 1, 10, 1)), 0);
    int r1 = -1, r2 = -1;
    ladder_chunk *a, *b;
    assert_int_equal(ladder_chunk_queue_pop(q, &r1, true, &a), 0);
    assert_false(a->by_helper);
    assert_int_equal(ladder_chunk_queue_pop(q, &r2, true, &b), 0);
    assert_true(b->by_helper);     /* joined a rung someone was encoding */
    ladder_chunk_queue_done(q, a, 0);
    ladder_chunk_queue_done(q, b, 0);
    free(a);
    free(b);
    ladder_chunk_queue_close(q);
}

/* A worker restricted to some rungs never gets another rung's chunk, even
 * as a helper with that rung holding all the work, and is let go once its
 * own rungs are drained while others still have work. */
static void test_pop_for_eligible_rungs(void **state)
{
    (void)state;
    ladder_chunk_queue *q;
    int64_t frames[2] = { 1000, 10 };
    assert_int_equal(ladder_chunk_queue_init(&q, 2, 1000, 0, frames, NULL), 0);
    ladder_chunk *big = make_chunk(0, 0, 10, 10);
    ladder_chunk *small = make_chunk(1, 0, 10, 10);
    assert_int_equal(ladder_chunk_queue_push(q, big), 0);
    assert_int_equal(ladder_chunk_queue_push(q, small), 0);
    ladder_chunk_queue_finish_rung(q, 1);

    int rung = -1;
    ladder_chunk *got = NULL;
    /* Rung 0 has the most work, but only rung 1 is eligible. */
    assert_int_equal(ladder_chunk_queue_pop_for(q, &rung, true, UINT32_C(1) << 1, &got), 0);
    assert_ptr_equal(got, small);
    assert_int_equal(rung, 1);
    ladder_chunk_queue_done(q, got, 0.1);
    free(got);
    /* Rung 1 finished and drained: the restricted worker is done, although
     * rung 0 still has a queued chunk and is not finished. */
    assert_int_equal(ladder_chunk_queue_pop_for(q, &rung, true, UINT32_C(1) << 1, &got), 0);
    assert_null(got);
    /* An unrestricted worker still gets rung 0's chunk. */
    rung = -1;
    assert_int_equal(ladder_chunk_queue_pop(q, &rung, true, &got), 0);
    assert_ptr_equal(got, big);
    ladder_chunk_queue_done(q, got, 0.1);
    free(got);
    ladder_chunk_queue_close(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_reserve_counts_chunks_being_built),
        cmocka_unit_test(test_reserve_never_waits_on_chunks_being_built),
        cmocka_unit_test(test_depth_limit_per_rung),
        cmocka_unit_test(test_oversized_chunk_progresses),
        cmocka_unit_test(test_fifo_per_rung_and_drain),
        cmocka_unit_test(test_requeue_goes_first),
        cmocka_unit_test(test_abort_wakes_waiters),
        cmocka_unit_test(test_no_helpers_one_worker_per_rung),
        cmocka_unit_test(test_helper_flag),
        cmocka_unit_test(test_pop_for_eligible_rungs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
