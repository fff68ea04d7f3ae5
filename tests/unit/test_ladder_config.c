/* Rung specs, JSON ladder files, the default ladder, output sizes, validate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ladder/error.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"

/* ---- helpers ------------------------------------------------------------ */

/* Error text must be one line that says something. */
static void assert_one_line(const char *err)
{
    if (!err[0])
        fail_msg("empty error message");
    if (strchr(err, '\n') || strchr(err, '\r'))
        fail_msg("error message spans lines: %s", err);
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("expected \"%s\" in: %s", part, text);
}

static ladder_rung parse_ok(const char *spec)
{
    ladder_rung r;
    char err[256] = "";
    int ret = ladder_config_parse_rung(spec, &r, err, sizeof(err));
    if (ret)
        fail_msg("'%s' rejected (%d): %s", spec, ret, err);
    return r;
}

/* Returns the error text (static) so callers can look for a detail in it. */
static const char *parse_fails(const char *spec)
{
    static char err[256];
    ladder_rung r;
    memset(&r, 0x5a, sizeof(r));
    err[0] = '\0';
    int ret = ladder_config_parse_rung(spec, &r, err, sizeof(err));
    if (ret != LADDER_ECONFIG)
        fail_msg("'%s': expected LADDER_ECONFIG, got %d", spec, ret);
    assert_one_line(err);
    /* The rung is cleared, not half-filled, on failure. */
    ladder_rung zero;
    memset(&zero, 0, sizeof(zero));
    assert_memory_equal(&r, &zero, sizeof(r));
    return err;
}

static int bitrate_of(const char *rate)
{
    char spec[64];
    snprintf(spec, sizeof(spec), "1280x720:%s", rate);
    ladder_rung r = parse_ok(spec);
    assert_int_equal(r.rate_mode, LADDER_RATE_CAPPED_VBR);
    return r.bitrate_kbps;
}

static void assert_size(int rung_w, int rung_h, int src_w, int src_h, int want_w, int want_h)
{
    ladder_rung r;
    memset(&r, 0, sizeof(r));
    r.width = rung_w;
    r.height = rung_h;
    int w = -1, h = -1;
    assert_int_equal(ladder_config_output_size(&r, src_w, src_h, &w, &h), 0);
    if (w != want_w || h != want_h)
        fail_msg("box %dx%d on %dx%d: got %dx%d, want %dx%d", rung_w, rung_h, src_w, src_h,
                 w, h, want_w, want_h);
}

/* Temporary directory for the JSON tests, made by the group setup. */
static char tmp_dir[64];

static const char *tmp_path(const char *name)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmp_dir, name);
    return path;
}

static const char *write_tmp_bytes(const char *name, const char *bytes, size_t len)
{
    const char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *write_tmp(const char *name, const char *text)
{
    return write_tmp_bytes(name, text, strlen(text));
}

/* Load text as a ladder file that must be rejected; returns the error text. */
static const char *load_fails(const char *text, int want)
{
    static char err[256];
    const char *path = write_tmp("bad.json", text);
    ladder_rung *rungs = NULL;
    int nb = -7;
    double seg = -1;
    err[0] = '\0';
    int ret = ladder_config_load_file(path, &rungs, &nb, &seg, err, sizeof(err));
    if (ret != want)
        fail_msg("expected %d, got %d (%s) for: %s", want, ret, err, text);
    assert_null(rungs);
    assert_int_equal(nb, -7);
    assert_true(seg == -1);
    assert_one_line(err);
    assert_contains(err, "ladder file '");
    assert_contains(err, "bad.json");
    return err;
}

static ladder_rung *load_ok(const char *path, int *nb, double *seg)
{
    ladder_rung *rungs = NULL;
    char err[256] = "";
    int ret = ladder_config_load_file(path, &rungs, nb, seg, err, sizeof(err));
    if (ret)
        fail_msg("'%s' rejected (%d): %s", path, ret, err);
    assert_non_null(rungs);
    return rungs;
}

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/ladder_config_test.XXXXXX");
    return mkdtemp(tmp_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    static const char *const names[] = { "bad.json", "good.json", "bom.json", "codec.json", "ps.json", "sub" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unlink(tmp_path(names[i]));
        rmdir(tmp_path(names[i]));
    }
    return rmdir(tmp_dir);
}

/* ---- rung specs --------------------------------------------------------- */

static void test_spec_basic(void **state)
{
    (void)state;
    ladder_rung r = parse_ok("1280x720:3000k");
    assert_int_equal(r.width, 1280);
    assert_int_equal(r.height, 720);
    assert_int_equal(r.rate_mode, LADDER_RATE_CAPPED_VBR);
    assert_int_equal(r.bitrate_kbps, 3000);
    /* Not given: left at zero for validate to derive. */
    assert_int_equal(r.maxrate_kbps, 0);
    assert_int_equal(r.bufsize_kbps, 0);
    assert_string_equal(r.name, "");
    assert_string_equal(r.profile, "");
    assert_true(r.max_fps == 0);

    r = parse_ok("x720:3000k");
    assert_int_equal(r.width, 0);
    assert_int_equal(r.height, 720);
    r = parse_ok("1280x:3000k");
    assert_int_equal(r.width, 1280);
    assert_int_equal(r.height, 0);

    /* Odd sizes are fine here; output_size makes them even. */
    r = parse_ok("1281x721:3000k");
    assert_int_equal(r.width, 1281);
    assert_int_equal(r.height, 721);
    r = parse_ok("16384x16384:3000k");
    assert_int_equal(r.width, 16384);
}

static void test_spec_options(void **state)
{
    (void)state;
    ladder_rung r = parse_ok("640x360:crf23:maxrate=1200k");
    assert_int_equal(r.rate_mode, LADDER_RATE_CRF);
    assert_int_equal(r.crf, 23);
    assert_int_equal(r.maxrate_kbps, 1200);
    assert_int_equal(r.bufsize_kbps, 0);
    assert_int_equal(r.bitrate_kbps, 0);

    r = parse_ok("1280x720:3000k:fps=30:profile=main:name=hd");
    assert_int_equal(r.bitrate_kbps, 3000);
    assert_true(r.max_fps == 30.0);
    assert_string_equal(r.profile, "main");
    assert_string_equal(r.name, "hd");

    r = parse_ok("1280x720:3000k:maxrate=3.5M:bufsize=7000k:profile=baseline");
    assert_int_equal(r.maxrate_kbps, 3500);
    assert_int_equal(r.bufsize_kbps, 7000);
    assert_string_equal(r.profile, "baseline");

    r = parse_ok("640x360:crf0");
    assert_int_equal(r.crf, 0);
    r = parse_ok("640x360:crf51:profile=high");
    assert_int_equal(r.crf, 51);
    assert_string_equal(r.profile, "high");

    r = parse_ok("x720:3000k:fps=29.97");
    assert_true(fabs(r.max_fps - 29.97) < 1e-9);
    r = parse_ok("x720:3000k:fps=30000/1001");
    assert_true(fabs(r.max_fps - 30000.0 / 1001.0) < 1e-9);
    r = parse_ok("x720:3000k:name=720p_low-2.x");
    assert_string_equal(r.name, "720p_low-2.x");

    /* A rung's own codec, as a ladder file's rung "codec". */
    r = parse_ok("x720:2000k:codec=hevc:profile=main10");
    assert_int_equal(r.codec, LADDER_CODEC_HEVC);
    assert_string_equal(r.profile, "main10");
    assert_contains(parse_fails("x720:2000k:codec=vp9"), "codec: unknown codec 'vp9'");
}

static void test_spec_bitrate_units(void **state)
{
    (void)state;
    assert_int_equal(bitrate_of("3000k"), 3000);
    assert_int_equal(bitrate_of("3000K"), 3000);
    assert_int_equal(bitrate_of("3M"), 3000);
    assert_int_equal(bitrate_of("3m"), 3000);
    assert_int_equal(bitrate_of("2.5M"), 2500);
    assert_int_equal(bitrate_of("0.8M"), 800);
    assert_int_equal(bitrate_of("2.5k"), 3);        /* rounded to whole kb/s */
    assert_int_equal(bitrate_of("3000000"), 3000);  /* bare >= 100000: bits/s */
    assert_int_equal(bitrate_of("100000"), 100);
    assert_int_equal(bitrate_of("3000500"), 3001);
    assert_int_equal(bitrate_of("3000"), 3000);     /* bare below 100000: kb/s */
    assert_int_equal(bitrate_of("99999"), 99999);
    assert_int_equal(bitrate_of("1000000k"), 1000000);
    assert_int_equal(bitrate_of("1000M"), 1000000);

    static const char *const bad[] = {
        "-3000k", "+3000k", "0k", "0", "0.0001M", "3000q", "3000kb", "3000 k", " 3000k",
        "k", "M", ".5M", "5.M", "2.5", "1.2.3M", "3e6", "0x10k", "inf", "nan",
        "99999999999999999999k", "1000001k", "1001M", "3000000000000", "18446744073709551617",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char spec[64];
        snprintf(spec, sizeof(spec), "1280x720:%s", bad[i]);
        const char *err = parse_fails(spec);
        assert_contains(err, "bitrate");
    }
    assert_contains(parse_fails("1280x720:1000001k"), "1000000k");
    assert_contains(parse_fails("1280x720:3000k:maxrate=-1k"), "maxrate");
    assert_contains(parse_fails("1280x720:3000k:bufsize=lots"), "bufsize");
}

static void test_spec_errors(void **state)
{
    (void)state;
    const char *err = parse_fails("");
    assert_contains(err, "WxH:BITRATE");

    err = parse_fails("720p");
    assert_contains(err, "'720p'");
    assert_contains(err, "WxH:BITRATE");

    err = parse_fails("1280x720");
    assert_contains(err, "'1280x720'");
    assert_contains(err, "missing the bitrate");

    assert_contains(parse_fails("axb:3000k"), "width 'a'");
    assert_contains(parse_fails("1280xb:3000k"), "height 'b'");
    assert_contains(parse_fails("0x0:3000k"), "give a width, a height or both");
    assert_contains(parse_fails("x:3000k"), "give a width, a height or both");
    assert_contains(parse_fails("-1x720:3000k"), "width");
    assert_contains(parse_fails("1280x720:3000q"), "'3000q'");
    assert_contains(parse_fails("1280x720:"), "bitrate");

    err = parse_fails("1280x720:3000k:bogus=1");
    assert_contains(err, "unknown option 'bogus'");
    assert_contains(err, "maxrate");

    assert_contains(parse_fails("1280x720:crf99"), "between 0 and 51");
    assert_contains(parse_fails("1280x720:crf"), "crf23");
    assert_contains(parse_fails("1280x720:crf-1"), "crf23");
    assert_contains(parse_fails("1280x720:crf23.5"), "crf23");

    assert_contains(parse_fails("16385x720:3000k"), "16384");
    assert_contains(parse_fails("1280x20000:3000k"), "16384");
    assert_contains(parse_fails("99999999999999999999x720:3000k"), "16384");

    assert_contains(parse_fails("1280x720:3000k:"), "key=value");
    assert_contains(parse_fails("1280x720:3000k:fps"), "key=value");
    assert_contains(parse_fails("1280x720:3000k:fps=30:fps=25"), "twice");
    assert_contains(parse_fails("1280x720:3000k:fps=0"), "above 0");
    assert_contains(parse_fails("1280x720:3000k:fps=fast"), "30000/1001");
    assert_contains(parse_fails("1280x720:3000k:fps=30/0"), "30000/1001");
    assert_contains(parse_fails("1280x720:3000k:fps=5000"), "1000");
    assert_contains(parse_fails("1280x720:3000k:profile=extreme"), "baseline, main, high (H.264) or main10");
    assert_contains(parse_fails("1280x720:3000k:profile="), "baseline, main, high (H.264) or main10");
    assert_contains(parse_fails("1280x720:3000k:bit_depth=12"), "bit_depth '12': expected 8 or 10");
    assert_int_equal(parse_ok("1280x720:3000k:bit_depth=10").bit_depth, 10);
    assert_int_equal(parse_ok("1280x720:3000k:bit_depth=8").bit_depth, 8);
    assert_contains(parse_fails("1280x720:3000k:name="), "name");
    assert_contains(parse_fails("1280x720:3000k:name=../etc"), "name '../etc'");
    assert_contains(parse_fails("1280x720:3000k:name=a/b"), "name 'a/b'");
    assert_contains(parse_fails("1280x720:3000k:name=0123456789012345678901234567890123"), "31");
    assert_contains(parse_fails("1280x720:3000k:maxrate=2000k"), "below bitrate");
    assert_contains(parse_fails("640x360:crf23:bufsize=2000k"), "without maxrate");

    /* Control characters in the spec never break the one-line promise. */
    assert_contains(parse_fails("1280x720:3000k\nrm -rf"), "rung spec '1280x720:3000k rm -rf'");
    /* A long spec is cut short in the message, keeping the reason. */
    err = parse_fails("1280x720:3000k:name=hd:profile=main:fps=30:maxrate=3300k:bufsize=6600k:bogus=1");
    assert_contains(err, "...");
    assert_contains(err, "unknown option 'bogus'");
}

static void test_spec_null_args(void **state)
{
    (void)state;
    ladder_rung r;
    assert_int_equal(ladder_config_parse_rung("720p", &r, NULL, 0), LADDER_ECONFIG);
    assert_int_equal(ladder_config_parse_rung(NULL, &r, NULL, 0), LADDER_ECONFIG);
    assert_int_equal(ladder_config_parse_rung("x720:3000k", NULL, NULL, 0), LADDER_EINVAL);
    char tiny[8];
    assert_int_equal(ladder_config_parse_rung("720p", &r, tiny, sizeof(tiny)), LADDER_ECONFIG);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* ---- output size -------------------------------------------------------- */

static void test_output_size(void **state)
{
    (void)state;
    assert_size(1280, 720, 1920, 1080, 1280, 720);
    assert_size(0, 720, 1920, 1080, 1280, 720);
    assert_size(1280, 0, 1920, 1080, 1280, 720);
    assert_size(1280, 720, 1440, 1080, 960, 720);   /* 4:3 in a 16:9 box */
    assert_size(1280, 720, 1080, 1920, 404, 720);   /* portrait: 405 -> 404 */
    assert_size(1920, 1080, 640, 360, 640, 360);    /* never upscale */
    assert_size(1920, 1080, 853, 480, 852, 480);    /* even, not above source */
    assert_size(0, 1080, 1921, 1081, 1918, 1080);   /* 1919.2 -> 1919 -> 1918 */
    assert_size(0, 480, 1920, 1080, 852, 480);      /* 853.3 -> 853 -> 852 */
    assert_size(852, 480, 1920, 1080, 852, 480);    /* box within 2 px: taken as given */
    assert_size(854, 480, 1920, 1080, 854, 480);    /* fit 852x480, box 2 px off: as given */
    assert_size(852, 486, 1920, 1080, 852, 478);    /* 8 px off: fit inside instead */
    assert_size(852, 480, 853, 480, 852, 480);
    assert_size(640, 480, 640, 478, 640, 478);      /* never above the source */
    assert_size(0, 360, 1920, 1080, 640, 360);
    assert_size(0, 240, 1920, 1080, 426, 240);      /* 426.7 -> 427 -> 426 */
    assert_size(1281, 721, 1920, 1080, 1280, 720);  /* odd box */
    assert_size(0, 1080, 1080, 1920, 608, 1080);    /* portrait in a height-only box */
    assert_size(720, 0, 1080, 1920, 720, 1280);
    assert_size(0, 720, 3840, 1600, 1728, 720);     /* 2.4:1 */
    assert_size(0, 2, 1920, 1080, 4, 2);            /* 3.6 -> 4 */
    assert_size(0, 100, 1, 1, 2, 2);                /* minimum 2 even above a 1x1 source */
    assert_size(16384, 16384, 16384, 16384, 16384, 16384);

    ladder_rung r;
    memset(&r, 0, sizeof(r));
    int w, h;
    assert_int_equal(ladder_config_output_size(&r, 1920, 1080, &w, &h), LADDER_ECONFIG);
    r.height = -720;
    assert_int_equal(ladder_config_output_size(&r, 1920, 1080, &w, &h), LADDER_ECONFIG);
    r.height = 720;
    assert_int_equal(ladder_config_output_size(&r, 0, 1080, &w, &h), LADDER_EINVAL);
    assert_int_equal(ladder_config_output_size(&r, 1920, -1, &w, &h), LADDER_EINVAL);
    assert_int_equal(ladder_config_output_size(NULL, 1920, 1080, &w, &h), LADDER_EINVAL);
}

/* ---- sample aspect ratio ------------------------------------------------ */

static void assert_sar(bool exact, int src_w, int src_h, int w, int h, int num, int den)
{
    int n = -1, d = -1;
    ladder_config_rung_sar(exact, src_w, src_h, w, h, &n, &d);
    if (n != num || d != den)
        fail_msg("%dx%d from %dx%d%s: SAR %d:%d, expected %d:%d", w, h, src_w, src_h,
                 exact ? " (exact shape)" : "", n, d, num, den);
}

/* Square pixels unless the job keeps the exact shape (issue 15: hls.js saw
 * 575x240 pictures on a level that said 574x240). */
static void test_rung_sar(void **state)
{
    (void)state;
    assert_sar(false, 1920, 1080, 852, 480, 1, 1);
    assert_sar(false, 1280, 534, 574, 240, 1, 1);
    assert_sar(false, 1024, 576, 852, 480, 1, 1);   /* anamorphic 720x576 at 64:45, displayed */
    assert_sar(true, 1920, 1080, 852, 480, 640, 639);
    assert_sar(true, 1024, 576, 852, 480, 640, 639);
    assert_sar(true, 1920, 1080, 1280, 720, 1, 1); /* an exact fit needs no stretch */
    assert_sar(true, 1280, 534, 1150, 480, 2048, 2047);
    /* 25600:25543 exactly; libx264 keeps terms up to 4096, so the nearest
     * such ratio, which the bitstream, 'pasp' and @sar then all state. */
    assert_sar(true, 1280, 534, 574, 240, 3593, 3585);
    assert_sar(true, 1280, 534, 862, 360, 2810, 2807);
    /* Nothing to measure: square. */
    assert_sar(true, 0, 1080, 852, 480, 1, 1);
    assert_sar(true, 1920, 1080, 852, -2, 1, 1);

    /* Shown width = width x SAR, rounded half up: HLS RESOLUTION. */
    assert_int_equal(ladder_config_display_width(852, 640, 639), 853);
    assert_int_equal(ladder_config_display_width(574, 3593, 3585), 575);
    assert_int_equal(ladder_config_display_width(1150, 2048, 2047), 1151);
    assert_int_equal(ladder_config_display_width(640, 1, 1), 640);
    assert_int_equal(ladder_config_display_width(3, 1, 2), 2);
    assert_int_equal(ladder_config_display_width(720, 16, 15), 768);
    assert_int_equal(ladder_config_display_width(852, 0, 0), 852);

    /* Property over sources and default-ladder heights: by default the shown
     * size is the encoded one; with the exact shape it is the source's
     * shape at the rung's height to the pixel, and never a stretch of more
     * than the 2 px output_size allows. */
    static const int sources[][2] = { { 1920, 1080 }, { 1280, 534 }, { 1024, 576 }, { 768, 576 },
                                      { 1921, 1081 }, { 3840, 1600 }, { 1080, 1920 }, { 853, 480 } };
    static const int heights[] = { 1080, 720, 480, 360, 240, 180, 90 };
    for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
        for (size_t k = 0; k < sizeof(heights) / sizeof(heights[0]); k++) {
            int sw = sources[i][0], sh = sources[i][1], w, h, n, d;
            ladder_rung r = { .height = heights[k] };
            assert_int_equal(ladder_config_output_size(&r, sw, sh, &w, &h), 0);
            ladder_config_rung_sar(false, sw, sh, w, h, &n, &d);
            assert_int_equal(n, 1);
            assert_int_equal(d, 1);
            assert_int_equal(ladder_config_display_width(w, n, d), w);
            ladder_config_rung_sar(true, sw, sh, w, h, &n, &d);
            assert_true(n >= 1 && n <= 4096 && d >= 1 && d <= 4096);
            double exact_w = (double)sw * h / sh;
            int shown = ladder_config_display_width(w, n, d);
            if (fabs(shown - exact_w) > 0.5 + 1e-3 || abs(shown - w) > 2)
                fail_msg("%dx%d from %dx%d at %d:%d shows %d wide, the source's shape is %.2f", w, h, sw, sh,
                         n, d, shown, exact_w);
        }
    }
}

/* ---- default ladder ----------------------------------------------------- */

static void assert_default_rung(const ladder_rung *r, int height, int kbps)
{
    char name[16];
    snprintf(name, sizeof(name), "%dp", height);
    assert_string_equal(r->name, name);
    assert_int_equal(r->width, 0);
    assert_int_equal(r->height, height);
    assert_int_equal(r->rate_mode, LADDER_RATE_CAPPED_VBR);
    assert_int_equal(r->bitrate_kbps, kbps);
    assert_int_equal(r->maxrate_kbps, (kbps * 11 + 5) / 10);
    assert_int_equal(r->bufsize_kbps, 2 * r->maxrate_kbps);
    assert_string_equal(r->profile, "");
    assert_true(r->max_fps == 0);
}

static int default_count(int w, int h)
{
    ladder_rung *rungs = NULL;
    int nb = 0;
    assert_int_equal(ladder_config_default_ladder(w, h, &rungs, &nb), 0);
    free(rungs);
    return nb;
}

static void test_default_ladder(void **state)
{
    (void)state;
    ladder_rung *rungs = NULL;
    int nb = 0;
    assert_int_equal(ladder_config_default_ladder(1920, 1080, &rungs, &nb), 0);
    assert_int_equal(nb, 5);
    assert_default_rung(&rungs[0], 1080, 5000);
    assert_default_rung(&rungs[1], 720, 3000);
    assert_default_rung(&rungs[2], 480, 1400);
    assert_default_rung(&rungs[3], 360, 800);
    assert_default_rung(&rungs[4], 240, 400);
    assert_int_equal(rungs[0].maxrate_kbps, 5500);
    assert_int_equal(rungs[0].bufsize_kbps, 11000);
    assert_int_equal(rungs[2].maxrate_kbps, 1540);

    /* Resolve and validate as the session does. */
    static const int want_w[] = { 1920, 1280, 852, 640, 426 };
    for (int i = 0; i < nb; i++) {
        assert_int_equal(ladder_config_output_size(&rungs[i], 1920, 1080,
                                                   &rungs[i].width, &rungs[i].height), 0);
        assert_int_equal(rungs[i].width, want_w[i]);
    }
    char err[256] = "";
    assert_int_equal(ladder_config_validate(rungs, nb, err, sizeof(err)), 0);
    assert_string_equal(rungs[4].name, "240p");
    free(rungs);

    assert_int_equal(ladder_config_default_ladder(1280, 720, &rungs, &nb), 0);
    assert_int_equal(nb, 4);
    assert_default_rung(&rungs[0], 720, 3000);
    assert_default_rung(&rungs[3], 240, 400);
    free(rungs);

    assert_int_equal(default_count(3840, 2160), 5);
    assert_int_equal(default_count(1919, 1079), 4);
    assert_int_equal(default_count(640, 480), 3);
    assert_int_equal(default_count(640, 360), 2);
    assert_int_equal(default_count(426, 240), 1);
    /* Portrait: the shorter side decides. */
    assert_int_equal(default_count(1080, 1920), 5);
    assert_int_equal(default_count(720, 1280), 4);
    assert_int_equal(default_count(240, 426), 1);
    /* ...and bounds the short side: a phone video keeps its full size. */
    assert_int_equal(ladder_config_default_ladder(1080, 1920, &rungs, &nb), 0);
    int w, h;
    assert_int_equal(ladder_config_output_size(&rungs[0], 1080, 1920, &w, &h), 0);
    assert_int_equal(w, 1080);
    assert_int_equal(h, 1920);
    assert_string_equal(rungs[0].name, "1080p");
    assert_int_equal(ladder_config_output_size(&rungs[1], 1080, 1920, &w, &h), 0);
    assert_int_equal(w, 720);
    assert_int_equal(h, 1280);
    free(rungs);

    /* Below 240p: one rung at source size, named from its resolved height. */
    assert_int_equal(ladder_config_default_ladder(321, 181, &rungs, &nb), 0);
    assert_int_equal(nb, 1);
    assert_int_equal(rungs[0].width, 321);
    assert_int_equal(rungs[0].height, 181);
    assert_int_equal(rungs[0].bitrate_kbps, 400);
    assert_int_equal(rungs[0].maxrate_kbps, 440);
    assert_int_equal(rungs[0].bufsize_kbps, 880);
    assert_int_equal(ladder_config_output_size(&rungs[0], 321, 181, &rungs[0].width, &rungs[0].height), 0);
    assert_int_equal(rungs[0].width, 320);
    assert_int_equal(rungs[0].height, 180);
    assert_int_equal(ladder_config_validate(rungs, nb, err, sizeof(err)), 0);
    assert_string_equal(rungs[0].name, "180p");
    free(rungs);

    assert_int_equal(ladder_config_default_ladder(0, 1080, &rungs, &nb), LADDER_EINVAL);
    assert_int_equal(ladder_config_default_ladder(1920, -1, &rungs, &nb), LADDER_EINVAL);
    assert_int_equal(ladder_config_default_ladder(1920, 1080, NULL, &nb), LADDER_EINVAL);
}

/* ---- validate ----------------------------------------------------------- */

static ladder_rung vbr(int w, int h, int kbps)
{
    ladder_rung r;
    memset(&r, 0, sizeof(r));
    r.width = w;
    r.height = h;
    r.bitrate_kbps = kbps;
    return r;
}

static const char *validate_fails(ladder_rung *rungs, int nb)
{
    static char err[256];
    ladder_rung before[LADDER_MAX_RUNGS + 1];
    int keep = rungs && nb > 0 && nb <= LADDER_MAX_RUNGS + 1 ? nb : 0;
    if (keep)
        memcpy(before, rungs, (size_t)keep * sizeof(*rungs));
    err[0] = '\0';
    assert_int_equal(ladder_config_validate(rungs, nb, err, sizeof(err)), LADDER_ECONFIG);
    assert_one_line(err);
    /* A rejected ladder comes back untouched. */
    if (keep)
        assert_memory_equal(before, rungs, (size_t)keep * sizeof(*rungs));
    return err;
}

static void test_validate_fills(void **state)
{
    (void)state;
    ladder_rung rungs[6];
    rungs[0] = vbr(1280, 720, 3000);
    rungs[1] = vbr(1280, 720, 1999);                 /* second 720p: 720p_2 */
    rungs[2] = vbr(640, 360, 800);
    rungs[2].maxrate_kbps = 1000;                    /* bufsize from the given maxrate */
    rungs[3] = vbr(640, 360, 500);
    strcpy(rungs[3].name, "360p");                   /* given name wins over derived */
    rungs[4] = vbr(426, 240, 0);
    rungs[4].rate_mode = LADDER_RATE_CRF;            /* uncapped CRF keeps 0/0 */
    rungs[4].crf = 28;
    rungs[5] = vbr(426, 240, 0);
    rungs[5].rate_mode = LADDER_RATE_CRF;
    rungs[5].crf = 30;
    rungs[5].maxrate_kbps = 300;
    char err[256] = "";
    assert_int_equal(ladder_config_validate(rungs, 6, err, sizeof(err)), 0);

    assert_string_equal(rungs[0].name, "720p");
    assert_int_equal(rungs[0].maxrate_kbps, 3300);
    assert_int_equal(rungs[0].bufsize_kbps, 6600);
    assert_string_equal(rungs[1].name, "720p_2");
    assert_int_equal(rungs[1].maxrate_kbps, 2199);   /* 2198.9 rounded */
    assert_int_equal(rungs[1].bufsize_kbps, 4398);
    assert_string_equal(rungs[2].name, "360p_2");
    assert_int_equal(rungs[2].maxrate_kbps, 1000);
    assert_int_equal(rungs[2].bufsize_kbps, 2000);
    assert_string_equal(rungs[3].name, "360p");
    assert_string_equal(rungs[4].name, "240p");
    assert_int_equal(rungs[4].maxrate_kbps, 0);
    assert_int_equal(rungs[4].bufsize_kbps, 0);
    assert_string_equal(rungs[5].name, "240p_2");
    assert_int_equal(rungs[5].maxrate_kbps, 300);
    assert_int_equal(rungs[5].bufsize_kbps, 600);

    /* Validating again changes nothing. */
    ladder_rung again[6];
    memcpy(again, rungs, sizeof(again));
    assert_int_equal(ladder_config_validate(again, 6, err, sizeof(err)), 0);
    assert_memory_equal(again, rungs, sizeof(again));

    /* A full ladder at the top bitrate: derived rates do not overflow. */
    ladder_rung big[LADDER_MAX_RUNGS];
    for (int i = 0; i < LADDER_MAX_RUNGS; i++)
        big[i] = vbr(0, 1080, 1000000);
    assert_int_equal(ladder_config_validate(big, LADDER_MAX_RUNGS, err, sizeof(err)), 0);
    assert_int_equal(big[0].maxrate_kbps, 1100000);
    assert_int_equal(big[0].bufsize_kbps, 2200000);
    assert_string_equal(big[LADDER_MAX_RUNGS - 1].name, "1080p_16");
    assert_int_equal(ladder_config_validate(big, LADDER_MAX_RUNGS, err, sizeof(err)), 0);
}

static void test_validate_errors(void **state)
{
    (void)state;
    char err_ok[256];
    ladder_rung rungs[LADDER_MAX_RUNGS + 1];
    for (int i = 0; i <= LADDER_MAX_RUNGS; i++)
        rungs[i] = vbr(0, 100 + 2 * i, 500);
    assert_contains(validate_fails(rungs, 0), "expected 1 to 16");
    assert_contains(validate_fails(rungs, LADDER_MAX_RUNGS + 1), "expected 1 to 16");
    assert_contains(validate_fails(NULL, 3), "rungs");

    rungs[1].bitrate_kbps = 0;
    assert_contains(validate_fails(rungs, 3), "rung 2: bitrate 0k");
    rungs[1] = vbr(0, 720, 3000);

    rungs[2].rate_mode = LADDER_RATE_CRF;
    rungs[2].crf = 52;
    assert_contains(validate_fails(rungs, 3), "rung 3: crf 52");
    rungs[2].crf = -1;
    assert_contains(validate_fails(rungs, 3), "rung 3: crf -1");
    rungs[2].crf = 0;
    rungs[2].codec = LADDER_CODEC_H264;
    assert_contains(validate_fails(rungs, 3), "rung 3: crf 0 is lossless");
    rungs[2].codec = LADDER_CODEC_DEFAULT;
    rungs[2].rate_mode = (ladder_rate_mode)7;
    assert_contains(validate_fails(rungs, 3), "rate mode");
    rungs[2] = vbr(0, 480, 1400);

    strcpy(rungs[0].profile, "extreme");
    assert_contains(validate_fails(rungs, 3), "profile 'extreme'");
    memset(rungs[0].profile, 'x', sizeof(rungs[0].profile));
    assert_contains(validate_fails(rungs, 3), "profile is not NUL-terminated");
    strcpy(rungs[0].profile, "main");

    memset(rungs[0].name, 'n', sizeof(rungs[0].name));
    assert_contains(validate_fails(rungs, 3), "name is not NUL-terminated");
    strcpy(rungs[0].name, "a b");
    assert_contains(validate_fails(rungs, 3), "name 'a b'");

    strcpy(rungs[0].name, "hd");
    strcpy(rungs[2].name, "HD");
    assert_contains(validate_fails(rungs, 3), "rungs 1 and 3 are both named 'HD'");
    strcpy(rungs[2].name, "sd");

    rungs[1].maxrate_kbps = 2000;
    assert_contains(validate_fails(rungs, 3), "maxrate 2000k is below bitrate 3000k");
    rungs[1].maxrate_kbps = -5;
    assert_contains(validate_fails(rungs, 3), "maxrate -5k");
    rungs[1].maxrate_kbps = 0;
    rungs[1].bufsize_kbps = -1;
    assert_contains(validate_fails(rungs, 3), "bufsize -1k");
    rungs[1].bufsize_kbps = 0;

    rungs[1].max_fps = -1;
    assert_contains(validate_fails(rungs, 3), "max fps");
    rungs[1].max_fps = NAN;
    assert_contains(validate_fails(rungs, 3), "max fps");
    rungs[1].max_fps = 0;

    /* 10-bit: HEVC (Main 10) and AV1 only; main10 is HEVC's and 10-bit. */
    rungs[1].bit_depth = 10;
    rungs[1].codec = LADDER_CODEC_H264;
    assert_contains(validate_fails(rungs, 3), "bit depth 10 needs hevc or av1");
    rungs[1].codec = LADDER_CODEC_HEVC;
    if (ladder_config_validate(rungs, 3, err_ok, sizeof(err_ok)))
        fail_msg("HEVC 10-bit rung refused: %s", err_ok);
    rungs[1].codec = LADDER_CODEC_AV1;
    if (ladder_config_validate(rungs, 3, err_ok, sizeof(err_ok)))
        fail_msg("AV1 10-bit rung refused: %s", err_ok);
    strcpy(rungs[1].profile, "main10");
    assert_contains(validate_fails(rungs, 3), "not an AV1 profile");
    rungs[1].codec = LADDER_CODEC_H264;
    rungs[1].bit_depth = 0;
    assert_contains(validate_fails(rungs, 3), "main10' is an HEVC profile");
    rungs[1].codec = LADDER_CODEC_HEVC;
    rungs[1].bit_depth = 8;
    assert_contains(validate_fails(rungs, 3), "main10 with bit depth 8");
    rungs[1].bit_depth = 9;
    rungs[1].profile[0] = '\0';
    assert_contains(validate_fails(rungs, 3), "bit depth 9: must be 8 or 10");
    rungs[1].bit_depth = 0;
    rungs[1].codec = LADDER_CODEC_DEFAULT;
    rungs[1].name[0] = '\0';   /* the accepted ladders above named it */

    rungs[1].width = 20000;
    assert_contains(validate_fails(rungs, 3), "16384");
    rungs[1].width = 0;
    rungs[1].height = 0;
    assert_contains(validate_fails(rungs, 3), "has no size");
    rungs[1].width = 1280;
    assert_contains(validate_fails(rungs, 3), "no height to derive a name");
    rungs[1].height = 720;

    char err[256];
    assert_int_equal(ladder_config_validate(rungs, 3, err, sizeof(err)), 0);
    assert_string_equal(rungs[1].name, "720p");
}

/* ---- JSON ladder files -------------------------------------------------- */

static void test_file_valid(void **state)
{
    (void)state;
    const char *path = write_tmp("good.json",
        "{\n"
        "  \"segment_seconds\": 4,\n"
        "  \"rungs\": [\n"
        "    { \"name\": \"hd\", \"width\": 1280, \"height\": 720, \"bitrate\": \"3000k\",\n"
        "      \"maxrate\": \"3300k\", \"bufsize\": \"6M\", \"profile\": \"high\", \"max_fps\": 30 },\n"
        "    { \"height\": 480, \"bitrate\": 1400, \"max_fps\": \"30000/1001\" },\n"
        "    { \"width\": 640, \"bitrate\": \"800000\", \"max_fps\": 29.97, \"profile\": \"baseline\" },\n"
        "    { \"height\": 360, \"crf\": 26, \"maxrate\": 900 },\n"
        "    { \"height\": 240, \"crf\": 0 }\n"
        "  ]\n"
        "}\n");
    int nb = 0;
    double seg = 2.0;
    ladder_rung *rungs = load_ok(path, &nb, &seg);
    assert_int_equal(nb, 5);
    assert_true(seg == 4.0);

    assert_string_equal(rungs[0].name, "hd");
    assert_int_equal(rungs[0].width, 1280);
    assert_int_equal(rungs[0].height, 720);
    assert_int_equal(rungs[0].rate_mode, LADDER_RATE_CAPPED_VBR);
    assert_int_equal(rungs[0].bitrate_kbps, 3000);
    assert_int_equal(rungs[0].maxrate_kbps, 3300);
    assert_int_equal(rungs[0].bufsize_kbps, 6000);
    assert_string_equal(rungs[0].profile, "high");
    assert_true(rungs[0].max_fps == 30.0);

    assert_string_equal(rungs[1].name, "");
    assert_int_equal(rungs[1].width, 0);
    assert_int_equal(rungs[1].height, 480);
    assert_int_equal(rungs[1].bitrate_kbps, 1400);   /* a JSON number is kb/s */
    assert_true(fabs(rungs[1].max_fps - 30000.0 / 1001.0) < 1e-9);

    assert_int_equal(rungs[2].width, 640);
    assert_int_equal(rungs[2].height, 0);
    assert_int_equal(rungs[2].bitrate_kbps, 800);    /* a bare string >= 100000 is bits/s */
    assert_true(fabs(rungs[2].max_fps - 29.97) < 1e-9);
    assert_string_equal(rungs[2].profile, "baseline");

    assert_int_equal(rungs[3].rate_mode, LADDER_RATE_CRF);
    assert_int_equal(rungs[3].crf, 26);
    assert_int_equal(rungs[3].maxrate_kbps, 900);
    assert_int_equal(rungs[3].bitrate_kbps, 0);
    assert_int_equal(rungs[4].rate_mode, LADDER_RATE_CRF);
    assert_int_equal(rungs[4].crf, 0);
    free(rungs);

    /* No segment_seconds: the caller's value stays; a NULL pointer is fine. */
    path = write_tmp("good.json", "{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\"}]}");
    seg = 2.0;
    rungs = load_ok(path, &nb, &seg);
    assert_int_equal(nb, 1);
    assert_true(seg == 2.0);
    assert_int_equal(rungs[0].bitrate_kbps, 3000);
    free(rungs);
    rungs = load_ok(path, &nb, NULL);
    free(rungs);

    /* A byte-order mark from a Windows editor is not an error. */
    path = write_tmp("bom.json", "\xEF\xBB\xBF{\"rungs\":[{\"height\":720,\"crf\":23}]}");
    rungs = load_ok(path, &nb, &seg);
    assert_int_equal(rungs[0].crf, 23);
    free(rungs);

    /* Sixteen rungs is the limit, and allowed. */
    char text[2048] = "{\"rungs\":[";
    for (int i = 0; i < LADDER_MAX_RUNGS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s{\"height\":%d,\"bitrate\":\"%dk\"}",
                 i ? "," : "", 200 + 20 * i, 300 + 100 * i);
    strcat(text, "]}");
    path = write_tmp("good.json", text);
    rungs = load_ok(path, &nb, &seg);
    assert_int_equal(nb, LADDER_MAX_RUNGS);
    free(rungs);
}

static void test_file_missing(void **state)
{
    (void)state;
    char err[256] = "";
    ladder_rung *rungs = NULL;
    int nb = 0;
    double seg = 2.0;
    assert_int_equal(ladder_config_load_file(tmp_path("no-such.json"), &rungs, &nb, &seg, err, sizeof(err)),
                     LADDER_EINPUT_MISSING);
    assert_null(rungs);
    assert_one_line(err);
    assert_contains(err, "ladder file '");
    assert_contains(err, "no-such.json'");
    assert_contains(err, "No such file");

    /* A directory opens but cannot be read: same code. */
    assert_int_equal(mkdir(tmp_path("sub"), 0700), 0);
    err[0] = '\0';
    assert_int_equal(ladder_config_load_file(tmp_path("sub"), &rungs, &nb, &seg, err, sizeof(err)),
                     LADDER_EINPUT_MISSING);
    assert_null(rungs);
    assert_one_line(err);
    assert_contains(err, "sub'");

    /* A long path keeps its file name in the message. */
    char longpath[512];
    snprintf(longpath, sizeof(longpath), "%s/%0300d/missing-ladder.json", tmp_dir, 0);
    assert_int_equal(ladder_config_load_file(longpath, &rungs, &nb, &seg, err, sizeof(err)),
                     LADDER_EINPUT_MISSING);
    assert_contains(err, "...");
    assert_contains(err, "missing-ladder.json'");

    assert_int_equal(ladder_config_load_file(NULL, &rungs, &nb, &seg, err, sizeof(err)), LADDER_EINVAL);
}

static void test_file_bad_json(void **state)
{
    (void)state;
    const char *err = load_fails("", LADDER_ECONFIG);
    assert_contains(err, "is empty");
    assert_contains(load_fails(" \n\t ", LADDER_ECONFIG), "is empty");

    err = load_fails("{\n  \"rungs\": [\n    { \"height\": 720, }\n  ]\n}\n", LADDER_ECONFIG);
    assert_contains(err, "invalid JSON at line 3");
    assert_contains(load_fails("{\"rungs\": [", LADDER_ECONFIG), "invalid JSON");
    assert_contains(load_fails("/* comment */ {\"rungs\": []}", LADDER_ECONFIG), "invalid JSON");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\"}]} {}", LADDER_ECONFIG),
                    "invalid JSON at line 1, column 43");

    /* A NUL byte stops json-c; what follows must not be ignored silently. */
    static const char with_nul[] = "{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\"}]}\0garbage";
    const char *path = write_tmp_bytes("bad.json", with_nul, sizeof(with_nul) - 1);
    ladder_rung *rungs = NULL;
    int nb = 0;
    char nul_err[256] = "";
    assert_int_equal(ladder_config_load_file(path, &rungs, &nb, NULL, nul_err, sizeof(nul_err)), LADDER_ECONFIG);
    assert_null(rungs);
    assert_contains(nul_err, "after the top-level value");

    /* Not a ladder file at all: something big. */
    size_t big_len = 2u << 20;
    char *big = malloc(big_len);
    assert_non_null(big);
    memset(big, ' ', big_len);
    path = write_tmp_bytes("bad.json", big, big_len);
    free(big);
    assert_int_equal(ladder_config_load_file(path, &rungs, &nb, NULL, nul_err, sizeof(nul_err)), LADDER_ECONFIG);
    assert_null(rungs);
    assert_contains(nul_err, "larger than");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"\xff\"}]}", LADDER_ECONFIG),
                    "invalid JSON");
    assert_contains(load_fails("[{\"height\":720,\"bitrate\":\"3M\"}]", LADDER_ECONFIG), "JSON object");
    assert_contains(load_fails("42", LADDER_ECONFIG), "JSON object");
}

static void test_file_bad_ladder(void **state)
{
    (void)state;
    /* The example from the spec, word for word. */
    const char *err = load_fails(
        "{\"rungs\":[{\"height\":1080,\"bitrate\":\"5000k\"},{\"height\":720,\"bitrate\":\"3000k\"},"
        "{\"height\":480,\"bitrate\":\"fast\"}]}", LADDER_ECONFIG);
    assert_contains(err, "bad.json': rungs[2].bitrate: expected a bitrate like \"3000k\"");

    assert_contains(load_fails("{}", LADDER_ECONFIG), "missing the \"rungs\" array");
    assert_contains(load_fails("{\"rungs\":[]}", LADDER_ECONFIG), "expected 1 to 16");
    char text[2048] = "{\"rungs\":[";
    for (int i = 0; i <= LADDER_MAX_RUNGS; i++)
        snprintf(text + strlen(text), sizeof(text) - strlen(text), "%s{\"height\":720,\"bitrate\":500}",
                 i ? "," : "");
    strcat(text, "]}");
    assert_contains(load_fails(text, LADDER_ECONFIG), "has 17 rungs");

    /* Unknown keys: typos must not pass silently. */
    assert_contains(load_fails("{\"rung\":[]}", LADDER_ECONFIG), "unknown key 'rung'");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrat\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0].bitrat: unknown key");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"fps\":30}]}", LADDER_ECONFIG),
                    "rungs[0].fps: unknown key");

    /* Wrong types. */
    assert_contains(load_fails("{\"rungs\":{}}", LADDER_ECONFIG), "rungs: expected an array");
    assert_contains(load_fails("{\"rungs\":[720]}", LADDER_ECONFIG), "rungs[0]: expected an object");
    assert_contains(load_fails("{\"rungs\":[{\"height\":\"720\",\"bitrate\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0].height: expected a whole number");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720.5,\"bitrate\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0].height: expected a whole number");
    assert_contains(load_fails("{\"rungs\":[{\"height\":-720,\"bitrate\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0].height: -720 is out of range");
    assert_contains(load_fails("{\"rungs\":[{\"width\":20000,\"bitrate\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0].width: 20000 is out of range (0 to 16384)");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":true}]}", LADDER_ECONFIG),
                    "rungs[0].bitrate: expected a bitrate");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":2.5}]}", LADDER_ECONFIG),
                    "rungs[0].bitrate: expected a bitrate");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":null}]}", LADDER_ECONFIG),
                    "rungs[0].bitrate: expected a bitrate");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":0}]}", LADDER_ECONFIG),
                    "rungs[0].bitrate: must be at least 1k");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":-3000}]}", LADDER_ECONFIG),
                    "rungs[0].bitrate: must be at least 1k");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":99999999999999999999}]}",
                               LADDER_ECONFIG), "rungs[0].bitrate: is above the limit");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"maxrate\":\"x\"}]}",
                               LADDER_ECONFIG), "rungs[0].maxrate: expected a bitrate");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"crf\":\"23\"}]}", LADDER_ECONFIG),
                    "rungs[0].crf: expected a whole number from 0 to 51");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"crf\":52}]}", LADDER_ECONFIG),
                    "rungs[0].crf: 52 is out of range");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"profile\":5}]}",
                               LADDER_ECONFIG), "rungs[0].profile: expected baseline, main, high (H.264) or main10");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"profile\":\"High\"}]}",
                               LADDER_ECONFIG), "rungs[0].profile");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"name\":7}]}",
                               LADDER_ECONFIG), "rungs[0].name: expected a string");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"name\":\"../x\"}]}",
                               LADDER_ECONFIG), "rungs[0].name");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"name\":\"a\\u0000b\"}]}",
                               LADDER_ECONFIG), "rungs[0].name");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"max_fps\":\"fast\"}]}",
                               LADDER_ECONFIG), "rungs[0].max_fps: expected a frame rate");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"max_fps\":0}]}",
                               LADDER_ECONFIG), "rungs[0].max_fps: must be above 0");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"max_fps\":1e400}]}",
                               LADDER_ECONFIG), "rungs[0].max_fps");
    assert_contains(load_fails("{\"segment_seconds\":\"2\",\"rungs\":[{\"height\":720,\"bitrate\":\"3M\"}]}",
                               LADDER_ECONFIG), "segment_seconds: expected a number of seconds");
    assert_contains(load_fails("{\"segment_seconds\":0,\"rungs\":[{\"height\":720,\"bitrate\":\"3M\"}]}",
                               LADDER_ECONFIG), "segment_seconds");
    assert_contains(load_fails("{\"segment_seconds\":61,\"rungs\":[{\"height\":720,\"bitrate\":\"3M\"}]}",
                               LADDER_ECONFIG), "segment_seconds");

    /* Rungs that are well-typed but make no sense. */
    assert_contains(load_fails("{\"rungs\":[{\"height\":720}]}", LADDER_ECONFIG),
                    "rungs[0]: missing \"bitrate\"");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"crf\":23}]}",
                               LADDER_ECONFIG), "rungs[0]: give either \"bitrate\" or \"crf\"");
    assert_contains(load_fails("{\"rungs\":[{\"bitrate\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0]: give \"height\", \"width\" or both");
    assert_contains(load_fails("{\"rungs\":[{\"width\":0,\"height\":0,\"bitrate\":\"3M\"}]}", LADDER_ECONFIG),
                    "rungs[0]: give \"height\", \"width\" or both");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":\"3M\",\"maxrate\":\"2M\"}]}",
                               LADDER_ECONFIG), "rungs[0]: maxrate 2000k is below bitrate 3000k");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"crf\":23,\"bufsize\":\"2M\"}]}",
                               LADDER_ECONFIG), "rungs[0]: bufsize 2000k without maxrate");

    /* Control characters in a key stay out of the one-line message. */
    err = load_fails("{\"rungs\":[{\"height\":720,\"bit\\nrate\":\"3M\"}]}", LADDER_ECONFIG);
    assert_contains(err, "rungs[0].bit rate: unknown key");
}

/* ---- the shipped samples ------------------------------------------------ */

static void assert_same_rung(const ladder_rung *a, const ladder_rung *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_int_equal(a->rate_mode, b->rate_mode);
    assert_int_equal(a->bitrate_kbps, b->bitrate_kbps);
    assert_int_equal(a->maxrate_kbps, b->maxrate_kbps);
    assert_int_equal(a->bufsize_kbps, b->bufsize_kbps);
    assert_int_equal(a->crf, b->crf);
    assert_string_equal(a->profile, b->profile);
    assert_true(a->max_fps == b->max_fps);
}

/* The repository root: $LADDER_SOURCE_DIR, else the working directory when it
 * has the samples, else the root this file was compiled from (ctest runs unit
 * tests in the build tree, and CMake compiles them by absolute path). */
static const char *source_dir(void)
{
    const char *env = getenv("LADDER_SOURCE_DIR");
    if (env && *env)
        return env;
    struct stat st;
    if (stat("samples/ladders", &st) == 0)
        return ".";
    static char dir[1024];
    const char *tail = strstr(__FILE__, "tests/unit/");
    if (__FILE__[0] == '/' && tail) {
        snprintf(dir, sizeof(dir), "%.*s", (int)(tail - __FILE__), __FILE__);
        return dir;
    }
    return ".";
}

/* ---- codecs ------------------------------------------------------------- */

static void test_codecs(void **state)
{
    (void)state;
    char err[256] = "";
    ladder_codec codec = LADDER_CODEC_DEFAULT;
    assert_int_equal(ladder_config_parse_codec("hevc", &codec, err, sizeof(err)), 0);
    assert_int_equal(codec, LADDER_CODEC_HEVC);
    assert_int_equal(ladder_config_parse_codec("h264", &codec, err, sizeof(err)), 0);
    assert_int_equal(codec, LADDER_CODEC_H264);
    /* av1 is a codec like the others here; whether the linked FFmpeg has
     * libsvtav1 is the session's question (exit 10). */
    assert_int_equal(ladder_config_parse_codec("av1", &codec, err, sizeof(err)), 0);
    assert_int_equal(codec, LADDER_CODEC_AV1);
    assert_string_equal(ladder_config_codec_name(LADDER_CODEC_AV1), "av1");
    codec = LADDER_CODEC_H264;
    /* An unknown one (case matters, as for formats): a bad description. */
    assert_int_equal(ladder_config_parse_codec("HEVC", &codec, err, sizeof(err)), LADDER_ECONFIG);
    assert_contains(err, "unknown codec 'HEVC' (expected h264, hevc or av1)");
    assert_int_equal(ladder_config_parse_codec("", &codec, err, sizeof(err)), LADDER_ECONFIG);
    assert_int_equal(ladder_config_parse_codec(NULL, &codec, err, sizeof(err)), LADDER_ECONFIG);
    assert_int_equal(ladder_config_parse_codec("hevc", NULL, err, sizeof(err)), LADDER_EINVAL);
    assert_string_equal(ladder_config_codec_name(LADDER_CODEC_HEVC), "hevc");
    assert_string_equal(ladder_config_codec_name(LADDER_CODEC_DEFAULT), "h264");
    /* The x264 names map to SVT presets (shared with ladder bench). */
    assert_string_equal(ladder_config_svt_preset("ultrafast"), "12");
    assert_string_equal(ladder_config_svt_preset("veryfast"), "10");
    assert_string_equal(ladder_config_svt_preset("medium"), "7");
    assert_string_equal(ladder_config_svt_preset("placebo"), "1");
    assert_string_equal(ladder_config_svt_preset("8"), "8");
    assert_null(ladder_config_svt_preset(NULL));

    /* Per rung and at the top level; a rung that names none stays DEFAULT
     * (the job's codec applies later), the top level goes to the options. */
    const char *path = write_tmp("codec.json",
        "{\"codec\": \"hevc\", \"rungs\": [ {\"height\": 720, \"bitrate\": \"3M\", \"codec\": \"h264\"},"
        " {\"height\": 360, \"crf\": 28, \"codec\": \"hevc\", \"profile\": \"main\"},"
        " {\"height\": 240, \"bitrate\": 300} ]}");
    ladder_rung *rungs = NULL;
    int nb = 0;
    ladder_file_options opts = { 0 };
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_int_equal(nb, 3);
    assert_true(opts.has_codec);
    assert_int_equal(opts.codec, LADDER_CODEC_HEVC);
    assert_int_equal(rungs[0].codec, LADDER_CODEC_H264);
    assert_int_equal(rungs[1].codec, LADDER_CODEC_HEVC);
    assert_int_equal(rungs[2].codec, LADDER_CODEC_DEFAULT);
    free(rungs);
    path = write_tmp("codec.json", "{\"rungs\": [ {\"height\": 720, \"bitrate\": \"3M\"} ]}");
    rungs = NULL;
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_false(opts.has_codec);
    free(rungs);

}

/* A ladder file's top-level options besides the codec. */
static void test_file_options(void **state)
{
    (void)state;
    char err[256] = "";
    const char *path;
    ladder_rung *rungs = NULL;
    int nb = 0;
    ladder_file_options opts = { 0 };
    /* "parameter_sets" and a 10-bit rung in a file. */
    path = write_tmp("ps.json", "{\"parameter_sets\": \"in-band\", \"rungs\": [ {\"height\": 720, "
                                "\"bitrate\": \"3M\", \"codec\": \"hevc\", \"bit_depth\": 10} ]}");
    rungs = NULL;
    opts = (ladder_file_options){ 0 };
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_true(opts.has_parameter_sets);
    assert_int_equal(opts.parameter_sets, LADDER_PARAMETER_SETS_IN_BAND);
    assert_int_equal(rungs[0].bit_depth, 10);
    free(rungs);
    assert_contains(load_fails("{\"parameter_sets\": \"inband\", \"rungs\":[{\"height\":720,\"bitrate\":500}]}",
                               LADDER_ECONFIG), "parameter_sets: expected \"out-of-band\" or \"in-band\"");

    /* "exact_shape": a boolean; absent, the job's default (square pixels). */
    assert_false(opts.has_exact_shape);
    path = write_tmp("codec.json", "{\"exact_shape\": true, \"rungs\": [ {\"height\": 480, \"bitrate\": 900} ]}");
    rungs = NULL;
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_true(opts.has_exact_shape);
    assert_true(opts.exact_shape);
    free(rungs);
    path = write_tmp("codec.json", "{\"exact_shape\": false, \"rungs\": [ {\"height\": 480, \"bitrate\": 900} ]}");
    rungs = NULL;
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_true(opts.has_exact_shape);
    assert_false(opts.exact_shape);
    free(rungs);
    assert_contains(load_fails("{\"exact_shape\": 1, \"rungs\":[{\"height\":720,\"bitrate\":500}]}",
                               LADDER_ECONFIG), "exact_shape: expected true or false");
    assert_contains(load_fails("{\"exact-shape\": true, \"rungs\":[{\"height\":720,\"bitrate\":500}]}",
                               LADDER_ECONFIG), "unknown key 'exact-shape'");

    /* "gaps": "hold" or "close"; absent, the job's default (hold). */
    assert_false(opts.has_gaps);
    path = write_tmp("codec.json", "{\"gaps\": \"close\", \"rungs\": [ {\"height\": 480, \"bitrate\": 900} ]}");
    rungs = NULL;
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_true(opts.has_gaps);
    assert_true(opts.close_gaps);
    free(rungs);
    assert_contains(load_fails("{\"gaps\": \"fill\", \"rungs\":[{\"height\":720,\"bitrate\":500}]}",
                               LADDER_ECONFIG), "gaps: expected \"hold\" or \"close\"");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":500,\"bit_depth\":12}]}",
                               LADDER_ECONFIG), "bit_depth");

    /* av1 in a file, per rung and at the top level; an unknown name is a
     * bad ladder. */
    path = write_tmp("codec.json",
        "{\"codec\": \"av1\", \"rungs\": [ {\"height\": 360, \"bitrate\": 500, \"codec\": \"av1\","
        " \"profile\": \"main\"}, {\"height\": 240, \"crf\": 30} ]}");
    rungs = NULL;
    assert_int_equal(ladder_config_load_file_options(path, &rungs, &nb, &opts, err, sizeof(err)), 0);
    assert_true(opts.has_codec);
    assert_int_equal(opts.codec, LADDER_CODEC_AV1);
    assert_int_equal(rungs[0].codec, LADDER_CODEC_AV1);
    assert_int_equal(rungs[1].codec, LADDER_CODEC_DEFAULT);
    free(rungs);
    /* H.264 profile names mean nothing to an AV1 rung either. */
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":500,\"codec\":\"av1\","
                               "\"profile\":\"high\"}]}", LADDER_ECONFIG),
                    "is not an AV1 profile (an av1 rung is main)");
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":500,\"codec\":\"vp9\"}]}",
                               LADDER_ECONFIG), "rungs[0].codec: unknown codec 'vp9'");
    assert_contains(load_fails("{\"codec\":264,\"rungs\":[{\"height\":720,\"bitrate\":500}]}",
                               LADDER_ECONFIG), "codec: expected a string");
    /* H.264 profiles mean nothing to an HEVC rung. */
    assert_contains(load_fails("{\"rungs\":[{\"height\":720,\"bitrate\":500,\"codec\":\"hevc\","
                               "\"profile\":\"high\"}]}", LADDER_ECONFIG),
                    "profile 'high' is not an HEVC profile");

    ladder_rung r[1] = { vbr(0, 720, 3000) };
    r[0].codec = LADDER_CODEC_HEVC;
    strcpy(r[0].profile, "baseline");
    assert_contains(validate_fails(r, 1), "profile 'baseline' is not an HEVC profile");
    strcpy(r[0].profile, "main");
    r[0].codec = (ladder_codec)9;
    assert_contains(validate_fails(r, 1), "unknown codec 9");
    r[0].codec = LADDER_CODEC_HEVC;
    assert_int_equal(ladder_config_validate(r, 1, err, sizeof(err)), 0);
}

static ladder_rung *load_sample(const char *name, int *nb, double *seg)
{
    char path[1280];
    snprintf(path, sizeof(path), "%s/samples/ladders/%s", source_dir(), name);
    ladder_rung *rungs = load_ok(path, nb, seg);
    char err[256] = "";
    if (ladder_config_validate(rungs, *nb, err, sizeof(err)))
        fail_msg("%s does not validate: %s", path, err);
    return rungs;
}

static void test_samples(void **state)
{
    (void)state;
    int nb = 0;
    double seg = 2.0;

    /* default.json is the built-in default ladder for a 1080p source. */
    ladder_rung *file = load_sample("default.json", &nb, &seg);
    ladder_rung *builtin = NULL;
    int nb_builtin = 0;
    assert_int_equal(ladder_config_default_ladder(1920, 1080, &builtin, &nb_builtin), 0);
    char err[256];
    assert_int_equal(ladder_config_validate(builtin, nb_builtin, err, sizeof(err)), 0);
    assert_int_equal(nb, 5);
    assert_int_equal(nb_builtin, 5);
    for (int i = 0; i < nb; i++)
        assert_same_rung(&file[i], &builtin[i]);
    free(file);
    free(builtin);

    ladder_rung *mobile = load_sample("mobile.json", &nb, &seg);
    assert_int_equal(nb, 3);
    for (int i = 0; i < nb; i++) {
        assert_int_equal(mobile[i].rate_mode, LADDER_RATE_CAPPED_VBR);
        assert_true(mobile[i].max_fps == 30.0);
        assert_string_equal(mobile[i].profile, "main");
        assert_true(mobile[i].height <= 480);
        assert_true(i == 0 || mobile[i].bitrate_kbps < mobile[i - 1].bitrate_kbps);
    }
    free(mobile);

    ladder_rung *crf = load_sample("crf.json", &nb, &seg);
    assert_true(nb >= 1);
    for (int i = 0; i < nb; i++) {
        assert_int_equal(crf[i].rate_mode, LADDER_RATE_CRF);
        assert_true(crf[i].maxrate_kbps > 0);
        assert_int_equal(crf[i].bufsize_kbps, 2 * crf[i].maxrate_kbps);
    }
    free(crf);
    /* None of the samples overrides the command line's --segment. */
    assert_true(seg == 2.0);
}

/* One size parser for --memory-budget, the host config and --devices min-free. */
static void test_parse_size(void **state)
{
    (void)state;
    int64_t b = -1;
    assert_int_equal(ladder_config_parse_size("1048576", &b), 0);
    assert_int_equal(b, 1048576);
    assert_int_equal(ladder_config_parse_size("512M", &b), 0);
    assert_int_equal(b, 512LL << 20);
    assert_int_equal(ladder_config_parse_size("1.5GiB", &b), 0);
    assert_int_equal(b, 3LL << 29);
    assert_int_equal(ladder_config_parse_size("2t", &b), 0);
    assert_int_equal(b, 2LL << 40);
    assert_int_equal(ladder_config_parse_size("0", &b), 0);
    assert_int_equal(b, 0);
    static const char *const bad[] = { "", "M", "-1M", "12Q", "5MBx", "2000T", "nan" };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
        if (ladder_config_parse_size(bad[k], &b) != LADDER_ECONFIG)
            fail_msg("'%s' accepted as a size", bad[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_basic),
        cmocka_unit_test(test_spec_options),
        cmocka_unit_test(test_spec_bitrate_units),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_spec_null_args),
        cmocka_unit_test(test_output_size),
        cmocka_unit_test(test_rung_sar),
        cmocka_unit_test(test_default_ladder),
        cmocka_unit_test(test_validate_fills),
        cmocka_unit_test(test_validate_errors),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_file_valid),
        cmocka_unit_test(test_file_missing),
        cmocka_unit_test(test_file_bad_json),
        cmocka_unit_test(test_file_bad_ladder),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_codecs),
        cmocka_unit_test(test_file_options),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
