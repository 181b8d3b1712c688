#!/usr/bin/env bats
# The command layer: help and usage come from each command's option table, bad usage exits
# 129 with the usage, what a command writes reaches stdout or vers fails saying so, and
# 'vers env' says what the service's template says.

load helpers
bats_require_minimum_version 1.5.0

setup_file() { vers_setup_root; }
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

# the options each command has always had (and the seed uses): its --help lists them all
options_of() {
        case $1 in
        init) echo --force ;;
        build) echo --no-cache --json ;;
        run) echo -N --alias --json ;;
        status | ps | "branch list") echo -a --all --json ;;
        execute | exec) echo -b --env -t --timeout -w --workdir -e --env-var ;;
        connect) echo -b --env -c --command ;;
        commit) echo -b --env -t --tag -m --message --warm --cold --verify --json list ;;
        "commit list" | "tag list") echo -a --all --json ;;
        branch) echo -n --alias -c --checkout --count --warm --cold -b --env --json list delete ;;
        "branch delete") echo -y --yes -a --all ;;
        checkout) echo ;;
        head) echo --json ;;
        rollback) echo -b --env --warm --cold ;;
        tag) echo list ;;
        tree) echo -a --all ;;
        kill | delete) echo -y --yes -a --all ;;
        logs) echo -b --env -n --lines ;;
        gc) echo --json ;;
        shutdown) echo ;;
        test) echo -f --file -j --jobs --only --migrations --keep-failed --junit --json ;;
        tunnel) echo -b --env ;;
        env) echo -b --env ;;
        doctor) echo --json ;;
        *) return 1 ;;
        esac
}

COMMANDS=(init build run status ps execute exec connect commit "commit list" branch
        "branch list" "branch delete" checkout head rollback tag "tag list" tree kill delete logs
        gc shutdown test tunnel env doctor)

@test "every command's --help exits 0, starts with its usage and lists its options" {
        for c in "${COMMANDS[@]}"; do
                # shellcheck disable=SC2086
                run "$VERS_BIN" $c --help
                [ "$status" -eq 0 ] || { echo "vers $c --help: exit $status"; return 1; }
                [[ "${lines[0]}" == "usage: vers "* ]] || { echo "vers $c --help: ${lines[0]}"; return 1; }
                [[ "$output" == *"-h, --help"* ]]
                for o in $(options_of "$c"); do
                        grep -qwe "$o" <<< "$output" || { echo "vers $c --help lacks $o"; return 1; }
                done
        done
}

@test "help CMD is CMD --help; --version and help" {
        [ "$(vers help branch)" = "$(vers branch --help)" ]
        [ "$(vers help branch delete)" = "$(vers branch delete --help)" ]
        run vers help no-such-command
        [ "$status" -eq 129 ]
        run vers --version
        [ "$output" = "vers 0.1.0" ]
        run vers help
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "usage: vers <command>"* ]]
        [[ "$output" != *debug* ]] # hidden
        run vers debug failpoints
        [ "$status" -eq 0 ]
}

@test "--help needs neither root nor a store" {
        command -v setpriv >/dev/null || skip "setpriv not installed"
        run setpriv --reuid=65534 --regid=65534 --clear-groups env VERS_ROOT=/nonexistent "$VERS_BIN" commit --help
        [ "$status" -eq 0 ]
        [[ "$output" == "usage: vers commit"* ]]
}

@test "a bad option exits 129 with the complaint and the command's usage on stderr" {
        for c in "${COMMANDS[@]}"; do
                # shellcheck disable=SC2086
                run --separate-stderr "$VERS_BIN" $c --no-such-option
                [ "$status" -eq 129 ] || { echo "vers $c: exit $status"; return 1; }
                [ -z "$output" ]
                [ "${stderr_lines[0]}" = "vers: unknown option '--no-such-option'" ] || { echo "$stderr"; return 1; }
                [[ "${stderr_lines[1]}" == "usage: vers "* ]] || { echo "$stderr"; return 1; }
        done
        run vers status -q
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: unknown option '-q'" ]
        [ "${lines[1]}" = "usage: vers status [-a|--all] [--json]" ]
}

@test "bad values and missing operands are usage errors too, before anything is done" {
        run vers branch --count 0
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: '--count' takes 1..256, not '0'" ]
        run vers kill
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: which env?" ]
        run vers checkout a b
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: unexpected argument 'b'" ]
        run vers execute
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: no command given" ]
        run vers commit --tag
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: option '--tag' needs an argument (TAG)" ]
        run vers tag
        [ "$status" -eq 129 ]
        run vers tag nosuch
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: unknown subcommand 'nosuch'" ]
        run vers gc --json extra
        [ "$status" -eq 129 ]
        # nothing was made
        [ "$(vers status --json)" = "[]" ]
}

@test "options take the forms getopt_long takes" {
        run vers status --js # a unique prefix
        [ "$status" -eq 0 ]
        [ "$output" = "[]" ]
        run vers status --json=yes
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: option '--json' takes no argument" ]
        run vers logs --lines=-1
        [ "$status" -eq 129 ]
}

@test "a reader that stops early ends vers quietly" {
        run bash -c "'$VERS_BIN' status 2>'$BATS_TEST_TMPDIR/err' | head -1"
        [ "$status" -eq 0 ]
        [ ! -s "$BATS_TEST_TMPDIR/err" ]
        # a reader gone before vers writes: SIGPIPE, or with SIGPIPE ignored, EPIPE; either
        # way vers ends as SIGPIPE ends a program, without a message
        for ign in "" "trap '' PIPE;"; do
                rm -f "$BATS_TEST_TMPDIR/closed"
                run bash -c "$ign { while [ ! -e '$BATS_TEST_TMPDIR/closed' ]; do sleep 0.01; done; '$VERS_BIN' --help; echo \$? > '$BATS_TEST_TMPDIR/rc'; } 2>'$BATS_TEST_TMPDIR/err' | (exec 0<&-; touch '$BATS_TEST_TMPDIR/closed')"
                [ "$(cat "$BATS_TEST_TMPDIR/rc")" -eq 141 ]
                [ ! -s "$BATS_TEST_TMPDIR/err" ]
        done
}

@test "a stdout that cannot be written fails with exit 1 and one line" {
        [ -w /dev/full ] || skip "no /dev/full"
        for args in "--help" "status --json" "branch --help" "tree"; do
                # shellcheck disable=SC2086
                run bash -c "'$VERS_BIN' $args >/dev/full"
                [ "$status" -eq 1 ] || { echo "vers $args: exit $status"; return 1; }
                [ "${#lines[@]}" -eq 1 ]
                [ "$output" = "vers: cannot write to standard output: No space left on device" ]
        done
}

@test "--json output is JSON" {
        for args in "status --json" "status --all --json" "commit list --json" "tag list --json" \
                "head --json" "gc --json" "doctor --json"; do
                # shellcheck disable=SC2086
                "$VERS_BIN" $args 2>/dev/null | jq -e . >/dev/null || { echo "vers $args"; return 1; }
        done
        "$VERS_BIN" build --json 2>/dev/null | jq -e '.image and (.cached | type == "boolean")'
}

@test "vers env says what the service's template says, for the database the image was built with" {
        vers run --alias base >/dev/null
        id=$(vers status --json | jq -r '.[] | select(.alias == "base") | .image')
        # the image records the service, its template and its database
        grep -qP '^postgres\tpostgres@15\tapp$' "$VERS_ROOT/store/images/$id/.vers/clients"
        run vers env base
        [ "$status" -eq 0 ]
        host=$(sed -n 's/^export PGHOST=//p' <<< "$output")
        [[ "$host" == "$VERS_ROOT/sockets/"* ]]
        [ "$output" = "export PGHOST=$host
export PGPORT=5432
export PGUSER=postgres
export PGDATABASE=app
export PGPASSWORD=postgres
export DATABASE_URL='postgresql://postgres:postgres@/app?host=$host'" ]
        # what the env writes into its own /.vers/env changes nothing
        vers execute -b base "echo PGDATABASE=evil >> /.vers/env"
        run vers env base
        [[ "$output" == *"export PGDATABASE=app"* ]]
        eval "$output"
        [ "$(psql -Atc 'SELECT current_database()')" = app ]
}

@test "vers env names an env with no database for clients" {
        d=$(mktemp -d) && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 2000\n' > "$d/vers.toml"
        cd "$d"
        vers run --alias bare >/dev/null
        run vers env
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "vers: env 'bare': it runs no service that clients on the host reach through a socket"* ]]
        vers kill -y bare >/dev/null
        rm -rf "$d"
}

@test "connect picks the env's shell from inside the env" {
        run bash -c "echo 'echo \$0' | '$VERS_BIN' connect -b base"
        [ "$status" -eq 0 ]
        [ "$output" = /bin/bash ]
}

@test "progress and notices go to stderr, results to stdout" {
        run --separate-stderr env VERS_PROGRESS=1 "$VERS_BIN" run --alias progress-out
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "env "*"(progress-out) running"* ]]
        [[ "$stderr" == *"vers: starting env progress-out"* ]]
        run --separate-stderr vers build
        [[ "$output" == "image "*"(cached: nothing changed)" ]]
        [[ "$stderr" == *"step 1/1 FROM host (cached)"* ]]
        vers kill -y progress-out >/dev/null
}
