/*
 * Strict UTF-8 decoding for the manifest writers' text checks
 * (mux/hls_playlist.c, mux/dash_mpd.c): both copy caller strings into
 * documents whose readers reject malformed UTF-8, so the writers must
 * refuse it first. libxml2's xmlCheckUTF8() is not strict enough for
 * that: it accepts overlong forms (C0 80, C1 BD), which its own parser
 * then refuses, so the MPD came out unreadable.
 */
#ifndef LADDER_MUX_UTF8_H
#define LADDER_MUX_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (1 to 4) of the well-formed UTF-8 sequence at s, with its code
 * point in *cp; 0 when s starts with NUL or a malformed sequence
 * (overlong, a surrogate, above U+10FFFF, a stray continuation byte, or
 * cut short, which also stops at the NUL).
 */
static inline size_t ladder_utf8_decode(const unsigned char *s, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t n;
    if (c == 0)
        return 0;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        c &= 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

#endif /* LADDER_MUX_UTF8_H */
