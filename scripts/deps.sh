#!/bin/sh
# Install what vers needs to build and test, from Debian's archive (and the npm registry for
# the example's JavaScript tests). Idempotent: installs only what is missing.
set -eu

PKGS="gcc make pkg-config libc6-dev libbtrfsutil-dev btrfs-progs libsqlite3-dev sqlite3 iptables \
libyaml-dev libseccomp-dev libpq-dev libcmocka-dev bats postgresql-15 postgresql-client-15 \
postgresql-contrib mariadb-server mariadb-client redis-server redis-tools util-linux iproute2 procps \
valgrind debootstrap curl time python3 libjansson-dev libssl-dev jq clang \
skopeo umoci docker-registry golang-github-containers-common apache2-utils \
podman crun conmon catatonit uidmap fuse-overlayfs slirp4netns libarchive-dev libxml2-dev runc \
bash-completion zsh groff-base groff man-db tmux"

missing=""
for p in $PKGS; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        case "$status" in
        *" installed") ;;
        *) missing="$missing $p" ;;
        esac
done
if ! command -v node >/dev/null 2>&1; then
        missing="$missing nodejs npm"
fi

if [ -n "$missing" ]; then
        if [ "$(id -u)" != 0 ]; then
                echo "deps: missing packages:$missing (run as root to install them)" >&2
                exit 1
        fi
        echo "deps: installing:$missing"
        export DEBIAN_FRONTEND=noninteractive
        # do not let package scripts start services on the host
        if [ ! -e /usr/sbin/policy-rc.d ]; then
                printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
                chmod 755 /usr/sbin/policy-rc.d
                trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        fi
        apt-get update -qq
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# the example's JavaScript tests use the 'pg' package
ex="$(dirname "$0")/../examples/ecommerce"
if [ -f "$ex/package.json" ] && [ ! -d "$ex/node_modules/pg" ] && command -v npm >/dev/null; then
        echo "deps: npm install (examples/ecommerce)"
        (cd "$ex" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi

# warm checkpoints need CRIU >= 4.2; without it vers works, with cold commits only (runc, above,
# restores them in podman with that CRIU: crun 1.8 has none, and cgroup v1 hosts need runc)
if ! "$(dirname "$0")/criu-install.sh"; then
        echo "deps: warning: no usable CRIU; vers will make cold commits only" >&2
fi

for m in btrfs loop; do
        modprobe "$m" 2>/dev/null || true
done
echo "deps: ok"
