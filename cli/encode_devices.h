/* `ladder encode --devices`: capability requests resolved against the
 * host, and the list fitted to the host CPU slots the job got. */
#ifndef LADDER_CLI_ENCODE_DEVICES_H
#define LADDER_CLI_ENCODE_DEVICES_H

#include "host_inventory.h"
#include "ladder/device_spec.h"
#include "ladder/ladder.h"

/* Expand GPU and auto requests with the host's device inventory (asked
 * for only when the list has such requests). 0, or a LADDER_E* code after one
 * line on stderr. */
int encode_devices_resolve(host_inventory *hosts, ladder_device_spec *devices, int *nb);

/* CPU slots the list's CPU-run devices (cpu, fault) ask for, and how many
 * such devices there are (each needs one). */
int encode_devices_cpu_slots(const ladder_device_spec *devices, int nb, int *cpu_devices);

/* The host gave `slots` CPU slots: every CPU-run device keeps one, the
 * rest go in order up to what each asked; with fewer slots than CPU-run
 * devices the last of them are dropped (a warning says so). */
void encode_devices_fit(ladder_device_spec *devices, int *nb, int slots);

/* --decode-device REQUEST for input: "cpu" as it is; gpu and auto look at
 * the source (codec, size, depth) and the host's GPUs. 0, or a LADDER_E*
 * code after one line on stderr (gpu with no GPU that can: ENODEVICE). */
int encode_decode_resolve(host_inventory *hosts, const char *request, const char *input, ladder_decode_device *out);

#endif
