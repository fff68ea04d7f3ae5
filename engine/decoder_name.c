/* The source's decoder by codec and decode device: see decoder_name.h. */
#include "decoder_name.h"

static const char *nvdec_name(enum AVCodecID id)
{
    switch (id) {
    case AV_CODEC_ID_H264: return "h264";
    case AV_CODEC_ID_HEVC: return "hevc";
    case AV_CODEC_ID_AV1: return "av1";
    case AV_CODEC_ID_VP9: return "vp9";
    default: return NULL;
    }
}

const char *decoder_name(enum AVCodecID id, ladder_decode_kind kind)
{
    if (kind == LADDER_DECODE_NVDEC)
        return nvdec_name(id);
    return id == AV_CODEC_ID_AV1 ? "libdav1d" : NULL;
}
