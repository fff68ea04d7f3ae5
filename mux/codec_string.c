/*
 * RFC 6381 codec strings: see include/ladder/codec_string.h.
 *
 * The strings come from the encoder's own extradata rather than from the
 * requested profile and level, because x264 may settle on different ones
 * and a player that is told the wrong level may refuse the stream.
 *
 * Input is untrusted in the sense that it may be truncated: every read is
 * checked against size first.
 */
#include "ladder/codec_string.h"

#include <stdarg.h>
#include <stdio.h>

#include "ladder/error.h"

#define H264_NAL_SPS 7

/* NAL header, profile_idc, constraint flags, level_idc. */
#define SPS_PREFIX_BYTES 4

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
/* snprintf that leaves an empty string, not a truncated one, when buf is
 * too small: a cut-off codec string would still look plausible. */
static int format_checked(char *buf, size_t buf_size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, buf_size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= buf_size) {
        buf[0] = '\0';
        return LADDER_EINVAL;
    }
    return 0;
}

/*
 * Formats from an SPS NAL unit (header byte included). Only the three bytes
 * after the header are read; they never contain an emulation prevention
 * byte, because profile_idc is never zero and an 0x03 is only inserted
 * after two zero bytes.
 */
static int format_sps(const uint8_t *nal, size_t nal_size, char *buf, size_t buf_size)
{
    if (nal_size < SPS_PREFIX_BYTES)
        return LADDER_EINVAL;
    if ((nal[0] & 0x80) || (nal[0] & 0x1f) != H264_NAL_SPS)
        return LADDER_EINVAL;
    return format_checked(buf, buf_size, "avc1.%02x%02x%02x", nal[1], nal[2], nal[3]);
}

/*
 * avcC (ISO/IEC 14496-15 5.3.3.1): version, profile, compatibility, level,
 * lengthSizeMinusOne, numOfSequenceParameterSets (low 5 bits), then each
 * SPS as a 16-bit big-endian length and the NAL unit. The copies of
 * profile and level in bytes 1..3 are not used: the SPS is what the decoder
 * acts on, and some muxers fill the header from other sources.
 */
static int from_avcc(const uint8_t *p, size_t size, char *buf, size_t buf_size)
{
    if (size < 6)
        return LADDER_EINVAL;
    unsigned nb_sps = p[5] & 0x1f;
    size_t pos = 6;
    for (unsigned i = 0; i < nb_sps; i++) {
        if (size - pos < 2)
            return LADDER_EINVAL;
        size_t len = (size_t)p[pos] << 8 | p[pos + 1];
        pos += 2;
        if (size - pos < len)
            return LADDER_EINVAL;
        if (format_sps(p + pos, len, buf, buf_size) == 0)
            return 0;
        pos += len;
    }
    return LADDER_EINVAL;
}

/* Whether p[0..2] (all in bounds) is 00 00 00 or 00 00 01: no NAL unit
 * contains either, so one ends the current unit. */
static int ends_nal(const uint8_t *p)
{
    return p[0] == 0 && p[1] == 0 && p[2] <= 1;
}

/*
 * Annex B: NAL units each preceded by 00 00 01 (a four-byte start code is
 * the same with a leading zero). The first unit of type 7 wins.
 */
static int from_annexb(const uint8_t *p, size_t size, char *buf, size_t buf_size)
{
    size_t i = 0;
    while (size - i >= 3) {
        if (!(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)) {
            i++;
            continue;
        }
        size_t start = i + 3;
        size_t end = start;
        while (size - end >= 3 && !ends_nal(p + end))
            end++;
        if (size - end < 3)
            end = size;             /* the last unit runs to the end */
        if (end > start && (p[start] & 0x1f) == H264_NAL_SPS)
            return format_sps(p + start, end - start, buf, buf_size);
        i = end;
    }
    return LADDER_EINVAL;
}

int ladder_codec_string_h264(const uint8_t *extradata, size_t size,
                             char *buf, size_t buf_size)
{
    if (!extradata || size == 0 || !buf || buf_size == 0)
        return LADDER_EINVAL;
    buf[0] = '\0';
    /* An Annex B stream starts with a zero byte, an avcC record with its
     * version, which is 1. */
    if (extradata[0] == 1)
        return from_avcc(extradata, size, buf, buf_size);
    return from_annexb(extradata, size, buf, buf_size);
}

/*
 * AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) begins with a 5-bit
 * audioObjectType; 31 escapes to 32 plus the next 6 bits. The samplerate
 * index and channel configuration that follow make any real ASC at least
 * two bytes long, which also covers the escaped form's 11 bits.
 */
int ladder_codec_string_aac(const uint8_t *asc, size_t size,
                            char *buf, size_t buf_size)
{
    if (!asc || size < 2 || !buf || buf_size == 0)
        return LADDER_EINVAL;
    buf[0] = '\0';
    unsigned aot = asc[0] >> 3;
    if (aot == 31)
        aot = 32 + (((asc[0] & 0x07u) << 3) | (asc[1] >> 5));
    /* 0 is the "null" object type: no audio coding to name. */
    if (aot == 0)
        return LADDER_EINVAL;
    return format_checked(buf, buf_size, "mp4a.40.%u", aot);
}
