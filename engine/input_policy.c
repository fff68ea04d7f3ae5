/*
 * The input policy (see ladder/input_policy.h): which protocols libavformat
 * may use for an input and which demuxers may run on it.
 *
 * Two holes are closed. A protocol other than "file" (http, pipe, data,
 * concat:, subfile, ...) is refused unless allowed, and every open,
 * nested ones included, carries protocol_whitelist. And the demuxers that
 * open URLs named inside the file (a playlist naming file:///etc/passwd or
 * http://10.0.0.1/) are refused before they run: the format is probed on
 * the first bytes, checked, then opened with that format forced.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libavformat/avformat.h>
#include <libavformat/avio.h>

#include "ladder/error.h"
#include "engine/input_policy.h"

/* Demuxers that open other files or URLs named by their input (image2:
 * through a pattern in its name, see ladder_input_open()). */
static const char *const nesting_formats[] = {
    "hls", "dash", "concat", "image2", "imf", "sdp", "rtsp", "rtp", "sap",
    "avisynth", "vapoursynth",
};

int ladder_input_video_stream(const AVFormatContext *in)
{
    int best = -1;
    for (unsigned i = 0; i < in->nb_streams; i++) {
        const AVStream *st = in->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO ||
            (st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            continue;
        if (best < 0 || (st->disposition & AV_DISPOSITION_DEFAULT))
            best = (int)i;
    }
    return best;
}

bool ladder_input_format_nests(const char *name)
{
    if (!name)
        return false;
    /* A demuxer name may be a list ("mov,mp4,m4a,..."): check each. */
    for (size_t i = 0; i < sizeof(nesting_formats) / sizeof(nesting_formats[0]); i++) {
        size_t n = strlen(nesting_formats[i]);
        for (const char *p = name; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
            if (!strncmp(p, nesting_formats[i], n) && (p[n] == ',' || p[n] == '\0'))
                return true;
    }
    return false;
}

/* Whether name is one of the comma-separated entries of list. */
static bool list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
            return true;
    return false;
}

int ladder_input_policy_check(const char *allow, char *err, size_t n)
{
    if (!allow || !*allow)
        return 0;
    for (const char *p = allow; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (!((len == 4 && !strncmp(p, "file", 4)) || (len == 4 && !strncmp(p, "http", 4)) ||
              (len == 5 && !strncmp(p, "https", 5)))) {
            snprintf(err, n, "protocol '%.*s' cannot be allowed (file, http, https)", (int)len, p);
            return LADDER_EINVAL;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* The protocol_whitelist for the allowed list: each protocol with the ones
 * it runs on. */
static void build_whitelist(const char *allow, char *out, size_t n)
{
    snprintf(out, n, "file");
    for (const char *p = allow; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), p);
        const char *adds = !strcmp(name, "http") ? "http,tcp" : !strcmp(name, "https") ? "https,tls,tcp" : name;
        size_t used = strlen(out);
        if (*name && used < n)
            snprintf(out + used, n - used, ",%s", adds);
        p += len;
        if (*p == ',')
            p++;
    }
}

/* Text that is a playlist or a manifest whatever the demuxer's probe
 * said (hls refuses a playlist not named .m3u8, which then reads as text). */
static bool looks_like_playlist(const unsigned char *buf, int size)
{
    int i = 0;
    if (size >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF)
        i = 3;                    /* UTF-8 byte order mark */
    while (i < size && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    const char *text = (const char *)buf + i;
    size_t left = (size_t)(size - i);
    if ((left >= 7 && !memcmp(text, "#EXTM3U", 7)) || (left >= 8 && !memcmp(text, "ffconcat", 8)))
        return true;
    /* A DASH MPD is XML with an <MPD element near the top. */
    if (left < 5 || memcmp(text, "<?xml", 5))
        return false;
    for (size_t k = 0; k + 4 <= left; k++)
        if (!memcmp(text + k, "<MPD", 4))
            return true;
    return false;
}

int ladder_input_open(AVFormatContext **out, const char *url, const ladder_input_policy *policy,
                      char *err, size_t n)
{
    *out = NULL;
    const char *allow = policy ? policy->allow_protocols : NULL;
    const char *proto = avio_find_protocol_name(url);
    if (!proto) {
        snprintf(err, n, "input '%s': unknown protocol", url);
        return LADDER_EREFUSED;
    }
    if (strcmp(proto, "file") && !list_has(allow, proto)) {
        snprintf(err, n, "input '%s': protocol '%s' is not allowed (only local files; see --allow-protocols)",
                 url, proto);
        return LADDER_EREFUSED;
    }
    char whitelist[256];
    build_whitelist(allow, whitelist, sizeof(whitelist));

    /* Probe on the first bytes, under the same whitelist. */
    AVDictionary *opts = NULL;
    av_dict_set(&opts, "protocol_whitelist", whitelist, 0);
    AVIOContext *pb = NULL;
    int ret = avio_open2(&pb, url, AVIO_FLAG_READ, NULL, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        snprintf(err, n, "input '%s': cannot open: %s", url, av_err2str(ret));
        return ret == AVERROR(ENOMEM) ? LADDER_ENOMEM : LADDER_EINPUT_MISSING;
    }
    unsigned char head[2048];
    int got = avio_read(pb, head, sizeof(head));
    const AVInputFormat *fmt = NULL;
    ret = avio_seek(pb, 0, SEEK_SET);
    if (ret >= 0)
        ret = av_probe_input_buffer2(pb, &fmt, url, NULL, 0, 0);
    avio_closep(&pb);
    bool nests = fmt && ladder_input_format_nests(fmt->name);
    /* image2 opens other files only through a pattern in the name
     * (img%03d.png, a glob): one plain still image is just that file. */
    if (nests && !strcmp(fmt->name, "image2") && !strpbrk(url, "%*?[{"))
        nests = false;
    if (!(policy && policy->allow_playlists) && (nests || (got > 0 && looks_like_playlist(head, got)))) {
        snprintf(err, n, "input '%s': refused: format '%s' opens other files or URLs named inside it "
                 "(see --allow-playlist-inputs)", url, fmt && nests ? fmt->name : "playlist");
        return LADDER_EREFUSED;
    }
    if (ret < 0 || !fmt) {
        snprintf(err, n, "input '%s': not a media file (%s)", url,
                 ret < 0 ? av_err2str(ret) : "unknown format");
        return LADDER_EINPUT_INVALID;
    }

    av_dict_set(&opts, "protocol_whitelist", whitelist, 0);
    ret = avformat_open_input(out, url, fmt, &opts);
    av_dict_free(&opts);
    if (ret < 0) {
        *out = NULL;              /* avformat_open_input frees it on failure */
        snprintf(err, n, "input '%s': not a media file (%s)", url, av_err2str(ret));
        return ret == AVERROR(ENOMEM) ? LADDER_ENOMEM : LADDER_EINPUT_INVALID;
    }
    return 0;
}
