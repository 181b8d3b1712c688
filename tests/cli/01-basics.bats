#!/usr/bin/env bats
# Usage, help, names and errors: things that need no running env.

load helpers

setup_file() { vers_setup_root; }
teardown_file() { vers_teardown_root; }

@test "--help works for every command" {
        for c in init build run status ps execute exec connect commit branch checkout head \
                rollback tag tree kill delete logs gc shutdown tunnel env doctor; do
                run vers "$c" --help
                [ "$status" -eq 0 ] || { echo "vers $c --help: $status"; return 1; }
                [[ "$output" == usage:* ]] || { echo "vers $c --help: $output"; return 1; }
        done
}

@test "no command prints usage and exits 129" {
        run vers
        [ "$status" -eq 129 ]
        [[ "$output" == *"usage: vers"* ]]
}

@test "unknown command is named in a one-line error" {
        run vers frobnicate
        [ "$status" -eq 129 ]
        [ "$output" = "vers: 'frobnicate' is not a vers command (see 'vers --help')" ]
}

@test "missing VERS_ROOT is a one-line error" {
        VERS_ROOT=/nonexistent/vers-root run vers status
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"'/nonexistent/vers-root' does not exist"* ]]
}

@test "status with no envs says how to start one" {
        cd "$PROJ"
        run vers status
        [ "$status" -eq 0 ]
        [[ "$output" == *"no envs"* ]]
        run vers status --json
        [ "$output" = "[]" ]
}

@test "names with / or .. are refused" {
        cd "$PROJ"
        run vers checkout ../etc
        [ "$status" -eq 1 ]
        [[ "$output" == *"must not contain"* ]]
        run vers run --alias a/b
        [ "$status" -eq 1 ]
        [[ "$output" == *"'a/b' must not contain '/'"* ]]
        run vers branch --alias x..y
        [ "$status" -eq 1 ]
        [[ "$output" == *"must not contain '..'"* ]]
        # nothing was made
        run vers status --json
        [ "$output" = "[]" ]
}

@test "unknown env or tag is named" {
        cd "$PROJ"
        run vers checkout no-such-thing
        [ "$status" -eq 1 ]
        [ "$output" = "vers: no env or commit named 'no-such-thing' (see 'vers status' and 'vers commit list')" ]
        run vers execute -b premium "true"
        [ "$status" -eq 1 ]
        [[ "$output" == *"'premium'"* ]]
        run vers rollback nothing-here
        [ "$status" -eq 1 ]
}

@test "execute without HEAD outside a project says what to do" {
        cd /tmp
        run vers execute "true"
        [ "$status" -eq 1 ]
        [[ "$output" == *"HEAD is not set"* ]]
}

@test "malformed vers.toml is a one-line error with line and column" {
        d=$(mktemp -d) && chmod 755 "$d"
        printf '[vm]\nmemory_mib = "lots"\n' > "$d/vers.toml"
        cd "$d"
        run vers build
        rm -rf "$d"
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == *"vers.toml:2:"* ]]
        [[ "$output" == *"memory_mib"* ]]
}

@test "unknown service template lists the available ones" {
        d=$(mktemp -d) && chmod 755 "$d"
        printf '[services.db]\ntemplate = "oracle@23"\n' > "$d/vers.toml"
        cd "$d"
        run vers build
        rm -rf "$d"
        [ "$status" -eq 1 ]
        [[ "$output" == *"unknown template 'oracle@23' (available: postgres@15, mariadb (or mysql), redis@7)"* ]]
}

@test "init writes vers.toml and .vers" {
        d=$(mktemp -d) && chmod 755 "$d"
        cd "$d"
        run vers init
        [ "$status" -eq 0 ]
        [ -f vers.toml ] && [ -d .vers ]
        grep -q '^memory_mib = 2048' vers.toml
        run vers init
        [[ "$output" == *"left as it is"* ]]
        rm -rf "$d"
}

@test "build is cached and --no-cache rebuilds" {
        cd "$PROJ"
        run --separate-stderr vers build --json
        [ "$status" -eq 0 ]
        json_ok '.cached == false'
        first=$(jq -r .image <<< "$output")
        [[ "$first" =~ ^[0-9a-f]{12}$ ]]
        run --separate-stderr vers build --json
        [ "$status" -eq 0 ]
        json_ok ".image == \"$first\" and .cached == true"
        [[ "$stderr" == *"step 1/1 FROM host (cached)"* ]]
        [[ "$stderr" == *"every step came from the cache"* ]]
        run --separate-stderr vers build --no-cache --json
        [ "$status" -eq 0 ]
        json_ok ".cached == false and .image != \"$first\""
}

@test "the store is btrfs on a loop-mounted image when VERS_ROOT is not btrfs" {
        cd "$PROJ"
        run vers status
        [ "$status" -eq 0 ]
        [ -f "$VERS_ROOT/store.img" ]
        [ "$(stat -f -c %T "$VERS_ROOT/store")" = btrfs ]
}

@test "shutdown unmounts the store and the next command mounts it again" {
        cd "$PROJ"
        run vers shutdown
        [ "$status" -eq 0 ]
        [ "$(stat -f -c %T "$VERS_ROOT/store")" != btrfs ]
        run vers tree
        [ "$status" -eq 0 ]
        [ "$(stat -f -c %T "$VERS_ROOT/store")" = btrfs ]
        [[ "$output" == image* ]]
}

@test "not root is a one-line error" {
        command -v setpriv >/dev/null || skip "setpriv not installed"
        run setpriv --reuid=65534 --regid=65534 --clear-groups "$VERS_BIN" status
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "vers: vers must run as root"* ]]
}
