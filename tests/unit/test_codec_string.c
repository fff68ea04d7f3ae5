/*
 * Codec strings from real encoder configuration records.
 *
 * The H.264 records were produced by FFmpeg's libx264 wrapper, e.g.
 *   ffmpeg -f lavfi -i testsrc2=s=640x360:r=30 -t 1 -c:v libx264 \
 *          -profile:v high -level 3.1 x.mp4
 * and copied out of the mp4's avcC box; the Annex B sample is the head of
 * the same encoder's raw output with access unit delimiters inserted
 * (-bsf:v h264_metadata=aud=insert -f h264).
 *
 * The HEVC records were produced by FFmpeg 5.1's libx265 wrapper (x265 3.5)
 * with ladder's settings, e.g.
 *   ffmpeg -f lavfi -i testsrc2=size=1280x720:rate=30 -frames:v 2 \
 *          -c:v libx265 -preset veryfast -x265-params \
 *          pools=none:frame-threads=1:wpp=0:repeat-headers=0:info=0 \
 *          -tag:v hvc1 x.mp4
 * and copied out of the mp4's hvcC box; the Annex B samples are the same
 * VPS/SPS/PPS with four-byte start codes, the form libx265 hands out as
 * extradata. ffprobe says Main / level 93 (720p) and Main 10 / level 63
 * (640x360, -pix_fmt yuv420p10le); the expected strings follow Annex E of
 * ISO/IEC 14496-15 (compatibility flags 0x60000000 / 0x20000000 reversed:
 * 6 / 4; constraint byte 0x90: progressive_source + frame_only).
 * Every SPS and VPS here has emulation prevention bytes inside its
 * profile_tier_level (00 00 03 00 90): a parser that skipped removing them
 * would read the wrong flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mux/codec_string.h"
#include "ladder/error.h"

/* x265, Main, level 3.1 (93), 1280x720: hvcC. */
static const uint8_t hvcc_main_93[] = {
    0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc,
    0xfd, 0xf8, 0xf8, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01,
    0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
    0x5d, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2b, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d,
    0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00,
    0x03, 0x00, 0x3c, 0x10, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x22, 0x40,
};

/* The same parameter sets in Annex B (VPS, SPS, PPS). */
static const uint8_t annexb_hevc_main_93[] = {
    0x00, 0x00, 0x00, 0x01, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00,
    0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5d, 0x95, 0x98, 0x09, 0x00, 0x00, 0x00, 0x01,
    0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03,
    0x00, 0x5d, 0xa0, 0x02, 0x80, 0x80, 0x2d, 0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02,
    0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x10, 0x00, 0x00, 0x00, 0x01, 0x44,
    0x01, 0xc1, 0x72, 0xb4, 0x22, 0x40,
};

/* x265, Main 10, level 2.1 (63), 640x360 yuv420p10le: hvcC. */
static const uint8_t hvcc_main10_63[] = {
    0x01, 0x02, 0x20, 0x00, 0x00, 0x00, 0x90, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xf0, 0x00, 0xfc,
    0xfd, 0xfa, 0xfa, 0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c, 0x01,
    0xff, 0xff, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00,
    0x3f, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01, 0x00, 0x2b, 0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00,
    0x03, 0x00, 0x90, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01, 0x69,
    0x36, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00,
    0x03, 0x00, 0x3c, 0x10, 0xa2, 0x00, 0x01, 0x00, 0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x22, 0x40,
};

/* The Main 10 SPS alone in Annex B, three-byte start code. */
static const uint8_t annexb_hevc_main10_sps[] = {
    0x00, 0x00, 0x01, 0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00, 0x03,
    0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01, 0x69, 0x36, 0x59, 0x59, 0xa4, 0x93, 0x2b,
    0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x10,
};

/* x264, High profile, level 3.1, 640x360. */
static const uint8_t avcc_high_31[] = {
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1f,
    0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x18, 0x31, 0x96, 0x01, 0x00,
    0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00,
};

/* x264, Main profile, level 4.0, 320x180. */
static const uint8_t avcc_main_40[] = {
    0x01, 0x4d, 0x40, 0x28, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x4d, 0x40, 0x28,
    0xec, 0xa0, 0xa0, 0xcf, 0xcf, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08,
    0x00, 0x00, 0x03, 0x01, 0xe0, 0x78, 0xc1, 0x8c, 0xb0, 0x01, 0x00, 0x05,
    0x68, 0xeb, 0xe3, 0xcb, 0x20,
};

/* x264, Baseline profile (constrained: flags 0xc0), level 3.0, 320x180. */
static const uint8_t avcc_baseline_30[] = {
    0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x19, 0x67, 0x42, 0xc0, 0x1e,
    0xd9, 0x01, 0x41, 0x9f, 0x9f, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10,
    0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x62, 0xe4, 0x80, 0x01, 0x00, 0x05,
    0x68, 0xcb, 0x83, 0xcb, 0x20,
};

/* x264 Annex B, Main 3.0: AUD (4-byte start code), SPS, PPS (3-byte). */
static const uint8_t annexb_main_30[] = {
    0x00, 0x00, 0x00, 0x01, 0x09, 0x10,
    0x00, 0x00, 0x00, 0x01, 0x67, 0x4d, 0x40, 0x1e, 0xec, 0xa0, 0xa0, 0xcf,
    0xcf, 0x80, 0x88, 0x00, 0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x03, 0x01,
    0xe0, 0x78, 0xb1, 0x6c, 0xb0,
    0x00, 0x00, 0x00, 0x01, 0x68, 0xeb, 0xe3, 0xcb, 0x20,
};

static void h264_avcc_high(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(ladder_codec_string_h264(avcc_high_31, sizeof(avcc_high_31),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.64001f");
}

static void h264_avcc_main_and_baseline(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(ladder_codec_string_h264(avcc_main_40, sizeof(avcc_main_40),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.4d4028");
    assert_int_equal(ladder_codec_string_h264(avcc_baseline_30, sizeof(avcc_baseline_30),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.42c01e");
}

/* The answer must come from the SPS, not the avcC header's copies. */
static void h264_avcc_prefers_sps(void **state)
{
    (void)state;
    uint8_t rec[sizeof(avcc_high_31)];
    memcpy(rec, avcc_high_31, sizeof(rec));
    rec[1] = 0x4d;                  /* header claims Main 4.0 */
    rec[3] = 0x28;
    char buf[32];
    assert_int_equal(ladder_codec_string_h264(rec, sizeof(rec), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.64001f");
}

/* A minimal SPS whose payload is exactly the three bytes that are read. */
static void h264_avcc_minimal_sps(void **state)
{
    (void)state;
    static const uint8_t rec[] = {
        0x01, 0x64, 0x00, 0x28, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x28,
    };
    char buf[12];                   /* exactly "avc1.640028" plus NUL */
    assert_int_equal(ladder_codec_string_h264(rec, sizeof(rec), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.640028");
}

static void h264_annexb(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(ladder_codec_string_h264(annexb_main_30, sizeof(annexb_main_30),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.4d401e");
    /* Starting at the SPS's own 3-byte start code (skipping AUD and the
     * leading zero of the 4-byte code) works the same. */
    assert_int_equal(ladder_codec_string_h264(annexb_main_30 + 7, sizeof(annexb_main_30) - 7,
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "avc1.4d401e");
}

/* Every prefix too short to hold the SPS's first three payload bytes must
 * be rejected without reading past its end (ASan checks the latter: each
 * prefix is copied into an exactly-sized heap block). */
static void h264_truncated(void **state)
{
    (void)state;
    char buf[32];
    /* avcC: the SPS payload bytes 1..3 end at offset 12. */
    for (size_t n = 1; n < 12; n++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, avcc_high_31, n);
        assert_int_equal(ladder_codec_string_h264(copy, n, buf, sizeof(buf)), LADDER_EINVAL);
        free(copy);
    }
    /* Longer prefixes cut the SPS short of its declared length. */
    for (size_t n = 12; n < 8 + 0x1a; n++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, avcc_high_31, n);
        assert_int_equal(ladder_codec_string_h264(copy, n, buf, sizeof(buf)), LADDER_EINVAL);
        free(copy);
    }
    /* Annex B: the SPS NAL header is at offset 10. */
    for (size_t n = 1; n < 14; n++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, annexb_main_30, n);
        assert_int_equal(ladder_codec_string_h264(copy, n, buf, sizeof(buf)), LADDER_EINVAL);
        free(copy);
    }
    /* Every longer prefix has a complete enough SPS. */
    for (size_t n = 14; n <= sizeof(annexb_main_30); n++) {
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, annexb_main_30, n);
        assert_int_equal(ladder_codec_string_h264(copy, n, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "avc1.4d401e");
        free(copy);
    }
}

static void h264_garbage(void **state)
{
    (void)state;
    char buf[32];
    static const uint8_t text[] = "not a bitstream at all";
    assert_int_equal(ladder_codec_string_h264(text, sizeof(text), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* avcC declaring no SPS at all. */
    static const uint8_t no_sps[] = { 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe0, 0x01, 0x00, 0x02, 0x68, 0xeb };
    assert_int_equal(ladder_codec_string_h264(no_sps, sizeof(no_sps), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* avcC whose "SPS" entry is really a PPS. */
    static const uint8_t pps_as_sps[] = { 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x68, 0xeb, 0xe3, 0xcb };
    assert_int_equal(ladder_codec_string_h264(pps_as_sps, sizeof(pps_as_sps), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* avcC with a length running past the end. */
    static const uint8_t overlong[] = { 0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0xff, 0xff, 0x67, 0x64, 0x00, 0x1f };
    assert_int_equal(ladder_codec_string_h264(overlong, sizeof(overlong), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* Annex B with only non-SPS units. */
    static const uint8_t no_sps_annexb[] = { 0x00, 0x00, 0x00, 0x01, 0x09, 0x10,
                                             0x00, 0x00, 0x01, 0x68, 0xeb, 0xe3, 0xcb };
    assert_int_equal(ladder_codec_string_h264(no_sps_annexb, sizeof(no_sps_annexb),
                                              buf, sizeof(buf)), LADDER_EINVAL);
    /* Annex B SPS cut short by the next start code. */
    static const uint8_t short_sps[] = { 0x00, 0x00, 0x01, 0x67, 0x64, 0x00,
                                         0x00, 0x00, 0x01, 0x68, 0xeb };
    assert_int_equal(ladder_codec_string_h264(short_sps, sizeof(short_sps), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* All zeros. */
    static const uint8_t zeros[16] = {0};
    assert_int_equal(ladder_codec_string_h264(zeros, sizeof(zeros), buf, sizeof(buf)),
                     LADDER_EINVAL);
}

static void h264_bad_arguments(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(ladder_codec_string_h264(NULL, 10, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_h264(avcc_high_31, 0, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_h264(avcc_high_31, sizeof(avcc_high_31), NULL, 32),
                     LADDER_EINVAL);
    /* One byte short of "avc1.64001f" and its NUL: no truncated string. */
    char small[11];
    memset(small, 'x', sizeof(small));
    assert_int_equal(ladder_codec_string_h264(avcc_high_31, sizeof(avcc_high_31),
                                              small, sizeof(small)), LADDER_EINVAL);
    assert_string_equal(small, "");
}

static void aac_lc(void **state)
{
    (void)state;
    /* FFmpeg's native encoder, 44.1 kHz stereo. */
    static const uint8_t asc[] = { 0x12, 0x10 };
    char buf[32];
    assert_int_equal(ladder_codec_string_aac(asc, sizeof(asc), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mp4a.40.2");
}

static void aac_he(void **state)
{
    (void)state;
    char buf[32];
    /* Explicit hierarchical signalling: AOT 5 (SBR), 24 kHz core, stereo,
     * 48 kHz extension, then AOT 2. */
    static const uint8_t he[] = { 0x2b, 0x11, 0x88, 0x00 };
    assert_int_equal(ladder_codec_string_aac(he, sizeof(he), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mp4a.40.5");
    /* AOT 29 (PS, HE-AAC v2). */
    static const uint8_t he2[] = { 0xeb, 0x09, 0x88, 0x00 };
    assert_int_equal(ladder_codec_string_aac(he2, sizeof(he2), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mp4a.40.29");
}

static void aac_escape(void **state)
{
    (void)state;
    char buf[32];
    /* 11111 001010 ...: 32 + 10 = 42 (USAC). */
    static const uint8_t usac[] = { 0xf9, 0x46 };
    assert_int_equal(ladder_codec_string_aac(usac, sizeof(usac), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mp4a.40.42");
    /* 11111 000000: 32, the smallest escaped type. */
    static const uint8_t min_escaped[] = { 0xf8, 0x10 };
    assert_int_equal(ladder_codec_string_aac(min_escaped, sizeof(min_escaped),
                                             buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mp4a.40.32");
    /* 11111 111111: 95, the largest. */
    static const uint8_t max_escaped[] = { 0xff, 0xe0 };
    assert_int_equal(ladder_codec_string_aac(max_escaped, sizeof(max_escaped),
                                             buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mp4a.40.95");
}

static void aac_invalid(void **state)
{
    (void)state;
    char buf[32];
    static const uint8_t asc[] = { 0x12, 0x10 };
    /* Truncated: one byte is never a whole ASC, escaped or not. Heap copy
     * so that ASan would see a read past it. */
    uint8_t *one = malloc(1);
    assert_non_null(one);
    one[0] = 0xf9;
    assert_int_equal(ladder_codec_string_aac(one, 1, buf, sizeof(buf)), LADDER_EINVAL);
    one[0] = 0x12;
    assert_int_equal(ladder_codec_string_aac(one, 1, buf, sizeof(buf)), LADDER_EINVAL);
    free(one);
    assert_int_equal(ladder_codec_string_aac(asc, 0, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_aac(NULL, 2, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_aac(asc, sizeof(asc), NULL, 32), LADDER_EINVAL);
    /* Object type 0 means "no audio object". */
    static const uint8_t null_type[] = { 0x00, 0x10 };
    assert_int_equal(ladder_codec_string_aac(null_type, sizeof(null_type), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* "mp4a.40.2" needs 10 bytes. */
    char small[9];
    assert_int_equal(ladder_codec_string_aac(asc, sizeof(asc), small, sizeof(small)),
                     LADDER_EINVAL);
    assert_string_equal(small, "");
    char exact[10];
    assert_int_equal(ladder_codec_string_aac(asc, sizeof(asc), exact, sizeof(exact)), 0);
    assert_string_equal(exact, "mp4a.40.2");
}

static void hevc_hvcc(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(ladder_codec_string_hevc(hvcc_main_93, sizeof(hvcc_main_93), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.1.6.L93.90");
    assert_int_equal(ladder_codec_string_hevc(hvcc_main10_63, sizeof(hvcc_main10_63), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.2.4.L63.90");
}

static void hevc_annexb(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(ladder_codec_string_hevc(annexb_hevc_main_93, sizeof(annexb_hevc_main_93),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.1.6.L93.90");
    assert_int_equal(ladder_codec_string_hevc(annexb_hevc_main10_sps, sizeof(annexb_hevc_main10_sps),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.2.4.L63.90");
}

/* Fields the x265 records leave at zero: profile space, high tier, more
 * constraint bytes (trailing zero bytes dropped, inner ones kept), and the
 * VPS as the source when there is no SPS. */
static void hevc_fields(void **state)
{
    (void)state;
    char buf[64];
    /* VPS only: profile space 1 (A), tier 1 (H), idc 4, compat flag 4
     * (0x08000000 -> reversed 0x10), constraint b0 00 08 00 00 00, level
     * 153; two emulation prevention bytes (00 00 03 00). */
    static const uint8_t vps_only[] = {
        0x00, 0x00, 0x01, 0x40, 0x01, 0x0c, 0x01, 0xff, 0xff,
        0x64, 0x08, 0x00, 0x00, 0x03, 0x00, 0xb0, 0x00, 0x08, 0x00, 0x00, 0x03, 0x00, 0x99,
    };
    assert_int_equal(ladder_codec_string_hevc(vps_only, sizeof(vps_only), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.A4.10.H153.B0.0.8");
    /* The SPS wins over a VPS that says otherwise, whatever the order. */
    uint8_t both[sizeof(vps_only) + sizeof(annexb_hevc_main10_sps)];
    memcpy(both, vps_only, sizeof(vps_only));
    memcpy(both + sizeof(vps_only), annexb_hevc_main10_sps, sizeof(annexb_hevc_main10_sps));
    assert_int_equal(ladder_codec_string_hevc(both, sizeof(both), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.2.4.L63.90");
    /* All constraint bytes zero: the string ends with the level. */
    static const uint8_t sps_no_constraints[] = {
        0x00, 0x00, 0x01, 0x42, 0x01, 0x01,
        0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x5a,
    };
    assert_int_equal(ladder_codec_string_hevc(sps_no_constraints, sizeof(sps_no_constraints),
                                              buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hvc1.1.6.L90");
}

static void hevc_malformed(void **state)
{
    (void)state;
    char buf[64];
    /* Every truncation of both forms: never a string, never a read past
     * the end (heap copies of exactly n bytes, for ASan). */
    const struct { const uint8_t *p; size_t size; size_t whole_from; } forms[] = {
        { hvcc_main_93, sizeof(hvcc_main_93), sizeof(hvcc_main_93) },
        /* Annex B: a prefix that still holds the whole SPS is a fine input. */
        { annexb_hevc_main10_sps, sizeof(annexb_hevc_main10_sps), 21 },
    };
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        for (size_t n = 1; n < forms[f].size; n++) {
            uint8_t *copy = malloc(n);
            assert_non_null(copy);
            memcpy(copy, forms[f].p, n);
            int ret = ladder_codec_string_hevc(copy, n, buf, sizeof(buf));
            if (n < forms[f].whole_from) {
                assert_int_equal(ret, LADDER_EINVAL);
                assert_string_equal(buf, "");
            } else {
                assert_int_equal(ret, 0);
            }
            free(copy);
        }
    }
    /* H.264 parameter sets are not HEVC ones. */
    assert_int_equal(ladder_codec_string_hevc(avcc_high_31, sizeof(avcc_high_31), buf, sizeof(buf)),
                     LADDER_EINVAL);
    /* A PPS alone, a slice, a non-base layer SPS, a forbidden bit: no PTL. */
    static const uint8_t pps_only[] = { 0x00, 0x00, 0x01, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x22, 0x40 };
    assert_int_equal(ladder_codec_string_hevc(pps_only, sizeof(pps_only), buf, sizeof(buf)), LADDER_EINVAL);
    uint8_t sps[sizeof(annexb_hevc_main10_sps)];
    memcpy(sps, annexb_hevc_main10_sps, sizeof(sps));
    sps[4] = 0x09;                          /* nuh_layer_id 1 */
    assert_int_equal(ladder_codec_string_hevc(sps, sizeof(sps), buf, sizeof(buf)), LADDER_EINVAL);
    memcpy(sps, annexb_hevc_main10_sps, sizeof(sps));
    sps[3] = 0xc2;                          /* forbidden_zero_bit set */
    assert_int_equal(ladder_codec_string_hevc(sps, sizeof(sps), buf, sizeof(buf)), LADDER_EINVAL);
    memcpy(sps, annexb_hevc_main10_sps, sizeof(sps));
    sps[20] = 0x00;                         /* level_idc 0 */
    assert_int_equal(ladder_codec_string_hevc(sps, sizeof(sps), buf, sizeof(buf)), LADDER_EINVAL);
    /* hvcC whose array claims more units or bytes than there are. */
    uint8_t hvcc[sizeof(hvcc_main_93)];
    memcpy(hvcc, hvcc_main_93, sizeof(hvcc));
    hvcc[22] = 4;                           /* four arrays, three present */
    assert_int_equal(ladder_codec_string_hevc(hvcc, sizeof(hvcc), buf, sizeof(buf)), LADDER_EINVAL);
    memcpy(hvcc, hvcc_main_93, sizeof(hvcc));
    hvcc[26] = 0x40;                        /* VPS length 0x18 -> 0x40 */
    assert_int_equal(ladder_codec_string_hevc(hvcc, sizeof(hvcc), buf, sizeof(buf)), LADDER_EINVAL);
    /* Zeros, arguments, a buffer one byte short. */
    static const uint8_t zeros[32] = { 0 };
    assert_int_equal(ladder_codec_string_hevc(zeros, sizeof(zeros), buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_hevc(NULL, 4, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_hevc(hvcc_main_93, 0, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_hevc(hvcc_main_93, sizeof(hvcc_main_93), NULL, 64), LADDER_EINVAL);
    char small[15];                         /* "hvc1.1.6.L93.90" needs 16 */
    assert_int_equal(ladder_codec_string_hevc(hvcc_main_93, sizeof(hvcc_main_93), small, sizeof(small)),
                     LADDER_EINVAL);
    assert_string_equal(small, "");
    char exact[16];
    assert_int_equal(ladder_codec_string_hevc(hvcc_main_93, sizeof(hvcc_main_93), exact, sizeof(exact)), 0);
    assert_string_equal(exact, "hvc1.1.6.L93.90");
}

/*
 * AV1: sequence headers from SVT-AV1 1.4.1 (see test_av1_obu.c for how
 * they were made), as the OBU ladder keeps and as the av1C that ladder's
 * init segment carried for the 320x180 one (81 00 0c 00: marker/version,
 * profile 0 level 0, tier 0, 8-bit, 4:2:0).
 */
static const uint8_t av1_seq_180p[] = { 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x04, 0x3c, 0xfe,
                                        0xcc, 0xfb, 0xf9, 0x00, 0x40 };
static const uint8_t av1_seq_1080p[] = { 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x42, 0xab, 0xbf,
                                         0xc3, 0x73, 0xef, 0xe4, 0x01 };
static const uint8_t av1_seq_360p10[] = { 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x0c, 0xc4, 0xff,
                                          0x67, 0x3e, 0xfe, 0x50, 0x10 };
static const uint8_t av1c_180p[] = { 0x81, 0x00, 0x0c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x04,
                                     0x3c, 0xfe, 0xcc, 0xfb, 0xf9, 0x00, 0x40 };

static void av1_strings(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(ladder_codec_string_av1(av1_seq_180p, sizeof(av1_seq_180p), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "av01.0.00M.08");
    assert_int_equal(ladder_codec_string_av1(av1c_180p, sizeof(av1c_180p), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "av01.0.00M.08");
    assert_int_equal(ladder_codec_string_av1(av1_seq_1080p, sizeof(av1_seq_1080p), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "av01.0.08M.08");
    assert_int_equal(ladder_codec_string_av1(av1_seq_360p10, sizeof(av1_seq_360p10), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "av01.0.01M.10");
    /* High tier: the 1080p header with seq_tier[0] set. */
    uint8_t high[sizeof(av1_seq_1080p)];
    memcpy(high, av1_seq_1080p, sizeof(high));
    high[5] |= 0x04;
    assert_int_equal(ladder_codec_string_av1(high, sizeof(high), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "av01.0.08H.08");
    /* A temporal delimiter first, as in a key frame packet. */
    uint8_t tu[2 + sizeof(av1_seq_180p)] = { 0x12, 0x00 };
    memcpy(tu + 2, av1_seq_180p, sizeof(av1_seq_180p));
    assert_int_equal(ladder_codec_string_av1(tu, sizeof(tu), buf, sizeof(buf)), 0);
    assert_string_equal(buf, "av01.0.00M.08");
    /* Exactly big enough, and one byte short. */
    char exact[14], small[13];
    assert_int_equal(ladder_codec_string_av1(av1_seq_180p, sizeof(av1_seq_180p), exact, sizeof(exact)), 0);
    assert_string_equal(exact, "av01.0.00M.08");
    assert_int_equal(ladder_codec_string_av1(av1_seq_180p, sizeof(av1_seq_180p), small, sizeof(small)),
                     LADDER_EINVAL);
    assert_string_equal(small, "");
}

static void av1_malformed(void **state)
{
    (void)state;
    char buf[64] = "x";
    /* No sequence header: just a temporal delimiter. */
    const uint8_t td[] = { 0x12, 0x00 };
    assert_int_equal(ladder_codec_string_av1(td, sizeof(td), buf, sizeof(buf)), LADDER_EINVAL);
    assert_string_equal(buf, "");
    /* Truncated OBU, truncated payload, av1C with a bad marker, av1C
     * without configOBUs, profile 3, nothing at all. */
    assert_int_equal(ladder_codec_string_av1(av1_seq_180p, 5, buf, sizeof(buf)), LADDER_EINVAL);
    uint8_t cut[] = { 0x0a, 0x03, 0x00, 0x00, 0x00 };
    assert_int_equal(ladder_codec_string_av1(cut, sizeof(cut), buf, sizeof(buf)), LADDER_EINVAL);
    uint8_t bad_marker[sizeof(av1c_180p)];
    memcpy(bad_marker, av1c_180p, sizeof(bad_marker));
    bad_marker[0] = 0x82;
    assert_int_equal(ladder_codec_string_av1(bad_marker, sizeof(bad_marker), buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_av1(av1c_180p, 4, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_av1(av1c_180p, 3, buf, sizeof(buf)), LADDER_EINVAL);
    uint8_t profile3[sizeof(av1_seq_180p)];
    memcpy(profile3, av1_seq_180p, sizeof(profile3));
    profile3[2] |= 0x60;
    assert_int_equal(ladder_codec_string_av1(profile3, sizeof(profile3), buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_av1(NULL, 10, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_av1(av1_seq_180p, 0, buf, sizeof(buf)), LADDER_EINVAL);
    assert_int_equal(ladder_codec_string_av1(av1_seq_180p, sizeof(av1_seq_180p), NULL, 8), LADDER_EINVAL);
}

/* In-band parameter sets let a rendition mix encoders only where a decoder
 * set up from the declared string decodes the other chunks too. */
static void decodable(void **state)
{
    (void)state;
    static const struct { const char *declared, *candidate; bool ok; } cases[] = {
        { "avc1.64001f", "avc1.64001f", true },
        { "avc3.64001f", "avc1.64001f", true },   /* sample entry kind does not matter */
        { "avc1.64001f", "avc1.64001e", true },   /* lower level */
        { "avc1.64001e", "avc1.64001f", false },  /* higher level */
        { "avc1.64001f", "avc1.42c01f", true },   /* Constrained Baseline in High */
        { "avc1.64001f", "avc1.42001f", false },  /* plain Baseline (FMO/ASO) is not */
        { "avc1.64001f", "avc1.4d401f", true },   /* Main in High */
        { "avc1.4d401f", "avc1.64001f", false },  /* High in Main */
        { "avc1.4d401f", "avc1.4d001f", false },  /* drops a promised constraint */
        { "avc1.64001f", "hvc1.1.6.L93.B0", false },
        { "hvc1.1.6.L93.B0", "hev1.1.6.L90.B0", true },
        { "hvc1.1.6.L93.B0", "hvc1.1.6.L120.B0", false },
        { "hvc1.2.4.L93.B0", "hvc1.1.6.L93.B0", true },   /* Main in Main 10 */
        { "hvc1.1.6.L93.B0", "hvc1.2.4.L93.B0", false },
        { "hvc1.1.6.L93.B0", "hvc1.1.6.H93.B0", false },  /* High tier needs a High-tier decoder */
        { "hvc1.1.6.H93.B0", "hvc1.1.6.L93.B0", true },
        { "av01.0.04M.08", "av01.0.04M.08", true },
        { "av01.0.04M.08", "av01.0.03M.08", false },      /* AV1: equal only */
        { "avc1.6400", "avc1.6400", false },              /* malformed */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (ladder_codec_string_decodable(cases[i].declared, cases[i].candidate) != cases[i].ok)
            fail_msg("declared %s, candidate %s: expected %s", cases[i].declared, cases[i].candidate,
                     cases[i].ok ? "decodable" : "not decodable");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(h264_avcc_high),
        cmocka_unit_test(h264_avcc_main_and_baseline),
        cmocka_unit_test(h264_avcc_prefers_sps),
        cmocka_unit_test(h264_avcc_minimal_sps),
        cmocka_unit_test(h264_annexb),
        cmocka_unit_test(h264_truncated),
        cmocka_unit_test(h264_garbage),
        cmocka_unit_test(h264_bad_arguments),
        cmocka_unit_test(hevc_hvcc),
        cmocka_unit_test(hevc_annexb),
        cmocka_unit_test(hevc_fields),
        cmocka_unit_test(hevc_malformed),
        cmocka_unit_test(av1_strings),
        cmocka_unit_test(av1_malformed),
        cmocka_unit_test(aac_lc),
        cmocka_unit_test(aac_he),
        cmocka_unit_test(aac_escape),
        cmocka_unit_test(aac_invalid),
        cmocka_unit_test(decodable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
