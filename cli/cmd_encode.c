/*
 * `ladder encode`: the options (encode_options.c, from the option table)
 * into a ladder_job, the route, the devices and the host slots, then the
 * session, with progress on the terminal or as JSON lines and a summary.
 * SIGINT/SIGTERM stop the run at a chunk boundary (a second one cancels)
 * through a watcher thread (stop_watch.h; the engine is not signal-safe).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "commands.h"
#include "encode_devices.h"
#include "encode_options.h"
#include "encode_slots.h"
#include "host_config.h"
#include "ladder/device_spec.h"
#include "ladder/ladder.h"
#include "ladder/ladder_config.h"
#include "progress_view.h"
#include "stop_watch.h"

/* One run of the command: everything it holds, released by encode_close(). */
typedef struct encode_run {
    encode_request req;
    ladder_job job;
    ladder_device_spec devices[LADDER_MAX_DEVICES];
    encode_slots_options slot_opts;
    int verbosity;
    progress_view *view;
    ladder_progress_sink sink;
    host_inventory hosts;
    encode_slots *slots;
    ladder_session *session;
    stop_watch *watch;
    char route[96], route_reason[512], gpu_devices[160];
} encode_run;

static void stop_session(void *opaque)
{
    ladder_session_stop(opaque);
}

static void cancel_session(void *opaque)
{
    ladder_session_cancel(opaque);
}

/* The job and the slot options from the parsed options. */
static int encode_setup(encode_run *r)
{
    const job_option_values *v = job_options_values(r->req.options);
    char err[512];
    ladder_job_defaults(&r->job);
    if (job_options_to_job(r->req.options, &r->job, r->devices, err, sizeof(err))) {
        fprintf(stderr, "ladder: %s\n", err);
        return ladder_exit_code(LADDER_ECONFIG);
    }
    r->verbosity = v->verbosity;
    r->slot_opts = (encode_slots_options){
        .host_cpu_slots = v->host_cpu_slots,
        .no_wait = v->when_busy == 2,
        /* when_busy cpu: a GPU without a free session is left out of the job. */
        .gpu_busy_to_cpu = v->when_busy == 1,
        .realtime = v->priority == 1,
        .state_dir = r->req.host.state_dir[0] ? r->req.host.state_dir : NULL,
        .gpu_sessions = r->req.host.gpu_sessions,
        .devices = r->devices,
        .nb_devices = &r->job.nb_devices,
    };
    /* FFmpeg's own messages only when asked for: errors reach the user as
     * ladder's one line naming the input. */
    av_log_set_level(r->verbosity >= LADDER_LOG_INFO ? AV_LOG_WARNING : AV_LOG_QUIET);
    if (r->verbosity >= LADDER_LOG_INFO)
        encode_options_log(r->req.options);
    if (progress_view_init(&r->view, (ladder_progress_mode)v->progress, r->verbosity))
        return 1;
    return 0;
}

/* Decide and record the route (report.json, a JSON "route" line). A GPU
 * route becomes the device list when the job named none. */
static int encode_route(encode_run *r)
{
    ladder_job *job = &r->job;
    host_config_route_encode(&r->req.host, &r->hosts, job, progress_view_is_json(r->view), r->verbosity,
                             job->nb_devices == 0, r->route, sizeof(r->route), r->route_reason,
                             sizeof(r->route_reason), r->gpu_devices, sizeof(r->gpu_devices));
    job->route = r->route;
    job->route_reason = r->route_reason;
    if (!r->gpu_devices[0])
        return 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char err[256];
    if (ladder_device_spec_parse(r->gpu_devices, cores > 0 ? (int)cores : 1, r->devices, LADDER_MAX_DEVICES,
                                 &job->nb_devices, err, sizeof(err))) {
        fprintf(stderr, "ladder: route %s: %s\n", r->route, err);
        return ladder_exit_code(LADDER_EINTERNAL);
    }
    job->devices = r->devices;
    return 0;
}

/* The device list resolved against the host, cut by the tiers, and the
 * decode device. Routing, --devices, tiers and the decode device all ask
 * the host's inventory: one probe serves them (host_inventory.h). */
static int encode_devices(encode_run *r)
{
    ladder_job *job = &r->job;
    int ret = encode_route(r);
    if (!ret && job->nb_devices > 0)
        ret = ladder_exit_code(encode_devices_resolve(&r->hosts, r->devices, &job->nb_devices));
    if (ret)
        return ret;
    /* A heavy job never lands on a light device (README, Tiers). */
    char tier_err[1024];
    int err = host_config_enforce_tiers(&r->req.host, &r->hosts, "ladder", r->devices, &job->nb_devices, tier_err,
                                        sizeof(tier_err));
    if (err) {
        fprintf(stderr, "ladder: %s\n", tier_err);
        return ladder_exit_code(err);
    }
    if (job->nb_devices > 0) {
        int cpu_devices = 0;
        job->cpu_slots = encode_devices_cpu_slots(r->devices, job->nb_devices, &cpu_devices);
        /* GPU devices still decode and scale on the CPU: one slot at least. */
        if (job->cpu_slots == 0)
            job->cpu_slots = 1;
        r->slot_opts.min_slots = cpu_devices;
    }
    const char *decode = job_options_values(r->req.options)->decode_device;
    return ladder_exit_code(encode_decode_resolve(&r->hosts, decode ? decode : "cpu", job->input, &job->decode));
}

/* Host CPU slots (and GPU sessions): job.cpu_slots becomes what the job
 * got. CPU devices (the fault device too) ask for all their slots together. */
static int encode_claim(encode_run *r)
{
    r->slot_opts.interruptible = r->watch != NULL;
    r->slot_opts.interrupt_fd = stop_watch_interrupt_fd(r->watch);
    int ret = encode_slots_claim(&r->slots, &r->job, &r->slot_opts, progress_view_is_json(r->view), r->verbosity);
    if (ret == LADDER_ECANCELED && stop_watch_received(r->watch) <= 1) {
        /* A signal while waiting for a slot: nothing was started or written. */
        fprintf(stderr, "ladder: output '%s': stopped while waiting for a host slot, before anything was "
                "written; run it again to start\n", r->job.output_dir);
        return ladder_exit_code(LADDER_ESTOPPED);
    }
    if (ret == LADDER_ECANCELED)
        fprintf(stderr, "ladder: cancelled\n");
    if (ret)
        return ladder_exit_code(ret);
    if (r->job.nb_devices > 0)
        encode_devices_fit(r->devices, &r->job.nb_devices, r->job.cpu_slots);
    /* Batch jobs give their CPU slots to waiting realtime jobs at chunk
     * boundaries; realtime jobs never yield. */
    if (!r->job.realtime) {
        r->job.chunk_gate = encode_slots_gate;
        r->job.chunk_gate_opaque = r->slots;
    }
    return 0;
}

static int encode_session(encode_run *r)
{
    r->sink = progress_view_sink(r->view);
    int ret = ladder_session_init(&r->session, &r->job, &r->sink);
    if (ret) {
        fprintf(stderr, "ladder: %s\n", ladder_strerror(ret));
        return ladder_exit_code(ret);
    }
    return 0;
}

static int encode_run_session(encode_run *r)
{
    /* A signal from here on stops or cancels the session; one that came
     * during the set-up above does so now, before it starts. */
    stop_watch_attach(r->watch, (stop_watch_target){ .stop = stop_session, .cancel = cancel_session,
                                                     .opaque = r->session,
                                                     .announce = progress_view_notice_cb,
                                                     .announce_opaque = r->view });
    int ret = ladder_session_run(r->session);
    encode_slots_release(r->slots);
    progress_view_finish(r->view);
    const ladder_report *rep = ladder_session_report(r->session);
    if (ret == 0 && progress_view_is_json(r->view)) {
        char *json = ladder_report_json(rep, r->job.input);
        progress_view_report(r->view, json);
        free(json);
    }
    if (ret == 0 && r->verbosity >= LADDER_LOG_WARNING)
        progress_view_summary(r->view, rep, r->job.output_dir,
                              r->job.formats ? r->job.formats : LADDER_FORMATS_DEFAULT);
    if (ret)
        progress_view_error(r->view, ladder_exit_code(ret), ladder_session_error(r->session));
    stop_watch_detach(r->watch);
    return ladder_exit_code(ret);
}

static void encode_close(encode_run *r)
{
    ladder_session_close(r->session);
    encode_slots_close(r->slots);
    host_inventory_close(&r->hosts);
    progress_view_close(r->view);
    job_options_close(r->req.options);
}

/* After the options: set-up, devices, slots, session; an exit status. */
static int encode_go(encode_run *r)
{
    int code = encode_setup(r);
    if (!code)
        code = encode_devices(r);
    host_inventory_close(&r->hosts);
    if (!code)
        code = encode_claim(r);
    if (!code)
        code = encode_session(r);
    if (!code)
        code = encode_run_session(r);
    if (code)
        progress_view_error(r->view, code, NULL);
    return code;
}

static int encode_main(int argc, char **argv, stop_watch *watch)
{
    encode_run *r = calloc(1, sizeof(*r));
    if (!r)
        return ladder_exit_code(LADDER_ENOMEM);
    r->watch = watch;
    int code = encode_options_parse(&r->req, argc, argv);
    if (code < 0)
        code = encode_go(r);
    encode_close(r);
    free(r);
    return code;
}

int cmd_encode(int argc, char **argv)
{
    /* First, before any thread exists (the progress view's, FFmpeg's in
     * the route probe): a signal during set-up is a stop like any other. */
    stop_watch *watch = NULL;
    if (stop_watch_start(&watch, true))
        watch = NULL;             /* signals keep their default action */
    int code = encode_main(argc, argv, watch);
    stop_watch_close(watch);
    return code;
}
