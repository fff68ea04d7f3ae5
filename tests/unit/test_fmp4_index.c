/*
 * The byte range of a CMAF segment's first sample (moof + mdat header +
 * sample), on segments built here box by box.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ladder/error.h"
#include "fmp4_index.h"

typedef struct bytes {
    uint8_t data[512];
    size_t len;
} bytes;

static void put32(bytes *b, uint32_t v)
{
    for (int i = 3; i >= 0; i--)
        b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

static void put_type(bytes *b, const char *t)
{
    memcpy(b->data + b->len, t, 4);
    b->len += 4;
}

/* Start a box; returns where its size goes, patched by end_box. */
static size_t begin_box(bytes *b, const char *type)
{
    size_t at = b->len;
    put32(b, 0);
    put_type(b, type);
    return at;
}

static void end_box(bytes *b, size_t at)
{
    uint32_t size = (uint32_t)(b->len - at);
    for (int i = 0; i < 4; i++)
        b->data[at + (size_t)i] = (uint8_t)(size >> (8 * (3 - i)));
}

/*
 * [styp] moof{mfhd traf{tfhd trun}} mdat: two samples of 100 and 40 bytes.
 * with_sizes: sizes in trun (else tfhd's default size, 100 for both).
 */
static void build(bytes *b, bool with_styp, bool with_sizes)
{
    memset(b, 0, sizeof(*b));
    if (with_styp) {
        size_t s = begin_box(b, "styp");
        put_type(b, "msdh");
        put32(b, 0);
        end_box(b, s);
    }
    size_t moof_at = b->len;
    size_t moof = begin_box(b, "moof");
    size_t mfhd = begin_box(b, "mfhd");
    put32(b, 0);
    put32(b, 1);
    end_box(b, mfhd);
    size_t traf = begin_box(b, "traf");
    size_t tfhd = begin_box(b, "tfhd");
    put32(b, 0x020000 | (with_sizes ? 0 : 0x10)); /* default-base-is-moof [, default size] */
    put32(b, 1);
    if (!with_sizes)
        put32(b, 100);
    end_box(b, tfhd);
    size_t trun = begin_box(b, "trun");
    put32(b, 0x000001 | (with_sizes ? 0x000200 : 0)); /* data offset [, sizes] */
    put32(b, 2);
    size_t offset_at = b->len;
    put32(b, 0);
    if (with_sizes) {
        put32(b, 100);
        put32(b, 40);
    }
    end_box(b, trun);
    end_box(b, traf);
    end_box(b, moof);
    size_t mdat = begin_box(b, "mdat");
    uint32_t data_offset = (uint32_t)(b->len - moof_at);
    for (int i = 0; i < 4; i++)
        b->data[offset_at + (size_t)i] = (uint8_t)(data_offset >> (8 * (3 - i)));
    b->len += with_sizes ? 140 : 200;
    end_box(b, mdat);
}

/*
 * moof{traf{tfhd tfdt trun}}: three samples. version 1 tfdt (64-bit) with
 * durations 512, 512, 513 in trun; or version 0 with tfhd's default
 * duration 1000 and no durations in trun.
 */
static void build_timed(bytes *b, bool v1)
{
    memset(b, 0, sizeof(*b));
    size_t moof = begin_box(b, "moof");
    size_t traf = begin_box(b, "traf");
    size_t tfhd = begin_box(b, "tfhd");
    put32(b, 0x020000 | (v1 ? 0 : 0x08));   /* default-base-is-moof [, default duration] */
    put32(b, 1);
    if (!v1)
        put32(b, 1000);
    end_box(b, tfhd);
    size_t tfdt = begin_box(b, "tfdt");
    put32(b, v1 ? 0x01000000 : 0);
    if (v1)
        put32(b, 1);                         /* high word: 2^32 + 7 */
    put32(b, 7);
    end_box(b, tfdt);
    size_t trun = begin_box(b, "trun");
    put32(b, 0x000001 | (v1 ? 0x000300 : 0x000200)); /* data offset, sizes [, durations] */
    put32(b, 3);
    put32(b, 0);
    for (int i = 0; i < 3; i++) {
        if (v1)
            put32(b, i == 2 ? 513 : 512);
        put32(b, 10);
    }
    end_box(b, trun);
    end_box(b, traf);
    end_box(b, moof);
}

static void decode_times(void **state)
{
    (void)state;
    bytes b;
    uint64_t tfdt = 0, duration = 0;
    build_timed(&b, true);      /* a version 1 tfdt: 64-bit */
    assert_int_equal(ladder_fmp4_decode_times(b.data, b.len, &tfdt, &duration), 0);
    assert_true(tfdt == ((uint64_t)1 << 32) + 7);
    assert_true(duration == 512 + 512 + 513);
    build_timed(&b, false);     /* version 0: 32-bit */
    assert_int_equal(ladder_fmp4_decode_times(b.data, b.len, &tfdt, &duration), 0);
    assert_true(tfdt == 7 && duration == 3000);
    /* Cut anywhere: not a fragment that says its times. */
    build_timed(&b, true);
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(ladder_fmp4_decode_times(b.data, n, &tfdt, &duration), LADDER_EINPUT_INVALID);
    /* No tfdt (the I-frame index does not need one; the timeline does). */
    bytes plain;
    build(&plain, false, true);
    assert_int_equal(ladder_fmp4_decode_times(plain.data, plain.len, &tfdt, &duration), LADDER_EINPUT_INVALID);
}

static void first_sample_with_sizes(void **state)
{
    (void)state;
    bytes b;
    build(&b, false, true);
    int64_t offset = -1, length = -1;
    assert_int_equal(ladder_fmp4_first_sample_range(b.data, b.len, &offset, &length), 0);
    assert_int_equal(offset, 0);
    /* Everything up to the mdat payload, then the first sample. */
    assert_int_equal(length, (int64_t)(b.len - 140 + 100));
}

static void first_sample_default_size_after_styp(void **state)
{
    (void)state;
    bytes b;
    build(&b, true, false);
    int64_t offset = -1, length = -1;
    assert_int_equal(ladder_fmp4_first_sample_range(b.data, b.len, &offset, &length), 0);
    assert_int_equal(offset, 16);     /* after the styp box */
    assert_int_equal(offset + length, (int64_t)(b.len - 200 + 100));
}

static void malformed(void **state)
{
    (void)state;
    bytes b;
    build(&b, false, true);
    int64_t offset, length;
    /* Every truncation: either the sample is not there or a box is cut. */
    for (size_t n = 0; n < b.len - 40; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, b.data, n);
        assert_int_equal(ladder_fmp4_first_sample_range(copy, n, &offset, &length), LADDER_EINPUT_INVALID);
        free(copy);
    }
    /* No moof at all. */
    const uint8_t only_mdat[] = { 0, 0, 0, 8, 'm', 'd', 'a', 't' };
    assert_int_equal(ladder_fmp4_first_sample_range(only_mdat, sizeof(only_mdat), &offset, &length),
                     LADDER_EINPUT_INVALID);
    /* A box claiming more than the file. */
    b.data[3] = 0xff;
    assert_int_equal(ladder_fmp4_first_sample_range(b.data, b.len, &offset, &length), LADDER_EINPUT_INVALID);
    assert_int_equal(ladder_fmp4_first_sample_range(NULL, 0, &offset, &length), LADDER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_sample_with_sizes),
        cmocka_unit_test(first_sample_default_size_after_styp),
        cmocka_unit_test(malformed),
        cmocka_unit_test(decode_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
