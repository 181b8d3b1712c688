#!/usr/bin/env bats
# The seed's Dockerfile as written (examples/ecommerce/docker): FROM ubuntu:22.04, pulled
# through the docker.io mirror that a registries.conf names (a docker-registry on loopback,
# started here, serving a Debian 12 minbase rootfs this file makes with debootstrap as
# library/ubuntu:22.04: the real ubuntu:22.04 has PostgreSQL 14, not the seed's 15), apt-get
# from the machine's archive during RUN steps, startup.sh bringing PostgreSQL up on 'vers
# run', EXPOSE 5432 as the tunnel's default port, and the seed's patterns on top; then
# [services.postgres] on the pulled image, with the image's own server.

load helpers
load registry

setup_file() {
        vers_setup_root
        export VERS_CACHE DPROJ SPROJ
        VERS_CACHE=$(mktemp -d /tmp/vers-test-cache.XXXXXX)
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        registry_start
        registry_push_debian "127.0.0.1:$REGISTRY_PORT/library/ubuntu:22.04" --config.cmd=bash
        registry_mirror_conf "$REGISTRY_PORT"
        DPROJ=$(mktemp -d /tmp/vers-test-seed.XXXXXX) && chmod 755 "$DPROJ"
        cp -r "$REPO/examples/ecommerce/docker/." "$DPROJ/"
        cp "$REPO/examples/ecommerce/"{schema.sql,seed.sql,seed-data.sql,checksum.sql} "$DPROJ/"
        sed -i 's/^cluster_mib = .*/cluster_mib = 6000/' "$DPROJ/vers.toml"
        SPROJ=$(mktemp -d /tmp/vers-test-seed-svc.XXXXXX) && chmod 755 "$SPROJ"
}
teardown() { tunnel_stop; }

# env deb, run from the seed's image (built if no test built it yet) with the seed's schema
# and data loaded: the tests that use it call this rather than count on an earlier test
need_deb() {
        cd "$DPROJ"
        env_json deb >/dev/null || vers run --alias deb >/dev/null
        load_seed
}
load_seed() {
        [ "$(vers execute -b deb "psql -Atc \"SELECT to_regclass('users') IS NULL\"")" = t ] || return 0
        vers execute -b deb "psql -v ON_ERROR_STOP=1 -q -f schema.sql && psql -v ON_ERROR_STOP=1 -q -f seed-data.sql"
}
teardown_file() {
        registry_stop_all
        vers_teardown_root
        rm -rf "${DPROJ:-}" "${SPROJ:-}" "${VERS_CACHE:-}"
        return 0
}

@test "the seed's Dockerfile builds as written, FROM ubuntu:22.04 through the docker.io mirror" {
        cd "$DPROJ"
        grep -qx 'FROM ubuntu:22.04' Dockerfile
        run vers build
        echo "$output" | grep '^vers: ' | tail -20
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 1/13 FROM ubuntu:22.04"* ]]
        [[ "$output" == *"pulling docker.io/library/ubuntu:22.04"* ]]
        [[ "$output" == *"step 5/13 RUN /etc/init.d/postgresql start"* ]]
        [[ "$output" == *"built image"* ]]
        # a rebuild is all cache, and asks no registry
        registry_stop
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"every step came from the cache"* ]]
        [[ "$output" != *"pulling"* ]]
}

@test "vers run starts startup.sh: PostgreSQL and the SSH server are up when it returns" {
        cd "$DPROJ"
        run vers run --alias deb-start
        [ "$status" -eq 0 ]
        run vers execute -b deb-start "psql -Atc 'SELECT current_database(), current_user'"
        if [ "$output" != "app|postgres" ]; then # say why the server is not there
                echo "psql: $output" >&2
                vers logs -b deb-start -n 40 >&2 || true
                vers execute -b deb-start 'tail -n 40 /var/log/postgresql/*.log' >&2 || true
                false
        fi
        # the mirror's image: Debian 12 under the name ubuntu:22.04
        run vers execute -b deb-start 'cat /etc/debian_version; ps -eo comm | grep -c sshd; node --version'
        [[ "${lines[0]}" == 12.* ]]
        [ "${lines[1]}" -ge 1 ]
        [[ "${lines[2]}" == v* ]]
        # the image's own /usr, not the host's
        run vers execute -b deb-start 'test -w /usr && echo writable; grep -c . /.vers/own-root'
        [ "$output" = "$(printf 'writable\n1')" ]
        vers kill -y deb-start >/dev/null
}

@test "the seed's schema and data load, and a host-side psql reaches them through vers tunnel" {
        need_deb
        [ "$(vers execute -b deb "psql -Atc 'SELECT count(*) FROM users'")" = 2000 ]
        tunnel_start deb 0:
        run env PGPASSWORD=postgres psql -h 127.0.0.1 -p "$TUNNEL_PORT" -U postgres -d app -Atc 'SELECT count(*) FROM orders'
        tunnel_stop
        grep -q "port 5432" "$TUNNEL_OUT" # EXPOSE 22 5432: the database port
        [ "$output" = 5000 ]
}

@test "commit and branch: the Rollback pattern on the Dockerfile-built env" {
        need_deb
        vers commit -b deb --tag deb-seeded >/dev/null
        vers branch deb-seeded --alias deb-b >/dev/null
        vers execute -b deb-b "psql -qc 'DELETE FROM order_items; DELETE FROM orders'"
        [ "$(count_of deb-b orders)" = 0 ]
        [ "$(count_of deb orders)" = 5000 ]
        vers rollback deb-seeded -b deb-b >/dev/null
        [ "$(count_of deb-b orders)" = 5000 ]
        [ "$(checksums deb-b)" = "$(checksums deb)" ]
}

@test "node pg inside the env with the seed's settings (localhost:5432, postgres/postgres)" {
        need_node_pg
        need_deb
        cp -r "$REPO/examples/ecommerce/node_modules" "$DPROJ/"
        run vers execute -b deb "node -e \"const {Pool}=require('pg'); const p=new Pool({host:'localhost',port:5432,database:'app',user:'postgres',password:'postgres'}); p.query('SELECT count(*) AS n FROM users').then(r=>{console.log(r.rows[0].n); return p.end()})\""
        [ "$output" = 2000 ]
}

@test "[services.postgres] on the pulled image runs the image's own PostgreSQL" {
        # the seed's image (built if no test built it yet), whose first step this one shares
        (cd "$DPROJ" && vers build >/dev/null)
        cd "$SPROJ"
        printf '[storage]\ncluster_mib = 3000\n\n[builder]\ndockerfile = "Dockerfile"\n\n[services.postgres]\ntemplate = "postgres@15"\ndatabases = ["shop"]\n' > vers.toml
        # the seed's first step, word for word: its layer comes from the cache
        sed -n '/^FROM /,/rm -rf/p' "$DPROJ/Dockerfile" > Dockerfile
        run vers build
        echo "$output" | grep '^vers: ' | tail -20
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 2/2 RUN apt-get update"*"(cached)"* ]]
        vers run --alias svc >/dev/null
        run vers execute -b svc "psql -Atc 'SELECT current_database(), version()'"
        [ "$status" -eq 0 ]
        [[ "$output" == "shop|PostgreSQL 15."* ]]
        # the server is the image's: /usr is the image's own tree (written by its RUN steps),
        # and the postmaster was started from it
        run vers execute -b svc 'test -w /usr && echo own-usr; tr "\0" " " < /proc/$(head -1 /var/lib/postgresql/15/main/postmaster.pid)/cmdline'
        [ "${lines[0]}" = own-usr ]
        [[ "${lines[1]}" == "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main"* ]]
        vers kill -y svc >/dev/null
}
