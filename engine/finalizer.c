/*
 * The finalizer puts a rung's chunks back in order. Workers finish chunks in
 * any order; each submission is parked in a sorted list and every chunk that
 * has become contiguous is written at once, so segments stream out during
 * the run instead of piling up in memory until the end. It runs on the
 * submitting worker's thread under the rung's finalize_lock: writing a
 * segment is a memory copy and a rename, too short to deserve a thread.
 */
#include <stdlib.h>

#include "ladder/error.h"
#include "session_internal.h"

void encoded_chunk_free(encoded_chunk *ec)
{
    if (!ec)
        return;
    for (int i = 0; i < ec->nb_packets; i++)
        av_packet_free(&ec->packets[i]);
    free(ec->packets);
    free(ec);
}

static int write_chunk(rung_ctx *r, encoded_chunk *ec)
{
    for (int i = 0; i < ec->nb_packets; i++) {
        int err = ladder_cmaf_writer_write(r->writer, ec->packets[i]);
        if (err)
            return err;
    }
    ladder_cmaf_segment seg;
    int err = ladder_cmaf_writer_end_segment(r->writer, &seg);
    if (err)
        return err;
    if (r->nb_segments == r->cap_segments) {
        int cap = r->cap_segments ? r->cap_segments * 2 : 64;
        ladder_cmaf_segment *grown = realloc(r->segments, (size_t)cap * sizeof(*grown));
        if (!grown)
            return LADDER_ENOMEM;
        r->segments = grown;
        r->cap_segments = cap;
    }
    r->segments[r->nb_segments++] = seg;

    ladder_session *s = r->session;
    /* After the file is in place: a journal line never vouches for a
     * segment that is not there (a kill between the two only costs this
     * segment's encode again). */
    err = resume_record(s, r, &seg);
    if (err)
        return err;
    pthread_mutex_lock(&s->progress_lock);
    r->bytes += (int64_t)seg.bytes;
    pthread_mutex_unlock(&s->progress_lock);
    session_log(s, LADDER_LOG_DEBUG,
                "rung=%s chunk=%d device=%s event=segment uri=%s seconds=%.3f bytes=%zu",
                r->cfg.name, ec->index, ec->device, seg.uri, seg.seconds, seg.bytes);
    return 0;
}

int finalizer_submit(rung_ctx *r, encoded_chunk *ec)
{
    pthread_mutex_lock(&r->finalize_lock);
    encoded_chunk **link = &r->pending;
    while (*link && (*link)->index < ec->index)
        link = &(*link)->next;
    ec->next = *link;
    *link = ec;

    int err = 0;
    while (!err && r->pending && r->pending->index == r->next_chunk) {
        encoded_chunk *head = r->pending;
        r->pending = head->next;
        err = write_chunk(r, head);
        encoded_chunk_free(head);
        r->next_chunk++;
    }
    pthread_mutex_unlock(&r->finalize_lock);
    return err;
}
