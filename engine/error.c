/* Error names, exit statuses and classes: rows of LADDER_ERROR_TABLE
 * (include/ladder/error.h; documented in README.md, Exit codes). */
#include "ladder/error.h"

#include <stddef.h>

#define ROW(name, code, exit_status, cls, text) { #name, code, exit_status, cls, text },
static const ladder_error_info rows[] = { LADDER_ERROR_TABLE(ROW) };
#undef ROW

enum { NB_ROWS = (int)(sizeof(rows) / sizeof(rows[0])) };

int ladder_error_count(void)
{
    return NB_ROWS;
}

const ladder_error_info *ladder_error_info_at(int i)
{
    return i >= 0 && i < NB_ROWS ? &rows[i] : NULL;
}

/* The codes run 0, -1, -2, ... without a gap (tests/unit/test_error.c), so
 * row -err is err's; anything else is not a ladder code. */
static const ladder_error_info *row_of(int err)
{
    const ladder_error_info *row = err <= 0 && err > -NB_ROWS ? &rows[-err] : NULL;
    return row && row->code == err ? row : NULL;
}

const char *ladder_strerror(int err)
{
    const ladder_error_info *row = row_of(err);
    return row ? row->description : "unknown error";
}

int ladder_exit_code(int err)
{
    const ladder_error_info *row = row_of(err);
    return row ? row->exit_status : 1;
}
