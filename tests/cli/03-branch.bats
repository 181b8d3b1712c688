#!/usr/bin/env bats
# Commits, branches, checkout, rollback, delete: the branching workflow of the seed.
# setup_file makes env base (seeded) and its commit baseline; every test starts with HEAD on
# base and makes any other env it uses itself.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
        cd "$PROJ"
        vers commit --tag baseline >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() {
        cd "$PROJ"
        vers checkout base >/dev/null
}

@test "commit --json reports id, tag, mode and the pause" {
        mode=$(vers doctor --json | jq -r .commit_mode)
        run --separate-stderr vers commit --tag second -m "another checkpoint" --json
        [ "$status" -eq 0 ]
        json_ok '.id | test("^[0-9a-f]{12}$")'
        json_ok '.tag == "second" and .message == "another checkpoint"'
        json_ok ".mode == \"$mode\""
        json_ok '.pause_ms | type == "number"'
        run --separate-stderr vers commit --cold --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "cold"'
}

@test "a tag may be a sentence, as in the seed" {
        run vers commit --tag "Base e-commerce schema with sample data loaded"
        [ "$status" -eq 0 ]
        run vers tag list
        [[ "$output" == *"Base e-commerce schema with sample data loaded"* ]]
        run vers checkout "Base e-commerce schema with sample data loaded"
        [ "$status" -eq 0 ]
        vers checkout base
}

@test "a tag or alias cannot be taken twice" {
        run vers commit --tag baseline
        [ "$status" -eq 1 ]
        [ "$output" = "vers: a commit tagged 'baseline' already exists in this project" ]
        run vers branch baseline --alias base
        [ "$status" -eq 1 ]
        [ "$output" = "vers: an env named 'base' already exists" ]
}

@test "branch from a tag: same data, and HEAD does not move" {
        run vers branch baseline --alias b1
        [ "$status" -eq 0 ]
        [[ "$output" == "env "*" (b1) branched from baseline ("* ]]
        [ "$(checksums b1)" = "$(checksums base)" ]
        run vers head
        [[ "$output" == *"(base)" ]]
}

@test "isolation: a write in a branch is invisible to its sibling and its parent, and back" {
        vers branch baseline --alias iso-a >/dev/null
        vers branch baseline --alias iso-b >/dev/null
        vers execute -b iso-a "psql -qc \"INSERT INTO users(email, name) VALUES ('a@x', 'in-a')\""
        [ "$(count_of iso-a users)" = 2001 ]
        [ "$(count_of iso-b users)" = 2000 ]
        [ "$(count_of base users)" = 2000 ]
        vers execute -b base "psql -qc \"INSERT INTO users(email, name) VALUES ('p@x', 'in-parent')\""
        [ "$(count_of base users)" = 2001 ]
        [ "$(count_of iso-b users)" = 2000 ]
        run vers execute -b iso-a "psql -Atc \"SELECT name FROM users WHERE email LIKE '%@x' ORDER BY 1\""
        [ "$output" = in-a ]
        vers execute -b base "psql -qc \"DELETE FROM users WHERE email = 'p@x'\""
}

@test "branch of an env commits it first and copies its current state" {
        vers branch baseline --alias parent-env >/dev/null
        vers execute -b parent-env "psql -qc \"INSERT INTO users(email, name) VALUES ('c@x', 'in-parent-env')\""
        vers execute -b parent-env "psql -qc 'CREATE TABLE only_in_parent(x int)'"
        run vers branch parent-env --alias parent-env-child
        [ "$status" -eq 0 ]
        run vers execute -b parent-env-child "psql -Atc 'SELECT count(*) FROM only_in_parent'"
        [ "$output" = 0 ]
        [ "$(count_of parent-env-child users)" = 2001 ]
}

@test "checkout of a tag makes the next branch come from the tag" {
        vers branch baseline --alias co-src >/dev/null
        vers execute -b co-src "psql -qc 'CREATE TABLE only_in_a(x int)'"
        vers checkout co-src
        vers checkout baseline
        run vers head
        [[ "$output" == "commit "*"(baseline)" ]]
        run vers branch --alias from-head-tag
        [ "$status" -eq 0 ]
        [[ "$output" == *"branched from baseline"* ]]
        run vers execute "true"
        [ "$status" -eq 1 ]
        [[ "$output" == *"HEAD is commit 'baseline', not an env"* ]]
        vers checkout from-head-tag
        run vers execute "psql -Atc \"SELECT to_regclass('only_in_a') IS NULL\""
        [ "$output" = t ]
}

@test "branch --checkout moves HEAD; --count makes several" {
        run vers branch baseline --alias many --count 3 --checkout
        [ "$status" -eq 0 ]
        [ "${#lines[@]}" -eq 3 ]
        run vers head
        [[ "$output" == *"(many-3)" ]]
        for i in 1 2 3; do [ "$(count_of many-$i orders)" = 5000 ]; done
}

@test "rollback restores every table exactly, keeps alias and HEAD" {
        vers branch baseline --alias victim --checkout >/dev/null
        before=$(checksums victim)
        id_before=$(vers head --json)
        vers execute "psql -qc \"DELETE FROM orders WHERE created_at > '2024-06-01'\""
        vers execute "psql -qc 'UPDATE users SET email = NULL;'"
        vers execute "psql -qc 'DROP TABLE order_items'"
        [ "$(checksums victim 2>/dev/null)" != "$before" ]
        run vers rollback baseline
        [ "$status" -eq 0 ]
        [[ "$output" == "env victim rolled back to baseline"* ]]
        [ "$(checksums victim)" = "$before" ]
        [ "$(vers head --json)" = "$id_before" ]
}

@test "rollback without an argument goes back to the env's last commit" {
        vers branch baseline --alias to-last --checkout >/dev/null
        vers commit --tag to-last-good >/dev/null
        vers execute "psql -qc 'TRUNCATE order_items'"
        [ "$(count_of to-last order_items)" = 0 ]
        vers rollback
        [ "$(count_of to-last order_items)" = 12000 ]
}

@test "rollback refuses an env as target" {
        run vers rollback -b base base
        [ "$status" -eq 1 ]
        [[ "$output" == *"'base' is an env"* ]]
}

@test "commits are immutable: their snapshot is read-only and later writes do not reach it" {
        id=$(vers commit list --json | jq -r '.[] | select(.tag == "baseline") | .id')
        [ -n "$id" ]
        run touch "$VERS_ROOT/store/commits/$id/rootfs/tmp/x"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Read-only file system"* ]]
        vers execute -b base "psql -qc 'CREATE TABLE after_commit(x int)'"
        vers branch baseline --alias immut >/dev/null
        run vers execute -b immut "psql -Atc \"SELECT to_regclass('after_commit') IS NULL\""
        [ "$output" = t ]
}

@test "tree shows the image, commits with tags, envs and HEAD" {
        vers branch baseline --alias tree-a >/dev/null
        vers branch baseline --alias tree-head --checkout >/dev/null
        run vers tree
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "image "* ]]
        [[ "$output" == *"[baseline]"* ]]
        [[ "$output" == *"env "*" tree-a (running)"* ]]
        [[ "$output" == *"tree-head (running)  <- HEAD"* ]]
}

@test "commit list and tag list, human and --json" {
        run vers commit list
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == ID* ]]
        run --separate-stderr vers tag list --json
        [ "$status" -eq 0 ]
        json_ok 'type == "array"'
        json_ok 'any(.[]; .tag == "baseline")'
        json_ok 'all(.[]; .tag != null)'
}

@test "branch delete takes shell globs and leaves the rest" {
        vers branch baseline --alias test-1 >/dev/null
        vers branch baseline --alias test-2 >/dev/null
        # here the shell expands test-* to the project's test-*.js files
        run vers branch delete -y test-*
        [ "$status" -eq 1 ]
        [[ "$output" == *"did the shell expand a pattern? quote it"* ]]
        [ "$(vers status --json | grep -c '"test-')" -eq 2 ]
        # where no file matches, the pattern reaches vers as typed in the seed (VERS_PROJECT:
        # the project is still this one)
        empty=$(mktemp -d)
        cd "$empty"
        run env VERS_PROJECT="$PROJ" "$VERS_BIN" branch delete -y test-*
        cd "$PROJ"
        rmdir "$empty"
        [ "$status" -eq 0 ]
        [[ "$output" == *"deleted env test-1"* ]]
        [[ "$output" == *"deleted env test-2"* ]]
        run vers status --json
        [[ "$output" != *'"test-'* ]]
        [[ "$output" == *'"b1"'* ]]
        run vers branch delete -y 'nomatch-*'
        [ "$status" -eq 1 ]
        [[ "$output" == *"no env matches 'nomatch-*'"* ]]
}

@test "kill deletes envs and their disks; commits made from them stay" {
        vers branch baseline --alias doomed >/dev/null
        vers commit -b doomed --tag doomed-commit >/dev/null
        id=$(env_field doomed id)
        [ -n "$id" ]
        run vers kill doomed -y
        [ "$status" -eq 0 ]
        [ ! -e "$VERS_ROOT/store/envs/$id" ]
        run vers branch doomed-commit --alias revived
        [ "$status" -eq 0 ]
        [ "$(count_of revived users)" = 2000 ]
}

@test "8 branches run PostgreSQL work at the same time, each on its own 5432" {
        vers branch baseline --alias par --count 8 >/dev/null
        for i in 1 2 3 4 5 6 7 8; do
                vers execute -b par-$i "psql -qc \"INSERT INTO products(name, price, stock) SELECT 'p$i-' || g, $i, $i FROM generate_series(1, $i * 100) g\" && psql -h localhost -p 5432 -Atc 'SELECT count(*) FROM products'" > "$BATS_TEST_TMPDIR/out-$i" &
        done
        wait
        for i in 1 2 3 4 5 6 7 8; do
                [ "$(cat "$BATS_TEST_TMPDIR/out-$i")" = $((500 + i * 100)) ] || { echo "par-$i: $(cat "$BATS_TEST_TMPDIR/out-$i")"; return 1; }
        done
        vers branch delete -y 'par-*' >/dev/null
}

@test "VERS_ENV and -b pick the env without touching HEAD" {
        vers branch baseline --alias pick --count 2 >/dev/null
        head=$(vers head --json)
        run env VERS_ENV=pick-1 "$VERS_BIN" execute "hostname"
        [ "$output" = pick-1 ]
        run vers execute -b pick-2 "hostname"
        [ "$output" = pick-2 ]
        run vers logs -b pick-2 -n 5
        [ "$status" -eq 0 ]
        [ "$(vers head --json)" = "$head" ]
}

@test "concurrent commits of one env all succeed and each can be branched" {
        for i in 1 2 3; do
                "$VERS_BIN" commit -b base --tag "conc-$i" > "$BATS_TEST_TMPDIR/commit-$i" 2>&1 &
        done
        wait
        for i in 1 2 3; do
                grep -q "^commit .* \[conc-$i\]" "$BATS_TEST_TMPDIR/commit-$i" || { cat "$BATS_TEST_TMPDIR/commit-$i"; return 1; }
                run vers branch "conc-$i" --alias "from-conc-$i"
                [ "$status" -eq 0 ]
                [ "$(count_of "from-conc-$i" users)" = 2000 ]
        done
        vers branch delete -y 'from-conc-*' >/dev/null
}
