/*
 * The CMAF writer's segments, and a writer resumed part-way through a
 * track (ladder encode --resume): its segments must be byte for byte the
 * ones an uninterrupted writer makes. The stream is real: libx264 with
 * B-frames, one fresh encoder per chunk as the engine encodes, so the
 * composition offsets and decode-time shifts are the engine's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <libavcodec/avcodec.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>

#include "mux/cmaf_writer.h"
#include "ladder/error.h"

#define W 256
#define H 144
#define CHUNK_FRAMES 12
#define NB_CHUNKS 4

/* The time base of the run: 1/15360 (30 fps is 512 ticks a frame, as from
 * MP4 sources) or 1/1000 (33, 33, 34 ms: Matroska's, where an encoder's
 * decode times need not continue the previous chunk's to the tick). */
static AVRational tb = { 1, 15360 };

static int64_t pts_of(int n)
{
    return (int64_t)n * tb.den / (30 * tb.num);
}

static int64_t duration_at(int64_t pts)
{
    int n = (int)((pts * 30 * tb.num + tb.den - 1) / tb.den);
    while (pts_of(n) < pts)
        n++;
    return pts_of(n + 1) - pts_of(n);
}

typedef struct chunk_packets {
    AVPacket *pkt[CHUNK_FRAMES * 2];
    int nb;
} chunk_packets;

static AVCodecContext *open_encoder(void)
{
    const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
    if (!codec)
        return NULL;
    AVCodecContext *enc = avcodec_alloc_context3(codec);
    enc->width = W;
    enc->height = H;
    enc->pix_fmt = AV_PIX_FMT_YUV420P;
    enc->time_base = tb;
    enc->framerate = (AVRational){ 30, 1 };
    enc->gop_size = CHUNK_FRAMES;
    enc->max_b_frames = 3;
    enc->thread_count = 1;
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_CLOSED_GOP;
    av_opt_set(enc->priv_data, "preset", "veryfast", 0);
    av_opt_set(enc->priv_data, "x264-params", "stitchable=1", 0);
    av_opt_set_int(enc->priv_data, "crf", 28, 0);
    if (avcodec_open2(enc, codec, NULL) < 0)
        avcodec_free_context(&enc);
    return enc;
}

static void drain(AVCodecContext *enc, chunk_packets *out)
{
    for (;;) {
        AVPacket *pkt = av_packet_alloc();
        if (avcodec_receive_packet(enc, pkt) < 0) {
            av_packet_free(&pkt);
            return;
        }
        pkt->duration = duration_at(pkt->pts);
        assert_true(out->nb < (int)(sizeof(out->pkt) / sizeof(out->pkt[0])));
        out->pkt[out->nb++] = pkt;
    }
}

/* Chunk c: CHUNK_FRAMES moving-gradient frames, a fresh encoder to EOS. */
static void encode_chunk(int c, chunk_packets *out, AVCodecParameters *par)
{
    AVCodecContext *enc = open_encoder();
    assert_non_null(enc);
    if (par)
        assert_true(avcodec_parameters_from_context(par, enc) >= 0);
    for (int i = 0; i < CHUNK_FRAMES; i++) {
        int n = c * CHUNK_FRAMES + i;
        AVFrame *f = av_frame_alloc();
        f->width = W;
        f->height = H;
        f->format = AV_PIX_FMT_YUV420P;
        assert_true(av_frame_get_buffer(f, 0) >= 0);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                f->data[0][y * f->linesize[0] + x] = (uint8_t)(x + y + 3 * n);
        for (int y = 0; y < H / 2; y++) {
            memset(f->data[1] + y * f->linesize[1], 128 + n % 16, W / 2);
            memset(f->data[2] + y * f->linesize[2], 128 - n % 16, W / 2);
        }
        f->pts = pts_of(n);
        if (i == 0)
            f->pict_type = AV_PICTURE_TYPE_I;
        assert_true(avcodec_send_frame(enc, f) >= 0);
        av_frame_free(&f);
        drain(enc, out);
    }
    avcodec_send_frame(enc, NULL);
    drain(enc, out);
    avcodec_free_context(&enc);
    assert_int_equal(out->nb, CHUNK_FRAMES);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

static void assert_same_file(const char *a_dir, const char *b_dir, const char *name)
{
    char a[512], b[512];
    snprintf(a, sizeof(a), "%s/%s", a_dir, name);
    snprintf(b, sizeof(b), "%s/%s", b_dir, name);
    size_t la = 0, lb = 0;
    char *da = read_file(a, &la), *db = read_file(b, &lb);
    assert_non_null(da);
    assert_non_null(db);
    if (la != lb || memcmp(da, db, la))
        fail_msg("%s differs between the uninterrupted and the resumed writer (%zu vs %zu bytes)", name, la, lb);
    free(da);
    free(db);
}

static void remove_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void write_chunk(ladder_cmaf_writer *w, const chunk_packets *cp, ladder_cmaf_segment *seg)
{
    for (int i = 0; i < cp->nb; i++)
        assert_int_equal(ladder_cmaf_writer_write(w, cp->pkt[i]), 0);
    assert_int_equal(ladder_cmaf_writer_end_segment(w, seg), 0);
}

/* Segments k+1.. of a writer resumed after segment k equal an uninterrupted
 * writer's, for every k; decode times run on without a gap. */
static void resumed_writer_matches(AVRational time_base)
{
    tb = time_base;
    chunk_packets chunks[NB_CHUNKS] = { 0 };
    AVCodecParameters *par = avcodec_parameters_alloc();
    for (int c = 0; c < NB_CHUNKS; c++)
        encode_chunk(c, &chunks[c], c == 0 ? par : NULL);
    /* The engine's packets start with the IDR, B-frames decoded before
     * their presentation: a negative composition offset needs dts < pts. */
    assert_true(chunks[1].pkt[0]->dts < chunks[1].pkt[0]->pts);

    char whole[] = "/tmp/ladder-cmaf-whole-XXXXXX";
    assert_non_null(mkdtemp(whole));
    ladder_cmaf_writer *w = NULL;
    assert_int_equal(ladder_cmaf_writer_open(&w, whole, par, tb, NULL), 0);
    ladder_cmaf_segment segs[NB_CHUNKS];
    for (int c = 0; c < NB_CHUNKS; c++) {
        write_chunk(w, &chunks[c], &segs[c]);
        assert_int_equal(segs[c].number, c + 1);
        if (c > 0)
            assert_true(segs[c].decode_time == segs[c - 1].decode_time + segs[c - 1].decode_duration);
        assert_true(segs[c].decode_duration > 0);
    }
    assert_true(segs[0].decode_time == 0);
    ladder_cmaf_writer_close(w);

    for (int k = 1; k < NB_CHUNKS; k++) {
        char part[] = "/tmp/ladder-cmaf-part-XXXXXX";
        assert_non_null(mkdtemp(part));
        ladder_cmaf_resume_point at = {
            .next_number = k + 1,
            .decode_time = segs[k - 1].decode_time + segs[k - 1].decode_duration,
            .dts_shift = segs[k - 1].dts_shift,
            .track_start = segs[k - 1].track_start,
        };
        assert_int_equal(ladder_cmaf_writer_open_at(&w, part, par, tb, NULL, &at), 0);
        for (int c = k; c < NB_CHUNKS; c++) {
            ladder_cmaf_segment seg;
            write_chunk(w, &chunks[c], &seg);
            assert_int_equal(seg.number, c + 1);
            assert_string_equal(seg.uri, segs[c].uri);
            assert_true(seg.decode_time == segs[c].decode_time);
            assert_true(seg.start == segs[c].start);
            assert_true(seg.first_sample_offset == segs[c].first_sample_offset);
            assert_true(seg.first_sample_length == segs[c].first_sample_length);
            assert_same_file(whole, part, seg.uri);
        }
        assert_same_file(whole, part, "init.mp4");
        ladder_cmaf_writer_close(w);
        remove_dir(part);
    }

    assert_int_equal(ladder_cmaf_writer_open_at(&w, whole, par, tb, NULL,
                                                &(ladder_cmaf_resume_point){ .next_number = 0 }),
                     LADDER_EINVAL);
    remove_dir(whole);
    for (int c = 0; c < NB_CHUNKS; c++)
        for (int i = 0; i < chunks[c].nb; i++)
            av_packet_free(&chunks[c].pkt[i]);
    avcodec_parameters_free(&par);
}

static void test_resumed_writer_matches(void **state)
{
    (void)state;
    resumed_writer_matches((AVRational){ 1, 15360 });
}

static void test_resumed_writer_matches_millisecond_timeline(void **state)
{
    (void)state;
    resumed_writer_matches((AVRational){ 1, 1000 });
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);   /* x264's statistics are not the test's output */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumed_writer_matches),
        cmocka_unit_test(test_resumed_writer_matches_millisecond_timeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
