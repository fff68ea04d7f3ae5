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

enum ladder_error {
    LADDER_OK              =   0,
    LADDER_EINVAL          =  -1, /* bad argument from the caller */
    LADDER_ENOMEM          =  -2, /* allocation failed */
    LADDER_EIO             =  -3, /* read or write failed */
    LADDER_EINPUT_MISSING  =  -4, /* input file does not exist / not readable */
    LADDER_EINPUT_INVALID  =  -5, /* not media, corrupt, truncated, zero-length */
    LADDER_ENOVIDEO        =  -6, /* input has no video stream */
    LADDER_ECONFIG         =  -7, /* bad ladder description */
    LADDER_EOUTPUT         =  -8, /* output directory not writable */
    LADDER_ECANCELED       =  -9, /* cancelled by the caller or a signal */
    LADDER_EENCODER        = -10, /* an encoder failed to open or encode */
    LADDER_ECODEC          = -11, /* codec not supported by this build */
    LADDER_ENOSPC          = -12, /* output device full */
    LADDER_EINTERNAL       = -13, /* a bug: invariant broken inside ladder */
    LADDER_EBUSY           = -14, /* no device slot free on the host and the job
                                     would not wait: retry later (exit 75) */
    LADDER_ENODEVICE       = -15, /* no device on this host matches the request */
    LADDER_ELIMIT          = -16, /* input outside a configured limit (picture size,
                                     aspect ratio, duration) */
    LADDER_EREFUSED        = -17, /* input refused by the input policy: a protocol
                                     not allowed, or a playlist/concat-style format
                                     that would open other files or URLs */
    LADDER_ESTOPPED        = -18, /* stopped at a chunk boundary on request: the
                                     finished segments are kept, --resume goes on */
    LADDER_ERESUME         = -19, /* --resume: the output's journal was written for
                                     another input or ladder */
    LADDER_EOWNED          = -20, /* `ladder job`: the final output exists and was
                                     made by another job (its .ladder-job names
                                     another type or id): not replaced */
};

/* A static English description of err; never NULL. */
LADDER_API const char *ladder_strerror(int err);

/*
 * Exit status of the `ladder` command for err (0 for LADDER_OK). The table is
 * documented in the README; it is part of the CLI's contract.
 */
LADDER_API int ladder_exit_code(int err);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_ERROR_H */
