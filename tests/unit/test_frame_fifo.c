/*
 * The frame FIFO between the decode pump and a rung's scaler
 * (engine/frame_fifo.c): first in, first out; a full FIFO blocks the
 * pusher (the back-pressure on the decoder) and an empty one the popper;
 * abort wakes both and refuses everything after; it holds references,
 * and close drops the ones still queued.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <libavutil/buffer.h>
#include <libavutil/frame.h>

#include "ladder/error.h"
#include "frame_fifo.h"

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* A frame that shares buf: the FIFO's references show in its count. */
static AVFrame *frame_on(AVBufferRef *buf, int64_t pts)
{
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->buf[0] = av_buffer_ref(buf);
    assert_non_null(f->buf[0]);
    f->data[0] = f->buf[0]->data;
    f->pts = pts;
    return f;
}

static void test_init_refuses_no_capacity(void **state)
{
    (void)state;
    ladder_frame_fifo *fifo = NULL;
    assert_int_equal(ladder_frame_fifo_init(&fifo, 0), LADDER_EINVAL);
    assert_int_equal(ladder_frame_fifo_init(NULL, 4), LADDER_EINVAL);
    assert_null(fifo);
    ladder_frame_fifo_close(NULL);
}

static void test_first_in_first_out(void **state)
{
    (void)state;
    AVBufferRef *buf = av_buffer_alloc(16);
    assert_non_null(buf);
    ladder_frame_fifo *fifo;
    assert_int_equal(ladder_frame_fifo_init(&fifo, 3), 0);
    /* Around the ring several times: order and every field kept. */
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 3; i++) {
            ladder_fifo_item in = { .frame = frame_on(buf, round * 10 + i), .chunk = round, .starts_chunk = i == 0 };
            assert_int_equal(ladder_frame_fifo_push(fifo, in), 0);
        }
        for (int i = 0; i < 3; i++) {
            ladder_fifo_item out;
            assert_int_equal(ladder_frame_fifo_pop(fifo, &out), 0);
            assert_non_null(out.frame);
            assert_int_equal(out.frame->pts, round * 10 + i);
            assert_int_equal(out.chunk, round);
            assert_int_equal(out.starts_chunk, i == 0);
            av_frame_free(&out.frame);
        }
    }
    /* The end of the stream is an item without a frame. */
    assert_int_equal(ladder_frame_fifo_push(fifo, (ladder_fifo_item){ .frame = NULL, .chunk = 9 }), 0);
    ladder_fifo_item end;
    assert_int_equal(ladder_frame_fifo_pop(fifo, &end), 0);
    assert_null(end.frame);
    assert_int_equal(end.chunk, 9);
    ladder_frame_fifo_close(fifo);
    assert_int_equal(av_buffer_get_ref_count(buf), 1);
    av_buffer_unref(&buf);
}

typedef struct pusher {
    ladder_frame_fifo *fifo;
    ladder_fifo_item item;
    atomic_bool done;
    int ret;
} pusher;

static void *push_thread(void *arg)
{
    pusher *p = arg;
    p->ret = ladder_frame_fifo_push(p->fifo, p->item);
    atomic_store(&p->done, true);
    return NULL;
}

typedef struct popper {
    ladder_frame_fifo *fifo;
    ladder_fifo_item item;
    atomic_bool done;
    int ret;
} popper;

static void *pop_thread(void *arg)
{
    popper *p = arg;
    p->ret = ladder_frame_fifo_pop(p->fifo, &p->item);
    atomic_store(&p->done, true);
    return NULL;
}

static void test_full_fifo_blocks_the_pusher(void **state)
{
    (void)state;
    AVBufferRef *buf = av_buffer_alloc(16);
    ladder_frame_fifo *fifo;
    assert_int_equal(ladder_frame_fifo_init(&fifo, 2), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(ladder_frame_fifo_push(fifo, (ladder_fifo_item){ .frame = frame_on(buf, i) }), 0);
    pusher p = { .fifo = fifo, .item = { .frame = frame_on(buf, 2) } };
    atomic_init(&p.done, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, push_thread, &p), 0);
    sleep_ms(50);
    assert_false(atomic_load(&p.done));   /* capacity reached: it waits */
    ladder_fifo_item out;
    assert_int_equal(ladder_frame_fifo_pop(fifo, &out), 0);
    assert_int_equal(out.frame->pts, 0);
    av_frame_free(&out.frame);
    pthread_join(t, NULL);                /* a slot freed: it went in */
    assert_int_equal(p.ret, 0);
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(ladder_frame_fifo_pop(fifo, &out), 0);
        assert_int_equal(out.frame->pts, i);
        av_frame_free(&out.frame);
    }
    ladder_frame_fifo_close(fifo);
    av_buffer_unref(&buf);
}

static void test_empty_fifo_blocks_the_popper(void **state)
{
    (void)state;
    AVBufferRef *buf = av_buffer_alloc(16);
    ladder_frame_fifo *fifo;
    assert_int_equal(ladder_frame_fifo_init(&fifo, 4), 0);
    popper p = { .fifo = fifo };
    atomic_init(&p.done, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, pop_thread, &p), 0);
    sleep_ms(50);
    assert_false(atomic_load(&p.done));
    assert_int_equal(ladder_frame_fifo_push(fifo, (ladder_fifo_item){ .frame = frame_on(buf, 7), .chunk = 1 }), 0);
    pthread_join(t, NULL);
    assert_int_equal(p.ret, 0);
    assert_int_equal(p.item.frame->pts, 7);
    assert_int_equal(p.item.chunk, 1);
    av_frame_free(&p.item.frame);
    ladder_frame_fifo_close(fifo);
    av_buffer_unref(&buf);
}

static void test_abort_wakes_both_sides_and_refuses_after(void **state)
{
    (void)state;
    AVBufferRef *buf = av_buffer_alloc(16);
    /* A popper waiting on an empty FIFO. */
    ladder_frame_fifo *empty;
    assert_int_equal(ladder_frame_fifo_init(&empty, 1), 0);
    popper po = { .fifo = empty };
    atomic_init(&po.done, false);
    pthread_t t1;
    assert_int_equal(pthread_create(&t1, NULL, pop_thread, &po), 0);
    /* A pusher waiting on a full one. */
    ladder_frame_fifo *full;
    assert_int_equal(ladder_frame_fifo_init(&full, 1), 0);
    assert_int_equal(ladder_frame_fifo_push(full, (ladder_fifo_item){ .frame = frame_on(buf, 0) }), 0);
    pusher pu = { .fifo = full, .item = { .frame = frame_on(buf, 1) } };
    atomic_init(&pu.done, false);
    pthread_t t2;
    assert_int_equal(pthread_create(&t2, NULL, push_thread, &pu), 0);
    sleep_ms(50);
    assert_false(atomic_load(&po.done));
    assert_false(atomic_load(&pu.done));
    ladder_frame_fifo_abort(empty);
    ladder_frame_fifo_abort(full);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(po.ret, LADDER_ECANCELED);
    assert_int_equal(pu.ret, LADDER_ECANCELED);
    /* A refused push leaves the frame with the caller. */
    av_frame_free(&pu.item.frame);
    /* Aborted for good: what is queued is not handed out, nothing goes in. */
    ladder_fifo_item out;
    assert_int_equal(ladder_frame_fifo_pop(full, &out), LADDER_ECANCELED);
    AVFrame *late = frame_on(buf, 2);
    assert_int_equal(ladder_frame_fifo_push(empty, (ladder_fifo_item){ .frame = late }), LADDER_ECANCELED);
    av_frame_free(&late);
    ladder_frame_fifo_close(empty);
    ladder_frame_fifo_close(full);
    assert_int_equal(av_buffer_get_ref_count(buf), 1);
    av_buffer_unref(&buf);
}

static void test_close_drops_queued_references(void **state)
{
    (void)state;
    AVBufferRef *buf = av_buffer_alloc(16);
    ladder_frame_fifo *fifo;
    assert_int_equal(ladder_frame_fifo_init(&fifo, 4), 0);
    /* Wrapped once, so the queued items straddle the end of the ring. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(ladder_frame_fifo_push(fifo, (ladder_fifo_item){ .frame = frame_on(buf, i) }), 0);
    for (int i = 0; i < 3; i++) {
        ladder_fifo_item out;
        assert_int_equal(ladder_frame_fifo_pop(fifo, &out), 0);
        av_frame_free(&out.frame);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(ladder_frame_fifo_push(fifo, (ladder_fifo_item){ .frame = frame_on(buf, i) }), 0);
    assert_int_equal(av_buffer_get_ref_count(buf), 5);
    ladder_frame_fifo_close(fifo);
    assert_int_equal(av_buffer_get_ref_count(buf), 1);
    av_buffer_unref(&buf);
}

/* One pusher and one popper at full speed through a small FIFO: nothing
 * lost, nothing reordered. */
typedef struct stream {
    ladder_frame_fifo *fifo;
    AVBufferRef *buf;
    int n;
} stream;

static void *stream_pusher(void *arg)
{
    stream *st = arg;
    for (int i = 0; i < st->n; i++)
        if (ladder_frame_fifo_push(st->fifo, (ladder_fifo_item){ .frame = frame_on(st->buf, i), .chunk = i / 7 }))
            return NULL;
    ladder_frame_fifo_push(st->fifo, (ladder_fifo_item){ .frame = NULL });
    return NULL;
}

static void test_producer_and_consumer(void **state)
{
    (void)state;
    stream st = { .buf = av_buffer_alloc(16), .n = 5000 };
    assert_int_equal(ladder_frame_fifo_init(&st.fifo, 4), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stream_pusher, &st), 0);
    int next = 0;
    for (;;) {
        ladder_fifo_item out;
        assert_int_equal(ladder_frame_fifo_pop(st.fifo, &out), 0);
        if (!out.frame)
            break;
        assert_int_equal(out.frame->pts, next);
        assert_int_equal(out.chunk, next / 7);
        next++;
        av_frame_free(&out.frame);
    }
    pthread_join(t, NULL);
    assert_int_equal(next, st.n);
    ladder_frame_fifo_close(st.fifo);
    assert_int_equal(av_buffer_get_ref_count(st.buf), 1);
    av_buffer_unref(&st.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_refuses_no_capacity),
        cmocka_unit_test(test_first_in_first_out),
        cmocka_unit_test(test_full_fifo_blocks_the_pusher),
        cmocka_unit_test(test_empty_fifo_blocks_the_popper),
        cmocka_unit_test(test_abort_wakes_both_sides_and_refuses_after),
        cmocka_unit_test(test_close_drops_queued_references),
        cmocka_unit_test(test_producer_and_consumer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
