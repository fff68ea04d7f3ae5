/*
 * The finalizer (engine/finalizer.c): chunks submitted in any order, from
 * any thread, are written in index order as soon as they are contiguous;
 * a resumed rung starts after its kept segments; a write that fails stops
 * the writing and is reported; what is still pending is freed at close.
 * Driven through a sink of the test's own (no session, no muxer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/packet.h>

#include "ladder/error.h"
#include "finalizer.h"

#define MAX_WRITES 512

typedef struct fake_track {
    int written[MAX_WRITES];      /* chunk indexes, in the order written */
    int nb_written;
    int nb_recorded;              /* written() calls */
    int fail_at;                  /* the chunk whose write fails; -1 none */
    int fail_written_at;          /* the chunk whose journal line fails; -1 none */
    int errors;                   /* broken promises (the sink runs on any thread: no asserts there) */
    rung_finalize *fin;
} fake_track;

static int fake_write(void *opaque, const encoded_chunk *ec, ladder_cmaf_segment *seg)
{
    fake_track *t = opaque;
    if (ec->index == t->fail_at)
        return LADDER_EOUTPUT;
    if (t->nb_written == MAX_WRITES) {
        t->errors++;
        return LADDER_EINTERNAL;
    }
    t->written[t->nb_written++] = ec->index;
    memset(seg, 0, sizeof(*seg));
    seg->number = ec->index + 1;
    snprintf(seg->uri, sizeof(seg->uri), "seg_%05d.m4s", seg->number);
    seg->bytes = (size_t)ec->bytes;
    return 0;
}

static int fake_written(void *opaque, const encoded_chunk *ec, const ladder_cmaf_segment *seg)
{
    fake_track *t = opaque;
    /* Called once the segment is the list's last. */
    if (seg != &t->fin->segments[t->fin->nb_segments - 1] || seg->number != ec->index + 1)
        t->errors++;
    t->nb_recorded++;
    return ec->index == t->fail_written_at ? LADDER_EOUTPUT : 0;
}

/* A chunk of two packets (the finalizer frees them); NULL when out of memory. */
static encoded_chunk *make_chunk(int index)
{
    encoded_chunk *ec = calloc(1, sizeof(*ec));
    if (!ec)
        return NULL;
    ec->index = index;
    ec->packets = calloc(2, sizeof(*ec->packets));
    for (int i = 0; ec->packets && i < 2; i++) {
        ec->packets[i] = av_packet_alloc();
        if (!ec->packets[i] || av_new_packet(ec->packets[i], 100) < 0) {
            av_packet_free(&ec->packets[i]);
            break;
        }
        ec->nb_packets++;
    }
    if (ec->nb_packets != 2) {
        encoded_chunk_free(ec);
        return NULL;
    }
    ec->bytes = 200 + index;
    snprintf(ec->device, sizeof(ec->device), "cpu");
    return ec;
}

static encoded_chunk *chunk(int index)
{
    encoded_chunk *ec = make_chunk(index);
    assert_non_null(ec);
    return ec;
}

static void setup(rung_finalize *fin, fake_track *t, finalizer_sink *sink)
{
    finalizer_init(fin);
    *t = (fake_track){ .fail_at = -1, .fail_written_at = -1, .fin = fin };
    *sink = (finalizer_sink){ fake_write, fake_written, t };
}

static void check_order(const rung_finalize *fin, const fake_track *t, int from, int n)
{
    assert_int_equal(t->errors, 0);
    assert_int_equal(t->nb_written, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(t->written[i], from + i);
    assert_int_equal(fin->nb_segments, from + n);
    for (int i = 0; i < fin->nb_segments; i++)
        assert_int_equal(fin->segments[i].number, i + 1);
    assert_int_equal(fin->next_chunk, from + n);
}

static void test_in_order_chunks_are_written_at_once(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(finalizer_submit(&fin, &sink, chunk(i)), 0);
        assert_int_equal(t.nb_written, i + 1);
        assert_null(fin.pending);
    }
    check_order(&fin, &t, 0, 3);
    assert_int_equal(t.nb_recorded, 3);
    assert_int_equal(fin.segments[2].bytes, 202);
    finalizer_close(&fin);
}

static void test_out_of_order_chunks_wait_for_their_turn(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    /* 3, 1, 4 arrive first: nothing is contiguous yet. */
    const int early[] = { 3, 1, 4 };
    for (int i = 0; i < 3; i++)
        assert_int_equal(finalizer_submit(&fin, &sink, chunk(early[i])), 0);
    assert_int_equal(t.nb_written, 0);
    /* Parked sorted. */
    assert_int_equal(fin.pending->index, 1);
    assert_int_equal(fin.pending->next->index, 3);
    assert_int_equal(fin.pending->next->next->index, 4);
    /* 0 writes 0 and 1; 3 and 4 wait for 2. */
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(0)), 0);
    check_order(&fin, &t, 0, 2);
    assert_int_equal(fin.pending->index, 3);
    /* 2 writes the rest. */
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(2)), 0);
    check_order(&fin, &t, 0, 5);
    assert_null(fin.pending);
    finalizer_close(&fin);
}

static void test_resumed_rung_starts_after_its_kept_segments(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    ladder_cmaf_segment *kept = calloc(3, sizeof(*kept));
    assert_non_null(kept);
    for (int i = 0; i < 3; i++)
        kept[i].number = i + 1;
    finalizer_keep(&fin, kept, 3);
    assert_int_equal(fin.next_chunk, 3);
    /* Chunk 4 waits for 3; the list grows after the kept segments. */
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(4)), 0);
    assert_int_equal(t.nb_written, 0);
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(3)), 0);
    assert_int_equal(t.nb_written, 2);
    assert_int_equal(t.written[0], 3);
    assert_int_equal(t.written[1], 4);
    assert_int_equal(fin.nb_segments, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(fin.segments[i].number, i + 1);
    finalizer_close(&fin);
}

static void test_failed_write_stops_the_writing(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    t.fail_at = 1;
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(2)), 0);
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(1)), 0);
    /* 0 is written, 1 fails: the error comes back to 0's submitter, and
     * 2 stays pending (freed at close). */
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(0)), LADDER_EOUTPUT);
    assert_int_equal(t.nb_written, 1);
    assert_int_equal(fin.nb_segments, 1);
    assert_int_equal(t.nb_recorded, 1);
    assert_non_null(fin.pending);
    assert_int_equal(fin.pending->index, 2);
    finalizer_close(&fin);
}

static void test_failed_journal_line_is_reported(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    t.fail_written_at = 0;
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(1)), 0);
    /* The segment is in place (and listed), its journal line is not:
     * the run fails there. */
    assert_int_equal(finalizer_submit(&fin, &sink, chunk(0)), LADDER_EOUTPUT);
    assert_int_equal(fin.nb_segments, 1);
    assert_int_equal(t.nb_written, 1);
    finalizer_close(&fin);
}

typedef struct submitter {
    rung_finalize *fin;
    const finalizer_sink *sink;
    int first, step, n;
    int failures;
} submitter;

static void *submit_thread(void *arg)
{
    submitter *s = arg;
    /* Backwards: every chunk but the first of each thread waits. */
    for (int i = s->n - 1; i >= 0; i--) {
        encoded_chunk *ec = make_chunk(s->first + i * s->step);
        if (!ec || finalizer_submit(s->fin, s->sink, ec))
            s->failures++;
    }
    return NULL;
}

static void test_workers_submit_concurrently(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    enum { THREADS = 4, EACH = 100 };
    pthread_t threads[THREADS];
    submitter subs[THREADS];
    for (int k = 0; k < THREADS; k++) {
        subs[k] = (submitter){ &fin, &sink, k, THREADS, EACH, 0 };
        assert_int_equal(pthread_create(&threads[k], NULL, submit_thread, &subs[k]), 0);
    }
    for (int k = 0; k < THREADS; k++) {
        pthread_join(threads[k], NULL);
        assert_int_equal(subs[k].failures, 0);
    }
    assert_int_equal(t.errors, 0);
    /* Every chunk once, in order; the segment list grew past its first size. */
    check_order(&fin, &t, 0, THREADS * EACH);
    assert_int_equal(t.nb_recorded, THREADS * EACH);
    assert_null(fin.pending);
    finalizer_close(&fin);
}

static void test_close_frees_what_is_pending(void **state)
{
    (void)state;
    rung_finalize fin;
    fake_track t;
    finalizer_sink sink;
    setup(&fin, &t, &sink);
    for (int i = 5; i > 0; i--)
        assert_int_equal(finalizer_submit(&fin, &sink, chunk(i)), 0);
    assert_int_equal(t.nb_written, 0);
    /* The sanitizer run checks the chunks and their packets are freed. */
    finalizer_close(&fin);
    assert_null(fin.pending);
    assert_null(fin.segments);
    encoded_chunk_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order_chunks_are_written_at_once),
        cmocka_unit_test(test_out_of_order_chunks_wait_for_their_turn),
        cmocka_unit_test(test_resumed_rung_starts_after_its_kept_segments),
        cmocka_unit_test(test_failed_write_stops_the_writing),
        cmocka_unit_test(test_failed_journal_line_is_reported),
        cmocka_unit_test(test_workers_submit_concurrently),
        cmocka_unit_test(test_close_frees_what_is_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
