#!/bin/sh
# The option docs come from the option table (engine/job_options.c):
#  - README.md's block after "<!-- ladder encode --help -->" is exactly
#    `ladder encode --help`, and docs/encode-options.md's block after
#    "<!-- ladder encode --help-all -->" exactly `ladder encode --help-all`;
#  - no help line is wider than 80 columns;
#  - the man page and the completion script name every flag of --help-all.
# Usage: help_docs.sh LADDER SOURCE_DIR [--write]   (--write regenerates the blocks)
set -eu
ladder=$1 src=$2 mode=${3:-check}
fail() { echo "help_docs: $*" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The fenced block that follows MARKER in FILE.
block() { awk -v m="$2" 'f==2 && /^```/ {exit} f==2 {print} f==1 && /^```/ {f=2} index($0, m) {f=1}' "$1"; }

check_block() { # FILE MARKER ARGS...
    file=$1 marker=$2; shift 2
    "$ladder" "$@" > "$work/want"
    if [ "$mode" = --write ]; then
        awk -v m="$marker" -v w="$work/want" '
            f==2 && /^```/ {while ((getline l < w) > 0) print l; f=0}
            f==2 {next}
            {print}
            f==1 && /^```/ {f=2}
            index($0, m) {f=1}' "$file" > "$work/new" && cat "$work/new" > "$file"
        return
    fi
    block "$file" "$marker" > "$work/have"
    [ -s "$work/have" ] || fail "$file has no block after '$marker'"
    diff -u "$work/have" "$work/want" > "$work/diff" ||
        fail "$file's block differs from 'ladder $*' (run tests/docs/help_docs.sh build/ladder . --write):
$(cat "$work/diff")"
}

check_block "$src/README.md" "<!-- ladder encode --help -->" encode --help
check_block "$src/docs/encode-options.md" "<!-- ladder encode --help-all -->" encode --help-all
[ "$mode" = --write ] && exit 0

for args in "--help" "encode --help" "encode --help-all" "help exit-codes" "probe --help" "devices --help" \
    "config --help" "job --help" "bench --help" "config"; do
    # shellcheck disable=SC2086
    "$ladder" $args > "$work/out"
    wide=$(awk 'length > 80 {print NR": "$0}' "$work/out")
    [ -z "$wide" ] || fail "'ladder $args' has lines over 80 columns:
$wide"
done

"$ladder" help man | sed 's/\\-/-/g' > "$work/man"
"$ladder" help completion > "$work/completion"
bash -n "$work/completion" || fail "the completion script is not valid bash"
for flag in $(grep -o -- '--[a-z][a-z0-9-]*' "$work/want" | sort -u); do
    grep -q -- "$flag" "$work/man" || fail "the man page lacks $flag"
    grep -q -- "$flag" "$work/completion" || fail "the completion lacks $flag"
done
! "$ladder" encode --help-all | grep -q -- '--test-invariant-fault' || fail "a testing option is in --help-all"
echo "help_docs: README, docs/encode-options.md, man page and completion agree with the option table"
