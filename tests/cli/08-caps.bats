#!/usr/bin/env bats
# Resource caps from vers.toml: an env that exceeds memory_mib has its own process killed;
# the host and other envs are untouched.

load helpers

setup_file() {
        vers_setup_root
        export SMALL
        SMALL=$(mktemp -d /tmp/vers-test-small.XXXXXX)
        printf '[vm]\nmemory_mib = 256\nvcpu = 1\n\n[storage]\ncluster_mib = 1024\n' > "$SMALL/vers.toml"
        cd "$SMALL"
        vers run --alias small >/dev/null
        cd "$PROJ"
        vers run --alias big >/dev/null
}
teardown_file() {
        vers_teardown_root
        rm -rf "$SMALL"
}

@test "an env without services starts and runs commands" {
        cd "$SMALL"
        run vers execute -b small "echo hello from \$(hostname)"
        [ "$output" = "hello from small" ]
}

@test "exceeding memory_mib kills the greedy process inside the env only" {
        cd "$SMALL"
        # tail must hold the whole (newline-free) input: about 600 MiB, more than the 256 allowed
        run vers execute -b small "head -c 600M /dev/zero | tail -n 1 > /dev/null"
        [ "$status" -eq 137 ] # SIGKILL from the env's OOM killer
        # the env and its neighbour still work
        run vers execute -b small "echo alive"
        [ "$output" = alive ]
        run vers execute -b big "psql -Atc 'SELECT 1'"
        [ "$output" = 1 ]
        # within the neighbour's larger cap the same command succeeds
        run vers execute -b big "head -c 600M /dev/zero | tail -n 1 | wc -c"
        [ "$output" = 629145600 ]
}
