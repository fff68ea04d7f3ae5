/*
 * The finalizer puts a rung's chunks back in order. Workers finish chunks in
 * any order; each submission is parked in a sorted list and every chunk that
 * has become contiguous is written at once, so segments stream out during
 * the run instead of piling up in memory until the end. It runs on the
 * submitting worker's thread under the rung's finalize lock
 * (rung_finalize.lock): writing a segment is a memory copy and a rename,
 * too short to deserve a thread.
 *
 * The ordering (finalizer_submit()) knows nothing of the session: what a
 * written chunk becomes is its sink's business, so tests/unit/
 * test_finalizer.c drives it with a sink of its own. The rung's sink
 * (rung_finalizer_submit()) writes the CMAF segment, journals it for
 * resuming and counts its bytes.
 */
#include "finalizer.h"

#include <stdlib.h>

#include "ladder/error.h"
#include "resume.h"
#include "session.h"

void encoded_chunk_free(encoded_chunk *ec)
{
    if (!ec)
        return;
    for (int i = 0; i < ec->nb_packets; i++)
        av_packet_free(&ec->packets[i]);
    free(ec->packets);
    free(ec);
}

void finalizer_init(rung_finalize *f)
{
    *f = (rung_finalize){ .next_chunk = 0 };
    pthread_mutex_init(&f->lock, NULL);
}

void finalizer_close(rung_finalize *f)
{
    while (f->pending) {
        encoded_chunk *next = f->pending->next;
        encoded_chunk_free(f->pending);
        f->pending = next;
    }
    ladder_cmaf_writer_close(f->writer);
    f->writer = NULL;
    free(f->segments);
    f->segments = NULL;
    f->nb_segments = f->cap_segments = 0;
    pthread_mutex_destroy(&f->lock);
}

void finalizer_keep(rung_finalize *f, ladder_cmaf_segment *kept, int nb)
{
    free(f->segments);
    f->segments = kept;
    f->nb_segments = f->cap_segments = nb;
    f->next_chunk = nb;
}

static int add_segment(rung_finalize *f, const ladder_cmaf_segment *seg)
{
    if (f->nb_segments == f->cap_segments) {
        int cap = f->cap_segments ? f->cap_segments * 2 : 64;
        ladder_cmaf_segment *grown = realloc(f->segments, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        f->segments = grown;
        f->cap_segments = cap;
    }
    f->segments[f->nb_segments++] = *seg;
    return 0;
}

static int write_chunk(rung_finalize *f, const finalizer_sink *sink, const encoded_chunk *ec)
{
    ladder_cmaf_segment seg;
    int err = sink->write(sink->opaque, ec, &seg);
    if (!err)
        err = add_segment(f, &seg);
    if (!err && sink->written)
        err = sink->written(sink->opaque, ec, &f->segments[f->nb_segments - 1]);
    return err;
}

int finalizer_submit(rung_finalize *f, const finalizer_sink *sink, encoded_chunk *ec)
{
    pthread_mutex_lock(&f->lock);
    encoded_chunk **link = &f->pending;
    while (*link && (*link)->index < ec->index)
        link = &(*link)->next;
    ec->next = *link;
    *link = ec;

    int err = 0;
    while (!err && f->pending && f->pending->index == f->next_chunk) {
        encoded_chunk *head = f->pending;
        f->pending = head->next;
        err = write_chunk(f, sink, head);
        encoded_chunk_free(head);
        f->next_chunk++;
    }
    pthread_mutex_unlock(&f->lock);
    return err;
}

/* The rung's sink: its CMAF writer makes the segment's file. */
static int write_segment(void *opaque, const encoded_chunk *ec, ladder_cmaf_segment *seg)
{
    rung_ctx *r = opaque;
    for (int i = 0; i < ec->nb_packets; i++) {
        int err = ladder_cmaf_writer_write(r->fin.writer, ec->packets[i]);
        if (err)
            return err;
    }
    return ladder_cmaf_writer_end_segment(r->fin.writer, seg);
}

static int segment_written(void *opaque, const encoded_chunk *ec, const ladder_cmaf_segment *seg)
{
    rung_ctx *r = opaque;
    ladder_session *s = r->session;
    /* After the file is in place: a journal line never vouches for a
     * segment that is not there (a kill between the two only costs this
     * segment's encode again). */
    int err = resume_record(s, r, seg);
    if (err)
        return err;
    pthread_mutex_lock(&s->progress_lock);
    r->progress.bytes += (int64_t)seg->bytes;
    r->progress.segments = r->fin.nb_segments;
    pthread_mutex_unlock(&s->progress_lock);
    session_log(s, LADDER_LOG_DEBUG,
                "rung=%s chunk=%d device=%s event=segment uri=%s seconds=%.3f bytes=%zu",
                r->cfg.name, ec->index, ec->device, seg->uri, seg->seconds, seg->bytes);
    return 0;
}

int rung_finalizer_submit(rung_ctx *r, encoded_chunk *ec)
{
    const finalizer_sink sink = { write_segment, segment_written, r };
    return finalizer_submit(&r->fin, &sink, ec);
}
