# Shared setup for the end-to-end tests. Each .bats file gets its own VERS_ROOT (its own
# loop-mounted btrfs store) and its own copy of the example project, and removes both, with
# every env process and mount, in teardown_file — also when tests failed.

: "${VERS_BIN:=$BATS_TEST_DIRNAME/../../build/vers}"
: "${VERS_PROGS:=$BATS_TEST_DIRNAME/../../build/progs}"
REPO="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"

vers() { "$VERS_BIN" "$@"; }

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
wait_pg() {
        for _ in $(seq 240); do
                "$VERS_BIN" execute -b "$1" "pg_isready -q" 2>/dev/null && return 0
                sleep 0.5
        done
        echo "PostgreSQL in env $1 did not come back" >&2
        return 1
}

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
        for _ in $(seq 100); do
                TUNNEL_PORT=$(sed -n 's/^forwarding 127.0.0.1:\([0-9]*\) .*/\1/p' "$TUNNEL_OUT")
                [ -n "$TUNNEL_PORT" ] && return 0
                sleep 0.05
        done
        echo "vers tunnel $* did not start: $(cat "$TUNNEL_OUT")" >&2
        return 1
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
