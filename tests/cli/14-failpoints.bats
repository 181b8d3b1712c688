#!/usr/bin/env bats
# Failpoints: vers killed (VERS_FAILPOINT=NAME) or failing (fail:NAME) at every step of every
# multi-step operation. Afterwards the next command finishes or undoes the operation: nothing
# half-made is shown, no env stays frozen, no criu of this root is left running, gc finds
# nothing, and the env still answers.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
        cd "$PROJ"
        vers commit -b base --tag fp-base >/dev/null
        vers branch fp-base --alias rb >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

# the failpoints that only a warm commit reaches: skip them where CRIU is not usable, but
# never in CI, where warm commits are what is being tested
need_warm() {
        warm_usable && return 0
        [ "${CI:-}" != true ] || { "$VERS_BIN" doctor; return 1; }
        echo "# skipping $1: CRIU is not usable here" >&3
        return 2
}

# pids of criu processes working for this VERS_ROOT: the binary under /opt/vers/criu (run by
# its loader) or the one VERS_CRIU names, with this root in its arguments
criu_pids_of_root() {
        local p exe
        for p in /proc/[0-9]*; do
                exe=$(readlink "$p/exe" 2>/dev/null) || continue
                case "$exe" in
                /opt/vers/criu/*) ;;
                *) continue ;;
                esac
                tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF "$VERS_ROOT/" && echo "${p#/proc/}"
        done
        return 0
}

# freezer state of env $1's cgroup, "" if it has none
freezer_state() {
        local f
        for f in /sys/fs/cgroup/freezer/vers/*/"$1"/freezer.state; do
                [ -f "$f" ] && { cat "$f"; return 0; }
        done
        for f in /sys/fs/cgroup/vers/*/"$1"/cgroup.freeze; do
                [ -f "$f" ] && { [ "$(cat "$f")" = 1 ] && echo FROZEN || echo THAWED; return 0; }
        done
        return 0
}

db() { sqlite3 "$VERS_ROOT/vers.db" "$@"; }

# branch env $1 from fp-base and kill its PID 1 from outside: its row still says running
dead_env() {
        local pid
        vers branch fp-base --alias "$1" >/dev/null
        pid=$(db "SELECT init_pid FROM envs WHERE alias = '$1'")
        [ "${pid:-0}" -gt 0 ] || { echo "env $1 has no PID 1"; return 1; }
        kill -9 "$pid"
        wait_for -t 10 -m "PID 1 ($pid) of env $1 to be gone" test ! -e "/proc/$pid"
}

# everything the operation killed at failpoint $1 may have left is finished or undone
assert_recovered() {
        local fp=$1 id st pids
        # the next command recovers (and must not hang on a frozen env)
        run --separate-stderr timeout 120 "$VERS_BIN" status --all --json
        [ "$status" -eq 0 ] || { echo "$fp: status exited $status: $output $stderr"; return 1; }
        json_ok 'all(.[]; .state != "pending" and .state != "deleting")' ||
                { echo "$fp: status shows: $output"; return 1; }
        run --separate-stderr vers commit list --all --json
        [ "$status" -eq 0 ] && [[ "$output" != *pending* ]] || { echo "$fp: $output"; return 1; }
        st=$(db "SELECT 'env ' || id || ' ' || state FROM envs WHERE state NOT IN ('running','stopped')
                 UNION ALL SELECT 'commit ' || id || ' ' || state FROM commits WHERE state != 'ready'
                 UNION ALL SELECT 'image ' || id || ' ' || state FROM images WHERE state NOT IN ('ready','layer')")
        [ -z "$st" ] || { echo "$fp: rows left: $st"; return 1; }
        for id in $(db "SELECT id FROM envs"); do
                st=$(freezer_state "$id")
                [ -z "$st" ] || [ "$st" = THAWED ] || { echo "$fp: env $id is $st"; return 1; }
        done
        pids=$(criu_pids_of_root)
        if [ -n "$pids" ]; then
                echo "$fp: criu left running: $pids"
                kill -9 $pids 2>/dev/null || true
                return 1
        fi
        run --separate-stderr vers gc --json
        [ "$status" -eq 0 ] || { echo "$fp: gc: $output $stderr"; return 1; }
        json_ok '. == {"subvolumes": 0, "cgroups": 0, "stopped": 0}' ||
                { echo "$fp: gc found: $output"; return 1; }
        run vers execute -b base "psql -Atc 'select 1'"
        [ "$status" -eq 0 ] && [ "$output" = 1 ] || { echo "$fp: base answers: $output"; return 1; }
}

# Run the operation that reaches failpoint $2 with VERS_FAILPOINT=$1 (NAME or fail:NAME).
# Prints nothing; sets status and output like bats' run.
hit() {
        local spec=$1 fp=$2 n=$RANDOM
        case "$fp" in
        commit-*) VERS_FAILPOINT=$spec run vers commit -b base --tag "fp-$n" ;;
        branch-* | start-*) VERS_FAILPOINT=$spec run vers branch fp-base --alias "fp-$n" ;;
        rollback-*) VERS_FAILPOINT=$spec run vers rollback -b rb fp-base ;;
        delete-*)
                vers branch fp-base --alias "del-$n" >/dev/null
                VERS_FAILPOINT=$spec run vers kill -y "del-$n"
                ;;
        build-*) VERS_FAILPOINT=$spec run vers build --no-cache ;;
        gc-before-mark)
                dead_env "gcdead-$n" || { status=255; return; }
                VERS_FAILPOINT=$spec run vers gc
                ;;
        gc-*)
                btrfs subvolume create "$VERS_ROOT/store/envs/deadbeef$n" >/dev/null
                VERS_FAILPOINT=$spec run vers gc
                ;;
        *)
                echo "no operation reaches failpoint '$fp': add it to hit() in $BATS_TEST_FILENAME"
                status=255
                ;;
        esac
}

# every failpoint whose name starts with one of "$@"
failpoints() {
        local re
        re="^($(IFS='|'; echo "$*"))"
        "$VERS_BIN" debug failpoints | cut -f1 | grep -E "$re"
}

# 0: failpoint $1 can be reached here; 2: it is a warm step and CRIU is not usable (said);
# 1: the same in CI, which fails
warm_step_usable() {
        case "$1" in
        commit-after-freeze | commit-during-dump | commit-after-dump) need_warm "$1" ;;
        *) return 0 ;;
        esac
}

# kill at each failpoint given, then check; a failpoint that is not reached fails the test
kill_at_each() {
        local fp rc
        for fp in "$@"; do
                rc=0; warm_step_usable "$fp" || rc=$?
                [ "$rc" -eq 2 ] && continue
                [ "$rc" -eq 0 ] || return 1
                hit "$fp" "$fp"
                [ "$status" -eq 137 ] || { echo "$fp: not reached (exit $status): $output"; return 1; }
                [[ "$fp" != gc-* ]] || vers gc >/dev/null # finishes what the killed gc began
                assert_recovered "$fp"
        done
}

fail_at_each() {
        local fp rc errors
        for fp in "$@"; do
                rc=0; warm_step_usable "$fp" || rc=$?
                [ "$rc" -eq 2 ] && continue
                [ "$rc" -eq 0 ] || return 1
                hit "fail:$fp" "$fp"
                if [ "$fp" = commit-during-dump ]; then
                        # a failed warm dump is committed cold instead, with a notice
                        [ "$status" -eq 0 ] && [[ "$output" == *"criu dump failed"* ]] &&
                                [[ "$output" == *"(cold, "* ]] ||
                                { echo "$fp: exit $status: $output"; return 1; }
                else
                        # one line of error (after a build's step lines)
                        errors=$(echo "$output" | grep -vE '^vers: (step |installing )')
                        [ "$status" -eq 1 ] && [ "$(echo "$errors" | wc -l)" -eq 1 ] &&
                                [[ "$errors" == "vers: "*"failpoint '$fp' made this step fail" ]] ||
                                { echo "$fp: exit $status: $output"; return 1; }
                fi
                [[ "$fp" != gc-* ]] || vers gc >/dev/null
                assert_recovered "$fp"
        done
}

@test "the failpoint list matches the failpoints in the source" {
        listed=$("$VERS_BIN" debug failpoints | cut -f1 | sort)
        used=$(grep -ho 'vers_failpoint("[a-z-]*"' "$REPO"/src/lib/*/*.c | sed 's/.*("\(.*\)"/\1/' |
                sort -u)
        used="$used
$(grep -ho 'run_criu([^;]*"\([a-z-]*\)")' "$REPO"/src/lib/os/criu.c | sed 's/.*"\([a-z-]*\)")/\1/')"
        used=$(echo "$used" | sort -u)
        [ "$listed" = "$used" ] || { diff <(echo "$listed") <(echo "$used"); false; }
        [ "$(echo "$listed" | wc -l)" -ge 20 ]
}

@test "every failpoint is reached by one of the operations below" {
        for fp in $("$VERS_BIN" debug failpoints | cut -f1); do
                case "$fp" in
                commit-* | branch-* | start-* | rollback-* | delete-* | build-* | gc-*) ;;
                bundle-*) ;; # 26-bundle.bats kills and fails vers unbundle at each
                *) echo "failpoint '$fp' is tested by nothing here"; false ;;
                esac
        done
}

@test "an unknown failpoint name in VERS_FAILPOINT is ignored" {
        VERS_FAILPOINT=no-such-step run vers commit -b base --tag fp-unknown
        [ "$status" -eq 0 ]
}

@test "NAME:N kills at the Nth hit only" {
        # a build reaches build-after-row once per layer it makes: the second one kills
        VERS_FAILPOINT=build-after-row:2 run vers build --no-cache
        [ "$status" -eq 137 ]
        [[ "$output" == *"step 1/"* ]]
        assert_recovered build-after-row:2
}

@test "vers commit killed at each of its steps leaves no commit and no frozen env" {
        kill_at_each $(failpoints commit-)
}

@test "vers branch killed at each of its steps leaves no env" {
        kill_at_each $(failpoints branch- start-)
}

@test "vers rollback killed at each of its steps is finished by the next command" {
        kill_at_each $(failpoints rollback-)
        [ "$(db "SELECT state FROM envs WHERE alias = 'rb'")" = stopped ]
        [ "$(count_of rb users)" = 2000 ]
}

@test "vers kill killed at each of its steps is finished by the next command" {
        kill_at_each $(failpoints delete-)
        [ -z "$(db "SELECT id FROM envs WHERE alias LIKE 'del-%'")" ]
}

@test "vers build killed at each of its steps leaves no half-made layer" {
        kill_at_each $(failpoints build-)
}

@test "vers gc killed at each of its steps: the next gc finishes" {
        kill_at_each $(failpoints gc-)
}

@test "gc that cannot mark a dead env stopped fails and counts it nowhere" {
        dead_env gc-unmarked
        VERS_FAILPOINT=fail:gc-before-mark run vers gc --json
        [ "$status" -eq 1 ]
        [[ "$output" == *"cannot mark env 'gc-unmarked' stopped: failpoint 'gc-before-mark' made this step fail"* ]]
        [[ "$output" != *'"stopped"'* ]]
        [ "$(db "SELECT state FROM envs WHERE alias = 'gc-unmarked'")" = running ]
        # the next gc marks it, and counts it once
        run vers gc --json
        [ "$status" -eq 0 ]
        echo "$output" | jq -e '.stopped == 1'
        [ "$(db "SELECT state FROM envs WHERE alias = 'gc-unmarked'")" = stopped ]
        run vers gc --json
        echo "$output" | jq -e '.stopped == 0'
}

@test "every step made to fail is a one-line error and undone" {
        fail_at_each $(failpoints commit- branch- start- rollback- delete- build- gc-)
}
