/*
 * Opening the source: every way an input can be unusable gets its own error
 * code and a line that names the file.
 */
#include "input.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/display.h>

#include "ladder/error.h"
#include "engine/input_policy.h"
#include "frame_rate.h"
#include "session.h"
#include "video_decoder.h"

/* The limits of README "Security and limits", on the upright display size
 * and the duration the container claims. */
static int check_limits(ladder_session *s, double duration)
{
    long long w = s->display_w, h = s->display_h;
    long long max_pixels = s->job.max_pixels == 0 ? LADDER_DEFAULT_MAX_PIXELS : s->job.max_pixels;
    char why[160] = "";
    if (w < LADDER_MIN_SIDE || h < LADDER_MIN_SIDE)
        snprintf(why, sizeof(why), "%lldx%lld is smaller than %dx%d", w, h, LADDER_MIN_SIDE, LADDER_MIN_SIDE);
    else if (w > h * LADDER_MAX_ASPECT || h > w * LADDER_MAX_ASPECT)
        snprintf(why, sizeof(why), "%lldx%lld has an aspect ratio beyond %d:1", w, h, LADDER_MAX_ASPECT);
    else if (max_pixels > 0 && w * h > max_pixels)
        snprintf(why, sizeof(why), "%lldx%lld is more than %lld pixels (--max-pixels)", w, h, max_pixels);
    else if (s->job.max_duration > 0 && duration > s->job.max_duration)
        snprintf(why, sizeof(why), "claims %.1f s, more than %.1f s (--max-duration)", duration,
                 s->job.max_duration);
    if (!why[0])
        return 0;
    session_fail(s, LADDER_ELIMIT, "input '%s': %s", s->input, why);
    return LADDER_ELIMIT;
}

/* avformat_open_input() under the job's input policy (protocols, nested
 * formats: ladder/input_policy.h). */
static int open_with_policy(ladder_session *s)
{
    ladder_input_policy policy = {
        .allow_protocols = s->job.allow_protocols,
        .allow_playlists = s->job.allow_playlist_inputs,
    };
    char err[512];
    int ret = ladder_input_open(&s->in, s->input, &policy, err, sizeof(err));
    if (ret)
        session_fail(s, ret, "%s", err);
    return ret;
}

/*
 * The rate the ladder is made at (engine/frame_rate.c, which `ladder
 * probe` asks too). A header that claims more than 240 fps (a raw H.264
 * stream saying 90000) times the pictures wrongly too: they are timed by
 * count at the measured rate instead (s->retime_video), so chunks hold a
 * segment's worth of pictures and memory stays bounded. A slideshow (under
 * 1 fps) is made at a whole multiple of its rate of at least 1 fps, the
 * pump holding each picture, so segments keep their length and the audio
 * its segments. A constant rate the packet times of the first seconds
 * contradict (a VFR source remuxed to Matroska states its average) is made
 * as VFR: made at that rate its pictures would be held off their times.
 * The packets read to measure them are the pump's first (s->prefetch).
 */
static int decide_rate(ladder_session *s, const AVStream *st)
{
    frame_rate_decision d;
    int err = frame_rate_decide_input(s->in, s->video_stream, &s->prefetch, &d);
    if (err) {
        session_fail(s, err, "input '%s': %s", s->input, ladder_strerror(err));
        return err;
    }
    s->src_rate = d.rate;
    s->src_cfr = d.cfr;
    if (d.verdict == FRAME_RATE_IMPLAUSIBLE) {
        session_log(s, LADDER_LOG_WARNING,
                    "input '%s': event=frame_rate header says %.3f fps: implausible; timed at %.3f fps",
                    s->input, av_q2d(d.header), av_q2d(d.rate));
        s->retime_video = true;
        s->rate_replaced_from = av_q2d(d.header);
    }
    if (d.contradicted)
        session_log(s, LADDER_LOG_INFO,
                    "input '%s': event=frame_rate header claims a constant %.3f fps, the packet times vary "
                    "(%.3f fps measured over the first %.0f s): made as VFR",
                    s->input, av_q2d(st->r_frame_rate), d.measured, FRAME_RATE_SCAN_SECONDS);
    return 0;
}

int input_read_packet(ladder_session *s, AVPacket *pkt)
{
    return frame_rate_prefetch_read(s->prefetch, s->in, pkt);
}

void input_close(ladder_session *s)
{
    frame_rate_prefetch_free(&s->prefetch);
    avformat_close_input(&s->in);
}

int input_open(ladder_session *s)
{
    struct stat sb;
    /* A URL (or FFmpeg's "proto:" forms: concat:, pipe:, file:) is the
     * input policy's to judge. */
    const char *proto = avio_find_protocol_name(s->input);
    bool local = proto && !strcmp(proto, "file") && strncmp(s->input, "file:", 5);
    if (local && (stat(s->input, &sb) != 0 || access(s->input, R_OK) != 0)) {
        session_fail(s, LADDER_EINPUT_MISSING, "input '%s': %s", s->input, strerror(errno));
        return LADDER_EINPUT_MISSING;
    }
    if (local && S_ISDIR(sb.st_mode)) {
        session_fail(s, LADDER_EINPUT_MISSING, "input '%s': is a directory", s->input);
        return LADDER_EINPUT_MISSING;
    }
    if (local && S_ISREG(sb.st_mode) && sb.st_size == 0) {
        session_fail(s, LADDER_EINPUT_INVALID, "input '%s': file is empty", s->input);
        return LADDER_EINPUT_INVALID;
    }
    int ret = open_with_policy(s);
    if (ret)
        return ret;
    /* libavformat renders text files as video ("tty"); a text file is not
     * a media input. */
    if (!strcmp(s->in->iformat->name, "tty")) {
        session_fail(s, LADDER_EINPUT_INVALID, "input '%s': not a media file (text)", s->input);
        return LADDER_EINPUT_INVALID;
    }
    ret = avformat_find_stream_info(s->in, NULL);
    if (ret < 0) {
        session_fail(s, LADDER_EINPUT_INVALID, "input '%s': cannot read stream information", s->input);
        return LADDER_EINPUT_INVALID;
    }
    s->video_stream = ladder_input_video_stream(s->in);
    if (s->video_stream < 0) {
        session_fail(s, LADDER_ENOVIDEO, "input '%s': no video stream", s->input);
        return LADDER_ENOVIDEO;
    }

    AVStream *st = s->in->streams[s->video_stream];
    s->src_codec_id = st->codecpar->codec_id;
    s->src_pix_fmt = st->codecpar->format;
    s->src_primaries = st->codecpar->color_primaries;
    s->src_trc = st->codecpar->color_trc;
    s->src_colorspace = st->codecpar->color_space;
    ret = video_decoder_open(s, st);
    if (ret)
        return ret;
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) {
        session_fail(s, LADDER_EINPUT_INVALID, "input '%s': video stream has no frame size", s->input);
        return LADDER_EINPUT_INVALID;
    }

    s->src_tb = st->time_base;
    s->src_w = st->codecpar->width;
    s->src_h = st->codecpar->height;
    AVRational sar = av_guess_sample_aspect_ratio(s->in, st, NULL);
    if (sar.num > 0 && sar.den > 0 && sar.num != sar.den) {
        s->display_w = (int)lrint((double)s->src_w * sar.num / sar.den);
        s->display_h = s->src_h;
    } else {
        s->display_w = s->src_w;
        s->display_h = s->src_h;
    }
    s->rotation = ladder_stream_rotation(st);
    if (s->rotation == 90 || s->rotation == 270) {
        int w = s->display_w;
        s->display_w = s->display_h;
        s->display_h = w;
    }

    ret = decide_rate(s, st);
    if (ret)
        return ret;
    s->nominal_frame_ticks = av_rescale_q(1, av_inv_q(s->src_rate), s->src_tb);
    if (s->nominal_frame_ticks < 1)
        s->nominal_frame_ticks = 1;

    double duration = 0;
    if (st->duration > 0)
        duration = (double)st->duration * av_q2d(st->time_base);
    else if (s->in->duration > 0)
        duration = (double)s->in->duration / AV_TIME_BASE;
    s->frames_estimate = st->nb_frames > 0 ? st->nb_frames
                                           : (int64_t)llround(duration * av_q2d(s->src_rate));
    return check_limits(s, duration);
}
