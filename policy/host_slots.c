/*
 * Host slots: one lock file per device slot, held with flock(). See
 * host_slots.h for the model.
 *
 * Why flock and never unlink: a flock belongs to the open file, so the
 * kernel drops it when the holder's last descriptor closes, exit and kill -9
 * included; nothing is left to clean up. Lock files are never removed
 * (removing one while another process has it open would let two processes
 * lock two different inodes under the same name).
 *
 * Waiting (ladder_host_slots_acquire) without spinning and without missing
 * a release:
 *   1. Waiters of a key queue on KEY.queue.lock with a blocking flock: the
 *      kernel sleeps them, and only the head of the queue watches slots.
 *   2. The head arms an inotify watch (IN_CLOSE) on the state
 *      directory *before* its first attempt. A holder releases a slot by
 *      unlocking and then closing its descriptor (ladder_host_slots_release),
 *      so any release after the watch was armed queues an event that poll()
 *      returns, and a release before it is seen by the attempt itself.
 *   3. A killed holder's descriptor is closed by the kernel, which reports
 *      the close (fsnotify_close) just *before* it drops the lock
 *      (locks_remove_file, both in __fput): the attempt right after that
 *      event may still find the lock held. So an attempt that follows an
 *      event and fails is retried once after RECHECK_MS, and whatever else
 *      could slip through (an inotify queue overflow, a watch we could not
 *      arm) is caught by the FALLBACK_MS timeout. The head wakes only on
 *      events of its own key's slot files, on those timeouts, or on
 *      overflow: never in a loop of its own making, because its attempts
 *      close nothing (descriptors of busy slots stay open in the handle,
 *      and an all-or-nothing attempt that has to give back what it took
 *      unlocks without closing).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy/host_slots.h"

#define RECHECK_MS 50       /* after an event whose attempt failed: see 3. above */
#define FALLBACK_MS 2000    /* longest sleep without an event */
#define CAPACITY_MAX 4096

/* The slots of one device key this handle knows about. */
typedef struct key_slots {
    char key[LADDER_HOST_SLOTS_KEY_MAX + 1];
    int capacity;
    int *fds;                     /* descriptor of KEY.i.lock, -1 when not open */
    bool *held;                   /* this handle holds the flock on fds[i] */
} key_slots;

struct ladder_host_slots {
    char *dir;
    char *job;                    /* one line, written into taken lock files */
    key_slots *keys;
    int nb_keys;
    int realtime_fd;              /* KEY.realtime.lock held shared while announcing; -1 */
    int interrupt_fd;             /* readable: waits give up (ladder_host_slots_set_interrupt); -1 */
};

int ladder_host_slots_default_dir(char *buf, size_t size)
{
    const char *env = getenv("LADDER_STATE_DIR");
    int n;
    if (env && *env) {
        n = snprintf(buf, size, "%s", env);
    } else if ((env = getenv("XDG_RUNTIME_DIR")) && *env) {
        n = snprintf(buf, size, "%s/ladder", env);
    } else if (access("/run/ladder", W_OK) == 0 || (errno == ENOENT && access("/run", W_OK) == 0)) {
        n = snprintf(buf, size, "/run/ladder");
    } else {
        n = snprintf(buf, size, "/tmp/ladder-%lu", (unsigned long)getuid());
    }
    return n < 0 || (size_t)n >= size ? LADDER_EINVAL : 0;
}

static bool key_valid(const char *key)
{
    size_t len = key ? strlen(key) : 0;
    if (len == 0 || len > LADDER_HOST_SLOTS_KEY_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

int ladder_host_slots_open(ladder_host_slots **out, const char *state_dir, const char *job)
{
    *out = NULL;
    char dir[PATH_MAX];
    if (state_dir) {
        if (!*state_dir || strlen(state_dir) >= sizeof(dir))
            return LADDER_EINVAL;
        strcpy(dir, state_dir);
    } else {
        int err = ladder_host_slots_default_dir(dir, sizeof(dir));
        if (err)
            return err;
    }
    if (mkdir(dir, 0700) && errno != EEXIST)
        return LADDER_EIO;
    struct stat st;
    if (stat(dir, &st))
        return LADDER_EIO;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return LADDER_EIO;
    }
    ladder_host_slots *h = calloc(1, sizeof(*h));
    if (!h)
        return LADDER_ENOMEM;
    h->realtime_fd = -1;
    h->interrupt_fd = -1;
    h->dir = strdup(dir);
    h->job = strdup(job ? job : "");
    if (!h->dir || !h->job) {
        ladder_host_slots_close(h);
        return LADDER_ENOMEM;
    }
    /* The description goes on one line of the lock file. */
    for (char *p = h->job; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    *out = h;
    return 0;
}

const char *ladder_host_slots_dir(const ladder_host_slots *h)
{
    return h->dir;
}

static key_slots *find_key(const ladder_host_slots *h, const char *key)
{
    for (int i = 0; i < h->nb_keys; i++)
        if (!strcmp(h->keys[i].key, key))
            return &h->keys[i];
    return NULL;
}

/* The key's entry, grown to at least capacity slots. */
static int get_key(ladder_host_slots *h, const char *key, int capacity, key_slots **out)
{
    key_slots *ks = find_key(h, key);
    if (!ks) {
        key_slots *keys = realloc(h->keys, (size_t)(h->nb_keys + 1) * sizeof(*keys));
        if (!keys)
            return LADDER_ENOMEM;
        h->keys = keys;
        ks = &h->keys[h->nb_keys++];
        memset(ks, 0, sizeof(*ks));
        strcpy(ks->key, key);
    }
    if (capacity > ks->capacity) {
        int *fds = realloc(ks->fds, (size_t)capacity * sizeof(*fds));
        if (!fds)
            return LADDER_ENOMEM;
        ks->fds = fds;
        bool *held = realloc(ks->held, (size_t)capacity * sizeof(*held));
        if (!held)
            return LADDER_ENOMEM;
        ks->held = held;
        for (int i = ks->capacity; i < capacity; i++) {
            fds[i] = -1;
            held[i] = false;
        }
        ks->capacity = capacity;
    }
    *out = ks;
    return 0;
}

static int slot_path(const ladder_host_slots *h, const char *key, const char *slot, char *buf,
                     size_t size)
{
    int n = snprintf(buf, size, "%s/%s.%s.lock", h->dir, key, slot);
    return n < 0 || (size_t)n >= size ? LADDER_EINVAL : 0;
}

static int open_slot(const ladder_host_slots *h, key_slots *ks, int i)
{
    if (ks->fds[i] >= 0)
        return 0;
    char num[16], path[PATH_MAX];
    snprintf(num, sizeof(num), "%d", i);
    int err = slot_path(h, ks->key, num, path, sizeof(path));
    if (err)
        return err;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return errno == ENOMEM ? LADDER_ENOMEM : LADDER_EIO;
    ks->fds[i] = fd;
    return 0;
}

/* 1 taken, 0 busy, < 0 error. The holder's description replaces the file's text. */
static int take_slot(const ladder_host_slots *h, key_slots *ks, int i)
{
    int err = open_slot(h, ks, i);
    if (err)
        return err;
    int fd = ks->fds[i];
    int r;
    do
        r = flock(fd, LOCK_EX | LOCK_NB);
    while (r && errno == EINTR);
    if (r)
        return errno == EWOULDBLOCK ? 0 : LADDER_EIO;
    ks->held[i] = true;
    char text[256];
    int len = snprintf(text, sizeof(text), "pid %ld\nsince %lld\njob %.160s\n", (long)getpid(),
                       (long long)time(NULL), h->job);
    /* Diagnostics only: a failed write leaves a slot that lists no holder. */
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) < 0)
        (void)ftruncate(fd, 0);
    return 1;
}

/*
 * Give slot i back. The text goes first (a reader never sees a free slot
 * named after us), then the lock. signal_waiters closes the descriptor
 * after the unlock: that close is the event the head waiter sleeps on.
 * Undoing an all-or-nothing attempt must not signal (the slot was free a
 * moment ago, so nobody waits for it; and a close there would wake the
 * attempting waiter itself, over and over).
 */
static void give_slot(key_slots *ks, int i, bool signal_waiters)
{
    int fd = ks->fds[i];
    if (ftruncate(fd, 0))
        (void)0; /* diagnostics only: holders() also checks the pid is alive */
    flock(fd, LOCK_UN);
    ks->held[i] = false;
    if (signal_waiters) {
        close(fd);
        ks->fds[i] = -1;
    }
}

static int check_args(const char *key, int capacity, int want_min, int want_max)
{
    if (!key_valid(key) || capacity < 1 || capacity > CAPACITY_MAX || want_min < 1 ||
        want_max < want_min)
        return LADDER_EINVAL;
    return 0;
}

static int try_take(ladder_host_slots *h, key_slots *ks, int capacity, int want_min, int want_max)
{
    int taken[CAPACITY_MAX];
    int n = 0;
    for (int i = 0; i < capacity && n < want_max; i++) {
        if (ks->held[i])
            continue;
        int r = take_slot(h, ks, i);
        if (r < 0) {
            while (n > 0)
                give_slot(ks, taken[--n], false);
            return r;
        }
        if (r)
            taken[n++] = i;
    }
    if (n < want_min) {
        while (n > 0)
            give_slot(ks, taken[--n], false);
    }
    return n;
}

int ladder_host_slots_try_acquire(ladder_host_slots *h, const char *key, int capacity,
                                  int want_min, int want_max)
{
    int err = check_args(key, capacity, want_min, want_max);
    if (err)
        return err;
    key_slots *ks;
    if ((err = get_key(h, key, capacity, &ks)))
        return err;
    return try_take(h, ks, capacity, want_min, want_max);
}

/*
 * Read the pending inotify events; true when one concerns a slot file of
 * key ("KEY.<digits>.lock") or events were lost (overflow).
 */
static bool drain_events(int ifd, const char *key)
{
    _Alignas(struct inotify_event) char buf[4096];
    size_t key_len = strlen(key);
    bool relevant = false;
    for (;;) {
        ssize_t len = read(ifd, buf, sizeof(buf));
        if (len <= 0)
            return relevant || (len < 0 && errno != EAGAIN && errno != EINTR);
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof(*ev) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                relevant = true;
                continue;
            }
            const char *name = ev->len ? ev->name : "";
            if (strncmp(name, key, key_len) || name[key_len] != '.')
                continue;
            const char *q = name + key_len + 1;
            const char *digits = q;
            while (*q >= '0' && *q <= '9')
                q++;
            if (q > digits && !strcmp(q, ".lock"))
                relevant = true;
        }
    }
}

/* The head waiter's loop; the caller holds KEY.queue.lock. */
static int wait_and_take(ladder_host_slots *h, key_slots *ks, int capacity, int want_min,
                         int want_max)
{
    /* Armed before the first attempt: see 2. at the top. Without inotify
     * (limits reached) the fallback timeout alone still finds the slot. */
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0 && inotify_add_watch(ifd, h->dir, IN_CLOSE) < 0) {
        close(ifd);
        ifd = -1;
    }
    int timeout_ms = FALLBACK_MS;
    int n;
    for (;;) {
        n = try_take(h, ks, capacity, want_min, want_max);
        if (n != 0)
            break;
        /* Sleep until something worth another attempt happens. */
        bool woken = false;
        while (!woken) {
            struct pollfd pfd[2] = { { .fd = ifd, .events = POLLIN }, { .fd = h->interrupt_fd, .events = POLLIN } };
            int r = poll(pfd, 2, timeout_ms);
            if (r < 0 && errno != EINTR) {
                n = LADDER_EIO;
                goto out;
            }
            if (r > 0 && (pfd[1].revents & POLLIN)) {
                n = LADDER_ECANCELED;
                goto out;
            }
            if (r == 0) {
                timeout_ms = FALLBACK_MS;
                woken = true;
            } else if (r > 0 && (pfd[0].revents & POLLIN) && drain_events(ifd, ks->key)) {
                timeout_ms = RECHECK_MS; /* this attempt may race a dying holder's unlock */
                woken = true;
            }
            /* else: other keys' files, or a signal: keep sleeping */
        }
    }
out:
    if (ifd >= 0)
        close(ifd);
    return n;
}

/*
 * An exclusive flock on fd, for a wait that an interrupt must be able to
 * end: flock(2) sleeps where nothing but a signal reaches it, so try
 * without blocking and, between tries, sleep in poll(2) on close events in
 * dir (a holder closes its file when it is done; armed before the first
 * try, so none slips between a try and the sleep) and on interrupt_fd.
 * 0 with the lock held, LADDER_ECANCELED, or LADDER_EIO.
 */
static int lock_interruptibly(int fd, const char *dir, int interrupt_fd)
{
    int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0 && inotify_add_watch(ifd, dir, IN_CLOSE) < 0) {
        close(ifd);
        ifd = -1;
    }
    int ret;
    for (;;) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            ret = 0;
            break;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            ret = LADDER_EIO;
            break;
        }
        struct pollfd pfd[2] = { { .fd = ifd, .events = POLLIN }, { .fd = interrupt_fd, .events = POLLIN } };
        int r = poll(pfd, 2, FALLBACK_MS);
        if (r < 0 && errno != EINTR) {
            ret = LADDER_EIO;
            break;
        }
        if (r > 0 && (pfd[1].revents & POLLIN)) {
            ret = LADDER_ECANCELED;
            break;
        }
        if (r > 0 && (pfd[0].revents & POLLIN)) {
            char buf[4096];
            while (read(ifd, buf, sizeof(buf)) > 0)
                ;
        }
    }
    if (ifd >= 0)
        close(ifd);
    return ret;
}

int ladder_host_slots_acquire(ladder_host_slots *h, const char *key, int capacity,
                              int want_min, int want_max)
{
    int err = check_args(key, capacity, want_min, want_max);
    if (err)
        return err;
    key_slots *ks;
    if ((err = get_key(h, key, capacity, &ks)))
        return err;
    char path[PATH_MAX];
    if ((err = slot_path(h, key, "queue", path, sizeof(path))))
        return err;
    /* Its close events do not match the slot-file names the head filters
     * on, so passing the head of the queue on wakes nobody. */
    int qfd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (qfd < 0)
        return LADDER_EIO;
    int r;
    if (h->interrupt_fd >= 0) {
        r = lock_interruptibly(qfd, h->dir, h->interrupt_fd);
    } else {
        do
            r = flock(qfd, LOCK_EX);
        while (r && errno == EINTR);
        r = r ? LADDER_EIO : 0;
    }
    int n = r ? r : wait_and_take(h, ks, capacity, want_min, want_max);
    close(qfd);                   /* drops the queue lock: the next waiter is head */
    return n;
}

void ladder_host_slots_set_interrupt(ladder_host_slots *h, int fd)
{
    h->interrupt_fd = fd;
}

int ladder_host_slots_release(ladder_host_slots *h, const char *key)
{
    key_slots *ks = find_key(h, key);
    if (!ks)
        return 0;
    for (int i = 0; i < ks->capacity; i++)
        if (ks->held[i])
            give_slot(ks, i, true);
    return 0;
}

int ladder_host_slots_release_slot(ladder_host_slots *h, const char *key, int slot)
{
    key_slots *ks = find_key(h, key);
    if (!ks || slot < 0 || slot >= ks->capacity || !ks->held[slot])
        return LADDER_EINVAL;
    give_slot(ks, slot, true);
    return 0;
}

/*
 * Realtime waiters. Every realtime job that waits for a slot of KEY holds
 * KEY.realtime.lock with a shared flock; a batch job tests for them with a
 * non-blocking exclusive flock on its own descriptor, which fails exactly
 * while some shared holder exists, and waits for them to be gone with a
 * blocking exclusive flock. The kernel drops a crashed waiter's share, so
 * no batch job can be held up by a realtime job that died.
 */
static int open_realtime(const char *dir, const char *key)
{
    if (!key_valid(key))
        return LADDER_EINVAL;
    char path[PATH_MAX];
    int n = snprintf(path, sizeof(path), "%s/%s.realtime.lock", dir, key);
    if (n < 0 || (size_t)n >= sizeof(path))
        return LADDER_EINVAL;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    return fd < 0 ? LADDER_EIO : fd;
}

int ladder_host_slots_announce_realtime(ladder_host_slots *h, const char *key, bool waiting)
{
    if (!waiting) {
        if (h->realtime_fd >= 0) {
            flock(h->realtime_fd, LOCK_UN);
            close(h->realtime_fd);
            h->realtime_fd = -1;
        }
        return 0;
    }
    if (h->realtime_fd >= 0)
        return 0;
    int fd = open_realtime(h->dir, key);
    if (fd < 0)
        return fd;
    int r;
    do
        r = flock(fd, LOCK_SH);   /* waits out a batch job's brief test */
    while (r && errno == EINTR);
    if (r) {
        close(fd);
        return LADDER_EIO;
    }
    h->realtime_fd = fd;
    return 0;
}

int ladder_host_slots_realtime_waiting(const char *dir, const char *key)
{
    int fd = open_realtime(dir, key);
    if (fd < 0)
        return fd;
    int r;
    do
        r = flock(fd, LOCK_EX | LOCK_NB);
    while (r && errno == EINTR);
    int ret = r ? (errno == EWOULDBLOCK ? 1 : LADDER_EIO) : 0;
    /* The exclusive lock was only a test: let realtime waiters in at once. */
    if (!r)
        flock(fd, LOCK_UN);
    close(fd);
    return ret;
}

int ladder_host_slots_realtime_wait(const char *dir, const char *key, int interrupt_fd)
{
    int fd = open_realtime(dir, key);
    if (fd < 0)
        return fd;
    int ret = lock_interruptibly(fd, dir, interrupt_fd);
    /* The exclusive lock was only a test: let realtime waiters in at once. */
    if (ret == 0)
        flock(fd, LOCK_UN);
    close(fd);
    return ret;
}

int ladder_host_slots_held(const ladder_host_slots *h, const char *key, int *slots, int max_slots)
{
    const key_slots *ks = find_key(h, key);
    int n = 0;
    for (int i = 0; ks && i < ks->capacity; i++) {
        if (!ks->held[i])
            continue;
        if (n < max_slots)
            slots[n] = i;
        n++;
    }
    return n;
}

/* Parse "pid N\nsince T\njob TEXT\n"; false when the file names nobody. */
static bool parse_holder(char *text, ladder_host_slot_holder *out)
{
    long pid = 0;
    long long since = 0;
    /* A pid that pid_t cannot hold is garbage: cast for kill() it would
     * wrap onto another process (4294967297 became 1, init, always
     * "alive") or onto kill()'s process-group forms (0, -1). */
    if (sscanf(text, "pid %ld\nsince %lld\n", &pid, &since) != 2 || pid <= 0 ||
        (long)(pid_t)pid != pid)
        return false;
    out->pid = pid;
    out->since = since;
    out->job[0] = '\0';
    const char *job = strstr(text, "\njob ");
    if (job) {
        job += 5;
        size_t len = strcspn(job, "\n");
        if (len >= sizeof(out->job))
            len = sizeof(out->job) - 1;
        memcpy(out->job, job, len);
        out->job[len] = '\0';
    }
    return true;
}

int ladder_host_slots_holders(ladder_host_slots *h, const char *key, int capacity,
                              ladder_host_slot_holder *out, int max_out)
{
    if (!key_valid(key) || capacity < 1 || capacity > CAPACITY_MAX)
        return LADDER_EINVAL;
    int n = 0;
    for (int i = 0; i < capacity && n < max_out; i++) {
        char num[16], path[PATH_MAX];
        snprintf(num, sizeof(num), "%d", i);
        if (slot_path(h, key, num, path, sizeof(path)))
            return LADDER_EINVAL;
        /* A reader's close wakes the head waiter for one extra attempt at
         * most: messages are rare (a job that waits or gives up). */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
            continue;
        char text[512];
        ssize_t len = pread(fd, text, sizeof(text) - 1, 0);
        close(fd);
        if (len <= 0)
            continue;
        text[len] = '\0';
        ladder_host_slot_holder who;
        if (!parse_holder(text, &who))
            continue;
        /* A killed holder's text stays; its pid does not. */
        if (kill((pid_t)who.pid, 0) && errno != EPERM)
            continue;
        who.slot = i;
        out[n++] = who;
    }
    return n;
}

void ladder_host_slots_close(ladder_host_slots *h)
{
    if (!h)
        return;
    for (int k = 0; k < h->nb_keys; k++) {
        key_slots *ks = &h->keys[k];
        for (int i = 0; i < ks->capacity; i++) {
            if (ks->held[i])
                give_slot(ks, i, true);
            else if (ks->fds[i] >= 0)
                close(ks->fds[i]);
        }
        free(ks->fds);
        free(ks->held);
    }
    if (h->realtime_fd >= 0)
        close(h->realtime_fd);
    free(h->keys);
    free(h->dir);
    free(h->job);
    free(h);
}
