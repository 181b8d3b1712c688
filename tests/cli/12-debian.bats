#!/usr/bin/env bats
# The seed's Dockerfile (examples/ecommerce/docker), FROM debian:bookworm: debootstrap (its
# tarball cached in VERS_CACHE, default /var/cache/vers, so later builds unpack it), apt-get
# from the machine's Debian archive during RUN steps, startup.sh bringing PostgreSQL up on
# 'vers run', EXPOSE 5432 as the tunnel's default port, and the seed's patterns on top.
# Slow the first time on a machine (a few minutes); it does not skip in CI.

load helpers

setup_file() {
        if [ ! -x /usr/sbin/debootstrap ] && [ "${CI:-}" != true ]; then
                skip "debootstrap is not installed (run make deps)"
        fi
        vers_setup_root
        export DPROJ
        DPROJ=$(mktemp -d /tmp/vers-test-debian.XXXXXX) && chmod 755 "$DPROJ"
        cp -r "$REPO/examples/ecommerce/docker/." "$DPROJ/"
        cp "$REPO/examples/ecommerce/"{schema.sql,seed.sql,seed-data.sql,checksum.sql} "$DPROJ/"
        sed -i 's/^cluster_mib = .*/cluster_mib = 6000/' "$DPROJ/vers.toml"
        # a second root for the cache test, made here so that teardown_file sees its name
        export ROOT2
        ROOT2=$(mktemp -d /tmp/vers-test-root2.XXXXXX)
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
        vers_teardown_root
        [ -n "${DPROJ:-}" ] && rm -rf "$DPROJ"
        [ -n "${ROOT2:-}" ] && VERS_ROOT=$ROOT2 vers_teardown_root
        return 0
}

@test "the seed's Dockerfile builds FROM debian:bookworm" {
        cd "$DPROJ"
        run vers build
        echo "$output" | grep '^vers: ' | tail -20
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 1/13 FROM debian:bookworm"* ]]
        [[ "$output" == *"step 5/13 RUN /etc/init.d/postgresql start"* ]]
        [[ "$output" == *"built image"* ]]
        # a rebuild is all cache
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"every step came from the cache"* ]]
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
        run vers execute -b deb-start 'cat /etc/debian_version; ps -eo comm | grep -c sshd; node --version'
        [[ "${lines[0]}" == 12.* ]]
        [ "${lines[1]}" -ge 1 ]
        [[ "${lines[2]}" == v* ]]
        # the image's own /usr, not the host's
        run vers execute -b deb-start 'test -w /usr && echo writable; grep -c . /.vers/own-root'
        [ "$output" = "$(printf 'writable\n1')" ]
        vers kill -y deb-start >/dev/null
}

@test "the Debian base's apt uses the host's archive, as apt-get indextargets names it" {
        [ -z "${VERS_DEBIAN_MIRROR:-}" ] || skip "VERS_DEBIAN_MIRROR overrides the host's archive"
        targets=$(apt-get indextargets --no-release-info --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)' 'Identifier: Packages')
        uri=$(awk '$1 == "deb" && $3 == "bookworm" { sub("/+$", "", $2); print $2; exit }' <<<"$targets")
        sec=$(awk '$1 == "deb" && $3 == "bookworm-security" { sub("/+$", "", $2); print $2; exit }' <<<"$targets")
        [ -n "$uri" ] || skip "this machine's apt has no bookworm suite"
        need_deb
        run vers execute -b deb 'cat /etc/apt/sources.list'
        [ "${lines[0]}" = "deb $uri bookworm main" ]
        [ "${lines[1]}" = "deb $uri bookworm-updates main" ]
        if [ -n "$sec" ]; then
                [ "${lines[2]}" = "deb $sec bookworm-security main" ]
        fi
        # and apt inside reads them
        run vers execute -b deb 'apt-get indextargets --no-release-info --format "\$(REPO_URI)" | sort -u | wc -l'
        [ "$output" -ge 1 ]
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

@test "another root unpacks the cached Debian base instead of running debootstrap" {
        # the cached base: made by the first debian:bookworm build on this machine
        (cd "$DPROJ" && vers build >/dev/null)
        d=$(mktemp -d "$BATS_TEST_TMPDIR/second.XXXXXX") && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 2000\n\n[builder]\ndockerfile = "Dockerfile"\n' > "$d/vers.toml"
        printf 'FROM debian:bookworm-slim\nRUN cat /etc/debian_version > /version\n' > "$d/Dockerfile"
        cd "$d"
        run env VERS_ROOT="$ROOT2" "$VERS_BIN" build
        [ "$status" -eq 0 ]
        [[ "$output" == *"unpacking the cached debian:bookworm base"* ]]
        [[ "$output" != *"debootstrap bookworm from"* ]]
}
