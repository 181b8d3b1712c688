#!/usr/bin/env bats
# What an env's tree can make vers export do: a sparse file costs the env nothing and the layer
# its whole size, so one larger than the room left where the layer is written is refused before
# it is written (VERS_CACHE is a small tmpfs here, so that the failure, were it to come back,
# fills only that). Files of the host in the tree (ids outside the range) are root's in the image.

load helpers
load registry

setup_file() {
        vers_setup_root
        export VERS_CACHE WORK
        VERS_CACHE=$(mktemp -d /tmp/vers-test-cache.XXXXXX)
        mount -t tmpfs -o size=768m vers-test-cache "$VERS_CACHE"
        WORK=$(mktemp -d /tmp/vers-test-hostile.XXXXXX) && chmod 755 "$WORK"
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        registry_start
        registry_tiny_rootfs "$WORK/tiny" truncate
        registry_push "$WORK/tiny" "127.0.0.1:$REGISTRY_PORT/tiny:1"
        mkdir -p "$WORK/proj" && cd "$WORK/proj"
        printf '[vm]\nmemory_mib = 256\n\n[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = "Dockerfile"\n' > vers.toml
        printf 'FROM 127.0.0.1:%s/tiny:1\n' "$REGISTRY_PORT" > Dockerfile
        "$VERS_BIN" build > "$WORK/build.log" 2>&1 || { tail -20 "$WORK/build.log" >&2; return 1; }
        "$VERS_BIN" run --alias base >/dev/null
}

teardown_file() {
        registry_stop_all
        vers_teardown_root
        umount "${VERS_CACHE:-/nonexistent}" 2>/dev/null
        rm -rf "${WORK:-}" "${VERS_CACHE:-}"
        return 0
}

@test "a sparse file larger than the room where the layer goes is refused before it is written" {
        cd "$WORK/proj"
        vers execute -b base 'truncate -s 4G /big'
        vers commit -b base --cold -t sparse >/dev/null
        run vers export sparse -o "$WORK/sparse.oci"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "${lines[${#lines[@]} - 1]}" == "vers: "*"'big' is 4.0 GiB (0.0 MiB on disk): the layer would not fit"* ]]
        [ ! -e "$WORK/sparse.oci" ]
        # nothing of it is left where the layer was being written
        [ -z "$(find "$VERS_CACHE/ship/blobs" -name 'tmp-*')" ]
        [ "$(df --output=used -B1M "$VERS_CACHE" | tail -1)" -lt 256 ]
}

@test "vers's own files in the tree (/.vers/init, mount points) are root's in the image, not nobody's" {
        cd "$WORK/proj"
        vers execute -b base 'truncate -s 0 /big'
        vers commit -b base --cold -t clean >/dev/null
        vers export clean -o "$WORK/clean.oci"
        mkdir "$WORK/clean" && tar -C "$WORK/clean" -xf "$WORK/clean.oci"
        local b listing=
        for b in "$WORK"/clean/blobs/sha256/*; do
                tar -tf "$b" >/dev/null 2>&1 || continue
                listing+=$(tar --numeric-owner -tvf "$b" 2>/dev/null)$'\n'
        done
        echo "$listing"
        # the entrypoint, which uid 65534 could rewrite were it nobody's
        grep -Eq '^-rwxr-xr-x 0/0 .* \.vers/init$' <<<"$listing"
        ! grep -q ' 65534/' <<<"$listing"
}

# roots and caches a test made, removed in teardown
setup() { : >"$BATS_TEST_TMPDIR/made"; }
teardown() {
        local d
        while read -r d; do
                [ -f "$d/vers.db" ] && (VERS_ROOT=$d PROJ= vers_teardown_root)
                rm -rf "$d"
        done <"$BATS_TEST_TMPDIR/made"
}

@test "an unbundled commit exports where its sender's registry base was never pulled: the bundle's base is not kept" {
        cd "$WORK/proj"
        vers commit -b base --cold -t moved >/dev/null
        vers bundle create "$WORK/moved.vb" moved >/dev/null
        # the sender's image names its base, and the bundle carries that file
        tar -tf "$WORK/moved.vb" | grep -qx image/base
        local r c
        r=$(mktemp -d /tmp/vers-test-root.XXXXXX) && echo "$r" >>"$BATS_TEST_TMPDIR/made"
        c=$(mktemp -d /tmp/vers-test-cache.XXXXXX) && echo "$c" >>"$BATS_TEST_TMPDIR/made"
        VERS_ROOT=$r VERS_CACHE=$c "$VERS_BIN" bundle unbundle "$WORK/moved.vb" >/dev/null
        img=$(sqlite3 "$r/vers.db" "SELECT image FROM commits WHERE tag = 'moved'")
        [ -n "$img" ] && [ -d "$r/store/images/$img/.vers" ]
        [ ! -e "$r/store/images/$img/.vers/base" ]
        run env VERS_ROOT="$r" VERS_CACHE="$c" "$VERS_BIN" export moved -o "$WORK/moved.oci"
        echo "$output"
        [ "$status" -eq 0 ]
        [ -s "$WORK/moved.oci" ]
}

@test "vers pull keeps a parent the image names only when it is this project's commit" {
        cd "$WORK/proj"
        vers commit -b base --cold -t mine >/dev/null
        local mine
        mine=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM commits WHERE tag = 'mine'")
        registry_tiny_rootfs "$WORK/child"
        registry_push "$WORK/child" "127.0.0.1:$REGISTRY_PORT/child:1" \
                --manifest.annotation=dev.vers.parent="$mine"
        # another project's pull: its parent would be a commit of this one
        mkdir -p "$WORK/other" && cd "$WORK/other"
        printf '[vm]\nmemory_mib = 256\n' > vers.toml
        run --separate-stderr vers pull "127.0.0.1:$REGISTRY_PORT/child:1" --json
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"parent $mine not kept: it is another project's commit"* ]]
        id=$(jq -r .id <<<"$output")
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT ifnull(parent, '-') FROM commits WHERE id = '$id'")" = - ]
        # this project's: kept
        cd "$WORK/proj"
        run --separate-stderr vers pull "127.0.0.1:$REGISTRY_PORT/child:1" --json
        [ "$status" -eq 0 ]
        id=$(jq -r .id <<<"$output")
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT parent FROM commits WHERE id = '$id'")" = "$mine" ]
}
