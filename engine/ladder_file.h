/*
 * Ladder files read into the option table: the rungs, and every other
 * top-level key through its row (engine/job_options.h), so a key of a
 * ladder file means what the flag of the same option means.
 */
#ifndef LADDER_ENGINE_LADDER_FILE_H
#define LADDER_ENGINE_LADDER_FILE_H

#include <stddef.h>

#include "engine/job_options.h"
#include "ladder/ladder.h"

/*
 * Read path: *rungs (malloc'ed, caller frees) and *nb_rungs, and the file's
 * options set in opts as JOB_OPT_FILE. LADDER_ECONFIG (LADDER_EINPUT_MISSING
 * when it cannot be opened) with one line naming the file in err; nothing
 * is returned then, though opts may hold the keys before the bad one.
 */
int ladder_file_load(const char *path, ladder_rung **rungs, int *nb_rungs, job_options *opts, char *err,
                     size_t err_size);

#endif
