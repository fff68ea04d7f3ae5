/* The input policy (ladder/input_policy.h): nested formats, protocol lists
 * and refusals, on small files in a fresh directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libavformat/avformat.h>

#include "ladder/error.h"
#include "engine/input_policy.h"

static char dir[] = "/tmp/ladder-test-input-policy-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int open_default(const char *url, const ladder_input_policy *policy)
{
    AVFormatContext *ctx = NULL;
    char err[512] = "";
    int ret = ladder_input_open(&ctx, url, policy, err, sizeof(err));
    if (ret) {
        assert_null(ctx);
        /* One line naming the input. */
        assert_non_null(strstr(err, url));
        assert_null(strchr(err, '\n'));
    }
    avformat_close_input(&ctx);
    return ret;
}

static void nesting_formats(void **state)
{
    (void)state;
    assert_true(ladder_input_format_nests("hls"));
    assert_true(ladder_input_format_nests("dash"));
    assert_true(ladder_input_format_nests("concat"));
    assert_true(ladder_input_format_nests("image2"));
    assert_true(ladder_input_format_nests("x,imf"));
    assert_false(ladder_input_format_nests("image2pipe"));
    assert_false(ladder_input_format_nests("png_pipe"));
    assert_false(ladder_input_format_nests("mov,mp4,m4a,3gp,3g2,mj2"));
    assert_false(ladder_input_format_nests("matroska,webm"));
    assert_false(ladder_input_format_nests(NULL));
}

static void protocol_lists(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(ladder_input_policy_check(NULL, err, sizeof(err)), 0);
    assert_int_equal(ladder_input_policy_check("", err, sizeof(err)), 0);
    assert_int_equal(ladder_input_policy_check("http,https", err, sizeof(err)), 0);
    assert_int_equal(ladder_input_policy_check("file", err, sizeof(err)), 0);
    assert_int_equal(ladder_input_policy_check("ftp", err, sizeof(err)), LADDER_EINVAL);
    assert_non_null(strstr(err, "ftp"));
    assert_int_equal(ladder_input_policy_check("http,,https", err, sizeof(err)), LADDER_EINVAL);
    assert_int_equal(ladder_input_policy_check("httpx", err, sizeof(err)), LADDER_EINVAL);
}

static void refusals(void **state)
{
    (void)state;
    const char *m3u8 = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n";
    assert_int_equal(open_default(write_file("a.m3u8", m3u8), NULL), LADDER_EREFUSED);
    /* The same text under a media name: refused as a playlist, not "invalid". */
    assert_int_equal(open_default(write_file("b.mp4", m3u8), NULL), LADDER_EREFUSED);
    assert_int_equal(open_default(write_file("c.ffconcat", "ffconcat version 1.0\nfile '/etc/passwd'\n"), NULL),
                     LADDER_EREFUSED);
    assert_int_equal(open_default(write_file("d.mpd", "<?xml version=\"1.0\"?>\n<MPD></MPD>\n"), NULL),
                     LADDER_EREFUSED);
    assert_int_equal(open_default("http://127.0.0.1:9/x.mp4", NULL), LADDER_EREFUSED);
    assert_int_equal(open_default("pipe:0", NULL), LADDER_EREFUSED);
    assert_int_equal(open_default("data:text/plain,hello", NULL), LADDER_EREFUSED);
    /* http allowed: the protocol passes, the connection is what fails. */
    ladder_input_policy http = { .allow_protocols = "http" };
    assert_int_equal(open_default("http://127.0.0.1:9/x.mp4", &http), LADDER_EINPUT_MISSING);
    char missing[600];
    snprintf(missing, sizeof(missing), "%s/none.mp4", dir);
    assert_int_equal(open_default(missing, NULL), LADDER_EINPUT_MISSING);
    assert_int_equal(open_default(write_file("e.mp4", "\x01\x02\x03 not media"), NULL), LADDER_EINPUT_INVALID);
    /* A pattern in an image name would read a sequence of files. */
    assert_int_equal(open_default(write_file("f%03d.jpg", "\xff\xd8\xff\xe0 jpeg"), NULL), LADDER_EREFUSED);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = { "a.m3u8", "b.mp4", "c.ffconcat", "d.mpd", "e.mp4", "f%03d.jpg" };
    char path[600];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    return rmdir(dir);
}

int main(void)
{
    av_log_set_level(AV_LOG_QUIET);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nesting_formats),
        cmocka_unit_test(protocol_lists),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
