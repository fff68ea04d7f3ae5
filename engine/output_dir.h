/*
 * Private to engine/: whose the output directory is, where a run writes,
 * and how a re-run replaces an earlier output (README "Output
 * directories").
 *
 * ladder's own output is a directory that holds its resume journal
 * (.ladder-resume, whose job line reads back): every run writes it before
 * any media file and keeps it however the run ends. A run writes in place
 * into a missing or empty directory, and with --resume into the output of
 * the same job; a re-run into ladder's own output (or, forced, into a
 * directory ladder did not make) writes into OUTDIR/.ladder-next and, once
 * complete, puts every one of ladder's names in place there with renames,
 * removing what this run did not make: a failed or stopped re-run leaves
 * the earlier output as it was. Anything else is refused (LADDER_EEXIST).
 */
#ifndef LADDER_ENGINE_OUTPUT_DIR_H
#define LADDER_ENGINE_OUTPUT_DIR_H

#include <stdbool.h>

typedef struct ladder_session ladder_session;

/* Where a re-run is written until it is complete, and the name that
 * directory takes while it replaces the earlier output (so a commit cut
 * short is never taken for a stopped run to resume). */
#define OUTPUT_DIR_STAGING ".ladder-next"
#define OUTPUT_DIR_SWAP ".ladder-swap"

typedef enum output_dir_state {
    OUTPUT_DIR_EMPTY,             /* missing, or nothing in it */
    OUTPUT_DIR_OURS,              /* ladder's output: its journal reads back */
    OUTPUT_DIR_FOREIGN,           /* something else is there */
} output_dir_state;

typedef enum output_dir_action {
    OUTPUT_DIR_IN_PLACE,          /* write into it */
    OUTPUT_DIR_STAGED,            /* write beside, then replace ladder's names */
    OUTPUT_DIR_REFUSED,           /* LADDER_EEXIST */
} output_dir_action;

/* The state of dir (reads only; a directory that cannot be listed is
 * FOREIGN, one that is not there or not a directory EMPTY: making it
 * reports those). */
output_dir_state output_dir_state_of(const char *dir);

/* The rule (pure). resuming: the journal there was written for this job
 * (--resume keeps its segments). */
output_dir_action output_dir_decide(output_dir_state state, bool resuming, bool force);

/* Before resume_check(), with job.resume: a re-run stopped before it was
 * complete left its work and journal in OUTDIR/.ladder-next; this run
 * continues that one, so the session is pointed at it. Reads only. */
int output_dir_find_staged(ladder_session *s);

/* After resume_check(), before anything is written: refuse a directory
 * ladder did not make (unless job.force_output), create it, and for a
 * re-run point the session at a fresh staging directory. */
int output_dir_claim(ladder_session *s);

/* The directory the caller named (the session may be writing in
 * OUTDIR/.ladder-next). */
const char *output_dir_final(const ladder_session *s);

/* After the report: a staged run's files replace the earlier output
 * (every name ladder writes there: what this run did not make goes), and
 * what earlier runs left (a staging directory, temporary files of writers
 * that are gone) is removed. */
int output_dir_commit(ladder_session *s);

/* Frees what the session's output directory state owns. */
void output_dir_close(ladder_session *s);

#endif
