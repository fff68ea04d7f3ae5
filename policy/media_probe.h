/*
 * What a source is: container, duration, and every stream's codec and
 * format facts (`ladder probe`). Frame rate is measured from the packet
 * timestamps of the first seconds of the video, not only taken from the
 * header, so a variable-frame-rate source says so.
 *
 *     ladder_media_probe *p;
 *     char err[256];
 *     int ret = ladder_media_probe_open(&p, "in.mp4", 10.0, err, sizeof(err));
 *     ...p->streams[i]...
 *     ladder_media_probe_free(p);
 */
#ifndef LADDER_MEDIA_PROBE_H
#define LADDER_MEDIA_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_probe_stream {
    int index;                    /* in the container */
    char type[16];                /* "video", "audio", "subtitle", "data", "attachment" */
    char codec[32];               /* FFmpeg codec name, "h264" */
    char profile[48];             /* "High", "Main 10", "LC"; "" when unknown */
    int64_t bit_rate;             /* bits/s from the header; 0 when unknown */

    /* video */
    int width, height;            /* coded picture size */
    char pix_fmt[32];             /* "yuv420p10le"; "" when unknown */
    int bit_depth;                /* luma bits per sample (audio: bits per sample; 0 unknown) */
    char color_transfer[32];      /* color_trc name: "smpte2084", "arib-std-b67", "bt709", "unknown" */
    char hdr[4];                  /* "PQ" (smpte2084), "HLG" (arib-std-b67) or "SDR" */
    char color_primaries[32];     /* "bt2020", "bt709", "unknown" */
    int sar_num, sar_den;         /* sample aspect ratio (1:1 when unknown) */
    int dar_num, dar_den;         /* display aspect ratio of width x height x SAR */
    double header_frame_rate;     /* r_frame_rate; 0 when unknown */
    double avg_frame_rate;        /* avg_frame_rate; 0 when unknown */
    double measured_frame_rate;   /* from packet timestamps of the scan; 0 when too few */
    int measured_frames;          /* pictures the scan measured (those inside its window) */
    bool vfr;                     /* frame intervals of the scan differ beyond rounding */
    int64_t frames;               /* pictures the decoder gives (packets less those the
                                     demuxer marks discarded): counted when frames_counted,
                                     else the container's count, else duration x rate; 0 unknown */
    bool frames_counted;          /* frames counted over the whole input */
    double rotation;              /* degrees from the display matrix side data, as
                                     av_display_rotation_get() says (counter-clockwise); 0 none */
    bool attached_pic;            /* cover art, not a video */

    /* audio */
    int sample_rate;
    int channels;
    char channel_layout[64];      /* "stereo", "5.1(side)" */

    /* tags and disposition */
    char language[16];            /* "eng"; "" when untagged */
    char title[128];
    bool is_default;
} ladder_probe_stream;

typedef struct ladder_media_probe {
    char path[1024];
    char format[64];              /* container: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm" */
    char format_long[128];
    double duration;              /* seconds; 0 when unknown */
    int64_t size;                 /* bytes */
    int64_t bit_rate;             /* container bits/s; 0 when unknown */
    double scan_seconds;          /* how much of the video the frame-rate scan read */
    int nb_streams;
    ladder_probe_stream *streams; /* owned by the probe */
    int video_stream;             /* index into streams of the main video (what
                                     ladder encode decodes), -1 when none */
} ladder_media_probe;

/*
 * Probe path, reading video packet timestamps for the first scan_seconds
 * (<= 0: 10 s). Errors, with one line naming the input in err:
 * LADDER_EINPUT_MISSING (absent, unreadable, a directory),
 * LADDER_EINPUT_INVALID (empty, not media, no stream), LADDER_ENOMEM.
 * A source without video is not an error: video_stream is -1.
 */
int ladder_media_probe_open(ladder_media_probe **out, const char *path, double scan_seconds,
                            char *err, size_t err_size);

void ladder_media_probe_free(ladder_media_probe *p);

/*
 * The main video's frame count as counted over the whole input by a later
 * read of it (`ladder probe`'s timeline scan): replaces the estimate.
 */
void ladder_media_probe_set_frames(ladder_media_probe *p, int64_t frames);

/* The main video stream, or NULL. */
const ladder_probe_stream *ladder_media_probe_video(const ladder_media_probe *p);

/*
 * Display size of the main video: coded size times the SAR (width
 * stretched), as ladder encode's rung sizes see it. 0 when there is no video.
 */
void ladder_media_probe_display_size(const ladder_media_probe *p, int *width, int *height);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_MEDIA_PROBE_H */
