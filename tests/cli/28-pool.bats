#!/usr/bin/env bats
# Ready pools: vers pool keeps N branches of a commit made and frozen; vers branch of the
# commit takes one (thawed, named, answering) and a detached refill makes a new one.
#
# setup_file makes env base with the seed data and two commits of it: seed (warm where CRIU
# works, else cold) and seed-cold. Each test leaves no pool behind (teardown drains them),
# and waits for the refills it caused before it ends.

load helpers

setup_file() {
        vers_setup_root
        vers_seeded_base
        vers commit -b base --tag seed >/dev/null
        vers commit -b base --cold --tag seed-cold >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

# no pool left for the next test, whatever this one did
teardown() {
        cd "$PROJ"
        vers pool drain seed >/dev/null 2>&1 || true
        vers pool drain seed-cold >/dev/null 2>&1 || true
}

db() { sqlite3 "$VERS_ROOT/vers.db" "$1"; }
pooled_ids() { db "SELECT id FROM envs WHERE state = 'pooled' ORDER BY id"; }
pooled_count() { db "SELECT count(*) FROM envs WHERE state = 'pooled'"; }
ready_of() { vers pool --json | jq -r --arg t "$1" '.[] | select(.label == $t) | .ready'; }
ready_is() { [ "$(ready_of "$1")" = "$2" ] && [ -z "$(db "SELECT id FROM envs WHERE state = 'pending'")" ]; }
# wait until TAG's pool has N ready envs and no env is being made (refills done)
refill_running() { [ -n "$(db "SELECT owner_pid FROM envs WHERE state = 'pending'")" ]; }
settle() { wait_for -t 180 -i 0.2 -m "pool $1 to have $2 ready envs" ready_is "$1" "$2"; }

# the freezer state of env id's cgroup: FROZEN or THAWED (cgroup v1 or v2)
freezer_state() {
        local cg
        cg=$(db "SELECT cgroup FROM envs WHERE id = '$1'")
        if [ -f "/sys/fs/cgroup/freezer/$cg/freezer.state" ]; then
                cat "/sys/fs/cgroup/freezer/$cg/freezer.state"
        elif grep -q '^frozen 1' "/sys/fs/cgroup/$cg/cgroup.events"; then
                echo FROZEN
        else
                echo THAWED
        fi
}
cpu_usage() { # utime + stime (clock ticks) of every task in env id's cgroup
        local cg procs
        cg=$(db "SELECT cgroup FROM envs WHERE id = '$1'")
        procs=/sys/fs/cgroup/freezer/$cg/cgroup.procs
        [ -f "$procs" ] || procs=/sys/fs/cgroup/$cg/cgroup.procs
        local total=0 n=0 p
        for p in $(cat "$procs"); do
                total=$((total + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
                n=$((n + 1))
        done
        [ "$n" -gt 0 ] && echo "$total"
}

@test "pool fills a commit's pool to N frozen envs, one progress line each" {
        VERS_PROGRESS=1 run --separate-stderr vers pool seed --size 2
        [ "$status" -eq 0 ]
        [[ "$output" == "pool seed: 2 of 2 ready ("*")" ]]
        [ "$(grep -c '^vers: pool seed: env [0-9a-f]* ready' <<< "$stderr")" -eq 2 ]
        [ "$(pooled_count)" -eq 2 ]
        for id in $(pooled_ids); do
                [ "$(freezer_state "$id")" = FROZEN ]
                [ "$(db "SELECT base FROM envs WHERE id = '$id'")" = "$(db "SELECT id FROM commits WHERE tag = 'seed'")" ]
        done
        # idle: no CPU while another command runs (it reads their cgroups)
        local id before
        id=$(pooled_ids | head -1)
        before=$(cpu_usage "$id")
        vers pool --json >/dev/null
        [ "$(cpu_usage "$id")" = "$before" ]
}

@test "pool lists pools with mode, size, ready, memory and disk; status leaves pooled envs out" {
        vers pool seed --size 2 >/dev/null
        run --separate-stderr vers pool --json
        [ "$status" -eq 0 ]
        json_ok 'length == 1'
        json_ok '.[0] | .label == "seed" and .size == 2 and .ready == 2'
        json_ok '.[0] | (.mode == "warm" or .mode == "cold") and (.commit | test("^[0-9a-f]{12}$"))'
        json_ok '.[0].memory_bytes > 0'
        json_ok '.[0].disk_bytes == null or .[0].disk_bytes >= 0'
        json_ok '.[0].project != null'
        run vers pool list
        [ "$status" -eq 0 ]
        [[ "${lines[0]}" == "COMMIT"*"MODE"*"SIZE"*"READY"*"MEMORY"*"DISK"* ]]
        [[ "${lines[1]}" == "seed "* ]]
        # the user's envs only
        run --separate-stderr vers status --all --json
        [ "$status" -eq 0 ]
        json_ok 'map(.alias) == ["base"]'
        for id in $(pooled_ids); do
                json_ok "map(select(.id == \"$id\")) | length == 0"
        done
}

@test "pool refuses an env, an unknown name and a missing size" {
        run vers pool base --size 1
        [ "$status" -ne 0 ]
        [[ "$output" == *"'base' is an env"* ]]
        run vers pool nosuchthing --size 1
        [ "$status" -ne 0 ]
        [[ "$output" == *"nosuchthing"* ]]
        run vers pool seed
        [ "$status" -eq 129 ]
        [[ "$output" == *"give --size N"* ]]
        [ "$(pooled_count)" -eq 0 ]
}

@test "branch of a pooled commit takes a ready env: its data, its alias as hostname; the pool refills" {
        vers pool seed --size 2 >/dev/null
        local before
        before=$(pooled_ids)
        run --separate-stderr vers branch seed --alias taken --json
        [ "$status" -eq 0 ]
        local id
        id=$(jq -r '.[0].id' <<< "$output")
        grep -qx "$id" <<< "$before" # one of the pool's
        [ "$(freezer_state "$id")" = THAWED ]
        [ "$(count_of taken products)" = "$(count_of base products)" ]
        [ "$(vers execute -b taken hostname)" = taken ]
        [ "$(env_field taken state)" = running ]
        [ "$(env_field taken base)" = "$(db "SELECT id FROM commits WHERE tag = 'seed'")" ]
        settle seed 2
        ! pooled_ids | grep -qx "$id"
        vers kill -y taken >/dev/null
}

@test "concurrent takers each get their own env" {
        vers pool seed --size 8 >/dev/null
        local before
        before=$(pooled_ids)
        local pids=()
        for i in 1 2 3 4 5 6 7 8; do
                vers branch seed --alias "c$i" --json > "$BATS_TEST_TMPDIR/c$i.json" &
                pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p"; done
        local ids
        ids=$(for i in 1 2 3 4 5 6 7 8; do jq -r '.[0].id' "$BATS_TEST_TMPDIR/c$i.json"; done | sort)
        [ "$(sort -u <<< "$ids" | wc -l)" -eq 8 ]
        [ "$ids" = "$before" ] # all eight from the pool, none twice
        for i in 1 2 3 4 5 6 7 8; do
                [ "$(vers execute -b "c$i" "psql -Atc 'SELECT 1'")" = 1 ]
        done
        settle seed 8
        vers kill -y c1 c2 c3 c4 c5 c6 c7 c8 >/dev/null
}

@test "branch --count takes what is ready and makes the rest" {
        vers pool seed --size 1 >/dev/null
        local before
        before=$(pooled_ids)
        run --separate-stderr vers branch seed --count 2 --alias k --json
        [ "$status" -eq 0 ]
        json_ok 'length == 2'
        # the two are made at the same time: either may be the one the pool had
        [ "$(jq -r '.[].id' <<< "$output" | grep -cxF -f <(echo "$before"))" -eq 1 ]
        [ "$(count_of k-1 products)" = "$(count_of base products)" ]
        [ "$(count_of k-2 products)" = "$(count_of base products)" ]
        settle seed 1
        vers kill -y k-1 k-2 >/dev/null
}

@test "resizing down drains the extra envs; size 0 and pool drain forget the pool" {
        vers pool seed --size 3 >/dev/null
        run vers pool seed --size 1
        [ "$status" -eq 0 ]
        [ "$output" = "pool seed: 1 of 1 ready ($(vers pool --json | jq -r '.[0].mode'))" ]
        [ "$(pooled_count)" -eq 1 ]
        local cg
        cg=$(db "SELECT cgroup FROM envs WHERE state = 'pooled'")
        run vers pool seed --size 0
        [ "$status" -eq 0 ]
        [ "$output" = "pool seed: drained" ]
        [ "$(pooled_count)" -eq 0 ]
        [ "$(vers pool --json)" = "[]" ]
        [ ! -e "/sys/fs/cgroup/freezer/$cg" ] && [ ! -e "/sys/fs/cgroup/$cg" ]
        vers pool seed --size 1 >/dev/null
        run vers pool drain seed
        [ "$status" -eq 0 ]
        [ "$(pooled_count)" -eq 0 ]
        [ "$(db "SELECT count(*) FROM pools")" -eq 0 ]
}

@test "a warm pool and a cold pool: --cold of a warm pool's commit makes its env the normal way" {
        skip_unless_warm
        vers pool seed --size 1 >/dev/null
        vers pool seed-cold --size 1 >/dev/null
        json_ok '[.[] | {(.label): .mode}] | add == {"seed": "warm", "seed-cold": "cold"}' \
                "$(vers pool --json)"
        local warm_id cold_id
        warm_id=$(db "SELECT e.id FROM envs e JOIN commits c ON c.id = e.base WHERE e.state = 'pooled' AND c.tag = 'seed'")
        cold_id=$(db "SELECT e.id FROM envs e JOIN commits c ON c.id = e.base WHERE e.state = 'pooled' AND c.tag = 'seed-cold'")
        run --separate-stderr vers branch seed --cold --alias notpooled --json
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].id' <<< "$output")" != "$warm_id" ]
        json_ok '.[0].mode == "cold"'
        [ "$(pooled_ids | grep -c "$warm_id")" -eq 1 ]
        run --separate-stderr vers branch seed-cold --alias fromcold --json
        [ "$status" -eq 0 ]
        [ "$(jq -r '.[0].id' <<< "$output")" = "$cold_id" ]
        [ "$(count_of fromcold products)" = "$(count_of base products)" ]
        settle seed-cold 1
        vers pool seed --warm --size 1 >/dev/null
        run vers pool seed-cold --warm --size 1
        [ "$status" -ne 0 ]
        [[ "$output" == *"is cold"* ]]
        vers kill -y notpooled fromcold >/dev/null
}

@test "[pool] size is vers pool's default; unknown keys are refused" {
        cp vers.toml "$BATS_TEST_TMPDIR/vers.toml"
        printf '\n[pool]\nsize = 1\n' >> vers.toml
        run vers pool seed
        cp "$BATS_TEST_TMPDIR/vers.toml" vers.toml
        [ "$status" -eq 0 ]
        [[ "$output" == "pool seed: 1 of 1 ready"* ]]
        printf '\n[pool]\nsizes = 1\n' >> vers.toml
        run vers pool
        cp "$BATS_TEST_TMPDIR/vers.toml" vers.toml
        [ "$status" -ne 0 ]
        [[ "$output" == *"unknown key 'sizes' in [pool]"* ]]
}

@test "gc drains the pool of a commit that is gone" {
        vers commit -b base --cold --tag gone >/dev/null
        vers pool gone --size 1 >/dev/null
        local cid id
        cid=$(db "SELECT id FROM commits WHERE tag = 'gone'")
        id=$(pooled_ids)
        # no command deletes a commit: its row goes as a lost or foreign one would, and gc
        # then deletes the commit's subvolume; it must not keep a pool (and its frozen env)
        db "DELETE FROM commits WHERE id = '$cid'"
        run vers gc
        [ "$status" -eq 0 ]
        [[ "$output" == *", 1 pooled env(s);"* ]]
        [ "$(pooled_count)" -eq 0 ]
        [ "$(db "SELECT count(*) FROM pools")" -eq 0 ]
        [ ! -e "$VERS_ROOT/store/envs/$id" ]
        [ ! -e "$VERS_ROOT/store/commits/$cid" ]
}

@test "a refill killed half-way is recovered: no env left pending or frozen, the pool refills" {
        vers pool seed-cold --size 1 >/dev/null
        vers branch seed-cold --alias r1 >/dev/null # its refill starts, detached
        wait_for -t 60 -m "the refill to make its env" refill_running
        local pid id
        read -r pid id < <(db "SELECT owner_pid, id FROM envs WHERE state = 'pending'" | tr '|' ' ')
        kill -9 "$pid"
        wait_for -t 10 -m "refill $pid to die" test ! -e "/proc/$pid"
        run vers pool --json # any command recovers
        [ "$status" -eq 0 ]
        [ -z "$(db "SELECT id FROM envs WHERE state = 'pending'")" ]
        [ -z "$(db "SELECT id FROM envs WHERE id = '$id'")" ]
        [ ! -e "$VERS_ROOT/store/envs/$id" ]
        run vers pool seed-cold --size 1
        [ "$status" -eq 0 ]
        [ "$output" = "pool seed-cold: 1 of 1 ready (cold)" ]
        vers kill -y r1 >/dev/null
}

@test "a pooled env whose processes died is deleted by the next command, which refills the pool" {
        vers pool seed-cold --size 1 >/dev/null
        local id pid cg
        id=$(pooled_ids)
        pid=$(db "SELECT init_pid FROM envs WHERE id = '$id'")
        cg=$(db "SELECT cgroup FROM envs WHERE id = '$id'")
        kill -9 "$pid"
        # a frozen task dies once it runs again
        if [ -f "/sys/fs/cgroup/freezer/$cg/freezer.state" ]; then
                echo THAWED > "/sys/fs/cgroup/freezer/$cg/freezer.state"
        else
                echo 0 > "/sys/fs/cgroup/$cg/cgroup.freeze"
        fi
        wait_for -t 10 -m "PID 1 $pid to die" test ! -e "/proc/$pid"
        run vers status
        [ "$status" -eq 0 ]
        [ "$(db "SELECT count(*) FROM envs WHERE id = '$id'")" -eq 0 ]
        [ ! -e "$VERS_ROOT/store/envs/$id" ]
        # no take has to come: the pool is back to its size by itself, with another env
        settle seed-cold 1
        [ "$(pooled_ids)" != "$id" ]
        vers pool drain seed-cold >/dev/null
}

@test "vers test with [pool] size keeps the checkpoint's pool and takes its branches from it" {
        local mini
        mini=$(mktemp -d /tmp/vers-test-pool-mini.XXXXXX) && chmod 755 "$mini"
        cp "$REPO/examples/ecommerce/schema.sql" "$mini/"
        printf '[storage]\ncluster_mib = 2000\n[pool]\nsize = 2\n' > "$mini/vers.toml"
        cat > "$mini/vers-integration.yaml" <<'YAML'
name: pooled
version: 1.0.0
services:
  postgres:
    template: postgres@15
    config:
      databases: [app]
tests:
  one:
    command: psql -Atc 'SELECT count(*) FROM users'
    depends_on: [postgres]
  two:
    command: psql -Atc 'SELECT count(*) FROM users'
    depends_on: [postgres]
checkpoints:
  - name: schema-loaded
    after: psql -q -f schema.sql
YAML
        cd "$mini"
        run --separate-stderr vers test --json
        [ "$status" -eq 0 ] || { echo "$output $stderr"; rm -rf "$mini"; false; }
        local label
        label=$(vers pool --json | jq -r '.[0].label')
        [ "$(vers pool --json | jq -r '.[0].size')" = 2 ]
        settle "$label" 2
        local before
        before=$(pooled_ids)
        run --separate-stderr vers test --json
        [ "$status" -eq 0 ]
        settle "$label" 2
        # both branches were the pool's envs (taken, then deleted by the run); the pool is
        # full again with new ones
        [ -z "$(comm -12 <(echo "$before") <(pooled_ids))" ]
        vers pool drain "$label" >/dev/null
        cd "$PROJ"
        rm -rf "$mini"
}

@test "shutdown deletes pooled envs, keeps the pool; the next fill makes them again" {
        vers pool seed-cold --size 1 >/dev/null
        local pid
        pid=$(db "SELECT init_pid FROM envs WHERE state = 'pooled'")
        run vers shutdown
        [ "$status" -eq 0 ]
        # killed; reaped by init (its parent) a moment later
        wait_for -t 10 -m "PID 1 $pid to be gone" test ! -e "/proc/$pid"
        [ "$(pooled_count)" -eq 0 ]
        run vers pool seed-cold --size 1
        [ "$status" -eq 0 ]
        [ "$output" = "pool seed-cold: 1 of 1 ready (cold)" ]
        [ "$(pooled_count)" -eq 1 ]
}
