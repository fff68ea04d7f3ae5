/*
 * The bounded chunk queue between the per-rung scalers (producers) and the
 * encoder workers (consumers).
 *
 * Memory bound: a chunk's bytes (its raw frames) are held from the moment
 * its producer reserves them, frame by frame while the chunk is being built
 * (ladder_chunk_queue_reserve(), before the frame's memory is taken), until
 * the worker that encoded it calls ladder_chunk_queue_done(). Counting
 * chunks under construction, not only queued ones, is what makes the budget
 * the real bound on raw-frame memory. A reservation waits while the bytes
 * held would exceed the budget, so a slow encoder stalls its scaler, which
 * stalls the decode pump: RAM does not grow with input length. It waits
 * only while pushed chunks hold memory (workers will release it without new
 * frames); otherwise it proceeds, so chunks larger than the whole budget
 * still make progress instead of deadlocking.
 *
 * Depth: a rung also holds at most max_queued_per_rung chunks that no worker
 * has taken yet. With one more than the number of workers, every free worker
 * always finds a chunk, and memory stays at what the work needs instead of
 * the whole budget (fresh memory is not free: each new page is a fault).
 *
 * Scheduling (which chunk a free worker takes) is decided here, under the
 * queue's one lock, with ladder_lease_pool_pick_rung(): a worker keeps to
 * its rung while it has chunks; when it runs dry it joins the rung with the
 * most remaining work (a helper), or with helpers disabled only a rung that
 * nobody is encoding. Chunks of one rung leave in FIFO order.
 *
 * Thread safety: every function may be called from any thread.
 */
#ifndef LADDER_CHUNK_QUEUE_H
#define LADDER_CHUNK_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_chunk {
    int rung;
    int index;                    /* dense chunk index = segment number - 1 */
    int nb_frames;
    size_t bytes;                 /* raw frame bytes, for the memory budget */
    size_t reserved;              /* of those, held against the budget (queue-private) */
    int attempts;                 /* encodes tried so far (requeues + 1) */
    bool by_helper;               /* set by pop: taken by a worker not homed on the rung */
    void *payload;                /* owned by the producer/consumer protocol */
    struct ladder_chunk *next;    /* queue link, private to the queue */
} ladder_chunk;

typedef struct ladder_chunk_queue ladder_chunk_queue;

/*
 * nb_rungs rungs; budget_bytes of raw frames; max_queued_per_rung (0 = no
 * limit) untaken chunks per rung; frames_total[r] estimates the
 * rung's total frames and cost_per_frame[r] its initial per-frame cost in
 * arbitrary units (pixels), both used to rank remaining work until real
 * encode times are measured. Arrays are copied.
 */
int ladder_chunk_queue_init(ladder_chunk_queue **out, int nb_rungs, size_t budget_bytes,
                            int max_queued_per_rung,
                            const int64_t *frames_total, const double *cost_per_frame);
void ladder_chunk_queue_close(ladder_chunk_queue *q);

/*
 * Add bytes to a chunk being built (chunk->bytes grows), holding them
 * against the budget; blocks for budget. 0, or LADDER_ECANCELED after abort.
 */
int ladder_chunk_queue_reserve(ladder_chunk_queue *q, ladder_chunk *chunk, size_t bytes);
/* Give back what a chunk that will never be pushed reserved (error paths). */
void ladder_chunk_queue_unreserve(ladder_chunk_queue *q, ladder_chunk *chunk);

/*
 * Queue a complete chunk. Bytes not reserved yet are held now (blocking for
 * budget); blocks while the rung has max_queued_per_rung untaken chunks.
 * 0, or LADDER_ECANCELED after abort (chunk not taken).
 */
int ladder_chunk_queue_push(ladder_chunk_queue *q, ladder_chunk *chunk);

/* Put a chunk whose encode must be redone back at the head of its rung's
 * FIFO; its bytes are still held, so this never waits. */
void ladder_chunk_queue_requeue(ladder_chunk_queue *q, ladder_chunk *chunk);

/* The producer of rung will push no more chunks. */
void ladder_chunk_queue_finish_rung(ladder_chunk_queue *q, int rung);

/*
 * Take the next chunk for a worker whose current rung is *rung (-1 for a new
 * worker). Blocks until a chunk is eligible. Returns 0 with *out set (and
 * *rung updated to the chunk's rung), 0 with *out NULL when every rung is
 * finished and drained, or LADDER_ECANCELED after abort.
 */
int ladder_chunk_queue_pop(ladder_chunk_queue *q, int *rung, bool helpers,
                           ladder_chunk **out);

#define LADDER_CHUNK_QUEUE_ALL_RUNGS UINT32_MAX
/*
 * The same for a worker that may only encode the rungs whose bit is set
 * in eligible (bit r = rung r): its device's encoder would break the
 * other rungs' decoder configuration. Returns 0 with *out NULL once every
 * eligible rung is finished and drained, even if others still have work.
 */
int ladder_chunk_queue_pop_for(ladder_chunk_queue *q, int *rung, bool helpers, uint32_t eligible,
                               ladder_chunk **out);

/*
 * For a worker that may not take chunks now (its device is quarantined):
 * wait up to seconds for every rung in eligible to be finished and
 * drained. Returns 1 when they are (the worker has nothing left to do), 0
 * when the time ran out first, LADDER_ECANCELED after abort.
 */
int ladder_chunk_queue_wait_drained(ladder_chunk_queue *q, uint32_t eligible, double seconds);
/* Whether rung is finished and has no chunk queued or being encoded. */
bool ladder_chunk_queue_rung_drained(ladder_chunk_queue *q, int rung);

/*
 * The worker is done with chunk (encoded, or failed for good): release its
 * bytes and record encode_seconds of work for nb_frames frames, which refines
 * the rung's per-frame cost. The queue does not free the chunk.
 */
void ladder_chunk_queue_done(ladder_chunk_queue *q, const ladder_chunk *chunk,
                             double encode_seconds);

/* Wake every waiter; pushes and pops return LADDER_ECANCELED from now on. */
void ladder_chunk_queue_abort(ladder_chunk_queue *q);

/* Remove every queued chunk and pass it to free_chunk (after an abort, when
 * no thread uses the queue any more). */
void ladder_chunk_queue_drain(ladder_chunk_queue *q, void (*free_chunk)(ladder_chunk *));

/* Bytes currently held (for tests and the report). */
size_t ladder_chunk_queue_bytes_held(ladder_chunk_queue *q);
/* Largest bytes held at any time. */
size_t ladder_chunk_queue_peak_bytes(ladder_chunk_queue *q);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_CHUNK_QUEUE_H */
