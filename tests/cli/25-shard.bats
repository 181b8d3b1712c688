#!/usr/bin/env bats
# vers test --list, --shard I/N and --merge-junit: the test×branch matrix, its stable slices
# (which partition it exactly), real shards run against postgres, and their reports merged.

load helpers

setup_file() {
        vers_setup_root
        export SUITE
        SUITE=$(mktemp -d /tmp/vers-test-shard.XXXXXX) && chmod 755 "$SUITE"
        printf '[storage]\ncluster_mib = 2000\n' > "$SUITE/vers.toml"
        # matrix, in run order: ok/a ok/b broken/default needs-broken/x needs-broken/y
        # --shard 1/2: ok/a broken/default needs-broken/y (needs-broken's dependency is here)
        # --shard 2/2: ok/b needs-broken/x (its dependency is in the other shard)
        cat > "$SUITE/vers-integration.yaml" <<'YAML'
name: shardy
services:
  postgres:
    template: postgres@15
tests:
  needs-broken:
    command: psql -Atc 'SELECT count(*) FROM seeded'
    depends_on: [broken]
    branches:
      - name: x
      - name: y
  ok:
    command: psql -Atc 'SELECT count(*) FROM seeded'
    depends_on: [postgres]
    branches:
      - name: a
      - name: b
  broken:
    command: echo "broken on purpose"; exit 3
checkpoints:
  - name: seeded
    after: psql -qc 'CREATE TABLE seeded AS SELECT 1 AS x'
YAML
        # a bigger matrix for the partition proof: 1 + 4 + 7 + 1 cells, with dependencies
        cat > "$SUITE/big.yaml" <<'YAML'
name: big
tests:
  t4:
    command: "true"
    depends_on: [t1]
    branches: [{name: b1}, {name: b2}, {name: b3}, {name: b4}]
  t1:
    command: "true"
  t7:
    command: "true"
    branches: [{name: c1}, {name: c2}, {name: c3}, {name: c4}, {name: c5}, {name: c6}, {name: c7}]
  last:
    command: "true"
    depends_on: [t7, t4]
YAML
}
teardown_file() {
        vers_teardown_root
        rm -rf "$SUITE"
}

setup() { cd "$SUITE"; }

# "TEST/BRANCH STATUS" for each testcase of a JUnit file, sorted
junit_cells() {
        python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
rows = []
for suite in root.iter("testsuite"):
    for case in suite.iter("testcase"):
        status = "failed" if case.find("failure") is not None else \
                 "skipped" if case.find("skipped") is not None else "passed"
        rows.append("%s/%s %s" % (suite.get("name"), case.get("name"), status))
print("\n".join(sorted(rows)))
PY
}
# an attribute of the root <testsuites>
junit_root() {
        python3 -c 'import sys, xml.etree.ElementTree as ET; print(ET.parse(sys.argv[1]).getroot().get(sys.argv[2]))' "$1" "$2"
}

@test "--list prints the matrix in run order, and needs no store" {
        # a VERS_ROOT that does not exist: a listing never opens one
        VERS_ROOT="$BATS_TEST_TMPDIR/no-root" run --separate-stderr vers test --list
        [ "$status" -eq 0 ]
        [ ! -e "$BATS_TEST_TMPDIR/no-root" ]
        [ "$output" = "$(printf '%s\n' ok/a ok/b broken/default needs-broken/x needs-broken/y)" ]
        # nor root
        run setpriv --reuid=65534 --regid=65534 --clear-groups \
                env VERS_ROOT=/nonexistent "$VERS_BIN" test --list --shard 1/2
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '%s\n' ok/a broken/default needs-broken/y)" ]
        run --separate-stderr vers test --list --json
        [ "$status" -eq 0 ]
        json_ok '[.[] | .test + "/" + .branch] == ["ok/a", "ok/b", "broken/default", "needs-broken/x", "needs-broken/y"]'
        json_ok '[.[] | .index] == [0, 1, 2, 3, 4]'
        # a slice keeps the indexes of the whole matrix
        run --separate-stderr vers test --list --json --shard 2/2
        json_ok '[.[] | "\(.index):\(.test)/\(.branch)"] == ["1:ok/b", "3:needs-broken/x"]'
        # nothing was built or run
        json_ok 'length == 0' "$(vers status --all --json)"
        json_ok 'length == 0' "$(vers commit list --json)"
}

@test "for N = 1..4 the N slices are disjoint and together exactly the matrix" {
        vers test --list -f big.yaml > "$BATS_TEST_TMPDIR/all"
        [ "$(wc -l < "$BATS_TEST_TMPDIR/all")" -eq 13 ]
        [ "$(sort -u "$BATS_TEST_TMPDIR/all" | wc -l)" -eq 13 ]
        for n in 1 2 3 4; do
                : > "$BATS_TEST_TMPDIR/union"
                for i in $(seq 1 "$n"); do
                        vers test --list -f big.yaml --shard "$i/$n" > "$BATS_TEST_TMPDIR/s$i"
                        # a slice is in run order (the matrix's lines that are in it) ...
                        diff <(grep -xFf "$BATS_TEST_TMPDIR/s$i" "$BATS_TEST_TMPDIR/all") \
                                "$BATS_TEST_TMPDIR/s$i"
                        # ... and cell k is in shard k % n + 1
                        json_ok "all(.[]; .index % $n + 1 == $i)" \
                                "$(vers test --list --json -f big.yaml --shard "$i/$n")"
                        cat "$BATS_TEST_TMPDIR/s$i" >> "$BATS_TEST_TMPDIR/union"
                done
                echo "N=$n: $(wc -l < "$BATS_TEST_TMPDIR/union") cells in the union"
                # disjoint: no cell twice; complete: the sorted union is the sorted matrix
                [ -z "$(sort "$BATS_TEST_TMPDIR/union" | uniq -d)" ]
                diff <(sort "$BATS_TEST_TMPDIR/union") <(sort "$BATS_TEST_TMPDIR/all")
        done
        # the same slices on another run (no clock, no randomness)
        diff <(vers test --list -f big.yaml --shard 2/3) <(vers test --list -f big.yaml --shard 2/3)
}

@test "--list --migrations DIR lists the migrations' matrix" {
        mkdir -p migrations
        : > migrations/001_a.up.sql
        : > migrations/001_a.down.sql
        : > migrations/002_b.up.sql
        run --separate-stderr vers test --list --migrations migrations
        rm -rf migrations
        [ "$status" -eq 0 ]
        [ "$output" = "$(printf '%s\n' 001_a/up 001_a/up-down-up 001_a/up-twice 002_b/up 002_b/up-twice)" ]
}

@test "bad --shard values and combinations are one-line errors" {
        for bad in 0/3 4/3 a/b 1/0 1 /2 1/2/3 -1/2; do
                run --separate-stderr vers test --list --shard "$bad"
                [ "$status" -eq 1 ]
                [[ "$stderr" == "vers: --shard '$bad': "* ]]
                [ "${#stderr_lines[@]}" -eq 1 ]
        done
        run --separate-stderr vers test --list --shard 0/3
        [ "$stderr" = "vers: --shard '0/3': I must be 1 to 3" ]
        run --separate-stderr vers test --list --shard 1/0
        [ "$stderr" = "vers: --shard '1/0': N must be 1 to 10000" ]
        run --separate-stderr vers test --list --shard a/b
        [ "$stderr" = "vers: --shard 'a/b': expected I/N, two numbers (1/4)" ]
        # also when running, before anything is built
        run --separate-stderr vers test --shard 4/3
        [ "$status" -eq 1 ]
        [ "$stderr" = "vers: --shard '4/3': I must be 1 to 3" ]
        run --separate-stderr vers test --shard 1/2 --only ok
        [ "$status" -eq 1 ]
        [[ "$stderr" == "vers: --shard and --only cannot be combined"* ]]
        [ "${#stderr_lines[@]}" -eq 1 ]
        run --separate-stderr vers test --list --junit x.xml
        [ "$status" -eq 129 ]
        [ "${stderr_lines[0]}" = "vers: --list runs nothing: no --junit report" ]
        [ ! -e x.xml ]
        json_ok 'length == 0' "$(vers status --all --json)"
}

@test "a slice with no cells builds and runs nothing" {
        run --separate-stderr vers test --shard 9/9 --json
        [ "$status" -eq 0 ]
        json_ok '.results == [] and .checkpoints == [] and .passed == 0'
        [[ "$stderr" == *"shard 9/9: no cells"* ]]
        json_ok 'length == 0' "$(vers commit list --json)"
}

@test "two shards run for real; their merged JUnit report has every cell once" {
        run --separate-stderr vers test --shard 1/2 --json --junit "$BATS_TEST_TMPDIR/s1.xml"
        echo "$stderr" | tail -5
        [ "$status" -eq 1 ] # broken fails
        json_ok '[.results[] | "\(.test)/\(.branch) \(.status)"] == ["ok/a passed", "broken/default failed", "needs-broken/y skipped"]'
        json_ok '.checkpoints[0] | .name == "seeded" and .reused == false'
        # shard 2 (another machine in CI) reuses the checkpoint by its key; its
        # needs-broken/x runs: the dependency is in shard 1, whose report has its result
        run --separate-stderr vers test --shard 2/2 --json --junit "$BATS_TEST_TMPDIR/s2.xml"
        echo "$stderr" | tail -5
        [ "$status" -eq 0 ]
        json_ok '[.results[] | "\(.test)/\(.branch) \(.status)"] == ["ok/b passed", "needs-broken/x passed"]'
        json_ok '.checkpoints[0] | .name == "seeded" and .reused == true'
        json_ok 'all(.results[]; .output | endswith("FROM seeded'"'"'\n1\n"))'
        # merge, from a directory without a project and with no store
        cd /
        VERS_ROOT="$BATS_TEST_TMPDIR/no-root" run vers test --merge-junit \
                "$BATS_TEST_TMPDIR/all.xml" "$BATS_TEST_TMPDIR/s1.xml" "$BATS_TEST_TMPDIR/s2.xml"
        [ "$status" -eq 0 ]
        [ ! -e "$BATS_TEST_TMPDIR/no-root" ]
        [[ "$output" == *"merged 2 reports into $BATS_TEST_TMPDIR/all.xml: 5 tests, 1 failed, 0 errors, 1 skipped"* ]]
        cd "$SUITE"
        # every cell of the matrix once, with its result
        diff <(junit_cells "$BATS_TEST_TMPDIR/all.xml") - <<'EOF'
broken/default failed
needs-broken/x passed
needs-broken/y skipped
ok/a passed
ok/b passed
EOF
        diff <(junit_cells "$BATS_TEST_TMPDIR/all.xml" | cut -d' ' -f1) <(vers test --list | sort)
        [ "$(junit_root "$BATS_TEST_TMPDIR/all.xml" name)" = shardy ]
        [ "$(junit_root "$BATS_TEST_TMPDIR/all.xml" tests)" = 5 ]
        [ "$(junit_root "$BATS_TEST_TMPDIR/all.xml" failures)" = 1 ]
        [ "$(junit_root "$BATS_TEST_TMPDIR/all.xml" skipped)" = 1 ]
        # one <testsuite> per test, its counts over both shards' testcases
        python3 - "$BATS_TEST_TMPDIR/all.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
suites = ET.parse(sys.argv[1]).getroot().findall("testsuite")
names = [s.get("name") for s in suites]
assert sorted(names) == ["broken", "needs-broken", "ok"], names
for s in suites:
    cases = s.findall("testcase")
    assert int(s.get("tests")) == len(cases), (s.get("name"), s.get("tests"))
    assert int(s.get("failures")) == sum(c.find("failure") is not None for c in cases)
    assert int(s.get("skipped")) == sum(c.find("skipped") is not None for c in cases)
ok = [s for s in suites if s.get("name") == "broken"][0]
assert "broken on purpose" in ok.find("testcase").find("failure").text
PY
}

@test "--merge-junit: a bad input is a one-line error naming it, and OUT is left as it was" {
        cat > "$BATS_TEST_TMPDIR/a.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="s" tests="1" failures="0" skipped="0" time="1.000">
  <testsuite name="t" tests="1" failures="0" skipped="0" time="1.000">
    <testcase classname="s.t" name="b1" time="1.000"/>
  </testsuite>
</testsuites>
EOF
        sed 's/b1/b2/' "$BATS_TEST_TMPDIR/a.xml" > "$BATS_TEST_TMPDIR/b.xml"
        printf '<testsuites><testsuite name="t">\n<testcase name="x">\n' > "$BATS_TEST_TMPDIR/torn.xml"
        printf '<html/>\n' > "$BATS_TEST_TMPDIR/html.xml"
        printf '<testsuites><testsuite><testcase name="x"/></testsuite></testsuites>\n' \
                > "$BATS_TEST_TMPDIR/noname.xml"
        out="$BATS_TEST_TMPDIR/out.xml"
        echo old > "$out"
        cd "$BATS_TEST_TMPDIR"
        check() { # EXPECTED-MESSAGE INPUT...
                local want=$1
                shift
                run --separate-stderr vers test --merge-junit out.xml "$@"
                [ "$status" -eq 1 ]
                [ "$stderr" = "$want" ]
                [ "$(cat out.xml)" = old ]
                [ -z "$(ls out.xml.* 2>/dev/null)" ]
        }
        cp a.xml a2.xml
        check "vers: a2.xml: 't/b1' is also in a.xml" a.xml b.xml a2.xml
        check "vers: torn.xml:3: not a JUnit report: Premature end of data in tag testcase line 2" a.xml torn.xml
        check "vers: html.xml: not a JUnit report: its root is <html>, not <testsuites>" html.xml
        check "vers: noname.xml:1: a <testsuite> without a name" a.xml noname.xml
        check "vers: cannot open 'missing.xml': No such file or directory" a.xml missing.xml
        # and a good merge replaces it
        run vers test --merge-junit out.xml a.xml b.xml
        [ "$status" -eq 0 ]
        [ "$(junit_root out.xml tests)" = 2 ]
        # usage: reports are needed, and nothing but them
        run --separate-stderr vers test --merge-junit out.xml
        [ "$status" -eq 129 ]
        [[ "${stderr_lines[0]}" == "vers: --merge-junit needs the reports to merge"* ]]
        run --separate-stderr vers test --merge-junit out.xml --shard 1/2 a.xml
        [ "$status" -eq 129 ]
        [ "${stderr_lines[0]}" = "vers: --merge-junit takes only OUT and the reports, not --shard" ]
}
