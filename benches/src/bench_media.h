/*
 * What `ladder bench` needs to know about a media file, read in-process with
 * libavformat: the input's size, rate, frame count and audio (to give FFmpeg
 * the same settings as ladder), and the same facts about every output (to
 * check it).
 */
#ifndef LADDER_CLI_BENCH_MEDIA_H
#define LADDER_CLI_BENCH_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_media_info {
    int width, height;              /* coded size of the first video stream */
    int display_w, display_h;       /* corrected for the sample aspect ratio, as ladder does */
    int sar_num, sar_den;
    int fps_num, fps_den;           /* 0/0 when the stream has no usable rate */
    int64_t frames;                 /* video packets, counted by reading the whole file */
    double duration;                /* seconds (container), <= 0 when unknown */
    char video_codec[32];
    char pix_fmt[32];
    bool has_audio;
    char audio_codec[32];
    int audio_channels;
    int64_t audio_bit_rate;         /* bits/s, 0 when unknown */
    /* ladder copies source audio that is AAC-LC, 1-2 channels, with
     * extradata, and at most 1.5 x the asked bitrate; otherwise it encodes.
     * The same rule, so FFmpeg gets the same treatment. */
    bool audio_copyable;
} bench_media_info;

/*
 * Probe path and count its video packets. audio_kbps is ladder's
 * --audio-bitrate (for audio_copyable). Returns 0 or LADDER_EINPUT_MISSING,
 * LADDER_EINPUT_INVALID, LADDER_ENOVIDEO, LADDER_ENOMEM with a one-line
 * reason in err.
 */
int bench_media_probe(const char *path, int audio_kbps, bench_media_info *out,
                      char *err, size_t err_size);

#endif
