/* CMAF tracks stitched into one faststart MP4: see mp4_stitch.h. */
#include "mux/mp4_stitch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/mem.h>

#include "ladder/error.h"

#define IO_BUFFER_SIZE (64 * 1024)

/*
 * One track's files read as one byte stream: init segment, then every media
 * segment, as if they had been concatenated. The AVIOContext has no seek
 * callback, so the mp4 demuxer reads it front to back (moov, then each
 * moof/mdat), which is all a fragmented stream needs.
 */
typedef struct file_chain {
    const ladder_mp4_track *track;
    size_t next;                  /* 0 = init, k = segment k - 1 */
    FILE *current;
    const char *current_path;
    int open_errno;               /* why a file could not be opened */
} file_chain;

static const char *chain_path(const file_chain *c, size_t i)
{
    return i == 0 ? c->track->init_path : c->track->segment_paths[i - 1];
}

static int chain_read(void *opaque, uint8_t *buf, int size)
{
    file_chain *c = opaque;
    for (;;) {
        if (!c->current) {
            if (c->next > c->track->nb_segments)
                return AVERROR_EOF;
            c->current_path = chain_path(c, c->next++);
            c->current = fopen(c->current_path, "rb");
            if (!c->current) {
                c->open_errno = errno;
                return AVERROR(errno);
            }
        }
        size_t n = fread(buf, 1, (size_t)size, c->current);
        if (n > 0)
            return (int)n;
        bool failed = ferror(c->current);
        fclose(c->current);
        c->current = NULL;
        if (failed)
            return AVERROR(EIO);
    }
}

typedef struct input_track {
    file_chain chain;
    AVIOContext *io;
    AVFormatContext *fmt;
    AVPacket *pending;            /* next packet to write, NULL at the end */
    AVPacket *ahead;              /* the one after it, NULL at the end */
    int64_t last_step;            /* dts step between the last two packets */
    int out_index;
    bool started;                 /* the look-ahead has been filled once */
    bool first_seen;
    int64_t shift;                /* subtracted from pts and dts, see read_shifted */
} input_track;

static void input_close(input_track *in)
{
    av_packet_free(&in->pending);
    av_packet_free(&in->ahead);
    if (in->fmt)
        avformat_close_input(&in->fmt);
    if (in->io) {
        av_freep(&in->io->buffer);
        avio_context_free(&in->io);
    }
    if (in->chain.current)
        fclose(in->chain.current);
    in->chain.current = NULL;
}

static int input_open(input_track *in, const ladder_mp4_track *track, char *err, size_t err_size)
{
    in->chain = (file_chain){ .track = track };
    uint8_t *buffer = av_malloc(IO_BUFFER_SIZE);
    if (!buffer)
        return LADDER_ENOMEM;
    in->io = avio_alloc_context(buffer, IO_BUFFER_SIZE, 0, &in->chain, chain_read, NULL, NULL);
    in->fmt = avformat_alloc_context();
    in->pending = av_packet_alloc();
    in->ahead = av_packet_alloc();
    if (!in->io || !in->fmt || !in->pending || !in->ahead) {
        if (!in->io)
            av_free(buffer);
        return LADDER_ENOMEM;
    }
    in->fmt->pb = in->io;
    in->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    const AVInputFormat *mp4 = av_find_input_format("mp4");
    if (avformat_open_input(&in->fmt, NULL, mp4, NULL) < 0 ||
        avformat_find_stream_info(in->fmt, NULL) < 0 || in->fmt->nb_streams != 1) {
        snprintf(err, err_size, "'%s': %s", in->chain.current_path ? in->chain.current_path : track->init_path,
                 in->chain.open_errno ? strerror(in->chain.open_errno) : "not a CMAF track with one stream");
        return in->chain.open_errno ? LADDER_EIO : LADDER_EINPUT_INVALID;
    }
    return 0;
}

/* The track's next packet into pkt; *eof at the end of the track. */
static int read_shifted(input_track *in, AVPacket *pkt, bool *eof, char *err, size_t err_size)
{
    *eof = false;
    int ret = av_read_frame(in->fmt, pkt);
    if (ret == AVERROR_EOF) {
        *eof = true;
        return 0;
    }
    if (ret < 0) {
        snprintf(err, err_size, "'%s': %s", in->chain.current_path ? in->chain.current_path : "?",
                 in->chain.open_errno ? strerror(in->chain.open_errno) : "corrupt segment");
        return in->chain.open_errno ? LADDER_EIO : LADDER_EINPUT_INVALID;
    }
    /*
     * A CMAF track's first sample is presented at its decode time (tfdt;
     * later B-frames carry negative composition offsets). libavformat's mp4
     * demuxer keeps pts >= dts by delaying every pts by the largest negative
     * offset, which would start the video a frame or two after the audio
     * (an empty edit in the output). Undo it: the first sample's pts is its
     * dts again, and the mp4 muxer writes the usual B-frame edit list.
     */
    if (!in->first_seen && pkt->pts != AV_NOPTS_VALUE && pkt->dts != AV_NOPTS_VALUE) {
        in->shift = pkt->pts - pkt->dts;
        in->first_seen = true;
    }
    if (pkt->pts != AV_NOPTS_VALUE)
        pkt->pts -= in->shift;
    if (pkt->dts != AV_NOPTS_VALUE)
        pkt->dts -= in->shift;
    return 0;
}

/*
 * Move to the track's next packet (in->pending; freed at the end). One
 * packet is read ahead because the demuxer does not fill in the durations
 * of fragmented samples: without them the muxer would end the track one
 * frame early. The last packet takes the step before it.
 */
static int input_advance(input_track *in, char *err, size_t err_size)
{
    bool eof = false;
    int ret = 0;
    if (!in->started) {
        /* First call: fill the look-ahead. */
        in->started = true;
        ret = read_shifted(in, in->ahead, &eof, err, err_size);
        if (ret || eof) {
            av_packet_free(&in->ahead);
            av_packet_free(&in->pending);
            return ret;
        }
    }
    if (!in->ahead) {
        av_packet_free(&in->pending);
        return 0;
    }
    av_packet_unref(in->pending);
    av_packet_move_ref(in->pending, in->ahead);
    ret = read_shifted(in, in->ahead, &eof, err, err_size);
    if (ret)
        return ret;
    if (eof)
        av_packet_free(&in->ahead);
    else if (in->ahead->dts != AV_NOPTS_VALUE && in->pending->dts != AV_NOPTS_VALUE)
        in->last_step = in->ahead->dts - in->pending->dts;
    if (in->pending->duration <= 0 && in->last_step > 0)
        in->pending->duration = in->last_step;
    return 0;
}

static int write_error(int averr)
{
    if (averr == AVERROR(ENOSPC) || averr == AVERROR(EDQUOT))
        return LADDER_ENOSPC;
    return LADDER_EIO;
}

/* Flush the finished file to disk, then give it its name. */
static int publish(const char *tmp, const char *path)
{
    int fd = open(tmp, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return LADDER_EIO;
    int ret = fsync(fd) ? (errno == ENOSPC ? LADDER_ENOSPC : LADDER_EIO) : 0;
    close(fd);
    if (!ret && rename(tmp, path))
        ret = LADDER_EOUTPUT;
    return ret;
}

int ladder_mp4_stitch(const char *path, const ladder_mp4_track *tracks, size_t nb_tracks,
                      char *err, size_t err_size)
{
    if (!path || !tracks || nb_tracks == 0 || nb_tracks > 16 || !err || !err_size)
        return LADDER_EINVAL;
    err[0] = '\0';
    for (size_t i = 0; i < nb_tracks; i++)
        if (!tracks[i].init_path || (tracks[i].nb_segments && !tracks[i].segment_paths))
            return LADDER_EINVAL;

    /* Hidden temporary name beside the destination: same file system, so
     * the rename is atomic. */
    char tmp[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int n = slash ? snprintf(tmp, sizeof(tmp), "%.*s/.%s.partial", (int)(slash - path), path, slash + 1)
                  : snprintf(tmp, sizeof(tmp), ".%s.partial", path);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return LADDER_EINVAL;

    input_track in[16];
    memset(in, 0, sizeof(in));
    AVFormatContext *out = NULL;
    int ret = 0;
    for (size_t i = 0; i < nb_tracks && !ret; i++)
        ret = input_open(&in[i], &tracks[i], err, err_size);
    /* The muxer is given the file's name: faststart re-opens it to move
     * the moov forward. */
    if (!ret && avformat_alloc_output_context2(&out, NULL, "mp4", tmp) < 0)
        ret = LADDER_ENOMEM;
    for (size_t i = 0; i < nb_tracks && !ret; i++) {
        const AVStream *ist = in[i].fmt->streams[0];
        AVStream *ost = avformat_new_stream(out, NULL);
        if (!ost || avcodec_parameters_copy(ost->codecpar, ist->codecpar) < 0) {
            ret = LADDER_ENOMEM;
            break;
        }
        ost->time_base = ist->time_base;
        ost->sample_aspect_ratio = ist->sample_aspect_ratio;
        av_dict_copy(&ost->metadata, ist->metadata, 0);
        /* The mp4 muxer enables the tracks marked default and, when one
         * kind has several, gives each its own alternate group (they would
         * all play at once); with one default per kind the rest share the
         * group and stay disabled. */
        ost->disposition = tracks[i].alternate ? 0 : AV_DISPOSITION_DEFAULT;
        in[i].out_index = ost->index;
    }
    bool opened = false;
    if (!ret) {
        int r = avio_open(&out->pb, tmp, AVIO_FLAG_WRITE);
        if (r < 0) {
            snprintf(err, err_size, "'%s': %s", path, av_err2str(r));
            ret = r == AVERROR(ENOSPC) ? LADDER_ENOSPC : LADDER_EOUTPUT;
        }
        opened = !ret;
    }
    if (!ret) {
        /* faststart: the moov moves in front of the media once it is known. */
        AVDictionary *opts = NULL;
        av_dict_set(&opts, "movflags", "+faststart", 0);
        int r = avformat_write_header(out, &opts);
        av_dict_free(&opts);
        if (r < 0) {
            snprintf(err, err_size, "'%s': cannot start the file: %s", path, av_err2str(r));
            ret = write_error(r);
        }
    }
    for (size_t i = 0; i < nb_tracks && !ret; i++)
        ret = input_advance(&in[i], err, err_size);
    /* Tracks are merged by decode time so the file interleaves them. */
    while (!ret) {
        input_track *next = NULL;
        for (size_t i = 0; i < nb_tracks; i++) {
            if (!in[i].pending)
                continue;
            if (!next || av_compare_ts(in[i].pending->dts, in[i].fmt->streams[0]->time_base,
                                       next->pending->dts, next->fmt->streams[0]->time_base) < 0)
                next = &in[i];
        }
        if (!next)
            break;
        AVPacket *pkt = next->pending;
        av_packet_rescale_ts(pkt, next->fmt->streams[0]->time_base, out->streams[next->out_index]->time_base);
        pkt->stream_index = next->out_index;
        pkt->pos = -1;
        int r = av_interleaved_write_frame(out, pkt);
        if (r < 0) {
            snprintf(err, err_size, "'%s': writing failed: %s", path, av_err2str(r));
            ret = write_error(r);
            break;
        }
        ret = input_advance(next, err, err_size);
    }
    if (!ret) {
        int r = av_write_trailer(out);
        if (r < 0) {
            snprintf(err, err_size, "'%s': finishing the file failed: %s", path, av_err2str(r));
            ret = write_error(r);
        }
    }
    if (opened && avio_closep(&out->pb) < 0 && !ret)
        ret = LADDER_EIO;
    avformat_free_context(out);
    for (size_t i = 0; i < nb_tracks; i++)
        input_close(&in[i]);
    if (!ret)
        ret = publish(tmp, path);
    /* A failure that said nothing more precise (no memory, the close, the
     * rename) is said in ladder's words for its code. */
    if (ret && !err[0])
        snprintf(err, err_size, "'%s': %s", path, ladder_strerror(ret));
    if (ret && opened)
        unlink(tmp);
    return ret;
}
