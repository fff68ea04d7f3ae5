/*
 * Small file-system chores for `ladder bench`: make and remove directory
 * trees, file sizes, the tail of a log, the files of a rung. Errors are
 * negative errno values.
 */
#ifndef LADDER_CLI_BENCH_FS_H
#define LADDER_CLI_BENCH_FS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* mkdir -p; 0 when the directory exists afterwards. */
int bench_fs_mkdir_p(const char *path);

/* rm -rf without following symbolic links; a missing path is not an error. */
int bench_fs_rm_rf(const char *path);

/* Size of a regular file, or a negative errno. */
int64_t bench_fs_size(const char *path);

/* 1 when path is a regular file, else 0. */
int bench_fs_is_file(const char *path);

/*
 * The last non-empty line of a text file, control characters turned into
 * spaces (it is quoted in one-line messages); "" when there is none.
 */
void bench_fs_last_line(const char *path, char *out, size_t size);

/* The first line of a text file, or "" when there is none. */
void bench_fs_first_line(const char *path, char *out, size_t size);

/* The first line of a text file that starts with prefix (leading blanks
 * skipped), or "" when there is none. */
void bench_fs_line_starting(const char *path, const char *prefix, char *out, size_t size);

/*
 * The file a program name runs: a name with a '/' as it is, else the first
 * executable match on $PATH; symbolic links resolved. "" when none is found.
 */
void bench_fs_which(const char *name, char *out, size_t size);

/*
 * The segment files "seg_*.m4s" in dir, sorted by name (they are numbered
 * with leading zeros, so that is playback order). *names is malloc'ed, each
 * name too: free with bench_fs_free_list. Returns the count or a negative
 * errno.
 */
int bench_fs_list_segments(const char *dir, char ***names);
void bench_fs_free_list(char **names, int n);

/* Concatenate files (full paths) into out_path, replacing it. */
int bench_fs_concat(const char *const *parts, int n, const char *out_path);

/* A CMAF rendition directory (init.mp4 + seg_*.m4s) as one fragmented MP4
 * file at out_path: what a player plays, readable by any MP4 demuxer. */
int bench_fs_join_package(const char *dir, const char *out_path);

/* path joined with a relative part; malloc'ed, NULL when out of memory. */
char *bench_fs_join(const char *dir, const char *name);

/* printf into a malloc'ed string; NULL when out of memory. */
char *bench_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *bench_vstrdupf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
