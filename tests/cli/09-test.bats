#!/usr/bin/env bats
# vers test: vers-integration.yaml suites, checkpoint reuse, reports.

load helpers

setup_file() {
        vers_setup_root
        export MINI
        MINI=$(mktemp -d /tmp/vers-test-mini.XXXXXX) && chmod 755 "$MINI"
        cp "$REPO/examples/ecommerce/schema.sql" "$MINI/"
        printf '[storage]\ncluster_mib = 2000\n' > "$MINI/vers.toml"
        cat > "$MINI/vers-integration.yaml" <<'YAML'
name: mini
version: 1.0.0
services:
  postgres:
    template: postgres@15
    config:
      databases: [app]
tests:
  second:
    command: psql -Atc 'SELECT count(*) FROM extra' && echo "second saw MODE=$MODE"
    depends_on: [first]
    branches:
      - name: good
        before: psql -qc 'CREATE TABLE extra(x int)'
        env:
          MODE: good
      - name: bad
        env:
          MODE: bad
  first:
    command: psql -Atc 'SELECT count(*) FROM users'
    depends_on: [postgres]
  blocked:
    command: "true"
    depends_on: [second]
checkpoints:
  - name: schema-loaded
    after: psql -q -f schema.sql
YAML
}
teardown_file() {
        vers_teardown_root
        rm -rf "$MINI"
}

setup() { cd "$MINI"; }

@test "a suite runs in depends_on order; a failing branch fails the run" {
        run --separate-stderr vers test --json --junit "$BATS_TEST_TMPDIR/junit.xml"
        [ "$status" -eq 1 ]
        json_ok '.suite == "mini"'
        # the report on stdout is one JSON document: first before second, although second
        # is written first
        [ "$(echo "$output" | jq -r '[.results[] | .test + "/" + .branch] | join(" ")')" = \
                "first/default second/good second/bad blocked/default" ]
        # a second run finds the checkpoint by its key
        json=$(vers test --json 2>/dev/null) || true
        json_ok '.checkpoints[0] | .name == "schema-loaded" and .reused == true' "$json"
        json_ok 'any(.results[]; .test == "second" and .branch == "good" and .status == "passed")'
        json_ok 'any(.results[]; .test == "second" and .branch == "bad" and .status == "failed" and .exit_code == 1)'
        json_ok 'any(.results[]; .test == "blocked" and .branch == "default" and .status == "skipped")'
        json_ok '.passed == 2 and .failed == 1 and .skipped == 1'
}

@test "env and before apply per branch" {
        run vers test --json --only second/good
        [ "$status" -eq 0 ]
        [[ "$output" == *'second saw MODE=good'* ]]
        [[ "$output" == *"\$ psql -qc 'CREATE TABLE extra(x int)'"* ]]
        # the bad branch has no 'before': its table does not exist there
        run --separate-stderr vers test --json --only second/bad
        [ "$status" -eq 1 ]
        json_ok '.results[] | select(.branch == "bad") | .output | contains("relation \"extra\" does not exist")'
}

@test "JUnit has one testcase per test and branch, failures with their output" {
        run vers test --junit "$BATS_TEST_TMPDIR/j.xml"
        [ "$status" -eq 1 ] # second/bad fails
        j="$BATS_TEST_TMPDIR/j.xml"
        grep -q '<testsuites name="mini" tests="4" failures="1" skipped="1"' "$j"
        [ "$(grep -c '<testcase ' "$j")" -eq 4 ]
        grep -q '<testcase classname="mini.second" name="bad"' "$j"
        grep -q '<failure message="command exited with 1">' "$j"
        grep -q 'relation &quot;extra&quot; does not exist' "$j"
        grep -q "<skipped message=\"skipped: 'second' failed" "$j"
        if command -v xmllint >/dev/null; then xmllint --noout "$j"; fi
}

@test "an unchanged checkpoint is reused; changing a file it reads rebuilds it" {
        # built here if no test before built it, reused on the second run either way
        vers test --json --only first >/dev/null
        run --separate-stderr vers test --json --only first
        [ "$status" -eq 0 ]
        json_ok '.checkpoints[] | select(.name == "schema-loaded") | .reused == true and (.commit | length > 0)'
        echo "-- a change" >> schema.sql
        run --separate-stderr vers test --json --only first
        [ "$status" -eq 0 ]
        json_ok '.checkpoints[] | select(.name == "schema-loaded") | .reused == false'
        run --separate-stderr vers test --json --only first
        json_ok '.checkpoints[] | select(.name == "schema-loaded") | .reused == true'
        # the checkpoint's tag moved to the new commit
        run vers tag list
        [ "$(echo "$output" | grep -c schema-loaded)" -eq 1 ]
}

@test "a checkpoint keyed the old way (in its message) is rebuilt once, then found by its key" {
        sqlite3 "$VERS_ROOT/vers.db" "UPDATE commits SET checkpoint_key = NULL, message =
                'vers test: checkpoint schema-loaded (key 0123456789abcdef0123456789abcdef)'
                WHERE tag = 'schema-loaded'"
        run vers test --json --only first
        [ "$status" -eq 0 ]
        [[ "$output" == *'"name": "schema-loaded", "commit": "'*'", "reused": false'* ]]
        run vers test --json --only first
        [ "$status" -eq 0 ]
        [[ "$output" == *'"reused": true'* ]]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" \
                "SELECT length(checkpoint_key) FROM commits WHERE tag = 'schema-loaded'")" = 64 ]
}

@test "--keep-failed keeps the failing branch's env for vers connect" {
        run vers test --keep-failed --only second/bad
        [ "$status" -eq 1 ]
        [[ "$output" == *"kept as env "* ]]
        id=$(echo "$output" | sed -n 's/.*kept as env \([0-9a-f]*\).*/\1/p')
        run vers execute -b "$id" "echo inside"
        [ "$output" = inside ]
        vers kill -y "$id"
        # passing branches are never kept
        json_ok 'all(.[]; .alias | startswith("vt-") | not)' "$(vers status --all --json)"
}

@test "malformed YAML is an error with file:line:column; unknown --only test is named" {
        printf 'name: x\ntests:\n  a:\n    comand: true\n' > "$BATS_TEST_TMPDIR/bad.yaml"
        run vers test -f "$BATS_TEST_TMPDIR/bad.yaml"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"bad.yaml:4:5: unknown key 'comand' in test 'a'"* ]]
        printf 'name: [x\n' > "$BATS_TEST_TMPDIR/bad2.yaml"
        run vers test -f "$BATS_TEST_TMPDIR/bad2.yaml"
        [ "$status" -eq 1 ]
        [[ "$output" == *"bad2.yaml:"*":"* ]]
        run vers test --only nosuch
        [ "$status" -eq 1 ]
        [[ "$output" == *"--only: no test 'nosuch'"* ]]
}

@test "the example's vers-integration.yaml (the seed's, unchanged) runs green, then reuses every checkpoint" {
        need_node_pg
        cd "$PROJ"
        cmp "$PROJ/vers-integration.yaml" "$REPO/examples/ecommerce/vers-integration.yaml"
        run --separate-stderr vers test --json --junit "$BATS_TEST_TMPDIR/ex.xml"
        echo "$stderr" | tail -5
        [ "$status" -eq 0 ]
        json_ok '.passed == 8 and .failed == 0 and .skipped == 0'
        json_ok '[.checkpoints[] | select(.reused == false)] | length == 3'
        run --separate-stderr vers test --json
        [ "$status" -eq 0 ]
        json_ok '[.checkpoints[] | select(.reused == true)] | length == 3'
        grep -q 'tests="8" failures="0"' "$BATS_TEST_TMPDIR/ex.xml"
        # the checkpoints are tags that can be branched by hand
        run vers branch production-like --alias from-suite
        [ "$status" -eq 0 ]
        [ "$(count_of from-suite analytics_events)" = 3000 ]
}

@test "--migrations runs each migration up, up-down-up and up twice, and reports per migration" {
        cd "$PROJ"
        run --separate-stderr vers test --migrations migrations --json
        [ "$status" -eq 0 ]
        for m in 001_add_premium_level 002_add_order_status; do
                for b in up up-down-up up-twice; do
                        json_ok "any(.results[]; .test == \"$m\" and .branch == \"$b\" and .status == \"passed\")"
                done
        done
        [[ "$output$stderr" == *"up-twice: row counts unchanged (5 tables), foreign keys valid"* ]]
        # a migration that changes row counts, and one that cannot run twice, fail
        printf 'INSERT INTO products(name, price, stock) VALUES ($$x$$, 1, 1);\n' > migrations/003_adds_a_row.up.sql
        printf 'ALTER TABLE users ADD COLUMN nickname text;\n' > migrations/004_not_idempotent.up.sql
        printf 'ALTER TABLE users DROP COLUMN nickname;\n' > migrations/004_not_idempotent.down.sql
        run --separate-stderr vers test --migrations migrations --json
        rm -f migrations/003_* migrations/004_*
        [ "$status" -eq 1 ]
        json_ok 'any(.results[]; .test == "003_adds_a_row" and .branch == "up" and .status == "failed")'
        [[ "$output$stderr" == *'row count of products changed: 500 -> 501'* ]]
        json_ok 'any(.results[]; .test == "004_not_idempotent" and .branch == "up" and .status == "passed")'
        json_ok 'any(.results[]; .test == "004_not_idempotent" and .branch == "up-down-up" and .status == "passed")'
        json_ok 'any(.results[]; .test == "004_not_idempotent" and .branch == "up-twice" and .status == "failed")'
        run vers test --migrations /tmp
        [ "$status" -eq 1 ]
        [[ "$output" == *"must be inside the project directory"* ]]
}
