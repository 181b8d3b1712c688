#!/usr/bin/env bats
# Warm checkpoints: processes, memory and sockets survive a commit and come back in every
# branch. These are the restore checks (tests/progs), in the spirit of CRIU's zdtm.
#
# setup_file makes what the tests share and none of them changes: env base, running an
# in-memory counter on port 7001 that was hit twice, and its warm commit counter-at-2. Each
# test branches envs of its own from it; a test that hits base's counter reads it first.

load helpers

setup_file() {
        vers_setup_root
        mkdir -p "$PROJ/progs"
        cp "$VERS_PROGS/memcounter" "$PROJ/progs/"
        vers_seeded_base
        warm_usable || return 0 # every test skips (fails, in CI) in setup
        vers execute -b base "progs/memcounter serve 7001"
        [ "$(vers execute -b base 'progs/memcounter hit 7001')" = 1 ]
        [ "$(vers execute -b base 'progs/memcounter hit 7001')" = 2 ]
        vers commit -b base --warm --tag counter-at-2 >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() {
        cd "$PROJ"
        skip_unless_warm
}

hit() { vers execute -b "$1" "progs/memcounter hit ${2:-7001}"; }

real_criu() {
        "$VERS_BIN" doctor --json | jq -r '.checks["warm checkpoints"].detail' |
                sed -n 's/^CRIU [^ ]* (\(.*\))$/\1/p'
}

@test "doctor reports the kernel, CRIU and warm commits" {
        run vers doctor
        [ "$status" -eq 0 ]
        [[ "$output" == *"kernel "*"$(uname -r)"* ]]
        [[ "$output" == *"commits will be  warm"* ]]
}

@test "an in-memory counter continues from the committed value in two branches, which diverge" {
        # a counter of this test's own, in base
        vers execute -b base "progs/memcounter serve 7002"
        [ "$(hit base 7002)" = 1 ]
        [ "$(hit base 7002)" = 2 ]
        run --separate-stderr vers commit -b base --tag own-counter-at-2 --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "warm" and .tag == "own-counter-at-2"'
        run vers branch own-counter-at-2 --alias diverge-a
        [[ "$output" == *"(warm, "* ]]
        vers branch own-counter-at-2 --alias diverge-b
        [ "$(hit diverge-a 7002)" = 3 ]
        [ "$(hit diverge-a 7002)" = 4 ]
        [ "$(hit diverge-b 7002)" = 3 ]
        # the source kept running, unchanged by the commit
        [ "$(hit base 7002)" = 3 ]
}

@test "a listening socket accepts connections in every branch, many at once" {
        run vers branch counter-at-2 --alias many --count 4
        [ "$status" -eq 0 ]
        for i in 1 2 3 4; do
                vers execute -b many-$i "progs/memcounter hit 7001" > "$BATS_TEST_TMPDIR/hit-$i" &
        done
        wait
        for i in 1 2 3 4; do [ "$(cat "$BATS_TEST_TMPDIR/hit-$i")" = 3 ]; done
        vers branch delete -y 'many-*' >/dev/null
}

@test "status shows which envs were restored warm" {
        vers branch counter-at-2 --alias shown-warm >/dev/null
        run --separate-stderr vers status --json
        [ "$status" -eq 0 ]
        json_ok '.[] | select(.alias == "shown-warm") | .state == "running" and .mode == "warm"'
        json_ok '.[] | select(.alias == "base") | .state == "running" and .mode == "cold"'
}

@test "PostgreSQL is not restarted: same postmaster, shared buffers still warm" {
        vers branch counter-at-2 --alias same-postmaster >/dev/null
        start=$(vers execute -b base "psql -Atc 'SELECT pg_postmaster_start_time()'")
        [ "$(vers execute -b same-postmaster "psql -Atc 'SELECT pg_postmaster_start_time()'")" = "$start" ]
        run vers logs -b same-postmaster
        [[ "$output" != *"database system was interrupted"* ]]
}

sessions_in() { # env n: the psql of the session test has answered n "session" queries
        [ "$(vers execute -b "$1" "grep -c '^session ' /tmp/psql-out")" -ge "$2" ]
}

@test "an open psql session keeps its TEMP table and prepared statement in the branch" {
        vers execute -b base "rm -f /tmp/psql-in /tmp/psql-out && mkfifo /tmp/psql-in && (sleep 100000 > /tmp/psql-in < /dev/null 2>&1 &) && (psql -h localhost -X -At < /tmp/psql-in > /tmp/psql-out 2>&1 &)"
        vers execute -b base "echo \"CREATE TEMP TABLE t AS SELECT 21 AS x; PREPARE p AS SELECT x * 2 FROM t; SELECT 'session ' || pg_backend_pid();\" > /tmp/psql-in"
        wait_for -m "psql in base to answer" sessions_in base 1
        run vers execute -b base "cat /tmp/psql-out"
        [[ "$output" == *"session "* ]]
        backend=$(echo "$output" | grep '^session' | tail -1)
        run vers commit -b base --tag open-session
        [[ "$output" == *"(warm, "* ]]
        run vers branch open-session --alias sess
        [[ "$output" == *"(warm, "* ]]
        vers execute -b sess "echo 'EXECUTE p; SELECT count(*) FROM t; SELECT \$\$session \$\$ || pg_backend_pid();' > /tmp/psql-in"
        wait_for -m "the restored psql in sess to answer" sessions_in sess 2
        run vers execute -b sess "tail -3 /tmp/psql-out"
        [ "${lines[0]}" = 42 ]
        [ "${lines[1]}" = 1 ]
        [ "${lines[2]}" = "$backend" ]
}

@test "unlogged table rows survive a warm branch; a cold branch empties them" {
        vers execute -b base "psql -qc 'CREATE UNLOGGED TABLE scratch AS SELECT g FROM generate_series(1, 1000) g'"
        vers commit -b base --tag with-unlogged
        vers branch with-unlogged --alias unlogged-warm
        [ "$(count_of unlogged-warm scratch)" = 1000 ]
        # documented behaviour of the cold mode: PostgreSQL's crash recovery resets unlogged
        # tables, since the branch boots the server on the disk alone
        run vers branch with-unlogged --alias unlogged-cold --cold
        [[ "$output" == *"(cold, "* ]]
        [ "$(count_of unlogged-cold scratch)" = 0 ]
}

@test "--cold on a warm commit boots the services instead (new postmaster, no daemon)" {
        vers branch counter-at-2 --alias cold-of-warm --cold
        start=$(vers execute -b base "psql -Atc 'SELECT pg_postmaster_start_time()'")
        [ "$(vers execute -b cold-of-warm "psql -Atc 'SELECT pg_postmaster_start_time()'")" != "$start" ]
        run vers execute -b cold-of-warm "progs/memcounter hit 7001"
        [ "$status" -ne 0 ]
}

@test "rollback to a warm commit restores the processes too" {
        vers branch counter-at-2 --alias rolled >/dev/null
        [ "$(hit rolled)" = 3 ]
        [ "$(hit rolled)" = 4 ]
        run vers rollback -b rolled counter-at-2
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
        [ "$(hit rolled)" = 3 ]
        run vers execute -b rolled hostname
        [ "$output" = rolled ]
}

@test "without a usable CRIU, commit falls back to cold with a one-line notice; --warm fails" {
        run --separate-stderr env VERS_CRIU=/nonexistent/criu "$VERS_BIN" commit -b base --tag fallback --json
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"vers: commits are cold (disk only, services restart on branch): CRIU not found at \$VERS_CRIU"* ]]
        json_ok '.mode == "cold" and .tag == "fallback"'
        run env VERS_CRIU=/nonexistent/criu "$VERS_BIN" commit -b base --tag fallback-2 --warm
        [ "$status" -eq 1 ]
        [ "$output" = 'vers: cannot commit warm: CRIU not found at $VERS_CRIU' ]
        # a warm commit can still be branched, cold, and says so
        run env VERS_CRIU=/nonexistent/criu "$VERS_BIN" branch counter-at-2 --alias no-criu
        [ "$status" -eq 0 ]
        [[ "$output" == *"booting cold from warm commit 'counter-at-2'"* ]]
        [[ "$output" == *"(cold, "* ]]
}

@test "a failed dump shows CRIU's errors, records no commit and leaves the source running" {
        export REAL_CRIU
        REAL_CRIU=$(real_criu)
        [ -x "$REAL_CRIU" ]
        before=$(hit base)
        run env VERS_CRIU="$BATS_TEST_DIRNAME/fake-criu" FAKE_CRIU_FAIL=dump "$VERS_BIN" commit -b base --tag broken --warm
        [ "$status" -eq 1 ]
        [[ "$output" == "vers: criu dump failed (exit 1; log: "* ]]
        [[ "$output" == *"Error (criu/fake.c:1): fake dump failure for the test"* ]]
        run vers tag list
        [[ "$output" != *broken* ]]
        [ -z "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM commits WHERE state != 'ready'")" ]
        [ "$(hit base)" = $((before + 1)) ]
        # without --warm the commit is made cold, saying why
        run env VERS_CRIU="$BATS_TEST_DIRNAME/fake-criu" FAKE_CRIU_FAIL=dump "$VERS_BIN" commit -b base --tag made-cold
        [ "$status" -eq 0 ]
        [[ "$output" == *"warm commit failed, committing cold instead: criu dump failed"* ]]
        [[ "$output" == *"(cold, "* ]]
}

@test "a failed restore shows CRIU's errors and leaves no half-made env" {
        export REAL_CRIU
        REAL_CRIU=$(real_criu)
        [ -x "$REAL_CRIU" ]
        before=$(ls "$VERS_ROOT/store/envs" | wc -l)
        run env VERS_CRIU="$BATS_TEST_DIRNAME/fake-criu" FAKE_CRIU_FAIL=restore "$VERS_BIN" branch counter-at-2 --alias half-restored
        [ "$status" -eq 1 ]
        [[ "$output" == *"criu restore failed"* ]]
        [[ "$output" == *"fake restore failure for the test"* ]]
        [ "$(ls "$VERS_ROOT/store/envs" | wc -l)" -eq "$before" ]
        run --separate-stderr vers status --all --json
        [ "$status" -eq 0 ]
        json_ok 'all(.[]; .alias != "half-restored")'
}
