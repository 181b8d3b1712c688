# Shared setup for the end-to-end tests. Each .bats file gets its own VERS_ROOT (its own
# loop-mounted btrfs store) and its own copy of the example project, and removes both, with
# every env process and mount, in teardown_file — also when tests failed.

bats_require_minimum_version 1.5.0 # run --separate-stderr

: "${VERS_BIN:=$BATS_TEST_DIRNAME/../../build/vers}"
: "${VERS_PROGS:=$BATS_TEST_DIRNAME/../../build/progs}"
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

vers() { "$VERS_BIN" "$@"; }

# wait_for [-t SECONDS] [-i INTERVAL] [-m WHAT] COMMAND [ARGS...]: run COMMAND every INTERVAL
# seconds (default 0.05) until it
# succeeds, at most SECONDS (default 30); on timeout say what was waited for (WHAT, or the
# command itself) and fail. This is the only way a test waits for something to happen.
wait_for() {
        local timeout=30 interval=0.05 what=
        while [ $# -gt 0 ]; do
                case $1 in
                -t) timeout=$2; shift 2 ;;
                -i) interval=$2; shift 2 ;;
                -m) what=$2; shift 2 ;;
                *) break ;;
                esac
        done
        local deadline=$((SECONDS + timeout))
        while :; do
                "$@" && return 0
                [ "$SECONDS" -lt "$deadline" ] || break
                sleep "$interval"
        done
        echo "wait_for: gave up after ${timeout} s waiting for ${what:-$*}" >&2
        return 1
}

# JSON is asserted with jq, never by its spacing:
#   json_ok FILTER [JSON]  jq -e FILTER on JSON (default $output); fails, printing the JSON,
#                          when the filter is false, null or the input is not JSON
#   env_json ALIAS         the env's object from `vers status --all --json`
#   env_field ALIAS FIELD  one field of it (raw), e.g. env_field base id
json_ok() {
        local filter=$1 json=${2-$output}
        jq -e "$filter" <<< "$json" >/dev/null && return 0
        echo "json_ok: '$filter' is not true of: $json" >&2
        return 1
}
env_json() { "$VERS_BIN" status --all --json | jq -ce --arg a "$1" '.[] | select(.alias == $a)'; }
env_field() { env_json "$1" | jq -r --arg f "$2" '.[$f]'; }
env_state_is() { [ "$(env_field "$1" state)" = "$2" ]; }

# true where commits are warm (a usable CRIU)
warm_usable() { "$VERS_BIN" doctor --json | jq -e '.commit_mode == "warm"' >/dev/null; }

# skip the test where CRIU is not usable, saying why — never in CI, where warm commits are
# what is being tested
skip_unless_warm() {
        warm_usable && return 0
        [ "${CI:-}" != true ] || { "$VERS_BIN" doctor; false; }
        skip "CRIU is not usable here ($("$VERS_BIN" doctor | grep 'warm checkpoints'))"
}

vers_setup_root() {
        export VERS_ROOT
        VERS_ROOT=$(mktemp -d /tmp/vers-test-root.XXXXXX)
        export PROJ
        PROJ=$(mktemp -d /tmp/vers-test-proj.XXXXXX) && chmod 755 "$PROJ"
        cp -r "$REPO/examples/ecommerce/." "$PROJ/"
        rm -rf "$PROJ/.vers" "$PROJ/node_modules"
        if [ -d "$REPO/examples/ecommerce/node_modules" ]; then
                cp -r "$REPO/examples/ecommerce/node_modules" "$PROJ/node_modules"
        fi
        # keep test stores small: this is a sparse file, but a smaller one formats faster
        sed -i 's/^cluster_mib = .*/cluster_mib = 4000/' "$PROJ/vers.toml"
        unset VERS_ENV
}

# Give back the host id range a root was given (its line in /etc/subuid and /etc/subgid).
vers_release_ids() { "$REPO/scripts/release-ids.sh" "$1"; }

# Stop every env this root knows (by the pid recorded for it), unmount, delete.
vers_teardown_root() {
        [ -n "${VERS_ROOT:-}" ] || return 0
        if [ -d "$VERS_ROOT" ]; then
                "$VERS_BIN" shutdown >/dev/null 2>&1 || true
                if [ -f "$VERS_ROOT/vers.db" ]; then
                        for pid in $(sqlite3 "$VERS_ROOT/vers.db" \
                                "SELECT init_pid FROM envs WHERE init_pid > 0" 2>/dev/null); do
                                kill -9 "$pid" 2>/dev/null || true
                        done
                fi
                for m in $(awk -v r="$VERS_ROOT" 'index($2, r) == 1 { print $2 }' /proc/mounts |
                        sort -r); do
                        umount -l "$m" 2>/dev/null || true
                done
                vers_release_ids "$VERS_ROOT"
                rm -rf "$VERS_ROOT"
        fi
        [ -n "${PROJ:-}" ] && rm -rf "$PROJ"
        return 0
}

# Build the example image and start an env called base with the seed data loaded.
vers_seeded_base() {
        cd "$PROJ"
        vers run --alias base >/dev/null
        vers execute "psql -v ON_ERROR_STOP=1 -q -f schema.sql && psql -v ON_ERROR_STOP=1 -q -f seed-data.sql"
}

# checksum of every table (name|count|md5 lines) inside env $1
checksums() {
        vers execute -b "$1" "psql -At -f checksum.sql"
}

# Wait (bounded) until PostgreSQL in env $1 accepts connections again, e.g. after the crash
# recovery a full store forces on it.
pg_ready() { "$VERS_BIN" execute -b "$1" "pg_isready -q" 2>/dev/null; }
wait_pg() { wait_for -t 120 -i 0.5 -m "PostgreSQL in env $1 to accept connections" pg_ready "$1"; }

count_of() { # env table
        vers execute -b "$1" "psql -Atc 'SELECT count(*) FROM $2'"
}

# Start `vers tunnel ARGS...` in the background and wait until it listens; sets TUNNEL_PID,
# TUNNEL_PORT (the host port it printed) and TUNNEL_OUT (what it printed). Files that use it
# call tunnel_stop in teardown, so a failing test leaves no tunnel behind.
tunnel_start() {
        TUNNEL_OUT="$BATS_TEST_TMPDIR/tunnel.out"
        "$VERS_BIN" tunnel "$@" > "$TUNNEL_OUT" 2>&1 &
        TUNNEL_PID=$!
        TUNNEL_PORT=
        wait_for -t 10 -m "vers tunnel $* to listen" tunnel_listening ||
                { echo "vers tunnel printed: $(cat "$TUNNEL_OUT")" >&2; return 1; }
}

# the host port the tunnel printed (sets TUNNEL_PORT), or false while it has printed none
tunnel_listening() {
        TUNNEL_PORT=$(sed -n 's/^forwarding 127.0.0.1:\([0-9]*\) .*/\1/p' "$TUNNEL_OUT")
        [ -n "$TUNNEL_PORT" ]
}

tunnel_stop() {
        [ -n "${TUNNEL_PID:-}" ] || return 0
        kill "$TUNNEL_PID" 2>/dev/null || true
        wait "$TUNNEL_PID" 2>/dev/null || true
        TUNNEL_PID=
}

need_node_pg() {
        [ -d "$REPO/examples/ecommerce/node_modules/pg" ] ||
                skip "npm package pg not installed (run make deps)"
}
