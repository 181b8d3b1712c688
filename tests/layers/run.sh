#!/bin/sh
# The layer check must fail on a back-edge and on a cycle, each way it can see one (an
# include, a symbol), and pass on a clean tree. Builds throwaway trees in a temp dir.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
check="$here/scripts/check-layers.sh"
CC=${CC:-cc}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
n=0

# tree NAME: files given as "path<TAB>content" lines on stdin, compiled into NAME/obj
tree() {
        d="$tmp/$1"
        mkdir -p "$d"
        while IFS='	' read -r path body; do
                mkdir -p "$d/src/$(dirname "$path")"
                printf '%b\n' "$body" >"$d/src/$path"
        done
        for c in "$d"/src/lib/*/*.c; do
                l=$(basename "$(dirname "$c")")
                mkdir -p "$d/obj/$l"
                "$CC" -c -I"$d/src/lib" -o "$d/obj/$l/$(basename "$c" .c).o" "$c" || exit 2
        done
}
expect() { # NAME want(pass|fail) pattern [allow]
        n=$((n + 1))
        out=$("$check" "$tmp/$1/src" "$tmp/$1/obj" ${4:-} 2>&1)
        rc=$?
        if { [ "$2" = pass ] && [ $rc -eq 0 ]; } || { [ "$2" = fail ] && [ $rc -ne 0 ]; }; then
                if echo "$out" | grep -q -- "$3"; then
                        echo "ok $n - $1: $2 ($3)"
                        return
                fi
        fi
        echo "not ok $n - $1: wanted $2 with '$3', got rc $rc:"
        echo "$out" | sed 's/^/#   /'
        fails=$((fails + 1))
}

tree clean <<'T'
lib/base/a.h	int a(void);
lib/base/a.c	#include "base/a.h"\nint a(void) { return 1; }
lib/engine/e.c	#include "base/a.h"\nint e(void);\nint e(void) { return a(); }
T
expect clean pass "none upward, no cycle"

# base calls up into engine, declaring the function itself: only the symbols show it
tree symbol-up <<'T'
lib/base/a.c	int e(void);\nint a(void);\nint a(void) { return e(); }
lib/engine/e.c	int e(void);\nint e(void) { return 2; }
T
expect symbol-up fail "back-edge: .*base/a.o (base) uses e from .*engine/e.o (engine)"

# base includes an engine header
tree include-up <<'T'
lib/base/a.c	#include "engine/e.h"\nint a(void);\nint a(void) { return 1; }
lib/engine/e.h	int e(void);
lib/engine/e.c	int e(void);\nint e(void) { return 2; }
T
expect include-up fail "back-edge: .*base/a.c (base) includes engine/e.h"

# two files of one layer use each other
tree cycle <<'T'
lib/os/x.c	int y(void);\nint x(void);\nint x(void) { return y(); }
lib/os/y.c	int x(void);\nint y(void);\nint y(void) { return x(); }
T
expect cycle fail "has a cycle"

# an unknown layer folder
tree stray <<'T'
lib/misc/m.c	int m(void);\nint m(void) { return 0; }
T
expect stray fail "'misc' is not a layer"

# SQL outside the metadata module
tree sql <<'T'
lib/state/meta.c	int sqlite3_exec(void);\nint m(void);\nint m(void) { return sqlite3_exec(); }
lib/engine/e.c	int sqlite3_exec(void);\nint e(void);\nint e(void) { return sqlite3_exec(); }
T
expect sql fail "engine/e.o uses sqlite3_exec: SQL belongs in state/meta.c"

# a listed back-edge passes; a listed edge that is gone fails
printf 'base/a engine/e\n' >"$tmp/allow"
expect symbol-up pass "1 listed back-edges" "$tmp/allow"
expect clean fail "no longer occurs" "$tmp/allow"

echo "layers: $((n - fails)) passed, $fails failed"
[ $fails -eq 0 ]
