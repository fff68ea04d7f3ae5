/* The machine a benchmark runs on. See bench_host.h. */
#define _GNU_SOURCE   /* CPU_COUNT */
#include "bench_host.h"

#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>

#include "bench_report.h"

int bench_host_cores(void)
{
    cpu_set_t set;
    if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    return bench_host_online_cpus();
}

int bench_host_online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void bench_host_cpu_model(char *out, size_t size)
{
    snprintf(out, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "model name", 10)) {
            char *colon = strchr(line, ':');
            if (colon) {
                colon++;
                while (*colon == ' ' || *colon == '\t')
                    colon++;
                colon[strcspn(colon, "\n")] = '\0';
                snprintf(out, size, "%s", colon);
            }
            break;
        }
    }
    fclose(f);
}

json_object *bench_host_loadavg(void)
{
    double l[3];
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return NULL;
    int n = fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]);
    fclose(f);
    if (n != 3)
        return NULL;
    json_object *a = json_object_new_array();
    for (int i = 0; i < 3; i++)
        json_object_array_add(a, bench_json_num(l[i]));
    return a;
}

double bench_host_busy_seconds(void)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return NAN;
    unsigned long long v[8] = { 0 };
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n < 5)
        return NAN;
    unsigned long long total = 0;
    for (int i = 0; i < 8; i++)
        total += v[i];
    long hz = sysconf(_SC_CLK_TCK);
    return (double)(total - v[3] - v[4]) / (double)(hz > 0 ? hz : 100);
}

json_object *bench_host_describe(void)
{
    json_object *host = json_object_new_object();
    char model[256];
    bench_host_cpu_model(model, sizeof(model));
    struct utsname un;
    bool have_un = uname(&un) == 0;
    json_object_object_add(host, "cores", json_object_new_int(bench_host_cores()));
    json_object_object_add(host, "cores_basis", json_object_new_string(
        "CPUs this process may run on (sched_getaffinity)"));
    json_object_object_add(host, "online_cpus", json_object_new_int(bench_host_online_cpus()));
    json_object_object_add(host, "cpu_model", json_object_new_string(model));
    json_object_object_add(host, "memory_bytes",
                           bench_json_num((double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGE_SIZE)));
    json_object_object_add(host, "kernel", bench_json_str(have_un ? un.release : NULL));
    json_object_object_add(host, "kernel_version", bench_json_str(have_un ? un.version : NULL));
    json_object_object_add(host, "machine", bench_json_str(have_un ? un.machine : NULL));
    return host;
}

static void lib_version(json_object *o, const char *name, unsigned v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    json_object_object_add(o, name, json_object_new_string(buf));
}

json_object *bench_host_libraries(void)
{
    json_object *libs = json_object_new_object();
    lib_version(libs, "libavformat", avformat_version());
    lib_version(libs, "libavcodec", avcodec_version());
    lib_version(libs, "libavfilter", avfilter_version());
    lib_version(libs, "libswscale", swscale_version());
    lib_version(libs, "libavutil", avutil_version());
    json_object_object_add(libs, "ffmpeg_libraries", json_object_new_string(av_version_info()));
    json_object_object_add(libs, "json-c", json_object_new_string(json_c_version()));
    return libs;
}
