/* Error names and the CLI exit-code table (documented in README.md). */
#include "ladder/error.h"

const char *ladder_strerror(int err)
{
    switch (err) {
    case LADDER_OK:             return "success";
    case LADDER_EINVAL:         return "invalid argument";
    case LADDER_ENOMEM:         return "out of memory";
    case LADDER_EIO:            return "input/output error";
    case LADDER_EINPUT_MISSING: return "input file not found or not readable";
    case LADDER_EINPUT_INVALID: return "input is not valid media (corrupt, truncated or empty)";
    case LADDER_ENOVIDEO:       return "input has no video stream";
    case LADDER_ECONFIG:        return "invalid ladder description";
    case LADDER_EOUTPUT:        return "output directory is not writable";
    case LADDER_ECANCELED:      return "cancelled";
    case LADDER_EENCODER:       return "encoder failed";
    case LADDER_ECODEC:         return "codec not supported by this build";
    case LADDER_ENOSPC:         return "no space left on the output device";
    case LADDER_EINTERNAL:      return "internal error";
    case LADDER_EBUSY:          return "no device slot free on this host (retry later)";
    case LADDER_ENODEVICE:      return "no device on this host matches the request";
    case LADDER_ELIMIT:         return "input exceeds a configured limit";
    case LADDER_EREFUSED:       return "input refused by the input policy";
    case LADDER_ESTOPPED:       return "stopped at a chunk boundary (resume with --resume)";
    case LADDER_ERESUME:        return "cannot resume: the output belongs to another job";
    case LADDER_EOWNED:         return "output exists and was made by another job (not replaced)";
    default:                    return "unknown error";
    }
}

int ladder_exit_code(int err)
{
    switch (err) {
    case LADDER_OK:             return 0;
    case LADDER_EINVAL:         return 2;
    case LADDER_EINPUT_MISSING: return 3;
    case LADDER_EINPUT_INVALID: return 4;
    case LADDER_ENOVIDEO:       return 5;
    case LADDER_ECONFIG:        return 6;
    case LADDER_EOUTPUT:        return 7;
    case LADDER_EENCODER:       return 8;
    case LADDER_ENOSPC:         return 9;
    case LADDER_ECODEC:         return 10;
    case LADDER_ENODEVICE:      return 11;  /* another node may have one */
    case LADDER_ELIMIT:         return 12;
    case LADDER_EREFUSED:       return 13;
    case LADDER_ESTOPPED:       return 14;  /* resumable: the queue may retry with --resume */
    case LADDER_ERESUME:        return 15;
    case LADDER_EOWNED:         return 16;  /* another job's output: a retry cannot help */
    case LADDER_EBUSY:          return 75;  /* EX_TEMPFAIL: a queue retries it */
    case LADDER_ECANCELED:      return 130;
    default:                    return 1;
    }
}
