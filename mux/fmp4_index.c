/* Boxes of a CMAF media segment: see fmp4_index.h. */
#include "fmp4_index.h"

#include <stdbool.h>
#include <string.h>

#include "ladder/error.h"

/* tfhd flags (ISO/IEC 14496-12 8.8.7) */
#define TFHD_BASE_DATA_OFFSET 0x000001
#define TFHD_SAMPLE_DESCRIPTION 0x000002
#define TFHD_DEFAULT_DURATION 0x000008
#define TFHD_DEFAULT_SIZE 0x000010
/* trun flags (8.8.8) */
#define TRUN_DATA_OFFSET 0x000001
#define TRUN_FIRST_FLAGS 0x000004
#define TRUN_DURATION 0x000100
#define TRUN_SIZE 0x000200
#define TRUN_FLAGS 0x000400
#define TRUN_COMPOSITION_OFFSET 0x000800

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}

/* One box at p (at most avail bytes): its type, header size and total size.
 * false when it does not fit. */
static bool box_at(const uint8_t *p, size_t avail, char type[5], size_t *header, size_t *total)
{
    if (avail < 8)
        return false;
    uint64_t size = rd32(p);
    *header = 8;
    if (size == 1) {
        if (avail < 16)
            return false;
        size = rd64(p + 8);
        *header = 16;
    } else if (size == 0) {
        size = avail;
    }
    if (size < *header || size > avail)
        return false;
    memcpy(type, p + 4, 4);
    type[4] = '\0';
    *total = (size_t)size;
    return true;
}

/* The first child box of the given type inside [p, p + len). */
static const uint8_t *find_child(const uint8_t *p, size_t len, const char *want, size_t *child_len)
{
    size_t pos = 0;
    while (pos < len) {
        char type[5];
        size_t header, total;
        if (!box_at(p + pos, len - pos, type, &header, &total))
            return NULL;
        if (!strcmp(type, want)) {
            *child_len = total;
            return p + pos;
        }
        pos += total;
    }
    return NULL;
}

int ladder_fmp4_first_sample_range(const uint8_t *buf, size_t size, int64_t *offset,
                                   int64_t *length)
{
    if (!buf || !offset || !length)
        return LADDER_EINVAL;
    size_t moof_len, traf_len, tfhd_len, trun_len;
    const uint8_t *moof = find_child(buf, size, "moof", &moof_len);
    const uint8_t *traf = moof ? find_child(moof + 8, moof_len - 8, "traf", &traf_len) : NULL;
    const uint8_t *tfhd = traf ? find_child(traf + 8, traf_len - 8, "tfhd", &tfhd_len) : NULL;
    const uint8_t *trun = traf ? find_child(traf + 8, traf_len - 8, "trun", &trun_len) : NULL;
    if (!tfhd || !trun || tfhd_len < 16 || trun_len < 16)
        return LADDER_EINPUT_INVALID;
    size_t moof_at = (size_t)(moof - buf);

    /* tfhd: version/flags, track_ID, then the optional fields in order. */
    uint32_t tf_flags = rd32(tfhd + 8) & 0xffffff;
    size_t pos = 16;
    uint64_t base = moof_at;      /* default-base-is-moof, as CMAF requires */
    if (tf_flags & TFHD_BASE_DATA_OFFSET) {
        if (tfhd_len < pos + 8)
            return LADDER_EINPUT_INVALID;
        base = rd64(tfhd + pos);
        pos += 8;
    }
    pos += tf_flags & TFHD_SAMPLE_DESCRIPTION ? 4 : 0;
    pos += tf_flags & TFHD_DEFAULT_DURATION ? 4 : 0;
    uint32_t default_size = 0;
    if (tf_flags & TFHD_DEFAULT_SIZE) {
        if (tfhd_len < pos + 4)
            return LADDER_EINPUT_INVALID;
        default_size = rd32(tfhd + pos);
    }

    /* trun: version/flags, sample_count, [data_offset], [first flags], samples. */
    uint32_t tr_flags = rd32(trun + 8) & 0xffffff;
    if (rd32(trun + 12) == 0 || !(tr_flags & TRUN_DATA_OFFSET))
        return LADDER_EINPUT_INVALID;
    pos = 16;
    if (trun_len < pos + 4)
        return LADDER_EINPUT_INVALID;
    int64_t data_offset = (int32_t)rd32(trun + pos);
    pos += 4;
    pos += tr_flags & TRUN_FIRST_FLAGS ? 4 : 0;
    pos += tr_flags & TRUN_DURATION ? 4 : 0;
    uint32_t first_size = default_size;
    if (tr_flags & TRUN_SIZE) {
        if (trun_len < pos + 4)
            return LADDER_EINPUT_INVALID;
        first_size = rd32(trun + pos);
    }
    /* An explicit base is any 64-bit value: bound it by the file before the
     * sums below, which must stay inside int64_t (offset is ±2^31, size <2^32). */
    if (first_size == 0 || base > size)
        return LADDER_EINPUT_INVALID;
    int64_t data_start = (int64_t)base + data_offset;
    int64_t end = data_start + first_size;
    if (data_start < (int64_t)(moof_at + moof_len) || end > (int64_t)size)
        return LADDER_EINPUT_INVALID;
    *offset = (int64_t)moof_at;
    *length = end - (int64_t)moof_at;
    return 0;
}

int ladder_fmp4_decode_times(const uint8_t *buf, size_t size, uint64_t *tfdt, uint64_t *duration)
{
    if (!buf || !tfdt || !duration)
        return LADDER_EINVAL;
    size_t moof_len, traf_len, tfhd_len, tfdt_len, trun_len;
    const uint8_t *moof = find_child(buf, size, "moof", &moof_len);
    const uint8_t *traf = moof ? find_child(moof + 8, moof_len - 8, "traf", &traf_len) : NULL;
    const uint8_t *tfhd = traf ? find_child(traf + 8, traf_len - 8, "tfhd", &tfhd_len) : NULL;
    const uint8_t *dt = traf ? find_child(traf + 8, traf_len - 8, "tfdt", &tfdt_len) : NULL;
    const uint8_t *trun = traf ? find_child(traf + 8, traf_len - 8, "trun", &trun_len) : NULL;
    if (!tfhd || !dt || !trun || tfhd_len < 16 || trun_len < 16 || tfdt_len < 16)
        return LADDER_EINPUT_INVALID;
    int version = dt[8];
    if (version == 1) {
        if (tfdt_len < 20)
            return LADDER_EINPUT_INVALID;
        *tfdt = rd64(dt + 12);
    } else {
        *tfdt = rd32(dt + 12);
    }

    /* tfhd's default duration, past the optional fields before it. */
    uint32_t tf_flags = rd32(tfhd + 8) & 0xffffff;
    size_t pos = 16;
    pos += tf_flags & TFHD_BASE_DATA_OFFSET ? 8 : 0;
    pos += tf_flags & TFHD_SAMPLE_DESCRIPTION ? 4 : 0;
    bool have_default = false;
    uint32_t default_duration = 0;
    if (tf_flags & TFHD_DEFAULT_DURATION) {
        if (tfhd_len < pos + 4)
            return LADDER_EINPUT_INVALID;
        default_duration = rd32(tfhd + pos);
        have_default = true;
    }

    uint32_t tr_flags = rd32(trun + 8) & 0xffffff;
    uint32_t count = rd32(trun + 12);
    pos = 16;
    pos += tr_flags & TRUN_DATA_OFFSET ? 4 : 0;
    pos += tr_flags & TRUN_FIRST_FLAGS ? 4 : 0;
    if (!(tr_flags & TRUN_DURATION)) {
        if (!have_default)
            return LADDER_EINPUT_INVALID;
        *duration = (uint64_t)count * default_duration;
        return 0;
    }
    /* Each sample: duration, then size, flags and composition offset as the
     * flags say (4 bytes each). */
    size_t per_sample = 4 + (tr_flags & TRUN_SIZE ? 4 : 0) + (tr_flags & TRUN_FLAGS ? 4 : 0) +
                        (tr_flags & TRUN_COMPOSITION_OFFSET ? 4 : 0);
    if (pos > trun_len || count > (trun_len - pos) / per_sample)
        return LADDER_EINPUT_INVALID;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < count; i++, pos += per_sample)
        sum += rd32(trun + pos);   /* count <= size / 4: the sum fits */
    *duration = sum;
    return 0;
}
