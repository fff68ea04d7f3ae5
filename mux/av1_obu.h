/*
 * AV1 open bitstream units (AV1 bitstream specification, sections 5.3 and
 * 5.5): just enough to find the sequence header in an encoder's packet, to
 * compare it across chunks, and to read what the codecs parameter string
 * (AV1-ISOBMFF, "av01.P.LLT.DD") needs from it.
 *
 * Input is untrusted in the sense that it may be truncated or garbage:
 * every read is checked against the size first.
 */
#ifndef LADDER_AV1_OBU_H
#define LADDER_AV1_OBU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    LADDER_AV1_OBU_SEQUENCE_HEADER = 1,
    LADDER_AV1_OBU_TEMPORAL_DELIMITER = 2,
    LADDER_AV1_OBU_FRAME_HEADER = 3,
    LADDER_AV1_OBU_TILE_GROUP = 4,
    LADDER_AV1_OBU_METADATA = 5,
    LADDER_AV1_OBU_FRAME = 6,
    LADDER_AV1_OBU_PADDING = 15,
};

/* One OBU located inside a buffer (pointers into that buffer). */
typedef struct ladder_av1_obu {
    int type;                     /* obu_type */
    bool has_extension;
    int temporal_id, spatial_id;  /* 0 without the extension header */
    const uint8_t *data;          /* the whole OBU: header, size, payload */
    size_t size;
    const uint8_t *payload;       /* obu_size bytes after the header */
    size_t payload_size;
} ladder_av1_obu;

/* What the codecs string needs from a sequence header (plus the size,
 * for checks). */
typedef struct ladder_av1_sequence_header {
    int profile;                  /* seq_profile, 0..2 */
    int level;                    /* seq_level_idx[0], 0..31 */
    int tier;                     /* seq_tier[0], 0 (Main) or 1 (High) */
    int bit_depth;                /* 8, 10 or 12 */
    bool mono_chrome;
    bool still_picture;
    int max_width, max_height;    /* max_frame_{width,height}_minus_1 + 1 */
} ladder_av1_sequence_header;

/*
 * leb128() (spec 4.10.5): at most 8 bytes, value below 2^32 as the spec
 * requires. *len gets the bytes read. Returns 0 or LADDER_EINVAL (runs
 * past size, longer than 8 bytes, or too large).
 */
int ladder_av1_read_leb128(const uint8_t *buf, size_t size, uint64_t *value, size_t *len);

/*
 * The OBU at the start of buf (spec 5.3.1-5.3.3). An OBU without
 * obu_has_size_field takes the rest of buf, as in a container sample's
 * last OBU. Returns 0 or LADDER_EINVAL (forbidden bit set, truncated
 * header or size, payload past the end).
 */
int ladder_av1_obu_parse(const uint8_t *buf, size_t size, ladder_av1_obu *obu);

/*
 * The first OBU of the given type in a sequence of OBUs (low overhead
 * bitstream format, e.g. one packet from an encoder). Returns 0, or
 * LADDER_EINVAL when there is none or an OBU before it cannot be parsed
 * (callers treat both as "this is not a usable AV1 temporal unit").
 */
int ladder_av1_find_obu(const uint8_t *buf, size_t size, int type, ladder_av1_obu *obu);

/*
 * sequence_header_obu() (spec 5.5.1) up to color_config()'s bit depth and
 * mono_chrome, from an OBU payload (no OBU header). Returns 0 or
 * LADDER_EINVAL (truncated, or a profile above 2).
 */
int ladder_av1_parse_sequence_header(const uint8_t *payload, size_t size,
                                     ladder_av1_sequence_header *out);

/*
 * Whether two buffers carry the same sequence header: both hold a
 * sequence header OBU and their payloads are byte-identical (the OBU
 * header's size coding may differ; what a decoder configures from may
 * not).
 */
bool ladder_av1_same_sequence_header(const uint8_t *a, size_t a_size,
                                     const uint8_t *b, size_t b_size);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_AV1_OBU_H */
