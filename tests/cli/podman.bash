# Podman for the end-to-end tests (load it after helpers): Debian 12's podman 4.3 with its
# storage in a temporary directory, as root. On this kind of machine it needs runc (crun 1.8
# refuses cgroup v1 hybrid hierarchies), explicit nofile/nproc limits below the hard ones
# (podman's defaults exceed them and crun/runc cannot raise them), cgroupfs and the file
# events backend; a containers.conf says so, for 'podman run' and 'kube play' alike. Every
# container has --network none (never podman's default bridge).
#   podman_setup     PODMAN_DIR, its containers.conf; podman_ is then podman with that storage
#   podman_teardown  system reset and remove the directory
podman_setup() {
        PODMAN_DIR=$(mktemp -d /tmp/vers-test-podman.XXXXXX)
        mkdir -p "$PODMAN_DIR/tmp"
        cat > "$PODMAN_DIR/containers.conf" <<EOC
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOC
        export PODMAN_DIR
}
podman_() {
        CONTAINERS_CONF="$PODMAN_DIR/containers.conf" podman --root "$PODMAN_DIR/root" \
                --runroot "$PODMAN_DIR/run" --tmpdir "$PODMAN_DIR/tmp" --storage-driver overlay \
                --cgroup-manager cgroupfs --events-backend file "$@"
}
podman_teardown() {
        [ -n "${PODMAN_DIR:-}" ] && [ -d "$PODMAN_DIR" ] || return 0
        podman_ pod rm -f -a >/dev/null 2>&1 || true
        podman_ rm -f -a >/dev/null 2>&1 || true
        podman_ system reset -f >/dev/null 2>&1 || true
        rm -rf "$PODMAN_DIR"
}
