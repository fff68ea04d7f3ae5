/*
 * HLS playlist text, compared in full against what RFC 8216 players expect.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ladder/error.h"
#include "mux/hls_playlist.h"

/* 29.97 fps content cut every 60 frames: 60 * 1001 / 30000 = 2.002 s; the
 * tail is 40 frames, 1.334666... s. */
static void media_ntsc_segments(void **state)
{
    (void)state;
    const ladder_hls_segment segs[] = {
        { .uri = "seg_00001.m4s", .duration = 60.0 * 1001 / 30000 },
        { .uri = "seg_00002.m4s", .duration = 60.0 * 1001 / 30000 },
        { .uri = "seg_00003.m4s", .duration = 60.0 * 1001 / 30000 },
        { .uri = "seg_00004.m4s", .duration = 40.0 * 1001 / 30000 },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_media_playlist("init.mp4", segs, 4, &text), 0);
    assert_non_null(text);
    assert_string_equal(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MAP:URI=\"init.mp4\"\n"
        "#EXTINF:2.002,\n"
        "seg_00001.m4s\n"
        "#EXTINF:2.002,\n"
        "seg_00002.m4s\n"
        "#EXTINF:2.002,\n"
        "seg_00003.m4s\n"
        "#EXTINF:1.335,\n"
        "seg_00004.m4s\n"
        "#EXT-X-ENDLIST\n");
    free(text);
}

/* The TARGETDURATION line of a one-segment playlist of duration d. */
static long long target_for(double d)
{
    const ladder_hls_segment seg = { .uri = "s.m4s", .duration = d };
    char *text = NULL;
    assert_int_equal(ladder_hls_media_playlist("init.mp4", &seg, 1, &text), 0);
    const char *p = strstr(text, "#EXT-X-TARGETDURATION:");
    assert_non_null(p);
    long long v = strtoll(p + strlen("#EXT-X-TARGETDURATION:"), NULL, 10);
    free(text);
    return v;
}

static void media_target_duration_rounding(void **state)
{
    (void)state;
    assert_int_equal(target_for(2.5), 3);
    assert_int_equal(target_for(2.49), 2);
    assert_int_equal(target_for(2.002), 2);
    assert_int_equal(target_for(1.999), 2);
    assert_int_equal(target_for(6.0), 6);
    /* Printed as "2.500", which a validator rounds to 3: the target must
     * follow the printed value, not the exact one. */
    assert_int_equal(target_for(2.4996), 3);
    assert_int_equal(target_for(2.4994), 2);
}

/* The longest segment sets the target, wherever it is. */
static void media_target_is_maximum(void **state)
{
    (void)state;
    const ladder_hls_segment segs[] = {
        { .uri = "a.m4s", .duration = 2.0 }, { .uri = "b.m4s", .duration = 4.6 }, { .uri = "c.m4s", .duration = 1.0 },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_media_playlist("i.mp4", segs, 3, &text), 0);
    assert_string_equal(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-TARGETDURATION:5\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MAP:URI=\"i.mp4\"\n"
        "#EXTINF:2.000,\n"
        "a.m4s\n"
        "#EXTINF:4.600,\n"
        "b.m4s\n"
        "#EXTINF:1.000,\n"
        "c.m4s\n"
        "#EXT-X-ENDLIST\n");
    free(text);
}

/* Enough segments to make the buffer grow several times. */
static void media_long_playlist(void **state)
{
    (void)state;
    enum { N = 5000 };
    ladder_hls_segment *segs = calloc(N, sizeof(*segs));
    char (*names)[32] = calloc(N, sizeof(*names));
    assert_non_null(segs);
    assert_non_null(names);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "seg_%05d.m4s", i + 1);
        segs[i] = (ladder_hls_segment){ .uri = names[i], .duration = 2.002 };
    }
    char *text = NULL;
    assert_int_equal(ladder_hls_media_playlist("init.mp4", segs, N, &text), 0);
    assert_non_null(strstr(text, "#EXTINF:2.002,\nseg_05000.m4s\n#EXT-X-ENDLIST\n"));
    size_t count = 0;
    for (const char *p = text; (p = strstr(p, "#EXTINF:")) != NULL; p++)
        count++;
    assert_int_equal(count, N);
    free(text);
    free(names);
    free(segs);
}

static void media_invalid(void **state)
{
    (void)state;
    const ladder_hls_segment ok[] = { { .uri = "a.m4s", .duration = 2.0 } };
    char *text = (char *)"sentinel";
    assert_int_equal(ladder_hls_media_playlist("init.mp4", ok, 0, &text), LADDER_EINVAL);
    assert_null(text);
    assert_int_equal(ladder_hls_media_playlist("init.mp4", NULL, 1, &text), LADDER_EINVAL);
    assert_int_equal(ladder_hls_media_playlist(NULL, ok, 1, &text), LADDER_EINVAL);
    assert_int_equal(ladder_hls_media_playlist("init.mp4", ok, 1, NULL), LADDER_EINVAL);

    const ladder_hls_segment null_uri[] = { { .uri = "a.m4s", .duration = 2.0 }, { .uri = NULL, .duration = 2.0 } };
    assert_int_equal(ladder_hls_media_playlist("init.mp4", null_uri, 2, &text), LADDER_EINVAL);
    const ladder_hls_segment quote[] = { { .uri = "a\".m4s", .duration = 2.0 } };
    assert_int_equal(ladder_hls_media_playlist("init.mp4", quote, 1, &text), LADDER_EINVAL);
    const ladder_hls_segment newline[] = { { .uri = "a.m4s\n#EXT-X-ENDLIST", .duration = 2.0 } };
    assert_int_equal(ladder_hls_media_playlist("init.mp4", newline, 1, &text), LADDER_EINVAL);
    assert_int_equal(ladder_hls_media_playlist("in\"it.mp4", ok, 1, &text), LADDER_EINVAL);
    assert_int_equal(ladder_hls_media_playlist("init\r.mp4", ok, 1, &text), LADDER_EINVAL);

    const ladder_hls_segment zero[] = { { .uri = "a.m4s", .duration = 0.0 } };
    assert_int_equal(ladder_hls_media_playlist("init.mp4", zero, 1, &text), LADDER_EINVAL);
    const ladder_hls_segment negative[] = { { .uri = "a.m4s", .duration = -2.0 } };
    assert_int_equal(ladder_hls_media_playlist("init.mp4", negative, 1, &text), LADDER_EINVAL);
    const ladder_hls_segment nan[] = { { .uri = "a.m4s", .duration = NAN } };
    assert_int_equal(ladder_hls_media_playlist("init.mp4", nan, 1, &text), LADDER_EINVAL);
    assert_null(text);
}

static const ladder_hls_variant ladder3[] = {
    { "video/1080p/index.m3u8", 5328000, 4123456, "avc1.640028,mp4a.40.2",
      1920, 1080, 30000.0 / 1001, "audio", NULL, 0, NULL, NULL },
    { "video/720p/index.m3u8", 3128000, 2600000, "avc1.64001f,mp4a.40.2",
      1280, 720, 30000.0 / 1001, "audio", NULL, 0, NULL, NULL },
    { "video/360p/index.m3u8", 928000, 700000, "avc1.42c01e,mp4a.40.2",
      640, 360, 24000.0 / 1001, "audio", NULL, 0, NULL, NULL },
};

static void master_with_audio(void **state)
{
    (void)state;
    const ladder_hls_audio_rendition audio[] = {
        { "audio", "aac_128k", "en", "audio/aac_128k/index.m3u8", 1, 2 },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_master_playlist(ladder3, 3, audio, 1, &text), 0);
    assert_string_equal(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"aac_128k\",LANGUAGE=\"en\","
        "DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio/aac_128k/index.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=5328000,AVERAGE-BANDWIDTH=4123456,"
        "CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,FRAME-RATE=29.970,AUDIO=\"audio\"\n"
        "video/1080p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=3128000,AVERAGE-BANDWIDTH=2600000,"
        "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,FRAME-RATE=29.970,AUDIO=\"audio\"\n"
        "video/720p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=928000,AVERAGE-BANDWIDTH=700000,"
        "CODECS=\"avc1.42c01e,mp4a.40.2\",RESOLUTION=640x360,FRAME-RATE=23.976,AUDIO=\"audio\"\n"
        "video/360p/index.m3u8\n");
    free(text);
}

static void master_without_audio(void **state)
{
    (void)state;
    const ladder_hls_variant variants[] = {
        { "video/720p/index.m3u8", 3000000, 2500000, "avc1.64001f", 1280, 720, 25.0, NULL, NULL, 0, NULL, NULL },
        { "video/480p/index.m3u8", 1400000, 1200000, "avc1.4d401e", 854, 480, 60.0, NULL, NULL, 0, NULL, NULL },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_master_playlist(variants, 2, NULL, 0, &text), 0);
    assert_string_equal(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=3000000,AVERAGE-BANDWIDTH=2500000,"
        "CODECS=\"avc1.64001f\",RESOLUTION=1280x720,FRAME-RATE=25.000\n"
        "video/720p/index.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1400000,AVERAGE-BANDWIDTH=1200000,"
        "CODECS=\"avc1.4d401e\",RESOLUTION=854x480,FRAME-RATE=60.000\n"
        "video/480p/index.m3u8\n");
    free(text);
}

/* No LANGUAGE without a language, no CHANNELS for 0, DEFAULT=NO. */
static void master_optional_audio_attributes(void **state)
{
    (void)state;
    const ladder_hls_variant variant = {
        "v/index.m3u8", 800000, 0, "avc1.42c01e,mp4a.40.5", 0, 0, 0.0, "aud", NULL, 0, NULL, NULL,
    };
    const ladder_hls_audio_rendition audio[] = {
        { "aud", "main", NULL, "a/main.m3u8", 1, 0 },
        { "aud", "commentary", "fr-CA", "a/comm.m3u8", 0, 1 },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_master_playlist(&variant, 1, audio, 2, &text), 0);
    assert_string_equal(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"main\","
        "DEFAULT=YES,AUTOSELECT=YES,URI=\"a/main.m3u8\"\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"commentary\",LANGUAGE=\"fr-CA\","
        "DEFAULT=NO,AUTOSELECT=YES,CHANNELS=\"1\",URI=\"a/comm.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS=\"avc1.42c01e,mp4a.40.5\",AUDIO=\"aud\"\n"
        "v/index.m3u8\n");
    free(text);
}

static void master_rejects_quotes_and_newlines(void **state)
{
    (void)state;
    const ladder_hls_audio_rendition good_audio = {
        "audio", "aac", "en", "audio/aac/index.m3u8", 1, 2,
    };
    char *text = NULL;

    ladder_hls_variant v = ladder3[0];
    v.codecs = "avc1.640028\",mp4a.40.2";
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &good_audio, 1, &text), LADDER_EINVAL);
    v = ladder3[0];
    v.uri = "video/1080p/index.m3u8\n#EXT-X-ENDLIST";
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &good_audio, 1, &text), LADDER_EINVAL);
    v = ladder3[0];
    v.audio_group = "aud\"io";
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &good_audio, 1, &text), LADDER_EINVAL);

    ladder_hls_audio_rendition a = good_audio;
    a.name = "A \"quoted\" name";
    assert_int_equal(ladder_hls_master_playlist(ladder3, 1, &a, 1, &text), LADDER_EINVAL);
    a = good_audio;
    a.language = "en\"";
    assert_int_equal(ladder_hls_master_playlist(ladder3, 1, &a, 1, &text), LADDER_EINVAL);
    a = good_audio;
    a.uri = "audio/aac\r\n/index.m3u8";
    assert_int_equal(ladder_hls_master_playlist(ladder3, 1, &a, 1, &text), LADDER_EINVAL);
    a = good_audio;
    a.group_id = "au\ndio";
    assert_int_equal(ladder_hls_master_playlist(ladder3, 1, &a, 1, &text), LADDER_EINVAL);
    assert_null(text);
}

static void master_invalid(void **state)
{
    (void)state;
    const ladder_hls_audio_rendition audio = {
        "audio", "aac", NULL, "audio/aac/index.m3u8", 1, 2,
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_master_playlist(NULL, 0, NULL, 0, &text), LADDER_EINVAL);
    assert_int_equal(ladder_hls_master_playlist(ladder3, 0, &audio, 1, &text), LADDER_EINVAL);
    assert_int_equal(ladder_hls_master_playlist(ladder3, 3, &audio, 1, NULL), LADDER_EINVAL);
    assert_int_equal(ladder_hls_master_playlist(ladder3, 3, NULL, 1, &text), LADDER_EINVAL);
    /* AUDIO="audio" with no such group. */
    assert_int_equal(ladder_hls_master_playlist(ladder3, 3, NULL, 0, &text), LADDER_EINVAL);

    ladder_hls_variant v = ladder3[0];
    v.bandwidth = 0;
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &audio, 1, &text), LADDER_EINVAL);
    v = ladder3[0];
    v.codecs = NULL;
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &audio, 1, &text), LADDER_EINVAL);
    v = ladder3[0];
    v.uri = NULL;
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &audio, 1, &text), LADDER_EINVAL);
    v = ladder3[0];
    v.frame_rate = -1;
    assert_int_equal(ladder_hls_master_playlist(&v, 1, &audio, 1, &text), LADDER_EINVAL);

    /* Two defaults, or two equal names, in one group. */
    const ladder_hls_audio_rendition two_defaults[] = {
        { "audio", "a", NULL, "a.m3u8", 1, 2 }, { "audio", "b", NULL, "b.m3u8", 1, 2 },
    };
    assert_int_equal(ladder_hls_master_playlist(ladder3, 1, two_defaults, 2, &text),
                     LADDER_EINVAL);
    const ladder_hls_audio_rendition same_name[] = {
        { "audio", "a", NULL, "a.m3u8", 1, 2 }, { "audio", "a", NULL, "b.m3u8", 0, 2 },
    };
    assert_int_equal(ladder_hls_master_playlist(ladder3, 1, same_name, 2, &text),
                     LADDER_EINVAL);
    assert_null(text);
}

/* Trick play: EXT-X-I-FRAMES-ONLY, a byte range per entry, same EXTINFs. */
static void iframe_playlist(void **state)
{
    (void)state;
    const ladder_hls_segment segs[] = {
        { .uri = "seg_00001.m4s", .duration = 2.0, .byte_offset = 0, .byte_length = 4107 },
        { .uri = "seg_00002.m4s", .duration = 1.5, .byte_offset = 24, .byte_length = 3900 },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_iframe_playlist("init.mp4", segs, 2, &text), 0);
    assert_string_equal(text,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-I-FRAMES-ONLY\n"
        "#EXT-X-MAP:URI=\"init.mp4\"\n"
        "#EXTINF:2.000,\n"
        "#EXT-X-BYTERANGE:4107@0\n"
        "seg_00001.m4s\n"
        "#EXTINF:1.500,\n"
        "#EXT-X-BYTERANGE:3900@24\n"
        "seg_00002.m4s\n"
        "#EXT-X-ENDLIST\n");
    free(text);
    /* An entry without its range cannot be an I-frame entry. */
    ladder_hls_segment bad = segs[1];
    bad.byte_length = 0;
    text = NULL;
    assert_int_equal(ladder_hls_iframe_playlist("init.mp4", &bad, 1, &text), LADDER_EINVAL);
    assert_null(text);
    bad.byte_length = 10;
    bad.byte_offset = -1;
    assert_int_equal(ladder_hls_iframe_playlist("init.mp4", &bad, 1, &text), LADDER_EINVAL);
}

/* The master lists each variant's I-frame stream after the variants, with
 * the video codec alone and no AUDIO. */
static void master_iframe_streams(void **state)
{
    (void)state;
    const ladder_hls_variant v[] = {
        { .uri = "video/720p/index.m3u8", .bandwidth = 3300000, .codecs = "avc1.64001f,mp4a.40.2",
          .width = 1280, .height = 720, .iframe_uri = "video/720p/iframes.m3u8",
          .iframe_bandwidth = 410000, .iframe_codecs = "avc1.64001f" },
        { .uri = "video/360p/index.m3u8", .bandwidth = 900000, .codecs = "avc1.64001e",
          .width = 640, .height = 360 },
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_master_playlist(v, 2, NULL, 0, &text), 0);
    const char *line = strstr(text, "#EXT-X-I-FRAME-STREAM-INF:");
    assert_non_null(line);
    assert_true(line > strstr(text, "video/360p/index.m3u8"));
    assert_non_null(strstr(text, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=410000,CODECS=\"avc1.64001f\","
                                 "RESOLUTION=1280x720,URI=\"video/720p/iframes.m3u8\"\n"));
    assert_null(strstr(line + 1, "#EXT-X-I-FRAME-STREAM-INF:"));
    free(text);
    ladder_hls_variant bad = v[0];
    bad.iframe_codecs = NULL;
    assert_int_equal(ladder_hls_master_playlist(&bad, 1, NULL, 0, &text), LADDER_EINVAL);
}

/* HDR variants say so: VIDEO-RANGE on the stream and its I-frame stream;
 * SDR (the default) leaves it out; a value the spec does not define is
 * refused. */
static void master_video_range(void **state)
{
    (void)state;
    ladder_hls_variant v = {
        .uri = "video/2160p/index.m3u8", .bandwidth = 16000000, .codecs = "hvc1.2.4.L153.90",
        .width = 3840, .height = 2160, .frame_rate = 24, .video_range = "PQ",
        .iframe_uri = "video/2160p/iframes.m3u8", .iframe_bandwidth = 2000000, .iframe_codecs = "hvc1.2.4.L153.90",
    };
    char *text = NULL;
    assert_int_equal(ladder_hls_master_playlist(&v, 1, NULL, 0, &text), 0);
    assert_non_null(strstr(text, ",FRAME-RATE=24.000,VIDEO-RANGE=PQ\nvideo/2160p/index.m3u8\n"));
    assert_non_null(strstr(text, "RESOLUTION=3840x2160,VIDEO-RANGE=PQ,URI=\"video/2160p/iframes.m3u8\""));
    free(text);
    v.video_range = NULL;
    assert_int_equal(ladder_hls_master_playlist(&v, 1, NULL, 0, &text), 0);
    assert_null(strstr(text, "VIDEO-RANGE"));
    free(text);
    v.video_range = "HDR10";
    assert_int_equal(ladder_hls_master_playlist(&v, 1, NULL, 0, &text), LADDER_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(media_ntsc_segments),
        cmocka_unit_test(media_target_duration_rounding),
        cmocka_unit_test(media_target_is_maximum),
        cmocka_unit_test(media_long_playlist),
        cmocka_unit_test(media_invalid),
        cmocka_unit_test(master_with_audio),
        cmocka_unit_test(master_without_audio),
        cmocka_unit_test(master_optional_audio_attributes),
        cmocka_unit_test(master_rejects_quotes_and_newlines),
        cmocka_unit_test(master_invalid),
        cmocka_unit_test(iframe_playlist),
        cmocka_unit_test(master_iframe_streams),
        cmocka_unit_test(master_video_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
