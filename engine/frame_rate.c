/*
 * Which frame rate a source is made at: see frame_rate.h.
 */
#include "frame_rate.h"

#include <limits.h>
#include <math.h>

frame_rate_verdict frame_rate_judge(double fps, int *times)
{
    *times = 1;
    if (fps > FRAME_RATE_MAX_PLAUSIBLE)
        return FRAME_RATE_IMPLAUSIBLE;
    if (fps > 0 && fps < FRAME_RATE_MIN_CADENCE) {
        double n = ceil(FRAME_RATE_MIN_CADENCE / fps - 1e-9);
        *times = n < INT_MAX ? (int)n : INT_MAX;
        return FRAME_RATE_SLIDESHOW;
    }
    return FRAME_RATE_AS_IS;
}

AVRational frame_rate_measured(const AVFormatContext *in, const AVStream *st)
{
    for (unsigned i = 0; st->nb_frames > 0 && i < in->nb_streams; i++) {
        const AVStream *a = in->streams[i];
        if (a->codecpar->codec_type != AVMEDIA_TYPE_AUDIO || a->duration <= 0)
            continue;
        double fps = (double)st->nb_frames / ((double)a->duration * av_q2d(a->time_base));
        if (fps >= FRAME_RATE_MIN_CADENCE && fps <= FRAME_RATE_MAX_PLAUSIBLE)
            return av_d2q(fps, 1001000);
    }
    return (AVRational){ 25, 1 };
}

void frame_rate_decide(const AVFormatContext *in, const AVStream *st, frame_rate_decision *out)
{
    AVRational avg = st->avg_frame_rate, real = st->r_frame_rate;
    AVRational rate = avg.num > 0 && avg.den > 0 ? avg : real;
    if (rate.num <= 0 || rate.den <= 0)
        rate = (AVRational){ 25, 1 };
    out->cfr = avg.num > 0 && real.num > 0 && avg.den > 0 && real.den > 0 &&
               fabs(av_q2d(avg) - av_q2d(real)) < 0.001 * av_q2d(real);
    out->header = out->cfr ? real : rate;
    out->rate = out->header;
    int times;
    out->verdict = frame_rate_judge(av_q2d(out->header), &times);
    if (out->verdict == FRAME_RATE_IMPLAUSIBLE)
        out->rate = frame_rate_measured(in, st);
    else if (out->verdict == FRAME_RATE_SLIDESHOW)
        out->rate = av_mul_q(out->header, (AVRational){ times, 1 });
    if (out->verdict != FRAME_RATE_AS_IS)
        out->cfr = true;
}
