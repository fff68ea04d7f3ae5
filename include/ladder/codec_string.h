/*
 * RFC 6381 codec strings ("avc1.64001f", "mp4a.40.2") computed from the real
 * bitstream configuration, for HLS CODECS and DASH codecs attributes.
 */
#ifndef LADDER_CODEC_STRING_H
#define LADDER_CODEC_STRING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * H.264: profile_idc, constraint flags and level_idc taken from the first SPS
 * found in extradata, which may be either an avcC record
 * (ISO/IEC 14496-15, first byte 1) or Annex B start-code NAL units.
 * Writes e.g. "avc1.64001f" (lower-case hex). Returns 0 or LADDER_EINVAL
 * when no SPS is found or buf is too small.
 */
int ladder_codec_string_h264(const uint8_t *extradata, size_t size,
                             char *buf, size_t buf_size);

/*
 * AAC: "mp4a.40.<audioObjectType>" from an AudioSpecificConfig
 * (escape value 31 handled). Returns 0 or LADDER_EINVAL.
 */
int ladder_codec_string_aac(const uint8_t *asc, size_t size,
                            char *buf, size_t buf_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_CODEC_STRING_H */
