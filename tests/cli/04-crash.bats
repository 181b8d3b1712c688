#!/usr/bin/env bats
# Interrupted operations: a vers killed with SIGKILL in the middle of branch or commit leaves
# nothing half-made visible, and the next command (or vers gc) cleans up.

load helpers

setup_file() {
        vers_setup_root
        # a small store, so that filling it up is quick
        sed -i 's/^cluster_mib = .*/cluster_mib = 1024/' "$PROJ/vers.toml"
        vers_seeded_base
        cd "$PROJ"
        vers commit --tag crash-base >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

# every env subvolume on disk has a row, every row a subvolume, and no cgroup is orphaned
assert_consistent() {
        local rows dirs
        rows=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs ORDER BY id" | tr '\n' ' ')
        dirs=$(ls "$VERS_ROOT/store/envs" | sort | tr '\n' ' ')
        [ "$rows" = "$dirs" ] || { echo "rows: $rows / dirs: $dirs"; return 1; }
        rows=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM commits ORDER BY id" | tr '\n' ' ')
        dirs=$(ls "$VERS_ROOT/store/commits" | sort | tr '\n' ' ')
        [ "$rows" = "$dirs" ] || { echo "commit rows: $rows / dirs: $dirs"; return 1; }
        bad=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id, state, owner_pid FROM envs WHERE state NOT IN ('running','stopped')"); [ -z "$bad" ] || { echo "bad: $bad"; ps -ef | grep -v grep | grep vers; return 1; }
        if [ -d /sys/fs/cgroup/freezer/vers ]; then
                for cg in /sys/fs/cgroup/freezer/vers/*/*/; do
                        [ -d "$cg" ] || continue
                        id=$(basename "$cg")
                        [ -n "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE id='$id' UNION SELECT id FROM images WHERE id='$id'")" ] ||
                                [ ! -d "$VERS_ROOT/store/envs/$id" ] ||
                                { echo "orphan cgroup $id"; return 1; }
                done
        fi
}

@test "kill -9 of vers right after the branch snapshot: status is clean and gc finds nothing" {
        VERS_FAILPOINT=branch-after-snapshot run vers branch crash-base --alias half
        [ "$status" -eq 137 ]
        # the half-made env is on disk, with its row in state pending
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT state FROM envs WHERE alias='half'")" = pending ]
        run vers status
        [ "$status" -eq 0 ]
        [[ "$output" != *half* ]]
        assert_consistent
        run vers gc
        [ "$status" -eq 0 ]
        [[ "$output" == "gc: removed 0 subvolume(s)"* ]]
        # the name is free again
        run vers branch crash-base --alias half
        [ "$status" -eq 0 ]
        [ "$(count_of half users)" = 2000 ]
}

@test "kill -9 of vers right after the commit snapshot leaves no commit" {
        VERS_FAILPOINT=commit-after-snapshot run vers commit --tag half-commit
        [ "$status" -eq 137 ]
        run vers tag list
        [[ "$output" != *half-commit* ]]
        assert_consistent
        run vers commit --tag half-commit
        [ "$status" -eq 0 ]
}

@test "kill -9 at arbitrary moments during branch never leaves a broken env" {
        for delay in 0.01 0.03 0.06 0.1 0.15 0.25; do
                "$VERS_BIN" branch crash-base --alias "k$RANDOM" >/dev/null 2>&1 &
                pid=$!
                sleep "$delay"
                kill -9 "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
                run vers status --json
                [ "$status" -eq 0 ]
                assert_consistent
        done
        run vers gc
        [ "$status" -eq 0 ]
        assert_consistent
        # every env that survived works
        for a in $(sqlite3 "$VERS_ROOT/vers.db" "SELECT alias FROM envs WHERE alias LIKE 'k%'"); do
                [ "$(count_of "$a" products)" = 500 ]
        done
}

@test "gc removes subvolumes that nothing refers to" {
        btrfs subvolume create "$VERS_ROOT/store/envs/deadbeef0000" >/dev/null
        run vers gc --json
        [ "$status" -eq 0 ]
        [ "$output" = '{"subvolumes": 1, "cgroups": 0, "stopped": 0}' ]
        [ ! -e "$VERS_ROOT/store/envs/deadbeef0000" ]
}

@test "gc leaves the cgroups of other VERS_ROOTs alone" {
        if [ -d /sys/fs/cgroup/freezer ]; then
                other=/sys/fs/cgroup/freezer/vers/0therr00t/abcdef012345
        else
                other=/sys/fs/cgroup/vers/0therr00t/abcdef012345
        fi
        mkdir -p "$other"
        run vers gc --json
        [ -d "$other" ]
        rmdir "$other" "$(dirname "$other")"
        [ "$status" -eq 0 ]
        [[ "$output" == *'"cgroups": 0'* ]]
}

@test "a full store is a one-line error and loses nothing" {
        vers branch crash-base --alias filler >/dev/null
        # fill the store from inside the env
        run vers execute -b filler "dd if=/dev/urandom of=/var/tmp/fill bs=1M count=100000 status=none"
        [ "$status" -ne 0 ]
        # a snapshot needs almost no space, so a commit may still succeed; if not, one line
        run vers commit -b filler --tag full-commit
        if [ "$status" -ne 0 ]; then
                [ "${#lines[@]}" -eq 1 ]
                [[ "$output" == vers:* ]]
        fi
        # an image copies /etc: that cannot fit, and fails in one line leaving no image behind
        images_before=$(ls "$VERS_ROOT/store/images" | wc -l)
        run vers build --no-cache
        [ "$status" -eq 1 ]
        # the step lines, then one line of error
        errors=$(echo "$output" | grep -vE '^vers: (step |installing )')
        [ "$(echo "$errors" | wc -l)" -eq 1 ]
        [[ "$errors" == "vers: "*"No space left on device" ]]
        [ "$(ls "$VERS_ROOT/store/images" | wc -l)" -eq "$images_before" ]
        [ -z "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM images WHERE state NOT IN ('ready', 'layer')")" ]
        vers execute -b filler "rm -f /var/tmp/fill"
        assert_consistent
        [ "$(count_of base users)" = 2000 ]
        vers kill -y filler >/dev/null
}
