/* The `ladder` subcommands. Each returns the process exit status.
 * `ladder bench` is the bench's own (benches/src/bench.h). */
#ifndef LADDER_CLI_COMMANDS_H
#define LADDER_CLI_COMMANDS_H

int cmd_encode(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_job(int argc, char **argv);

#endif
