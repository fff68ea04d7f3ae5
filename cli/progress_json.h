/*
 * The "t" of every JSON line `ladder encode --progress json` writes
 * (docs/PROGRESS.md): the wall-clock time, ISO 8601 UTC with
 * milliseconds ("2025-01-31T12:34:56.789Z"). Header-only, so the modules
 * that write their own lines (encode_slots.c, host_config.c) and the unit
 * tests that compile them alone need no other source.
 */
#ifndef LADDER_CLI_PROGRESS_JSON_H
#define LADDER_CLI_PROGRESS_JSON_H

#include <json-c/json.h>
#include <stdio.h>
#include <time.h>

static inline void progress_json_utc(char *buf, size_t size, const struct timespec *ts)
{
    struct tm tm;
    time_t sec = ts->tv_sec;
    char day[32];
    if (!gmtime_r(&sec, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
        snprintf(day, sizeof(day), "1970-01-01T00:00:00");
    unsigned ms = (unsigned)(ts->tv_nsec / 1000000) % 1000u;
    snprintf(buf, size, "%s.%03uZ", day, ms);
}

/* Add "t" (now) to a line's object. */
static inline void progress_json_add_t(json_object *o)
{
    struct timespec ts;
    char t[48];
    clock_gettime(CLOCK_REALTIME, &ts);
    progress_json_utc(t, sizeof(t), &ts);
    json_object_object_add(o, "t", json_object_new_string(t));
}

#endif
