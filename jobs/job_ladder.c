/*
 * ladder: the HLS / DASH ladder of `ladder encode`, run through the public
 * session API into the job's temporary directory. The spec's "rungs" array
 * is read by the same parser as a ladder file (ladder_config.h), so a rung
 * object means the same thing in both places.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavformat/avio.h>

#include "job_internal.h"
#include "engine/job_options.h"
#include "mux/atomic_file.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"

typedef struct ladder_watch {
    job_ctx *c;
    pthread_mutex_t lock;         /* the engine calls on_rung from its threads */
    double percent[LADDER_MAX_RUNGS];
    int nb;
} ladder_watch;

static void on_rung(void *opaque, const ladder_rung_progress *p)
{
    ladder_watch *w = opaque;
    pthread_mutex_lock(&w->lock);
    if (p->rung >= 0 && p->rung < LADDER_MAX_RUNGS) {
        double pct = p->state == LADDER_RUNG_COMPLETED ? 100
                   : p->frames_total > 0 ? 100.0 * (double)p->frames_done / (double)p->frames_total : 0;
        w->percent[p->rung] = pct;
        if (p->rung + 1 > w->nb)
            w->nb = p->rung + 1;
        double sum = 0;
        for (int i = 0; i < w->nb; i++)
            sum += w->percent[i];
        job_progress(w->c, "encode", sum / w->nb);
    }
    pthread_mutex_unlock(&w->lock);
}

/* The rung objects through the ladder-file parser: a file with only them. */
static int load_rungs(job_ctx *c, ladder_rung **rungs, int *nb)
{
    char *path = job_path(c, ".rungs.json");
    size_t n = strlen(c->spec->rungs_json) + 16;
    char *text = malloc(n);
    int ret = 0;
    if (!path || !text) {
        ret = job_fail(c, LADDER_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(text, n, "{\"rungs\":%s}", c->spec->rungs_json);
    if ((ret = ladder_atomic_write(path, text, strlen(text)))) {
        job_fail(c, ret, "output '%s': %s", c->dir, ladder_strerror(ret));
        goto done;
    }
    char why[256];
    ret = ladder_config_load_file_options(path, rungs, nb, NULL, why, sizeof(why));
    unlink(path);
    if (ret) {
        /* The parser names its file; the spec key is what the user wrote. */
        const char *p = strstr(why, "rungs[");
        job_fail(c, LADDER_ECONFIG, "job spec: %s", p ? p : why);
        ret = LADDER_ECONFIG;
    }
done:
    free(path);
    free(text);
    return ret;
}

int job_run_ladder(job_ctx *c)
{
    const ladder_job_spec *s = c->spec;
    ladder_rung *rungs = NULL;
    int nb_rungs = 0, ret;
    if (s->rungs_json && (ret = load_rungs(c, &rungs, &nb_rungs)))
        return ret;
    ladder_job job;
    ladder_job_defaults(&job);
    /* Every option the spec gave, through the same table as the command
     * line's flags (engine/job_options.h). */
    char why[256];
    if ((ret = job_options_to_job(s->options, &job, NULL, why, sizeof(why)))) {
        free(rungs);
        return job_fail(c, ret, "job spec: %s", why);
    }
    job.input = c->input_path;   /* "./" before a name FFmpeg would read as "proto:" */
    /* An allowed URL (url_allow) opens with its own protocol only, as the
     * other job types open theirs (job_input.c); without it the session's
     * input policy refused every URL (exit 13). */
    job.allow_protocols = ladder_job_input_is_url(s->input) ? avio_find_protocol_name(c->input_path) : NULL;
    job.output_dir = c->dir;
    job.rungs = rungs;
    job.nb_rungs = nb_rungs;
    /* The host CPU slots the caller took for the job (cli/cmd_job.c), and
     * its class: a batch session yields slots to waiting realtime jobs. */
    job.cpu_slots = s->cpu_slots;
    job.realtime = s->realtime;
    job.chunk_gate = s->chunk_gate;
    job.chunk_gate_opaque = s->chunk_gate_opaque;
    /* An earlier attempt's directory: keep what it finished, if it was
     * made for this same job (a changed spec starts over). */
    job.resume = c->dir_adopted ? LADDER_RESUME_IF_SAME_JOB : LADDER_RESUME_OFF;
    ladder_watch w = { .c = c };
    pthread_mutex_init(&w.lock, NULL);
    ladder_progress_sink sink = { .opaque = &w, .on_rung = on_rung };
    ladder_session *session = NULL;
    ret = ladder_session_init(&session, &job, &sink);
    free(rungs);
    if (ret) {
        job_fail(c, ret == LADDER_ECONFIG ? LADDER_ECONFIG : ret, "job spec: %s", ladder_strerror(ret));
        goto done;
    }
    job_set_session(c, session);
    ret = ladder_session_run(session);
    if (ret) {
        job_fail(c, ret, "%s", ladder_session_error(session));
        goto done;
    }
    const ladder_report *rep = ladder_session_report(session);
    unsigned formats = job.formats ? job.formats : LADDER_FORMATS_DEFAULT;
    int top = 0;
    for (int i = 1; i < rep->nb_rungs; i++)
        if (rep->rungs[i].height > rep->rungs[top].height)
            top = i;
    int tw = rep->nb_rungs ? rep->rungs[top].width : 0, th = rep->nb_rungs ? rep->rungs[top].height : 0;
    const char *names[] = { "master.m3u8", "manifest.mpd", "report.json" };
    const bool want[] = { formats & LADDER_FORMAT_HLS, formats & LADDER_FORMAT_DASH, true };
    for (int i = 0; i < 3 && !ret; i++) {
        if (!want[i])
            continue;
        char *path = job_path(c, names[i]);
        if (!path) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            break;
        }
        if (access(path, F_OK) == 0)
            ret = job_add_output(c, path, i < 2 ? rep->source_duration : 0, i < 2 ? tw : 0, i < 2 ? th : 0);
        free(path);
    }
    for (int i = 0; i < rep->nb_rungs && !ret && (formats & LADDER_FORMAT_MP4); i++) {
        char name[LADDER_NAME_MAX + 16];
        snprintf(name, sizeof(name), "mp4/%s.mp4", rep->rungs[i].name);
        char *path = job_path(c, name);
        if (!path) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            break;
        }
        if (access(path, F_OK) == 0)
            ret = job_add_output(c, path, 0, 0, 0);
        free(path);
    }
    if (!ret) {
        char *report = ladder_report_json(rep, s->input);
        if (!report) {
            ret = job_fail(c, LADDER_ENOMEM, "out of memory");
            goto done;
        }
        ret = job_extra(c, "\"rungs\":%d,\"report\":%s", rep->nb_rungs, report);
        free(report);
    }
done:
    if (session)
        job_set_session(c, NULL);
    ladder_session_close(session);
    pthread_mutex_destroy(&w.lock);
    return ret;
}
