# What 22-export, 23-push-pull and 24-kube share (load it after helpers and registry): a
# loopback registry serving a Debian 12 minbase rootfs as deb:12, a project FROM it with
# PostgreSQL 15 from the apt archive and [services.postgres] (database shop), built once and
# run as env x with one committed row in table t (commit 'shipped').
#   ship_setup_file   all of the above; sets XPROJ, VERS_CACHE (its own), REGISTRY_PORT
#   ship_teardown_file
ship_setup_file() {
        vers_setup_root
        export VERS_CACHE XPROJ
        VERS_CACHE=$(mktemp -d /tmp/vers-test-cache.XXXXXX)
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        REGISTRY_ACCESSLOG=1 registry_start
        registry_push_debian "127.0.0.1:$REGISTRY_PORT/deb:12"
        XPROJ=$(mktemp -d /tmp/vers-test-xproj.XXXXXX) && chmod 755 "$XPROJ"
        cd "$XPROJ"
        printf '[storage]\ncluster_mib = 3000\n\n[builder]\ndockerfile = "Dockerfile"\n\n[services.postgres]\ntemplate = "postgres@15"\ndatabases = ["shop"]\n' > vers.toml
        printf 'FROM 127.0.0.1:%s/deb:12\nRUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*\n' "$REGISTRY_PORT" > Dockerfile
        "$VERS_BIN" build > "$BATS_FILE_TMPDIR/build.log" 2>&1 || { tail -20 "$BATS_FILE_TMPDIR/build.log" >&2; return 1; }
        "$VERS_BIN" run --alias x >/dev/null
        "$VERS_BIN" execute -b x "psql -v ON_ERROR_STOP=1 -qc 'CREATE TABLE t(v text); INSERT INTO t VALUES (\$\$committed\$\$)'"
        "$VERS_BIN" commit x -t shipped -m 'one row' >/dev/null
}
ship_teardown_file() {
        registry_stop_all
        vers_teardown_root
        rm -rf "${XPROJ:-}" "${VERS_CACHE:-}"
}
