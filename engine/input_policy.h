/*
 * What an input may make libavformat open. A crafted file must not read
 * other local files or reach the network: by default only the "file"
 * protocol is allowed, and formats that open further files or URLs named
 * inside them (HLS and DASH manifests, concat lists, image sequences, IMF,
 * SDP/RTSP, AviSynth/VapourSynth scripts) are refused. Shared by `ladder
 * encode` (engine/input.c) and `ladder job` (jobs/job_input.c).
 */
#ifndef LADDER_INPUT_POLICY_H
#define LADDER_INPUT_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct AVFormatContext;

typedef struct ladder_input_policy {
    /* Comma-separated protocols allowed besides "file": "http", "https"
     * (each brings the ones it runs on: tcp, tls). NULL or "" = file only. */
    const char *allow_protocols;
    /* Allow the formats that open other files or URLs (hls, dash, concat,
     * image2, imf); their nested opens are still held to the protocols. */
    bool allow_playlists;
} ladder_input_policy;

/*
 * Whether a comma-separated protocol list is well formed and only names
 * protocols ladder knows how to allow (file, http, https). 0 or
 * LADDER_EINVAL with one line in err.
 */
int ladder_input_policy_check(const char *allow_protocols, char *err, size_t err_size);

/*
 * avformat_open_input() under the policy. On error returns LADDER_EREFUSED
 * (protocol not allowed, or a nested-input format), LADDER_EINPUT_INVALID
 * (not media), LADDER_EINPUT_MISSING (cannot be opened) or LADDER_ENOMEM,
 * and writes one line naming the input to err; *out stays NULL.
 */
int ladder_input_open(struct AVFormatContext **out, const char *url, const ladder_input_policy *policy,
                      char *err, size_t err_size);

/* Whether a demuxer name is one of the nested-input formats. */
bool ladder_input_format_nests(const char *name);

/* The video stream ladder encodes, probes and scans: the default one, else
 * the first; cover art is not video. -1 when there is none. */
int ladder_input_video_stream(const struct AVFormatContext *in);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_INPUT_POLICY_H */
