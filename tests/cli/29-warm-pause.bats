#!/usr/bin/env bats
# A warm commit's pause and what a running env holds in memory, as vers reports them: the
# pause and its parts are numbers, the parts fit in the pause, the snapshot taken in CRIU's
# post-dump hook holds what the dumped processes had, and the hook's files do not stay in
# the commit. No timing is asserted (timing goals live in bench/).

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
}
teardown_file() { vers_teardown_root; }

setup() {
        cd "$PROJ"
        skip_unless_warm
}

@test "commit --warm --json reports the pause and its parts as numbers that add up" {
        run --separate-stderr vers commit -b base --warm --tag pause-parts --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "warm"'
        json_ok '(.pause_ms | type) == "number" and .pause_ms > 0'
        json_ok '[.pause.freeze_ms, .pause.dump_ms, .pause.snapshot_ms, .pause.resume_ms] |
                all(type == "number" and . >= 0)'
        # the parts are the pause, cut where vers saw each step end (rounding aside)
        json_ok '(.pause | .freeze_ms + .dump_ms + .snapshot_ms + .resume_ms) - .pause_ms | fabs < 0.01'
        # the source was thawed
        json_ok '.[] | select(.alias == "base") | .state == "running"' "$(vers status --json)"
        [ "$(vers execute -b base "psql -Atc 'SELECT 1'")" = 1 ]
        # the action script and its FIFOs are not part of the commit
        id=$(jq -r .id <<< "$output")
        [ -f "$VERS_ROOT/store/commits/$id/criu/inventory.img" ]
        run ls "$VERS_ROOT/store/commits/$id/criu/"
        [[ "$output" != *hook* ]]
}

@test "a cold commit does not pause the env and has no pause parts" {
        run --separate-stderr vers commit -b base --cold --tag pause-cold --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "cold" and .pause_ms == 0 and (has("pause") | not)'
}

@test "a warm branch holds the data of the dumped instant, not what the source wrote after" {
        vers execute -b base "psql -v ON_ERROR_STOP=1 -qc 'CREATE TABLE pause_mark (v int); INSERT INTO pause_mark VALUES (7)'"
        before=$(checksums base)
        vers commit -b base --warm --tag pause-data >/dev/null
        # the source goes on after the commit; the branch does not see it
        vers execute -b base "psql -qc 'INSERT INTO pause_mark VALUES (8)'"
        run vers branch pause-data --alias pause-b
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
        [ "$(checksums pause-b)" = "$before" ]
        [ "$(vers execute -b pause-b "psql -Atc 'SELECT sum(v) FROM pause_mark'")" = 7 ]
        [ "$(vers execute -b base "psql -Atc 'SELECT sum(v) FROM pause_mark'")" = 15 ]
}

@test "status --json gives a running env's memory from its cgroup" {
        run vers status --json
        [ "$status" -eq 0 ]
        json_ok '.[] | select(.alias == "base") | .memory |
                (.rss_mib | type) == "number" and .rss_mib > 0 and
                (.cache_mib | type) == "number" and (.shmem_mib | type) == "number" and
                .shmem_mib <= .cache_mib'
}
