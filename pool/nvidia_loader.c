/*
 * Fills the NVIDIA driver table from the real libraries through
 * nv-codec-headers' loader (dlopen at run time), so ladder never links
 * libcuda, libnvcuvid or libnvidia-encode and starts on hosts without them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The loader prints to stderr when a library or symbol is missing; for a
 * probe that is an expected answer, so its words become the reason instead. */
typedef struct loader_message {
    char text[128];
} loader_message;

static void loader_log(void *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void loader_log(void *ctx, const char *fmt, ...)
{
    loader_message *message = ctx;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message->text, sizeof(message->text), fmt, ap);
    va_end(ap);
    message->text[strcspn(message->text, "\n")] = '\0';
}

#define FFNV_LOG_FUNC(logctx, msg, ...) loader_log((logctx), (msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))
#include <ffnvcodec/dynlink_loader.h>

#include "device_probe.h"
#include "ladder/error.h"

typedef struct nvidia_libraries {
    CudaFunctions *cuda;
    CuvidFunctions *cuvid;
    NvencFunctions *nvenc;
} nvidia_libraries;

/* "Cannot load libcuda.so.1" -> "libcuda.so.1 not found"; a missing symbol
 * (an old or partial driver) is named as such. */
static void describe_failure(const loader_message *message, const char *library,
                             char *why, size_t why_size)
{
    const char *prefix = "Cannot load ";
    const char *what = message->text;
    if (!strncmp(what, prefix, strlen(prefix)))
        what += strlen(prefix);
    if (!what[0] || !strcmp(what, library))
        snprintf(why, why_size, "%s not found", library);
    else
        snprintf(why, why_size, "%s lacks %s (driver too old?)", library, what);
}

/* The probe's pause between NVENC session tries (interrupted sleeps resume). */
static void sleep_ms(int milliseconds)
{
    struct timespec left = { milliseconds / 1000, (long)(milliseconds % 1000) * 1000000L };
    while (nanosleep(&left, &left) == -1 && errno == EINTR)
        ;
}

int nvidia_driver_open(ladder_nvidia_api *api, char *why, size_t why_size)
{
    memset(api, 0, sizeof(*api));
    nvidia_libraries *libs = calloc(1, sizeof(*libs));
    if (!libs)
        return LADDER_ENOMEM;
    loader_message message = { "" };
    if (cuda_load_functions(&libs->cuda, &message) < 0) {
        describe_failure(&message, "libcuda.so.1", why, why_size);
        free(libs);
        return LADDER_ECODEC;
    }
    CudaFunctions *cu = libs->cuda;
    api->cuInit = cu->cuInit;
    api->cuDeviceGetCount = cu->cuDeviceGetCount;
    api->cuDeviceGet = cu->cuDeviceGet;
    api->cuDeviceGetName = cu->cuDeviceGetName;
    api->cuDeviceGetAttribute = cu->cuDeviceGetAttribute;
    api->cuCtxCreate = cu->cuCtxCreate;
    api->cuCtxDestroy = cu->cuCtxDestroy;
    api->cuDeviceGetUuid = cu->cuDeviceGetUuid;
    api->cuGetErrorName = cu->cuGetErrorName;
    /* The loader has no memory queries; the _v2 (size_t) entry points have
     * been in every driver since CUDA 3.2. */
    api->cuDeviceTotalMem = (ladder_tcuDeviceTotalMem *)dlsym(cu->lib, "cuDeviceTotalMem_v2");
    api->cuMemGetInfo = (ladder_tcuMemGetInfo *)dlsym(cu->lib, "cuMemGetInfo_v2");
    /* The loader takes the v1 UUID call only, which names a MIG instance
     * by its parent GPU; drivers since CUDA 11.4 have the _v2 beside it. */
    api->cuDeviceGetUuid_v2 = (tcuDeviceGetUuid *)dlsym(cu->lib, "cuDeviceGetUuid_v2");
    api->sleep_ms = sleep_ms;

    message.text[0] = '\0';
    if (cuvid_load_functions(&libs->cuvid, &message) < 0)
        describe_failure(&message, "libnvcuvid.so.1", api->cuvid_missing,
                         sizeof(api->cuvid_missing));
    else if (!libs->cuvid->cuvidGetDecoderCaps)
        snprintf(api->cuvid_missing, sizeof(api->cuvid_missing),
                 "libnvcuvid.so.1 lacks cuvidGetDecoderCaps (driver too old?)");
    else
        api->cuvidGetDecoderCaps = libs->cuvid->cuvidGetDecoderCaps;

    message.text[0] = '\0';
    if (nvenc_load_functions(&libs->nvenc, &message) < 0)
        describe_failure(&message, "libnvidia-encode.so.1", api->nvenc_missing,
                         sizeof(api->nvenc_missing));
    else
        api->NvEncodeAPICreateInstance = libs->nvenc->NvEncodeAPICreateInstance;

    api->loader_state = libs;
    return 0;
}

void nvidia_driver_close(ladder_nvidia_api *api)
{
    nvidia_libraries *libs = api->loader_state;
    if (!libs)
        return;
    /* Each *_free_functions tolerates a NULL table (a library not found). */
    nvenc_free_functions(&libs->nvenc);
    cuvid_free_functions(&libs->cuvid);
    cuda_free_functions(&libs->cuda);
    free(libs);
    api->loader_state = NULL;
}
