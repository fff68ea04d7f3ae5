/*
 * AV1 OBU reading (mux/av1_obu.c).
 *
 * The sequence headers are real SVT-AV1 1.4.1 output (FFmpeg 5.1's
 * libsvtav1 wrapper, preset 12, lp=1:scd=0:irefresh-type=2), copied out of
 * the first key frame of e.g.
 *   ffmpeg -f lavfi -i testsrc2=s=320x180:r=30 -frames:v 2 -c:v libsvtav1 \
 *          -preset 12 -svtav1-params lp=1:scd=0:irefresh-type=2 -f ivf x.ivf
 * ffprobe says Main / level 0 (320x180), level 8 (1920x1080) and level 1
 * (640x360, -pix_fmt yuv420p10le).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mux/av1_obu.h"
#include "ladder/error.h"

/* 320x180, 8-bit: OBU header 0x0a (type 1, has_size), size 11. */
static const uint8_t seq_180p[] = { 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x04, 0x3c, 0xfe,
                                    0xcc, 0xfb, 0xf9, 0x00, 0x40 };
/* 1920x1080, 8-bit, seq_level_idx 8 (so a tier bit is coded). */
static const uint8_t seq_1080p[] = { 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf,
                                     0xc3, 0x73, 0xef, 0xe4, 0x01 };
/* 640x360, 10-bit. */
static const uint8_t seq_360p10[] = { 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x0c, 0xc4, 0xff,
                                      0x67, 0x3e, 0xfe, 0x50, 0x10 };

static void leb128(void **state)
{
    (void)state;
    uint64_t v = 0;
    size_t n = 0;
    const uint8_t one[] = { 0x05 };
    assert_int_equal(ladder_av1_read_leb128(one, 1, &v, &n), 0);
    assert_int_equal(v, 5);
    assert_int_equal(n, 1);
    /* 300 = 0b1_0010_1100: 0xac 0x02. */
    const uint8_t two[] = { 0xac, 0x02, 0xff };
    assert_int_equal(ladder_av1_read_leb128(two, sizeof(two), &v, &n), 0);
    assert_int_equal(v, 300);
    assert_int_equal(n, 2);
    /* Padded encodings are legal: 0x80 0x80 0x00 is 0 in three bytes. */
    const uint8_t padded[] = { 0x80, 0x80, 0x00 };
    assert_int_equal(ladder_av1_read_leb128(padded, sizeof(padded), &v, &n), 0);
    assert_int_equal(v, 0);
    assert_int_equal(n, 3);
    /* Runs off the end; needs a ninth byte; above 2^32 - 1. */
    assert_int_equal(ladder_av1_read_leb128(two, 1, &v, &n), LADDER_EINVAL);
    const uint8_t nine[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    assert_int_equal(ladder_av1_read_leb128(nine, sizeof(nine), &v, &n), LADDER_EINVAL);
    const uint8_t big[] = { 0x80, 0x80, 0x80, 0x80, 0x10 };   /* 2^32 */
    assert_int_equal(ladder_av1_read_leb128(big, sizeof(big), &v, &n), LADDER_EINVAL);
    const uint8_t max[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };   /* 2^32 - 1 */
    assert_int_equal(ladder_av1_read_leb128(max, sizeof(max), &v, &n), 0);
    assert_int_equal(v, UINT32_MAX);
    assert_int_equal(ladder_av1_read_leb128(NULL, 1, &v, &n), LADDER_EINVAL);
}

static void obu_headers(void **state)
{
    (void)state;
    ladder_av1_obu obu;
    assert_int_equal(ladder_av1_obu_parse(seq_180p, sizeof(seq_180p), &obu), 0);
    assert_int_equal(obu.type, LADDER_AV1_OBU_SEQUENCE_HEADER);
    assert_false(obu.has_extension);
    assert_int_equal(obu.size, sizeof(seq_180p));
    assert_int_equal(obu.payload_size, 11);
    assert_ptr_equal(obu.payload, seq_180p + 2);

    /* Temporal delimiter with an extension header (temporal 2, spatial 1)
     * and a size of 0. */
    const uint8_t td_ext[] = { 0x16, 0x48, 0x00 };
    assert_int_equal(ladder_av1_obu_parse(td_ext, sizeof(td_ext), &obu), 0);
    assert_int_equal(obu.type, LADDER_AV1_OBU_TEMPORAL_DELIMITER);
    assert_true(obu.has_extension);
    assert_int_equal(obu.temporal_id, 2);
    assert_int_equal(obu.spatial_id, 1);
    assert_int_equal(obu.payload_size, 0);
    assert_int_equal(obu.size, 3);

    /* No size field: the OBU is the rest of the buffer. */
    const uint8_t no_size[] = { 0x30, 0xaa, 0xbb };   /* frame OBU */
    assert_int_equal(ladder_av1_obu_parse(no_size, sizeof(no_size), &obu), 0);
    assert_int_equal(obu.type, LADDER_AV1_OBU_FRAME);
    assert_int_equal(obu.payload_size, 2);

    /* Forbidden bit; size past the end; extension byte missing; empty. */
    const uint8_t forbidden[] = { 0x8a, 0x00 };
    assert_int_equal(ladder_av1_obu_parse(forbidden, sizeof(forbidden), &obu), LADDER_EINVAL);
    assert_int_equal(ladder_av1_obu_parse(seq_180p, sizeof(seq_180p) - 1, &obu), LADDER_EINVAL);
    const uint8_t ext_cut[] = { 0x16 };
    assert_int_equal(ladder_av1_obu_parse(ext_cut, sizeof(ext_cut), &obu), LADDER_EINVAL);
    const uint8_t size_cut[] = { 0x0a, 0x80 };
    assert_int_equal(ladder_av1_obu_parse(size_cut, sizeof(size_cut), &obu), LADDER_EINVAL);
    assert_int_equal(ladder_av1_obu_parse(seq_180p, 0, &obu), LADDER_EINVAL);
}

static void find_in_temporal_unit(void **state)
{
    (void)state;
    /* What an encoder's key frame packet starts with: temporal delimiter,
     * sequence header, then a frame OBU. */
    uint8_t tu[2 + sizeof(seq_180p) + 4];
    tu[0] = 0x12;
    tu[1] = 0x00;
    memcpy(tu + 2, seq_180p, sizeof(seq_180p));
    const uint8_t frame[] = { 0x32, 0x02, 0x10, 0x00 };
    memcpy(tu + 2 + sizeof(seq_180p), frame, sizeof(frame));
    ladder_av1_obu obu;
    assert_int_equal(ladder_av1_find_obu(tu, sizeof(tu), LADDER_AV1_OBU_SEQUENCE_HEADER, &obu), 0);
    assert_ptr_equal(obu.data, tu + 2);
    assert_int_equal(obu.size, sizeof(seq_180p));
    assert_int_equal(ladder_av1_find_obu(tu, sizeof(tu), LADDER_AV1_OBU_FRAME, &obu), 0);
    assert_int_equal(obu.payload_size, 2);
    /* Absent; and a broken OBU before the one asked for. */
    assert_int_equal(ladder_av1_find_obu(tu, sizeof(tu), LADDER_AV1_OBU_METADATA, &obu), LADDER_EINVAL);
    tu[2] = 0x8a;
    assert_int_equal(ladder_av1_find_obu(tu, sizeof(tu), LADDER_AV1_OBU_FRAME, &obu), LADDER_EINVAL);

    /* Same header: equal payloads, whatever the size field's coding. */
    const uint8_t padded[] = { 0x0a, 0x8b, 0x00, 0x00, 0x00, 0x00, 0x04, 0x3c, 0xfe,
                               0xcc, 0xfb, 0xf9, 0x00, 0x40 };
    assert_true(ladder_av1_same_sequence_header(seq_180p, sizeof(seq_180p), padded, sizeof(padded)));
    assert_false(ladder_av1_same_sequence_header(seq_180p, sizeof(seq_180p), seq_1080p, sizeof(seq_1080p)));
    assert_false(ladder_av1_same_sequence_header(seq_180p, sizeof(seq_180p), frame, sizeof(frame)));
    assert_false(ladder_av1_same_sequence_header(NULL, 0, seq_180p, sizeof(seq_180p)));
}

static void sequence_headers(void **state)
{
    (void)state;
    ladder_av1_sequence_header sh;
    assert_int_equal(ladder_av1_parse_sequence_header(seq_180p + 2, sizeof(seq_180p) - 2, &sh), 0);
    assert_int_equal(sh.profile, 0);
    assert_int_equal(sh.level, 0);
    assert_int_equal(sh.tier, 0);
    assert_int_equal(sh.bit_depth, 8);
    assert_false(sh.mono_chrome);
    assert_false(sh.still_picture);
    assert_int_equal(sh.max_width, 320);
    assert_int_equal(sh.max_height, 180);

    assert_int_equal(ladder_av1_parse_sequence_header(seq_1080p + 2, sizeof(seq_1080p) - 2, &sh), 0);
    assert_int_equal(sh.level, 8);
    assert_int_equal(sh.tier, 0);
    assert_int_equal(sh.bit_depth, 8);
    assert_int_equal(sh.max_width, 1920);
    assert_int_equal(sh.max_height, 1080);

    assert_int_equal(ladder_av1_parse_sequence_header(seq_360p10 + 2, sizeof(seq_360p10) - 2, &sh), 0);
    assert_int_equal(sh.level, 1);
    assert_int_equal(sh.bit_depth, 10);
    assert_int_equal(sh.max_width, 640);
    assert_int_equal(sh.max_height, 360);

    /* The 1080p header with its tier bit set (seq_tier[0] follows the
     * level's five bits in the fourth payload byte). */
    uint8_t high[sizeof(seq_1080p) - 2];
    memcpy(high, seq_1080p + 2, sizeof(high));
    high[3] |= 0x04;
    assert_int_equal(ladder_av1_parse_sequence_header(high, sizeof(high), &sh), 0);
    assert_int_equal(sh.level, 8);
    assert_int_equal(sh.tier, 1);
    assert_int_equal(sh.max_width, 1920);

    /* reduced_still_picture_header: level right after the flags, no tier. */
    const uint8_t reduced[] = { 0x1a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
    assert_int_equal(ladder_av1_parse_sequence_header(reduced, sizeof(reduced), &sh), 0);
    assert_true(sh.still_picture);
    assert_int_equal(sh.level, 8);
    assert_int_equal(sh.tier, 0);
}

static void sequence_header_malformed(void **state)
{
    (void)state;
    ladder_av1_sequence_header sh = { .profile = 7 };
    /* Every truncation before mono_chrome fails and leaves *out alone (the
     * last payload byte only holds the rest of color_config and the
     * trailing bits, which the parser does not read). */
    for (size_t n = 0; n < sizeof(seq_180p) - 3; n++) {
        if (ladder_av1_parse_sequence_header(seq_180p + 2, n, &sh) == 0)
            fail_msg("a %zu-byte prefix parsed", n);
        assert_int_equal(sh.profile, 7);
    }
    /* seq_profile 3 is reserved. */
    uint8_t bad[sizeof(seq_180p) - 2];
    memcpy(bad, seq_180p + 2, sizeof(bad));
    bad[0] |= 0x60;
    assert_int_equal(ladder_av1_parse_sequence_header(bad, sizeof(bad), &sh), LADDER_EINVAL);
    assert_int_equal(ladder_av1_parse_sequence_header(NULL, 4, &sh), LADDER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leb128),
        cmocka_unit_test(obu_headers),
        cmocka_unit_test(find_in_temporal_unit),
        cmocka_unit_test(sequence_headers),
        cmocka_unit_test(sequence_header_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
