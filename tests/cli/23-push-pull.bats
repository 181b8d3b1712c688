#!/usr/bin/env bats
# vers push and vers pull through the loopback registry: a commit pushed, pulled into a
# second VERS_ROOT as a ready cold commit (id, tag, parent, checkpoint key kept from the
# annotations where free), branched and queried there; a second commit of the same image
# sends only its own layer; bad references fail with one line.

load helpers
load registry
load ship

KEY=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

setup_file() {
        ship_setup_file
        export ROOT2 PROJ2 ROOT3 PROJ3 C1 C2
        ROOT2=$(mktemp -d /tmp/vers-test-root2.XXXXXX)
        PROJ2=$(mktemp -d /tmp/vers-test-proj2.XXXXXX) && chmod 755 "$PROJ2"
        cp "$XPROJ/vers.toml" "$PROJ2/"
        ROOT3=$(mktemp -d /tmp/vers-test-root3.XXXXXX)
        PROJ3=$(mktemp -d /tmp/vers-test-proj3.XXXXXX) && chmod 755 "$PROJ3"
        cd "$XPROJ"
        # what 'vers test' records on its checkpoints
        C1=$("$VERS_BIN" commit list --json | jq -r '.[] | select(.tag == "shipped") | .id')
        sqlite3 "$VERS_ROOT/vers.db" "UPDATE commits SET checkpoint_key = '$KEY' WHERE id = '$C1'"
        "$VERS_BIN" execute -b x "psql -qc 'INSERT INTO t VALUES (\$\$second\$\$)'"
        "$VERS_BIN" commit x -t second -m 'two rows' >/dev/null
        C2=$("$VERS_BIN" commit list --json | jq -r '.[] | select(.tag == "second") | .id')
}
teardown_file() {
        VERS_ROOT=$ROOT2 vers_teardown_root
        VERS_ROOT=$ROOT3 vers_teardown_root
        ship_teardown_file
        rm -rf "${PROJ2:-}" "${PROJ3:-}"
        return 0
}

# the blobs a push sent: the digests of the registry's PUT .../blobs/uploads/...?digest=
# requests logged since line $1 of its log
blobs_put_since() {
        tail -n +"$1" "$REGISTRY_DIR/log" | grep -o '"PUT /v2/shop/blobs/uploads/[^"]*digest=sha256%3A[0-9a-f]*' |
                sed 's/.*digest=sha256%3A//' | sort -u
}

@test "vers push sends a commit; the second commit of the image sends only its own layer" {
        cd "$XPROJ"
        local n
        n=$(($(wc -l < "$REGISTRY_DIR/log") + 1))
        VERS_PROGRESS=1 run vers push shipped "127.0.0.1:$REGISTRY_PORT/shop:1"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"pushed shipped to 127.0.0.1:$REGISTRY_PORT/shop:1"* ]]
        # skopeo compresses the image's layer and the commit's on the way (the digests the
        # registry sees are the compressed ones), and sends the config; the base's layer the
        # registry has in deb:12 already: it is mounted from there, not sent
        blobs_put_since "$n" > "$BATS_FILE_TMPDIR/put1"
        cat "$BATS_FILE_TMPDIR/put1"
        [ "$(wc -l < "$BATS_FILE_TMPDIR/put1")" -eq 3 ]
        n=$(($(wc -l < "$REGISTRY_DIR/log") + 1))
        VERS_PROGRESS=1 run vers push second "127.0.0.1:$REGISTRY_PORT/shop:2"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"the image layer"*"is kept from before"* ]]
        # only the new commit's layer and its config are sent; the image's layer is not
        # sent again (nothing the first push sent is in the second)
        blobs_put_since "$n" > "$BATS_FILE_TMPDIR/put2"
        cat "$BATS_FILE_TMPDIR/put2"
        [ "$(wc -l < "$BATS_FILE_TMPDIR/put2")" -eq 2 ]
        [ -z "$(comm -12 "$BATS_FILE_TMPDIR/put1" "$BATS_FILE_TMPDIR/put2")" ]
}

@test "vers pull makes the image a ready cold commit: id, tag, checkpoint key kept" {
        cd "$PROJ2"
        VERS_ROOT=$ROOT2 run vers pull --json "127.0.0.1:$REGISTRY_PORT/shop:1"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(echo "${lines[-1]}" | jq -r .id)" = "$C1" ]
        [ "$(echo "${lines[-1]}" | jq -r .tag)" = shipped ]
        [ "$(sqlite3 "$ROOT2/vers.db" "SELECT state || ' ' || mode || ' ' || checkpoint_key FROM commits WHERE id = '$C1'")" = "ready cold $KEY" ]
}

@test "the parent is kept when it is here; the pulled commit branches cold and has its rows" {
        cd "$PROJ2"
        VERS_ROOT=$ROOT2 run vers pull --json "127.0.0.1:$REGISTRY_PORT/shop:2"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(echo "${lines[-1]}" | jq -r .id)" = "$C2" ]
        [ "$(echo "${lines[-1]}" | jq -r .parent)" = "$C1" ]
        VERS_ROOT=$ROOT2 vers branch second --alias y >/dev/null
        VERS_ROOT=$ROOT2 run vers execute -b y "psql -d shop -Atc 'SELECT v FROM t ORDER BY v'"
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = "committed
second" ]
        VERS_ROOT=$ROOT2 vers kill -y y >/dev/null
}

@test "pulling again: the id and the tag are taken, so a new commit without them" {
        cd "$PROJ2"
        VERS_ROOT=$ROOT2 run vers pull --json "127.0.0.1:$REGISTRY_PORT/shop:2"
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"commit $C2 is here already"* ]]
        [[ "$output" == *"tag 'second' not kept"* ]]
        [ "$(echo "${lines[-1]}" | jq -r .id)" != "$C2" ]
        [ "$(echo "${lines[-1]}" | jq -r .tag)" = null ]
}

@test "bad references and unreachable registries fail with one line" {
        cd "$XPROJ"
        run vers push shipped 'Bad Ref'
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "${lines[0]}" == "vers: 'Bad Ref'"* ]]
        run vers push no-such-commit "127.0.0.1:$REGISTRY_PORT/shop:3"
        [ "$status" -ne 0 ]
        [[ "$output" == *"no-such-commit"* ]]
        run vers pull "127.0.0.1:1/nothing:1"
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "${lines[0]}" == *"registry 127.0.0.1:1: connection refused"* ]]
        run vers pull "127.0.0.1:$REGISTRY_PORT/no-such:1"
        [ "$status" -ne 0 ]
        [[ "${lines[0]}" == *"manifest unknown"* || "${lines[0]}" == *"name unknown"* ]]
        # a failed pull leaves no commit behind
        [ "$(vers commit list --json | jq length)" -eq 2 ]
}

@test "a checkpoint vers test made in one root, pushed and pulled, is reused by vers test in another" {
        cd "$XPROJ"
        cat > vers-integration.yaml <<'YAML'
name: shipped
checkpoints:
  - name: seeded
    after: psql -d shop -v ON_ERROR_STOP=1 -qc 'CREATE TABLE seeded(v int); INSERT INTO seeded VALUES (7)'
tests:
  count:
    command: test "$(psql -d shop -Atc 'SELECT sum(v) FROM seeded')" = 7
YAML
        run vers test --json
        echo "$output"
        [ "$status" -eq 0 ]
        json_ok '.checkpoints[0] | .name == "seeded" and .reused == false' "${lines[-1]}"
        json_ok '.passed == 1' "${lines[-1]}"
        run vers push seeded "127.0.0.1:$REGISTRY_PORT/shop:seeded"
        [ "$status" -eq 0 ]
        # the other root builds the same project (its own image, the same build key), pulls
        # the checkpoint and runs the suite on it without seeding
        cp vers.toml Dockerfile vers-integration.yaml "$PROJ3/"
        cd "$PROJ3"
        VERS_ROOT=$ROOT3 run vers pull --json "127.0.0.1:$REGISTRY_PORT/shop:seeded"
        echo "$output"
        [ "$status" -eq 0 ]
        local pulled
        pulled=$(echo "${lines[-1]}" | jq -r .id)
        VERS_ROOT=$ROOT3 run vers test --json
        echo "$output"
        [ "$status" -eq 0 ]
        json_ok ".checkpoints[0] | .name == \"seeded\" and .reused == true and .commit == \"$pulled\"" "${lines[-1]}"
        json_ok '.passed == 1 and .failed == 0' "${lines[-1]}"
}
