#!/usr/bin/env bats
# Disk space: a store.img its filesystem cannot back is refused at creation and, once that
# filesystem fills, before anything writes to it (not left to btrfs's EIO); deleting still
# works on a full host; the loop store is mounted nodiscard; vm_mib also counts subvolumes an
# env nests in its rootfs. Each test puts VERS_ROOT on a small tmpfs of its own.

load helpers

# tmpfs of $1 MiB at $HOST with VERS_ROOT inside; a project without services in $PROJ
# whose vers.toml asks for a store of $2 MiB ($3 = sparse: not allocated up front)
disk_root() {
        export HOST VERS_ROOT PROJ
        HOST=$(mktemp -d /tmp/vers-test-host.XXXXXX)
        mount -t tmpfs -o "size=${1}m" tmpfs "$HOST"
        VERS_ROOT="$HOST/root"
        mkdir "$VERS_ROOT"
        PROJ=$(mktemp -d /tmp/vers-test-proj.XXXXXX) && chmod 755 "$PROJ"
        printf '[storage]\ncluster_mib = %s\nvm_mib = 64\n' "$2" > "$PROJ/vers.toml"
        [ "${3:-}" != sparse ] || echo "sparse = true" >> "$PROJ/vers.toml"
        cd "$PROJ"
        unset VERS_ENV
}

# fill the tmpfs to the last block (dd stops with ENOSPC)
fill_host() {
        dd if=/dev/zero of="$HOST/fill" bs=1M status=none 2>/dev/null || true
        [ "$(df --output=avail "$HOST" | tail -1 | tr -d ' ')" -lt 1024 ]
}

teardown() {
        rm -f "${HOST:-/nonexistent}/fill"
        vers_teardown_root
        if [ -n "${HOST:-}" ]; then
                umount "$HOST" 2>/dev/null || umount -l "$HOST" 2>/dev/null || true
                rmdir "$HOST"
        fi
}

store_mount_opts() {
        awk -v m="$VERS_ROOT/store" '$2 == m { print $4 }' /proc/mounts
}

@test "a store larger than its filesystem's free space is refused with one line, leaving nothing" {
        disk_root 300 1000
        run vers run --alias a
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" =~ ^"vers: cannot create a 1000 MiB store in '$VERS_ROOT': its filesystem has "(29[0-9]|300)" MiB free (lower [storage] cluster_mib or free some space)"$ ]]
        [ -z "$(ls -A "$VERS_ROOT")" ]
        [ -z "$(store_mount_opts)" ]
        # a cluster_mib that fits is accepted on the same filesystem
        sed -i 's/^cluster_mib = .*/cluster_mib = 256/' vers.toml
        run vers status
        [ "$status" -eq 0 ]
        [ -f "$VERS_ROOT/store.img" ]
}

@test "the loop store is mounted without discard, so that its backed blocks stay backed" {
        disk_root 400 300
        vers status >/dev/null
        opts=$(store_mount_opts)
        echo "store mount options: $opts"
        [[ "$opts" == *user_subvol_rm_allowed* ]]
        [[ "$opts" != *discard* ]]
}

@test "a store allocated up front keeps a running env's writes when the host fills" {
        disk_root 500 300
        vers run --alias a >/dev/null
        # the whole image is the store's already
        [ "$(du -m "$VERS_ROOT/store.img" | cut -f1)" -ge 300 ]
        fill_host
        run vers execute -b a "dd if=/dev/urandom of=/var/tmp/x bs=1M count=40 conv=fsync status=none && sync && md5sum /var/tmp/x"
        [ "$status" -eq 0 ]
        sum=${output%% *}
        # the data is on the store, not lost in a failed loop write
        vers shutdown >/dev/null
        run vers execute -b a "md5sum /var/tmp/x"
        [ "$status" -eq 0 ]
        [ "${output%% *}" = "$sum" ]
}

@test "once the host filesystem fills, writes to a sparse store are refused with one line and kill, gc and shutdown still work" {
        disk_root 400 300 sparse
        vers run --alias a >/dev/null
        vers commit --tag c1 >/dev/null
        vers branch c1 --alias b >/dev/null
        vers execute -b b "dd if=/dev/zero of=/var/tmp/x bs=1M count=30 conv=fsync status=none"
        [ -f "$VERS_ROOT/store.reserve" ]
        fill_host
        # the next command gives the reserve back, and every writing command says why it
        # does not run instead of letting btrfs lose the writes
        msg="^vers: cannot write to the store: the filesystem of '$VERS_ROOT' has [0-9]+ MiB free and the store may need [0-9]+ MiB more \(free some space there\)$"
        run vers branch c1 --alias x
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" =~ $msg ]]
        [ ! -e "$VERS_ROOT/store.reserve" ]
        run vers commit -b a --tag c2
        [ "$status" -eq 1 ]
        [[ "$output" =~ $msg ]]
        run vers run --alias y
        [ "$status" -eq 1 ]
        [[ "$output" =~ $msg ]]
        run vers rollback c1
        [ "$status" -eq 1 ]
        [[ "$output" =~ $msg ]]
        # nothing was half-made
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM envs")" = 2 ]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM commits")" = 1 ]
        # deleting still works on the full host
        id=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias='b'")
        run vers kill -y b
        [ "$status" -eq 0 ]
        [ "$output" = "deleted env b" ]
        [ ! -e "$VERS_ROOT/store/envs/$id" ]
        [ -z "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias='b'")" ]
        run vers gc
        [ "$status" -eq 0 ]
        [[ "$output" == "gc: removed 0 subvolume(s)"* ]]
        run vers shutdown
        [ "$status" -eq 0 ]
        [ "$output" = "stopped 1 env(s); store unmounted" ]
        [ -z "$(store_mount_opts)" ]
        # with room again, the store comes back and takes its reserve again
        rm "$HOST/fill"
        run vers branch c1 --alias z
        echo "$output"
        [ "$status" -eq 0 ]
        [ -f "$VERS_ROOT/store.reserve" ]
        [ "$(vers execute -b a 'echo alive')" = alive ]
}

@test "a full store still lets kill, gc and shutdown run" {
        disk_root 600 300
        vers run --alias a >/dev/null
        vers commit --tag c1 >/dev/null
        vers branch c1 --alias b >/dev/null
        # the host fills the store itself (its top level has no quota) up to ENOSPC
        run dd if=/dev/zero of="$VERS_ROOT/store/fill" bs=1M
        [ "$status" -ne 0 ]
        [[ "$output" == *"No space left on device"* ]]
        run vers execute -b b "dd if=/dev/zero of=/var/tmp/x bs=1M count=10 conv=fsync"
        [ "$status" -ne 0 ]
        run vers kill -y b
        [ "$status" -eq 0 ]
        [ "$output" = "deleted env b" ]
        run vers branch delete -y 'a*'
        [ "$status" -eq 0 ]
        run vers gc
        [ "$status" -eq 0 ]
        [ -z "$(ls "$VERS_ROOT/store/envs")" ]
        run vers shutdown
        [ "$status" -eq 0 ]
}

@test "a subvolume nested in an env counts against the env's vm_mib" {
        disk_root 600 400
        vers run --alias a >/dev/null
        id=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias='a'")
        rootfs="$VERS_ROOT/store/envs/$id/rootfs"
        subvol=$(btrfs inspect-internal rootid "$rootfs")
        # the cap is a level-1 qgroup holding the env's own subvolume...
        btrfs qgroup show -pcre "$VERS_ROOT/store" | grep -E "^1/$subvol +.* 64\.00MiB +64\.00MiB "
        # ...and a subvolume made inside the env later (seccomp keeps envs from doing so; this
        # is the host, as a second line of defence) joins it
        btrfs subvolume create "$rootfs/var/tmp/sv" >/dev/null
        run dd if=/dev/zero of="$rootfs/var/tmp/sv/big" bs=1M count=100 conv=fsync
        [ "$status" -ne 0 ]
        [[ "$output" == *"Disk quota exceeded"* ]]
        # the env, at its cap, is deleted all the same, and its qgroup with it
        run vers kill -y a
        [ "$status" -eq 0 ]
        [ ! -e "$rootfs" ]
        [ -z "$(btrfs qgroup show "$VERS_ROOT/store" | grep '^1/')" ]
}

@test "gc removes the cap of an env subvolume deleted by hand" {
        disk_root 600 300
        vers run --alias a >/dev/null
        id=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias='a'")
        vers shutdown >/dev/null # a running env's rootfs is busy
        vers status >/dev/null
        subvol=$(btrfs inspect-internal rootid "$VERS_ROOT/store/envs/$id/rootfs")
        btrfs subvolume delete "$VERS_ROOT/store/envs/$id/rootfs" >/dev/null
        btrfs qgroup show "$VERS_ROOT/store" | grep -q "^1/$subvol "
        run vers gc
        [ "$status" -eq 0 ]
        [[ "$output" == *"1 stale disk cap(s)"* ]]
        [ -z "$(btrfs qgroup show "$VERS_ROOT/store" | grep "^1/$subvol ")" ]
}
