/*
 * Device health. Every failed encode is charged to the device it ran on;
 * after job.device_failure_limit failures in a row the device is
 * quarantined: its workers take no chunks, and the chunk that failed went
 * back to the queue for another device (encode_worker.c), so nothing is
 * lost. After a back-off one of its workers re-tests it with a tiny real
 * encode; a pass puts it on probation (working again; one good chunk makes
 * it healthy), a failure quarantines it again for twice as long. When every
 * device that may encode a rung with work left is quarantined and each has
 * failed DEVICE_REQUIRED_QUARANTINES times in a row, nothing can finish
 * that rung and the run fails with the last error.
 *
 * State changes reach the progress sink (on_device) and the log, one line
 * each; the report has the final state.
 *
 * The rules themselves are pure functions over a device_health (the first
 * half of this file, tests/unit/test_device_health.c); the session's side
 * (the second half) locks progress_lock around them, tells the sink, logs
 * and runs the re-test encode.
 */
#include "device_health.h"

#include <stdio.h>
#include <string.h>

#include "chunk_queue.h"
#include "ladder/error.h"
#include "encoder_backend.h"
#include "session.h"

const char *ladder_device_state_name(ladder_device_state st)
{
    switch (st) {
    case LADDER_DEVICE_STATE_IDLE:        return "idle";
    case LADDER_DEVICE_STATE_BUSY:        return "busy";
    case LADDER_DEVICE_STATE_QUARANTINED: return "quarantined";
    case LADDER_DEVICE_STATE_PROBATION:   return "probation";
    }
    return "unknown";
}

ladder_device_state device_health_state(const device_health *h)
{
    if (h->quarantined)
        return LADDER_DEVICE_STATE_QUARANTINED;
    if (h->probation)
        return LADDER_DEVICE_STATE_PROBATION;
    return h->busy > 0 ? LADDER_DEVICE_STATE_BUSY : LADDER_DEVICE_STATE_IDLE;
}

void device_health_begin(device_health *h)
{
    h->busy++;
}

static void quarantine(device_health *h, const device_health_rules *rules, double now)
{
    h->quarantined = true;
    h->probation = false;
    h->quarantines++;
    h->quarantines_in_row++;
    h->backoff = h->quarantines_in_row == 1 ? rules->backoff_seconds : h->backoff * 2;
    if (h->backoff > DEVICE_MAX_BACKOFF_SECONDS)
        h->backoff = DEVICE_MAX_BACKOFF_SECONDS;
    h->quarantine_until = now + h->backoff;
}

bool device_health_end(device_health *h, const device_health_rules *rules, double now, bool ok,
                       const char *error)
{
    h->busy--;
    if (ok) {
        h->consecutive_failures = 0;
        h->probation = false;
        h->quarantines_in_row = 0;  /* it works: the next trouble starts afresh */
        return false;
    }
    h->failures++;
    h->consecutive_failures++;
    snprintf(h->last_error, sizeof(h->last_error), "%s", error ? error : "encode failed");
    if (h->quarantined || !(h->probation || h->consecutive_failures >= rules->failure_limit))
        return false;
    quarantine(h, rules, now);
    return true;
}

void device_health_retested(device_health *h, const device_health_rules *rules, double now, bool passed,
                            const char *error)
{
    h->probing = false;
    if (passed) {
        h->quarantined = false;
        h->probation = true;
        h->consecutive_failures = 0;
        return;
    }
    h->failures++;
    snprintf(h->last_error, sizeof(h->last_error), "re-test encode failed: %s", error ? error : "?");
    h->quarantined = false;  /* quarantine() counts and doubles from here */
    quarantine(h, rules, now);
}

bool device_health_alive(const device_health *h)
{
    return !h->quarantined || h->quarantines_in_row < DEVICE_REQUIRED_QUARANTINES;
}

device_health_step device_health_next(device_health *h, double now, double *wait)
{
    if (!h->quarantined)
        return DEVICE_HEALTH_WORK;
    *wait = h->quarantine_until - now;
    if (*wait <= 0 && !h->probing) {
        h->probing = true;  /* one worker re-tests; its siblings wait */
        return DEVICE_HEALTH_RETEST;
    }
    if (*wait <= 0)
        *wait = 0.2;        /* a sibling is re-testing right now */
    return DEVICE_HEALTH_WAIT;
}

/* The session's side. */

static device_health_rules rules_of(const ladder_session *s)
{
    return (device_health_rules){ s->job.device_failure_limit, s->job.device_backoff_seconds };
}

/* Under progress_lock: tell the sink. */
static void notify(ladder_session *s, const device_ctx *dev)
{
    if (!s->sink.on_device)
        return;
    ladder_device_progress p = {
        .name = dev->spec.name,
        .state = device_health_state(&dev->health),
        .chunks = dev->health.chunks,
        .failures = dev->health.failures,
        .quarantines = dev->health.quarantines,
        .last_error = dev->health.last_error,
    };
    s->sink.on_device(s->sink.opaque, &p);
}

bool device_encode_start(ladder_session *s, int d)
{
    device_ctx *dev = &s->devices[d];
    int n = atomic_fetch_add(&dev->encodes, 1) + 1;
    pthread_mutex_lock(&s->progress_lock);
    ladder_device_state before = device_health_state(&dev->health);
    device_health_begin(&dev->health);
    if (device_health_state(&dev->health) != before)
        notify(s, dev);
    pthread_mutex_unlock(&s->progress_lock);
    /* The fault device: a CPU device that breaks after fail_after encodes,
     * the way a GPU whose driver wedged does: every later encode fails, or
     * the next fail_for ones (a driver reset, a thermal event). */
    if (strcmp(dev->spec.kind, "fault") || n <= dev->spec.fail_after)
        return true;
    return dev->spec.fail_for > 0 && n > dev->spec.fail_after + dev->spec.fail_for;
}

/* Under progress_lock: whether a rung with work left has no device that
 * may still encode it (every one it may use is quarantined for good). The
 * queue's lock nests inside progress_lock here and nowhere the other way. */
static bool no_device_left(ladder_session *s)
{
    for (int i = 0; i < s->nb_rungs; i++) {
        if (ladder_chunk_queue_rung_drained(s->queue, i))
            continue;
        bool alive = false;
        for (int d = 0; d < s->nb_devices && !alive; d++)
            alive = s->rungs[i].on_device[d].usable && device_health_alive(&s->devices[d].health);
        if (!alive)
            return true;
    }
    return false;
}

static void fail_no_device_left(ladder_session *s, const device_ctx *dev, const char *last)
{
    session_fail(s, LADDER_EENCODER, "no device left to encode with: every device a rung may use is quarantined; last error on device %s: %s",
                 dev->spec.name, last);
}

void device_encode_end(ladder_session *s, int d, bool ok, const char *error)
{
    device_ctx *dev = &s->devices[d];
    device_health *h = &dev->health;
    device_health_rules rules = rules_of(s);
    bool gone = false;
    char last[sizeof(h->last_error)] = "";
    /* session_log() takes progress_lock itself: lines are written after it
     * is released. */
    char event[320] = "";
    pthread_mutex_lock(&s->progress_lock);
    ladder_device_state before = device_health_state(h);
    if (device_health_end(h, &rules, session_now(), ok, error))
        snprintf(event, sizeof(event), "device=%s event=quarantined failures=%d retest_in=%.1fs reason=%s",
                 dev->spec.name, h->consecutive_failures, h->backoff, h->last_error);
    if (!ok) {
        gone = no_device_left(s);
        snprintf(last, sizeof(last), "%s", h->last_error);
    }
    if (device_health_state(h) != before || !ok)
        notify(s, dev);
    pthread_mutex_unlock(&s->progress_lock);
    if (event[0])
        session_log(s, LADDER_LOG_WARNING, "%s", event);
    if (gone)
        fail_no_device_left(s, dev, last);
}

/* The smallest rung device d may encode: the cheapest real re-test. */
static rung_ctx *retest_rung(ladder_session *s, uint32_t eligible)
{
    rung_ctx *best = NULL;
    for (int i = 0; i < s->nb_rungs; i++) {
        rung_ctx *r = &s->rungs[i];
        if ((eligible & (UINT32_C(1) << i)) && (!best || (int64_t)r->width * r->height <
                                                              (int64_t)best->width * best->height))
            best = r;
    }
    return best;
}

static void retest(ladder_session *s, int d, uint32_t eligible)
{
    device_ctx *dev = &s->devices[d];
    device_health *h = &dev->health;
    device_health_rules rules = rules_of(s);
    rung_ctx *r = retest_rung(s, eligible);
    int err = LADDER_EINTERNAL;
    bool allowed = true;
    if (r) {
        allowed = device_encode_start(s, d);
        err = allowed ? encoder_probe_encode(s, r, &dev->choice[r->cfg.codec]) : LADDER_EENCODER;
        pthread_mutex_lock(&s->progress_lock);
        h->busy--;
        pthread_mutex_unlock(&s->progress_lock);
    }
    bool gone = false;
    char last[sizeof(h->last_error)] = "";
    char event[320];
    pthread_mutex_lock(&s->progress_lock);
    device_health_retested(h, &rules, session_now(), !err,
                           allowed ? ladder_strerror(err) : "injected fault (fault device)");
    if (!err) {
        snprintf(event, sizeof(event), "device=%s event=probation reason=re-test encode passed", dev->spec.name);
    } else {
        snprintf(event, sizeof(event), "device=%s event=quarantined retest_in=%.1fs reason=%s",
                 dev->spec.name, h->backoff, h->last_error);
        gone = no_device_left(s);
        snprintf(last, sizeof(last), "%s", h->last_error);
    }
    notify(s, dev);
    pthread_mutex_unlock(&s->progress_lock);
    session_log(s, LADDER_LOG_WARNING, "%s", event);
    if (gone)
        fail_no_device_left(s, dev, last);
}

int device_gate(ladder_session *s, int d, uint32_t eligible)
{
    device_health *h = &s->devices[d].health;
    for (;;) {
        double wait = 0;
        pthread_mutex_lock(&s->progress_lock);
        device_health_step step = device_health_next(h, session_now(), &wait);
        pthread_mutex_unlock(&s->progress_lock);
        if (step == DEVICE_HEALTH_WORK)
            return 0;
        if (step == DEVICE_HEALTH_RETEST) {
            retest(s, d, eligible);
            continue;
        }
        /* Sleep until the re-test is due, but leave as soon as nothing is
         * left for this device to do (the others finished the ladder). */
        int ret = ladder_chunk_queue_wait_drained(s->queue, eligible, wait);
        if (ret != 0)
            return 1;
    }
}
