#!/usr/bin/env bats
# Reaching an env's PostgreSQL from the host: vers tunnel and vers env.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

wait_port() { # port
        for _ in $(seq 100); do
                (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
                sleep 0.05
        done
        return 1
}

@test "vers tunnel forwards a host port to 5432 inside the env, for a host-side psql" {
        "$VERS_BIN" tunnel base 0:5432 > "$BATS_TEST_TMPDIR/tunnel.out" 2>&1 &
        pid=$!
        for _ in $(seq 100); do grep -q forwarding "$BATS_TEST_TMPDIR/tunnel.out" && break; sleep 0.05; done
        port=$(sed -n 's/^forwarding 127.0.0.1:\([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/tunnel.out")
        [ -n "$port" ]
        wait_port "$port"
        run env PGPASSWORD=postgres psql -h 127.0.0.1 -p "$port" -U postgres -d app -Atc 'SELECT count(*) FROM users'
        kill "$pid"
        wait "$pid" || true
        [ "$status" -eq 0 ]
        [ "$output" = 2000 ]
}

@test "several connections through one tunnel at once" {
        "$VERS_BIN" tunnel -b base 0:5432 > "$BATS_TEST_TMPDIR/t2.out" 2>&1 &
        TUNNEL_PID=$!
        for _ in $(seq 100); do grep -q forwarding "$BATS_TEST_TMPDIR/t2.out" && break; sleep 0.05; done
        port=$(sed -n 's/^forwarding 127.0.0.1:\([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/t2.out")
        pids=""
        for i in 1 2 3 4; do
                PGPASSWORD=postgres PGCONNECT_TIMEOUT=10 psql -h 127.0.0.1 -p "$port" -U postgres -d app -Atc "SELECT $i + count(*) FROM products" > "$BATS_TEST_TMPDIR/c$i" 2>&1 &
                pids="$pids $!"
        done
        for p in $pids; do wait "$p" || true; done
        kill "$TUNNEL_PID"
        wait "$TUNNEL_PID" || true
        TUNNEL_PID=
        for i in 1 2 3 4; do [ "$(cat "$BATS_TEST_TMPDIR/c$i")" = $((500 + i)) ]; done
}

@test "vers env prints variables a host-side client can use" {
        run vers env base
        [ "$status" -eq 0 ]
        [[ "$output" == *"export PGDATABASE=app"* ]]
        eval "$output"
        run psql -Atc 'SELECT count(*) FROM orders'
        [ "$status" -eq 0 ]
        [ "$output" = 5000 ]
        run psql "$DATABASE_URL" -Atc 'SELECT 1'
        [ "$output" = 1 ]
}

@test "tunnel and env refuse bad input" {
        run vers tunnel base 99999
        [ "$status" -eq 129 ]
        [[ "$output" == *"bad port '99999'"* ]]
        run vers env no-such-env
        [ "$status" -eq 1 ]
        [[ "$output" == *"no env or commit named 'no-such-env'"* ]]
}
