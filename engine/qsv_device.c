/*
 * An Intel adapter as a libavutil QSV device: the encoders' and the
 * decoder's one way to name it, so both land on the same GPU.
 */
#include "qsv_device.h"

#include <stdbool.h>
#include <stdio.h>

#include <libavutil/dict.h>
#include <libavutil/hwcontext.h>

int qsv_device_create(AVBufferRef **out, const char *render_node, char *node, size_t node_size)
{
    /* The render node the inventory matched to the adapter by PCI address
     * (pool/intel_probe.c), as the VA display under the QSV device: never
     * 128 + an index, which lands on another vendor's GPU or the wrong
     * Intel one. pool/intel_probe.c opens its trial devices the same way
     * ("hw" over child_device); keep the two alike. Without a node FFmpeg
     * takes its default: the first render node whose kernel driver is
     * i915. */
    bool named = render_node && render_node[0];
    snprintf(node, node_size, "%s", named ? render_node : "the default Intel adapter");
    AVDictionary *opts = NULL;
    int ret = named ? av_dict_set(&opts, "child_device", render_node, 0) : 0;
    if (ret >= 0)
        ret = av_hwdevice_ctx_create(out, AV_HWDEVICE_TYPE_QSV, "hw", opts, 0);
    av_dict_free(&opts);
    return ret;
}
