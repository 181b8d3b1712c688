#!/bin/bash
# bench/bench.sh — how fast is a copy of a seeded PostgreSQL database, by method and size.
#
#   make bench                                   quick: 20M and 150M
#   make bench BENCH_SIZES="20M 150M 1500M 8G"   full
#
# Data: pgbench -i at the scale matching each size, plus a many-objects schema (BENCH_OBJECTS
# tables, default 500, each with a primary key, an index and 200 rows; set 0 to leave it out).
# Methods, all on the same btrfs store:
#   vers-warm      vers branch of a warm commit (processes restored)
#   vers-cold      vers branch of a cold commit (PostgreSQL boots on the snapshot)
#   tmpl-wal       CREATE DATABASE ... TEMPLATE ... STRATEGY WAL_LOG
#   tmpl-copy      CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY
#   dump-restore   pg_dump -Fc + createdb + pg_restore -j2
#   reflink        cp --reflink of a stopped data directory + a new server
#   seed           pgbench -i from scratch (what every copy costs without vers)
# Metric: time until a client's first query in the copy succeeds (p50 / p95 / max over
# BENCH_RUNS runs, default 5). Also: the parent's pause during vers commit, extra disk per
# vers branch (btrfs qgroup exclusive bytes), the first-write penalty (update 1% of rows),
# memory per idle branch (its cgroup), and N simultaneous branches.
#
# It reports; it never fails on speed. Results: stdout and bench/results/<date>-<sizes>.md,
# plot: bench/results/<date>-<sizes>.png (gnuplot, if installed).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
VERS="${VERS:-$repo/build/vers}"
SIZES="${BENCH_SIZES:-20M 150M}"
RUNS="${BENCH_RUNS:-5}"
CONC="${BENCH_CONCURRENCY:-1 2 4 8 16 32}"
OBJECTS="${BENCH_OBJECTS:-500}"
vers() { "$VERS" "$@"; }

root=$(mktemp -d /tmp/vers-bench.XXXXXX) && chmod 755 "$root"
proj="$root/proj"
export VERS_ROOT="$root/root"
mkdir -p "$VERS_ROOT" "$proj"
cleanup() {
        cd /
        vers shutdown >/dev/null 2>&1 || true
        "$repo/scripts/release-ids.sh" "$VERS_ROOT"
        rm -rf "$root"
}
trap cleanup EXIT

say() { if [ -t 2 ]; then printf '\r\033[K%s' "$*" >&2; else echo "bench: $*" >&2; fi; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# p50 p95 max of numbers on stdin, in seconds with 3 decimals (input in ms)
stats() { sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- - -"; exit }
        p50 = v[int((NR - 1) * 0.5) + 1]; p95 = v[int((NR - 1) * 0.95 + 0.5) + 1];
        printf "%.3f %.3f %.3f\n", p50 / 1000, p95 / 1000, v[NR] / 1000 }'; }
scale_of() { # pgbench scale for a size like 150M or 8G (scale 1 is about 15 MB)
        case "$1" in *tables) echo 1; return ;; esac
        local s=$1 n=${1%[MG]}
        case "$s" in *G) n=$((n * 1024)) ;; esac
        local sc=$((n / 15))
        [ "$sc" -lt 1 ] && sc=1
        echo "$sc"
}

# store size: enough for the largest data set, its copies and dumps
max_mb=0
for s in $SIZES; do
        case "$s" in *tables) continue ;; esac
        n=${s%[MG]}
        case "$s" in *G) n=$((n * 1024)) ;; esac
        [ "$n" -gt "$max_mb" ] && max_mb=$n
done
cluster=$((max_mb * 8 + 8000))
cat > "$proj/vers.toml" <<TOML
[vm]
memory_mib = 4096
vcpu = 2

[storage]
cluster_mib = $cluster
vm_mib = $cluster
# the largest sizes need a store larger than a machine's free disk would allow up front
sparse = true

[services.postgres]
template = "postgres@15"
databases = ["app"]
TOML
cd "$proj"
# the many-objects data set: OBJECTS tables besides pgbench's own (scale 1)
cat > "$proj/objects.sql" <<SQL
DO \$\$ BEGIN FOR i IN 1..$OBJECTS LOOP
  EXECUTE format('CREATE TABLE obj_%s (id serial PRIMARY KEY, name text NOT NULL, qty int, created timestamptz DEFAULT now())', i);
  EXECUTE format('CREATE INDEX ON obj_%s (name)', i);
  EXECUTE format('INSERT INTO obj_%s (name, qty) SELECT md5(g::text), g FROM generate_series(1, 200) g', i);
END LOOP; END \$\$;
SQL
seed_cmd() { # SIZE DB: the command that fills DB with the data set SIZE
        local extra=""
        case "$1" in *tables) extra=" && psql -d $2 -qf objects.sql" ;; esac
        echo "pgbench -q -i -s $(scale_of "$1") $2 >/dev/null 2>&1$extra"
}
datasets="$SIZES"
[ "$OBJECTS" -gt 0 ] && datasets="$datasets ${OBJECTS}tables"
say "building the image"
vers build >/dev/null
btrfs quota enable "$VERS_ROOT/store" 2>/dev/null || true

warm_ok=0
vers doctor --json | grep -q '"commit_mode": "warm"' && warm_ok=1

first_query='psql -Atc "SELECT count(*) > 0 FROM pgbench_branches"'
out=$(mktemp)
md="$root/table.md"
plotdata="$root/plot.dat"
: > "$plotdata"
{
        echo "| size | method | first query p50 (s) | p95 (s) | max (s) |"
        echo "|---|---|---|---|---|"
} > "$md"
extras="$root/extras.md"
{
        echo "| size | warm commit pause (ms) | cold commit pause (ms) | extra disk per branch (KiB) | after 1% update (KiB) | first write: source / branch (ms) | memory per idle branch (MiB) |"
        echo "|---|---|---|---|---|---|---|"
} > "$extras"
ratios="$root/ratios.txt"
: > "$ratios"
conc="$root/conc.md"
{
        printf "| size |"
        for c in $CONC; do printf " %s at once (s) |" "$c"; done
        echo
        printf "|---|"
        for c in $CONC; do printf -- "---|"; done
        echo
} > "$conc"

subvol_excl_kib() { # exclusive bytes of an env's subvolume, in KiB
        local id=$1 path qg
        path="$VERS_ROOT/store/envs/$id/rootfs"
        sync
        btrfs quota rescan -w "$VERS_ROOT/store" >/dev/null 2>&1 || true
        qg=$(btrfs subvolume show "$path" 2>/dev/null | awk '/Subvolume ID:/ { print $3 }')
        btrfs qgroup show --raw "$VERS_ROOT/store" 2>/dev/null |
                awk -v q="0/$qg" '$1 == q { printf "%d", $3 / 1024 }'
}
env_id() { vers status --json --all | grep "\"alias\": \"$1\"" | sed 's/.*"id": "\([0-9a-f]*\)".*/\1/'; }
mem_mib() {
        local id=$1 f
        f=$(find /sys/fs/cgroup/memory/vers /sys/fs/cgroup/vers -maxdepth 2 -name "$id" 2>/dev/null | head -1)
        if [ -f "$f/memory.usage_in_bytes" ]; then
                awk '{ printf "%.0f", $1 / 1048576 }' "$f/memory.usage_in_bytes"
        elif [ -f "$f/memory.current" ]; then
                awk '{ printf "%.0f", $1 / 1048576 }' "$f/memory.current"
        else echo "-"; fi
}

for size in $datasets; do
        src="src-$size"
        say "$size: seeding ($(seed_cmd "$size" app))"
        vers run --alias "$src" >/dev/null
        : > "$out"
        for i in $(seq "$RUNS"); do
                vers execute -b "$src" "PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists seedtest; createdb seedtest" >/dev/null
                t0=$(now_ms)
                vers execute -b "$src" "$(seed_cmd "$size" seedtest) && psql -d seedtest -Atc 'SELECT 1 FROM pgbench_branches LIMIT 1'" >/dev/null
                echo $(($(now_ms) - t0)) >> "$out"
        done
        vers execute -b "$src" "dropdb seedtest" >/dev/null
        read -r s50 s95 smax < <(stats < "$out")
        echo "| $size | seed | $s50 | $s95 | $smax |" >> "$md"
        vers execute -b "$src" "$(seed_cmd "$size" app)"

        cold_pause=$(vers commit -b "$src" --cold --tag "cold-$size" --json | sed 's/.*"pause_ms": \([0-9.]*\).*/\1/')
        warm_pause="-"
        if [ "$warm_ok" = 1 ]; then
                warm_pause=$(vers commit -b "$src" --warm --tag "warm-$size" --json | sed 's/.*"pause_ms": \([0-9.]*\).*/\1/')
        fi

        declare -A p50=()
        for method in vers-warm vers-cold tmpl-wal tmpl-copy dump-restore reflink; do
                [ "$method" = vers-warm ] && [ "$warm_ok" = 0 ] && continue
                : > "$out"
                case "$method" in
                dump-restore)
                        vers execute -b "$src" "pg_dump -Fc -f /var/tmp/app.dump app" ;;
                reflink)
                        vers execute -b "$src" "psql -qc CHECKPOINT && pg_ctl -D \$PGDATA -m fast -w stop >/dev/null && cp -a --reflink=always \$PGDATA /var/lib/postgresql/stopped && pg_ctl -D \$PGDATA -w -l /var/log/postgresql/postgresql-15-main.log start >/dev/null" ;;
                esac
                for i in $(seq "$RUNS"); do
                        say "$size: $method run $i/$RUNS"
                        case "$method" in
                        vers-warm | vers-cold)
                                tag=${method#vers-}-$size
                                t0=$(now_ms)
                                vers branch "$tag" --alias b --${method#vers-} >/dev/null
                                vers execute -b b "$first_query" >/dev/null
                                echo $(($(now_ms) - t0)) >> "$out"
                                if [ "$i" = 1 ]; then
                                        id=$(env_id b)
                                        disk=$(subvol_excl_kib "$id")
                                        t1=$(now_ms)
                                        vers execute -b "$src" "psql -qc 'BEGIN; UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0; ROLLBACK'"
                                        src_w=$(($(now_ms) - t1))
                                        t1=$(now_ms)
                                        vers execute -b b "psql -qc 'UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0'"
                                        br_w=$(($(now_ms) - t1))
                                        vers execute -b b "psql -qc CHECKPOINT"
                                        disk_after=$(subvol_excl_kib "$id")
                                        sleep 1
                                        mem=$(mem_mib "$id")
                                        [ "$method" = vers-warm ] || [ "$warm_ok" = 0 ] &&
                                                echo "| $size | $warm_pause | $cold_pause | ${disk:--} | ${disk_after:--} | $src_w / $br_w | $mem |" >> "$extras"
                                fi
                                vers kill -y b >/dev/null
                                ;;
                        tmpl-wal | tmpl-copy)
                                strategy=WAL_LOG
                                [ "$method" = tmpl-copy ] && strategy=FILE_COPY
                                t0=$(now_ms)
                                vers execute -b "$src" "psql -d postgres -qc 'CREATE DATABASE copy TEMPLATE app STRATEGY $strategy' && psql -d copy -Atc 'SELECT count(*) > 0 FROM pgbench_branches'" >/dev/null
                                echo $(($(now_ms) - t0)) >> "$out"
                                vers execute -b "$src" "dropdb copy"
                                ;;
                        dump-restore)
                                t0=$(now_ms)
                                vers execute -b "$src" "createdb copy && pg_restore -j2 -d copy /var/tmp/app.dump && psql -d copy -Atc 'SELECT count(*) > 0 FROM pgbench_branches'" >/dev/null
                                echo $(($(now_ms) - t0)) >> "$out"
                                vers execute -b "$src" "dropdb copy"
                                ;;
                        reflink)
                                t0=$(now_ms)
                                vers execute -b "$src" "cp -a --reflink=always /var/lib/postgresql/stopped /var/lib/postgresql/copy && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /var/lib/postgresql/copy -o '-p 5433 -k /tmp' -w -l /tmp/copy.log start >/dev/null && psql -h /tmp -p 5433 -Atc 'SELECT count(*) > 0 FROM pgbench_branches'" >/dev/null
                                echo $(($(now_ms) - t0)) >> "$out"
                                vers execute -b "$src" "pg_ctl -D /var/lib/postgresql/copy -m immediate -w stop >/dev/null; rm -rf /var/lib/postgresql/copy"
                                ;;
                        esac
                done
                read -r a b c < <(stats < "$out")
                p50[$method]=$a
                echo "| $size | $method | $a | $b | $c |" >> "$md"
        done
        p50[seed]=$s50
        best=${p50[vers-cold]}
        if [ -n "${p50[vers-warm]:-}" ]; then
                best=$(awk -v a="${p50[vers-warm]}" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
        fi
        case "$size" in *tables) ;; *) echo "$size ${p50[vers-warm]:--} ${p50[vers-cold]} ${p50[tmpl-wal]} ${p50[tmpl-copy]} ${p50[dump-restore]} ${p50[reflink]} ${p50[seed]}" >> "$plotdata" ;; esac
        awk -v s="$size" -v v="$best" -v t="${p50[tmpl-wal]}" -v f="${p50[tmpl-copy]}" -v d="${p50[dump-restore]}" -v r="${p50[reflink]}" -v e="${p50[seed]}" \
                'BEGIN { printf "%s: vers %.2f s — %.1f× template (WAL_LOG), %.1f× template (FILE_COPY), %.1f× dump/restore, %.1f× reflink+server, %.1f× seeding\n", s, v, t / v, f / v, d / v, r / v, e / v }' >> "$ratios"

        # N simultaneous branches of the same commit
        mode=cold
        [ "$warm_ok" = 1 ] && mode=warm
        printf "| %s |" "$size" >> "$conc"
        for c in $CONC; do
                say "$size: $c branches at once"
                t0=$(now_ms)
                for k in $(seq "$c"); do
                        (vers branch "$mode-$size" --alias "conc-$k" >/dev/null && vers execute -b "conc-$k" "$first_query" >/dev/null) &
                done
                wait
                printf " %.2f |" "$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { print ms / 1000 }')" >> "$conc"
                vers branch delete -y 'conc-*' >/dev/null
        done
        echo >> "$conc"
        vers kill -y "$src" >/dev/null
done
say ""
[ -t 2 ] && echo >&2

stamp=$(date +%Y-%m-%d)
name="$stamp-$(echo "$SIZES" | tr ' ' '-')"
mkdir -p "$repo/bench/results"
report="$repo/bench/results/$name.md"
{
        echo "# vers bench $stamp ($SIZES; $RUNS runs each; kernel $(uname -r); $(nproc) cores)"
        echo
        echo "Time until the first query in a copy succeeds:"
        echo
        cat "$md"
        echo
        cat "$ratios"
        echo
        echo "Commit pause, disk, write penalty and memory (vers branches):"
        echo
        cat "$extras"
        echo
        echo "Simultaneous $( [ "$warm_ok" = 1 ] && echo warm || echo cold ) branches of one commit, until every one answers:"
        echo
        cat "$conc"
} > "$report"
cat "$report"
if command -v gnuplot >/dev/null; then
        png="$repo/bench/results/$name.png"
        gnuplot <<GP
set terminal pngcairo size 900,560
set output "$png"
set title "time to first query in a copy (p50)"
set logscale y
set ylabel "seconds"
set xlabel "data size"
set key left top
set grid
plot for [i=2:8] "$plotdata" using 0:i:xtic(1) with linespoints title word("vers-warm vers-cold tmpl-wal tmpl-copy dump-restore reflink seed", i-1)
GP
        echo
        echo "plot: $png"
fi
