/*
 * The set of audio renditions: which source streams become one
 * (--audio all|first|none), what each is planned to be
 * (engine/audio_plan.c), what the manifests call it, and which is the
 * default. The media itself is audio_track.c's.
 */
#include "audio_renditions.h"

#include <stdio.h>
#include <string.h>

#include <libavutil/dict.h>

#include "engine/audio_plan.h"
#include "ladder/error.h"
#include "session.h"

/* The rendition's NAME: the source stream's title when it has one (quotes
 * and control characters, which a quoted-string cannot hold, replaced),
 * else its language, else "audio"; a name an earlier rendition has gets
 * the stream index added (RFC 8216: NAME is unique within a group). */
static void rendition_name(ladder_session *s, audio_rendition *r, const AVStream *st)
{
    const AVDictionaryEntry *e = av_dict_get(st->metadata, "title", NULL, 0);
    if (e && e->value[0]) {
        snprintf(r->name, sizeof(r->name), "%s", e->value);
        for (char *c = r->name; *c; c++)
            if (*c == '"')
                *c = '\'';
            else if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = ' ';
    } else {
        snprintf(r->name, sizeof(r->name), "%s", r->language[0] ? r->language : "audio");
    }
    for (int i = 0; i < s->nb_audio; i++)
        if (!strcmp(s->audio[i].name, r->name)) {
            /* Room for " (<index>)": a long title loses its end. */
            char base[sizeof(r->name) - 16];
            size_t len = strnlen(r->name, sizeof(base) - 1);
            memcpy(base, r->name, len);
            base[len] = '\0';
            snprintf(r->name, sizeof(r->name), "%s (%d)", base, r->stream_index);
            break;
        }
}

/* Whether ladder can make a rendition of st; why not, in one line. */
static bool usable(const AVStream *st, const ladder_audio_plan *plan, const char **why)
{
    if (st->disposition & AV_DISPOSITION_ATTACHED_PIC) {
        *why = "not audio";
        return false;
    }
    if (!plan->copy && !avcodec_find_decoder(st->codecpar->codec_id)) {
        *why = "no decoder";
        return false;
    }
    return true;
}

int audio_renditions_open(ladder_session *s)
{
    if (s->job.audio_mode == LADDER_AUDIO_NONE)
        return 0;
    ladder_audio_request request = {
        .codec = s->job.audio_codec,
        .max_channels = s->job.audio_channels,
        .bitrate_kbps = s->job.audio_bitrate_kbps,
        .source_may_change = (s->in->iformat->flags & AVFMT_TS_DISCONT) != 0,
    };
    ladder_audio_plan plans[LADDER_MAX_AUDIO];
    bool marked_default[LADDER_MAX_AUDIO];
    for (unsigned i = 0; i < s->in->nb_streams; i++) {
        AVStream *st = s->in->streams[i];
        if (st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)
            continue;
        ladder_audio_source src = audio_track_source_of(st->codecpar);
        ladder_audio_plan plan;
        const char *why = "no channels or sample rate";
        if (ladder_audio_plan_make(&src, &request, &plan) || !usable(st, &plan, &why)) {
            session_log(s, LADDER_LOG_WARNING, "input '%s': audio stream %u (%s) skipped: %s",
                        s->input, i, avcodec_get_name(st->codecpar->codec_id), why);
            continue;
        }
        if (s->nb_audio == LADDER_MAX_AUDIO) {
            session_log(s, LADDER_LOG_WARNING, "input '%s': audio stream %u skipped: more than %d",
                        s->input, i, LADDER_MAX_AUDIO);
            continue;
        }
        audio_rendition *r = &s->audio[s->nb_audio];
        *r = (audio_rendition){ .stream_index = (int)i };
        const AVDictionaryEntry *lang = av_dict_get(st->metadata, "language", NULL, 0);
        char lang_buf[8];
        const char *language = ladder_audio_language(lang ? lang->value : NULL, lang_buf, sizeof(lang_buf));
        snprintf(r->language, sizeof(r->language), "%s", language ? language : "");
        rendition_name(s, r, st);
        if (ladder_audio_rendition_dir((int)i, r->language, plan.codec, r->dir, sizeof(r->dir))) {
            session_fail(s, LADDER_EINTERNAL, "input '%s': audio stream %u: no directory name", s->input, i);
            return LADDER_EINTERNAL;
        }
        plans[s->nb_audio] = plan;
        marked_default[s->nb_audio] = st->disposition & AV_DISPOSITION_DEFAULT;
        s->nb_audio++;
        if (s->job.audio_mode == LADDER_AUDIO_FIRST)
            break;
    }
    int def = ladder_audio_default_rendition(marked_default, s->nb_audio);
    for (int k = 0; k < s->nb_audio; k++) {
        audio_rendition *r = &s->audio[k];
        r->is_default = k == def;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s/%s", s->output_dir, r->dir);
        int err = audio_track_open(&r->track, s, s->in->streams[r->stream_index], &plans[k], dir);
        if (err) {
            session_fail(s, err, "input '%s': audio stream %d: %s", s->input, r->stream_index,
                         ladder_strerror(err));
            return err;
        }
        const ladder_audio_plan *p = &plans[k];
        session_log(s, LADDER_LOG_INFO, "audio=%s stream=%d codecs=%s channels=%d rate=%d %s kbps=%d%s",
                    r->dir, r->stream_index, audio_track_codecs(r->track), p->channels,
                    p->sample_rate, p->copy ? "copy" : "encode", p->bitrate_kbps,
                    r->is_default ? " default" : "");
    }
    return 0;
}

void audio_renditions_close(ladder_session *s)
{
    for (int k = 0; k < s->nb_audio; k++) {
        audio_track_close(s->audio[k].track);
        s->audio[k].track = NULL;
    }
    s->nb_audio = 0;
}
