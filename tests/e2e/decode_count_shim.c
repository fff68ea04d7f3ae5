/*
 * Decode once, seen from outside ladder (tests/e2e/decode_once.test.mjs):
 * preloaded into a process, it counts
 *   - per decoder context, the packets sent (avcodec_send_packet) and the
 *     frames received (avcodec_receive_frame), by media type and codec;
 *   - the bytes read(2)/pread(2)/readv(2) from the file named by
 *     LADDER_DECODE_COUNT_INPUT (compared as /proc/self/fd resolves it),
 *     in all and per opening of the file (from its first read to close(2):
 *     a pass over the file is one opening);
 * and at exit appends one JSON line for the process to the file named by
 * LADDER_DECODE_COUNT_OUT:
 *   {"pid":N,"input_bytes":B,"input_reads":R,"input_passes":[B1,B2,...],
 *    "decoders":[{"type":"video","codec":"h264","packets":P,"frames":F},...]}
 * The FFmpeg calls are interposed by name and forwarded with
 * dlsym(RTLD_NEXT), so whatever calls them (the engine, or libavformat's
 * own probing) is counted, and nothing in ladder is asked.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>

#define MAX_DECODERS 256
#define MAX_FDS 4096
#define MAX_PASSES 256

typedef struct decoder_count {
    const AVCodecContext *ctx;  /* NULL once freed: the slot is closed */
    int type;                   /* enum AVMediaType */
    char codec[32];
    long long packets, frames;
} decoder_count;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static decoder_count decoders[MAX_DECODERS];
static int nb_decoders;
static int overflow;
static long long input_bytes, input_reads;
static long long fd_bytes[MAX_FDS];     /* the open pass on each fd */
static long long passes[MAX_PASSES];    /* closed passes, in order */
static int nb_passes;
static char input_path[4096];

static int (*real_send)(AVCodecContext *, const AVPacket *);
static int (*real_receive)(AVCodecContext *, AVFrame *);
static void (*real_free_context)(AVCodecContext **);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pread64)(int, void *, size_t, off64_t);
static ssize_t (*real_readv)(int, const struct iovec *, int);
static int (*real_close)(int);
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    real_send = (int (*)(AVCodecContext *, const AVPacket *))dlsym(RTLD_NEXT, "avcodec_send_packet");
    real_receive = (int (*)(AVCodecContext *, AVFrame *))dlsym(RTLD_NEXT, "avcodec_receive_frame");
    real_free_context = (void (*)(AVCodecContext **))dlsym(RTLD_NEXT, "avcodec_free_context");
    real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    real_pread = (ssize_t (*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread");
    real_pread64 = (ssize_t (*)(int, void *, size_t, off64_t))dlsym(RTLD_NEXT, "pread64");
    real_readv = (ssize_t (*)(int, const struct iovec *, int))dlsym(RTLD_NEXT, "readv");
    real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    const char *in = getenv("LADDER_DECODE_COUNT_INPUT");
    /* Resolved once, as /proc/self/fd/N will show it. */
    if (in && !realpath(in, input_path))
        snprintf(input_path, sizeof(input_path), "%s", in);
}

static void ensure_init(void)
{
    pthread_once(&once, init);
}

/* The open slot of ctx, made on first sight. Called with lock held. */
static decoder_count *slot_of(const AVCodecContext *ctx)
{
    for (int i = nb_decoders - 1; i >= 0; i--)
        if (decoders[i].ctx == ctx)
            return &decoders[i];
    if (nb_decoders == MAX_DECODERS) {
        overflow = 1;
        return NULL;
    }
    decoder_count *d = &decoders[nb_decoders++];
    d->ctx = ctx;
    d->type = ctx->codec_type;
    snprintf(d->codec, sizeof(d->codec), "%s", ctx->codec && ctx->codec->name ? ctx->codec->name : "?");
    return d;
}

int avcodec_send_packet(AVCodecContext *ctx, const AVPacket *pkt)
{
    ensure_init();
    int ret = real_send(ctx, pkt);
    /* Accepted packets only: EAGAIN means it is sent again later. */
    if (ret >= 0 && pkt && pkt->size > 0) {
        pthread_mutex_lock(&lock);
        decoder_count *d = slot_of(ctx);
        if (d)
            d->packets++;
        pthread_mutex_unlock(&lock);
    }
    return ret;
}

int avcodec_receive_frame(AVCodecContext *ctx, AVFrame *frame)
{
    ensure_init();
    int ret = real_receive(ctx, frame);
    if (ret >= 0) {
        pthread_mutex_lock(&lock);
        decoder_count *d = slot_of(ctx);
        if (d)
            d->frames++;
        pthread_mutex_unlock(&lock);
    }
    return ret;
}

void avcodec_free_context(AVCodecContext **pctx)
{
    ensure_init();
    if (pctx && *pctx) {
        /* Close its slot: a later context at the same address is another. */
        pthread_mutex_lock(&lock);
        for (int i = 0; i < nb_decoders; i++)
            if (decoders[i].ctx == *pctx)
                decoders[i].ctx = NULL;
        pthread_mutex_unlock(&lock);
    }
    real_free_context(pctx);
}

/* Whether fd is the watched input file. */
static int is_input(int fd)
{
    if (!input_path[0])
        return 0;
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    return !strcmp(target, input_path);
}

static void count_read(int fd, ssize_t n)
{
    if (n > 0 && is_input(fd)) {
        pthread_mutex_lock(&lock);
        input_bytes += n;
        input_reads++;
        if (fd >= 0 && fd < MAX_FDS)
            fd_bytes[fd] += n;
        else
            overflow = 1;
        pthread_mutex_unlock(&lock);
    }
}

ssize_t read(int fd, void *buf, size_t count)
{
    ensure_init();
    ssize_t n = real_read(fd, buf, count);
    count_read(fd, n);
    return n;
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
    ensure_init();
    ssize_t n = real_pread(fd, buf, count, off);
    count_read(fd, n);
    return n;
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t off)
{
    ensure_init();
    ssize_t n = real_pread64(fd, buf, count, off);
    count_read(fd, n);
    return n;
}

ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    ensure_init();
    ssize_t n = real_readv(fd, iov, cnt);
    count_read(fd, n);
    return n;
}

/* A pass ends. Called with lock held. */
static void end_pass(int fd)
{
    if (fd < 0 || fd >= MAX_FDS || !fd_bytes[fd])
        return;
    if (nb_passes < MAX_PASSES)
        passes[nb_passes++] = fd_bytes[fd];
    else
        overflow = 1;
    fd_bytes[fd] = 0;
}

int close(int fd)
{
    ensure_init();
    pthread_mutex_lock(&lock);
    end_pass(fd);
    pthread_mutex_unlock(&lock);
    return real_close(fd);
}

static const char *type_name(int type)
{
    switch (type) {
    case AVMEDIA_TYPE_VIDEO: return "video";
    case AVMEDIA_TYPE_AUDIO: return "audio";
    case AVMEDIA_TYPE_SUBTITLE: return "subtitle";
    default: return "other";
    }
}

/* One line per process, written with one write(2) in append mode so that
 * processes ending at once do not interleave. */
__attribute__((destructor)) static void report(void)
{
    const char *out = getenv("LADDER_DECODE_COUNT_OUT");
    if (!out || !real_read)
        return;
    size_t cap = 256 + (size_t)nb_decoders * 128 + (size_t)MAX_PASSES * 24;
    char *line = malloc(cap);
    if (!line)
        return;
    pthread_mutex_lock(&lock);
    for (int fd = 0; fd < MAX_FDS; fd++)
        end_pass(fd);       /* still open at exit */
    int k = snprintf(line, cap, "{\"pid\":%d,\"overflow\":%s,\"input_bytes\":%lld,\"input_reads\":%lld,\"input_passes\":[",
                     (int)getpid(), overflow ? "true" : "false", input_bytes, input_reads);
    for (int i = 0; i < nb_passes; i++)
        k += snprintf(line + k, cap - (size_t)k, "%s%lld", i ? "," : "", passes[i]);
    k += snprintf(line + k, cap - (size_t)k, "],\"decoders\":[");
    for (int i = 0; i < nb_decoders && k > 0 && (size_t)k < cap; i++) {
        const decoder_count *d = &decoders[i];
        k += snprintf(line + k, cap - (size_t)k, "%s{\"type\":\"%s\",\"codec\":\"%s\",\"packets\":%lld,\"frames\":%lld}",
                      i ? "," : "", type_name(d->type), d->codec, d->packets, d->frames);
    }
    pthread_mutex_unlock(&lock);
    if (k > 0 && (size_t)k + 3 < cap) {
        k += snprintf(line + k, cap - (size_t)k, "]}\n");
        int fd = open(out, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            ssize_t w = write(fd, line, (size_t)k);
            (void)w;
            real_close(fd);
        }
    }
    free(line);
}
