#!/usr/bin/env bats
# vers diff on the example database: the seed's Migration Testing Pattern (approach A adds a
# column and backfills it; approach B rebuilds the table and swaps it in), a migration that
# deletes rows, identical branches, names a migration could plant (terminal escapes shown
# escaped everywhere), a statement cut at the statement timeout, a 1M-row table diffed in
# bounded memory, and a diff interrupted while it reads (its cold branch goes with it).

load helpers

setup_file() {
        vers_setup_root
        # the MariaDB and Redis project of the last test (made here, so teardown_file sees it)
        export MS
        MS=$(mktemp -d /tmp/vers-test-ms.XXXXXX) && chmod 755 "$MS"
        vers_seeded_base
        cd "$PROJ"
        vers commit --tag pre-migration-v2.0 >/dev/null
}
teardown_file() {
        vers_teardown_root
        [ -z "${MS:-}" ] || rm -rf "$MS"
}

setup() { cd "$PROJ"; }

n_envs() { vers status --json | jq length; }
more_envs_than() { [ "$(n_envs)" -gt "$1" ]; }

# approach A of the seed, as SQL (migrations/approach-a.js runs the same statements)
approach_a() {
        vers execute -b "$1" "psql -v ON_ERROR_STOP=1 -q -c 'ALTER TABLE users ADD COLUMN premium_level INTEGER NOT NULL DEFAULT 0' -c \"UPDATE users SET premium_level = CASE WHEN created_at < '2024-01-01' THEN 1 ELSE 0 END\""
}

@test "identical branches: exit 0, equal, and the cold branch of the commit is gone after" {
        vers branch pre-migration-v2.0 --alias same-a >/dev/null
        vers branch pre-migration-v2.0 --alias same-b >/dev/null
        run vers diff same-a same-b
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"env same-a, B = env same-b: equal"* ]]
        [[ "$output" == *"schema: equal"* ]]
        [[ "$output" =~ public\.users\ +2000\ +2000\ +equal ]]
        before=$(n_envs)
        run --separate-stderr vers diff pre-migration-v2.0 same-a --data --json
        [ "$status" -eq 0 ]
        json_ok '.equal and .a == "commit pre-migration-v2.0" and .b == "env same-a"'
        json_ok '.services[0].service == "postgres" and .services[0].database == "app"'
        json_ok '[.services[0].tables[] | select(.equal | not)] | length == 0'
        json_ok '[.services[0].tables[].name] == ["public.order_items", "public.orders", "public.products", "public.users"]'
        json_ok '.services[0].tables[] | select(.name == "public.orders") | .rows_a == 5000 and .added == 0 and .keyed'
        [ "$(n_envs)" -eq "$before" ]
}

@test "Migration Testing Pattern, approach A: the added column in the schema diff, exit 1" {
        vers branch pre-migration-v2.0 --alias migration-approach-a >/dev/null
        approach_a migration-approach-a
        run vers diff pre-migration-v2.0 migration-approach-a
        echo "$output"
        [ "$status" -eq 1 ]
        [[ "$output" == *"--- commit pre-migration-v2.0"* ]]
        [[ "$output" == *"+++ env migration-approach-a"* ]]
        [[ "$output" == *$'\n+column public.users.premium_level integer not null default 0\n'* ]]
        [[ "$output" =~ public\.users\ +2000\ +2000\ +equal\;\ only\ in\ B:\ premium_level ]]
        # one operand: the env against the commit it was branched from
        run --separate-stderr vers diff migration-approach-a --json
        [ "$status" -eq 1 ]
        json_ok '.equal == false and .services[0].schema.added == 1 and .services[0].schema.removed == 0'
        json_ok '.services[0].tables[] | select(.name == "public.users") | .columns_only_b == ["premium_level"] and .equal'
        run vers diff migration-approach-a --schema
        [ "$status" -eq 1 ]
        [[ "$output" != *"TABLE"* ]]
        run vers diff migration-approach-a --stat
        [ "$status" -eq 1 ]
        [[ "$output" == *"schema: differs (+1 -0 lines)"* ]]
        [[ "$output" == *"tables: equal"* ]]
}

@test "Migration Testing Pattern: approach A and approach B (table swap) end equal" {
        need_node_pg
        vers branch pre-migration-v2.0 --alias migration-approach-b >/dev/null
        vers execute -b migration-approach-b "node migrations/approach-b.js" >/dev/null
        run vers diff migration-approach-a migration-approach-b --data
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *": equal"* ]]
}

@test "a migration that deletes rows: --data lists them by primary key, --limit bounds them" {
        vers branch pre-migration-v2.0 --alias prune >/dev/null
        items=$(vers execute -b prune "psql -Atc 'SELECT count(*) FROM order_items WHERE order_id IN (SELECT id FROM orders ORDER BY id LIMIT 3)'")
        [ "$items" -gt 0 ]
        vers execute -b prune "psql -qc 'DELETE FROM orders WHERE id IN (SELECT id FROM orders ORDER BY id LIMIT 3)'"
        vers execute -b prune "psql -qc \"UPDATE products SET stock = stock + 1 WHERE id IN (SELECT id FROM products ORDER BY id LIMIT 2)\""
        run --separate-stderr vers diff prune --data --limit 2 --json
        [ "$status" -eq 1 ]
        json_ok '.services[0].schema.equal'
        json_ok '.services[0].tables[] | select(.name == "public.orders") | .removed == 3 and .added == 0 and .changed == 0 and .rows_b == 4997 and (.rows | length) == 2 and all(.rows[]; .op == "-" and .a != null and .b == null)'
        json_ok ".services[0].tables[] | select(.name == \"public.order_items\") | .removed == $items and .rows_b == 12000 - $items"
        json_ok '.services[0].tables[] | select(.name == "public.products") | .changed == 2 and .rows[0].op == "~" and (.rows[0].a | test("\"stock\" : [0-9]+"))'
        json_ok '.services[0].tables[] | select(.name == "public.users") | .equal'
        run vers diff prune --data --limit 1
        [ "$status" -eq 1 ]
        [[ "$output" == *"public.orders: 0 added, 3 removed, 0 changed"* ]]
        [[ "$output" == *"... (2 more)"* ]]
        [[ "$output" =~ public\.orders\ +5000\ +4997\ +rows\ differ\ \(\+0\ -3\ ~0\) ]]
}

@test "tables without a key compare as multisets; names a migration plants are shown escaped" {
        vers branch pre-migration-v2.0 --alias odd >/dev/null
        # a table name with a quote and a terminal escape in it, a column name with a space
        printf '%s\n' "CREATE TABLE audit(msg text);" \
                "INSERT INTO audit SELECT 'm' || (g % 2) FROM generate_series(1, 6) g;" \
                "CREATE TABLE \"we\"\"ird"$'\033'"[31m\" (id int PRIMARY KEY, \"co l\" text);" \
                "INSERT INTO \"we\"\"ird"$'\033'"[31m\" VALUES (1, E'a\\tb');" > odd.sql
        vers execute -b odd "psql -v ON_ERROR_STOP=1 -q -f odd.sql"
        vers commit -b odd --tag odd-base >/dev/null
        vers branch odd-base --alias odd2 >/dev/null
        vers execute -b odd2 "psql -qc \"DELETE FROM audit WHERE ctid IN (SELECT ctid FROM audit WHERE msg = 'm1' LIMIT 2)\""
        # a changed row of the oddly named table: its name in the rows' heading too, and an
        # OSC sequence (a terminal title) in a name of the env's
        printf '%s\n' "UPDATE \"we\"\"ird"$'\033'"[31m\" SET \"co l\" = 'c';" \
                "CREATE TABLE \"t"$'\033'"]0;pwned"$'\007'"\" (id int PRIMARY KEY);" > odd2.sql
        vers execute -b odd2 "psql -v ON_ERROR_STOP=1 -q -f odd2.sql"
        run --separate-stderr vers diff odd-base odd2 --data
        echo "$output"
        echo "$stderr"
        [ "$status" -eq 1 ]
        [[ "$output" == *'public."we""ird\x1b[31m": 0 added, 0 removed, 1 changed'* ]]
        [[ "$output" == *'public."t\x1b]0;pwned\x07"'* ]]
        [[ "$stderr" != *$'\033'* ]]
        [[ "$output" == *"public.audit: 0 added, 2 removed, 0 changed (no primary key)"* ]]
        [[ "$output" == *'- 2 x {"msg" : "m1"}'* ]]
        [[ "$output" == *'public."we""ird\x1b[31m"'* ]]
        [[ "$output" != *$'\033'* ]]
        run --separate-stderr vers diff odd-base odd2 --data --json
        [ "$status" -eq 1 ]
        json_ok '.services[0].tables[] | select(.name == "public.audit") | .keyed == false and .removed == 2 and .rows[0].count == 2'
        # a new column's rows: the rest of the content still compares
        vers execute -b odd2 "psql -qc 'ALTER TABLE audit ADD COLUMN at int'"
        run --separate-stderr vers diff odd-base odd2 --json
        json_ok '.services[0].tables[] | select(.name == "public.audit") | .columns_only_b == ["at"] and .rows_b == 4'
}

@test "bad usage exits 129, trouble exits 2" {
        run vers diff
        [ "$status" -eq 129 ]
        run vers diff a b --schema --data
        [ "$status" -eq 129 ]
        [[ "$output" == *"exclude each other"* ]]
        run vers diff no-such-env base
        [ "$status" -eq 2 ]
        [[ "$output" == "vers: no env or commit named 'no-such-env'"* ]]
        # base was committed last as pre-migration-v2.0: one operand compares with that
        run vers diff base --stat
        [ "$status" -eq 0 ]
        [[ "$output" == *"A = commit pre-migration-v2.0, B = env base: equal"* ]]
        run vers diff pre-migration-v2.0
        [ "$status" -eq 2 ]
        [[ "$output" == *"is not an env"* ]]
        run vers diff --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"Exit status: 0 equal, 1 different, 2 trouble."* ]]
        # a result that cannot be written is trouble, not "different"
        run bash -c '"$0" diff base --stat >/dev/full' "$VERS_BIN"
        [ "$status" -eq 2 ]
        [[ "$output" == *"cannot write to standard output"* ]]
        run vers diff base --data --limit 10001
        [ "$status" -eq 129 ]
}

# the lock the locker session holds on users, granted
locker_holds() {
        [ "$(vers execute -b locked "psql -Atc \"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'locker' AND l.mode = 'AccessExclusiveLock' AND l.granted\"")" = 1 ]
}

@test "a statement that would wait is cancelled at the statement timeout, exit 2" {
        vers branch pre-migration-v2.0 --alias locked >/dev/null
        vers execute -b locked "PGAPPNAME=locker psql -q -c 'BEGIN' -c 'LOCK TABLE users' -c 'SELECT pg_sleep(3600)'" >/dev/null 2>&1 &
        locker=$!
        wait_for -t 60 -m "the locker's lock" locker_holds
        # the lock timeout (30 s) would say "lock timeout": this is the statement timeout
        VERS_DIFF_STATEMENT_TIMEOUT=2 run vers diff pre-migration-v2.0 locked
        echo "$output"
        vers execute -b locked "psql -qAtc \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'\"" >/dev/null
        wait "$locker" || true
        [ "$status" -eq 2 ]
        [[ "$output" == *"env locked: psql failed: "*"canceling statement due to statement timeout"* ]]
        # and without the lock the same diff runs
        VERS_DIFF_STATEMENT_TIMEOUT=2 run vers diff pre-migration-v2.0 locked
        [ "$status" -eq 0 ]
}

@test "a 1M-row table: rows added, removed and changed found in bounded memory" {
        vers branch pre-migration-v2.0 --alias big >/dev/null
        vers execute -b big "psql -v ON_ERROR_STOP=1 -qc \"CREATE TABLE big(id int PRIMARY KEY, v text, n bigint); INSERT INTO big SELECT g, repeat(md5(g::text), 3), g * 7 FROM generate_series(1, 1000000) g\""
        size=$(vers execute -b big "psql -Atc \"SELECT pg_total_relation_size('big')\"")
        vers commit -b big --tag big-base >/dev/null
        vers branch big-base --alias big2 >/dev/null
        vers execute -b big2 "psql -qc 'UPDATE big SET n = -n WHERE id % 100000 = 0' -c 'DELETE FROM big WHERE id BETWEEN 500 AND 504' -c \"INSERT INTO big VALUES (2000001, 'x', 1)\""
        run --separate-stderr /usr/bin/time -f '%M' -o "$BATS_TEST_TMPDIR/rss" "$VERS_BIN" diff big-base big2 --data --json
        [ "$status" -eq 1 ]
        json_ok '.services[0].tables[] | select(.name == "public.big") | .rows_a == 1000000 and .rows_b == 999996 and .added == 1 and .removed == 5 and .changed == 10 and (.rows | length) == 10'
        rss_kib=$(tail -1 "$BATS_TEST_TMPDIR/rss")
        echo "# vers diff of a 1M-row table ($((size / 1048576)) MiB): max RSS $((rss_kib / 1024)) MiB" >&3
        # the table is streamed, never held: far under its size (and a fixed 64 MiB)
        [ "$rss_kib" -lt 65536 ]
        [ "$((rss_kib * 1024))" -lt "$((size / 2))" ]
}

@test "an interrupted diff deletes the cold branch it made and exits 2" {
        before=$(n_envs)
        "$VERS_BIN" diff big-base big2 --data > "$BATS_TEST_TMPDIR/out" 2>&1 &
        pid=$!
        wait_for -t 60 -m "the diff's cold branch" more_envs_than "$before"
        kill -INT "$pid"
        rc=0
        wait "$pid" || rc=$?
        cat "$BATS_TEST_TMPDIR/out"
        [ "$rc" -eq 2 ]
        grep -q "interrupted" "$BATS_TEST_TMPDIR/out"
        [ "$(n_envs)" -eq "$before" ]
}

# the diff's own cold branch: no alias, an expiry
diff_branches() { vers status --json | jq -r '[.[] | select(.alias == null and .expires != null)] | length'; }
has_diff_branch() { [ "$(diff_branches)" -eq 1 ]; }
# (both status calls sweep: the one that deletes the branch, once its killed psql has ended and
# it has no live session left, may be either, and says so into the file)
back_to() {
        vers status >/dev/null 2>>"$BATS_TEST_TMPDIR/sweeps"
        [ "$(vers status --json 2>>"$BATS_TEST_TMPDIR/sweeps" | jq length)" -eq "$1" ]
}

@test "a killed diff's cold branch expires, and the next vers command deletes it" {
        before=$(n_envs)
        "$VERS_BIN" diff big-base big2 --data > "$BATS_TEST_TMPDIR/out" 2>&1 &
        pid=$!
        wait_for -t 60 -m "the diff's cold branch, with its expiry" has_diff_branch
        # no handler runs: the branch stays, but with an hour to live
        kill -KILL "$pid"
        wait "$pid" || true
        json_ok '[.[] | select(.alias == null)] | .[0].expires_in > 3500' "$(vers status --json)"
        # as if the hour had passed (its psql, reading into a pipe no one reads, ends)
        sqlite3 "$VERS_ROOT/vers.db" "UPDATE envs SET expires = strftime('%s','now') - 1 WHERE alias IS NULL AND expires > 0"
        wait_for -t 60 -m "the expired branch to be deleted" back_to "$before"
        grep -q "deleted env .*it expired" "$BATS_TEST_TMPDIR/sweeps"
}

@test "vers test --diff: each branch against its checkpoint, in --json and in --junit" {
        run --separate-stderr vers test --migrations migrations --only 001_add_premium_level/up --diff --json --junit "$BATS_TEST_TMPDIR/j.xml"
        [ "$status" -eq 0 ]
        json_ok '.results | length == 1'
        json_ok '.results[0].diff.equal == false and (.results[0].diff.a | startswith("commit "))'
        json_ok '.results[0].diff.services[0].schema.added == 1'
        json_ok '.results[0].diff.services[0].schema.diff | contains("+column public.users.premium_level integer default 0")'
        json_ok '.results[0].diff.services[0].tables[] | select(.name == "public.users") | .columns_only_b == ["premium_level"] and .rows_a == .rows_b'
        grep -q '<system-out>vers diff: A = commit ' "$BATS_TEST_TMPDIR/j.xml"
        grep -q 'public.users: 2000 -&gt; 2000 rows; only in B: premium_level' "$BATS_TEST_TMPDIR/j.xml"
        # without --diff, no diff
        run --separate-stderr vers test --migrations migrations --only 001_add_premium_level/up --json
        [ "$status" -eq 0 ]
        json_ok '.results[0] | has("diff") | not'
        run vers test --list --diff
        [ "$status" -eq 129 ]
}

@test "MariaDB and Redis: schema, row counts and checksums; keyspace counts by type" {
        printf '[storage]\ncluster_mib = 2000\n\n[services.db]\ntemplate = "mysql"\ndatabases = ["shop"]\n\n[services.cache]\ntemplate = "redis@7"\n' > "$MS/vers.toml"
        cd "$MS"
        vers run --alias ms >/dev/null
        vers execute "mariadb shop -e 'CREATE TABLE items(id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(8,2)); INSERT INTO items VALUES (1, \"a\", 1.5), (2, \"b\", NULL)'"
        vers execute "redis-cli set k1 v1 >/dev/null && redis-cli hset h f v >/dev/null && redis-cli -n 2 set x y >/dev/null"
        vers commit --tag ms-base >/dev/null
        vers branch ms-base --alias ms-same >/dev/null
        run vers diff ms-base ms-same
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"db (mysql, database shop): A = commit ms-base, B = env ms-same: equal"* ]]
        [[ "$output" == *"cache (redis): A = commit ms-base, B = env ms-same: equal"* ]]
        [[ "$output" =~ shop\.items\ +2\ +2\ +equal ]]
        vers branch ms-base --alias ms-changed >/dev/null
        vers execute -b ms-changed "mariadb shop -e 'ALTER TABLE items ADD COLUMN qty INT DEFAULT 0; UPDATE items SET name = \"c\" WHERE id = 2'"
        vers execute -b ms-changed "redis-cli del k1 >/dev/null && redis-cli lpush l a b >/dev/null"
        run --separate-stderr vers diff ms-base ms-changed --json
        [ "$status" -eq 1 ]
        json_ok '.services[0].schema.diff | contains("+column items.qty int(11) default 0")'
        json_ok '.services[0].tables[0] | .name == "shop.items" and .rows_a == 2 and .rows_b == 2 and .checksum_a != .checksum_b and .columns_only_b == ["qty"]'
        json_ok '.services[1].tables[] | select(.name == "db0") | .rows_a == 2 and .rows_b == 2 and .equal == false and (.checksum_a | contains("string=1/2")) and (.checksum_b | contains("list=1/2"))'
        json_ok '.services[1].tables[] | select(.name == "db2") | .equal'
        # 1500 tables of long names: their statements (200 KiB) are more than one argument
        # may be (128 KiB); they go to the client's stdin
        long=$(printf 'x%.0s' $(seq 56))
        for i in $(seq 1500); do echo "CREATE TABLE t_${long}_$i (id INT);"; done > many.sql
        vers execute -b ms-changed "mariadb shop < many.sql"
        run --separate-stderr vers diff ms-base ms-changed --json
        echo "$stderr"
        [ "$status" -eq 1 ]
        json_ok '(.services[0].tables | length) == 1501 and ([.services[0].tables[] | select(.in_b and (.in_a | not))] | length) == 1500'
}
