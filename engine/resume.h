/*
 * Private to engine/: the session's side of stopping and resuming
 * (resume.c); the journal itself is resume_journal.c.
 */
#ifndef LADDER_ENGINE_RESUME_H
#define LADDER_ENGINE_RESUME_H

#include <stddef.h>

#include "mux/cmaf_writer.h"

typedef struct ladder_session ladder_session;
typedef struct rung_ctx rung_ctx;

/* After the pre-flight, before anything in the output directory changes:
 * with job.resume, read its journal and check it against this job
 * (LADDER_ERESUME when it is another job's, unless IF_SAME_JOB). */
int resume_check(ladder_session *s);
/* Then, before the writers open: keep what the journal vouches for and
 * start a fresh journal. */
int resume_prepare(ladder_session *s);
/* "video/<rung>": the track name in the journal. */
void resume_track_name(const rung_ctx *r, char *buf, size_t size);
/* A segment of rung r is in place (finalizer, under its lock). */
int resume_record(ladder_session *s, rung_ctx *r, const ladder_cmaf_segment *seg);
void resume_stopped(ladder_session *s, const char *reason);
void resume_close(ladder_session *s);

#endif /* LADDER_ENGINE_RESUME_H */
