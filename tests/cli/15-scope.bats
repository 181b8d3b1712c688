#!/usr/bin/env bats
# Scope: two projects share one VERS_ROOT. Listings, glob deletes, kill and tags act on the
# current project's envs and commits; --all reaches every project's. Deleting without a
# terminal needs -y (bats runs without one).

load helpers

# a project whose envs need no services, with a one-test suite (no checkpoints: vers test
# commits the fresh env and tags it 'base')
mini_project() {
        local d
        d=$(mktemp -d "/tmp/vers-test-scope-$1.XXXXXX") && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 2000\n' > "$d/vers.toml"
        printf 'name: scope-%s\nversion: 1.0.0\ntests:\n  ok:\n    command: "true"\n' "$1" \
                > "$d/vers-integration.yaml"
        echo "$d"
}

# id of the env aliased $1 (any project)
env_id() { env_field "$1" id; }

# how many envs, of any project, are called b1-*
b1_envs() { vers status --all --json | jq '[.[] | select(.alias | startswith("b1-"))] | length'; }

# id of the commit tagged $1 in the current project
tag_id() { vers tag list --json | jq -r --arg t "$1" '.[] | select(.tag == $t) | .id'; }

setup_file() {
        vers_setup_root
        export A B
        A=$(mini_project a)
        B=$(mini_project b)
        cd "$A"
        vers run --alias a-main >/dev/null
        vers branch a-main --alias b1-x >/dev/null
        vers branch a-main --alias b1-y >/dev/null
        cd "$B"
        vers run --alias b-main >/dev/null
        vers branch b-main --alias b1-z >/dev/null
}
teardown_file() {
        vers_teardown_root
        rm -rf "$A" "$B"
}

setup() { cd "$A"; }

@test "status lists this project's envs only; --all lists both with a PROJECT column" {
        run --separate-stderr vers status --json
        [ "$status" -eq 0 ]
        json_ok '[.[].alias] | contains(["b1-x", "b1-y", "a-main"])'
        json_ok '[.[].alias] | (index("b1-z") == null and index("b-main") == null)'
        json_ok ".[] | select(.alias == \"b1-x\") | .project == \"$A\""
        run vers status
        [[ "${lines[0]}" != *PROJECT* ]]
        run vers status --all
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == *PROJECT* ]]
        [[ "$output" == *b1-x*"$A"* && "$output" == *b1-z*"$B"* ]]
        run --separate-stderr vers status --all --json
        json_ok ".[] | select(.alias == \"b1-z\") | .project == \"$B\""
        json_ok ".[] | select(.alias == \"b1-x\") | .project == \"$A\""
        run vers ps
        [[ "$output" == *b1-x* && "$output" != *b1-z* ]]
        run --separate-stderr vers branch list --all --json
        [ "$status" -eq 0 ]
        json_ok 'any(.[]; .alias == "b1-z")'
}

@test "outside any project, status lists every project's envs" {
        cd /
        run vers status
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == *PROJECT* ]]
        [[ "$output" == *b1-x* && "$output" == *b1-z* ]]
}

@test "branch delete without a terminal and without -y refuses and deletes nothing" {
        run vers branch delete 'b1*' </dev/null
        [ "$status" -eq 1 ]
        [ "$output" = "vers: refusing to delete 2 envs without a terminal; pass -y" ]
        [ "$(b1_envs)" -eq 3 ]
}

@test "kill without a terminal and without -y refuses and deletes nothing" {
        run vers kill b1-x </dev/null
        [ "$status" -eq 1 ]
        [ "$output" = "vers: refusing to delete 1 env without a terminal; pass -y" ]
        [ -n "$(env_id b1-x)" ]
}

@test "kill of another project's env by glob or by name deletes nothing" {
        run vers kill -y 'b1*'
        [ "$status" -ne 0 ]
        run vers kill -y b1-z
        [ "$status" -eq 1 ]
        [[ "$output" == *"env 'b1-z' belongs to another project ('$B'); pass --all"* ]]
        [ "$(b1_envs)" -eq 3 ]
        # one of them not ours: none is deleted
        run vers kill -y b1-x b1-z
        [ "$status" -eq 1 ]
        [ "$(b1_envs)" -eq 3 ]
}

@test "a glob that matches only other projects' envs deletes nothing and says so" {
        run vers branch delete -y 'b1-z'
        [ "$status" -eq 1 ]
        [[ "$output" == *"no env of this project matches 'b1-z' (1 of other projects do: --all reaches them)"* ]]
        [ -n "$(env_id b1-z)" ]
}

@test "outside any project, branch delete needs --all" {
        cd /
        run vers branch delete -y 'b1*'
        [ "$status" -eq 1 ]
        [[ "$output" == *"not in a project"*"pass --all"* ]]
        [ "$(b1_envs)" -eq 3 ]
}

@test "glob delete with -y deletes this project's matches and leaves the other project's" {
        b1z=$(env_id b1-z)
        run vers branch delete -y 'b1*'
        [ "$status" -eq 0 ]
        [[ "$output" == *"deleted env b1-x"* && "$output" == *"deleted env b1-y"* ]]
        [[ "$output" != *b1-z* ]]
        run --separate-stderr vers status --all --json
        json_ok 'all(.[]; .alias != "b1-x" and .alias != "b1-y")'
        json_ok "any(.[]; .id == \"$b1z\")"
        cd "$B"
        run --separate-stderr vers status --json
        json_ok 'any(.[]; .alias == "b1-z")'
        [ -d "$VERS_ROOT/store/envs/$b1z" ]
}

@test "kill --all deletes another project's env named exactly" {
        cd "$B"
        vers branch b-main --alias b2-z >/dev/null
        cd "$A"
        run vers kill -y --all b2-z
        [ "$status" -eq 0 ]
        [[ "$output" == *"deleted env b2-z"* ]]
        [ -z "$(env_id b2-z)" ]
}

@test "the same tag in two projects: vers test in one leaves the other's tag on its commit" {
        cd "$B"
        run vers test
        [ "$status" -eq 0 ]
        b_base=$(tag_id base)
        [ -n "$b_base" ]
        cd "$A"
        run vers test
        [ "$status" -eq 0 ]
        [[ "$output" == *"(0 of 1 checkpoints reused)"* ]] # B's checkpoint is not A's
        a_base=$(tag_id base)
        [ -n "$a_base" ] && [ "$a_base" != "$b_base" ]
        # a second run in A reuses A's checkpoint and moves nothing of B's
        run vers test
        [ "$status" -eq 0 ]
        [[ "$output" == *"(1 of 1 checkpoints reused)"* ]]
        [ "$(tag_id base)" = "$a_base" ]
        cd "$B"
        [ "$(tag_id base)" = "$b_base" ]
        # the tag resolves to the current project's commit
        run --separate-stderr vers branch base --alias from-b-base --json
        [ "$status" -eq 0 ]
        json_ok "length == 1 and .[0].commit == \"$b_base\""
        cd "$A"
        run --separate-stderr vers branch base --alias from-a-base --json
        [ "$status" -eq 0 ]
        json_ok "length == 1 and .[0].commit == \"$a_base\""
}

@test "tag list and commit list are per project; --all shows both" {
        run --separate-stderr vers tag list --json
        json_ok '[.[] | select(.tag == "base")] | length == 1'
        json_ok "all(.[]; .project == \"$A\")"
        run --separate-stderr vers tag list --all --json
        json_ok '[.[] | select(.tag == "base")] | length == 2'
        json_ok "any(.[]; .project == \"$B\")"
        run vers commit list --all
        [[ "${lines[0]}" == *PROJECT* ]]
        [[ "$output" == *"$B"* ]]
        run vers commit list
        [[ "$output" != *"$B"* ]]
}

@test "tree shows this project's envs; --all every project's" {
        run vers tree
        [ "$status" -eq 0 ]
        [[ "$output" == *a-main* && "$output" != *b-main* ]]
        run vers tree --all
        [[ "$output" == *a-main* && "$output" == *b-main* ]]
}

@test "another project's tag does not resolve here; its commit id does" {
        cd "$B"
        vers commit -b b-main --tag only-in-b >/dev/null
        cid=$(tag_id only-in-b)
        cd "$A"
        run vers branch only-in-b --alias nope
        [ "$status" -eq 1 ]
        [[ "$output" == *"no env or commit named 'only-in-b' in this project"* ]]
        run --separate-stderr vers branch "$cid" --alias by-id --json
        [ "$status" -eq 0 ]
        json_ok "length == 1 and .[0].commit == \"$cid\""
        # the env belongs to the project it was branched in
        run --separate-stderr vers status --json
        json_ok 'any(.[]; .alias == "by-id")'
        # an env of another project is still reached by its exact alias
        run vers execute -b b-main "hostname"
        [ "$status" -eq 0 ]
        [ "$output" = b-main ]
}

@test "a tag or alias that is an existing id, or an id prefix, is refused" {
        eid=$(env_id a-main)
        run vers commit -b a-main --tag "$eid"
        [ "$status" -eq 1 ]
        [[ "$output" == *"tag '$eid' looks like the id of env $eid; choose another"* ]]
        cid=$(tag_id base)
        run vers commit -b a-main --tag "${cid:0:6}"
        [ "$status" -eq 1 ]
        [[ "$output" == *"looks like the id of commit $cid"* ]]
        run vers branch base --alias "$cid"
        [ "$status" -eq 1 ]
        [[ "$output" == *"alias '$cid' looks like the id of commit $cid"* ]]
        # the id of another project's commit too
        cd "$B"
        run vers commit -b b-main --tag "$cid"
        [ "$status" -eq 1 ]
        [[ "$output" == *"looks like the id of commit $cid"* ]]
        json_ok "all(.[]; .tag != \"$cid\")" "$(vers tag list --all --json)"
}
