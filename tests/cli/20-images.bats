#!/usr/bin/env bats
# Service templates on the image's own binaries, and images that start their own server:
#  - postgres@N is checked in the image once its steps ran (the host's /usr for FROM host);
#  - FROM debian:bookworm with PostgreSQL installed by a RUN step runs the image's postmaster
#    (debootstrap's tarball is cached in VERS_CACHE, shared with 12-debian.bats);
#  - an image whose ENTRYPOINT initialises and starts PostgreSQL itself (the official image's
#    way: POSTGRES_PASSWORD from ENV), EXPOSE 5432 and no [services]: vers run returns once
#    5432 listens, and its data commits and branches like any env's.

load helpers

setup_file() {
        vers_setup_root
        export IMG
        IMG=$(mktemp -d /tmp/vers-test-img.XXXXXX) && chmod 755 "$IMG"
}
teardown_file() {
        vers_teardown_root
        [ -n "${IMG:-}" ] && rm -rf "$IMG"
        return 0
}

# a project directory under $IMG: NAME, vers.toml text, Dockerfile text. Every vers.toml here
# says cluster_mib = 4000: the root's store is made, at that size, by the first command.
project() {
        mkdir -p "$IMG/$1" && chmod 755 "$IMG/$1"
        printf '%b' "$2" > "$IMG/$1/vers.toml"
        [ -z "${3:-}" ] || printf '%b' "$3" > "$IMG/$1/Dockerfile"
        cd "$IMG/$1"
}

need_debootstrap() {
        [ -x /usr/sbin/debootstrap ] || [ "${CI:-}" = true ] ||
                skip "debootstrap is not installed (run make deps)"
}

@test "postgres@N: a major the image lacks is one line naming the binary and the package" {
        project host16 '[storage]\ncluster_mib = 4000\n\n[services.postgres]\ntemplate = "postgres@16"\n'
        [ ! -e /usr/lib/postgresql/16/bin/postgres ] || skip "this host has PostgreSQL 16"
        run --separate-stderr vers build
        [ "$status" -eq 1 ]
        [ "$(tail -1 <<<"$stderr")" = "vers: service 'postgres': template 'postgres@16' needs /usr/lib/postgresql/16/bin/postgres, which the host (FROM host binds its /usr) does not have (apt-get install postgresql-16)" ]
        # not a major: refused before any step
        project hostx '[storage]\ncluster_mib = 4000\n\n[services.postgres]\ntemplate = "postgres@x"\n'
        run --separate-stderr vers build
        [ "$status" -eq 1 ]
        [[ "$stderr" == "vers: service 'postgres': template 'postgres@x': 'x' is not a PostgreSQL major"* ]]
        [[ "$stderr" != *"step 1/"* ]]
}

@test "FROM debian:bookworm-slim without PostgreSQL: the image, not the host, is what is checked" {
        need_debootstrap
        project slim '[storage]\ncluster_mib = 4000\n\n[services.postgres]\ntemplate = "postgres@15"\n' \
                'FROM debian:bookworm-slim\nRUN true\n'
        run --separate-stderr vers build
        echo "$stderr" | tail -5
        [ "$status" -eq 1 ]
        [ "$(echo "$stderr" | tail -1)" = "vers: service 'postgres': template 'postgres@15' needs /usr/lib/postgresql/15/bin/postgres, which the image does not have (install postgresql-15 in a RUN step)" ]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM images WHERE state = 'ready'")" = 0 ]
}

@test "FROM debian:bookworm + postgresql-15 in a RUN step: the env runs the image's postmaster" {
        need_debootstrap
        project deb '[storage]\ncluster_mib = 4000\n\n[services.postgres]\ntemplate = "postgres"\ndatabases = ["app"]\n' \
                'FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*\n'
        run vers build
        echo "$output" | tail -25
        [ "$status" -eq 0 ]
        # a bare "postgres" is the one major the image has
        id=$(vers build --json 2>/dev/null | jq -r .image)
        grep -qP '^postgres\tpostgres@15\tapp$' "$VERS_ROOT/store/images/$id/.vers/clients"
        vers run --alias deb >/dev/null
        [ "$(vers execute -b deb 'psql -Atc "SELECT current_database()"')" = app ]
        # the postmaster (PID 1's child) runs the binary of the env's own tree, not the host's
        init=$(env_field deb pid)
        envid=$(env_field deb id)
        pm=
        for c in $(cat /proc/"$init"/task/*/children); do
                [ "$(cat /proc/"$c"/comm)" = postgres ] && pm=$c
        done
        [ -n "$pm" ]
        exe=$(stat -L -c '%d:%i' /proc/"$pm"/exe)
        [ "$exe" = "$(stat -c '%d:%i' "$VERS_ROOT/store/envs/$envid/rootfs/usr/lib/postgresql/15/bin/postgres")" ]
        if [ -e /usr/lib/postgresql/15/bin/postgres ]; then
                [ "$exe" != "$(stat -c '%d:%i' /usr/lib/postgresql/15/bin/postgres)" ]
        fi
        # commit and branch it like any env
        vers execute -b deb "psql -qc 'CREATE TABLE t(x int); INSERT INTO t VALUES (42)'"
        vers commit deb --tag deb-row >/dev/null
        vers branch deb-row --alias deb2 >/dev/null
        [ "$(vers execute -b deb2 'psql -Atc "SELECT x FROM t"')" = 42 ]
}

@test "an image that starts its own PostgreSQL: vers run returns once 5432 listens; its data commits and branches" {
        [ -x /usr/lib/postgresql/15/bin/postgres ] || skip "the host has no PostgreSQL 15 (FROM host)"
        project own '[vm]\nmemory_mib = 1024\n\n[storage]\ncluster_mib = 4000\n' \
                'FROM host\nENV POSTGRES_PASSWORD=s3cret-pw PGDATA=/var/lib/pgdata\nRUN mkdir -p /var/lib/pgdata && chown postgres:postgres /var/lib/pgdata && chmod 700 /var/lib/pgdata\nCOPY --chmod=755 entrypoint.sh /entrypoint.sh\nUSER postgres\nEXPOSE 5432\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["postgres"]\n'
        # like the official image's docker-entrypoint.sh: initialise an empty PGDATA with the
        # password from ENV through a server without TCP, then exec the real one
        cat > entrypoint.sh <<'EOF'
#!/bin/sh
set -e
B=/usr/lib/postgresql/15/bin
if [ ! -s "$PGDATA/PG_VERSION" ]; then
        pw=$(mktemp)
        echo "$POSTGRES_PASSWORD" > "$pw"
        "$B/initdb" -D "$PGDATA" -U postgres --pwfile="$pw" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
        rm -f "$pw"
        "$B/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -k /tmp" -w start >/dev/null
        "$B/psql" -h /tmp -U postgres -qc 'CREATE DATABASE app'
        "$B/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
if [ "$1" = postgres ]; then
        shift
        exec "$B/postgres" -D "$PGDATA" -c listen_addresses=127.0.0.1 -k /tmp "$@"
fi
exec "$@"
EOF
        run vers build
        echo "$output" | tail -5
        [ "$status" -eq 0 ]
        # the ready check is sh alone (a minimal image has no grep, ss or netstat)
        id=$(vers build --json 2>/dev/null | jq -r .image)
        run grep -v '^ *#' "$VERS_ROOT/store/images/$id/.vers/ready"
        [ "$status" -eq 0 ]
        [[ "$output" == *"listening 1538"* ]]
        ! grep -qwE 'grep|ss|netstat|cat|awk' <<<"$output"
        vers run --alias own >/dev/null
        # no waiting here: vers run returned only once the server answered on 5432, with the
        # password the ENTRYPOINT read from ENV
        q() { vers execute -b "$1" "PGPASSWORD=s3cret-pw /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -U postgres -d app -Atc \"$2\""; }
        [ "$(q own 'SELECT 1')" = 1 ]
        run vers execute -b own "PGPASSWORD=wrong /usr/lib/postgresql/15/bin/psql -h 127.0.0.1 -U postgres -d app -Atc 'SELECT 1'"
        [ "$status" -ne 0 ]
        # the ready check finds the port with no program on PATH
        vers execute -b own 'PATH=/nonexistent; . /.vers/ready'
        q own "CREATE TABLE t(x text); INSERT INTO t VALUES ('row-1')"
        vers commit own --tag own-row >/dev/null
        vers branch own-row --alias own-warm >/dev/null
        [ "$(q own-warm 'SELECT x FROM t')" = row-1 ]
        # a cold branch runs the ENTRYPOINT again on the committed PGDATA: no second initdb.
        # That PGDATA is a crash-consistent copy: PostgreSQL listens (and vers returns, as an
        # image's own server is ready once its port listens) before its recovery lets it answer
        vers branch own-row --alias own-cold --cold >/dev/null
        wait_for -m "the cold branch's server to finish its recovery" q own-cold 'SELECT 1' >/dev/null
        [ "$(q own-cold 'SELECT x FROM t')" = row-1 ]
        [ "$(q own-cold "SELECT count(*) FROM pg_database WHERE datname = 'app'")" = 1 ]
        # the branches are isolated from each other and from their source
        q own-warm "INSERT INTO t VALUES ('row-2')"
        [ "$(q own 'SELECT count(*) FROM t')" = 1 ]
        [ "$(q own-cold 'SELECT count(*) FROM t')" = 1 ]
        [ "$(q own-warm 'SELECT count(*) FROM t')" = 2 ]
}

@test "vers run does not wait out the ready check for a main command that exited, whatever its USER" {
        project gone '[storage]\ncluster_mib = 4000\n' \
                'FROM host\nUSER nobody\nEXPOSE 47999\nCMD ["sh", "-c", "echo main-ran; exit 3"]\n'
        t0=$SECONDS
        run vers run --alias gone
        echo "$output"
        [ "$status" -eq 0 ]
        # the ready check gives up on its own only after 60 s
        [ $((SECONDS - t0)) -lt 30 ]
        run vers logs gone
        [[ "$output" == *main-ran* ]]
}
