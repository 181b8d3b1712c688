#!/usr/bin/env bats
# vers export: a commit of an image built FROM a registry image (a Debian 12 rootfs on the
# loopback registry, PostgreSQL 15 from the apt archive, [services.postgres]) as an
# oci-archive and a docker-archive that Debian 12's podman loads and runs: its PostgreSQL
# serves the committed rows. FROM host is refused; bad files, formats and commits fail
# with one line and leave no file.

load helpers
load registry
load podman
load ship

setup_file() {
        ship_setup_file
        export OUT
        OUT=$(mktemp -d /tmp/vers-test-export.XXXXXX)
        podman_setup
}
teardown_file() {
        podman_teardown
        ship_teardown_file
        rm -rf "${OUT:-}"
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
