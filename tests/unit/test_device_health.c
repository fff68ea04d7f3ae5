/*
 * Device health's rules (engine/device_health.c), on a device_health of
 * the test's own and a clock it moves: failures in a row quarantine a
 * device, the back-off doubles up to its cap, one worker re-tests while
 * its siblings wait, a pass puts the device on probation, one good chunk
 * makes it healthy, one failure on probation quarantines it again, and
 * three quarantines in a row count as gone for good.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "device_health.h"

static const device_health_rules rules = { .failure_limit = 3, .backoff_seconds = 1.0 };

/* One encode that fails (error NULL: the default text) at time now. */
static bool fail_once(device_health *h, double now, const char *error)
{
    device_health_begin(h);
    return device_health_end(h, &rules, now, false, error);
}

static void pass(device_health *h, double now)
{
    device_health_begin(h);
    assert_false(device_health_end(h, &rules, now, true, NULL));
}

static void test_states(void **state)
{
    (void)state;
    device_health h = { 0 };
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_IDLE);
    device_health_begin(&h);
    device_health_begin(&h);
    assert_int_equal(h.busy, 2);
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_BUSY);
    assert_false(device_health_end(&h, &rules, 0, true, NULL));
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_BUSY);
    assert_false(device_health_end(&h, &rules, 0, true, NULL));
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_IDLE);
    h.probation = true;
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_PROBATION);
    h.quarantined = true;
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_QUARANTINED);
    assert_string_equal(ladder_device_state_name(LADDER_DEVICE_STATE_QUARANTINED), "quarantined");
    assert_string_equal(ladder_device_state_name(LADDER_DEVICE_STATE_PROBATION), "probation");
}

static void test_failures_in_a_row_quarantine(void **state)
{
    (void)state;
    device_health h = { 0 };
    double wait = -1;
    assert_false(fail_once(&h, 10, "boom"));
    assert_false(fail_once(&h, 10, NULL));
    assert_string_equal(h.last_error, "encode failed");
    assert_false(h.quarantined);
    assert_int_equal(device_health_next(&h, 10, &wait), DEVICE_HEALTH_WORK);
    /* The limit-th failure in a row. */
    assert_true(fail_once(&h, 10, "rung 360p chunk 3: encoder error"));
    assert_true(h.quarantined);
    assert_int_equal(h.failures, 3);
    assert_int_equal(h.consecutive_failures, 3);
    assert_int_equal(h.quarantines, 1);
    assert_int_equal(h.quarantines_in_row, 1);
    assert_float_equal(h.backoff, 1.0, 1e-12);
    assert_float_equal(h.quarantine_until, 11.0, 1e-12);
    assert_string_equal(h.last_error, "rung 360p chunk 3: encoder error");
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_QUARANTINED);
    assert_int_equal(h.busy, 0);
    /* Its other workers' encodes that fail meanwhile count, but do not
     * quarantine it again. */
    assert_false(fail_once(&h, 10.5, "late"));
    assert_int_equal(h.quarantines, 1);
    assert_int_equal(h.failures, 4);
    assert_float_equal(h.quarantine_until, 11.0, 1e-12);
}

static void test_a_good_chunk_resets_the_count(void **state)
{
    (void)state;
    device_health h = { 0 };
    assert_false(fail_once(&h, 0, "a"));
    assert_false(fail_once(&h, 0, "b"));
    pass(&h, 0);
    assert_int_equal(h.consecutive_failures, 0);
    assert_false(fail_once(&h, 0, "c"));
    assert_false(fail_once(&h, 0, "d"));
    assert_false(h.quarantined);
    assert_int_equal(h.failures, 4);
}

static void test_one_worker_retests_after_the_backoff(void **state)
{
    (void)state;
    device_health h = { 0 };
    for (int i = 0; i < 3; i++)
        fail_once(&h, 100, "x");
    double wait = 0;
    /* Before the re-test is due: wait out the rest of the back-off. */
    assert_int_equal(device_health_next(&h, 100.25, &wait), DEVICE_HEALTH_WAIT);
    assert_float_equal(wait, 0.75, 1e-9);
    /* Due: the first worker to ask runs it... */
    assert_int_equal(device_health_next(&h, 101, &wait), DEVICE_HEALTH_RETEST);
    assert_true(h.probing);
    /* ... its siblings wait and ask again shortly. */
    assert_int_equal(device_health_next(&h, 101.1, &wait), DEVICE_HEALTH_WAIT);
    assert_float_equal(wait, 0.2, 1e-12);
    /* It passes: probation, working again. */
    device_health_retested(&h, &rules, 101.2, true, NULL);
    assert_false(h.probing);
    assert_false(h.quarantined);
    assert_true(h.probation);
    assert_int_equal(h.consecutive_failures, 0);
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_PROBATION);
    assert_int_equal(device_health_next(&h, 101.2, &wait), DEVICE_HEALTH_WORK);
    /* One good chunk: healthy, and the next trouble starts afresh. */
    pass(&h, 102);
    assert_false(h.probation);
    assert_int_equal(h.quarantines_in_row, 0);
    assert_int_equal(device_health_state(&h), LADDER_DEVICE_STATE_IDLE);
    for (int i = 0; i < 3; i++)
        fail_once(&h, 200, "y");
    assert_float_equal(h.backoff, 1.0, 1e-12);
    assert_int_equal(h.quarantines, 2);
    assert_int_equal(h.quarantines_in_row, 1);
}

static void test_one_failure_on_probation_quarantines_again(void **state)
{
    (void)state;
    device_health h = { 0 };
    for (int i = 0; i < 3; i++)
        fail_once(&h, 0, "x");
    double wait;
    assert_int_equal(device_health_next(&h, 1, &wait), DEVICE_HEALTH_RETEST);
    device_health_retested(&h, &rules, 1, true, NULL);
    assert_true(h.probation);
    /* The limit does not apply on probation: the first failure. */
    assert_true(fail_once(&h, 2, "again"));
    assert_true(h.quarantined);
    assert_false(h.probation);
    assert_int_equal(h.quarantines_in_row, 2);
    assert_float_equal(h.backoff, 2.0, 1e-12);       /* doubled */
    assert_float_equal(h.quarantine_until, 4.0, 1e-12);
}

static void test_failed_retests_double_the_backoff_to_its_cap(void **state)
{
    (void)state;
    const device_health_rules slow = { .failure_limit = 1, .backoff_seconds = 10.0 };
    device_health h = { 0 };
    device_health_begin(&h);
    assert_true(device_health_end(&h, &slow, 0, false, "x"));
    assert_float_equal(h.backoff, 10.0, 1e-12);
    const double expect[] = { 20.0, DEVICE_MAX_BACKOFF_SECONDS, DEVICE_MAX_BACKOFF_SECONDS };
    double now = 0;
    for (int i = 0; i < 3; i++) {
        double wait;
        now = h.quarantine_until;
        assert_int_equal(device_health_next(&h, now, &wait), DEVICE_HEALTH_RETEST);
        device_health_retested(&h, &slow, now, false, "Encoder failed");
        assert_false(h.probing);
        assert_true(h.quarantined);
        assert_string_equal(h.last_error, "re-test encode failed: Encoder failed");
        assert_float_equal(h.backoff, expect[i], 1e-12);
        assert_float_equal(h.quarantine_until, now + expect[i], 1e-12);
        assert_int_equal(h.quarantines, i + 2);
        assert_int_equal(h.quarantines_in_row, i + 2);
        assert_int_equal(h.failures, i + 2);
    }
}

static void test_three_quarantines_in_a_row_are_for_good(void **state)
{
    (void)state;
    device_health h = { 0 };
    assert_true(device_health_alive(&h));
    for (int i = 0; i < 3; i++)
        fail_once(&h, 0, "x");
    assert_true(device_health_alive(&h));       /* quarantined once: it may come back */
    double wait;
    assert_int_equal(device_health_next(&h, 1, &wait), DEVICE_HEALTH_RETEST);
    device_health_retested(&h, &rules, 1, false, "x");
    assert_int_equal(h.quarantines_in_row, 2);
    assert_true(device_health_alive(&h));
    assert_int_equal(device_health_next(&h, h.quarantine_until, &wait), DEVICE_HEALTH_RETEST);
    device_health_retested(&h, &rules, h.quarantine_until, false, "x");
    assert_int_equal(h.quarantines_in_row, DEVICE_REQUIRED_QUARANTINES);
    assert_false(device_health_alive(&h));
    /* A pass would bring it back: not gone while on probation. */
    assert_int_equal(device_health_next(&h, h.quarantine_until, &wait), DEVICE_HEALTH_RETEST);
    device_health_retested(&h, &rules, h.quarantine_until, true, NULL);
    assert_true(device_health_alive(&h));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_states),
        cmocka_unit_test(test_failures_in_a_row_quarantine),
        cmocka_unit_test(test_a_good_chunk_resets_the_count),
        cmocka_unit_test(test_one_worker_retests_after_the_backoff),
        cmocka_unit_test(test_one_failure_on_probation_quarantines_again),
        cmocka_unit_test(test_failed_retests_double_the_backoff_to_its_cap),
        cmocka_unit_test(test_three_quarantines_in_a_row_are_for_good),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
