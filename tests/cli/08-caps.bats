#!/usr/bin/env bats
# Resource caps from vers.toml: an env that exceeds memory_mib has its own process killed,
# vcpu limits its CPU time, vm_mib caps its disk use; the host and other envs are untouched.

load helpers

setup_file() {
        vers_setup_root
        export SMALL
        SMALL=$(mktemp -d /tmp/vers-test-small.XXXXXX) && chmod 755 "$SMALL"
        printf '[vm]\nmemory_mib = 256\nvcpu = 1\n\n[storage]\ncluster_mib = 1024\nvm_mib = 64\n' > "$SMALL/vers.toml"
        cd "$SMALL"
        vers run --alias small >/dev/null
        cd "$PROJ"
        vers run --alias big >/dev/null
}
teardown_file() {
        vers_teardown_root
        rm -rf "$SMALL"
}

@test "an env without services starts and runs commands" {
        cd "$SMALL"
        run vers execute -b small "echo hello from \$(hostname)"
        [ "$output" = "hello from small" ]
}

@test "exceeding memory_mib kills the greedy process inside the env only" {
        cd "$SMALL"
        # tail must hold the whole (newline-free) input: about 600 MiB, more than the 256 allowed
        run vers execute -b small "head -c 600M /dev/zero | tail -n 1 > /dev/null"
        [ "$status" -eq 137 ] # SIGKILL from the env's OOM killer
        # the env and its neighbour still work
        run vers execute -b small "echo alive"
        [ "$output" = alive ]
        run vers execute -b big "psql -Atc 'SELECT 1'"
        [ "$output" = 1 ]
        # within the neighbour's larger cap the same command succeeds
        run vers execute -b big "head -c 600M /dev/zero | tail -n 1 | wc -c"
        [ "$output" = 629145600 ]
}

@test "vm_mib caps the env's disk use; the host and other envs can still write" {
        cd "$SMALL"
        # 64 MiB allowed: a 100 MiB file stops at the cap with EDQUOT inside the env
        run vers execute -b small "dd if=/dev/zero of=/var/tmp/fill bs=1M count=100 conv=fsync"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Disk quota exceeded"* ]]
        # the neighbour (vm_mib 4000) writes 100 MiB without trouble
        run vers execute -b big "dd if=/dev/zero of=/var/tmp/fill bs=1M count=100 conv=fsync 2>&1 && rm /var/tmp/fill"
        [ "$status" -eq 0 ]
        # and so does the host, on the same store
        dd if=/dev/zero of="$VERS_ROOT/store/host-fill" bs=1M count=100 conv=fsync status=none
        rm "$VERS_ROOT/store/host-fill"
        # freeing space inside the env makes it writable again
        vers execute -b small "rm /var/tmp/fill; sync"
        run vers execute -b small "dd if=/dev/zero of=/var/tmp/small bs=1M count=10 conv=fsync 2>&1"
        [ "$status" -eq 0 ]
        # a branch shares the parent's data but gets a cap of its own for what it writes
        vers commit -b small --tag small-c >/dev/null
        vers branch small-c --alias small2 >/dev/null
        run vers execute -b small2 "dd if=/dev/zero of=/var/tmp/more bs=1M count=40 conv=fsync 2>&1"
        [ "$status" -eq 0 ]
        run vers execute -b small2 "dd if=/dev/zero of=/var/tmp/more2 bs=1M count=40 conv=fsync 2>&1"
        [ "$status" -ne 0 ]
        [[ "$output" == *"Disk quota exceeded"* ]]
        vers kill -y small2 >/dev/null
}

@test "vcpu limits the env's CPU time" {
        cd "$SMALL"
        # the cgroup has the quota of one CPU...
        id=$(env_field small id)
        [ -n "$id" ]
        cg=$(find /sys/fs/cgroup/cpu,cpuacct/vers /sys/fs/cgroup/cpu/vers /sys/fs/cgroup/vers -maxdepth 2 -name "$id" 2>/dev/null | head -1)
        [ -n "$cg" ]
        if [ -f "$cg/cpu.max" ]; then
                [ "$(cut -d' ' -f1 "$cg/cpu.max")" = "$(cut -d' ' -f2 "$cg/cpu.max")" ]
        else
                [ "$(cat "$cg/cpu.cfs_quota_us")" = "$(cat "$cg/cpu.cfs_period_us")" ]
        fi
        # ...and it holds: two busy loops for 2 s of wall time get about one CPU, not the
        # machine's two (the bounds are wide so that a busy machine cannot fail them)
        # CPU time of the loops, as the shell that waited for them sees it (cutime+cstime
        # of /proc/$$/stat, in ticks of 1/100 s)
        run vers execute -b small 'for i in 1 2; do timeout 2 sh -c "while :; do :; done" & done; wait; awk "{ print \$16 + \$17 }" /proc/$$/stat'
        echo "CPU time for 4 s of demand in 2 s: $output ticks"
        [ "$output" -lt 300 ]
        [ "$output" -gt 100 ]
        # the kernel says it throttled the env
        if [ -f "$cg/cpu.stat" ]; then
                [ "$(awk '$1 == "nr_throttled" { print $2 }' "$cg/cpu.stat")" -gt 0 ]
        fi
}

@test "a command that cannot be started in an env at its pids limit is an error saying so, not an exit status" {
        local d id cur max
        d=$(mktemp -d "$BATS_TEST_TMPDIR/pids.XXXXXX") && chmod 755 "$d"
        printf '[vm]\nmemory_mib = 256\npids = 16\n\n[storage]\ncluster_mib = 1024\n' > "$d/vers.toml"
        cd "$d"
        vers run --alias full >/dev/null
        id=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias = 'full'")
        pids_file() { ls /sys/fs/cgroup/pids/vers/*/"$id"/"$1" /sys/fs/cgroup/vers/*/"$id"/"$1" 2>/dev/null | head -1; }
        [ "$(cat "$(pids_file pids.max)")" = 16 ]
        # inside: a process that takes every task the limit leaves, for 20 s, also those the
        # command that started it gives back when it returns
        vers execute -b full 'setsid python3 -c "
import os, time
end = time.time() + 20
while time.time() < end:
    try:
        if os.fork() == 0:
            time.sleep(max(0, end - time.time())); os._exit(0)
    except OSError:
        time.sleep(0.01)
" </dev/null >/dev/null 2>&1 &'
        at_least_16() { [ "$(cat "$(pids_file pids.current)")" -ge 16 ]; }
        wait_for -t 10 -m "16 processes in the env's pids cgroup" at_least_16
        # the helper that joined the env cannot fork the command: one line of error, exit 1
        run vers execute -b full "true"
        vers kill -y full >/dev/null
        [ "$status" -eq 1 ]
        [ "$output" = "vers: cannot start the command in the env: Resource temporarily unavailable" ]
}
