#!/bin/sh
# Run the C unit tests; with VALGRIND=1 under valgrind (leaks are errors).
# Prints a closing "N passed, N failed" line and fails if any test binary failed.
pass=0
fail=0
for t in "$@"; do
        name=$(basename "$t")
        if [ "${VALGRIND:-0}" = 1 ]; then
                set -- valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
                        --error-exitcode=99 "$t"
        else
                set -- "$t"
        fi
        if out=$("$@" 2>&1); then
                pass=$((pass + 1))
                echo "ok - $name"
        else
                fail=$((fail + 1))
                echo "not ok - $name"
                echo "$out" | sed 's/^/#   /'
        fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
