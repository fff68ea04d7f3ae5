/*
 * Raw-frame buffers recycled in huge-page slabs (engine/frame_pool.c):
 * the geometry a pool hands out, buffers reused once their frames are
 * freed (its memory never grows past what was in use at once, and an
 * empty slab leaves for any pool), frames
 * that outlive the pool, and the decoder's get_buffer2 path (attach).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>

#include "ladder/error.h"
#include "frame_pool.h"

static void test_init_refuses_bad_geometry(void **state)
{
    (void)state;
    ladder_frame_pool *pool = NULL;
    assert_int_equal(ladder_frame_pool_init(&pool, 0, 16, AV_PIX_FMT_YUV420P), LADDER_EINVAL);
    assert_int_equal(ladder_frame_pool_init(&pool, 16, -1, AV_PIX_FMT_YUV420P), LADDER_EINVAL);
    assert_int_equal(ladder_frame_pool_init(&pool, 16, 16, AV_PIX_FMT_NONE), LADDER_EINVAL);
    assert_int_equal(ladder_frame_pool_init(NULL, 16, 16, AV_PIX_FMT_YUV420P), LADDER_EINVAL);
    assert_null(pool);
    /* Nothing allocated, nothing to count; close of none is a no-op. */
    assert_int_equal(ladder_frame_pool_bytes(NULL), 0);
    ladder_frame_pool_close(NULL);
}

/* Every plane of f is inside its one buffer, lines 64-byte aligned and
 * padded, and writable to the end of its last line. */
static void check_frame(const AVFrame *f, int width, int height, enum AVPixelFormat fmt)
{
    assert_int_equal(f->width, width);
    assert_int_equal(f->height, height);
    assert_int_equal(f->format, fmt);
    assert_non_null(f->buf[0]);
    assert_null(f->buf[1]);
    const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(fmt);
    int min_lines[4] = { 0 };
    assert_true(av_image_fill_linesizes(min_lines, fmt, width) >= 0);
    const uint8_t *start = f->buf[0]->data, *end = start + f->buf[0]->size;
    for (int p = 0; p < 3; p++) {
        assert_non_null(f->data[p]);
        assert_int_equal(f->linesize[p] % 64, 0);
        assert_true(f->linesize[p] >= min_lines[p]);
        assert_int_equal((uintptr_t)f->data[p] % 64, 0);
        int h = p ? AV_CEIL_RSHIFT(height, desc->log2_chroma_h) : height;
        assert_true(f->data[p] >= start);
        assert_true(f->data[p] + (size_t)f->linesize[p] * (size_t)h <= end);
        memset(f->data[p], 0x5a, (size_t)f->linesize[p] * (size_t)h);
    }
}

static void test_geometry(void **state)
{
    (void)state;
    const struct { int w, h; enum AVPixelFormat fmt; } cases[] = {
        { 1920, 1080, AV_PIX_FMT_YUV420P },
        { 426, 240, AV_PIX_FMT_YUV420P },    /* width not a multiple of the alignment */
        { 1280, 720, AV_PIX_FMT_YUV420P10 },
        { 33, 17, AV_PIX_FMT_YUV422P },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ladder_frame_pool *pool;
        assert_int_equal(ladder_frame_pool_init(&pool, cases[i].w, cases[i].h, cases[i].fmt), 0);
        int w, h, fmt;
        ladder_frame_pool_geometry(pool, &w, &h, &fmt);
        assert_int_equal(w, cases[i].w);
        assert_int_equal(h, cases[i].h);
        assert_int_equal(fmt, cases[i].fmt);
        AVFrame *f = ladder_frame_pool_get(pool);
        assert_non_null(f);
        check_frame(f, cases[i].w, cases[i].h, cases[i].fmt);
        av_frame_free(&f);
        ladder_frame_pool_close(pool);
    }
}

static void test_buffers_are_reused(void **state)
{
    (void)state;
    ladder_frame_pool *pool;
    assert_int_equal(ladder_frame_pool_init(&pool, 320, 180, AV_PIX_FMT_YUV420P), 0);
    assert_int_equal(ladder_frame_pool_bytes(pool), 0);   /* nothing until asked */
    enum { N = 6 };
    AVFrame *frames[N];
    uint8_t *seen[N];
    for (int i = 0; i < N; i++) {
        frames[i] = ladder_frame_pool_get(pool);
        assert_non_null(frames[i]);
        seen[i] = frames[i]->data[0];
        for (int j = 0; j < i; j++)
            assert_ptr_not_equal(seen[i], seen[j]);   /* in use at once: distinct */
    }
    size_t bytes = ladder_frame_pool_bytes(pool);
    assert_true(bytes >= (size_t)N * 320 * 180 * 3 / 2);
    assert_int_equal(bytes % ((size_t)2 << 20), 0);   /* whole huge pages */
    for (int i = 0; i < N; i++)
        av_frame_free(&frames[i]);
    /* Freed buffers come back: the pool does not grow for the same use. */
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < N; i++) {
            frames[i] = ladder_frame_pool_get(pool);
            assert_non_null(frames[i]);
            bool known = false;
            for (int j = 0; j < N; j++)
                known |= frames[i]->data[0] == seen[j];
            assert_true(known);
        }
        for (int i = 0; i < N; i++)
            av_frame_free(&frames[i]);
    }
    assert_int_equal(ladder_frame_pool_bytes(pool), bytes);
    ladder_frame_pool_close(pool);
}

static void test_memory_follows_the_peak_in_use(void **state)
{
    (void)state;
    /* 1080p: a few pictures per slab, so the peak shows in whole slabs. */
    ladder_frame_pool *pool;
    assert_int_equal(ladder_frame_pool_init(&pool, 1920, 1080, AV_PIX_FMT_YUV420P), 0);
    enum { PEAK = 40 };
    AVFrame *frames[PEAK];
    for (int i = 0; i < PEAK; i++)
        assert_non_null(frames[i] = ladder_frame_pool_get(pool));
    size_t peak = ladder_frame_pool_bytes(pool);
    assert_true(peak >= (size_t)PEAK * 1920 * 1080 * 3 / 2);
    /* Not much more than the pictures themselves (slab rounding only). */
    assert_true(peak <= (size_t)PEAK * 1920 * 1088 * 3 / 2 + ((size_t)PEAK / 8 + 1) * ((size_t)2 << 20));
    for (int i = 0; i < PEAK; i++)
        av_frame_free(&frames[i]);
    /* Less in use afterwards: nothing new. */
    for (int round = 0; round < 5; round++) {
        for (int i = 0; i < PEAK / 2; i++)
            assert_non_null(frames[i] = ladder_frame_pool_get(pool));
        for (int i = 0; i < PEAK / 2; i++)
            av_frame_free(&frames[i]);
    }
    assert_int_equal(ladder_frame_pool_bytes(pool), peak);
    ladder_frame_pool_close(pool);
}

/* A slab whose pictures are all back leaves its pool: the pool holds what
 * is in use, not what once was (pools of different rungs peak at
 * different moments). */
static void test_empty_slabs_leave_the_pool(void **state)
{
    (void)state;
    ladder_frame_pool *pool;
    assert_int_equal(ladder_frame_pool_init(&pool, 1920, 1080, AV_PIX_FMT_YUV420P), 0);
    enum { PEAK = 40 };
    AVFrame *frames[PEAK];
    assert_non_null(frames[0] = ladder_frame_pool_get(pool));
    size_t slab = ladder_frame_pool_held_bytes(pool);   /* one slab */
    assert_int_equal(slab % ((size_t)2 << 20), 0);
    assert_true(slab >= (size_t)2 * 1920 * 1080 * 3 / 2);   /* room for a second picture */
    for (int i = 1; i < PEAK; i++)
        assert_non_null(frames[i] = ladder_frame_pool_get(pool));
    size_t peak = ladder_frame_pool_held_bytes(pool);
    assert_true(peak >= (size_t)PEAK * 1920 * 1080 * 3 / 2);
    assert_int_equal(ladder_frame_pool_bytes(pool), peak);
    /* Two pictures stay in use (a decoder's references, a chunk's tail):
     * only their slab stays. */
    for (int i = 2; i < PEAK; i++)
        av_frame_free(&frames[i]);
    assert_int_equal(ladder_frame_pool_held_bytes(pool), slab);
    assert_int_equal(ladder_frame_pool_bytes(pool), peak);   /* the peak is kept */
    /* The next picture goes where pictures are in use: nothing new. */
    assert_non_null(frames[2] = ladder_frame_pool_get(pool));
    assert_int_equal(ladder_frame_pool_held_bytes(pool), slab);
    for (int i = 0; i < 3; i++) {
        memset(frames[i]->data[0], i, (size_t)frames[i]->linesize[0] * 1080);
        for (int j = 0; j < i; j++)
            assert_int_equal(frames[j]->data[0][0], j);   /* distinct pictures */
    }
    for (int i = 0; i < 3; i++)
        av_frame_free(&frames[i]);
    assert_int_equal(ladder_frame_pool_held_bytes(pool), 0);
    ladder_frame_pool_close(pool);
}

/* A slab one pool gave back serves another pool, of another picture size:
 * the memory is reused, not mapped anew (and not zeroed again). */
static void test_slabs_move_between_pools(void **state)
{
    (void)state;
    ladder_frame_pool *big, *small;
    assert_int_equal(ladder_frame_pool_init(&big, 1920, 1080, AV_PIX_FMT_YUV420P), 0);
    assert_int_equal(ladder_frame_pool_init(&small, 1280, 720, AV_PIX_FMT_YUV420P), 0);
    enum { N = 8 };
    AVFrame *frames[N];
    const uint8_t *lo = NULL, *hi = NULL;
    for (int i = 0; i < N; i++) {
        assert_non_null(frames[i] = ladder_frame_pool_get(big));
        const uint8_t *d = frames[i]->buf[0]->data;
        lo = !lo || d < lo ? d : lo;
        hi = !hi || d > hi ? d : hi;
    }
    size_t held = ladder_frame_pool_held_bytes(big);
    for (int i = 0; i < N; i++)
        av_frame_free(&frames[i]);
    assert_int_equal(ladder_frame_pool_held_bytes(big), 0);
    /* As many 720p pictures as fit in what 1080p gave back: all in it. */
    int fit = 0;
    for (int i = 0; i < N; i++) {
        assert_non_null(frames[i] = ladder_frame_pool_get(small));
        const uint8_t *d = frames[i]->buf[0]->data;
        fit += d >= lo && d <= hi + 1920 * 1088 * 3 / 2;
        memset(frames[i]->data[0], 7, (size_t)frames[i]->linesize[0] * 720);
    }
    assert_int_equal(fit, N);
    assert_true(ladder_frame_pool_held_bytes(small) <= held);
    for (int i = 0; i < N; i++)
        av_frame_free(&frames[i]);
    ladder_frame_pool_close(small);
    ladder_frame_pool_close(big);
}

static void test_frames_outlive_the_pool(void **state)
{
    (void)state;
    ladder_frame_pool *pool;
    assert_int_equal(ladder_frame_pool_init(&pool, 640, 360, AV_PIX_FMT_YUV420P), 0);
    AVFrame *a = ladder_frame_pool_get(pool);
    AVFrame *b = ladder_frame_pool_get(pool);
    assert_non_null(a);
    assert_non_null(b);
    /* A second reference to a, as a rung's chunk and a FIFO hold one. */
    AVFrame *a2 = av_frame_clone(a);
    assert_non_null(a2);
    ladder_frame_pool_close(pool);
    /* Still theirs: written and read after close (the sanitizer run
     * checks the slab is neither freed early nor leaked). */
    memset(a->data[0], 1, (size_t)a->linesize[0] * 360);
    memset(b->data[0], 2, (size_t)b->linesize[0] * 360);
    av_frame_free(&a);
    assert_int_equal(a2->data[0][0], 1);
    assert_int_equal(b->data[0][0], 2);
    av_frame_free(&b);
    av_frame_free(&a2);
}

static void test_attach_as_a_decoder_does(void **state)
{
    (void)state;
    ladder_frame_pool *pool;
    assert_int_equal(ladder_frame_pool_init(&pool, 1280, 720, AV_PIX_FMT_YUV420P), 0);
    AVFrame *f = av_frame_alloc();
    assert_non_null(f);
    f->width = 1280;
    f->height = 720;
    f->format = AV_PIX_FMT_YUV420P;
    assert_int_equal(ladder_frame_pool_attach(pool, f), 0);
    assert_ptr_equal(f->extended_data, f->data);
    check_frame(f, 1280, 720, AV_PIX_FMT_YUV420P);
    av_frame_unref(f);
    /* The same frame again, as the decoder's next picture: the buffer it
     * gave back. */
    f->width = 1280;
    f->height = 720;
    f->format = AV_PIX_FMT_YUV420P;
    size_t bytes = ladder_frame_pool_bytes(pool);
    assert_int_equal(ladder_frame_pool_attach(pool, f), 0);
    assert_int_equal(ladder_frame_pool_bytes(pool), bytes);
    av_frame_free(&f);
    ladder_frame_pool_close(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_refuses_bad_geometry),
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_buffers_are_reused),
        cmocka_unit_test(test_memory_follows_the_peak_in_use),
        cmocka_unit_test(test_empty_slabs_leave_the_pool),
        cmocka_unit_test(test_slabs_move_between_pools),
        cmocka_unit_test(test_frames_outlive_the_pool),
        cmocka_unit_test(test_attach_as_a_decoder_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
