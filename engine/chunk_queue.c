/*
 * The bounded chunk queue: see chunk_queue.h.
 *
 * One mutex guards everything; two condition variables separate the two
 * kinds of waiter so a release wakes producers (space) and workers (work)
 * only when they may proceed.
 */
#include "chunk_queue.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "ladder/error.h"
#include "ladder/ladder.h"
#include "ladder/lease_pool.h"

typedef struct rung_fifo {
    ladder_chunk *head, *tail;
    int queued;
    int active;                   /* workers encoding this rung now */
    bool finished;                /* producer done */
    int64_t frames_total;         /* estimate, grows if the input is longer */
    int64_t frames_pushed;
    int64_t frames_done;
    double initial_cost;          /* relative units (pixels) */
    double measured_seconds;      /* summed encode seconds */
    int64_t measured_frames;
} rung_fifo;

struct ladder_chunk_queue {
    pthread_mutex_t lock;         /* guards every field below */
    pthread_cond_t space;         /* bytes were released, or abort */
    pthread_cond_t work;          /* a chunk arrived, a rung changed, or abort */
    int nb_rungs;
    rung_fifo rungs[LADDER_MAX_RUNGS];
    size_t budget;
    int max_queued;               /* untaken chunks per rung */
    size_t held;                  /* reserved by chunks being built + pushed */
    size_t held_pushed;           /* pushed and not done: workers will free it */
    size_t peak;
    bool aborted;
};

int ladder_chunk_queue_init(ladder_chunk_queue **out, int nb_rungs, size_t budget_bytes,
                            int max_queued_per_rung,
                            const int64_t *frames_total, const double *cost_per_frame)
{
    if (!out || nb_rungs < 1 || nb_rungs > LADDER_MAX_RUNGS || budget_bytes == 0)
        return LADDER_EINVAL;
    ladder_chunk_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return LADDER_ENOMEM;
    q->nb_rungs = nb_rungs;
    q->budget = budget_bytes;
    q->max_queued = max_queued_per_rung > 0 ? max_queued_per_rung : INT_MAX;
    for (int r = 0; r < nb_rungs; r++) {
        q->rungs[r].frames_total = frames_total ? frames_total[r] : 0;
        q->rungs[r].initial_cost = cost_per_frame ? cost_per_frame[r] : 1.0;
    }
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->space, NULL);
    pthread_cond_init(&q->work, NULL);
    *out = q;
    return 0;
}

void ladder_chunk_queue_close(ladder_chunk_queue *q)
{
    if (!q)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->space);
    pthread_cond_destroy(&q->work);
    free(q);
}

/*
 * Whether taking bytes more must wait. Only while pushed chunks hold
 * memory: their workers will give it back without needing a single new
 * frame. Bytes held only by chunks still being built would never come back
 * if their scalers waited (every rung waits on the same decoder), so then
 * the budget is exceeded by at most the chunks in construction.
 */
static bool must_wait_for_budget(const ladder_chunk_queue *q, size_t bytes)
{
    return bytes > 0 && q->held_pushed > 0 && q->held + bytes > q->budget;
}

static size_t minus_clamped(size_t total, size_t part)
{
    return part <= total ? total - part : 0;
}

/* A pushed chunk is done with (encoded or drained): its bytes go back. */
static void release_pushed(ladder_chunk_queue *q, const ladder_chunk *chunk)
{
    q->held = minus_clamped(q->held, chunk->reserved);
    q->held_pushed = minus_clamped(q->held_pushed, chunk->reserved);
}

static void hold(ladder_chunk_queue *q, ladder_chunk *chunk, size_t bytes)
{
    chunk->reserved += bytes;
    q->held += bytes;
    if (q->held > q->peak)
        q->peak = q->held;
}

int ladder_chunk_queue_reserve(ladder_chunk_queue *q, ladder_chunk *chunk, size_t bytes)
{
    pthread_mutex_lock(&q->lock);
    while (!q->aborted && must_wait_for_budget(q, bytes))
        pthread_cond_wait(&q->space, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        return LADDER_ECANCELED;
    }
    chunk->bytes += bytes;
    hold(q, chunk, bytes);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void ladder_chunk_queue_unreserve(ladder_chunk_queue *q, ladder_chunk *chunk)
{
    pthread_mutex_lock(&q->lock);
    q->held = minus_clamped(q->held, chunk->reserved);
    chunk->reserved = 0;
    pthread_cond_broadcast(&q->space);
    pthread_mutex_unlock(&q->lock);
}

int ladder_chunk_queue_push(ladder_chunk_queue *q, ladder_chunk *chunk)
{
    pthread_mutex_lock(&q->lock);
    rung_fifo *f = &q->rungs[chunk->rung];
    size_t rest = chunk->bytes > chunk->reserved ? chunk->bytes - chunk->reserved : 0;
    while (!q->aborted && (must_wait_for_budget(q, rest) || f->queued >= q->max_queued))
        pthread_cond_wait(&q->space, &q->lock);
    if (q->aborted) {
        pthread_mutex_unlock(&q->lock);
        return LADDER_ECANCELED;
    }
    chunk->next = NULL;
    if (f->tail)
        f->tail->next = chunk;
    else
        f->head = chunk;
    f->tail = chunk;
    f->queued++;
    f->frames_pushed += chunk->nb_frames;
    if (f->frames_total < f->frames_pushed)
        f->frames_total = f->frames_pushed;
    hold(q, chunk, rest);
    q->held_pushed += chunk->reserved;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
    return 0;
}

void ladder_chunk_queue_requeue(ladder_chunk_queue *q, ladder_chunk *chunk)
{
    pthread_mutex_lock(&q->lock);
    rung_fifo *f = &q->rungs[chunk->rung];
    chunk->next = f->head;
    f->head = chunk;
    if (!f->tail)
        f->tail = chunk;
    f->queued++;
    f->active--;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void ladder_chunk_queue_finish_rung(ladder_chunk_queue *q, int rung)
{
    pthread_mutex_lock(&q->lock);
    q->rungs[rung].finished = true;
    /* The estimate was only that: the rung is exactly what was pushed. */
    q->rungs[rung].frames_total = q->rungs[rung].frames_pushed;
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
}

/*
 * Per-frame cost in seconds where measured. A rung not measured yet borrows
 * the seconds-per-unit of the measured rungs, scaled by its own initial
 * (pixel) cost, so measured and unmeasured rungs compare in one unit.
 */
static double rung_cost(const ladder_chunk_queue *q, int r)
{
    const rung_fifo *f = &q->rungs[r];
    if (f->measured_frames > 0)
        return f->measured_seconds / (double)f->measured_frames;
    double seconds = 0, units = 0;
    for (int i = 0; i < q->nb_rungs; i++) {
        const rung_fifo *m = &q->rungs[i];
        if (m->measured_frames > 0) {
            seconds += m->measured_seconds;
            units += m->initial_cost * (double)m->measured_frames;
        }
    }
    return units > 0 ? f->initial_cost * seconds / units : f->initial_cost;
}

/* Under q->lock: no rung in eligible can produce more work. */
static bool eligible_drained(const ladder_chunk_queue *q, uint32_t eligible)
{
    for (int r = 0; r < q->nb_rungs; r++) {
        const rung_fifo *f = &q->rungs[r];
        if ((eligible & (UINT32_C(1) << r)) && (!f->finished || f->queued > 0 || f->active > 0))
            return false;
    }
    return true;
}

int ladder_chunk_queue_pop(ladder_chunk_queue *q, int *rung, bool helpers,
                           ladder_chunk **out)
{
    return ladder_chunk_queue_pop_for(q, rung, helpers, LADDER_CHUNK_QUEUE_ALL_RUNGS, out);
}

int ladder_chunk_queue_pop_for(ladder_chunk_queue *q, int *rung, bool helpers, uint32_t eligible,
                               ladder_chunk **out)
{
    *out = NULL;
    pthread_mutex_lock(&q->lock);
    for (;;) {
        if (q->aborted) {
            pthread_mutex_unlock(&q->lock);
            return LADDER_ECANCELED;
        }
        ladder_rung_load loads[LADDER_MAX_RUNGS];
        for (int r = 0; r < q->nb_rungs; r++) {
            const rung_fifo *f = &q->rungs[r];
            /* A rung this worker may not encode looks empty to it, and
             * cannot keep it waiting once its own rungs are done. */
            loads[r] = (ladder_rung_load){
                .queued = eligible & (UINT32_C(1) << r) ? f->queued : 0,
                .active = f->active,
                .frames_left = f->frames_total - f->frames_done,
                .cost_per_frame = rung_cost(q, r),
            };
        }
        bool all_drained = eligible_drained(q, eligible);
        int pick = ladder_lease_pool_pick_rung(loads, q->nb_rungs, *rung, helpers);
        if (pick >= 0) {
            rung_fifo *f = &q->rungs[pick];
            ladder_chunk *c = f->head;
            f->head = c->next;
            if (!f->head)
                f->tail = NULL;
            c->next = NULL;
            f->queued--;
            /* Joining a rung someone is already encoding is what a helper does. */
            c->by_helper = f->active > 0;
            f->active++;
            *rung = pick;
            *out = c;
            pthread_cond_broadcast(&q->space);   /* the rung has room again */
            pthread_mutex_unlock(&q->lock);
            return 0;
        }
        /*
         * Nothing eligible. Finished only when no rung can produce more work:
         * an active worker may still requeue its chunk, so wait for it too.
         */
        if (all_drained) {
            pthread_mutex_unlock(&q->lock);
            return 0;
        }
        pthread_cond_wait(&q->work, &q->lock);
    }
}

bool ladder_chunk_queue_rung_drained(ladder_chunk_queue *q, int rung)
{
    pthread_mutex_lock(&q->lock);
    bool drained = rung >= 0 && rung < q->nb_rungs && eligible_drained(q, UINT32_C(1) << rung);
    pthread_mutex_unlock(&q->lock);
    return drained;
}

int ladder_chunk_queue_wait_drained(ladder_chunk_queue *q, uint32_t eligible, double seconds)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    double whole = floor(seconds > 0 ? seconds : 0);
    deadline.tv_sec += (time_t)whole;
    deadline.tv_nsec += (long)((seconds - whole) * 1e9);
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    /* Woken by every done, push, requeue and finish: re-check each time. */
    for (;;) {
        if (q->aborted) {
            ret = LADDER_ECANCELED;
            break;
        }
        if (eligible_drained(q, eligible)) {
            ret = 1;
            break;
        }
        if (pthread_cond_timedwait(&q->work, &q->lock, &deadline) == ETIMEDOUT) {
            ret = q->aborted ? LADDER_ECANCELED : eligible_drained(q, eligible) ? 1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&q->lock);
    return ret;
}

void ladder_chunk_queue_done(ladder_chunk_queue *q, const ladder_chunk *chunk,
                             double encode_seconds)
{
    pthread_mutex_lock(&q->lock);
    rung_fifo *f = &q->rungs[chunk->rung];
    release_pushed(q, chunk);
    f->active--;
    f->frames_done += chunk->nb_frames;
    if (encode_seconds > 0 && chunk->nb_frames > 0) {
        f->measured_seconds += encode_seconds;
        f->measured_frames += chunk->nb_frames;
    }
    pthread_cond_broadcast(&q->space);
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void ladder_chunk_queue_abort(ladder_chunk_queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->aborted = true;
    pthread_cond_broadcast(&q->space);
    pthread_cond_broadcast(&q->work);
    pthread_mutex_unlock(&q->lock);
}

void ladder_chunk_queue_drain(ladder_chunk_queue *q, void (*free_chunk)(ladder_chunk *))
{
    pthread_mutex_lock(&q->lock);
    for (int r = 0; r < q->nb_rungs; r++) {
        rung_fifo *f = &q->rungs[r];
        while (f->head) {
            ladder_chunk *c = f->head;
            f->head = c->next;
            release_pushed(q, c);
            free_chunk(c);
        }
        f->tail = NULL;
        f->queued = 0;
    }
    pthread_mutex_unlock(&q->lock);
}

size_t ladder_chunk_queue_bytes_held(ladder_chunk_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->held;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t ladder_chunk_queue_peak_bytes(ladder_chunk_queue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->peak;
    pthread_mutex_unlock(&q->lock);
    return n;
}
