/* The CLI's signal watcher (cli/stop_watch.c): a signal that comes before
 * the job exists is held and applied when the job is attached; the first
 * is a stop, the next a cancel; the interrupt fd turns readable; nothing
 * reaches a detached job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "stop_watch.h"

typedef struct calls {
    int stops;
    int cancels;
} calls;

static void on_stop(void *opaque)
{
    ((calls *)opaque)->stops++;
}

static void on_cancel(void *opaque)
{
    ((calls *)opaque)->cancels++;
}

/* Process-directed, as from kill(1): the watcher's sigwait takes it. Then
 * wait (no spinning) until the watcher counted it. */
static void send_and_wait(stop_watch *w, int sig, int expect_received)
{
    assert_int_equal(kill(getpid(), sig), 0);
    struct pollfd pfd = { .fd = stop_watch_interrupt_fd(w), .events = POLLIN };
    /* The fd turns readable after the count; drained below, so each
     * call waits for its own signal. */
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(stop_watch_received(w), expect_received);
    uint64_t n;
    assert_int_equal(read(pfd.fd, &n, sizeof(n)), (ssize_t)sizeof(n));
}

static void test_signal_before_attach_is_applied_at_attach(void **state)
{
    (void)state;
    stop_watch *w = NULL;
    assert_int_equal(stop_watch_start(&w, false), 0);
    assert_int_equal(stop_watch_received(w), 0);
    struct pollfd pfd = { .fd = stop_watch_interrupt_fd(w), .events = POLLIN };
    assert_int_equal(poll(&pfd, 1, 0), 0);      /* no signal, not readable */

    send_and_wait(w, SIGINT, 1);
    calls c = { 0 };
    stop_watch_attach(w, (stop_watch_target){ .stop = on_stop, .cancel = on_cancel, .opaque = &c });
    assert_int_equal(c.stops, 1);
    assert_int_equal(c.cancels, 0);

    /* A second signal while attached: a cancel, delivered by the watcher. */
    send_and_wait(w, SIGTERM, 2);
    assert_int_equal(c.stops, 1);
    assert_int_equal(c.cancels, 1);

    stop_watch_detach(w);
    send_and_wait(w, SIGINT, 3);
    assert_int_equal(c.stops, 1);
    assert_int_equal(c.cancels, 1);
    stop_watch_close(w);
}

static void test_two_signals_before_attach_cancel(void **state)
{
    (void)state;
    stop_watch *w = NULL;
    assert_int_equal(stop_watch_start(&w, false), 0);
    send_and_wait(w, SIGTERM, 1);
    send_and_wait(w, SIGTERM, 2);
    calls c = { 0 };
    stop_watch_attach(w, (stop_watch_target){ .stop = on_stop, .cancel = on_cancel, .opaque = &c });
    assert_int_equal(c.cancels, 1);
    assert_int_equal(c.stops, 0);
    stop_watch_close(w);
}

static void test_no_signal_no_call(void **state)
{
    (void)state;
    stop_watch *w = NULL;
    assert_int_equal(stop_watch_start(&w, false), 0);
    calls c = { 0 };
    stop_watch_attach(w, (stop_watch_target){ .stop = on_stop, .cancel = on_cancel, .opaque = &c });
    stop_watch_detach(w);
    stop_watch_close(w);
    assert_int_equal(c.stops + c.cancels, 0);
    /* NULL is a no-op everywhere: a command whose watcher failed to start. */
    assert_int_equal(stop_watch_interrupt_fd(NULL), -1);
    assert_int_equal(stop_watch_received(NULL), 0);
    stop_watch_attach(NULL, (stop_watch_target){ 0 });
    stop_watch_detach(NULL);
    stop_watch_close(NULL);
}

/* A job runner's death reaches ladder once per parent thread that goes:
 * however often, it is one stop, and a real signal after it still
 * cancels. */
static void test_parent_death_is_one_stop(void **state)
{
    (void)state;
    stop_watch *w = NULL;
    assert_int_equal(stop_watch_start(&w, false), 0);
    calls c = { 0 };
    stop_watch_attach(w, (stop_watch_target){ .stop = on_stop, .cancel = on_cancel, .opaque = &c });
    send_and_wait(w, STOP_WATCH_PARENT_DEATH_SIGNAL, 1);
    send_and_wait(w, STOP_WATCH_PARENT_DEATH_SIGNAL, 1);
    send_and_wait(w, STOP_WATCH_PARENT_DEATH_SIGNAL, 1);
    assert_int_equal(c.stops, 1);
    assert_int_equal(c.cancels, 0);
    send_and_wait(w, SIGTERM, 2);
    assert_int_equal(c.cancels, 1);
    stop_watch_detach(w);
    stop_watch_close(w);

    /* After a SIGTERM the parent's death adds nothing either. */
    assert_int_equal(stop_watch_start(&w, false), 0);
    calls d = { 0 };
    stop_watch_attach(w, (stop_watch_target){ .stop = on_stop, .cancel = on_cancel, .opaque = &d });
    send_and_wait(w, SIGTERM, 1);
    send_and_wait(w, STOP_WATCH_PARENT_DEATH_SIGNAL, 1);
    assert_int_equal(d.stops, 1);
    assert_int_equal(d.cancels, 0);
    stop_watch_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_signal_no_call),
        cmocka_unit_test(test_signal_before_attach_is_applied_at_attach),
        cmocka_unit_test(test_two_signals_before_attach_cancel),
        cmocka_unit_test(test_parent_death_is_one_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
