#!/bin/sh
# Make a CRIU that works on this kernel available to vers (warm checkpoints).
#
# - If the system's criu is 4.2 or later, vers uses it: nothing to do.
# - Otherwise fetch Debian unstable's criu (4.2.x) and the libraries it needs with apt, into a
#   private prefix ($VERS_CRIU_PREFIX, default /opt/vers/criu), and write $PREFIX/bin/criu,
#   which runs it through the prefix's own dynamic loader. Nothing is installed system-wide
#   and the machine's apt state is not touched: the sources list is derived from the
#   machine's own apt configuration, with the suite changed to unstable.
#
# Debian 12's CRIU 3.17 does not start on kernels >= 6.16, and 4.1 cannot dump inet sockets
# there; 4.2.1 works.
set -eu
PREFIX=${VERS_CRIU_PREFIX:-/opt/vers/criu}

version_ok() { # "4.2.1" -> true if >= 4.2
        maj=${1%%.*}
        rest=${1#*.}
        min=${rest%%.*}
        [ "$maj" -gt 4 ] 2>/dev/null || { [ "$maj" -eq 4 ] && [ "$min" -ge 2 ]; } 2>/dev/null
}
criu_version() { "$1" --version 2>/dev/null | sed -n 's/^Version: *//p'; }

if command -v criu >/dev/null 2>&1; then
        v=$(criu_version criu || true)
        if [ -n "$v" ] && version_ok "$v"; then
                echo "criu: system criu $v is recent enough"
                exit 0
        fi
fi
if [ -x "$PREFIX/bin/criu" ]; then
        v=$(criu_version "$PREFIX/bin/criu" || true)
        if [ -n "$v" ] && version_ok "$v"; then
                echo "criu: $PREFIX has criu $v"
                exit 0
        fi
fi

debs=$(mktemp -d /tmp/vers-criu-debs.XXXXXX)
trap 'rm -rf "$debs"' EXIT
"$(dirname "$0")/unstable-debs.sh" criu "$debs" criu

rm -rf "$PREFIX.new"
mkdir -p "$PREFIX.new"
for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$PREFIX.new"
done
loader=$(find "$PREFIX.new" -name 'ld-linux-*.so.*' -path '*lib64*' | head -n 1)
[ -n "$loader" ] || loader=$(find "$PREFIX.new" -name 'ld-linux-*.so.*' | head -n 1)
libdir=$(dirname "$(find "$PREFIX.new" -name 'libc.so.6' | head -n 1)")
mkdir -p "$PREFIX.new/bin"
cat > "$PREFIX.new/bin/criu" <<WRAPPER
#!/bin/sh
# criu from Debian unstable, run with its own loader and libraries (see scripts/criu-install.sh)
exec ${loader#"$PREFIX.new"/} --library-path ${libdir#"$PREFIX.new"/} ${PREFIX}/usr/sbin/criu "\$@"
WRAPPER
# the paths in the wrapper are relative to the prefix: make them absolute
sed -i "s|exec |exec $PREFIX/|; s|--library-path |--library-path $PREFIX/|" "$PREFIX.new/bin/criu"
chmod 755 "$PREFIX.new/bin/criu"
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"
v=$(criu_version "$PREFIX/bin/criu" || true)
if [ -z "$v" ]; then
        echo "criu: $PREFIX/bin/criu does not run" >&2
        exit 1
fi
echo "criu: installed criu $v in $PREFIX"
