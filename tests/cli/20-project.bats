#!/usr/bin/env bats
# What a project is and which Dockerfile it builds: a Dockerfile beside vers.toml is built
# (with a notice) unless [builder] says otherwise, 'vers build -f FILE' wins, and a directory
# with only the seed's vers-integration.yaml is a project that 'vers test' runs in.

load helpers

setup_file() {
        vers_setup_root
        export DF
        DF=$(mktemp -d /tmp/vers-test-df.XXXXXX) && chmod 755 "$DF"
        # the first command makes the root's store, at this size, for every test here
        printf '[vm]\nmemory_mib = 512\n\n[storage]\ncluster_mib = 4000\n' > "$DF/vers.toml"
        printf 'FROM host\nRUN echo from-dockerfile > /marker\n' > "$DF/Dockerfile"
        printf 'FROM host\nRUN echo from-other > /marker\n' > "$DF/other.Dockerfile"
        # made here, not in their tests, so that teardown_file sees their names
        export YPROJ SEED
        YPROJ=$(mktemp -d /tmp/vers-test-yaml.XXXXXX) && chmod 755 "$YPROJ"
        SEED=$(mktemp -d /tmp/vers-test-seed.XXXXXX) && chmod 755 "$SEED"
}
teardown_file() {
        vers_teardown_root
        [ -n "${DF:-}" ] && rm -rf "$DF"
        [ -n "${YPROJ:-}" ] && rm -rf "$YPROJ"
        [ -n "${SEED:-}" ] && rm -rf "$SEED"
        return 0
}

marker_of() { # alias: the image's /marker, or "none"
        vers execute -b "$1" 'cat /marker 2>/dev/null || echo none'
}

@test "a Dockerfile beside vers.toml (no [builder]) is built, with a notice naming it" {
        cd "$DF"
        run vers build
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" == *"vers: building ./Dockerfile (vers.toml names no [builder] dockerfile; [builder] dockerfile = \"\" builds FROM host)"* ]]
        [[ "$output" == *"step 2/2 RUN echo from-dockerfile"* ]]
        # vers run builds through the same rule
        run vers run --alias implicit
        [ "$status" -eq 0 ]
        [ "$(marker_of implicit)" = from-dockerfile ]
        # from a subdirectory, the notice names it by its path
        mkdir -p "$DF/sub" && cd "$DF/sub"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"vers: building $DF/Dockerfile ("* ]]
}

@test "[builder] dockerfile = \"\" keeps the host image, Dockerfile or not" {
        d=$(mktemp -d "$BATS_TEST_TMPDIR/empty.XXXXXX") && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = ""\n' > "$d/vers.toml"
        cp "$DF/Dockerfile" "$d/"
        cd "$d"
        run vers build
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" != *"building ./Dockerfile"* ]]
        [[ "$output" == *"step 1/1 FROM host"* ]]
        [[ "$output" != *"from-dockerfile"* ]]
        vers run --alias hostimg >/dev/null
        [ "$(marker_of hostimg)" = none ]
}

@test "vers build -f FILE builds that file (relative to the current directory), not the project's" {
        mkdir -p "$DF/sub" && cd "$DF/sub"
        run vers build -f ../other.Dockerfile
        echo "$output"
        [ "$status" -eq 0 ]
        [[ "$output" != *"building ./Dockerfile"* ]]
        [[ "$output" == *"step 2/2 RUN echo from-other"* ]]
        [[ "$output" != *"from-dockerfile"* ]]
        # -f also wins over [builder] dockerfile = ""
        d=$(mktemp -d "$BATS_TEST_TMPDIR/f.XXXXXX") && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = ""\n' > "$d/vers.toml"
        cd "$d"
        run vers build -f "$DF/other.Dockerfile"
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 2/2 RUN echo from-other"* ]]
}

@test "vers build -f of a missing file is one line naming it, and builds nothing" {
        cd "$DF"
        before=$(sqlite3 "$VERS_ROOT/vers.db" 'SELECT count(*) FROM images')
        run --separate-stderr vers build -f no-such.Dockerfile
        [ "$status" -eq 1 ]
        [ "$output" = "" ]
        [ "$stderr" = "vers: -f no-such.Dockerfile: no such Dockerfile" ]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" 'SELECT count(*) FROM images')" = "$before" ]
        # a directory is no Dockerfile either
        run --separate-stderr vers build -f sub
        [ "$status" -eq 1 ]
        [ "$stderr" = "vers: -f sub: no such Dockerfile" ]
}

@test "a directory with only vers-integration.yaml is a project: vers test runs its checkpoints there" {
        cp "$REPO/examples/ecommerce/schema.sql" "$YPROJ/"
        cat > "$YPROJ/vers-integration.yaml" <<'YAML'
name: yaml-only
version: 1.0.0
services:
  postgres:
    template: postgres@15
    config:
      databases: [app]
tests:
  schema:
    command: test "$(pwd)" = "$PROJECT_DIR" && psql -Atc 'SELECT count(*) FROM users'
    depends_on: [postgres]
checkpoints:
  - name: schema-loaded
    after: psql -v ON_ERROR_STOP=1 -q -f schema.sql
YAML
        # the test's command checks its working directory too: the project's own path
        sed -i "s|\$PROJECT_DIR|$YPROJ|" "$YPROJ/vers-integration.yaml"
        [ ! -e "$YPROJ/vers.toml" ]
        cd "$YPROJ"
        run --separate-stderr vers test --json
        echo "$stderr" | tail -20
        echo "$output"
        [ "$status" -eq 0 ]
        json_ok '.suite == "yaml-only"'
        json_ok '.checkpoints[0] | .name == "schema-loaded" and .reused == false'
        json_ok '.passed == 1 and .failed == 0'
        json_ok '.results[0].output | contains("\n0\n")'
        # the checkpoint belongs to this project: a second run reuses it
        run --separate-stderr vers test --json
        [ "$status" -eq 0 ]
        json_ok '.checkpoints[0].reused == true'
        # and its commits are listed as this project's
        run vers tag list
        [[ "$output" == *"schema-loaded"* ]]
        # vers run there starts what the suite tests against: its postgres, its database
        vers run --alias yaml-run >/dev/null
        run vers execute -b yaml-run "psql -d app -Atc 'SELECT 42'"
        [ "$status" -eq 0 ]
        [ "$output" = 42 ]
        vers kill -y yaml-run >/dev/null
}

@test "outside any project, vers build says what makes one" {
        d=$(mktemp -d "$BATS_TEST_TMPDIR/none.XXXXXX")
        cd "$d"
        run vers build
        [ "$status" -ne 0 ]
        [ "$output" = "vers: no vers.toml or vers-integration.yaml here or above (run 'vers init')" ]
}

@test "the seed's example as a new user has it (its vers-integration.yaml, no vers.toml) runs green" {
        need_node_pg
        cp -r "$REPO/examples/ecommerce/." "$SEED/"
        rm -rf "$SEED/vers.toml" "$SEED/.vers" "$SEED/docker"
        cd "$SEED"
        cmp vers-integration.yaml "$REPO/examples/ecommerce/vers-integration.yaml"
        run --separate-stderr vers test --json
        echo "$stderr" | tail -5
        [ "$status" -eq 0 ]
        json_ok '.passed == 8 and .failed == 0 and .skipped == 0'
        json_ok '[.checkpoints[] | select(.reused == false)] | length == 3'
        # its checkpoints are this project's tags, branched by hand as the seed's patterns do
        run vers branch production-like --alias seed-check
        [ "$status" -eq 0 ]
        [ "$(count_of seed-check analytics_events)" = 3000 ]
}

# an env can write the project directory (it is bound in): what it plants there under the
# names vers reads must be refused at once, never waited on or read without end
@test "a FIFO or a device planted as vers.toml or the suite, or given as -f, is one line, at once" {
        local p=$BATS_TEST_TMPDIR/planted
        mkdir -p "$p"
        mkfifo "$p/vers.toml"
        cd "$p"
        run timeout 10 "$VERS_BIN" status
        [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
        [[ "$output" == *"vers.toml' is not a regular file"* ]]
        rm "$p/vers.toml"
        ln -s /dev/zero "$p/vers.toml"
        run timeout 10 "$VERS_BIN" status
        [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
        [[ "$output" == *"vers.toml' is not a regular file"* ]]
        rm "$p/vers.toml"
        printf '[storage]\ncluster_mib = 4000\n' > "$p/vers.toml"
        mkfifo "$p/Dockerfile.fifo"
        run timeout 10 "$VERS_BIN" build -f Dockerfile.fifo
        [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
        [[ "$output" == *"Dockerfile.fifo"* ]]
        rm "$p/Dockerfile.fifo" "$p/vers.toml"
        mkfifo "$p/vers-integration.yaml"
        run timeout 10 "$VERS_BIN" test --list
        [ "$status" -ne 124 ] && [ "$status" -ne 0 ]
        [[ "$output" == *"vers-integration.yaml' is not a regular file"* ]]
}
