#!/usr/bin/env bats
# The seed document's patterns, typed as the seed types them, on examples/ecommerce.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

@test "make demo's script runs the Quick Reference, Feature Branch and Rollback patterns" {
        need_node_pg
        d=$(mktemp -d /tmp/vers-test-demo.XXXXXX)
        run env VERS_ROOT="$d" VERS="$VERS_BIN" "$REPO/scripts/demo.sh"
        # the demo cleans up only roots it made itself
        VERS_ROOT="$d" "$VERS_BIN" shutdown >/dev/null 2>&1 || true
        vers_release_ids "$d"
        rm -rf "$d"
        echo "$output" | tail -30
        [ "$status" -eq 0 ]
        [[ "$output" == *"premium-test: passed"* ]]
        [[ "$output" == *"inventory-test: passed"* ]]
        [[ "$output" == *"simulate-corruption         users=2000  products=500  orders=5000  order_items=12000"* ]]
        [[ "$output" == *"demo: ok" ]]
}

@test "Migration Testing Pattern: two approaches on branches of one commit" {
        need_node_pg
        vers checkout base
        vers commit --tag "pre-migration-v2.0"
        vers branch --alias migration-approach-a
        vers checkout migration-approach-a
        vers execute "node migrations/approach-a.js"
        run vers execute "node test-migration.js"
        [ "$status" -eq 0 ]
        [[ "$output" == *"Migration test passed!"* ]]
        vers checkout pre-migration-v2.0
        vers branch --alias migration-approach-b
        vers checkout migration-approach-b
        vers execute "node migrations/approach-b.js"
        run vers execute "node test-migration.js"
        [ "$status" -eq 0 ]
        vers checkout migration-approach-a
        run vers execute "psql -c 'SELECT COUNT(*) FROM users'"
        [[ "$output" == *2000* ]]
        vers checkout migration-approach-b
        run vers execute "psql -c 'SELECT COUNT(*) FROM users'"
        [[ "$output" == *2000* ]]
        # the commit itself is unmigrated
        vers branch pre-migration-v2.0 --alias migration-none
        run vers execute -b migration-none "psql -Atc \"SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'premium_level'\""
        [ "$output" = 0 ]
}

@test "Data Transformation Pattern: a loop of branches, results in /tmp of each env" {
        vers checkout base
        vers commit --tag "production-data-loaded"
        for variant in conservative aggressive incremental; do
                vers branch --alias "transform-$variant"
                vers checkout "transform-$variant"
                vers execute "psql -qc \"UPDATE products SET price = price * 2 WHERE name LIKE '%$variant%' OR '$variant' = 'aggressive'\""
                vers execute "psql -Atc 'SELECT sum(price)::bigint FROM products' > /tmp/results-$variant.json"
        done
        for variant in conservative aggressive incremental; do
                vers checkout "transform-$variant"
                run vers execute "cat /tmp/results-$variant.json"
                [ "$status" -eq 0 ]
                echo "$variant: $output" >> "$BATS_TEST_TMPDIR/results"
        done
        agg=$(grep aggressive "$BATS_TEST_TMPDIR/results" | cut -d' ' -f2)
        con=$(grep conservative "$BATS_TEST_TMPDIR/results" | cut -d' ' -f2)
        [ "$agg" -gt "$con" ]
}

@test "Performance pattern: indexed vs unindexed branches of one state" {
        need_node_pg
        vers checkout base
        vers commit --tag seeded
        vers checkout seeded
        vers branch --alias perf-no-index
        vers checkout perf-no-index
        vers execute "node test-performance.js" > "$BATS_TEST_TMPDIR/results-no-index.json"
        vers checkout seeded
        vers branch --alias perf-with-index
        vers checkout perf-with-index
        vers execute "psql -f add-indexes.sql"
        vers execute "node test-performance.js" > "$BATS_TEST_TMPDIR/results-with-index.json"
        grep -q "Join query" "$BATS_TEST_TMPDIR/results-no-index.json"
        grep -q "Join query" "$BATS_TEST_TMPDIR/results-with-index.json"
        q="psql -Atc \"SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%\\_idx'\""
        run vers execute -b perf-no-index "$q"
        [ "$output" = 0 ]
        run vers execute -b perf-with-index "$q"
        [ "$output" -gt 0 ]
}

@test "Best practice 4: vers branch delete test-* cleans up test branches" {
        vers commit -b base --tag before-test-branches >/dev/null
        vers branch before-test-branches --alias test-a
        vers branch before-test-branches --alias test-b
        # from a directory where the shell finds no test-* files, as the seed types it; -y since
        # there is no terminal to answer on, VERS_PROJECT since the project is still this one
        empty=$(mktemp -d)
        cd "$empty"
        run env VERS_PROJECT="$PROJ" "$VERS_BIN" branch delete -y test-*
        cd "$PROJ"
        rmdir "$empty"
        [ "$status" -eq 0 ]
        json_ok 'all(.[]; .alias | startswith("test-") | not)' "$(vers status --json)"
}
