#!/bin/sh
# Run the C unit tests (cmocka); with VALGRIND=1 under valgrind, where a leak or memory error
# fails the binary. Prints a closing "N passed, N failed, N skipped" line counting test cases.
pass=0
fail=0
skip=0
for t in "$@"; do
        name=$(basename "$t")
        if [ "${VALGRIND:-0}" = 1 ]; then
                set -- valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
                        --error-exitcode=99 "$t"
        else
                set -- "$t"
        fi
        out=$("$@" 2>&1)
        rc=$?
        p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p')
        f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p')
        pass=$((pass + ${p:-0}))
        fail=$((fail + ${f:-0}))
        if echo "$out" | grep -q '^# skip'; then
                skip=$((skip + 1))
                echo "ok - $name # $(echo "$out" | grep '^# skip' | head -1 | sed 's/^# //')"
        elif [ "$rc" -eq 0 ]; then
                echo "ok - $name (${p:-0} tests)"
        else
                [ -z "$f" ] && fail=$((fail + 1)) # crashed, or valgrind found an error
                echo "not ok - $name (exit $rc)"
                echo "$out" | grep -v '^\[ \(RUN\|      OK\) ' | sed 's/^/#   /'
        fi
done
echo "unit: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
