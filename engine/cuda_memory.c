/*
 * How much memory the decoding GPU has free, asked of the driver through
 * the CUDA context libavutil made for the decoder. libavutil loaded
 * libcuda.so.1 for that context (nv-codec-headers' loader), so it is only
 * looked up here (RTLD_NOLOAD), never loaded: ladder does not link the
 * driver. cuMemGetInfo is not in nv-codec-headers' function table, so the
 * few entry points are found by name, as pool/nvidia_loader.c does.
 */
#include <dlfcn.h>

#include <ffnvcodec/dynlink_cuda.h>
#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>

#include "gpu_budget.h"

typedef CUresult CUDAAPI mem_get_info_fn(size_t *free_bytes, size_t *total_bytes);

int cuda_memory_query(AVBufferRef *cuda_device, int64_t *free_bytes, int *texture_alignment)
{
    if (!cuda_device)
        return -1;
    const AVHWDeviceContext *dev = (const AVHWDeviceContext *)cuda_device->data;
    if (dev->type != AV_HWDEVICE_TYPE_CUDA)
        return -1;
    const AVCUDADeviceContext *cuda = dev->hwctx;
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (!lib)
        return -1;
    tcuCtxPushCurrent_v2 *push = (tcuCtxPushCurrent_v2 *)dlsym(lib, "cuCtxPushCurrent_v2");
    tcuCtxPopCurrent_v2 *pop = (tcuCtxPopCurrent_v2 *)dlsym(lib, "cuCtxPopCurrent_v2");
    tcuCtxGetDevice *get_device = (tcuCtxGetDevice *)dlsym(lib, "cuCtxGetDevice");
    tcuDeviceGetAttribute *attribute = (tcuDeviceGetAttribute *)dlsym(lib, "cuDeviceGetAttribute");
    mem_get_info_fn *mem_info = (mem_get_info_fn *)dlsym(lib, "cuMemGetInfo_v2");
    int ret = -1;
    CUcontext dummy;
    if (push && pop && mem_info && push(cuda->cuda_ctx) == CUDA_SUCCESS) {
        size_t avail = 0, total = 0;
        if (mem_info(&avail, &total) == CUDA_SUCCESS) {
            *free_bytes = (int64_t)avail;
            ret = 0;
        }
        CUdevice device;
        int align = 0;
        /* What hwcontext_cuda.c aligns frame pitches to. */
        if (ret == 0 && get_device && attribute && get_device(&device) == CUDA_SUCCESS &&
            attribute(&align, CU_DEVICE_ATTRIBUTE_TEXTURE_ALIGNMENT, device) == CUDA_SUCCESS && align > 0)
            *texture_alignment = align;
        pop(&dummy);
    }
    dlclose(lib);
    return ret;
}
