#!/bin/sh
# libladder's public API (docs/embedding.md), checked on a finished build:
#  1. libladder.so exports ladder_* functions only: exactly those that the
#     installed headers declare LADDER_API (include/ladder/export.h);
#  2. `cmake --install` installs exactly the headers docs/embedding.md
#     names (a private header installed fails, so does a public one
#     missing), each compiles on its own from the installed tree, and no
#     private header in include/ladder/ marks anything LADDER_API;
#  3. tests/api/embed.c builds on the install with pkg-config (ladder.pc),
#     linked to libladder.so and to libladder.a, and runs.
# Usage: public_api.sh CMAKE BUILD_DIR LIBLADDER_SO SOURCE_DIR CC NM PKG_CONFIG [CFLAGS]
set -eu
[ $# -ge 7 ] || { echo "usage: $0 CMAKE BUILD_DIR LIBLADDER_SO SOURCE_DIR CC NM PKG_CONFIG [CFLAGS]" >&2; exit 2; }
cmake=$1 build=$2 so=$3 src=$4 cc=$5 nm=$6 pkgconfig=$7 flags=${8:-}
work=$(mktemp -d "$build/public-api.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "public_api: $*" >&2; exit 1; }

# 1. What libladder.so exports. A sanitizer build also exports the
# LeakSanitizer hooks (engine/encoder_backend.c: libx265's own leaks
# suppressed), which the sanitizer runtime finds only as dynamic symbols;
# they exist in no other build and are not API.
"$nm" -D --defined-only "$so" | awk '{ print $NF }' | grep -v '^__lsan_default_' | sort -u > "$work/exported"
outside=$(grep -v '^ladder_' "$work/exported" || true)
[ -z "$outside" ] || fail "libladder.so exports names outside ladder_: $(echo $outside)"

# 2. What is installed.
"$cmake" --install "$build" --prefix "$work/prefix" > /dev/null
inc="$work/prefix/include"
(cd "$inc/ladder" && ls) | sort > "$work/installed"
grep -o 'ladder/[a-z0-9_]*\.h' "$src/docs/embedding.md" |
    sed 's|^ladder/||' | sort -u > "$work/documented"
diff -u "$work/documented" "$work/installed" > "$work/headers.diff" ||
    fail "installed headers (+) differ from those docs/embedding.md names (-):
$(cat "$work/headers.diff")"
for h in $(cat "$work/installed"); do
    printf '#include <ladder/%s>\ntypedef int not_empty;\n' "$h" |
        "$cc" -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only -I"$inc" -x c - ||
        fail "ladder/$h does not compile on its own from the installed headers"
done
for h in "$src"/include/ladder/*.h; do
    grep -qx "$(basename "$h")" "$work/installed" && continue
    ! grep -q 'LADDER_API' "$h" || fail "$h is private (not installed) but marks functions LADDER_API"
done
grep -h '^LADDER_API' "$inc"/ladder/*.h | sed 's/(.*//; s/.*[ *]//' | sort -u > "$work/declared"
diff -u "$work/declared" "$work/exported" > "$work/symbols.diff" ||
    fail "exported functions (+) differ from the LADDER_API declarations of the installed headers (-):
$(cat "$work/symbols.diff")"

# 3. An embedder's build: pkg-config, shared and static.
pc=$(find "$work/prefix" -name ladder.pc)
[ -n "$pc" ] || fail "ladder.pc is not installed"
pkg() { PKG_CONFIG_PATH=$(dirname "$pc") "$pkgconfig" --define-variable=prefix="$work/prefix" "$@" ladder; }
libdir=$(pkg --variable=libdir)
[ -f "$libdir/libladder.so" ] && [ -f "$libdir/libladder.a" ] || fail "ladder.pc's libdir $libdir has no libladder"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $flags $(pkg --cflags) "$src/tests/api/embed.c" \
    -o "$work/embed-shared" $(pkg --libs) || fail "embed.c does not build on libladder.so"
grep -q 'libladder\.so' "$work/embed-shared" || fail "embed-shared is not linked to libladder.so"
# libladder.a on shared dependencies, as the CLI links it: ladder.pc's
# Libs.private and the libraries of its Requires.private. (`pkg-config
# --static` would also ask for FFmpeg's own private dependencies, which
# Debian's FFmpeg packages do not all ship as static libraries.)
static="$libdir/libladder.a $(sed -n 's/^Libs\.private://p' "$pc")"
static="$static $("$pkgconfig" --libs $(pkg --print-requires-private))"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $flags $(pkg --cflags) "$src/tests/api/embed.c" \
    -o "$work/embed-static" $static || fail "embed.c does not build on libladder.a"
for kind in shared static; do
    mkdir "$work/run-$kind"
    LD_LIBRARY_PATH="$libdir" "$work/embed-$kind" "$work/run-$kind" ||
        fail "embed-$kind failed"
done
echo "public_api: $(wc -l < "$work/exported") functions exported, all ladder_ and declared in" \
     "$(wc -l < "$work/installed") installed headers; an embedder builds shared and static"
