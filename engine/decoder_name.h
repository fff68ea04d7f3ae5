/*
 * Which libavcodec decoder ladder opens for the source: private to
 * engine/ (video_decoder.c) and its unit test.
 *
 * avcodec_find_decoder() returns the first decoder registered for a codec,
 * and FFmpeg 5.1 registers external libraries before its native decoders
 * that are only hwaccel hooks (libavcodec/allcodecs.c: "hwaccel hooks
 * only, so prefer external decoders"): for AV1 that is libdav1d, which has
 * no CUDA hwaccel. NVDEC is a hwaccel of the native decoders (their
 * hw_configs), so on NVDEC each codec's native decoder is opened by name.
 * The native "av1" decodes nothing without a hwaccel in 5.1
 * (av1dec.c, get_pixel_format(): "Your platform doesn't support hardware
 * accelerated AV1 decoding", ENOSYS), so the CPU decoder of AV1, the one a
 * switch from NVDEC falls back to, is libdav1d by name.
 */
#ifndef LADDER_ENGINE_DECODER_NAME_H
#define LADDER_ENGINE_DECODER_NAME_H

#include <libavcodec/codec_id.h>

#include "ladder/ladder.h"

/* The decoder's name for codec id on decode kind; NULL: whatever
 * avcodec_find_decoder() gives (the CPU path as it has always been).
 * LADDER_DECODE_QSV has decoders of its own (video_decoder.c); here it
 * and the fault drill get the CPU's answer, their fallback. */
const char *decoder_name(enum AVCodecID id, ladder_decode_kind kind);

#endif /* LADDER_ENGINE_DECODER_NAME_H */
