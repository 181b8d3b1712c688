#!/usr/bin/env bats
# Commits that a branch could not restore are never reported as warm successes: an env whose
# mounts changed since it started is committed cold (or --warm fails), --verify restores the
# dump once before trusting it, and a service the user stopped does not fail the commit or
# the branches made from it.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
        vers commit -b base --tag seeded >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

# Tests of warm commits need a usable CRIU; in CI that is what is being tested, so a missing
# CRIU fails instead of skipping.
need_warm() { skip_unless_warm; }

init_pid() { sqlite3 "$VERS_ROOT/vers.db" "SELECT init_pid FROM envs WHERE alias = '$1'"; }
env_dir() { echo "$VERS_ROOT/store/envs/$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias = '$1'")"; }

# An overlay mounted from the host, as host root, into the env's mount namespace: CRIU dumps
# it and then cannot mount it again in a restore. This keeps working whatever the env itself
# is allowed to mount.
host_overlay() {
        nsenter -t "$(init_pid "$1")" -m sh -c 'mkdir -p /mnt/o/l /mnt/o/u /mnt/o/w /mnt/o/m &&
                mount -t overlay overlay -o lowerdir=/mnt/o/l,upperdir=/mnt/o/u,workdir=/mnt/o/w /mnt/o/m'
}

# no commit is half-made and every commit directory belongs to a commit
no_stray_commits() {
        [ -z "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM commits WHERE state != 'ready'")" ]
        [ "$(ls "$VERS_ROOT/store/commits" | wc -l)" -eq "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM commits")" ]
}

@test "an env whose mounts are as it started commits warm, and so does a branch of it" {
        need_warm
        run vers branch seeded --alias plain
        [[ "$output" == *"(warm, "* ]]
        run vers commit -b plain --tag plain-warm --warm
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
        run vers branch plain-warm --alias plain-2
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
        [ "$(count_of plain-2 products)" -gt 0 ]
}

@test "an env cannot mount anything itself, so its own mounts never spoil a warm commit" {
        need_warm
        vers branch seeded --alias inside >/dev/null
        run vers execute -b inside "mkdir -p /mnt/x && mount -t tmpfs none /mnt/x"
        [ "$status" -ne 0 ]
        [[ "$output" == *"permission denied"* ]]
        run vers commit -b inside --tag inside-mounted
        [ "$status" -eq 0 ]
        [[ "$output" != *"committing env 'inside' cold"* ]]
        [[ "$output" == *"(warm, "* ]]
}

@test "a mount made from the host into the env makes an auto commit cold; a branch of it works" {
        need_warm
        vers branch seeded --alias hostmnt >/dev/null
        vers execute -b hostmnt "psql -qc 'CREATE TABLE marker AS SELECT 7 AS x'"
        host_overlay hostmnt
        run --separate-stderr vers commit -b hostmnt --tag host-mounted --json
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"vers: committing env 'hostmnt' cold: '/mnt/o/m' (overlay) was mounted after the env started; a warm branch may not restore it"* ]]
        json_ok '.mode == "cold"'
        run vers branch host-mounted --alias hostmnt-2
        [ "$status" -eq 0 ]
        [[ "$output" == *"(cold, "* ]]
        [ "$(vers execute -b hostmnt-2 "psql -Atc 'SELECT x FROM marker'")" = 7 ]
}

@test "--warm with a changed mount fails naming it, records nothing and leaves the env running" {
        need_warm
        vers branch seeded --alias strict >/dev/null
        host_overlay strict
        run vers commit -b strict --tag strict-warm --warm
        [ "$status" -eq 1 ]
        [ "$output" = "vers: cannot commit warm: in env 'strict', '/mnt/o/m' (overlay) was mounted after the env started; a warm branch may not restore it (unmount it or commit --cold)" ]
        run vers tag list
        [[ "$output" != *strict-warm* ]]
        no_stray_commits
        [ "$(count_of strict products)" -gt 0 ]
        # once the mount is gone, the env commits warm again
        nsenter -t "$(init_pid strict)" -m -p umount /mnt/o/m
        run vers commit -b strict --tag strict-warm --warm
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
}

@test "a remount from the host counts as a change of the env's mounts" {
        need_warm
        vers branch seeded --alias remounted >/dev/null
        nsenter -t "$(init_pid remounted)" -m mount -o remount,ro /run
        run vers commit -b remounted --warm
        [ "$status" -eq 1 ]
        [[ "$output" == *"'/run' (tmpfs) was remounted or mounted over since the env started"* ]]
        no_stray_commits
}

@test "--verify restores the dump once: one that cannot be restored is committed cold, or fails with --warm" {
        need_warm
        vers branch seeded --alias unchecked >/dev/null
        # as an env started by a vers that kept no record of its mounts: only a restore can tell
        rm "$(env_dir unchecked)/mounts"
        host_overlay unchecked
        envs_before=$(ls "$VERS_ROOT/store/envs" | wc -l)
        run vers commit -b unchecked --tag unchecked-strict --warm --verify
        [ "$status" -eq 1 ]
        [[ "$output" == "vers: the commit's processes could not be restored: criu restore failed (exit 1; log: $(env_dir unchecked)/verify/restore.log)"* ]]
        [[ "$output" == *"Unable to mount overlay"* ]]
        no_stray_commits
        run vers commit -b unchecked --tag unchecked-verified --verify
        [ "$status" -eq 0 ]
        [[ "$output" == *"vers: the commit's processes could not be restored: criu restore failed"*"; committing cold instead"* ]]
        [[ "$output" == *"(cold, "* ]]
        [ ! -e "$VERS_ROOT/store/commits/$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM commits WHERE tag = 'unchecked-verified'")/criu" ]
        run vers branch unchecked-verified --alias unchecked-2
        [ "$status" -eq 0 ]
        [ "$(count_of unchecked-2 products)" -gt 0 ]
        # the throwaway copies are gone, and so are their cgroups
        [ "$(ls "$VERS_ROOT/store/envs" | wc -l)" -eq $((envs_before + 1)) ]
        run --separate-stderr vers gc --json
        [ "$status" -eq 0 ]
        json_ok '.subvolumes == 0 and .cgroups == 0'
}

@test "--verify on a restorable dump keeps the commit warm and leaves nothing behind" {
        need_warm
        envs_before=$(ls "$VERS_ROOT/store/envs" | sort)
        run --separate-stderr vers commit -b base --tag base-verified --verify --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "warm"'
        [ "$(ls "$VERS_ROOT/store/envs" | sort)" = "$envs_before" ]
        run vers branch base-verified --alias verified-2
        [[ "$output" == *"(warm, "* ]]
        [ "$(count_of verified-2 products)" -gt 0 ]
}

@test "[checkpoint] verify = true in vers.toml verifies every warm commit" {
        need_warm
        vers branch seeded --alias by-config >/dev/null
        rm "$(env_dir by-config)/mounts"
        host_overlay by-config
        cp vers.toml "$BATS_TEST_TMPDIR/vers.toml"
        printf '\n[checkpoint]\nverify = true\n' >> vers.toml
        run vers commit -b by-config --tag by-config-c
        cp "$BATS_TEST_TMPDIR/vers.toml" vers.toml
        [ "$status" -eq 0 ]
        [[ "$output" == *"could not be restored"*"committing cold instead"* ]]
        [[ "$output" == *"(cold, "* ]]
}

@test "a server stopped with pg_ctl: the commit skips its hook with a notice, a warm branch keeps it stopped, pg_ctl start brings the data back" {
        need_warm
        vers branch seeded --alias stopped >/dev/null
        vers execute -b stopped "psql -qc 'CREATE TABLE kept AS SELECT 42 AS x'"
        vers execute -b stopped "pg_ctl stop" >/dev/null
        run vers commit -b stopped --tag pg-stopped
        [ "$status" -eq 0 ]
        [[ "$output" == *"vers: notice: postgres is not running in env 'stopped'; committing without its pre-commit hook"* ]]
        [[ "$output" == *"(warm, "* ]]
        run vers branch pg-stopped --alias stopped-2
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
        run vers execute -b stopped-2 "pg_ctl status"
        [ "$status" -eq 3 ]
        # the server logs to its log file, not to this command's output (which would never end)
        run timeout 60 "$VERS_BIN" execute -b stopped-2 "pg_ctl start"
        [ "$status" -eq 0 ]
        [[ "$output" == *"server started"* ]]
        [ "$(vers execute -b stopped-2 "psql -Atc 'SELECT x FROM kept'")" = 42 ]
        [ "$(count_of stopped-2 products)" -gt 0 ]
        # the source stays stopped too, and its own start works the same way
        run vers execute -b stopped "pg_ctl status"
        [ "$status" -eq 3 ]
}

@test "a cold commit of a stopped server skips its hook; a cold branch boots it with the data" {
        vers run --alias cold-stopped >/dev/null
        vers execute -b cold-stopped "psql -qc 'CREATE TABLE kept AS SELECT 43 AS x'"
        vers execute -b cold-stopped "pg_ctl stop" >/dev/null
        run vers commit -b cold-stopped --cold --tag pg-stopped-cold
        [ "$status" -eq 0 ]
        [[ "$output" == *"vers: notice: postgres is not running in env 'cold-stopped'; committing without its pre-commit hook"* ]]
        [[ "$output" == *"(cold, "* ]]
        run vers branch pg-stopped-cold --alias cold-stopped-2 --cold
        [ "$status" -eq 0 ]
        [ "$(vers execute -b cold-stopped-2 "psql -Atc 'SELECT x FROM kept'")" = 43 ]
}

@test "a pre-commit hook that fails for a running server still fails the commit" {
        vers run --alias hook-fails >/dev/null
        # the server runs but refuses the hook's connection
        vers execute -b hook-fails "sed -i '1i local all all reject' /etc/postgresql/15/main/pg_hba.conf && pg_ctl reload >/dev/null"
        run vers commit -b hook-fails --tag hook-failed
        [ "$status" -eq 1 ]
        [ "$output" = "vers: pre-commit hook of postgres failed (exit 2); is the database up? see 'vers logs'" ]
        no_stray_commits
}

# A restored env's PID 1 is a child of CRIU until CRIU exits. If a task of the tree is still
# stopped then, the kernel sends the orphaned process group SIGHUP (and SIGCONT); vers-init
# took that SIGHUP for a stop and the env died. orphan-hup makes that situation without CRIU.
@test "vers-init survives the SIGHUP of an orphaned process group with a stopped member" {
        run "$VERS_PROGS/orphan-hup" "$(dirname "$VERS_BIN")/vers-init" "$BATS_TEST_TMPDIR/init.log"
        cat "$BATS_TEST_TMPDIR/init.log"
        [ "$status" -eq 0 ]
        [ "$output" = alive ]
        grep -q 'ignored SIGHUP from the kernel' "$BATS_TEST_TMPDIR/init.log"
}

@test "a SIGHUP sent to an env's PID 1 by a process still stops it in order" {
        vers branch seeded --cold --alias hup >/dev/null
        kill -HUP "$(init_pid hup)"
        wait_for -m "env hup to stop" env_state_is hup stopped
        run vers logs hup
        [[ "$output" == *"vers-init: stopping"* ]]
        vers kill -y hup
}
