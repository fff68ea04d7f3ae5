/*
 * ladder error codes.
 *
 * Every fallible function in libladder returns 0 on success or one of these
 * negative codes (libuv style). ladder_strerror() names the code in words;
 * ladder_exit_code() maps it to the documented exit status of the CLI, so a
 * queue or a shell script can tell "fix your input" from "retry later".
 */
#ifndef LADDER_ERROR_H
#define LADDER_ERROR_H

#include "ladder/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The one table of ladder's outcomes: X(NAME, code, exit status, class,
 * description), in code order. The enum, ladder_strerror(),
 * ladder_exit_code(), ladder_error_info_at(), `ladder help exit-codes` (and
 * its --json list, which the BullMQ worker reads at start-up) and the
 * README's table all come from or are checked against it, so a row added
 * here is everywhere at once. A code's value and exit status never change:
 * scripts and queues depend on them.
 *
 * The class says what a job queue does with the exit status. A queue sees
 * only the exit status, so every row of one exit status has one class:
 *   ok           done
 *   internal     an error the job does not explain (a bug, memory, I/O):
 *                an ordinary failure, retried as the queue's attempts say
 *   usage        the command line is wrong: the caller must change it
 *                (retried as an ordinary failure, which will not help)
 *   fix-input    the job itself is wrong (input, ladder, limit, policy,
 *                another job's output): fail for good, no retry can help
 *   environment  this host, this build or the output directory cannot do
 *                it now: an ordinary failure, a later try or another node
 *                may succeed
 *   stopped      stopped on request at a chunk boundary: put the job back,
 *                its next run resumes from the kept segments
 *   retry-later  nothing free to run it on now: back off and retry, not
 *                counted as a failed attempt
 *   cancelled    cancelled by the caller or a second signal
 */
#define LADDER_ERROR_TABLE(X)                                                                       \
    X(LADDER_OK,                0,   0, "ok",            "success")                                 \
    /* bad argument from the caller */                                                              \
    X(LADDER_EINVAL,           -1,   2, "usage",         "invalid argument")                        \
    X(LADDER_ENOMEM,           -2,   1, "internal",      "out of memory")                           \
    /* a read or write failed */                                                                    \
    X(LADDER_EIO,              -3,   1, "internal",      "input/output error")                      \
    X(LADDER_EINPUT_MISSING,   -4,   3, "fix-input",     "input file not found or not readable")    \
    /* not media, corrupt, truncated, zero-length */                                                \
    X(LADDER_EINPUT_INVALID,   -5,   4, "fix-input",                                                \
      "input is not valid media (corrupt, truncated or empty)")                                     \
    X(LADDER_ENOVIDEO,         -6,   5, "fix-input",     "input has no video stream")               \
    /* bad ladder description or host configuration */                                              \
    X(LADDER_ECONFIG,          -7,   6, "fix-input",     "invalid ladder description")              \
    X(LADDER_EOUTPUT,          -8,   7, "environment",   "output directory is not writable")        \
    /* by the caller, or a second SIGINT/SIGTERM */                                                 \
    X(LADDER_ECANCELED,        -9, 130, "cancelled",     "cancelled")                               \
    /* an encoder failed to open or encode */                                                       \
    X(LADDER_EENCODER,        -10,   8, "environment",   "encoder failed")                          \
    X(LADDER_ECODEC,          -11,  10, "environment",   "codec not supported by this build")       \
    X(LADDER_ENOSPC,          -12,   9, "environment",   "no space left on the output device")      \
    /* a bug: an invariant broken inside ladder */                                                  \
    X(LADDER_EINTERNAL,       -13,   1, "internal",      "internal error")                          \
    /* the job would not wait for a slot: EX_TEMPFAIL */                                            \
    X(LADDER_EBUSY,           -14,  75, "retry-later",                                              \
      "no device slot free on this host (retry later)")                                             \
    /* another node may have one */                                                                 \
    X(LADDER_ENODEVICE,       -15,  11, "environment",                                              \
      "no device on this host matches the request")                                                 \
    /* picture size, aspect ratio, duration, memory */                                              \
    X(LADDER_ELIMIT,          -16,  12, "fix-input",     "input exceeds a configured limit")        \
    /* a protocol not allowed, or a playlist-like format opening other files */                     \
    X(LADDER_EREFUSED,        -17,  13, "fix-input",     "input refused by the input policy")       \
    /* the finished segments are kept: --resume goes on */                                          \
    X(LADDER_ESTOPPED,        -18,  14, "stopped",                                                  \
      "stopped at a chunk boundary (resume with --resume)")                                         \
    /* --resume: the output's journal is for another input or ladder */                             \
    X(LADDER_ERESUME,         -19,  15, "environment",                                              \
      "cannot resume: the output belongs to another job")                                           \
    /* `ladder job`: its .ladder-job names another type or id */                                    \
    X(LADDER_EOWNED,          -20,  16, "fix-input",                                                \
      "output exists and was made by another job (not replaced)")                                   \
    X(LADDER_EUSAGE,          -21,   2, "usage",                                                    \
      "bad command line: an unknown option, a missing or malformed argument")                       \
    /* ladder encode: OUTDIR holds files and no ladder journal (README "Output directories") */    \
    X(LADDER_EEXIST,          -22,  17, "fix-input",                                                \
      "the output directory is not empty and was not made by ladder: use --force")

#define LADDER_ERROR_ENUM_ROW_(name, code, exit_status, cls, text) name = code,
enum ladder_error {
    LADDER_ERROR_TABLE(LADDER_ERROR_ENUM_ROW_)
};
#undef LADDER_ERROR_ENUM_ROW_

/* A static English description of err; never NULL ("unknown error" for a
 * code outside the table). */
LADDER_API const char *ladder_strerror(int err);

/*
 * Exit status of the `ladder` command for err (0 for LADDER_OK, 1 for a code
 * outside the table). The table is documented in the README; it is part of
 * the CLI's contract.
 */
LADDER_API int ladder_exit_code(int err);

/* One row of the table, for an embedder that lists or maps them. */
typedef struct ladder_error_info {
    const char *name;         /* "LADDER_EINVAL" */
    int code;                 /* LADDER_EINVAL */
    int exit_status;          /* ladder_exit_code(code) */
    const char *exit_class;   /* "fix-input", ... (see above) */
    const char *description;  /* ladder_strerror(code) */
} ladder_error_info;

/* How many rows the table has. */
LADDER_API int ladder_error_count(void);

/* Row i (0 .. ladder_error_count() - 1, in code order: 0, -1, -2, ...);
 * NULL outside that range. Static: never freed. */
LADDER_API const ladder_error_info *ladder_error_info_at(int i);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_ERROR_H */
