#!/bin/sh
# Give back the host id range a VERS_ROOT was given (its "vers:BASE:65536" line in /etc/subuid
# and /etc/subgid, see src/lib/os/idmap.h), before the root is removed. Usage: release-ids.sh ROOT
set -eu
[ -f "$1/idmap" ] || exit 0
base=$(awk '{ print $1; exit }' "$1/idmap")
case "$base" in '' | *[!0-9]*) exit 0 ;; esac
flock /run/lock/vers-idmap.lock sed -i "/^vers:$base:65536\$/d" /etc/subuid /etc/subgid
