#!/bin/sh
# Run the C unit tests (cmocka); with VALGRIND=1 under valgrind, where a leak or memory error
# fails the binary. Prints a closing "N passed, N failed, N skipped" line counting test cases.
#
# A skipped test case (cmocka's skip()) is counted as skipped, never as passed; its binary's
# line lists it, with the reasons the test printed (lines starting "# skip", or the
# "note: valgrind does not emulate ..." of tests/unit/kernel_needs.h). With CI=true any skip
# fails the run — except, in the VALGRIND=1 pass, the tests kernel_needs.h skips because
# valgrind lacks a syscall: those ran in the plain pass (make check runs it first).
pass=0
fail=0
skip=0
plain_only=0
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
        s=$(echo "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s), listed below:/\1/p')
        pass=$((pass + ${p:-0}))
        fail=$((fail + ${f:-0}))
        skip=$((skip + ${s:-0}))
        note=""
        if [ "${s:-0}" -gt 0 ]; then
                names=$(echo "$out" | sed -n 's/^\[  SKIPPED \] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p' |
                        sort -u | tr '\n' ' ')
                note=", ${s} skipped: ${names% }"
                if [ "${VALGRIND:-0}" = 1 ]; then
                        v=$(echo "$out" | grep -c '^note: valgrind does not emulate')
                        plain_only=$((plain_only + v))
                fi
        fi
        if [ "$rc" -eq 0 ]; then
                echo "ok - $name (${p:-0} passed$note)"
        else
                [ -z "$f" ] && fail=$((fail + 1)) # crashed, or valgrind found an error
                echo "not ok - $name (exit $rc)"
                echo "$out" | grep -v '^\[ \(RUN\|      OK\) ' | sed 's/^/#   /'
        fi
        if [ "${s:-0}" -gt 0 ]; then
                reasons=$(echo "$out" | grep '^# skip\|^note: valgrind does not emulate' | sort -u)
                if [ -n "$reasons" ]; then
                        echo "$reasons" | sed 's/^/#   /'
                else
                        echo "#   (the skipped tests gave no reason)"
                fi
        fi
done
echo "unit: $pass passed, $fail failed, $skip skipped"
if [ "${CI:-}" = true ] && [ $((skip - plain_only)) -gt 0 ]; then
        echo "unit: CI=true and $((skip - plain_only)) test(s) skipped (reasons above): a skip is not a pass" >&2
        exit 1
fi
[ "$plain_only" -gt 0 ] &&
        echo "unit: $plain_only of the skips are tests valgrind cannot run; they ran in the plain pass"
[ "$fail" -eq 0 ]
