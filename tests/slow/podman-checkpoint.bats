#!/usr/bin/env bats
# vers export --checkpoint (experimental, not part of 'make check': 'make
# check-podman-checkpoint'): a warm commit written in the layout of 'podman container
# checkpoint --export' and restored by Debian 12's podman with runc and vers's CRIU 4.2.1
# (crun 1.8 has no CRIU; runc's own 'criu' would be the system's 3.17). The env runs
# memcounter, whose only state is in its memory: hit twice before the commit, the restored
# container answers 3.
#
# What the restore needs besides the archive (which carries its CRIU configuration and the
# hook that brings loopback up), all on the podman command line:
#   PATH with /opt/vers/criu/bin first  podman checks 'criu --version' itself (>= 3.11)
#   --runtime runc --runtime-flag criu=/opt/vers/criu/bin/criu   runc runs that CRIU
#   --storage-opt overlay.mountopt=noatime   the dump's root mount is noatime, and CRIU cannot
#                                       change a locked root mount's atime flags
# and the cgroups the dump names must exist (CRIU puts the restored tasks in them): while the
# source env runs they are its own; once it is gone the restore fails until they are made.

load ../cli/helpers
load ../cli/registry
load ../cli/podman

CRIU_DIR=/opt/vers/criu/bin

setup_file() {
        [ -x "$CRIU_DIR/criu" ] || return 0 # every test skips, saying why
        command -v runc >/dev/null || return 0
        vers_setup_root
        export VERS_CACHE WORK
        VERS_CACHE=$(mktemp -d /tmp/vers-test-cache.XXXXXX)
        WORK=$(mktemp -d /tmp/vers-test-podckpt.XXXXXX) && chmod 755 "$WORK"
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        registry_start
        registry_tiny_rootfs "$WORK/tiny"
        registry_copy_binary "$WORK/tiny" "$VERS_PROGS/memcounter"
        registry_push "$WORK/tiny" "127.0.0.1:$REGISTRY_PORT/tiny:1"
        mkdir -p "$WORK/proj" && cd "$WORK/proj"
        printf '[vm]\nmemory_mib = 256\n\n[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = "Dockerfile"\n' > vers.toml
        printf 'FROM 127.0.0.1:%s/tiny:1\n' "$REGISTRY_PORT" > Dockerfile
        "$VERS_BIN" build >/dev/null 2>&1
        "$VERS_BIN" run --alias base >/dev/null
        warm_usable || return 0
        "$VERS_BIN" execute -b base "memcounter serve 7001"
        [ "$("$VERS_BIN" execute -b base 'memcounter hit 7001')" = 1 ]
        [ "$("$VERS_BIN" execute -b base 'memcounter hit 7001')" = 2 ]
        "$VERS_BIN" commit -b base --warm --tag counter-at-2 >/dev/null
        "$VERS_BIN" commit -b base --cold --tag cold >/dev/null
        podman_setup
}

teardown_file() {
        podman_teardown
        local d
        for d in $(cat "${WORK:-/nonexistent}/made-cgroups" 2>/dev/null); do rmdir "$d" 2>/dev/null; done
        registry_stop_all
        vers_teardown_root
        rm -rf "${WORK:-}" "${VERS_CACHE:-}"
        return 0
}

setup() {
        [ -x "$CRIU_DIR/criu" ] || skip "no CRIU in $CRIU_DIR (scripts/criu-install.sh)"
        command -v runc >/dev/null || skip "no runc (apt-get install runc)"
        skip_unless_warm
        cd "$WORK/proj"
}

# podman as the restore needs it (see the top of this file)
podman_ckpt() {
        PATH="$CRIU_DIR:$PATH" podman_ --runtime runc --runtime-flag "criu=$CRIU_DIR/criu" \
                --storage-opt overlay.mountopt=noatime "$@"
}

@test "--checkpoint of a cold commit is one line saying it needs a warm one" {
        run vers export cold --checkpoint -o "$WORK/cold.tar.gz"
        [ "$status" -ne 0 ]
        [[ "${lines[-1]}" == "vers: commit 'cold' is cold: --checkpoint needs a warm commit"* ]]
        [ ! -e "$WORK/cold.tar.gz" ]
}

@test "--checkpoint with --format is a usage error (the format is the image's)" {
        run vers export counter-at-2 --checkpoint --format docker -o "$WORK/f.tar.gz"
        [ "$status" -eq 129 ]
        [ "${lines[0]}" = "vers: --format is the image's; --checkpoint writes podman's checkpoint archive" ]
        [ ! -e "$WORK/f.tar.gz" ]
}

@test "--checkpoint before the commit's image was exported says to export it first" {
        run vers export counter-at-2 --checkpoint -o "$WORK/early.tar.gz"
        [ "$status" -ne 0 ]
        [[ "${lines[-1]}" == "vers: commit 'counter-at-2' has no exported image: run 'vers export counter-at-2 -o IMAGE'"* ]]
        [ ! -e "$WORK/early.tar.gz" ]
}

@test "the archive has podman's layout and names the image podman loaded, by name and id" {
        vers export counter-at-2 -o "$WORK/image.oci"
        podman_ load -q -i "$WORK/image.oci"
        run vers export counter-at-2 --checkpoint -o "$WORK/ckpt.tar.gz"
        [ "$status" -eq 0 ]
        run tar -tzf "$WORK/ckpt.tar.gz"
        for f in config.dump spec.dump network.status rootfs-diff.tar checkpoint/inventory.img \
                checkpoint/pstree.img checkpoint/descriptors.json; do
                [[ " ${lines[*]} " == *" $f "* ]] || { echo "no $f in: ${lines[*]}" >&2; false; }
        done
        [[ " ${lines[*]} " != *"criu.pid"* ]]
        mkdir -p "$WORK/x" && tar -C "$WORK/x" -xzf "$WORK/ckpt.tar.gz" config.dump spec.dump
        local id name
        id=$(jq -r .rootfsImageID "$WORK/x/config.dump")
        name=$(jq -r .rootfsImageName "$WORK/x/config.dump")
        [ "$(podman_ image inspect --format '{{.Id}}' "$name")" = "$id" ]
        json_ok '.runtime == "runc" and .command == ["/.vers/init"]' "$(cat "$WORK/x/config.dump")"
        [ "$(jq -r '.annotations["org.criu.config"]' "$WORK/x/spec.dump")" = vers-criu.conf ]
        [ "$(tar -xzOf "$WORK/ckpt.tar.gz" vers-criu.conf)" = "$(printf 'ext-mount-map auto\nskip-file-rwx-check')" ]
        json_ok '.hooks.createRuntime[0].path == "/bin/sh"' "$(cat "$WORK/x/spec.dump")"
}

@test "podman restores the warm commit: the in-memory counter continues at 3" {
        [ -f "$WORK/ckpt.tar.gz" ] || {
                vers export counter-at-2 -o "$WORK/image.oci"
                podman_ load -q -i "$WORK/image.oci"
                vers export counter-at-2 --checkpoint -o "$WORK/ckpt.tar.gz"
        }
        run podman_ckpt container restore --import "$WORK/ckpt.tar.gz"
        echo "$output"
        if [ "$status" -ne 0 ]; then
                local log
                log=$(sed -n 's/^log file: //p' <<< "$output")
                [ -z "$log" ] || grep 'Error (' "$log" >&2
                false
        fi
        local name
        name=$(tar -xzOf "$WORK/ckpt.tar.gz" config.dump | jq -r .name)
        [ "$(podman_ inspect --format '{{.State.Status}}' "$name")" = running ]
        [ "$(podman_ckpt exec "$name" memcounter hit 7001)" = 3 ]
        [ "$(podman_ckpt exec "$name" memcounter hit 7001)" = 4 ]
        # the source env is untouched: its own counter goes on from 2
        [ "$(vers execute -b base 'memcounter hit 7001')" = 3 ]
        podman_ rm -f "$name" >/dev/null
}

@test "once the source env is gone the restore fails on its cgroup, and works once that is made" {
        [ -f "$WORK/ckpt.tar.gz" ] || skip "needs the archive of the tests above"
        local cg name log
        cg=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT cgroup FROM envs WHERE alias = 'base'")
        [ -n "$cg" ]
        vers kill -y base >/dev/null
        name=$(tar -xzOf "$WORK/ckpt.tar.gz" config.dump | jq -r .name)
        podman_ rm -f "$name" >/dev/null 2>&1 || true
        run podman_ckpt container restore --import "$WORK/ckpt.tar.gz"
        [ "$status" -ne 0 ]
        log=$(sed -n 's/^log file: //p' <<< "$output")
        grep "Error (criu/cgroup.c" "$log" >&3 || true
        grep -q "couldn't set cgns prefix .*/$cg/cgroup.procs: No such file or directory" "$log"
        podman_ rm -f "$name" >/dev/null 2>&1 || true
        local c
        for c in cpu memory pids freezer; do
                [ -d "/sys/fs/cgroup/$c" ] || continue
                [ -d "/sys/fs/cgroup/$c/$cg" ] && continue
                mkdir -p "/sys/fs/cgroup/$c/$cg" && echo "/sys/fs/cgroup/$c/$cg" >> "$WORK/made-cgroups"
        done
        run podman_ckpt container restore --import "$WORK/ckpt.tar.gz"
        [ "$status" -eq 0 ] || { echo "$output"; false; }
        [ "$(podman_ckpt exec "$name" memcounter hit 7001)" = 3 ]
        podman_ rm -f "$name" >/dev/null
}
