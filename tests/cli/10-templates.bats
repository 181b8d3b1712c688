#!/usr/bin/env bats
# Service templates besides PostgreSQL: mariadb (alias mysql) and redis@7, together in one
# env; template errors.

load helpers

setup_file() {
        vers_setup_root
        export MS
        MS=$(mktemp -d /tmp/vers-test-ms.XXXXXX) && chmod 755 "$MS"
        cat > "$MS/vers.toml" <<'TOML'
[storage]
cluster_mib = 2000

[services.db]
template = "mysql"
databases = ["shop"]

[services.db.settings]
max_connections = 50

[services.cache]
template = "redis@7"

[services.cache.settings]
maxmemory = "64mb"
TOML
        cd "$MS"
        vers run --alias ms >/dev/null
}
teardown_file() {
        vers_teardown_root
        rm -rf "$MS"
}

setup() { cd "$MS"; }

@test "mariadb (as mysql) and redis run side by side with their settings and databases" {
        run vers execute "mariadb -N -e 'SELECT @@max_connections' && mariadb -N -e 'SHOW DATABASES LIKE \"shop\"'"
        [ "$status" -eq 0 ]
        [ "$output" = $'50\nshop' ]
        run vers execute "redis-cli config get maxmemory | tail -1"
        [ "$output" = 67108864 ]
        run vers execute "mariadb -h 127.0.0.1 -u vers -pvers -N -e 'SELECT 1'"
        [ "$output" = 1 ]
}

@test "both survive a cold branch (pre-commit hooks flush tables and save the dataset)" {
        vers execute "mariadb shop -e 'CREATE TABLE t(x int); INSERT INTO t VALUES (42)' && redis-cli set k cold-value >/dev/null"
        vers commit --cold --tag ms-cold
        vers branch ms-cold --alias ms-cold-b
        run vers execute -b ms-cold-b "mariadb -N shop -e 'SELECT x FROM t' && redis-cli get k"
        [ "$output" = $'42\ncold-value' ]
}

@test "both survive a warm branch" {
        skip_unless_warm
        vers execute "mariadb shop -e 'CREATE TABLE tw(x int); INSERT INTO tw VALUES (43)' && redis-cli set w warm-value >/dev/null"
        run vers commit --tag ms-warm
        [[ "$output" == *"(warm, "* ]]
        run vers branch ms-warm --alias ms-warm-b
        [[ "$output" == *"(warm, "* ]]
        run vers execute -b ms-warm-b "mariadb -N shop -e 'SELECT x FROM tw' && redis-cli get w"
        [ "$output" = $'43\nwarm-value' ]
}

@test "logs shows each service's log" {
        run vers logs -n 2
        [[ "$output" == *"==> /var/log/mysql/error.log <=="* ]]
        [[ "$output" == *"==> /var/log/redis/redis-server.log <=="* ]]
}

@test "an unknown template lists the available ones; mongodb says why it cannot be" {
        d=$(mktemp -d) && chmod 755 "$d"
        printf '[services.x]\ntemplate = "oracle@23"\n' > "$d/vers.toml"
        cd "$d"
        run vers build
        [ "$status" -eq 1 ]
        [[ "$output" == *"unknown template 'oracle@23' (available: postgres@15, mariadb (or mysql), redis@7); postgres@N takes any PostgreSQL major N the image has"* ]]
        printf '[services.p]\ntemplate = "postgres@"\n' > "$d/vers.toml"
        run vers build
        [ "$status" -eq 1 ]
        [[ "$output" == *"template 'postgres@': '' is not a PostgreSQL major"* ]]
        printf '[services.m]\ntemplate = "mongodb@7"\n' > "$d/vers.toml"
        run vers build
        [ "$status" -eq 1 ]
        [[ "$output" == *"MongoDB is not packaged in Debian 12, so vers has no template for it; an image that brings it needs none (FROM mongo:7 and no [services]: its CMD starts the server)"* ]]
        cd /
        rm -rf "$d"
}

@test "a vers-integration.yaml service uses the same templates" {
        cat > vers-integration.yaml <<'YAML'
name: kv
services:
  cache:
    template: redis@7
tests:
  ping:
    command: redis-cli ping | grep -q PONG && redis-cli get seeded | grep -q yes
    depends_on: [cache]
checkpoints:
  - name: kv-seeded
    after: redis-cli set seeded yes
YAML
        run --separate-stderr vers test --json
        rm -f vers-integration.yaml
        [ "$status" -eq 0 ]
        json_ok '.passed == 1 and .failed == 0'
}
