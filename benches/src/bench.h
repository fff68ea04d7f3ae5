/*
 * `ladder bench`: ladder against FFmpeg's CLI on the same input with the
 * same encoder settings (benches/README.md). This room, benches/src/, is
 * the static library ladder_bench; the ladder executable links it for its
 * `bench` command, and nothing else in the product depends on it. It uses
 * libladder's public API only.
 */
#ifndef LADDER_BENCH_H
#define LADDER_BENCH_H

/* `ladder bench ARGS...` (argv[0] is "bench"): run the benchmark, or print
 * its help. Returns the process exit status (see --help). */
int bench_command(int argc, char **argv);

#endif
