#!/usr/bin/env bats
# One env: run, execute, connect, logs, status, the PostgreSQL service and the sandbox.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

@test "run made HEAD the new env and status shows it running" {
        run vers head
        [ "$status" -eq 0 ]
        [[ "$output" == "env "*"(base)" ]]
        run vers status --json
        [ "$status" -eq 0 ]
        json_ok '.[] | select(.alias == "base") | .state == "running" and .mode == "cold" and .head == true'
}

@test "a bare psql reaches the first database as superuser" {
        run vers execute "psql -Atc 'SELECT current_database(), current_user, usesuper FROM pg_user WHERE usename = current_user'"
        [ "$status" -eq 0 ]
        [ "$output" = "app|postgres|t" ]
}

@test "databases and extensions from vers.toml exist" {
        run vers execute "psql -Atc 'SELECT datname FROM pg_database WHERE datname IN (\$\$app\$\$, \$\$test\$\$) ORDER BY 1'"
        [ "$output" = $'app\ntest' ]
        run vers execute "psql -d test -Atc 'SELECT extname FROM pg_extension ORDER BY 1'"
        [[ "$output" == *pg_trgm* ]]
        [[ "$output" == *uuid-ossp* ]]
        run vers execute "psql -Atc 'SHOW shared_buffers'"
        [ "$output" = "256MB" ]
}

@test "the seed data is loaded" {
        run checksums base
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "users|2000|"* ]]
        [[ "${lines[3]}" == "order_items|12000|"* ]]
}

@test "TCP on localhost:5432 with password postgres works (the seed's db-test.js settings)" {
        run vers execute "PGPASSWORD=postgres psql -h localhost -p 5432 -U postgres -d app -Atc 'SELECT 1'"
        [ "$status" -eq 0 ]
        [ "$output" = 1 ]
        run vers execute "PGPASSWORD=wrong psql -h localhost -p 5432 -U postgres -d app -Atc 'SELECT 1'"
        [ "$status" -ne 0 ]
}

@test "node pg works inside the env with the seed's DatabaseTest class" {
        need_node_pg
        run vers execute "node -e \"const T=require('./db-test');const t=new T();t.getTableCounts().then(c=>{console.log(JSON.stringify(c));return t.verifyIntegrity()}).then(()=>t.close())\""
        [ "$status" -eq 0 ]
        json_ok '. == {"users": 2000, "products": 500, "orders": 5000, "order_items": 12000}'
}

@test "execute propagates the exit code and runs in the project directory" {
        run vers execute "exit 7"
        [ "$status" -eq 7 ]
        run vers execute "pwd"
        [ "$output" = "$PROJ" ]
        run vers execute -w /tmp "pwd"
        [ "$output" = "/tmp" ]
        run vers exec -- sh -c 'echo "$0 $1"' a b
        [ "$output" = "a b" ]
}

@test "execute -e sets variables and -t kills a command that runs too long" {
        run vers execute -e FOO=bar -e N=2 'echo $FOO$N'
        [ "$output" = "bar2" ]
        start=$(date +%s)
        run vers execute -t 1 "sleep 30"
        [ "$status" -eq 124 ]
        [[ "$output" == *"timed out after 1 s"* ]]
        [ $(( $(date +%s) - start )) -lt 10 ]
}

@test "connect -c runs a command and connect reads commands from stdin" {
        run vers connect -c "psql -Atc 'SELECT count(*) FROM products'"
        [ "$status" -eq 0 ]
        [ "$output" = 500 ]
        run bash -c "echo \"psql -Atc 'SELECT count(*) FROM orders'\" | '$VERS_BIN' connect"
        [ "$status" -eq 0 ]
        [[ "$output" == *5000* ]]
}

@test "connect gives a terminal when stdin is one" {
        command -v script >/dev/null || skip "script(1) not installed"
        run script -qec "'$VERS_BIN' connect -b base" /dev/null <<< $'tty\nexit 3'
        [[ "$output" == *"/dev/pts/"* ]]
}

@test "the env is isolated: own pid 1, hostname, loopback-only network, read-only /usr" {
        run vers execute "cat /proc/1/cmdline | tr '\\0' ' '"
        [[ "$output" == "/.vers/init "* ]]
        run vers execute "hostname"
        [ "$output" = base ]
        run vers execute "ls /sys/class/net"
        [ "$output" = lo ]
        run vers execute "touch /usr/vers-should-fail"
        [ "$status" -ne 0 ]
        run vers execute "echo hi > /etc/vers-env-private && cat /etc/vers-env-private"
        [ "$output" = hi ]
        [ ! -e /etc/vers-env-private ]
}

@test "no descriptor leaks into the env" {
        exec 7>/dev/null 251>/dev/null
        run vers execute "ls /proc/self/fd | sort -n | tr '\\n' ' '"
        exec 7>&- 251>&-
        [ "$output" = "0 1 2 3 " ] # 3 is ls's own directory handle
        run vers execute "ls /proc/1/fd | sort -n | tr '\\n' ' '"
        [ "$output" = "0 1 2 " ]
}

@test "the env has the cgroup caps of vers.toml" {
        id=$(env_field base id)
        [ -n "$id" ]
        mem=$(find /sys/fs/cgroup/memory/vers /sys/fs/cgroup/vers -maxdepth 2 -name "$id" 2>/dev/null | head -1)
        if [ -f "$mem/memory.limit_in_bytes" ]; then
                [ "$(cat "$mem/memory.limit_in_bytes")" = $((2048 * 1024 * 1024)) ]
                cpu=$(find /sys/fs/cgroup/cpu/vers -maxdepth 2 -name "$id" | head -1)
                [ "$(cat "$cpu/cpu.cfs_quota_us")" = 100000 ]
        elif [ -f "$mem/memory.max" ]; then
                [ "$(cat "$mem/memory.max")" = $((2048 * 1024 * 1024)) ]
        else
                skip "no memory cgroup for env $id"
        fi
}

@test "logs shows the service output" {
        run vers logs
        [ "$status" -eq 0 ]
        [[ "$output" == *"service postgres started"* ]]
        [[ "$output" == *"database system is ready to accept connections"* ]]
}

@test "the seed's troubleshooting commands work" {
        run vers execute "pg_isready"
        [ "$status" -eq 0 ]
        run vers execute "cat /var/log/postgresql/postgresql-15-main.log | tail -50"
        [[ "$output" == *"ready to accept connections"* ]]
        run vers execute "ss -tlnp | grep 5432"
        [ "$status" -eq 0 ]
        run vers execute "cat /etc/postgresql/15/main/pg_hba.conf"
        [[ "$output" == *"local"*"all"* ]]
        run vers execute "echo 'local all all trust' >> /etc/postgresql/15/main/pg_hba.conf"
        [ "$status" -eq 0 ]
        run vers execute "pg_ctl reload -D /var/lib/postgresql/15/main"
        [ "$status" -eq 0 ]
        run vers execute "psql -c 'GRANT ALL ON ALL TABLES IN SCHEMA public TO postgres;'"
        [ "$status" -eq 0 ]
        run vers execute "df -h"
        [ "$status" -eq 0 ]
        run vers execute "psql -c 'SELECT pg_switch_wal();'"
        [ "$status" -eq 0 ]
}

@test "an env whose processes died is started again when used" {
        pid=$(env_field base pid)
        [ "$pid" -gt 0 ]
        kill -9 "$pid"
        wait_for -m "env base to show as stopped once its pid $pid was killed" env_state_is base stopped
        run vers execute "psql -Atc 'SELECT count(*) FROM users'"
        [ "$status" -eq 0 ]
        [ "$output" = 2000 ]
}

@test "shutdown removes the cgroup of an env whose processes died" {
        vers run --alias died >/dev/null
        cg=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT cgroup FROM envs WHERE alias = 'died'")
        [ -n "$cg" ]
        dir=$(ls -d /sys/fs/cgroup/freezer/"$cg" /sys/fs/cgroup/"$cg" 2>/dev/null | head -1)
        [ -d "$dir" ]
        pid=$(env_field died pid)
        kill -9 "$pid"
        wait_for -m "env died's PID 1 ($pid) to be gone" test ! -d "/proc/$pid"
        vers shutdown >/dev/null
        [ ! -d "$dir" ]
        [ ! -d "$(dirname "$dir")" ] || [ -z "$(find "$(dirname "$dir")" -mindepth 1 -type d)" ]
}
