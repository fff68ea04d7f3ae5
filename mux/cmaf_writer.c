/*
 * CMAF writer on libavformat's mp4 muxer: see cmaf_writer.h.
 *
 * The muxer writes into a memory buffer through a custom AVIOContext; each
 * flushed fragment is then one segment file. Keeping the muxer alive across
 * segments is what keeps sequence numbers and decode times continuous.
 */
#include "mux/cmaf_writer.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavutil/crc.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>

#include "mux/atomic_file.h"
#include "ladder/error.h"
#include "fmp4_index.h"

struct ladder_cmaf_writer {
    char dir[PATH_MAX];
    AVFormatContext *fmt;
    AVIOContext *pb;
    AVRational in_tb;             /* time base of packets given to us */
    uint8_t *buf;                 /* bytes the muxer wrote since the last cut */
    size_t len, cap;
    int write_failed;             /* ENOMEM in the write callback */
    size_t init_bytes;
    int next_number;
    int64_t seg_start, seg_end;   /* presentation span of the open segment */
    int seg_samples;
    /* The track's decode-time shift (pts - dts of its first packet, in
     * in_tb): the mp4 muxer shifts every dts by it (negative composition
     * offsets), so a resumed writer must shift by the same. */
    bool have_dts_shift;
    int64_t dts_shift;
    /* A resumed writer (open_at) primes its muxer before the first packet
     * (prime_resumed_muxer()); then every later fragment comes out as the
     * uninterrupted muxer's would. */
    bool resumed, primed;
    ladder_cmaf_resume_point at;
    bool have_track_start;
    int64_t track_start;
};

/* FFmpeg 5.1 declares the buffer non-const; newer versions make it const. */
static int buffer_write(void *opaque, uint8_t *data, int size)
{
    ladder_cmaf_writer *w = opaque;
    if (size <= 0)
        return 0;
    if (w->len + (size_t)size > w->cap) {
        size_t cap = w->cap ? w->cap : 1 << 16;
        while (cap < w->len + (size_t)size)
            cap *= 2;
        uint8_t *grown = realloc(w->buf, cap);
        if (!grown) {
            w->write_failed = 1;
            return AVERROR(ENOMEM);
        }
        w->buf = grown;
        w->cap = cap;
    }
    memcpy(w->buf + w->len, data, (size_t)size);
    w->len += (size_t)size;
    return size;
}

uint32_t ladder_crc32_update(uint32_t state, const uint8_t *data, size_t len)
{
    return av_crc(av_crc_get_table(AV_CRC_32_IEEE_LE), state, data, len);
}

uint32_t ladder_crc32(const uint8_t *data, size_t len)
{
    return ladder_crc32_update(UINT32_MAX, data, len) ^ UINT32_MAX;
}

static int write_buffer_to(ladder_cmaf_writer *w, const char *name)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", w->dir, name);
    int err = ladder_atomic_write(path, w->buf, w->len);
    w->len = 0;
    return err;
}

int ladder_cmaf_writer_open(ladder_cmaf_writer **out, const char *dir,
                            const AVCodecParameters *par, AVRational time_base,
                            const char *language)
{
    return ladder_cmaf_writer_open_at(out, dir, par, time_base, language, NULL);
}

int ladder_cmaf_writer_open_at(ladder_cmaf_writer **out, const char *dir,
                               const AVCodecParameters *par, AVRational time_base,
                               const char *language, const ladder_cmaf_resume_point *at)
{
    if (!out || !dir || !par || strlen(dir) >= PATH_MAX || (at && at->next_number < 1))
        return LADDER_EINVAL;
    int err = ladder_mkdir_p(dir);
    if (err)
        return err;
    ladder_cmaf_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return LADDER_ENOMEM;
    snprintf(w->dir, sizeof(w->dir), "%s", dir);
    w->in_tb = time_base;
    w->next_number = at ? at->next_number : 1;
    w->resumed = at && at->next_number > 1;
    if (w->resumed) {
        w->at = *at;
        w->have_dts_shift = true;
        w->dts_shift = at->dts_shift;
    }
    w->seg_start = INT64_MAX;
    w->seg_end = INT64_MIN;

    err = LADDER_ENOMEM;
    if (avformat_alloc_output_context2(&w->fmt, NULL, "mp4", NULL) < 0)
        goto fail;
    unsigned char *iobuf = av_malloc(1 << 16);
    if (!iobuf)
        goto fail;
    w->pb = avio_alloc_context(iobuf, 1 << 16, 1, w, NULL, buffer_write, NULL);
    if (!w->pb) {
        av_free(iobuf);
        goto fail;
    }
    w->pb->seekable = 0;
    w->fmt->pb = w->pb;
    w->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;

    AVStream *st = avformat_new_stream(w->fmt, NULL);
    if (!st || avcodec_parameters_copy(st->codecpar, par) < 0)
        goto fail;
    /*
     * A sample entry the caller names (par->codec_tag: 'avc3'/'hev1' when
     * parameter sets also travel in band) is kept. Otherwise:
     * HEVC as 'hvc1': parameter sets only in the sample entry's hvcC (the
     * muxer marks its arrays complete), which is what Apple's HLS rules and
     * the codecs string "hvc1..." promise; the muxer's default would be
     * 'hev1' (parameter sets may also be in band). H.264 keeps the muxer's
     * choice, 'avc1'. AV1 keeps the muxer's 'av01': it builds av1C from
     * the sequence header OBU in par's extradata, which for AV1 is the one
     * the key frames carry in band (engine/encode_worker.c,
     * encoder_canonical_config()).
     */
    if (!par->codec_tag && par->codec_id == AV_CODEC_ID_HEVC)
        st->codecpar->codec_tag = MKTAG('h', 'v', 'c', '1');
    st->time_base = time_base;
    if (language && av_dict_set(&st->metadata, "language", language, 0) < 0)
        goto fail;

    /*
     * frag_custom: we decide where fragments end (one per chunk).
     * empty_moov: the init segment carries no samples.
     * cmaf: 'cmfc' brand. default_base_moof: self-contained fragments.
     * negative_cts_offsets: B-frame reordering is expressed as signed
     *   composition offsets, so tfdt is the first frame's presentation time
     *   and no edit list shifts the timeline (players disagree on edit lists).
     * skip_trailer: an index of fragments at the end is useless in HLS.
     * Resumed: fragment_index, one below the first segment's number: the
     *   priming fragment takes it.
     */
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "movflags",
                "frag_custom+empty_moov+default_base_moof+cmaf+negative_cts_offsets+skip_trailer", 0);
    if (w->resumed)
        av_dict_set_int(&opts, "fragment_index", w->at.next_number - 1, 0);
    int ret = avformat_write_header(w->fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        err = LADDER_EIO;
        goto fail;
    }
    avio_flush(w->pb);
    if (w->write_failed)
        goto fail;
    w->init_bytes = w->len;
    err = write_buffer_to(w, "init.mp4");
    if (err)
        goto fail;
    *out = w;
    return 0;

fail:
    ladder_cmaf_writer_close(w);
    return err;
}

/*
 * A resumed writer's muxer must be in the state the uninterrupted one was
 * in after the kept segments: the same decode-time shift (the mp4 muxer
 * takes it from the first packet it sees), the same start of the track and
 * the same decode time reached. The muxer only keeps those three numbers
 * between fragments, and a packet sets them all: one packet whose pts is
 * the track's start, whose dts is that less the shift, and whose duration
 * is the decode time the kept segments reached, in a fragment that is
 * thrown away. The next fragment's first sample is then placed, and its
 * decode time continued, exactly as the uninterrupted muxer placed it
 * (which a "discontinuous fragment" restart does not do: it takes the
 * decode time from the packet, and an encoder's dts need not continue the
 * previous chunk's to the tick).
 */
static int prime_resumed_muxer(ladder_cmaf_writer *w, const AVPacket *first)
{
    AVStream *st = w->fmt->streams[0];
    AVPacket *prime = av_packet_clone(first);   /* real bytes: the muxer may parse them */
    if (!prime)
        return LADDER_ENOMEM;
    prime->stream_index = 0;
    prime->pts = av_rescale_q(w->at.track_start, w->in_tb, st->time_base);
    prime->dts = prime->pts - av_rescale_q(w->at.dts_shift, w->in_tb, st->time_base);
    prime->duration = (int64_t)w->at.decode_time;
    int ret = av_write_frame(w->fmt, prime);
    av_packet_free(&prime);
    if (ret >= 0)
        ret = av_write_frame(w->fmt, NULL);
    avio_flush(w->pb);
    w->len = 0;                   /* the priming fragment is not a segment */
    if (ret < 0)
        return w->write_failed ? LADDER_ENOMEM : LADDER_EIO;
    w->primed = true;
    return 0;
}

int ladder_cmaf_writer_write(ladder_cmaf_writer *w, const AVPacket *pkt)
{
    if (pkt->duration <= 0)
        return LADDER_EINVAL;
    if (!w->have_dts_shift && pkt->pts != AV_NOPTS_VALUE && pkt->dts != AV_NOPTS_VALUE) {
        w->dts_shift = pkt->pts - pkt->dts;
        w->have_dts_shift = true;
    }
    if (w->resumed && !w->primed) {
        int err = prime_resumed_muxer(w, pkt);
        if (err)
            return err;
    }
    AVPacket *copy = av_packet_clone(pkt);
    if (!copy)
        return LADDER_ENOMEM;
    AVStream *st = w->fmt->streams[0];
    copy->stream_index = 0;
    av_packet_rescale_ts(copy, w->in_tb, st->time_base);
    int ret = av_write_frame(w->fmt, copy);
    av_packet_free(&copy);
    if (ret < 0)
        return w->write_failed ? LADDER_ENOMEM : LADDER_EIO;
    if (!w->have_track_start) {
        /* The muxer's track starts at its first packet's (shifted) dts,
         * which is that packet's pts. */
        w->track_start = pkt->pts;
        w->have_track_start = true;
    }
    if (pkt->pts < w->seg_start)
        w->seg_start = pkt->pts;
    if (pkt->pts + pkt->duration > w->seg_end)
        w->seg_end = pkt->pts + pkt->duration;
    w->seg_samples++;
    return 0;
}

int ladder_cmaf_writer_end_segment(ladder_cmaf_writer *w, ladder_cmaf_segment *seg)
{
    if (w->seg_samples == 0)
        return LADDER_EINVAL;
    /* A NULL packet asks a frag_custom muxer to close the fragment now. */
    if (av_write_frame(w->fmt, NULL) < 0)
        return LADDER_EIO;
    avio_flush(w->pb);
    if (w->write_failed)
        return LADDER_ENOMEM;

    ladder_cmaf_segment info = { .number = w->next_number };
    snprintf(info.uri, sizeof(info.uri), "seg_%05d.m4s", info.number);
    info.start = w->seg_start;
    info.duration = w->seg_end - w->seg_start;
    info.seconds = (double)info.duration * w->in_tb.num / w->in_tb.den;
    info.bytes = w->len;
    info.nb_samples = w->seg_samples;
    /* The muxer's time base is 1/timescale once the header is written. */
    AVRational tb = w->fmt->streams[0]->time_base;
    info.timescale = tb.num == 1 && tb.den > 0 ? (uint32_t)tb.den : 0;
    /* Indexed from the bytes in hand, before they go to disk. */
    if (ladder_fmp4_first_sample_range(w->buf, w->len, &info.first_sample_offset,
                                       &info.first_sample_length) ||
        ladder_fmp4_decode_times(w->buf, w->len, &info.decode_time, &info.decode_duration))
        return LADDER_EINTERNAL;
    /* What the priming is for; a muxer that placed it elsewhere would
     * break the track's timeline, so that is a bug, not a resumed run. */
    if (w->resumed && info.number == w->at.next_number && info.decode_time != w->at.decode_time)
        return LADDER_EINTERNAL;
    info.dts_shift = w->dts_shift;
    info.track_start = w->resumed ? w->at.track_start : w->track_start;
    info.crc32 = ladder_crc32(w->buf, w->len);
    int err = write_buffer_to(w, info.uri);
    if (err)
        return err;
    w->next_number++;
    w->seg_start = INT64_MAX;
    w->seg_end = INT64_MIN;
    w->seg_samples = 0;
    if (seg)
        *seg = info;
    return 0;
}

size_t ladder_cmaf_writer_init_bytes(const ladder_cmaf_writer *w)
{
    return w->init_bytes;
}

void ladder_cmaf_writer_close(ladder_cmaf_writer *w)
{
    if (!w)
        return;
    if (w->fmt) {
        /* The trailer is skipped (skip_trailer); this frees muxer state. */
        if (w->init_bytes)
            av_write_trailer(w->fmt);
        avformat_free_context(w->fmt);
    }
    if (w->pb) {
        av_freep(&w->pb->buffer);
        avio_context_free(&w->pb);
    }
    free(w->buf);
    free(w);
}
