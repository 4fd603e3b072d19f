#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `waitscope layout` end to end: formats, engines, stdin, and one-line errors on bad input.
#   cli_test.sh WAITSCOPE_BINARY DATA_DIR
set -euo pipefail
ws=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# plain: header, one node line per node, one edge line per edge, stop.
"$ws" layout "$data/epoll60.dot" --out "$tmp/a.plain"
head -1 "$tmp/a.plain" | grep -q '^graph 1 ' || fail "plain header"
[ "$(grep -c '^node ' "$tmp/a.plain")" = 60 ] || fail "plain node count"
[ "$(grep -c '^edge ' "$tmp/a.plain")" = 120 ] || fail "plain edge count"
[ "$(tail -1 "$tmp/a.plain")" = stop ] || fail "plain stop"
# Edge point counts are 3k+1.
awk '$1 == "edge" && ($4 - 1) % 3 != 0 { bad = 1 } END { exit bad }' "$tmp/a.plain" ||
    fail "edge point count not 3k+1"
# Every node of a layer at one y: the distinct ys are the layers, and each edge spans at
# least one of them (no flat edges in a layered drawing).
awk '$1 == "node" { y[$2] = $4 } $1 == "edge" && y[$2] == y[$3] && $2 != $3 { bad = 1 }
     END { exit bad }' "$tmp/a.plain" || fail "flat edge"

# Same input, same bytes; stdin works; stdout is the default.
"$ws" layout "$data/epoll60.dot" --out "$tmp/b.plain"
cmp -s "$tmp/a.plain" "$tmp/b.plain" || fail "not deterministic"
"$ws" layout - < "$data/epoll60.dot" > "$tmp/c.plain"
cmp -s "$tmp/a.plain" "$tmp/c.plain" || fail "stdin/stdout differ"

for engine in layered tree ring; do
    "$ws" layout "$data/epoll60.dot" --engine $engine --format svg --out "$tmp/$engine.svg"
    grep -q '</svg>' "$tmp/$engine.svg" || fail "$engine svg"
    "$ws" layout "$data/epoll60.dot" --engine $engine --format json --out "$tmp/$engine.json"
    grep -q '"nodes"' "$tmp/$engine.json" || fail "$engine json"
    "$ws" layout "$data/epoll60.dot" --engine $engine --format plain --out "$tmp/$engine.plain"
    [ "$(grep -c '^node ' "$tmp/$engine.plain")" = 60 ] || fail "$engine plain"
done

# --stats prints figures to stderr, not into the output.
"$ws" layout "$data/epoll60.dot" --stats --out "$tmp/s.plain" 2> "$tmp/stats.txt"
grep -q 'crossings' "$tmp/stats.txt" || fail "--stats"
cmp -s "$tmp/a.plain" "$tmp/s.plain" || fail "--stats changed the output"

# Bad input: status != 0, one line on stderr, no output file, no crash.
expect_error() {
    local want=$1
    shift
    local status=0
    "$@" > /dev/null 2> "$tmp/err.txt" || status=$?
    [ $status -ne 0 ] || fail "no error status for: $*"
    [ $status -lt 128 ] || fail "crashed (status $status): $*"
    [ "$(wc -l < "$tmp/err.txt")" = 1 ] || fail "not one line on stderr for: $* ($(cat "$tmp/err.txt"))"
    grep -q -- "$want" "$tmp/err.txt" || fail "wrong message for: $*: $(cat "$tmp/err.txt")"
}
printf 'digraph {\n a -> ;\n}\n' > "$tmp/bad.dot"
expect_error "bad.dot: line 2: expected a node id" "$ws" layout "$tmp/bad.dot" --out "$tmp/never"
[ ! -e "$tmp/never" ] || fail "output written for bad input"
expect_error "no-such.dot" "$ws" layout "$tmp/no-such.dot"
printf 'graph' > "$tmp/trunc.dot"
expect_error "line 1" "$ws" layout "$tmp/trunc.dot"
head -c 3000 "$ws" > "$tmp/random.dot" # binary garbage, the same every run
expect_error "random.dot" "$ws" layout "$tmp/random.dot"
# Option errors are CLI11's (its message plus a "Run with --help" hint).
for args in "--engine circo" "--format png"; do
    status=0
    "$ws" layout "$data/epoll60.dot" $args > /dev/null 2> "$tmp/err.txt" || status=$?
    [ $status -ne 0 ] && [ $status -lt 128 ] || fail "status $status for $args"
    grep -q "${args#--}" "$tmp/err.txt" || grep -q "not in" "$tmp/err.txt" || fail "message for $args"
done
expect_error "$tmp/nodir" "$ws" layout "$data/epoll60.dot" --out "$tmp/nodir/x.plain"

# --help describes the engines and formats.
"$ws" layout --help > "$tmp/help.txt"
for w in layered tree ring plain svg json --out; do
    grep -q -- "$w" "$tmp/help.txt" || fail "--help lacks $w"
done
echo "cli_test: ok"
