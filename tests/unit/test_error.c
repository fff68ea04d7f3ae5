/*
 * LADDER_ERROR_TABLE (include/ladder/error.h) and what is generated from
 * it: every code distinct and in the table, with a description, an exit
 * status and a class that a queue can act on; unknown codes answered with
 * fixed values; and the codes and exit statuses scripts already depend on
 * pinned, so a row edited by mistake fails here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "ladder/error.h"

static const char *const classes[] = {
    "ok", "internal", "usage", "fix-input", "environment", "stopped", "retry-later", "cancelled",
};

static bool known_class(const char *c)
{
    for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
        if (!strcmp(c, classes[i]))
            return true;
    return false;
}

/* Row i is code -i: the codes are distinct and have no gap (engine/error.c
 * looks a code up by that), names are LADDER_ names and distinct. */
static void test_codes_distinct_and_dense(void **state)
{
    (void)state;
    int n = ladder_error_count();
    assert_true(n >= 22);
    for (int i = 0; i < n; i++) {
        const ladder_error_info *e = ladder_error_info_at(i);
        assert_non_null(e);
        assert_int_equal(e->code, -i);
        assert_int_equal(strncmp(e->name, "LADDER_", 7), 0);
        for (int j = 0; j < i; j++) {
            assert_int_not_equal(ladder_error_info_at(j)->code, e->code);
            assert_string_not_equal(ladder_error_info_at(j)->name, e->name);
        }
    }
    assert_null(ladder_error_info_at(-1));
    assert_null(ladder_error_info_at(n));
}

/* Each row: a printable one-line description that ladder_strerror()
 * gives, an exit status that ladder_exit_code() gives, a known class. */
static void test_rows_complete(void **state)
{
    (void)state;
    for (int i = 0; i < ladder_error_count(); i++) {
        const ladder_error_info *e = ladder_error_info_at(i);
        assert_true(strlen(e->description) > 3);
        for (const char *c = e->description; *c; c++)
            assert_true(*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\');
        assert_string_equal(ladder_strerror(e->code), e->description);
        assert_int_equal(ladder_exit_code(e->code), e->exit_status);
        assert_true(e->exit_status >= 0 && e->exit_status <= 255);
        assert_true(known_class(e->exit_class));
        /* Only success exits 0, and success is "ok". */
        assert_int_equal(e->exit_status == 0, e->code == LADDER_OK);
        assert_int_equal(!strcmp(e->exit_class, "ok"), e->code == LADDER_OK);
    }
}

/* A queue sees only the exit status: one class per status. */
static void test_one_class_per_exit_status(void **state)
{
    (void)state;
    for (int i = 0; i < ladder_error_count(); i++)
        for (int j = 0; j < i; j++) {
            const ladder_error_info *a = ladder_error_info_at(i), *b = ladder_error_info_at(j);
            if (a->exit_status == b->exit_status)
                assert_string_equal(a->exit_class, b->exit_class);
        }
}

static void test_unknown_codes(void **state)
{
    (void)state;
    const int unknown[] = { 1, 42, -ladder_error_count(), -1000, INT_MIN, INT_MAX };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_string_equal(ladder_strerror(unknown[i]), "unknown error");
        assert_int_equal(ladder_exit_code(unknown[i]), 1);
    }
}

/* The codes and exit statuses as released: part of the API and the CLI's
 * contract (README, Exit codes), never renumbered. */
static void test_released_values(void **state)
{
    (void)state;
    static const struct { int code, value, exit_status; const char *cls; } pinned[] = {
        { LADDER_OK, 0, 0, "ok" },
        { LADDER_EINVAL, -1, 2, "usage" },
        { LADDER_ENOMEM, -2, 1, "internal" },
        { LADDER_EIO, -3, 1, "internal" },
        { LADDER_EINPUT_MISSING, -4, 3, "fix-input" },
        { LADDER_EINPUT_INVALID, -5, 4, "fix-input" },
        { LADDER_ENOVIDEO, -6, 5, "fix-input" },
        { LADDER_ECONFIG, -7, 6, "fix-input" },
        { LADDER_EOUTPUT, -8, 7, "environment" },
        { LADDER_ECANCELED, -9, 130, "cancelled" },
        { LADDER_EENCODER, -10, 8, "environment" },
        { LADDER_ECODEC, -11, 10, "environment" },
        { LADDER_ENOSPC, -12, 9, "environment" },
        { LADDER_EINTERNAL, -13, 1, "internal" },
        { LADDER_EBUSY, -14, 75, "retry-later" },
        { LADDER_ENODEVICE, -15, 11, "environment" },
        { LADDER_ELIMIT, -16, 12, "fix-input" },
        { LADDER_EREFUSED, -17, 13, "fix-input" },
        { LADDER_ESTOPPED, -18, 14, "stopped" },
        { LADDER_ERESUME, -19, 15, "environment" },
        { LADDER_EOWNED, -20, 16, "fix-input" },
        { LADDER_EUSAGE, -21, 2, "usage" },
        { LADDER_EEXIST, -22, 17, "fix-input" },
    };
    for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
        assert_int_equal(pinned[i].code, pinned[i].value);
        assert_int_equal(ladder_exit_code(pinned[i].code), pinned[i].exit_status);
        assert_string_equal(ladder_error_info_at(-pinned[i].value)->exit_class, pinned[i].cls);
    }
    assert_int_equal(ladder_exit_code(LADDER_EUSAGE), 2);
    assert_string_equal(ladder_error_info_at(-LADDER_EUSAGE)->name, "LADDER_EUSAGE");
    assert_string_equal(ladder_strerror(LADDER_EUSAGE),
                        "bad command line: an unknown option, a missing or malformed argument");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codes_distinct_and_dense),
        cmocka_unit_test(test_rows_complete),
        cmocka_unit_test(test_one_class_per_exit_status),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_released_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
