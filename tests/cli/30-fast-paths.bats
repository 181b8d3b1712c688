#!/usr/bin/env bats
# The unpooled branch paths, as issue 14 made them: where the time goes (--timings,
# VERS_TRACE), readiness seen from inside the env (no sh polling, no refused connections in
# the server's log), the boot steps done by vers-init, --count made at the same time, and cold
# commits that never stop the source. Speed itself is bench/'s, never asserted here.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
        cd "$PROJ"
        vers commit --cold --tag cold >/dev/null
        if warm_usable; then vers commit --warm --tag warm >/dev/null; fi
}
teardown_file() {
        [ -z "${WRITER:-}" ] || kill "$WRITER" 2>/dev/null || true
        vers_teardown_root
}

setup() { cd "$PROJ"; }

rows_over() { # env table n: the table has more than n rows
        [ "$(count_of "$1" "$2" 2>/dev/null || echo 0)" -gt "$3" ]
}

@test "branch --timings names each phase in ms; --json carries them; VERS_TRACE=1 prints any command's" {
        run vers branch cold --alias t1 --timings
        [ "$status" -eq 0 ]
        [[ "$output" == *"branched from cold (cold,"* ]]
        line=$(grep '^  timings: ' <<< "$output")
        for phase in open metadata snapshot sandbox mounts boot readiness total; do
                [[ "$line" =~ (^|[ ,])$phase\ [0-9]+\.[0-9]\ ms ]] || { echo "no $phase in: $line"; false; }
        done
        run --separate-stderr vers branch cold --alias t2 --json --timings
        [ "$status" -eq 0 ]
        json_ok '.[0].timings | (.snapshot | type == "number") and (.sandbox >= 0) and (.readiness >= 0)'
        # the total is the sum of the phases (to the rounding of each)
        json_ok '.[0].timings | ((to_entries | map(select(.key != "total") | .value) | add) - .total | fabs) < 1'
        run --separate-stderr vers branch cold --alias t3 --json
        json_ok '.[0] | has("timings") | not'
        VERS_TRACE=1 run --separate-stderr vers status
        [ "$status" -eq 0 ]
        [[ "$stderr" == "vers: trace: open "*" ms, "*"total "*" ms" ]]
        run --separate-stderr vers status
        [ -z "$stderr" ]
        vers branch delete -y 't*' >/dev/null
}

@test "a warm branch's timings name the restore" {
        skip_unless_warm
        run --separate-stderr vers branch warm --alias tw --json --timings
        [ "$status" -eq 0 ]
        json_ok '.[0].mode == "warm" and (.[0].timings | has("restore") and has("readiness"))'
        vers kill -y tw >/dev/null
}

@test "a cold branch is answering when branch returns, and its server's log has no refused connection" {
        vers branch cold --alias c1 >/dev/null
        # no wait: the first query works at once
        run vers execute -b c1 "psql -Atc 'SELECT count(*) FROM products'"
        [ "$status" -eq 0 ]
        [ "$output" -gt 0 ]
        # readiness read the pid file's status before it connected: no "starting up" noise
        run vers execute -b c1 'grep -c "the database system is \(starting up\|not yet accepting\)" /var/log/postgresql/postgresql-15-main.log'
        [ "$output" = 0 ]
        vers kill -y c1 >/dev/null
}

@test "vers-init did the boot steps and runs the server itself, without a shell" {
        vers branch cold --alias c2 >/dev/null
        run vers execute -b c2 'stat -c "%U:%G %a" /run/postgresql'
        [ "$output" = "postgres:postgres 2775" ]
        run vers execute -b c2 'p=$(head -1 $PGDATA/postmaster.pid); echo "$(ps -o ppid= -p $p | tr -d " ") $(tr "\0" " " < /proc/$p/cmdline)"'
        [[ "$output" == "1 /usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql/15/main " ]]
        # the image's own files say it: no boot script any more
        run vers execute -b c2 'test -e /.vers/boot'
        [ "$status" -ne 0 ]
        vers kill -y c2 >/dev/null
}

@test "an env's own /.vers/probes is not what vers reads: the image's copy is" {
        vers branch cold --alias h1 >/dev/null
        # a hostile env points its probes elsewhere (a host path, a FIFO as pid file)
        vers execute -b h1 'printf "postgres\tpg\t/nonexistent.sock\t/run/fifo\n" > /.vers/probes; mkfifo /run/fifo'
        vers commit -b h1 --cold --tag hostile-probes >/dev/null
        run vers branch hostile-probes --alias h2
        [ "$status" -eq 0 ]
        run count_of h2 products
        [ "$output" -gt 0 ]
        vers kill -y h1 h2 >/dev/null
}

@test "a server that exits while it starts fails the branch at once, with its log, and leaves no env" {
        vers branch cold --alias broken >/dev/null
        vers execute -b broken 'echo "no_such_setting_vers = 1" >> $PGDATA/postgresql.conf'
        vers commit -b broken --cold --tag broken-conf >/dev/null
        SECONDS=0
        run vers branch broken-conf --alias b2
        [ "$status" -ne 0 ]
        [[ "$output" == *"service postgres exited before it answered"* ]]
        [[ "$output" == *"no_such_setting_vers"* ]]
        # not the 120 s readiness timeout
        [ "$SECONDS" -lt 60 ]
        run env_json b2
        [ -z "$output" ]
        vers kill -y broken >/dev/null
}

@test "branch --count makes its envs at the same time, each its own, named in order" {
        run --separate-stderr vers branch cold --alias par --count 4 --json --timings
        [ "$status" -eq 0 ]
        json_ok 'length == 4 and (map(.alias) == ["par-1", "par-2", "par-3", "par-4"])'
        json_ok 'map(.id) | unique | length == 4'
        json_ok 'all(.timings.total > 0)'
        for i in 1 2 3 4; do
                vers execute -b "par-$i" "psql -qc 'CREATE TABLE only_in_$i (x int)'"
        done
        # each is isolated from the others
        run vers execute -b par-1 "psql -Atc \"SELECT count(*) FROM pg_tables WHERE tablename LIKE 'only_in_%'\""
        [ "$output" = 1 ]
        # a name taken makes that one fail and the others still exist
        run vers branch cold --alias par --count 5
        [ "$status" -ne 0 ]
        [[ "$output" == *"par-1"*"already exists"* ]]
        run env_json par-5
        [ -n "$output" ]
        vers branch delete -y 'par-*' >/dev/null
}

@test "a cold commit does not stop the source: a writer goes on, and the branch is consistent" {
        vers execute -b base "psql -qc 'CREATE TABLE pair_a (n int); CREATE TABLE pair_b (n int)'"
        # every transaction adds one row to each table: a consistent copy has equal counts
        vers execute -b base 'i=0; while [ $i -lt 100000 ]; do psql -qc "BEGIN; INSERT INTO pair_a VALUES ($i); INSERT INTO pair_b VALUES ($i); COMMIT"; i=$((i+1)); done' >/dev/null 2>&1 &
        WRITER=$!
        wait_for -m "the writer's first rows" rows_over base pair_a 5
        run --separate-stderr vers commit -b base --cold --tag under-load --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "cold" and .pause_ms == 0'
        before=$(count_of base pair_a)
        # the source was not frozen: it keeps writing
        wait_for -m "the writer to go on after the commit" rows_over base pair_a "$before"
        kill "$WRITER"; wait "$WRITER" 2>/dev/null || true
        WRITER=
        vers branch under-load --alias consistent >/dev/null
        a=$(count_of consistent pair_a)
        b=$(count_of consistent pair_b)
        [ "$a" -gt 5 ]
        [ "$a" = "$b" ]
        vers kill -y consistent >/dev/null
}
