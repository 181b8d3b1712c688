#!/bin/sh
# unstable-debs.sh WHO DEST PACKAGE... — download PACKAGE and everything it needs from Debian
# unstable into the directory DEST (.deb files), for a private prefix (criu-install.sh,
# pg18-install.sh). Nothing is installed and the machine's apt state is not touched: the
# sources list is derived from the machine's own apt configuration (its first Debian archive,
# with the suite changed to unstable) and apt works on a state dir of its own whose status is
# empty, so it resolves the whole closure. WHO prefixes the messages.
set -eu
who=$1 dest=$2
shift 2

# the first Debian archive URI this machine's apt uses (deb822 or one-line format)
uri=""
for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' "$f")
        [ -n "$uri" ] && break
done
if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
                awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }')
fi
if [ -z "$uri" ]; then
        echo "$who: cannot find a Debian archive in this machine's apt configuration" >&2
        exit 1
fi

work=$(mktemp -d /tmp/vers-unstable-apt.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/state/lists/partial" "$work/cache/archives/partial" "$work/parts" "$work/prefs"
touch "$work/state/status"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $uri unstable main" > "$work/sources.list"
pkgs="$*"
set -- -o Dir::Etc::SourceList="$work/sources.list" -o Dir::Etc::SourceParts="$work/parts" \
        -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$work/prefs" \
        -o Dir::State="$work/state" -o Dir::State::status="$work/state/status" \
        -o Dir::Cache="$work/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root \
        -o APT::Architecture="$(dpkg --print-architecture)"
echo "$who: fetching $pkgs from Debian unstable"
apt-get "$@" -qq update
# shellcheck disable=SC2086 # the package list is words
apt-get "$@" -qq install -y --download-only --no-install-recommends $pkgs >/dev/null
mkdir -p "$dest"
mv "$work"/cache/archives/*.deb "$dest/"
