# A local image registry for the end-to-end tests (load it after helpers): docker-registry on
# 127.0.0.1, images made with umoci from a directory and pushed with skopeo, a registries.conf
# with a docker.io mirror, and two base trees (a tiny one from the host's binaries, and Debian
# bookworm minbase from debootstrap).
#
#   registry_start [--htpasswd FILE]  start a registry (its own config, storage and free port);
#                                     sets REGISTRY_PORT, REGISTRY_PID, REGISTRY_DIR
#                                     (REGISTRY_ACCESSLOG=1: its requests in REGISTRY_DIR/log)
#   registry_stop [PID]               stop one (default: the last started) and wait for it
#   registry_stop_all                 stop every registry this file started (teardown_file)
#   registry_push DIR REF [OPTS...]   DIR (a rootfs) as an image pushed to REF; OPTS are umoci
#                                     config options (--config.env=K=V --config.cmd=...)
#   registry_mirror_conf PORT         a registries.conf whose docker.io mirror is 127.0.0.1:PORT
#                                     (insecure), exported as CONTAINERS_REGISTRIES_CONF
#   registry_tiny_rootfs DIR [BIN...] a small rootfs: busybox, or dash and a few coreutils, with
#                                     their libraries and the dynamic loader (and BIN...)
#   registry_debian_rootfs            prints the path of a Debian bookworm minbase tarball,
#                                     made once per bats run in BATS_RUN_TMPDIR
#   registry_push_debian REF [OPTS...] that tarball as an image pushed to REF, with a
#                                     policy-rc.d that starts no daemons (as Docker's official
#                                     Debian and Ubuntu images have it), PATH set; OPTS as for
#                                     registry_push
#
# Everything a file starts is recorded in REGISTRY_PIDFILE (in BATS_FILE_TMPDIR), so
# registry_stop_all stops it in teardown_file even when a test that started one failed.

: "${REGISTRY_PIDFILE:=${BATS_FILE_TMPDIR:-/tmp}/registry.pids}"
export REGISTRY_PIDFILE

# a TCP port on 127.0.0.1 that nothing listens on now
registry_free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

registry_answers() { # port
        local code
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/") || return 1
        [ "$code" = 200 ] || [ "$code" = 401 ]
}

registry_start() {
        local htpasswd=
        if [ "${1:-}" = --htpasswd ]; then
                htpasswd=$2
        fi
        REGISTRY_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/registry.XXXXXX")
        REGISTRY_PORT=$(registry_free_port)
        {
                echo "version: 0.1"
                # REGISTRY_ACCESSLOG=1: every request in $REGISTRY_DIR/log (which blobs a
                # push sent: PUT .../blobs/uploads/...?digest=...)
                if [ "${REGISTRY_ACCESSLOG:-}" = 1 ]; then
                        echo "log: {level: error, accesslog: {disabled: false}}"
                else
                        echo "log: {level: error, accesslog: {disabled: true}}"
                fi
                echo "storage: {filesystem: {rootdirectory: $REGISTRY_DIR/data}, delete: {enabled: true}}"
                echo "http: {addr: 127.0.0.1:$REGISTRY_PORT}"
                if [ -n "$htpasswd" ]; then
                        echo "auth: {htpasswd: {realm: vers-test, path: $htpasswd}}"
                fi
        } > "$REGISTRY_DIR/config.yml"
        /usr/bin/docker-registry serve "$REGISTRY_DIR/config.yml" > "$REGISTRY_DIR/log" 2>&1 3>&- &
        REGISTRY_PID=$!
        echo "$REGISTRY_PID" >> "$REGISTRY_PIDFILE"
        export REGISTRY_PORT REGISTRY_PID REGISTRY_DIR
        wait_for -t 30 -m "the registry on 127.0.0.1:$REGISTRY_PORT" registry_answers "$REGISTRY_PORT" ||
                { cat "$REGISTRY_DIR/log" >&2; return 1; }
}

# gone: no such process, or a zombie nobody has reaped yet
registry_gone() { # pid
        [ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

registry_stop() {
        local pid=${1:-${REGISTRY_PID:-}}
        [ -n "$pid" ] || return 0
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        wait_for -t 30 -m "registry $pid to exit" registry_gone "$pid"
}

registry_stop_all() {
        [ -f "$REGISTRY_PIDFILE" ] || return 0
        local pid
        for pid in $(cat "$REGISTRY_PIDFILE"); do
                registry_stop "$pid" || kill -9 "$pid" 2>/dev/null || true
        done
        rm -f "$REGISTRY_PIDFILE"
}

# registry_push DIR REF [umoci config options...]: push with skopeo (plain http: the registry
# is on loopback); REGISTRY_CREDS=user:pass pushes with credentials
registry_push() {
        local dir=$1 ref=$2
        shift 2
        local work
        work=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/push.XXXXXX")
        local creds=()
        [ -z "${REGISTRY_CREDS:-}" ] || creds=(--dest-creds "$REGISTRY_CREDS")
        umoci init --layout "$work/oci" &&
                umoci new --image "$work/oci:img" &&
                umoci unpack --image "$work/oci:img" "$work/bundle" > /dev/null &&
                cp -a "$dir/." "$work/bundle/rootfs/" &&
                umoci repack --image "$work/oci:img" "$work/bundle" &&
                { [ $# -eq 0 ] || umoci config --image "$work/oci:img" "$@"; } &&
                skopeo copy -q --dest-tls-verify=false "${creds[@]}" "oci:$work/oci:img" "docker://$ref"
        local rc=$?
        rm -rf "$work"
        return "$rc"
}

registry_mirror_conf() { # port
        CONTAINERS_REGISTRIES_CONF="${BATS_FILE_TMPDIR:-/tmp}/registries.conf"
        # docker.io itself is a closed port on loopback, so that nothing a test pulls can
        # reach the internet when the mirror lacks it
        cat > "$CONTAINERS_REGISTRIES_CONF" <<EOF
[[registry]]
prefix = "docker.io"
location = "127.0.0.1:1"
insecure = true

[[registry.mirror]]
location = "127.0.0.1:$1"
insecure = true
EOF
        export CONTAINERS_REGISTRIES_CONF
}

# copy a host binary and the libraries ldd names into DIR at the same paths
registry_copy_binary() { # dir path [name in /bin]
        local dir=$1 bin=$2 name=${3:-$(basename "$2")}
        mkdir -p "$dir/bin"
        cp -L "$bin" "$dir/bin/$name"
        local lib
        for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
                [ -e "$dir$lib" ] && continue
                mkdir -p "$dir$(dirname "$lib")"
                cp -L "$lib" "$dir$lib"
        done
}

registry_tiny_rootfs() {
        local dir=$1
        shift
        mkdir -p "$dir/bin" "$dir/etc" "$dir/tmp" "$dir/root"
        chmod 1777 "$dir/tmp"
        if [ -x /bin/busybox ]; then
                registry_copy_binary "$dir" /bin/busybox
                local a
                for a in sh cat ls id stat env pwd mkdir touch grep sleep printf echo; do
                        ln -sf busybox "$dir/bin/$a"
                done
        else
                registry_copy_binary "$dir" /usr/bin/dash sh
                local t
                for t in cat ls id stat env pwd mkdir touch grep sleep printf echo; do
                        registry_copy_binary "$dir" "$(type -P "$t")"
                done
        fi
        local b
        for b in "$@"; do
                registry_copy_binary "$dir" "$(type -P "$b")"
        done
        printf 'root:x:0:0:root:/root:/bin/sh\napp:x:999:999:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' > "$dir/etc/passwd"
        printf 'root:x:0:\napp:x:999:\nnogroup:x:65534:\n' > "$dir/etc/group"
}

# the machine's Debian archive, as vers's own FROM debian:<suite> finds it (build/apt.c):
# a "deb" target of suite bookworm, else the first plain suite's
registry_debian_archive() {
        local targets uri
        targets=$(apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)' 2>/dev/null)
        uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' <<< "$targets")
        [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 !~ /[-\/]/ { print $2; exit }' <<< "$targets")
        [ -n "$uri" ] || return 1
        echo "${uri%/}"
}

registry_debian_rootfs() {
        local tar="$BATS_RUN_TMPDIR/debian-bookworm-minbase.tar"
        (
                flock 9
                [ -f "$tar" ] && exit 0
                local uri dir
                uri=$(registry_debian_archive) || { echo "no Debian archive in apt's configuration" >&2; exit 1; }
                dir=$(mktemp -d "$BATS_RUN_TMPDIR/debian.XXXXXX")
                unshare -m --propagation private \
                        debootstrap --variant=minbase bookworm "$dir" "$uri" > "$dir.log" 2>&1 ||
                        { tail -5 "$dir.log" >&2; rm -rf "$dir"; exit 1; }
                tar -C "$dir" --numeric-owner -cpf "$tar.tmp" . && mv "$tar.tmp" "$tar"
                local rc=$?
                rm -rf "$dir" "$dir.log"
                exit "$rc"
        ) 9> "$BATS_RUN_TMPDIR/debian-bookworm-minbase.lock" || return 1
        echo "$tar"
}

registry_push_debian() {
        local ref=$1 tar rootfs
        shift
        tar=$(registry_debian_rootfs) || return 1
        rootfs=$(mktemp -d "$BATS_FILE_TMPDIR/debian-rootfs.XXXXXX")
        tar -C "$rootfs" --numeric-owner -xpf "$tar"
        printf '#!/bin/sh\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
        chmod 755 "$rootfs/usr/sbin/policy-rc.d"
        local rc=0
        registry_push "$rootfs" "$ref" \
                --config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@" || rc=$?
        rm -rf "$rootfs"
        return "$rc"
}
