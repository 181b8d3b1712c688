#!/bin/sh
# check-cmd.sh CMDDIR — prove that the command layer leaves the library's work to the library.
#
# A file of CMDDIR (src/cmd) may not reach the metadata or the store itself: no ctx.meta,
# ctx->meta, ctx.store or ctx->store, no vers_meta_* call, nothing of SQLite, and no SQL (a
# WHERE, a state IN (...)): the library has typed queries for what commands list. Its JSON
# is built with jansson, never by hand (strbuf_add_json_str). Prints one line per offence
# and exits 1, or prints a summary and exits 0.
#   check-cmd.sh --self-test   the check still catches each kind of offence
set -eu
usage="usage: check-cmd.sh CMDDIR | --self-test"
dir=${1:?$usage}

# "what it is<TAB>extended regex"
rules='the metadata	ctx(\.|->)meta\b
the store	ctx(\.|->)store\b
a metadata call	\bvers_meta_[a-z_]+[[:space:]]*\(
SQLite	\bsqlite3?_?[a-z_]*|#include[[:space:]]*[<"]sqlite3\.h
SQL	\b(WHERE|state[[:space:]]+IN[[:space:]]*\(|state[[:space:]]*=[[:space:]]*'"'"')
hand-made JSON	strbuf_add_json_str'

if [ "$dir" = --self-test ]; then
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        fails=0
        n=0
        for bad in 'x = ctx->meta.db;' 'vers_store_close(&ctx.store);' \
                'vers_meta_get_env(m, id, &e, err);' 'sqlite3_exec(db, q, 0, 0, 0);' \
                'const char *w = "state = '"'"'ready'"'"'";' 'strbuf_add_json_str(&sb, s);'; do
                n=$((n + 1))
                mkdir -p "$tmp/$n"
                printf 'int f(void)\n{\n        %s\n}\n' "$bad" >"$tmp/$n/x.c"
                if "$0" "$tmp/$n" >/dev/null 2>&1; then
                        echo "check-cmd: self-test: '$bad' was not caught"
                        fails=$((fails + 1))
                fi
        done
        mkdir -p "$tmp/clean"
        printf 'int f(void)\n{\n        return vers_list_envs(ctx, all, &l, err);\n}\n' \
                >"$tmp/clean/x.c"
        if ! "$0" "$tmp/clean" >/dev/null 2>&1; then
                echo "check-cmd: self-test: a clean file was refused"
                fails=$((fails + 1))
        fi
        [ "$fails" -eq 0 ] || exit 1
        echo "check-cmd: self-test: $n offences caught, a clean file passes"
        exit 0
fi

bad=0
files=$(find "$dir" -maxdepth 1 -name '*.[ch]' | sort)
tab=$(printf '\t')
for f in $files; do
        out=$(printf '%s\n' "$rules" | while IFS="$tab" read -r what re; do
                # comments say what the library does; only code counts
                sed -e 's://.*$::' "$f" | awk '
                        { line = $0; out = "" }
                        {
                                while (length(line)) {
                                        if (inc) { e = index(line, "*/"); if (!e) { line = ""; break }
                                                   line = substr(line, e + 2); inc = 0; continue }
                                        s = index(line, "/*"); if (!s) { out = out line; break }
                                        out = out substr(line, 1, s - 1); line = substr(line, s + 2); inc = 1
                                }
                                print out
                        }' | grep -nE "$re" | sed "s|^|$f:|; s|\$| ($what)|" || true
        done)
        if [ -n "$out" ]; then
                echo "$out" | sed 's/^/check-cmd: /'
                bad=1
        fi
done
if [ "$bad" -ne 0 ]; then
        echo "check-cmd: the command layer does library work above; move it into src/lib"
        exit 1
fi
echo "check-cmd: $(echo "$files" | wc -w) files of $dir: no metadata, store, SQL or hand-made JSON"
