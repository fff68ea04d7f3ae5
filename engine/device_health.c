/*
 * Device health. Every failed encode is charged to the device it ran on;
 * after job.device_failure_limit failures in a row the device is
 * quarantined: its workers take no chunks, and the chunk that failed went
 * back to the queue for another device (encode_worker.c), so nothing is
 * lost. After a back-off one of its workers re-tests it with a tiny real
 * encode; a pass puts it on probation (working again; one good chunk makes
 * it healthy), a failure quarantines it again for twice as long. When every
 * device that may encode a rung with work left is quarantined and each has
 * failed REQUIRED_QUARANTINES times, nothing can finish that rung and the
 * run fails with the last error.
 *
 * State changes reach the progress sink (on_device) and the log, one line
 * each; the report has the final state.
 */
#include <stdio.h>
#include <string.h>

#include "ladder/error.h"
#include "session_internal.h"

/* A device quarantined this many times without passing a chunk in between
 * counts as gone for good. */
#define REQUIRED_QUARANTINES 3
#define MAX_BACKOFF_SECONDS 30.0

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

ladder_device_state device_health_state(const device_ctx *dev)
{
    if (dev->quarantined)
        return LADDER_DEVICE_STATE_QUARANTINED;
    if (dev->probation)
        return LADDER_DEVICE_STATE_PROBATION;
    return dev->busy > 0 ? LADDER_DEVICE_STATE_BUSY : LADDER_DEVICE_STATE_IDLE;
}

/* Under progress_lock: tell the sink. */
static void notify(ladder_session *s, const device_ctx *dev)
{
    if (!s->sink.on_device)
        return;
    ladder_device_progress p = {
        .name = dev->spec.name,
        .state = device_health_state(dev),
        .chunks = dev->chunks,
        .failures = dev->failures,
        .quarantines = dev->quarantines,
        .last_error = dev->last_error,
    };
    s->sink.on_device(s->sink.opaque, &p);
}

bool device_health_start(ladder_session *s, int d)
{
    device_ctx *dev = &s->devices[d];
    int n = atomic_fetch_add(&dev->encodes, 1) + 1;
    pthread_mutex_lock(&s->progress_lock);
    ladder_device_state before = device_health_state(dev);
    dev->busy++;
    if (device_health_state(dev) != before)
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
        for (int d = 0; d < s->nb_devices && !alive; d++) {
            const device_ctx *dev = &s->devices[d];
            alive = s->rungs[i].on_device[d].usable &&
                    (!dev->quarantined || dev->quarantines_in_row < REQUIRED_QUARANTINES);
        }
        if (!alive)
            return true;
    }
    return false;
}

/* Under progress_lock. */
static void quarantine(ladder_session *s, device_ctx *dev)
{
    dev->quarantined = true;
    dev->probation = false;
    dev->quarantines++;
    dev->quarantines_in_row++;
    double base = s->job.device_backoff_seconds;
    dev->backoff = dev->quarantines_in_row == 1 ? base : dev->backoff * 2;
    if (dev->backoff > MAX_BACKOFF_SECONDS)
        dev->backoff = MAX_BACKOFF_SECONDS;
    dev->quarantine_until = session_now() + dev->backoff;
}

void device_health_end(ladder_session *s, int d, bool ok, const char *error)
{
    device_ctx *dev = &s->devices[d];
    bool gone = false;
    char last[sizeof(dev->last_error)] = "";
    /* session_log() takes progress_lock itself: lines are written after it
     * is released. */
    char event[320] = "";
    pthread_mutex_lock(&s->progress_lock);
    ladder_device_state before = device_health_state(dev);
    dev->busy--;
    if (ok) {
        dev->consecutive_failures = 0;
        dev->probation = false;
        dev->quarantines_in_row = 0;  /* it works: the next trouble starts afresh */
    } else {
        dev->failures++;
        dev->consecutive_failures++;
        snprintf(dev->last_error, sizeof(dev->last_error), "%s", error ? error : "encode failed");
        if (!dev->quarantined && (dev->probation || dev->consecutive_failures >= s->job.device_failure_limit)) {
            quarantine(s, dev);
            snprintf(event, sizeof(event), "device=%s event=quarantined failures=%d retest_in=%.1fs reason=%s",
                     dev->spec.name, dev->consecutive_failures, dev->backoff, dev->last_error);
        }
        gone = no_device_left(s);
        snprintf(last, sizeof(last), "%s", dev->last_error);
    }
    if (device_health_state(dev) != before || !ok)
        notify(s, dev);
    pthread_mutex_unlock(&s->progress_lock);
    if (event[0])
        session_log(s, LADDER_LOG_WARNING, "%s", event);
    if (gone)
        session_fail(s, LADDER_EENCODER, "no device left to encode with: every device a rung may use is quarantined; last error on device %s: %s",
                     dev->spec.name, last);
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
    rung_ctx *r = retest_rung(s, eligible);
    int err = LADDER_EINTERNAL;
    bool allowed = true;
    if (r) {
        allowed = device_health_start(s, d);
        err = allowed ? encoder_probe_encode(s, r, &dev->choice[r->cfg.codec]) : LADDER_EENCODER;
        pthread_mutex_lock(&s->progress_lock);
        dev->busy--;
        pthread_mutex_unlock(&s->progress_lock);
    }
    bool gone = false;
    char last[sizeof(dev->last_error)] = "";
    char event[320];
    pthread_mutex_lock(&s->progress_lock);
    dev->probing = false;
    if (!err) {
        dev->quarantined = false;
        dev->probation = true;
        dev->consecutive_failures = 0;
        snprintf(event, sizeof(event), "device=%s event=probation reason=re-test encode passed", dev->spec.name);
    } else {
        dev->failures++;
        snprintf(dev->last_error, sizeof(dev->last_error), "re-test encode failed: %s",
                 allowed ? ladder_strerror(err) : "injected fault (fault device)");
        dev->quarantined = false;  /* quarantine() counts and doubles from here */
        quarantine(s, dev);
        snprintf(event, sizeof(event), "device=%s event=quarantined retest_in=%.1fs reason=%s",
                 dev->spec.name, dev->backoff, dev->last_error);
        gone = no_device_left(s);
        snprintf(last, sizeof(last), "%s", dev->last_error);
    }
    notify(s, dev);
    pthread_mutex_unlock(&s->progress_lock);
    session_log(s, LADDER_LOG_WARNING, "%s", event);
    if (gone)
        session_fail(s, LADDER_EENCODER, "no device left to encode with: every device a rung may use is quarantined; last error on device %s: %s",
                     dev->spec.name, last);
}

int device_health_gate(ladder_session *s, int d, uint32_t eligible)
{
    device_ctx *dev = &s->devices[d];
    for (;;) {
        pthread_mutex_lock(&s->progress_lock);
        bool quarantined = dev->quarantined;
        double wait = dev->quarantine_until - session_now();
        bool mine = false;
        if (quarantined && wait <= 0 && !dev->probing) {
            dev->probing = true;  /* one worker re-tests; its siblings wait */
            mine = true;
        } else if (quarantined && wait <= 0) {
            wait = 0.2;           /* a sibling is re-testing right now */
        }
        pthread_mutex_unlock(&s->progress_lock);
        if (!quarantined)
            return 0;
        if (mine) {
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
