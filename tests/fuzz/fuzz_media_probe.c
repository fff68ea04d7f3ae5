/*
 * `ladder probe` and every source's first look (policy/media_probe.c) over
 * arbitrary bytes in a file: this drives FFmpeg's format probing and
 * demuxers as well as our own code around them. Whatever opens must
 * describe itself consistently (a main video index that points at a
 * video stream, NUL-terminated strings, a display size for the video).
 * A source with video is then put on the engine's timeline as `ladder
 * probe` does (engine/timeline_scan.c: every packet through timeline.c,
 * its audio decoded): the same video stream, events within their bounds,
 * named as the report names them, at finite times.
 * FFmpeg is not instrumented here, so its own bugs show only where ASan's
 * interceptors see them; scripts/fuzz.sh gives this target a short
 * per-input time limit because some demuxers scan a long way.
 */
#include "fuzz.h"

#include <math.h>

#include <libavutil/log.h>

#include "ladder/error.h"
#include "policy/media_probe.h"
#include "engine/timeline_scan.h"

static bool nul_in(const char *s, size_t size)
{
    return memchr(s, '\0', size) != NULL;
}

static void check_timeline(const char *path, int video_stream)
{
    ladder_timeline_scan *t = NULL;
    char err[256];
    err[0] = '\0';
    /* Bounded as --timeline-scan 60 would be: a fuzzed file is small, but
     * its timestamps may claim anything. */
    ladder_timeline_scan_options opts = { .max_seconds = 60 };
    int ret = ladder_timeline_scan_run(&t, path, &opts, err, sizeof(err));
    if (ret) {
        FUZZ_CHECK(t == NULL && err[0] != '\0' && ret < 0);
        return;
    }
    FUZZ_CHECK(t->video_stream == video_stream);
    FUZZ_CHECK(t->nb_audio >= 0 && t->nb_audio <= LADDER_MAX_AUDIO);
    FUZZ_CHECK(t->nb_events >= 0 && t->nb_events <= LADDER_TIMELINE_MAX_EVENTS && t->nb_events <= t->events_total);
    FUZZ_CHECK(t->video_packets >= 0 && t->bytes >= 0 && isfinite(t->seconds));
    FUZZ_CHECK(isfinite(t->measured_frame_rate) && t->measured_frame_rate >= 0);
    FUZZ_CHECK(t->ladder_frame_rate > 0 && t->ladder_frame_rate <= 240.0);
    FUZZ_CHECK(!(t->rate_implausible && t->slideshow));
    static const char *const kinds[] = { "gap", "jump_forward", "jump_back", "out_of_line", "audio_format",
                                         "audio_past_video", "frame_rate" };
    for (int i = 0; i < t->nb_events; i++) {
        const ladder_timeline_scan_event *e = &t->events[i];
        FUZZ_CHECK(nul_in(e->kind, sizeof(e->kind)) && nul_in(e->action, sizeof(e->action)));
        FUZZ_CHECK(nul_in(e->from_layout, sizeof(e->from_layout)) && nul_in(e->to_layout, sizeof(e->to_layout)));
        bool known = false;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            known |= !strcmp(e->kind, kinds[k]);
        FUZZ_CHECK(known && e->action[0]);
        FUZZ_CHECK(isfinite(e->at) && isfinite(e->size));
        FUZZ_CHECK(!e->restart || !strcmp(e->kind, "jump_back"));
    }
    ladder_timeline_scan_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        av_log_set_level(AV_LOG_QUIET);
        quiet = true;
    }
    const char *path = fuzz_write_temp(data, size);
    if (!path)
        return 0;
    ladder_media_probe *p = NULL;
    char err[256];
    err[0] = '\0';
    /* A quarter of a second of scan: enough to reach the frame-rate code. */
    int ret = ladder_media_probe_open(&p, path, 0.25, err, sizeof(err));
    if (ret) {
        FUZZ_CHECK(p == NULL && err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(p && p->nb_streams >= 1 && p->streams);
    FUZZ_CHECK(nul_in(p->format, sizeof(p->format)) && nul_in(p->format_long, sizeof(p->format_long)));
    FUZZ_CHECK(p->video_stream >= -1 && p->video_stream < p->nb_streams);
    for (int i = 0; i < p->nb_streams; i++) {
        const ladder_probe_stream *s = &p->streams[i];
        FUZZ_CHECK(nul_in(s->type, sizeof(s->type)) && nul_in(s->codec, sizeof(s->codec)));
        FUZZ_CHECK(nul_in(s->profile, sizeof(s->profile)) && nul_in(s->pix_fmt, sizeof(s->pix_fmt)));
        FUZZ_CHECK(nul_in(s->hdr, sizeof(s->hdr)) && nul_in(s->language, sizeof(s->language)));
        FUZZ_CHECK(nul_in(s->title, sizeof(s->title)) && nul_in(s->channel_layout, sizeof(s->channel_layout)));
    }
    const ladder_probe_stream *v = ladder_media_probe_video(p);
    FUZZ_CHECK((v != NULL) == (p->video_stream >= 0));
    if (v)
        FUZZ_CHECK(!strcmp(v->type, "video"));
    int w = -1, h = -1;
    ladder_media_probe_display_size(p, &w, &h);
    FUZZ_CHECK(w >= 0 && h >= 0);
    if (v)
        check_timeline(path, p->video_stream);
    ladder_media_probe_free(p);
    return 0;
}
