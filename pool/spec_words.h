/*
 * Words that ladder descriptions (engine/ladder_config.c: --rung, --codec,
 * ladder files, --memory-budget) and device lists (pool/device_spec.c:
 * --devices' h264=/hevc=/av1= keys and min-free=) share: codec names and
 * sizes. They live in pool/spec_words.c, the lower of the two rooms, so
 * pool needs nothing of engine's (engine already uses pool's leases).
 *
 * Private to libladder: not installed. The public spellings are
 * ladder_config_parse_codec(), ladder_config_codec_name() and
 * ladder_config_parse_size() (ladder/ladder_config.h).
 */
#ifndef LADDER_SPEC_WORDS_H
#define LADDER_SPEC_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ladder/ladder.h"

/* The codec the len bytes at s name, exactly "h264", "hevc" or "av1"
 * (s need not be NUL-terminated): true and *codec set, or false and
 * *codec unchanged. */
bool ladder_codec_from_name(const char *s, size_t len, ladder_codec *codec);

/* "h264", "hevc", "av1"; LADDER_CODEC_DEFAULT is "h264"; "unknown" for a
 * value outside the enum. */
const char *ladder_codec_name(ladder_codec codec);

/* A size in bytes: 1048576, 512M, 2G, 1.5GiB, 1T (binary units, optional
 * "i" and "B"), 0 up to 10^15. 0, LADDER_EINVAL (NULL argument) or
 * LADDER_ECONFIG; callers check their own minimum. */
int ladder_size_parse(const char *text, int64_t *bytes);

#endif /* LADDER_SPEC_WORDS_H */
