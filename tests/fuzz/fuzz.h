/*
 * Shared by every tests/fuzz/fuzz_<name>.c: the libFuzzer entry point's
 * prototype (the normal build has -Wmissing-prototypes), a property check
 * that aborts (so libFuzzer and the replay driver both report it as a
 * crash with the input that caused it), and small helpers that turn the
 * fuzzer's bytes into the shapes our parsers take.
 *
 * The same sources build two ways: with clang and -fsanitize=fuzzer as
 * libFuzzer targets (LADDER_FUZZ=ON, scripts/fuzz.sh), and with any
 * compiler linked to replay_main.c, which feeds them every kept input
 * (ctest fuzz.replay.<name>). Nothing here may depend on libFuzzer.
 */
#ifndef LADDER_FUZZ_H
#define LADDER_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* data as a NUL-terminated string (an embedded NUL ends it early, as it
 * would for any C caller). Caller frees; NULL only when out of memory. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        if (size)
            memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* An exact-size heap copy of the bytes, as libFuzzer's own buffer is, so
 * that ASan reports a read one past the end (also when the copy is a tail
 * of the input). Never NULL-sized: an empty input gets one zeroed byte it
 * must not read. Caller frees; NULL only when out of memory. */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
    uint8_t *p = calloc(size ? size : 1, 1);
    if (p && size)
        memcpy(p, data, size);
    return p;
}

/* Structured input: consumes the fuzzer's bytes front to back; once they
 * run out every read returns zeros, so a short input is still a valid
 * (small) structure and the fuzzer can grow it byte by byte. */
typedef struct fuzz_reader {
    const uint8_t *p;
    size_t left;
} fuzz_reader;

static inline uint8_t fuzz_u8(fuzz_reader *r)
{
    if (!r->left)
        return 0;
    r->left--;
    return *r->p++;
}

static inline uint32_t fuzz_u32(fuzz_reader *r)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | fuzz_u8(r);
    return v;
}

static inline uint64_t fuzz_u64(fuzz_reader *r)
{
    uint64_t hi = fuzz_u32(r);
    return hi << 32 | fuzz_u32(r);
}

/* A string of up to max bytes (a length byte, then the bytes), written
 * into buf (max + 1 bytes). An embedded NUL shortens it. */
static inline char *fuzz_str(fuzz_reader *r, char *buf, size_t max)
{
    size_t n = fuzz_u8(r) % (max + 1);
    if (n > r->left)
        n = r->left;
    memcpy(buf, r->p, n);
    buf[n] = '\0';
    r->p += n;
    r->left -= n;
    return buf;
}

/*
 * For parsers that take a path: the bytes written to one scratch file per
 * process (rewritten for every input; removed at exit). Returns its path,
 * or NULL when it cannot be written (then the input is skipped).
 */
const char *fuzz_write_temp(const uint8_t *data, size_t size);

#endif /* LADDER_FUZZ_H */
