/*
 * RFC 6381 codec strings (and ISO/IEC 14496-15 Annex E for HEVC): see
 * codec_string.h.
 *
 * The strings come from the encoder's own extradata rather than from the
 * requested profile and level, because x264 may settle on different ones
 * and a player that is told the wrong level may refuse the stream.
 *
 * Input is untrusted in the sense that it may be truncated: every read is
 * checked against size first.
 */
#include "mux/codec_string.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mux/av1_obu.h"
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
 * the same with a leading zero). Finds the next unit at or after *pos:
 * 1 with [*start, *end) the unit and *pos past it, 0 when none is left.
 */
static int next_annexb_nal(const uint8_t *p, size_t size, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos;
    while (size - i >= 3) {
        if (!(p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)) {
            i++;
            continue;
        }
        size_t s = i + 3, e = s;
        while (size - e >= 3 && !ends_nal(p + e))
            e++;
        if (size - e < 3)
            e = size;               /* the last unit runs to the end */
        *start = s;
        *end = e;
        *pos = e;
        return 1;
    }
    *pos = size;
    return 0;
}

/* Annex B: the first unit of type 7 wins. */
static int from_annexb(const uint8_t *p, size_t size, char *buf, size_t buf_size)
{
    size_t pos = 0, start, end;
    while (next_annexb_nal(p, size, &pos, &start, &end))
        if (end > start && (p[start] & 0x1f) == H264_NAL_SPS)
            return format_sps(p + start, end - start, buf, buf_size);
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

/* ---- HEVC ---------------------------------------------------------------- */

#define HEVC_NAL_VPS 32
#define HEVC_NAL_SPS 33
#define HEVC_NAL_HEADER_BYTES 2
/* general_profile_space..general_level_idc of profile_tier_level (H.265
 * 7.3.3): 8 bits of space/tier/profile, 32 compatibility flags, 48 bits of
 * constraint flags, 8 bits of level. */
#define HEVC_PTL_BYTES 12
/* Where the general profile_tier_level starts in each RBSP (after the NAL
 * header): the SPS has 4+3+1 bits before it (VPS id, max sub-layers,
 * temporal id nesting), the VPS 4+1+1+6+3+1+16 (ids, layer counts, the
 * 0xffff reserved field). */
#define HEVC_SPS_PTL_OFFSET 1
#define HEVC_VPS_PTL_OFFSET 4
/* hvcC (ISO/IEC 14496-15 8.3.3.1): a 23-byte header (the last byte is
 * numOfArrays), then the arrays of NAL units. */
#define HVCC_HEADER_BYTES 23

/*
 * Copies the first n bytes of a NAL unit's RBSP (payload after its header)
 * to out, dropping emulation prevention bytes (the 03 in 00 00 03). Returns
 * how many bytes it got, fewer than n when the unit is shorter.
 */
static size_t hevc_rbsp_prefix(const uint8_t *payload, size_t size, uint8_t *out, size_t n)
{
    size_t got = 0;
    int zeros = 0;
    for (size_t i = 0; i < size && got < n; i++) {
        if (zeros >= 2 && payload[i] == 3) {
            zeros = 0;
            continue;
        }
        out[got++] = payload[i];
        zeros = payload[i] == 0 ? zeros + 1 : 0;
    }
    return got;
}

/* The NAL unit type of a base-layer HEVC NAL unit, -1 when it is not one
 * (forbidden bit set, another layer, too short). */
static int hevc_nal_type(const uint8_t *nal, size_t size)
{
    if (size < HEVC_NAL_HEADER_BYTES || (nal[0] & 0x80))
        return -1;
    int layer_id = ((nal[0] & 0x01) << 5) | (nal[1] >> 3);
    if (layer_id != 0 || (nal[1] & 0x07) == 0)   /* nuh_temporal_id_plus1 is never 0 */
        return -1;
    return (nal[0] >> 1) & 0x3f;
}

static uint32_t reverse_bits32(uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; i < 32; i++, v >>= 1)
        r = (r << 1) | (v & 1);
    return r;
}

/*
 * "hvc1.<space><idc>.<compat>.<tier><level>[.<constraint>...]" (ISO/IEC
 * 14496-15 Annex E): profile space as nothing/A/B/C before the decimal
 * profile_idc; the 32 compatibility flags in reverse bit order (flag 0 as
 * the least significant bit), hex without leading zeros; L or H and the
 * decimal level_idc; then each of the six constraint bytes in hex, trailing
 * zero bytes left out.
 */
static int format_hevc_ptl(const uint8_t *ptl, char *buf, size_t buf_size)
{
    static const char *const spaces[4] = { "", "A", "B", "C" };
    unsigned space = ptl[0] >> 6, tier = (ptl[0] >> 5) & 1, idc = ptl[0] & 0x1f;
    uint32_t compat = (uint32_t)ptl[1] << 24 | (uint32_t)ptl[2] << 16 | (uint32_t)ptl[3] << 8 | ptl[4];
    const uint8_t *constraints = ptl + 5;
    unsigned level = ptl[11];
    /* level_idc 0 is no level at all: a zeroed or misparsed structure. */
    if (level == 0)
        return LADDER_EINVAL;
    char tail[6 * 3 + 1] = "";
    int last = 5;
    while (last >= 0 && constraints[last] == 0)
        last--;
    for (int i = 0, n = 0; i <= last; i++)
        n += snprintf(tail + n, sizeof(tail) - (size_t)n, ".%X", constraints[i]);
    return format_checked(buf, buf_size, "hvc1.%s%u.%X.%c%u%s", spaces[space], idc,
                          reverse_bits32(compat), tier ? 'H' : 'L', level, tail);
}

/* From one VPS or SPS NAL unit (header included); LADDER_EINVAL for any
 * other unit or one too short to hold its profile_tier_level. */
static int format_hevc_ps(const uint8_t *nal, size_t size, char *buf, size_t buf_size)
{
    int type = hevc_nal_type(nal, size);
    size_t offset;
    if (type == HEVC_NAL_SPS)
        offset = HEVC_SPS_PTL_OFFSET;
    else if (type == HEVC_NAL_VPS)
        offset = HEVC_VPS_PTL_OFFSET;
    else
        return LADDER_EINVAL;
    uint8_t rbsp[HEVC_VPS_PTL_OFFSET + HEVC_PTL_BYTES];
    size_t need = offset + HEVC_PTL_BYTES;
    if (hevc_rbsp_prefix(nal + HEVC_NAL_HEADER_BYTES, size - HEVC_NAL_HEADER_BYTES, rbsp, need) < need)
        return LADDER_EINVAL;
    return format_hevc_ptl(rbsp + offset, buf, buf_size);
}

/* The units the string may come from, best first: the SPS is what the
 * decoder of the base layer acts on; a VPS repeats the same general
 * profile_tier_level and serves when no SPS is readable. */
typedef struct hevc_candidates {
    const uint8_t *sps, *vps;
    size_t sps_size, vps_size;
} hevc_candidates;

static void hevc_consider(hevc_candidates *c, const uint8_t *nal, size_t size)
{
    int type = hevc_nal_type(nal, size);
    if (type == HEVC_NAL_SPS && !c->sps) {
        c->sps = nal;
        c->sps_size = size;
    } else if (type == HEVC_NAL_VPS && !c->vps) {
        c->vps = nal;
        c->vps_size = size;
    }
}

/* The longest string format_hevc_ptl() writes: "hvc1.C31.FFFFFFFF.H255"
 * and six ".FF" constraint bytes, 40 characters. */
#define HEVC_STRING_MAX 48

/*
 * The string is formatted into room of its own first and only then copied
 * to buf: the VPS stands in for an SPS that cannot be read, never for one
 * whose string does not fit in buf, or the answer would depend on the
 * caller's buffer size (a short buffer got the VPS's string, which may
 * differ, instead of LADDER_EINVAL).
 */
static int hevc_format_best(const hevc_candidates *c, char *buf, size_t buf_size)
{
    char text[HEVC_STRING_MAX];
    if ((c->sps && format_hevc_ps(c->sps, c->sps_size, text, sizeof(text)) == 0) ||
        (c->vps && format_hevc_ps(c->vps, c->vps_size, text, sizeof(text)) == 0))
        return format_checked(buf, buf_size, "%s", text);
    buf[0] = '\0';
    return LADDER_EINVAL;
}

/* hvcC: walk every array's NAL units (16-bit lengths). The header's own
 * copy of the profile_tier_level is not used, as for avcC. */
static int hevc_from_hvcc(const uint8_t *p, size_t size, char *buf, size_t buf_size)
{
    if (size < HVCC_HEADER_BYTES)
        return LADDER_EINVAL;
    hevc_candidates c = { 0 };
    unsigned nb_arrays = p[HVCC_HEADER_BYTES - 1];
    size_t pos = HVCC_HEADER_BYTES;
    for (unsigned a = 0; a < nb_arrays; a++) {
        if (size - pos < 3)
            return LADDER_EINVAL;
        unsigned nb_nalus = (unsigned)p[pos + 1] << 8 | p[pos + 2];
        pos += 3;
        for (unsigned i = 0; i < nb_nalus; i++) {
            if (size - pos < 2)
                return LADDER_EINVAL;
            size_t len = (size_t)p[pos] << 8 | p[pos + 1];
            pos += 2;
            if (size - pos < len)
                return LADDER_EINVAL;
            hevc_consider(&c, p + pos, len);
            pos += len;
        }
    }
    return hevc_format_best(&c, buf, buf_size);
}

/* Annex B: start-code delimited units (next_annexb_nal). */
static int hevc_from_annexb(const uint8_t *p, size_t size, char *buf, size_t buf_size)
{
    hevc_candidates c = { 0 };
    size_t pos = 0, start, end;
    while (next_annexb_nal(p, size, &pos, &start, &end))
        hevc_consider(&c, p + start, end - start);
    return hevc_format_best(&c, buf, buf_size);
}

int ladder_codec_string_hevc(const uint8_t *extradata, size_t size,
                             char *buf, size_t buf_size)
{
    if (!extradata || size == 0 || !buf || buf_size == 0)
        return LADDER_EINVAL;
    buf[0] = '\0';
    /* hvcC starts with configurationVersion 1; Annex B with a zero byte. */
    if (extradata[0] == 1)
        return hevc_from_hvcc(extradata, size, buf, buf_size);
    return hevc_from_annexb(extradata, size, buf, buf_size);
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

/* av1C (AV1-ISOBMFF 2.3.3): marker (1) and version (7) = 0x81, then three
 * bytes of fields copied from the sequence header, then configOBUs. */
#define AV1C_HEADER_BYTES 4

int ladder_codec_string_av1(const uint8_t *data, size_t size, char *buf, size_t buf_size)
{
    if (!buf || buf_size == 0)
        return LADDER_EINVAL;
    buf[0] = '\0';
    if (!data || size == 0)
        return LADDER_EINVAL;
    /* An OBU header has its top (forbidden) bit clear; av1C starts 0x81. */
    if (data[0] & 0x80) {
        if (data[0] != 0x81 || size < AV1C_HEADER_BYTES)
            return LADDER_EINVAL;
        data += AV1C_HEADER_BYTES;
        size -= AV1C_HEADER_BYTES;
    }
    ladder_av1_obu obu;
    ladder_av1_sequence_header sh;
    if (ladder_av1_find_obu(data, size, LADDER_AV1_OBU_SEQUENCE_HEADER, &obu) ||
        ladder_av1_parse_sequence_header(obu.payload, obu.payload_size, &sh))
        return LADDER_EINVAL;
    return format_checked(buf, buf_size, "av01.%d.%02d%c.%02d", sh.profile, sh.level,
                          sh.tier ? 'H' : 'M', sh.bit_depth);
}

/* "avc1.PPCCLL" or "avc3.PPCCLL": profile_idc, constraint flags, level_idc. */
static bool parse_h264_string(const char *s, unsigned *profile, unsigned *constraints, unsigned *level)
{
    if (strncmp(s, "avc1.", 5) && strncmp(s, "avc3.", 5))
        return false;
    s += 5;
    if (strlen(s) != 6 || strspn(s, "0123456789abcdefABCDEF") != 6)
        return false;
    unsigned long v = strtoul(s, NULL, 16);
    *profile = (unsigned)(v >> 16);
    *constraints = (unsigned)(v >> 8) & 0xff;
    *level = (unsigned)v & 0xff;
    return true;
}

/* Whether a decoder of declared profile dp (constraint flags dc) decodes a
 * stream of profile cp (flags cc): H.264 Annex A's nesting of the
 * profiles ladder's encoders produce. */
static bool h264_profile_contains(unsigned dp, unsigned dc, unsigned cp, unsigned cc)
{
    if (cp == dp)
        return (cc & dc) == dc;   /* the candidate keeps every promise made */
    bool high_family = dp == 100 || dp == 110 || dp == 122 || dp == 244;
    /* Constrained Baseline: Baseline with constraint_set1 (Main-compatible). */
    if (cp == 66 && (cc & 0x40))
        return dp == 77 || high_family;
    if (cp == 77)
        return high_family;
    if (cp == 100)
        return dp == 110 || dp == 122 || dp == 244;
    return false;
}

/* "hvc1.[A-C]P.F.{L|H}L[.CC...]" or "hev1...": profile_idc, tier, level. */
static bool parse_hevc_string(const char *s, unsigned *profile, bool *high_tier, unsigned *level)
{
    if (strncmp(s, "hvc1.", 5) && strncmp(s, "hev1.", 5))
        return false;
    s += 5;
    if (*s >= 'A' && *s <= 'C')
        s++;                      /* general_profile_space */
    char *end;
    unsigned long p = strtoul(s, &end, 10);
    if (end == s || *end != '.')
        return false;
    const char *flags = end + 1;
    const char *dot = strchr(flags, '.');
    if (!dot || (dot[1] != 'L' && dot[1] != 'H'))
        return false;
    unsigned long l = strtoul(dot + 2, &end, 10);
    if (end == dot + 2 || (*end && *end != '.'))
        return false;
    *profile = (unsigned)p;
    *high_tier = dot[1] == 'H';
    *level = (unsigned)l;
    return true;
}

bool ladder_codec_string_decodable(const char *declared, const char *candidate)
{
    if (!declared || !candidate)
        return false;
    unsigned dp, dc, dl, cp, cc, cl;
    if (parse_h264_string(declared, &dp, &dc, &dl))
        return parse_h264_string(candidate, &cp, &cc, &cl) && h264_profile_contains(dp, dc, cp, cc) && cl <= dl;
    bool dh, ch;
    if (parse_hevc_string(declared, &dp, &dh, &dl)) {
        if (!parse_hevc_string(candidate, &cp, &ch, &cl))
            return false;
        /* Main 10 decoders decode Main; a High-tier stream needs a High-tier decoder. */
        bool profile_ok = cp == dp || (cp == 1 && dp == 2);
        return profile_ok && (!ch || dh) && cl <= dl;
    }
    /* A malformed H.264/HEVC string promises nothing a decoder can rely on. */
    static const char *const parsed_families[] = { "avc1.", "avc3.", "hvc1.", "hev1." };
    for (size_t i = 0; i < sizeof(parsed_families) / sizeof(parsed_families[0]); i++)
        if (!strncmp(declared, parsed_families[i], 5))
            return false;
    return !strcmp(declared, candidate);
}
