/*
 * The machine a benchmark runs on: how many cores it may use, what they
 * are, how busy the machine is, and the versions of the libraries linked.
 * Everything a reader needs to judge whether two results are comparable.
 */
#ifndef LADDER_CLI_BENCH_HOST_H
#define LADDER_CLI_BENCH_HOST_H

#include <stddef.h>

#include <json-c/json.h>

/* CPUs this process may run on (sched_getaffinity): the cores in CPU
 * utilisation and in the physical limit. */
int bench_host_cores(void);

/* Online CPUs: what ladder encode takes as its default slot count. */
int bench_host_online_cpus(void);

/* "model name" from /proc/cpuinfo, or "unknown CPU". */
void bench_host_cpu_model(char *out, size_t size);

/* [1, 5, 15 minute load averages], or NULL when /proc/loadavg is unreadable. */
json_object *bench_host_loadavg(void);

/* Busy CPU seconds of the whole machine since boot (/proc/stat: all but
 * idle and iowait), NaN when unknown. Differences give the CPU everything
 * on the machine used meanwhile. */
double bench_host_busy_seconds(void);

/* {cores, cores_basis, online_cpus, cpu_model, memory_bytes, kernel,
 *  kernel_version, machine} */
json_object *bench_host_describe(void);

/* {libavformat: "59.27.100", ..., ffmpeg_libraries, json-c}: the versions
 * this binary runs with (not the headers it was built against). */
json_object *bench_host_libraries(void);

#endif
