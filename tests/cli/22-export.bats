#!/usr/bin/env bats
# vers export: a commit of an image built FROM a registry image (a Debian 12 rootfs on the
# loopback registry, PostgreSQL 15 from the apt archive, [services.postgres]) as an
# oci-archive and a docker-archive that Debian 12's podman loads and runs: its PostgreSQL
# serves the committed rows. FROM host is refused; bad files, formats and commits fail
# with one line and leave no file.

load helpers
load registry
load podman

setup_file() {
        vers_setup_root
        export VERS_CACHE XPROJ OUT
        VERS_CACHE=$(mktemp -d /tmp/vers-test-cache.XXXXXX)
        OUT=$(mktemp -d /tmp/vers-test-export.XXXXXX)
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        registry_start
        local tar rootfs
        tar=$(registry_debian_rootfs)
        rootfs=$(mktemp -d "$BATS_FILE_TMPDIR/deb.XXXXXX")
        tar -C "$rootfs" --numeric-owner -xpf "$tar"
        printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
        chmod 755 "$rootfs/usr/sbin/policy-rc.d"
        registry_push "$rootfs" "127.0.0.1:$REGISTRY_PORT/deb:12" \
                --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        rm -rf "$rootfs"
        XPROJ=$(mktemp -d /tmp/vers-test-xproj.XXXXXX) && chmod 755 "$XPROJ"
        cd "$XPROJ"
        printf '[storage]\ncluster_mib = 3000\n\n[builder]\ndockerfile = "Dockerfile"\n\n[services.postgres]\ntemplate = "postgres@15"\ndatabases = ["shop"]\n' > vers.toml
        printf 'FROM 127.0.0.1:%s/deb:12\nRUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 && rm -rf /var/lib/apt/lists/*\n' "$REGISTRY_PORT" > Dockerfile
        "$VERS_BIN" build >&3 2>&1
        "$VERS_BIN" run --alias x >/dev/null
        "$VERS_BIN" execute -b x "psql -v ON_ERROR_STOP=1 -qc 'CREATE TABLE t(v text); INSERT INTO t VALUES (\$\$committed\$\$)'"
        "$VERS_BIN" commit x -t shipped -m 'one row' >/dev/null
        podman_setup
}
teardown_file() {
        podman_teardown
        registry_stop_all
        vers_teardown_root
        rm -rf "${XPROJ:-}" "${VERS_CACHE:-}" "${OUT:-}"
        return 0
}

# load FILE, run it with no network, wait for its PostgreSQL, print what psql reads
podman_query() { # file name
        local id
        id=$(podman_ load -q -i "$1" | sed -n 's/^Loaded image[^:]*: //p' | tail -1)
        [ -n "$id" ] || return 1
        podman_ run -d --name "$2" --network none "$id" >/dev/null || return 1
        wait_for -t 120 -i 0.5 -m "PostgreSQL in container $2" \
                podman_ exec "$2" pg_isready -q -h 127.0.0.1 -p 5432 || { podman_ logs "$2" >&2; return 1; }
        podman_ exec -e PGPASSWORD=postgres "$2" psql -h 127.0.0.1 -U postgres -d shop -Atc 'SELECT v FROM t'
}

@test "vers export writes an oci-archive that podman loads and runs: the committed rows" {
        cd "$XPROJ"
        VERS_PROGRESS=1 run vers export shipped -o "$OUT/x.oci"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"export: writing the image layer"* ]]
        [ -s "$OUT/x.oci" ]
        # the base's own layer, the image's, the commit's; labels on the config
        run podman_query "$OUT/x.oci" c-oci
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = committed ]
        run podman_ image inspect --format '{{index .Labels "dev.vers.tag"}} {{index .Labels "dev.vers.message"}}' "$(podman_ images -q | head -1)"
        [ "$output" = "shipped one row" ]
        podman_ rm -f c-oci >/dev/null
}

@test "a second export re-uses the image layer; the same commit gives the same layers" {
        cd "$XPROJ"
        VERS_PROGRESS=1 run vers export shipped -o "$OUT/y.oci"
        [ "$status" -eq 0 ]
        [[ "$output" == *"the image layer"*"is kept from before"* ]]
        mkdir "$OUT/a" "$OUT/b"
        tar -C "$OUT/a" -xf "$OUT/x.oci" && tar -C "$OUT/b" -xf "$OUT/y.oci"
        [ "$(ls "$OUT/a/blobs/sha256" | sort)" = "$(ls "$OUT/b/blobs/sha256" | sort)" ]
        # no postmaster.pid in any layer
        for l in "$OUT"/a/blobs/sha256/*; do
                ! tar -tf "$l" 2>/dev/null | grep -q 'postmaster.pid$'
        done
}

@test "vers export --format docker writes a docker-archive that podman runs" {
        cd "$XPROJ"
        run vers export shipped -o "$OUT/x.tar" --format docker
        [ "$status" -eq 0 ]
        run podman_query "$OUT/x.tar" c-docker
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = committed ]
        podman_ rm -f c-docker >/dev/null
}

@test "bad format, missing -o, unknown commit, unwritable file: one line, no file left" {
        cd "$XPROJ"
        run vers export shipped -o "$OUT/z" --format zip
        [ "$status" -eq 129 ]
        [[ "${lines[0]}" == *"--format 'zip': not oci or docker"* ]]
        run vers export shipped
        [ "$status" -eq 129 ]
        [[ "${lines[0]}" == *"-o FILE is required"* ]]
        run vers export no-such-commit -o "$OUT/z"
        [ "$status" -ne 0 ]
        [[ "$output" == *"no-such-commit"* ]]
        run vers export x -o "$OUT/z"
        [ "$status" -ne 0 ]
        [[ "$output" == *"is an env, not a commit"* ]]
        run vers export shipped -o "$OUT/no-such-dir/z"
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -ge 1 ]
        [ ! -e "$OUT/z" ]
        [ -z "$(ls "$OUT" | grep -v -e '^x\.' -e '^y\.' -e '^a$' -e '^b$')" ]
}

@test "a commit of an image built FROM host is refused, naming why" {
        cd "$PROJ"
        vers run --alias h >/dev/null
        vers commit h -t hosty >/dev/null
        run vers export hosty -o "$OUT/h.oci"
        [ "$status" -ne 0 ]
        [[ "$output" == *"FROM host"*"this machine's /usr"*"debian:<suite> or a registry image"* ]]
        [ ! -e "$OUT/h.oci" ]
        vers kill -y h >/dev/null
}
