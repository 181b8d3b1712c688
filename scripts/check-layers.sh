#!/bin/sh
# check-layers.sh SRC OBJDIR — prove that the library's layers have no back-edges.
#
# The library lives in SRC/lib/<layer>/, and the layers are ordered, lowest first:
#   base format os state services launch build engine diff test ship
# A file may use its own layer and the layers below it, never one above. Two things are read,
# because either alone can miss an edge:
#   - the include graph: every #include "<layer>/x.h" in SRC/lib/<layer>/*.[ch];
#   - the objects' symbols: for OBJDIR/<layer>/x.o, every symbol it leaves undefined (nm -u)
#     is looked up among the symbols the other objects define; that object's layer must not
#     be above x.o's. The file graph must also be acyclic (within a layer too): tsort says so.
# The command layer (SRC/cmd) sits above every library layer; no library file may include it.
# SQL stays in the metadata module: no object but state/meta.o uses a sqlite3_ symbol.
# ALLOW (optional third argument) lists known back-edges still to be removed, one per line:
# "layer/file.c layer/header.h" for an include, "layer/file layer/file" for a use. It is meant
# to be empty; an entry that no longer occurs is reported too, so the list only shrinks.
# Prints one line per offending edge and exits 1, or prints a summary and exits 0.
set -eu
usage="usage: check-layers.sh SRC OBJDIR [ALLOW]"
src=${1:?$usage}
obj=${2:?$usage}
allow=${3:-/dev/null}
LAYERS="base format os state services launch build engine diff test ship"

rank() {
        i=0
        for l in $LAYERS; do
                [ "$l" = "$1" ] && echo $i && return
                i=$((i + 1))
        done
        echo -1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
grep -v '^#' "$allow" | awk 'NF == 2' | sort -u >"$tmp/allow" || true
: >"$tmp/allowed"
allowed() { # "from to": a listed back-edge
        if grep -qxF "$1 $2" "$tmp/allow"; then
                echo "$1 $2" >>"$tmp/allowed"
                return 0
        fi
        return 1
}

# 1. includes
for f in "$src"/lib/*/*.[ch]; do
        [ -e "$f" ] || continue
        layer=$(basename "$(dirname "$f")")
        r=$(rank "$layer")
        if [ "$r" -lt 0 ]; then
                echo "layers: $f: '$layer' is not a layer (known: $LAYERS)"
                bad=1
                continue
        fi
        grep -o '^#include "[^"]*"' "$f" | sed 's/^#include "\(.*\)"/\1/' | while read -r inc; do
                case $inc in
                */*) to=${inc%%/*} ;;
                *)
                        echo "layers: $f includes \"$inc\", which names no layer"
                        echo x >>"$tmp/bad"
                        continue
                        ;;
                esac
                tr=$(rank "$to")
                if [ "$tr" -lt 0 ] || [ "$tr" -gt "$r" ]; then
                        allowed "$layer/$(basename "$f")" "$inc" && continue
                        echo "layers: back-edge: $f ($layer) includes $inc ($to)"
                        echo x >>"$tmp/bad"
                fi
        done
done

# 2. symbols: "object symbol" for every global definition, then every undefined use
for o in "$obj"/*/*.o; do
        [ -e "$o" ] || continue
        # an object left from a source since removed (an older build dir) is not the library
        [ -e "$src/lib/$(basename "$(dirname "$o")")/$(basename "$o" .o).c" ] || continue
        nm --defined-only -g "$o" | awk -v o="$o" 'NF == 3 { print $3, o }' >>"$tmp/def"
        nm -u "$o" | awk -v o="$o" '{ print $NF, o }' >>"$tmp/use"
done
touch "$tmp/def" "$tmp/use"
sort -u "$tmp/def" -o "$tmp/def"
sort -u "$tmp/use" -o "$tmp/use"
# "user definer" pairs, each object a node
join "$tmp/use" "$tmp/def" | awk '$2 != $3 { print $2, $3 }' | sort -u >"$tmp/edges"
short() { echo "$(basename "$(dirname "$1")")/$(basename "$1" .o)"; }
: >"$tmp/graph"
while read -r user definer; do
        ul=$(basename "$(dirname "$user")")
        dl=$(basename "$(dirname "$definer")")
        if allowed "$(short "$user")" "$(short "$definer")"; then
                continue
        fi
        echo "$user $definer" >>"$tmp/graph"
        if [ "$(rank "$dl")" -gt "$(rank "$ul")" ]; then
                echo "layers: back-edge: $user ($ul) uses $(join "$tmp/use" "$tmp/def" |
                        awk -v u="$user" -v d="$definer" '$2 == u && $3 == d { printf "%s%s", s, $1; s = ", " }') from $definer ($dl)"
                echo x >>"$tmp/bad"
        fi
done <"$tmp/edges"
# SQL only in state/meta.o
awk '$1 ~ /^sqlite3_/ && $2 !~ /\/state\/meta\.o$/ { print $2, $1 }' "$tmp/use" | sort -u |
        while read -r o sym; do
                echo "layers: $o uses $sym: SQL belongs in state/meta.c (add a typed query there)"
                echo x >>"$tmp/bad"
        done
# a cycle among files, whatever their layers
if ! awk '{ print $2, $1 }' "$tmp/graph" | tsort >/dev/null 2>"$tmp/tsort"; then
        echo "layers: the files' use graph has a cycle:"
        sed -n 's/^tsort: //p' "$tmp/tsort" | grep -v 'input contains a loop' | sed 's/^/  /'
        echo x >>"$tmp/bad"
fi

sort -u "$tmp/allowed" | comm -23 "$tmp/allow" - | while read -r from to; do
        echo "layers: $allow lists '$from $to', which no longer occurs: remove it"
        echo x >>"$tmp/bad"
done
[ -e "$tmp/bad" ] && bad=1
if [ "$bad" -ne 0 ]; then
        exit 1
fi
n_allow=$(wc -l <"$tmp/allow")
echo "layers: $(wc -l <"$tmp/graph") file edges, none upward, no cycle ($LAYERS)" \
        "$([ "$n_allow" -gt 0 ] && echo "; $n_allow listed back-edges still to remove")"
