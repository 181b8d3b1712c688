#!/usr/bin/env bats
# Reaching an env's PostgreSQL from the host: vers tunnel and vers env.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }
teardown() { tunnel_stop; }

@test "vers tunnel forwards a host port to 5432 inside the env, for a host-side psql" {
        tunnel_start base 0:5432
        run env PGPASSWORD=postgres psql -h 127.0.0.1 -p "$TUNNEL_PORT" -U postgres -d app -Atc 'SELECT count(*) FROM users'
        tunnel_stop
        [ "$status" -eq 0 ]
        [ "$output" = 2000 ]
}

@test "several connections through one tunnel at once" {
        tunnel_start -b base 0:5432
        port=$TUNNEL_PORT
        pids=""
        for i in 1 2 3 4; do
                PGPASSWORD=postgres PGCONNECT_TIMEOUT=10 psql -h 127.0.0.1 -p "$port" -U postgres -d app -Atc "SELECT $i + count(*) FROM products" > "$BATS_TEST_TMPDIR/c$i" 2>&1 &
                pids="$pids $!"
        done
        for p in $pids; do wait "$p" || true; done
        tunnel_stop
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

@test "vers env of an env whose server is stopped says in one line which socket is missing" {
        vers run --alias pgstop >/dev/null
        vers execute -b pgstop "pg_ctl stop" >/dev/null
        run vers env pgstop
        rc=$status
        out=$output
        run timeout 60 "$VERS_BIN" execute -b pgstop "pg_ctl start"
        started=$status
        run vers env pgstop
        vers kill -y pgstop >/dev/null
        [ "$rc" -eq 1 ]
        [ "$(echo "$out" | wc -l)" -eq 1 ]
        [[ "$out" == "vers: "*"no socket '/run/postgresql/.s.PGSQL.5432' in the env" ]]
        # the same env, its server running again
        [ "$started" -eq 0 ]
        [ "$status" -eq 0 ]
        [[ "$output" == *"export PGDATABASE=app"* ]]
}
