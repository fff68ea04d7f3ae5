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

/* "<dir>/<name>", malloc'ed; NULL when out of memory. */
char *ladder_path_join(const char *dir, const char *name);

/*
 * Remove the temporary files ladder_atomic_write() names (".<name>.tmp.
 * <pid>.<n>") in dir whose writer process is gone: what a killed run left.
 * A live writer's files are left alone.
 */
void ladder_atomic_remove_dead_temps(const char *dir);

/*
 * Remove path and everything under it. A symlink is removed, never
 * followed. 0 (nothing there is fine) or LADDER_EIO when something could
 * not be removed (the rest is removed anyway).
 */
int ladder_remove_tree(const char *path);

/*
 * Put the file or directory at src in place at dst (same file system),
 * for a staged output that replaces an earlier one. dst missing: a plain
 * rename. A file over a file (or a symlink): rename() replaces it in one
 * step and the old one is gone. Where either is a directory, the two are
 * exchanged in one step where the file system can (renameat2
 * RENAME_EXCHANGE), so dst never goes missing, and what was at dst is then
 * moved to aside; elsewhere dst is renamed to aside first, then src to dst
 * (dst is missing in between). The caller removes aside. 0,
 * LADDER_EOUTPUT (src missing, a rename refused) or LADDER_EIO; on failure
 * dst holds the old entry, or the new one when only the move to aside
 * failed (the old one is then left at src).
 */
int ladder_replace_entry(const char *src, const char *dst, const char *aside);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_ATOMIC_FILE_H */
