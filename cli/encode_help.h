/*
 * `ladder encode`'s help, man page and bash completion, printed from the
 * option table (engine/job_options.h) so they cannot drift from what the
 * parser accepts.
 */
#ifndef LADDER_CLI_ENCODE_HELP_H
#define LADDER_CLI_ENCODE_HELP_H

#include <stdbool.h>
#include <stdio.h>

/* --help (the common options and examples) or --help-all (every option and
 * where else it may be written). Every line fits 80 columns. */
void encode_help_print(FILE *out, bool all);

/* Words of text printed from column at (the cursor's), wrapped within 80
 * columns, continuation lines indented to indent. Ends the line. */
void help_wrap(FILE *out, const char *text, int at, int indent);

/* ladder(1) in roff (man -l). */
void encode_help_man(FILE *out);

/* A bash completion script for ladder. */
void encode_help_completion(FILE *out);

#endif
