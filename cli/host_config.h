/*
 * The CLI's side of the host configuration (policy/config.h): find
 * --config in argv, load file + environment, apply the defaults to an
 * encode job, and decide and record the job's route. Kept out of the
 * command files so each of them makes one call.
 */
#ifndef LADDER_CLI_HOST_CONFIG_H
#define LADDER_CLI_HOST_CONFIG_H

#include <stdbool.h>

#include "encode_slots.h"
#include "host_inventory.h"
#include "policy/config.h"
#include "ladder/device_spec.h"
#include "ladder/ladder.h"
#include "policy/ladder_estimate.h"
#include "policy/route.h"
#include "policy/tiers.h"

/* The value of --config FILE / --config=FILE in argv (before "--"), or NULL. */
const char *host_config_flag(int argc, char **argv);

/*
 * Load the configuration for a command (file from --config in argv, else
 * the usual places; then the environment). Prints one line on error and
 * returns the exit status (6), else 0.
 */
int host_config_load(ladder_conf **out, int argc, char **argv);

/* Load the tier file of v, if any, into *tiers (NULL when none). Prints one line and
 * returns an exit status on error. */
int host_config_tiers(const ladder_conf_values *v, ladder_tiers **tiers);

/*
 * Tiers decide where a job type may run: of devices[0..*nb) (none listed:
 * the CPU, which is what runs the job then) the ones whose inventory
 * device's tier does not allow job_type are dropped with a warning line;
 * when nothing is left, one line naming the tiers into err and
 * LADDER_ENODEVICE (exit 11: another node may take it). No tier file: 0,
 * nothing changes. A bad tier file: LADDER_ECONFIG.
 */
int host_config_enforce_tiers(const ladder_conf_values *v, host_inventory *hosts, const char *job_type,
                              ladder_device_spec *devices, int *nb, char *err, size_t err_size);

/*
 * Probe the devices, apply conf's tiers for job type "ladder" and route
 * the job with estimate e (NULL: unknown). Fills out; never fails (a
 * problem becomes a CPU route whose reason says it).
 */
void host_config_route(const ladder_conf_values *v, host_inventory *hosts, const ladder_estimate *e,
                       ladder_route *out);

/*
 * `ladder encode`: probe the input, estimate, route, and say so: one
 * {"type":"route",...} line when json, one log line at -v. route/reason
 * receive what is recorded in report.json. When the route is a GPU and the
 * job named no devices (can_act), gpu_devices gets the device list that
 * takes it ("nvidia:1:uuid=GPU-...,cpu": the GPU defines the rungs NVENC
 * can encode, the CPU the others); otherwise it is "". A job that named
 * devices is not routed (no input scan, no GPU probe): the route is
 * "devices" and its list runs it.
 */
void host_config_route_encode(const ladder_conf_values *v, host_inventory *hosts, const ladder_job *job, bool json,
                              int verbosity,
                              bool can_act, char *route, size_t route_size, char *reason, size_t reason_size,
                              char *gpu_devices, size_t gpu_devices_size);

#endif
