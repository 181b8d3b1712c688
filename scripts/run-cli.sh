#!/bin/bash
# Run the end-to-end tests (tests/cli/*.bats) against $VERS_BUILD/vers.
# Prints a closing "N passed, N failed, N skipped" line.
set -u
cd "$(dirname "$0")/.."
build=${VERS_BUILD:-build}
export VERS_BIN="$PWD/$build/vers"
export VERS_PROGS="$PWD/$build/progs"
files=("${@}")
if [ ${#files[@]} -eq 0 ]; then
        files=(tests/cli/*.bats)
fi
log=$(mktemp)
bats --tap "${files[@]}" | tee "$log"
rc=${PIPESTATUS[0]}
pass=$(grep -c '^ok ' "$log" | tr -d ' ')
skip=$(grep -c '^ok .* # skip' "$log" | tr -d ' ')
fail=$(grep -c '^not ok ' "$log" | tr -d ' ')
rm -f "$log"
pass=$((pass - skip))
echo "cli: $pass passed, $fail failed, $skip skipped"
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "cli: bats exited $rc" >&2
fi
exit "$rc"
