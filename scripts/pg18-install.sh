#!/bin/sh
# Make PostgreSQL 18 available to the bench (its pg18-clone row: CREATE DATABASE ... STRATEGY
# FILE_COPY with file_copy_method = clone), in a private prefix ($VERS_PG18_PREFIX, default
# /opt/vers-bench/pg18). Nothing is installed system-wide and the machine's apt state is not
# touched: as scripts/criu-install.sh does, the sources list is derived from the machine's own
# apt configuration with the suite changed to unstable, and apt works on a private state dir.
#
# Debian 12 has PostgreSQL 15 only, and 18's packages need a newer glibc, libicu, libssl,
# libllvm ... than Debian 12 has. So the prefix gets unstable's postgresql-18 with every
# library it needs, glibc included, and each ELF file in it is rewritten with patchelf: its
# interpreter is the prefix's ld-linux and its RUNPATH the prefix's lib dirs. A loader wrapper
# would not do: initdb and pg_ctl exec postgres by path.
#
# The .debs are kept in $PREFIX.debs, so a second install does not download them again.
# Prints the prefix's bin dir last; exits 0 at once when the prefix already runs.
set -eu
PREFIX=${VERS_PG18_PREFIX:-/opt/vers-bench/pg18}
DEBS=$PREFIX.debs
BIN=$PREFIX/usr/lib/postgresql/18/bin

runs() { "$BIN/postgres" -V 2>/dev/null | grep -q ' 18\.'; }
if [ -x "$BIN/postgres" ] && runs; then
        echo "pg18: $PREFIX has $("$BIN/postgres" -V)"
        exit 0
fi
if ! command -v patchelf >/dev/null 2>&1; then
        echo "pg18: installing Debian's patchelf"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq patchelf >/dev/null
fi

mkdir -p "$DEBS"
if ! ls "$DEBS"/postgresql-18_*.deb >/dev/null 2>&1; then
        # an empty status: apt resolves the whole closure, glibc included; only the libraries
        # and PostgreSQL's own packages are unpacked below
        "$(dirname "$0")/unstable-debs.sh" pg18 "$DEBS" postgresql-18
fi

rm -rf "$PREFIX.new"
mkdir -p "$PREFIX.new"
for deb in "$DEBS"/*.deb; do
        pkg=$(dpkg-deb -f "$deb" Package)
        case "$pkg" in
        postgresql-18 | postgresql-client-18 | lib*) dpkg-deb -x "$deb" "$PREFIX.new" ;;
        esac
done
# merged /usr: unstable's glibc puts the loader in /usr/lib64 and its libraries in
# /usr/lib/<triplet>; older packages may still use /lib
loader=$(find "$PREFIX.new" -name 'ld-linux-*.so.*' \( -type f -o -type l \) -path '*lib64*' | head -n 1)
[ -n "$loader" ] || loader=$(find "$PREFIX.new" -name 'ld-linux-*.so.*' | head -n 1)
if [ -z "$loader" ]; then
        echo "pg18: no ld-linux among the unpacked packages" >&2
        exit 1
fi
loader=$PREFIX/${loader#"$PREFIX.new"/}
rpath=""
for d in $(find "$PREFIX.new" -name '*.so*' \( -type f -o -type l \) -exec dirname {} \; | sort -u); do
        rpath="$rpath${rpath:+:}$PREFIX/${d#"$PREFIX.new"/}"
done
patched=0
for f in $(find "$PREFIX.new" -type f); do
        # ELF files only (the magic number), and not the loader itself
        [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
        case "$f" in */ld-linux-*) continue ;; esac
        if patchelf --print-interpreter "$f" >/dev/null 2>&1; then
                patchelf --set-interpreter "$loader" "$f"
        fi
        patchelf --set-rpath "$rpath" "$f"
        patched=$((patched + 1))
done
rm -rf "$PREFIX"
mv "$PREFIX.new" "$PREFIX"
if ! runs; then
        echo "pg18: $BIN/postgres does not run: $("$BIN/postgres" -V 2>&1 | head -n 1)" >&2
        exit 1
fi
echo "pg18: installed $("$BIN/postgres" -V) in $PREFIX ($patched ELF files patched)"
