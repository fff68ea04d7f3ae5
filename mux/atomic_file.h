/*
 * Atomic output files: data is written to a hidden temporary name in the
 * destination directory, flushed, then renamed over the final name, so a
 * reader (a player, a CDN origin, a retried job) sees either nothing or the
 * complete file, never a torn one.
 */
#ifndef LADDER_ATOMIC_FILE_H
#define LADDER_ATOMIC_FILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Write len bytes of data to path atomically. Returns 0, LADDER_ENOSPC when
 * the device is full, LADDER_EOUTPUT when the directory is not writable, or
 * LADDER_EIO. On failure no file named path is created or changed, and the
 * temporary file is removed.
 */
int ladder_atomic_write(const char *path, const void *data, size_t len);

/* Create dir and its parents (mode 0755). 0 or LADDER_EOUTPUT. */
int ladder_mkdir_p(const char *dir);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_ATOMIC_FILE_H */
