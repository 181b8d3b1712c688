#!/bin/bash
# Run the end-to-end tests (tests/cli/*.bats) against $VERS_BUILD/vers.
# Prints a closing "N passed, N failed, N skipped" line. A skipped test counts as skipped,
# never as passed; with CI=true (the CI sets it) any skip fails the run, its reason printed.
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
skipped=$(grep '^ok .* # skip' "$log")
# a test that ran but left a part out says so on a "# skipping ..." line (fd 3)
partial=$(grep -c '^# .*\bskip' "$log" | tr -d ' ')
rm -f "$log"
pass=$((pass - skip))
echo "cli: $pass passed, $fail failed, $skip skipped"
[ "$partial" -gt 0 ] && echo "cli: $partial passing test(s) left a part out (the '# ... skip' lines above)"
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "cli: bats exited $rc" >&2
fi
if [ "${CI:-}" = true ] && [ "$skip" -gt 0 ]; then
        echo "cli: CI=true and $skip test(s) skipped: a skip is not a pass" >&2
        echo "$skipped" | sed 's/^ok [0-9]* /  /' >&2
        [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
