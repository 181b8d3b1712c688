#!/usr/bin/env bats
# Branches that expire: vers branch --ttl and [branches] ttl, the sweep every vers command
# makes (vers has no daemon), vers gc --expired [--force], the time left in vers status, and
# that a live session keeps an expired env until --force. Commits never expire.
#
# setup_file makes env base with the seed data and a tagged commit of it (seed, cold: these
# tests are about rows and deletion, not restores).

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
        vers commit -b base --cold --tag seed >/dev/null
}
teardown_file() {
        [ -n "${SESSION_PID:-}" ] && kill "$SESSION_PID" 2>/dev/null
        vers_teardown_root
}

setup() { cd "$PROJ"; }

db() { sqlite3 "$VERS_ROOT/vers.db" "$1"; }
gone() { [ -z "$(db "SELECT id FROM envs WHERE alias = '$1'")" ]; }
# a vers command (which sweeps), then: is env $1 gone?
swept() { vers status >/dev/null 2>&1; gone "$1"; }
# one query waiting in pg_sleep in env $1 (a session waiting for the tests)
sleeping() { [ "$(vers execute -b "$1" "psql -Atc \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'\"")" = 1 ]; }
session_ended() { ! kill -0 "$SESSION_PID" 2>/dev/null; }
# env $1, expired with a session: gc --expired keeps it (its report matching jq filter $2),
# --force deletes it, and the session ends with it
kept_then_forced() {
        expire_now "$1"
        run vers gc --expired --json
        json_ok "(.kept | length) == 1 and .kept[0].alias == \"$1\" and ($2)"
        vers gc --expired --force >/dev/null
        gone "$1"
        wait_for -m "the session in $1 to end" session_ended
        SESSION_PID=
}
# make env $1 expire now (as if its ttl had passed), without waiting for it
expire_now() { db "UPDATE envs SET expires = strftime('%s','now') - 5 WHERE alias = '$1'"; }

@test "branch --ttl: status shows the time left, --json its expiry" {
        run --separate-stderr vers branch seed --cold --alias short --ttl 2h --json
        [ "$status" -eq 0 ]
        json_ok '.[0].expires > now + 7100 and .[0].expires <= now + 7200'
        run vers status
        [ "$status" -eq 0 ]
        [[ "$output" == *EXPIRES* ]]
        [[ "$(grep ' short ' <<<"$output")" =~ in\ (2h|1h5[0-9]m) ]]
        [[ "$(grep ' base ' <<<"$output")" == *" -"* ]]
        run vers status --json
        json_ok '.[] | select(.alias == "short") | .expires_in > 7100 and .expires_in <= 7200'
        json_ok '.[] | select(.alias == "base") | .expires == null and .expires_in == null'
        vers kill -y short
}

@test "an expired env is deleted by the next vers command, saying so; its commits stay" {
        vers branch seed --cold --alias doomed --ttl 1h >/dev/null
        vers commit -b doomed --cold --tag doomed-commit >/dev/null
        expire_now doomed
        run --separate-stderr vers status
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"deleted env doomed: it expired"* ]]
        [[ "$output" != *doomed* ]]
        gone doomed
        [ ! -e "$VERS_ROOT/store/envs/$(db "SELECT env FROM commits WHERE tag = 'doomed-commit'")" ]
        run vers commit list
        [[ "$output" == *doomed-commit* ]]
        [[ "$output" == *seed* ]]
        # and the commit still branches
        vers branch doomed-commit --cold --alias after >/dev/null
        vers kill -y after
}

@test "a real ttl runs out: the sweep of a later command deletes it" {
        vers branch seed --cold --alias blink --ttl 1s >/dev/null
        wait_for -t 30 -i 0.5 -m "env blink to expire and be deleted" swept blink
        # no env left running for it
        [ -z "$(db "SELECT id FROM envs WHERE alias = 'blink'")" ]
}

@test "[branches] ttl is the default for vers branch; --ttl 0 overrides it" {
        cp vers.toml vers.toml.orig
        printf '\n[branches]\nttl = "45m"\n' >> vers.toml
        vers branch seed --cold --alias cfg >/dev/null
        vers branch seed --cold --alias forever --ttl 0 >/dev/null
        mv vers.toml.orig vers.toml
        json_ok '.[] | select(.alias == "cfg") | .expires_in > 2600 and .expires_in <= 2700' \
                "$(vers status --json)"
        json_ok '.[] | select(.alias == "forever") | .expires == null' "$(vers status --json)"
        vers kill -y cfg forever
}

@test "bad durations and a bad [branches] ttl are one-line errors" {
        for d in abc 5 2x 1m1h -1h 1h-; do
                run vers branch seed --cold --alias bad --ttl "$d"
                [ "$status" -eq 129 ]
                [[ "${lines[0]}" == *"--ttl: '$d' is not a duration"* ]]
        done
        gone bad
        cp vers.toml vers.toml.orig
        printf '\n[branches]\nttl = 5\n' >> vers.toml
        run vers branch seed --cold --alias bad
        mv vers.toml.orig vers.toml
        [ "$status" -ne 0 ]
        [[ "$output" == *"vers.toml:"*"'ttl' in [branches] must be a duration"* ]]
        gone bad
        run vers gc --force
        [ "$status" -eq 129 ]
        [[ "$output" == *"--force goes with --expired"* ]]
}

@test "an expired env with a live session is kept and reported; gc --expired --force deletes it" {
        vers branch seed --cold --alias busy --ttl 1h >/dev/null
        # a session inside it: vers execute running a command that waits
        vers execute -b busy "touch /tmp/started; sleep 600" >/dev/null 2>&1 &
        SESSION_PID=$!
        wait_for -m "the session in busy to start" vers execute -b busy "test -e /tmp/started"
        expire_now busy
        run --separate-stderr vers status
        [[ "$stderr" == *"env busy expired"*"kept while it has 1 live session"* ]]
        [[ "$output" == *busy* ]]
        [[ "$(grep ' busy ' <<<"$output")" == *expired* ]]
        run vers gc --expired --json
        [ "$status" -eq 0 ]
        json_ok '.deleted == [] and (.kept | length) == 1 and .kept[0].alias == "busy" and .kept[0].commands == 1'
        run vers gc --expired
        [[ "$output" == *"kept env busy"*"--force deletes it"* ]]
        run vers gc --expired --force --json
        [ "$status" -eq 0 ]
        json_ok '(.deleted | length) == 1 and .deleted[0].alias == "busy" and .kept == []'
        gone busy
        # the session ended with its env
        wait_for -m "the session's vers execute to end" session_ended
        SESSION_PID=
}

@test "a client connection counts as a session, and ends with --force" {
        vers branch seed --cold --alias conn --ttl 1h >/dev/null
        # psql inside the env, connected to the server over its Unix socket and idle
        vers execute -b conn "psql -c 'SELECT pg_sleep(600)'" >/dev/null 2>&1 &
        SESSION_PID=$!
        wait_for -m "the psql session in conn" sleeping conn
        kept_then_forced conn '.kept[0].connections >= 1'
}

@test "a client on the host (through vers env) counts as a session too" {
        vers branch seed --cold --alias hosted --ttl 1h >/dev/null
        eval "$(vers env hosted)"
        psql -c 'SELECT pg_sleep(600)' >/dev/null 2>&1 &
        SESSION_PID=$!
        wait_for -m "the host psql session in hosted" sleeping hosted
        kept_then_forced hosted '.kept[0].connections == 1 and .kept[0].commands == 0'
}

@test "an env being committed is not deleted under the commit, even with --force" {
        vers branch seed --cold --alias committing --ttl 1h >/dev/null
        local dir="$VERS_ROOT/store/envs/$(db "SELECT id FROM envs WHERE alias = 'committing'")"
        # what a commit holds from before its hook until it is done
        # (one process, the lock on its fd 9, none of bats's descriptors: killing it ends all)
        (
                exec 9>"$dir/commit.lock" >/dev/null 2>&1 </dev/null
                flock 9
                touch "$BATS_TEST_TMPDIR/held"
                exec sleep 600
        ) &
        SESSION_PID=$!
        wait_for -m "the commit lock to be held" test -e "$BATS_TEST_TMPDIR/held"
        expire_now committing
        run vers gc --expired --force --json
        [ "$status" -eq 0 ]
        json_ok '(.kept | length) == 1 and .kept[0].committing == true and .deleted == []'
        run --separate-stderr vers status
        [[ "$stderr" == *"env committing expired"*"kept while it is being committed"* ]]
        kill "$SESSION_PID"
        wait "$SESSION_PID" || true
        SESSION_PID=
        run vers gc --expired --json
        json_ok '(.deleted | length) == 1 and .deleted[0].alias == "committing"'
        gone committing
}

@test "two sweeps at once delete an expired env once, and nothing half-made is left" {
        vers branch seed --cold --alias race-1 --ttl 1h >/dev/null
        vers branch seed --cold --alias race-2 --ttl 1h >/dev/null
        expire_now race-1
        expire_now race-2
        vers gc --expired > "$BATS_TEST_TMPDIR/a" 2>&1 &
        local a=$!
        vers gc --expired > "$BATS_TEST_TMPDIR/b" 2>&1
        wait "$a"
        [ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -c 'deleted env race-1')" -eq 1 ]
        [ "$(cat "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b" | grep -c 'deleted env race-2')" -eq 1 ]
        gone race-1
        gone race-2
        [ -z "$(db "SELECT id FROM envs WHERE state NOT IN ('running', 'stopped')")" ]
        run vers gc --expired
        [ "$output" = "gc: no expired envs" ]
}
