/*
 * RFC 6381 codec strings ("avc1.64001f", "hvc1.1.6.L93.B0", "mp4a.40.2") computed from the real
 * bitstream configuration, for HLS CODECS and DASH codecs attributes.
 */
#ifndef LADDER_CODEC_STRING_H
#define LADDER_CODEC_STRING_H

#include <stdbool.h>
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
 * HEVC (ISO/IEC 14496-15 Annex E): "hvc1.<profile space letter><profile_idc>.
 * <compatibility flags, bit-reversed, hex>.<L|H><level_idc>[.<constraint
 * byte, hex>...]" with trailing zero constraint bytes left out, e.g.
 * "hvc1.1.6.L93.B0". Read from the general profile_tier_level of the first
 * base-layer SPS (else VPS) in extradata, either an hvcC record (first byte
 * 1) or Annex B start-code NAL units; emulation prevention bytes are
 * removed first. Returns 0 or LADDER_EINVAL when no readable SPS/VPS is
 * found (or level_idc is 0) or buf is too small; buf is then "".
 */
int ladder_codec_string_hevc(const uint8_t *extradata, size_t size,
                             char *buf, size_t buf_size);

/*
 * AV1 (AV1-ISOBMFF, codecs parameter string): "av01.<seq_profile>.
 * <seq_level_idx[0], two digits><M|H tier>.<bit depth, two digits>", e.g.
 * "av01.0.04M.08" (the short form: the optional colour fields are left
 * out, which the specification allows). Read from the first sequence
 * header OBU in data: either OBUs (low overhead format, e.g. a sequence
 * header OBU as ladder keeps it) or an av1C record (first byte 0x81) whose
 * configOBUs hold one. Returns 0 or LADDER_EINVAL when there is no
 * readable sequence header or buf is too small; buf is then "".
 */
int ladder_codec_string_av1(const uint8_t *data, size_t size,
                            char *buf, size_t buf_size);

/*
 * AAC: "mp4a.40.<audioObjectType>" from an AudioSpecificConfig
 * (escape value 31 handled). Returns 0 or LADDER_EINVAL.
 */
int ladder_codec_string_aac(const uint8_t *asc, size_t size,
                            char *buf, size_t buf_size);

/*
 * Whether a decoder set up for the stream that the codec string declared
 * describes can also decode a stream described by candidate: the same
 * codec (avc1/avc3 and hvc1/hev1 count as one), a profile the declared one
 * contains (H.264 Constrained Baseline < Main < High; HEVC Main < Main 10)
 * and constraint flags it promises, a tier and level no higher. Other
 * codecs (AV1, AAC) must be equal. Used for in-band parameter sets, where
 * chunks of one rendition may come from encoders whose parameter sets
 * differ while the playlist declares one codecs string.
 */
bool ladder_codec_string_decodable(const char *declared, const char *candidate);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_CODEC_STRING_H */
