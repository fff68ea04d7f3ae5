/*
 * Host slots: device slots shared by every ladder process on one host.
 *
 * A device (today "cpu"; later e.g. "nvidia-<uuid>") has a capacity of K
 * slots on the host. Slot i of device KEY is the lock file KEY.i.lock in the
 * state directory, held with flock(LOCK_EX): whoever holds the lock holds
 * the slot. The kernel drops a flock when its last descriptor closes, so a
 * process that exits or is killed (kill -9 included) frees its slots with
 * no clean-up by anyone. While it holds a slot, the holder's pid, start
 * time and job description are written into the lock file, for messages
 * ("cpu.0 held by pid 4242 ...").
 *
 *     ladder_host_slots *h;
 *     int err = ladder_host_slots_open(&h, NULL, "encode in.mp4");
 *     int got = ladder_host_slots_acquire(h, "cpu", 8, 1, 4);  // waits, 1..4
 *     ... run with `got` workers ...
 *     ladder_host_slots_close(h);                               // releases
 *
 * A handle belongs to one thread at a time (no internal lock: a process
 * claims its slots once, from one place). Errors are negative LADDER_E*.
 */
#ifndef LADDER_HOST_SLOTS_H
#define LADDER_HOST_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ladder_host_slots ladder_host_slots;

/* Longest device key; keys are [A-Za-z0-9_-] (a dot would make names ambiguous). */
#define LADDER_HOST_SLOTS_KEY_MAX 96

/*
 * The state directory every ladder process on the host uses by default:
 * $LADDER_STATE_DIR, else $XDG_RUNTIME_DIR/ladder, else /run/ladder when
 * it exists or /run is writable, else /tmp/ladder-<uid>. Writes the path
 * into buf (nothing is created). LADDER_EINVAL when it does not fit.
 */
int ladder_host_slots_default_dir(char *buf, size_t size);

/*
 * Open a handle on state_dir (NULL = ladder_host_slots_default_dir()),
 * creating the directory with mode 0700 when missing (its parent must
 * exist). job is the one-line description written into the lock files of
 * the slots this handle takes (copied; NULL = none). LADDER_EIO with errno
 * kept when the directory cannot be created or is not a directory.
 */
int ladder_host_slots_open(ladder_host_slots **out, const char *state_dir, const char *job);

/* The directory the handle uses (valid until close). */
const char *ladder_host_slots_dir(const ladder_host_slots *h);

/*
 * Take between want_min and want_max free slots of device key, whose host
 * capacity is capacity, without waiting. Returns how many were taken: all
 * or nothing below want_min (0 when fewer than want_min were free), or a
 * negative error. Slots this handle already holds do not count. It does
 * not queue behind blocked waiters (a job that will not wait gets what is
 * free right now).
 */
int ladder_host_slots_try_acquire(ladder_host_slots *h, const char *key, int capacity,
                                  int want_min, int want_max);

/*
 * The same, waiting until at least want_min slots are free; never busy
 * waits (see host_slots.c for why no wake-up is missed). Waiters of one key
 * queue on KEY.wait.lock: only the first one watches the slots. Returns
 * the number taken (>= want_min) or a negative error.
 */
int ladder_host_slots_acquire(ladder_host_slots *h, const char *key, int capacity,
                              int want_min, int want_max);

/*
 * Make this handle's waits interruptible: once fd (an eventfd or a pipe's
 * read end, owned by the caller, -1 = none) is readable,
 * ladder_host_slots_acquire() returns LADDER_ECANCELED instead of waiting
 * on (a job told to stop must not wait for a slot first). A waiter behind
 * the head then polls for the queue lock instead of sleeping in flock.
 */
void ladder_host_slots_set_interrupt(ladder_host_slots *h, int fd);

/* Release every slot of key this handle holds (0 when it holds none). */
int ladder_host_slots_release(ladder_host_slots *h, const char *key);

/* Give back one slot (index as ladder_host_slots_held() reports) this
 * handle holds: a batch job yielding it to a realtime one. */
int ladder_host_slots_release_slot(ladder_host_slots *h, const char *key, int slot);

/*
 * Priorities. A realtime job announces itself while it waits for slots of
 * key (waiting true; false once it has them, or at close): batch jobs in
 * every process then yield slots at their next chunk boundary.
 * ladder_host_slots_realtime_waiting() is what a batch job asks there,
 * without a handle (any thread may call it, it never blocks): 1 when a
 * realtime job waits, 0 when none does, or a negative error.
 */
int ladder_host_slots_announce_realtime(ladder_host_slots *h, const char *key, bool waiting);
int ladder_host_slots_realtime_waiting(const char *dir, const char *key);
/*
 * Wait until no realtime job waits for key (0), without spinning; or
 * LADDER_ECANCELED as soon as interrupt_fd (an eventfd or a pipe's read
 * end; -1 = none) becomes readable: a batch job that yielded its slot and
 * is told to stop must not wait for the realtime job to end first.
 * Sleeps in poll(2) on an inotify watch of the state directory (the
 * realtime job's close of its lock file wakes it) and interrupt_fd.
 */
int ladder_host_slots_realtime_wait(const char *dir, const char *key, int interrupt_fd);

/* How many slots of key this handle holds; their indices go to slots[0..max_slots). */
int ladder_host_slots_held(const ladder_host_slots *h, const char *key, int *slots, int max_slots);

/* One busy slot, as its lock file describes its holder. */
typedef struct ladder_host_slot_holder {
    int slot;                     /* index i of KEY.i.lock */
    long pid;
    int64_t since;                /* Unix time the holder took it */
    char job[160];                /* the holder's job description, "" if none */
} ladder_host_slot_holder;

/*
 * The holders of key's slots 0..capacity-1, at most max_out of them, into
 * out; returns how many were written. A slot counts as held when its file
 * names a live process (a crashed holder leaves its text behind, but its
 * pid is gone). For messages only: the answer may be stale by the time it
 * is read, and it never decides who gets a slot.
 */
int ladder_host_slots_holders(ladder_host_slots *h, const char *key, int capacity,
                              ladder_host_slot_holder *out, int max_out);

/* Release every slot this handle holds, close its files, free it. NULL is fine. */
void ladder_host_slots_close(ladder_host_slots *h);

#ifdef __cplusplus
}
#endif

#endif /* LADDER_HOST_SLOTS_H */
