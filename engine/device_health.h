/*
 * Private to engine/ and its unit test: device health (device_health.c),
 * failures charged to devices, quarantine, back-off and re-tests.
 *
 * The rules are pure functions over a device_health (device_ctx.health),
 * which the caller locks (session.progress_lock) and times (now: any
 * monotonic seconds, session_now() in the session); the session's side
 * (device_encode_start/end, device_gate) locks, tells the progress sink,
 * logs and runs the re-test encode.
 */
#ifndef LADDER_ENGINE_DEVICE_HEALTH_H
#define LADDER_ENGINE_DEVICE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "ladder/ladder.h"

typedef struct ladder_session ladder_session;

/* A device quarantined this many times without passing a chunk in between
 * counts as gone for good. */
#define DEVICE_REQUIRED_QUARANTINES 3
/* The longest back-off between re-tests. */
#define DEVICE_MAX_BACKOFF_SECONDS 30.0

/* One device's health; every field under session.progress_lock. */
typedef struct device_health {
    int chunks;                   /* encoded here (encode_worker.c counts them) */
    int busy;                     /* encodes running on it right now */
    bool quarantined;             /* takes no chunks until its re-test passes */
    bool probation;               /* re-test passed; one good chunk makes it healthy */
    bool probing;                 /* one of its workers is running the re-test */
    int consecutive_failures, failures;
    int quarantines;              /* in all */
    int quarantines_in_row;       /* since its last good chunk */
    double quarantine_until;      /* the time (now's clock) of the next re-test */
    double backoff;               /* seconds until the next re-test */
    char last_error[160];
} device_health;

/* The job's rules (job.device_failure_limit, job.device_backoff_seconds). */
typedef struct device_health_rules {
    int failure_limit;            /* failures in a row that quarantine a device */
    double backoff_seconds;       /* the first back-off; doubled on every re-quarantine */
} device_health_rules;

/* What a worker of the device does next (device_health_next()). */
typedef enum device_health_step {
    DEVICE_HEALTH_WORK,           /* not quarantined: take chunks */
    DEVICE_HEALTH_RETEST,         /* this worker runs the re-test (probing is set) */
    DEVICE_HEALTH_WAIT,           /* wait (at most *wait seconds), then ask again */
} device_health_step;

ladder_device_state device_health_state(const device_health *h);
/* An encode (or a re-test encode) starts on the device. */
void device_health_begin(device_health *h);
/* An encode ended: ok, or failed with error (NULL: "encode failed").
 * True when that failure quarantined the device. */
bool device_health_end(device_health *h, const device_health_rules *rules, double now, bool ok,
                       const char *error);
/* The re-test (device_health_next() said RETEST) ended: passed puts the
 * device on probation, else it is quarantined again for twice as long.
 * error: the reason of a failure (the text after "re-test encode failed: "). */
void device_health_retested(device_health *h, const device_health_rules *rules, double now, bool passed,
                            const char *error);
/* Whether the device may still encode (it is not quarantined for good). */
bool device_health_alive(const device_health *h);
/* For a worker of the device before it takes work. */
device_health_step device_health_next(device_health *h, double now, double *wait);

/* The session's side: before an encode on device d (false when a fault
 * device must fail it); after it, ok or the error (one line) it failed
 * with. They take progress_lock. */
bool device_encode_start(ladder_session *s, int d);
void device_encode_end(ladder_session *s, int d, bool ok, const char *error);
/*
 * For a worker of device d before it takes work: returns 0 when the device
 * may work, 1 when its worker should stop (nothing left for it, or the run
 * is failing). Waits out a quarantine and runs the re-test.
 */
int device_gate(ladder_session *s, int d, uint32_t eligible);

#endif /* LADDER_ENGINE_DEVICE_HEALTH_H */
