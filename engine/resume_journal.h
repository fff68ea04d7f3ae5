/*
 * The resume journal: what `ladder encode --resume` trusts of an output
 * directory that an interrupted run left behind.
 *
 * One file, OUTDIR/.ladder-resume, of text lines. The first names the job
 * (a fingerprint: input, segment plan, every rung's settings and decoder
 * configuration); each later one records a segment file after it was
 * renamed into place (track, number, size, CRC-32 and what the playlists
 * and the writer need to go on from it), or an event (a stop). Every line
 * is "CRC32HEX JSON\n" and is written with one write(2), so a run killed at
 * any moment leaves a journal whose last line is whole or detectably torn;
 * a torn or altered line and everything after it are ignored. A segment
 * counts only when its file is still there with the recorded size and CRC.
 *
 * Thread safety: appends to one journal may come from any thread (a lock
 * keeps lines whole); the state functions are plain data.
 */
#ifndef LADDER_RESUME_JOURNAL_H
#define LADDER_RESUME_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "mux/cmaf_writer.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LADDER_RESUME_FILE ".ladder-resume"

/* A parsed journal. */
typedef struct ladder_resume_record {
    char track[64];               /* "video/720p": directory under OUTDIR */
    ladder_cmaf_segment seg;
} ladder_resume_record;

typedef struct ladder_resume_state {
    char *fingerprint;            /* the job line's text, as written */
    ladder_resume_record *records; /* segment lines in file order */
    int nb_records;
    int stops;                    /* stop events seen */
    int ignored_lines;            /* torn or altered lines (and all after them) */
} ladder_resume_state;

/*
 * Parse a journal's bytes. Returns 0, LADDER_EINPUT_INVALID when the first
 * line is not a whole job line of this version (nothing can be trusted), or
 * LADDER_ENOMEM.
 */
int ladder_resume_parse(const char *text, size_t len, ladder_resume_state **out);

/* Read and parse dir/.ladder-resume: LADDER_EINPUT_MISSING when there is
 * none, else as ladder_resume_parse() (LADDER_EIO on a read error). */
int ladder_resume_load(const char *dir, ladder_resume_state **out);

void ladder_resume_state_free(ladder_resume_state *st);

/*
 * The segments of track that can be kept: numbers 1..n, each the last
 * record of its number, stopping at the first number with no record or
 * whose file dir/track/uri is missing or differs in size or CRC (it and
 * everything after it are made again). *segs (malloc'd, the caller frees
 * it; NULL when *nb is 0) gets them in order. 0 or LADDER_ENOMEM.
 */
int ladder_resume_kept(const ladder_resume_state *st, const char *dir, const char *track,
                       ladder_cmaf_segment **segs, int *nb);

/*
 * The first line in which two fingerprints differ, for an error message:
 * copies "'<then>' became '<now>'" into buf. 0 when they are equal.
 */
int ladder_resume_fingerprint_diff(const char *then, const char *now, char *buf, size_t size);

typedef struct ladder_resume_journal ladder_resume_journal;

/*
 * Start dir/.ladder-resume afresh with the job line and the given records
 * (the segments a resumed run keeps), atomically (a temporary file renamed
 * over the old journal), and keep it open for appends.
 */
int ladder_resume_journal_create(ladder_resume_journal **out, const char *dir, const char *fingerprint,
                                 const ladder_resume_record *records, int nb_records);
/* One segment, after its file is in place. 0, or LADDER_ENOSPC/LADDER_EIO. */
int ladder_resume_journal_add(ladder_resume_journal *j, const char *track, const ladder_cmaf_segment *seg);
/* An event line ("stopped" with a reason); informative for people, counted
 * by the parser. */
int ladder_resume_journal_event(ladder_resume_journal *j, const char *event, const char *reason);
void ladder_resume_journal_close(ladder_resume_journal *j);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_RESUME_JOURNAL_H */
