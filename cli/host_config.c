/*
 * Host configuration for the commands (cli/host_config.h): the glue
 * between policy/config.c, policy/tiers.c, policy/route.c and the
 * options of ladder encode / probe / devices.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "host_config.h"
#include "ladder/device_inventory.h"
#include "ladder/error.h"
#include "policy/media_probe.h"
#include "progress_json.h"

const char *host_config_flag(int argc, char **argv)
{
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[++i];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
    }
    return path;
}

int host_config_load(ladder_conf **out, int argc, char **argv)
{
    char err[1024];
    int ret = ladder_conf_load(out, host_config_flag(argc, argv), err, sizeof(err));
    if (ret) {
        fprintf(stderr, "ladder: %s\n", err);
        return ladder_exit_code(ret);
    }
    return 0;
}

int host_config_tiers(const ladder_conf_values *v, ladder_tiers **tiers)
{
    *tiers = NULL;
    if (!v->tier_file[0])
        return 0;
    char err[1024];
    int ret = ladder_tiers_load(tiers, v->tier_file, err, sizeof(err));
    if (ret) {
        fprintf(stderr, "ladder: %s\n", err);
        return ladder_exit_code(ret);
    }
    return 0;
}

/* The inventory device a listed device runs on (cpu and fault: the CPU). */
static const ladder_device_info *inventory_device_of(const ladder_device_inventory *inv, const ladder_device_spec *d)
{
    bool cpu = !strcmp(d->kind, "cpu") || !strcmp(d->kind, "fault");
    for (int i = 0; i < ladder_device_inventory_count(inv); i++) {
        const ladder_device_info *x = ladder_device_inventory_device(inv, i);
        if (cpu && x->kind == LADDER_DEVICE_CPU)
            return x;
        if (!strcmp(d->kind, "nvidia") && x->kind == LADDER_DEVICE_NVIDIA &&
            (d->uuid[0] ? !strcmp(d->uuid, x->uuid) : x->vendor_index == d->gpu))
            return x;
        if (!strcmp(d->kind, "intel") && x->kind == LADDER_DEVICE_INTEL && x->vendor_index == d->gpu)
            return x;
    }
    return NULL;
}

int host_config_enforce_tiers(const ladder_conf_values *v, host_inventory *hosts, const char *job_type,
                              ladder_device_spec *devices, int *nb, char *err, size_t err_size)
{
    if (!v->tier_file[0])
        return 0;
    ladder_tiers *tiers = NULL;
    int ret = ladder_tiers_load(&tiers, v->tier_file, err, err_size);
    if (ret)
        return ret;
    const ladder_device_inventory *inv = NULL;
    ret = host_inventory_get(hosts, &inv);
    if (ret) {
        snprintf(err, err_size, "tiers: probing the host's devices: %s", ladder_strerror(ret));
        ladder_tiers_close(tiers);
        return ret;
    }
    ladder_device_spec cpu = { .slots = 0, .gpu = -1 };
    snprintf(cpu.kind, sizeof(cpu.kind), "cpu");
    snprintf(cpu.name, sizeof(cpu.name), "cpu");
    bool implicit = *nb == 0;
    ladder_device_spec *list = implicit ? &cpu : devices;
    int count = implicit ? 1 : *nb, kept = 0;
    char refused[768] = "";
    size_t used = 0;
    char dropped[LADDER_MAX_DEVICES][96];
    int nb_dropped = 0;
    for (int d = 0; d < count; d++) {
        const ladder_device_info *x = inventory_device_of(inv, &list[d]);
        int tier = x ? ladder_tiers_match(tiers, x) : -1;
        if (x && ladder_tiers_allows(tiers, tier, job_type)) {
            if (!implicit)
                devices[kept] = devices[d];
            kept++;
            continue;
        }
        const char *name = tier >= 0 ? ladder_tiers_name(tiers, tier) : NULL;
        int w = snprintf(refused + used, sizeof(refused) - used, "%s%s (%s%s%s)", used ? ", " : "", list[d].name,
                         x ? x->name : "not in the inventory", name ? ": tier " : (x ? ": no tier" : ""),
                         name ? name : "");
        if (w > 0 && (size_t)w < sizeof(refused) - used)
            used += (size_t)w;
        if (!implicit)
            snprintf(dropped[nb_dropped++], sizeof(dropped[0]), "%s may not run %s jobs (%s)", list[d].name,
                     job_type, name ? name : "no tier");
    }
    /* Left-out devices are worth a warning only when the job still runs. */
    for (int i = 0; kept > 0 && i < nb_dropped; i++)
        fprintf(stderr, "ladder: warning: tiers: device %s: left out\n", dropped[i]);
    if (!implicit)
        *nb = kept;
    ladder_tiers_close(tiers);
    if (kept > 0)
        return 0;
    snprintf(err, err_size, "no device here may run %s jobs under the tiers of %s: %s", job_type, v->tier_file,
             refused);
    return LADDER_ENODEVICE;
}

void host_config_route(const ladder_conf_values *v, host_inventory *hosts, const ladder_estimate *e,
                       ladder_route *out)
{
    ladder_route_input in = {
        .estimate = e,
        .rules = { .gpu_memory_reserve = v->gpu_memory_reserve,
                   .small_job_max_pixels = v->small_job_max_pixels,
                   .when_busy = v->when_busy },
    };
    const ladder_device_inventory *inv = NULL;
    int ret = host_inventory_get(hosts, &inv);
    if (ret) {
        ladder_route_decide(&in, out);
        snprintf(out->reason, sizeof(out->reason), "device inventory: %s: CPU", ladder_strerror(ret));
        return;
    }
    ladder_tiers *tiers = NULL;
    char err[1024] = "";
    if (v->tier_file[0] && ladder_tiers_load(&tiers, v->tier_file, err, sizeof(err)))
        tiers = NULL;
    int n = ladder_device_inventory_count(inv);
    const ladder_device_info **devs = calloc((size_t)(n > 0 ? n : 1), sizeof(*devs));
    bool *allowed = calloc((size_t)(n > 0 ? n : 1), sizeof(*allowed));
    if (devs && allowed && !err[0]) {
        for (int i = 0; i < n; i++)
            devs[i] = ladder_device_inventory_device(inv, i);
        ladder_tiers_devices_for(tiers, "ladder", devs, n, allowed);
        in.devices = devs;
        in.nb_devices = n;
        in.allowed = allowed;
        /* Free slots are not known here: the GPU slots do not exist yet, and
         * the CPU's are claimed (or waited for) by the encode itself. */
        ladder_route_decide(&in, out);
    } else {
        ladder_route_decide(&in, out);
        snprintf(out->reason, sizeof(out->reason), "%.400s: CPU", err[0] ? err : "out of memory");
    }
    free(devs);
    free(allowed);
    ladder_tiers_close(tiers);
}

/* One log line at -v, one {"type":"route"} line with --progress json. */
static void emit_route(bool json, int verbosity, const char *route, const char *ran_on, const char *reason)
{
    if (verbosity >= LADDER_LOG_INFO)
        fprintf(stderr, "ladder: route %s: %s\n", route, reason);
    if (!json)
        return;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "type", json_object_new_string("route"));
    progress_json_add_t(o);
    json_object_object_add(o, "route", json_object_new_string(route));
    json_object_object_add(o, "ran_on", json_object_new_string(ran_on));
    json_object_object_add(o, "reason", json_object_new_string(reason));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    fflush(stdout);
    json_object_put(o);
}

void host_config_route_encode(const ladder_conf_values *v, host_inventory *hosts, const ladder_job *job, bool json,
                              int verbosity,
                              bool can_act, char *route, size_t route_size, char *reason, size_t reason_size,
                              char *gpu_devices, size_t gpu_devices_size)
{
    ladder_route r;
    ladder_media_probe *p = NULL;
    ladder_estimate est;
    char err[512];
    bool have = false;
    gpu_devices[0] = '\0';
    if (!can_act) {
        /* The job's own device list decides: scanning the input and
         * probing the host's GPUs for a route nobody takes would only delay
         * its start (a CUDA context per GPU). */
        bool cpu_only = true;
        for (int d = 0; d < job->nb_devices; d++)
            cpu_only &= !strcmp(job->devices[d].kind, "cpu") || !strcmp(job->devices[d].kind, "fault");
        snprintf(route, route_size, "devices");
        snprintf(reason, reason_size, "--devices given: that list runs the job");
        emit_route(json, verbosity, route, cpu_only ? "cpu" : "devices", reason);
        return;
    }
    /* A short scan: the route needs sizes and codecs, not a measured rate. */
    if (ladder_media_probe_open(&p, job->input, 2.0, err, sizeof(err)) == 0 && p->video_stream >= 0)
        have = ladder_estimate_job(p, job, &est, err, sizeof(err)) == 0;
    ladder_media_probe_free(p);
    host_config_route(v, hosts, have ? &est : NULL, &r);
    snprintf(route, route_size, "%s", r.target);
    const char *ran_on = "cpu";
    if (r.kind != LADDER_ROUTE_GPU) {
        snprintf(reason, reason_size, "%s", r.reason);
    } else {
        /* The GPU's own device list entry: an NVIDIA GPU by UUID when it
         * has one (stable across reordering), else by CUDA index; an Intel
         * GPU by adapter index. No SLOTS: its sessions default to its
         * encoder engines. */
        const ladder_device_inventory *inv = NULL;
        const ladder_device_info *g = NULL;
        if (r.device >= 0 && host_inventory_get(hosts, &inv) == 0)
            g = ladder_device_inventory_device(inv, r.device);
        if (g && g->kind == LADDER_DEVICE_INTEL)
            snprintf(gpu_devices, gpu_devices_size, "intel:gpu=%d,cpu", g->vendor_index);
        else if (g && g->uuid[0])
            snprintf(gpu_devices, gpu_devices_size, "nvidia:uuid=%s,cpu", g->uuid);
        else if (g)
            snprintf(gpu_devices, gpu_devices_size, "nvidia:gpu=%d,cpu", g->vendor_index);
        snprintf(reason, reason_size, "%s", r.reason);
        ran_on = "gpu";
    }
    emit_route(json, verbosity, route, ran_on, reason);
}
