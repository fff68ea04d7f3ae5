/*
 * AV1 OBUs (mux/av1_obu.c): leb128, OBU headers, the search for a
 * sequence header in an encoder packet, and the sequence header itself.
 * Every OBU found lies inside the buffer; a parsed sequence header has
 * values in the ranges the spec allows; a buffer has the same sequence
 * header as itself exactly when it has one.
 */
#include "fuzz.h"

#include "mux/av1_obu.h"
#include "ladder/error.h"

static void check_inside(const uint8_t *buf, size_t size, const ladder_av1_obu *o)
{
    FUZZ_CHECK(o->data >= buf && o->size <= size && (size_t)(o->data - buf) <= size - o->size);
    FUZZ_CHECK(o->payload >= o->data && o->payload_size <= o->size &&
               (size_t)(o->payload - o->data) <= o->size - o->payload_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = fuzz_copy(data, size);
    if (!p)
        return 0;

    uint64_t v;
    size_t len;
    if (ladder_av1_read_leb128(p, size, &v, &len) == 0)
        FUZZ_CHECK(len >= 1 && len <= 8 && len <= size && v <= UINT32_MAX);

    ladder_av1_obu obu;
    /* Walk the OBUs the way ladder_av1_find_obu does. */
    size_t pos = 0;
    while (pos < size && ladder_av1_obu_parse(p + pos, size - pos, &obu) == 0) {
        check_inside(p, size, &obu);
        FUZZ_CHECK(obu.size >= 1);
        pos += obu.size;
    }

    bool has_seq = false;
    if (ladder_av1_find_obu(p, size, LADDER_AV1_OBU_SEQUENCE_HEADER, &obu) == 0) {
        check_inside(p, size, &obu);
        FUZZ_CHECK(obu.type == LADDER_AV1_OBU_SEQUENCE_HEADER);
        has_seq = true;
        ladder_av1_sequence_header sh;
        if (ladder_av1_parse_sequence_header(obu.payload, obu.payload_size, &sh) == 0) {
            FUZZ_CHECK(sh.profile >= 0 && sh.profile <= 2);
            FUZZ_CHECK(sh.level >= 0 && sh.level <= 31);
            FUZZ_CHECK(sh.tier == 0 || sh.tier == 1);
            FUZZ_CHECK(sh.bit_depth == 8 || sh.bit_depth == 10 || sh.bit_depth == 12);
            FUZZ_CHECK(sh.max_width >= 1 && sh.max_height >= 1);
        }
    }
    FUZZ_CHECK(ladder_av1_same_sequence_header(p, size, p, size) == has_seq);
    /* The raw bytes as a sequence header payload, too. */
    ladder_av1_sequence_header sh;
    if (ladder_av1_parse_sequence_header(p, size, &sh) == 0)
        FUZZ_CHECK(sh.bit_depth == 8 || sh.bit_depth == 10 || sh.bit_depth == 12);
    free(p);
    return 0;
}
