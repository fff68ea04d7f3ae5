/*
 * `ladder encode`'s command line read into the option table
 * (engine/job_options.h), with the host configuration and the --ladder
 * file, in the one precedence chain: built-in default < host config file <
 * environment < ladder file < flag.
 */
#ifndef LADDER_CLI_ENCODE_OPTIONS_H
#define LADDER_CLI_ENCODE_OPTIONS_H

#include "engine/job_options.h"
#include "policy/config.h"

typedef struct encode_request {
    job_options *options;
    ladder_conf_values host;      /* the host configuration, for what is not a job option */
    /* Set by the caller: the command named in messages ("encode" when
     * NULL), and whether -o DIR is required (ladder probe takes the same
     * options but writes nothing). */
    const char *command;
    bool no_output;
} encode_request;

/*
 * Parse argv into req (job_options_close(req->options) after). Returns -1
 * to go on, or the exit status to end with: 0 after --help, 2 for a usage
 * error (one line on stderr naming the argument), 6 for a bad ladder file
 * or rung, ...
 */
int encode_options_parse(encode_request *req, int argc, char **argv);

/* -v: one line per option that is not at its default, with its source. */
void encode_options_log(const job_options *o);

#endif
