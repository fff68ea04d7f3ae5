/*
 * An Intel adapter as a libavutil QSV device: the encoders' and the
 * decoder's one way to name it, so both land on the same GPU.
 */
#include <stdio.h>

#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>

#include "session_internal.h"

int qsv_device_create(AVBufferRef **out, int adapter, char *node, size_t node_size)
{
    /* The adapter's DRM render node (numbered from 128 in adapter order)
     * under a QSV device. */
    snprintf(node, node_size, "/dev/dri/renderD%d", 128 + (adapter > 0 ? adapter : 0));
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "child_device", node, 0);
    int ret = av_hwdevice_ctx_create(out, AV_HWDEVICE_TYPE_QSV, "hw", opts, 0);
    av_dict_free(&opts);
    return ret;
}
