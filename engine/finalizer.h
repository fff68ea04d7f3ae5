/*
 * Private to engine/ and its unit test: the finalizer, which puts a rung's
 * encoded chunks back in order and writes each as the track's next segment
 * as soon as every chunk before it is written (finalizer.c).
 *
 * Its state is a rung_finalize (rung_ctx.fin): everything in it is under
 * its lock, which finalizer_submit() takes; the session opens the writer
 * before the threads start and reads the segment list after they joined.
 */
#ifndef LADDER_ENGINE_FINALIZER_H
#define LADDER_ENGINE_FINALIZER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/packet.h>

#include "mux/cmaf_writer.h"
#include "ladder/lease_pool.h"

typedef struct rung_ctx rung_ctx;

/* One chunk's encoded output waiting for its turn in the finalizer. Made
 * by a worker (encode_worker.c), owned by the finalizer once submitted. */
typedef struct encoded_chunk {
    int index;
    AVPacket **packets;           /* decode order */
    int nb_packets;
    int64_t bytes;                /* the packets' payload, summed */
    bool by_helper;
    char device[LADDER_DEVICE_NAME_MAX];
    struct encoded_chunk *next;   /* in rung_finalize.pending, sorted by index */
} encoded_chunk;

void encoded_chunk_free(encoded_chunk *ec);

/* One rung's finalizer. */
typedef struct rung_finalize {
    /* Guards every field below once the threads run (the rung's
     * finalize_lock): taken by the submitting worker, never around a call
     * into another module's lock but resume_journal's and progress_lock. */
    pthread_mutex_t lock;
    ladder_cmaf_writer *writer;   /* the rung's track; opened by session.c, closed here */
    encoded_chunk *pending;       /* submitted, not yet contiguous; sorted by index */
    int next_chunk;               /* the index written next */
    ladder_cmaf_segment *segments; /* written (or kept by a resume), in order */
    int nb_segments, cap_segments;
} rung_finalize;

/* What the finalizer does with a chunk whose turn came. */
typedef struct finalizer_sink {
    /* Write ec as the track's next segment; *seg describes it. */
    int (*write)(void *opaque, const encoded_chunk *ec, ladder_cmaf_segment *seg);
    /* seg is in the list (NULL: nothing to do): journal it, count it. */
    int (*written)(void *opaque, const encoded_chunk *ec, const ladder_cmaf_segment *seg);
    void *opaque;
} finalizer_sink;

/* An empty finalizer whose first chunk is 0. */
void finalizer_init(rung_finalize *f);
/* Frees what is pending and the segment list, closes the writer. */
void finalizer_close(rung_finalize *f);
/* Before the threads (resume): segments 0..nb-1 are written already; the
 * finalizer takes kept (malloc'd) as its list and starts at chunk nb. */
void finalizer_keep(rung_finalize *f, ladder_cmaf_segment *kept, int nb);
/* Takes ownership of ec. Writes, through sink, every chunk that is now
 * contiguous, in index order; the first error stops it and is returned
 * (the chunks written until then stay written). Any thread. */
int finalizer_submit(rung_finalize *f, const finalizer_sink *sink, encoded_chunk *ec);

/* The rung's own finalizer: segments through its CMAF writer, then the
 * resume journal, the rung's byte count and a log line. */
int rung_finalizer_submit(rung_ctx *r, encoded_chunk *ec);

#endif /* LADDER_ENGINE_FINALIZER_H */
