#!/bin/bash
# Replay the libFuzzer targets' corpora, then fuzz each for a short fixed-seed run.
#   scripts/run-fuzz.sh RUNS build/fuzz/fuzz_NAME...
# Target fuzz_NAME replays tests/fuzz/corpus/NAME (every file once) and uses
# tests/fuzz/corpus/NAME.dict when there is one. The fixed-seed run (-seed=1, one process,
# RUNS inputs) starts from the corpus and writes what it finds to a scratch directory, never
# into the corpus. A crash, a leak, a sanitizer report or a timeout fails the run; the input
# that caused it is kept as build/fuzz/NAME-crash-* (or -leak-, -timeout-) and named in the output.
# Prints a closing "N passed, N failed" line (one per target and phase).
set -u
cd "$(dirname "$0")/.."
runs=$1
shift
pass=0
fail=0
scratch=$(mktemp -d /tmp/vers-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT

# run NAME PHASE ARGS...: one libFuzzer invocation, its log shown only when it fails
run() {
        local name=$1 phase=$2 log="$scratch/$1-$2.log"
        shift 2
        local start=$SECONDS rc=0
        "$@" > "$log" 2>&1 || rc=$?
        if [ "$rc" -eq 0 ]; then
                pass=$((pass + 1))
                echo "ok - $name $phase ($((SECONDS - start)) s)"
        else
                fail=$((fail + 1))
                echo "not ok - $name $phase (exit $rc): $*"
                grep -v '^#[0-9]\|^INFO: \|^\s*$' "$log" | tail -40 | sed 's/^/#   /'
        fi
}

for bin in "$@"; do
        name=$(basename "$bin")
        short=${name#fuzz_}
        corpus=tests/fuzz/corpus/$short
        if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
                fail=$((fail + 1))
                echo "not ok - $name: no corpus in $corpus"
                continue
        fi
        opts=(-timeout=10 -rss_limit_mb=2048 "-artifact_prefix=$(dirname "$bin")/$short-")
        [ -f "$corpus.dict" ] && opts+=("-dict=$corpus.dict")
        # each corpus file once (files as arguments: run, not fuzz)
        mapfile -t files < <(find "$corpus" -type f | sort)
        run "$name" "replay of ${#files[@]} inputs" "$bin" "${opts[@]}" "${files[@]}"
        mkdir -p "$scratch/$short"
        run "$name" "seed 1, $runs runs" "$bin" "${opts[@]}" -seed=1 -runs="$runs" \
                "$scratch/$short" "$corpus"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
