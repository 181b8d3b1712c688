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
#   vers-pool-*    vers branch of a commit with a ready pool (vers pool C --size BENCH_POOL);
#                  "-" with the reason when this vers has no 'vers pool'
#   tmpl-wal       CREATE DATABASE ... TEMPLATE ... STRATEGY WAL_LOG (PostgreSQL 15)
#   tmpl-copy      CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY (PostgreSQL 15)
#   tmpl-pool      integresql's manner: template copies made ahead (the faster strategy),
#                  one claimed per test: the timed part is the claim and the first query
#   pg18-clone     PostgreSQL 18, file_copy_method = clone, its data directory on the same
#                  btrfs store: CREATE DATABASE ... STRATEGY FILE_COPY (scripts/pg18-install.sh
#                  puts it in /opt/vers-bench/pg18; "-" with the reason when it cannot run)
#   dump-restore   pg_dump -Fc + createdb + pg_restore -j2
#   reflink        cp --reflink of a stopped data directory + a new server
#   seed           pgbench -i from scratch (what every copy costs without vers)
# Metric: time until a client's first query in the copy succeeds (p50 / p95 / max over
# BENCH_RUNS runs, default 5; a method whose first run takes over 10 s runs 3 times). The
# vers, template and PG18 rows are timed as whole processes from a C harness (bench/
# spawn-time.c: bash's own fork+exec costs ~15 ms here), the client being the host's psql on
# the copy's Unix socket (vers: vers branch, vers env, psql). Also: vers branch alone (exec to
# exit), where a branch's time goes (vers branch --timings, when it has it), 100 tests each
# on a fresh copy (BENCH_TESTS), the parent's pause during vers commit, extra disk per vers
# branch (btrfs qgroup exclusive bytes), the first-write penalty (update 1% of rows), memory
# per idle branch (its cgroup), and N simultaneous branches.
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
POOL="${BENCH_POOL:-4}"
TESTS="${BENCH_TESTS:-100}"
TESTS_SLOW="${BENCH_TESTS_SLOW:-5}"
SLOW_MS="${BENCH_SLOW_MS:-1500}" # tests slower than this: TESTS_SLOW of them, extrapolated
PG18_PREFIX="${VERS_PG18_PREFIX:-/opt/vers-bench/pg18}"
PG18="$PG18_PREFIX/usr/lib/postgresql/18/bin"
vers() { "$VERS" "$@"; }
started=$(date +%s)

root=$(mktemp -d /tmp/vers-bench.XXXXXX) && chmod 755 "$root"
proj="$root/proj"
export VERS_ROOT="$root/root"
mkdir -p "$VERS_ROOT" "$proj"
pg18_data="" pg18_sock=""
pg18_stop() {
        [ -n "$pg18_data" ] && [ -f "$pg18_data/postmaster.pid" ] &&
                runuser -u postgres -- "$PG18/pg_ctl" -D "$pg18_data" -m immediate -w stop >/dev/null 2>&1
        return 0
}
cleanup() {
        cd /
        pg18_stop
        [ -n "$pg18_data" ] && btrfs subvolume delete "$(dirname "$pg18_data")" >/dev/null 2>&1
        vers shutdown >/dev/null 2>&1 || true
        "$repo/scripts/release-ids.sh" "$VERS_ROOT"
        rm -rf "$root"
}
trap cleanup EXIT

SPAWN="${SPAWN_TIME:-$repo/build/spawn-time}"
if [ ! -x "$SPAWN" ] || [ "$SPAWN" -ot "$repo/bench/spawn-time.c" ]; then
        SPAWN="$root/spawn-time"
        cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -o "$SPAWN" "$repo/bench/spawn-time.c"
fi
# spawn-time's line: each command's ms, then the total
spawn() { "$SPAWN" "$@"; }
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
cluster=$((max_mb * 10 + 8000))
# vers makes its loop store only where its whole size is free: at most what the host has
host_free=$(df -Pm "$root" | awk 'NR == 2 { print $4 }')
[ "$cluster" -gt $((host_free - 2000)) ] && cluster=$((host_free - 2000))
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
# (vers enables btrfs simple quotas on its store itself, for [storage] vm_mib)

warm_ok=0
vers doctor --json | grep -q '"commit_mode": "warm"' && warm_ok=1
pool_ok=0 pool_reason="this vers has no 'vers pool'"
vers pool --help >/dev/null 2>&1 && pool_ok=1 pool_reason=""
timings_ok=0
vers branch --help 2>/dev/null | grep -q -- '--timings' && timings_ok=1

# PostgreSQL 18 on the same store: a subvolume of it, owned by the host's postgres user
# (postgres refuses to run as root), reached on a Unix socket only
pg18_ok=0 pg18_reason=""
if [ ! -x "$PG18/postgres" ]; then
        pg18_reason="no PostgreSQL 18 in $PG18_PREFIX (scripts/pg18-install.sh)"
elif ! id postgres >/dev/null 2>&1; then
        pg18_reason="no postgres user on this host"
elif ! v=$("$PG18/postgres" -V 2>&1); then
        pg18_reason="$PG18/postgres does not run: $(echo "$v" | head -n 1)"
else
        btrfs subvolume create "$VERS_ROOT/store/bench-pg18" >/dev/null
        pg18_data="$VERS_ROOT/store/bench-pg18/data"
        pg18_sock="$root/pg18-sock"
        mkdir -p "$pg18_sock"
        chown postgres "$VERS_ROOT/store/bench-pg18" "$pg18_sock"
        chmod o+x "$VERS_ROOT/store"
        if ! v=$(runuser -u postgres -- "$PG18/initdb" -D "$pg18_data" -A trust -U postgres -E UTF8 --locale=C 2>&1); then
                pg18_reason="initdb failed: $(echo "$v" | tail -n 1)"
        elif ! v=$(runuser -u postgres -- "$PG18/pg_ctl" -D "$pg18_data" -w -l "$pg18_sock/log" \
                -o "-c listen_addresses='' -k $pg18_sock -c file_copy_method=clone" start 2>&1); then
                pg18_reason="pg_ctl start failed: $(tail -n 1 "$pg18_sock/log" 2>&1 || echo "$v" | tail -n 1)"
        else
                pg18_ok=1
        fi
fi
pg18() { "$PG18/psql" -h "$pg18_sock" -U postgres "$@"; }

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
procs="$root/procs.md"
{
        echo "| size | method | vers branch alone p50 (ms) | p95 (ms) | branch + first query p50 (ms) | p95 (ms) |"
        echo "|---|---|---|---|---|---|"
} > "$procs"
phases="$root/phases.md"
: > "$phases"
tests_md="$root/tests.md"
{
        echo "| size | method | $TESTS tests, wall (s) | per test (ms) | counted |"
        echo "|---|---|---|---|---|"
} > "$tests_md"
notes="$root/notes.txt"
: > "$notes"
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
# p50 p95 of numbers on stdin, in ms with 1 decimal
stats_ms() { sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- -"; exit }
        printf "%.1f %.1f\n", v[int((NR - 1) * 0.5) + 1], v[int((NR - 1) * 0.95 + 0.5) + 1] }'; }
# wait until the pool of TAG holds its size of ready envs (the refill after a take is detached)
pool_wait() {
        local i
        for i in $(seq 1200); do
                vers pool --json | jq -e --arg t "$1" 'map(select(.label == $t and .ready >= .size)) | length > 0' >/dev/null && return 0
                sleep 0.05
        done
        # a report, not a verdict: say so, and go on with what the pool has
        echo "bench: the pool of $1 did not fill in 60 s" >&2
        echo "$1: the pool did not fill in 60 s once; that run took what it had" >> "$notes"
        return 0
}
q_test="UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid = 1; SELECT abalance FROM pgbench_accounts WHERE aid = 1"
# TESTS tests (each: a fresh copy, one UPDATE + SELECT, drop the copy), run by ONE_TEST N,
# which prints spawn-time's line; "SIZE METHOD COUNTED" label the row. When the first
# TESTS_SLOW tests take over SLOW_MS each, the rest are left out and the total extrapolated.
run_tests() {
        local size=$1 method=$2 counted=$3 fn=$4 n=0 est="" total=0 t
        while [ "$n" -lt "$TESTS" ]; do
                n=$((n + 1))
                say "$size: $TESTS tests on $method, $n"
                t=$("$fn" "$n" | awk '{ print $NF }')
                total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
                if [ "$n" = "$TESTS_SLOW" ] && [ "$n" -lt "$TESTS" ] &&
                        awk -v t="$total" -v n="$n" -v s="$SLOW_MS" 'BEGIN { exit !(t / n > s) }'; then
                        est=" (est. from $n)"
                        break
                fi
        done
        awk -v s="$size" -v m="$method" -v t="$total" -v n="$n" -v all="$TESTS" -v e="$est" -v c="$counted" \
                'BEGIN { printf "| %s | %s | %.1f%s | %.1f | %s |\n", s, m, t / n * all / 1000, e, t / n, c }' >> "$tests_md"
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

# the runs of a method: RUNS, or 3 when its first run took over 10 s
runs_for() { # FIRST_MS
        if [ "$1" -gt 10000 ] && [ "$RUNS" -gt 3 ]; then echo 3; else echo "$RUNS"; fi
}
three=""
note_three() { case " $three " in *" $1 "*) ;; *) three="$three $1" ;; esac; }
timings_flag=""
[ "$timings_ok" = 1 ] && timings_flag="--timings"
# one vers branch of TAG, timed: spawn-time's line (branch, env, psql, total); its JSON in
# $root/branch.json
branch_once() { # TAG MODE ALIAS
        spawn -o "$root/branch.out" "$VERS" branch "$1" --alias "$3" "--$2" --json $timings_flag + \
                "$VERS" env {id} + psql -h "$VERS_ROOT/sockets/{id}" -U postgres -d app -Atc "$q_first"
        sed '/^export /,$d' "$root/branch.out" > "$root/branch.json"
}
q_first="SELECT count(*) > 0 FROM pgbench_branches"
client_note=""
row() { # SIZE METHOD: the row from $out (total ms per line)
        read -r a b c < <(stats < "$out")
        p50[$2]=$a
        echo "| $1 | $2 | $a | $b | $c |" >> "$md"
}
dash_row() { # SIZE METHOD REASON
        p50[$2]="-"
        echo "| $1 | $2 | - | - | - |" >> "$md"
        grep -qxF "$2: - because $3" "$notes" || echo "$2: - because $3" >> "$notes"
}

for size in $datasets; do
        src="src-$size"
        say "$size: seeding ($(seed_cmd "$size" app))"
        vers run --alias "$src" >/dev/null
        : > "$out"
        runs=$RUNS
        i=0
        while [ "$i" -lt "$runs" ]; do
                i=$((i + 1))
                vers execute -b "$src" "PGOPTIONS='-c client_min_messages=warning' dropdb --if-exists seedtest; createdb seedtest" >/dev/null
                t0=$(now_ms)
                vers execute -b "$src" "$(seed_cmd "$size" seedtest) && psql -d seedtest -Atc 'SELECT 1 FROM pgbench_branches LIMIT 1'" >/dev/null
                echo $(($(now_ms) - t0)) >> "$out"
                [ "$i" = 1 ] && runs=$(runs_for "$(cat "$out")") && [ "$runs" != "$RUNS" ] && note_three seed
        done
        vers execute -b "$src" "dropdb seedtest" >/dev/null
        read -r s50 s95 smax < <(stats < "$out")
        echo "| $size | seed | $s50 | $s95 | $smax |" >> "$md"
        vers execute -b "$src" "$(seed_cmd "$size" app)"
        srchost=$(vers env -b "$src" | sed -n 's/^export PGHOST=//p')
        if [ "$pg18_ok" = 1 ]; then
                say "$size: seeding PostgreSQL 18"
                pg18 -d postgres -qc "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS app" -c "CREATE DATABASE app"
                "$PG18/pgbench" -h "$pg18_sock" -U postgres -q -i -s "$(scale_of "$size")" app >/dev/null 2>&1
                case "$size" in *tables) pg18 -d app -qf objects.sql ;; esac
                pg18 -d postgres -qc CHECKPOINT
        fi

        cold_pause=$(vers commit -b "$src" --cold --tag "cold-$size" --json | sed 's/.*"pause_ms": \([0-9.]*\).*/\1/')
        warm_pause="-"
        if [ "$warm_ok" = 1 ]; then
                warm_pause=$(vers commit -b "$src" --warm --tag "warm-$size" --json | sed 's/.*"pause_ms": \([0-9.]*\).*/\1/')
        fi

        declare -A p50=()
        : > "$root/phases.dat"
        for method in vers-warm vers-cold vers-pool-warm vers-pool-cold tmpl-wal tmpl-copy tmpl-pool pg18-clone dump-restore reflink; do
                : > "$out"
                : > "$root/alone"
                case "$method" in
                *-warm) if [ "$warm_ok" = 0 ]; then dash_row "$size" "$method" "warm commits do not work here (vers doctor)" && continue; fi ;;
                esac
                case "$method" in
                vers-pool-*)
                        if [ "$pool_ok" = 0 ]; then dash_row "$size" "$method" "$pool_reason" && continue; fi
                        say "$size: filling a pool of $POOL (${method#vers-pool-}-$size)"
                        if ! perr=$(vers pool "${method#vers-pool-}-$size" --size "$POOL" 2>&1 >/dev/null); then
                                dash_row "$size" "$method" "vers pool failed: $(echo "$perr" | tail -n 1)"
                                vers pool drain "${method#vers-pool-}-$size" >/dev/null 2>&1 || true
                                continue
                        fi ;;
                pg18-clone)
                        if [ "$pg18_ok" = 0 ]; then dash_row "$size" "$method" "$pg18_reason" && continue; fi ;;
                tmpl-pool)
                        # the faster strategy of the two; its copies made ahead, each timed
                        strategy=WAL_LOG
                        awk -v w="${p50[tmpl-wal]}" -v f="${p50[tmpl-copy]}" 'BEGIN { exit !(f < w) }' && strategy=FILE_COPY
                        : > "$root/make"
                        lim=$RUNS
                        for k in $(seq "$RUNS"); do
                                say "$size: tmpl-pool: making copy $k/$lim ahead ($strategy)"
                                spawn psql -h "$srchost" -U postgres -d postgres -qc "CREATE DATABASE pool_$k TEMPLATE app STRATEGY $strategy" |
                                        awk '{ print $NF }' >> "$root/make"
                                if [ "$k" = 1 ]; then
                                        lim=$(runs_for "$(awk '{ printf "%d", $1 }' "$root/make")")
                                        [ "$lim" != "$RUNS" ] && note_three tmpl-pool
                                fi
                                [ "$k" -ge "$lim" ] && break
                        done
                        read -r m50 _ < <(stats_ms < "$root/make")
                        echo "tmpl-pool: its copies were made ahead with STRATEGY $strategy, ${m50} ms each (p50) at $size; a claim takes the next name of the list (no process), the row times the first query in it" >> "$notes"
                        ;;
                dump-restore)
                        vers execute -b "$src" "pg_dump -Fc -f /var/tmp/app.dump app" ;;
                reflink)
                        vers execute -b "$src" "psql -qc CHECKPOINT && pg_ctl -D \$PGDATA -m fast -w stop >/dev/null && cp -a --reflink=always \$PGDATA /var/lib/postgresql/stopped && pg_ctl -D \$PGDATA -w -l /var/log/postgresql/postgresql-15-main.log start >/dev/null" ;;
                esac
                runs=$RUNS
                [ "$method" = tmpl-pool ] && runs=$(wc -l < "$root/make")
                i=0
                while [ "$i" -lt "$runs" ]; do
                        i=$((i + 1))
                        say "$size: $method run $i/$runs"
                        case "$method" in
                        vers-warm | vers-cold | vers-pool-*)
                                mode=${method##*-}
                                tag=$mode-$size
                                [ "${method#vers-pool}" != "$method" ] && pool_wait "$tag"
                                read -r t_branch _ _ t_all < <(branch_once "$tag" "$mode" b)
                                echo "$t_all" >> "$out"
                                echo "$t_branch" >> "$root/alone"
                                if [ "$timings_ok" = 1 ]; then
                                        jq -r --arg m "$method" '.[0].timings // {} | to_entries[] | "\($m) \(.key) \(.value)"' "$root/branch.json" >> "$root/phases.dat" || true
                                fi
                                if [ "$i" = 1 ] && [ -z "$client_note" ]; then
                                        # the two clients, once (3 runs each): the host's psql on the socket, and
                                        # vers execute psql inside the env
                                        : > "$root/c-host"
                                        : > "$root/c-exec"
                                        for k in 1 2 3; do
                                                branch_once "$tag" "$mode" c1 | awk '{ print $NF - $1 }' >> "$root/c-host"
                                                vers kill -y c1 >/dev/null
                                                spawn "$VERS" branch "$tag" --alias c2 "--$mode" --json + "$VERS" execute -b c2 "psql -Atc '$q_first'" |
                                                        awk '{ print $NF - $1 }' >> "$root/c-exec"
                                                vers kill -y c2 >/dev/null
                                        done
                                        read -r h50 _ < <(stats_ms < "$root/c-host")
                                        read -r e50 _ < <(stats_ms < "$root/c-exec")
                                        client_note="Client: the first query after vers branch, measured both ways ($size, $method, p50 of 3): vers env + the host's psql on the env's socket $h50 ms, vers execute psql $e50 ms. The tables use the host's psql: what a test runner on the host does, and it leaves out entering the env's namespaces"
                                fi
                                if [ "$i" = 1 ] && [ "${method#vers-pool}" = "$method" ]; then
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
                                spawn psql -h "$srchost" -U postgres -d postgres -qc "CREATE DATABASE copy TEMPLATE app STRATEGY $strategy" + \
                                        psql -h "$srchost" -U postgres -d copy -Atc "$q_first" | awk '{ print $NF }' >> "$out"
                                psql -h "$srchost" -U postgres -d postgres -qc "DROP DATABASE copy"
                                ;;
                        tmpl-pool)
                                spawn psql -h "$srchost" -U postgres -d "pool_$i" -Atc "$q_first" | awk '{ print $NF }' >> "$out"
                                psql -h "$srchost" -U postgres -d postgres -qc "DROP DATABASE pool_$i"
                                ;;
                        pg18-clone)
                                spawn psql -h "$pg18_sock" -U postgres -d postgres -qc "CREATE DATABASE copy TEMPLATE app STRATEGY FILE_COPY" + \
                                        psql -h "$pg18_sock" -U postgres -d copy -Atc "$q_first" | awk '{ print $NF }' >> "$out"
                                pg18 -d postgres -qc "DROP DATABASE copy"
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
                        if [ "$i" = 1 ] && [ "$method" != tmpl-pool ]; then
                                runs=$(runs_for "$(awk '{ printf "%d", $1 }' "$out")")
                                [ "$runs" != "$RUNS" ] && note_three "$method"
                        fi
                done
                row "$size" "$method"
                case "$method" in vers-*)
                        read -r a50 a95 < <(stats_ms < "$root/alone")
                        read -r q50 q95 < <(stats_ms < "$out")
                        echo "| $size | $method | $a50 | $a95 | $q50 | $q95 |" >> "$procs" ;;
                esac

                # TESTS tests, each on a fresh copy
                case "$method" in
                vers-cold)
                        # unpooled: the faster of warm and cold
                        umode=cold
                        [ "$warm_ok" = 1 ] && awk -v w="${p50[vers-warm]}" -v c="${p50[vers-cold]}" 'BEGIN { exit !(w < c) }' && umode=warm
                        one_unpooled() { spawn "$VERS" branch "$umode-$size" --alias "t$1" "--$umode" --json + "$VERS" env {id} + \
                                psql -h "$VERS_ROOT/sockets/{id}" -U postgres -d app -Atc "$q_test" + "$VERS" kill -y "t$1"; }
                        run_tests "$size" "vers ($umode, unpooled)" "vers branch, vers env, psql, vers kill" one_unpooled ;;
                vers-pool-warm | vers-pool-cold)
                        if [ "$method" = vers-pool-warm ] || [ "$warm_ok" = 0 ]; then
                                ptag=${method#vers-pool-}-$size
                                pool_wait "$ptag"
                                one_pooled() { spawn "$VERS" branch "$ptag" --alias "t$1" --json + "$VERS" env {id} + \
                                        psql -h "$VERS_ROOT/sockets/{id}" -U postgres -d app -Atc "$q_test" + "$VERS" kill -y "t$1"; }
                                run_tests "$size" "vers pool (${method#vers-pool-}, $POOL ready)" "vers branch, vers env, psql, vers kill (the refill runs in the background, concurrently)" one_pooled
                        fi
                        vers pool drain "${method#vers-pool-}-$size" >/dev/null ;;
                tmpl-pool)
                        one_tmpl() { spawn psql -h "$srchost" -U postgres -d postgres -qc "CREATE DATABASE t$1 TEMPLATE app STRATEGY $strategy" + \
                                psql -h "$srchost" -U postgres -d "t$1" -Atc "$q_test" + psql -h "$srchost" -U postgres -d postgres -qc "DROP DATABASE t$1"; }
                        run_tests "$size" "tmpl-pool ($strategy)" "making each copy (integresql makes them ahead, in the background: the claims alone are the first-query row), psql, DROP DATABASE" one_tmpl ;;
                pg18-clone)
                        one_pg18() { spawn psql -h "$pg18_sock" -U postgres -d postgres -qc "CREATE DATABASE t$1 TEMPLATE app STRATEGY FILE_COPY" + \
                                psql -h "$pg18_sock" -U postgres -d "t$1" -Atc "$q_test" + psql -h "$pg18_sock" -U postgres -d postgres -qc "DROP DATABASE t$1"; }
                        run_tests "$size" "pg18-clone" "CREATE DATABASE, psql, DROP DATABASE" one_pg18 ;;
                esac
        done
        p50[seed]=$s50
        if [ "$timings_ok" = 1 ]; then
                # "SIZE METHOD PHASE P50" lines; pivoted into one table at the end
                for m in $(awk '{ print $1 }' "$root/phases.dat" | awk '!seen[$0]++'); do
                        for ph in $(awk -v m="$m" '$1 == m { print $2 }' "$root/phases.dat" | awk '!seen[$0]++'); do
                                v=$(awk -v m="$m" -v p="$ph" '$1 == m && $2 == p { print $3 }' "$root/phases.dat" | stats_ms | awk '{ print $1 }')
                                echo "$size $m $ph $v" >> "$phases"
                        done
                done
        fi
        best=${p50[vers-cold]}
        [ "${p50[vers-warm]}" != - ] && best=$(awk -v a="${p50[vers-warm]}" -v b="$best" 'BEGIN { print (a < b) ? a : b }')
        pbest=-
        for m in vers-pool-warm vers-pool-cold; do
                [ "${p50[$m]}" = - ] && continue
                if [ "$pbest" = - ]; then pbest=${p50[$m]}; else pbest=$(awk -v a="${p50[$m]}" -v b="$pbest" 'BEGIN { print (a < b) ? a : b }'); fi
        done
        case "$size" in *tables) ;; *)
                echo "$size ${p50[vers-warm]} ${p50[vers-cold]} ${p50[vers-pool-warm]} ${p50[vers-pool-cold]} ${p50[tmpl-wal]} ${p50[tmpl-copy]} ${p50[tmpl-pool]} ${p50[pg18-clone]} ${p50[dump-restore]} ${p50[reflink]} ${p50[seed]}" >> "$plotdata" ;;
        esac
        awk -v s="$size" -v v="$best" -v t="${p50[tmpl-wal]}" -v f="${p50[tmpl-copy]}" -v d="${p50[dump-restore]}" -v r="${p50[reflink]}" -v e="${p50[seed]}" \
                'BEGIN { printf "%s: vers %.3f s — %.1f× template (WAL_LOG), %.1f× template (FILE_COPY), %.1f× dump/restore, %.1f× reflink+server, %.1f× seeding\n", s, v, t / v, f / v, d / v, r / v, e / v }' >> "$ratios"
        awk -v s="$size" -v u="$best" -v p="$pbest" -v c="${p50[pg18-clone]}" -v t="${p50[tmpl-pool]}" '
                function r(peer, mine) { return (peer == "-" || mine == "-") ? "-" : sprintf("%.2f×", peer / mine) }
                BEGIN { printf "%s: vers pool %s s, vers unpooled %s s; PG18 clone %s s: %s the pool, %s unpooled; template pool %s s: %s the pool, %s unpooled\n",
                        s, p, u, c, r(c, p), r(c, u), t, r(t, p), r(t, u) }' >> "$ratios"

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
        echo "# vers bench $stamp ($SIZES; $RUNS runs each; kernel $(uname -r); $(nproc) cores; $(( ($(date +%s) - started + 30) / 60 )) min)"
        echo
        [ -n "$three" ] && echo "Ran 3 times instead of $RUNS (a first run over 10 s):$three." && echo
        [ -n "$client_note" ] && echo "$client_note." && echo
        if [ -s "$notes" ]; then sed 's/$/./; s/^/- /' "$notes"; echo; fi
        echo "Time until the first query in a copy succeeds:"
        echo
        cat "$md"
        echo
        cat "$ratios"
        echo
        echo "vers branch as a whole process (exec to exit, from bench/spawn-time.c), and with vers env + the first query:"
        echo
        cat "$procs"
        echo
        if [ "$timings_ok" = 1 ]; then
                echo "Where a branch's time goes (vers branch --timings, p50 per phase, ms; - where the method has no such phase):"
                echo
                # a column per phase seen: vers's phases in the order a branch runs them, others
                # after them as they appear, the total last
                awk 'BEGIN { k = split("open resolve metadata snapshot sandbox cgroup restore boot hostname mounts readiness", known)
                                for (c = 1; c <= k; c++) rank[known[c]] = c }
                        $3 == "total" { tot[$1, $2] = $4; next }
                        !($3 in seen) { seen[$3] = 1; if (!($3 in rank)) extra[++x] = $3 }
                        !(($1 SUBSEP $2) in row) { row[$1, $2] = ++r; rs[r] = $1; rm[r] = $2 }
                        { v[row[$1, $2], $3] = $4 }
                        END {
                                for (c = 1; c <= k; c++) if (known[c] in seen) name[++n] = known[c]
                                for (c = 1; c <= x; c++) name[++n] = extra[c]
                                printf "| size | method |"; for (c = 1; c <= n; c++) printf " %s |", name[c]; print " total |"
                                printf "|---|---|"; for (c = 1; c <= n; c++) printf "---|"; print "---|"
                                for (i = 1; i <= r; i++) {
                                        printf "| %s | %s |", rs[i], rm[i]
                                        for (c = 1; c <= n; c++) printf " %s |", ((i, name[c]) in v) ? v[i, name[c]] : "-"
                                        t = rs[i] SUBSEP rm[i]
                                        printf " %s |\n", (t in tot) ? tot[t] : "-"
                                }
                        }' "$phases"
        else
                echo "Where a branch's time goes: left out, this vers branch has no --timings."
        fi
        echo
        echo "$TESTS tests, each on a fresh copy (get a copy, one UPDATE + SELECT, drop it), one after another; where the first $TESTS_SLOW took over $SLOW_MS ms each, the rest were left out and the total extrapolated:"
        echo
        cat "$tests_md"
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
set terminal pngcairo size 1000,600
set output "$png"
set title "time to first query in a copy (p50)"
set logscale y
set ylabel "seconds"
set xlabel "data size"
set key outside right top
set grid
set datafile missing "-"
# eleven methods: three colours beyond gnuplot's eight
set linetype 9 lc rgb "#444444" pt 12
set linetype 10 lc rgb "#ff7f00" pt 14
set linetype 11 lc rgb "#a65628" pt 3
plot for [i=2:12] "$plotdata" using 0:i:xtic(1) with linespoints lt (i - 1) lw 1.5 title word("vers-warm vers-cold vers-pool-warm vers-pool-cold tmpl-wal tmpl-copy tmpl-pool pg18-clone dump-restore reflink seed", i-1)
GP
        echo
        echo "plot: $png"
fi
