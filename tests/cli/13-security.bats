#!/usr/bin/env bats
# The env is a security boundary: everything run inside is treated as hostile. Each attempt
# below runs in a cold env and in a warm branch (restored by CRIU), asserts that it failed,
# and is made harmless should it succeed (the value read is written back, a made file
# removed) so that a regression cannot damage the host running the tests.

load helpers
bats_require_minimum_version 1.5.0 # run -N

setup_file() {
        vers_setup_root
        mkdir -p "$PROJ/progs"
        cp "$VERS_PROGS/escape" "$PROJ/progs/"
        # a small task limit, to try a bounded fork bomb against
        sed -i 's/^\[vm\]$/[vm]\npids = 200/' "$PROJ/vers.toml"
        grep -q '^pids = 200$' "$PROJ/vers.toml"
        cd "$PROJ"
        vers run --alias cold >/dev/null
        if warm_usable; then
                vers commit -b cold --warm --tag sec-warm >/dev/null
                vers branch sec-warm --alias warm --warm >/dev/null
                echo "cold warm" > "$BATS_FILE_TMPDIR/envs"
        elif [ "${CI:-}" = true ]; then
                "$VERS_BIN" doctor >&3
                false
        else
                echo "cold" > "$BATS_FILE_TMPDIR/envs"
        fi
}
teardown_file() { vers_teardown_root; }

setup() {
        cd "$PROJ"
        ENVS=$(cat "$BATS_FILE_TMPDIR/envs")
        if [ "$ENVS" = cold ]; then
                echo "# CRIU is not usable here: the warm-branch half of each test is skipped" >&3
        fi
}

base_id() { awk '{ print $1 }' "$VERS_ROOT/idmap"; }

# In env $1, move PostgreSQL's socket aside for a link to $2 (as a hostile env would), and
# back.
socket_aside() {
        vers execute -b "$1" "mv /run/postgresql/.s.PGSQL.5432 /run/postgresql/.s.real && ln -s $2 /run/postgresql/.s.PGSQL.5432"
}
socket_back() {
        vers execute -b "$1" "rm /run/postgresql/.s.PGSQL.5432 && mv /run/postgresql/.s.real /run/postgresql/.s.PGSQL.5432"
}

# A host-side Unix socket server at $1/$2 that makes $1/reached when anything connects; sets
# vpid (the caller kills it) and returns once it listens.
victim_server() {
        python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1] + "/" + sys.argv[2]); s.listen(8)
open(sys.argv[1] + "/listening", "w").close()
while True:
    c, _ = s.accept(); open(sys.argv[1] + "/reached", "w").close(); c.close()
' "$1" "$2" &
        vpid=$!
        wait_for -t 5 -m "the listener on $1/$2 to be ready" test -e "$1/listening"
}
init_pid() { sqlite3 "$VERS_ROOT/vers.db" "SELECT init_pid FROM envs WHERE alias = '$1'"; }
rootfs_of() { echo "$VERS_ROOT/store/envs/$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias = '$1'")/rootfs"; }

@test "env ids are an unprivileged host range recorded in /etc/subuid, never the host's root" {
        base=$(base_id)
        [ "$base" -ge 1073741824 ]
        grep -qx "vers:$base:65536" /etc/subuid
        grep -qx "vers:$base:65536" /etc/subgid
        for e in $ENVS; do
                run vers execute -b "$e" "id -u; cat /proc/self/uid_map; cat /proc/self/gid_map"
                [ "$status" -eq 0 ]
                [ "${lines[0]}" = 0 ]
                [ "$(echo "${lines[1]}" | awk '{ print $1, $2, $3 }')" = "0 $base 65536" ]
                [ "$(echo "${lines[2]}" | awk '{ print $1, $2, $3 }')" = "0 $base 65536" ]
                # PID 1 and what it writes are the range's on the host
                [ "$(stat -c %u "/proc/$(init_pid "$e")")" = "$base" ]
                vers execute -b "$e" "touch /var/tmp/mine && chown 1234 /var/tmp/mine"
                [ "$(stat -c %u "$(rootfs_of "$e")/var/tmp/mine")" = $((base + 1234)) ]
                # the image's own files are the env's root's, the host's /usr is nobody's
                [ "$(stat -c %u "$(rootfs_of "$e")/etc/passwd")" = "$base" ]
                [ "$(vers execute -b "$e" 'stat -c %u /usr/bin/id')" = 65534 ]
        done
}

@test "the host's /usr cannot be remounted or written, in cold and warm envs" {
        for e in $ENVS; do
                run vers execute -b "$e" "mount -o remount,bind,rw /usr"
                [ "$status" -ne 0 ]
                run vers execute -b "$e" "touch /usr/vers-escape-$e; touch /usr/lib/vers-escape-$e"
                [ "$status" -ne 0 ]
                if [ -e "/usr/vers-escape-$e" ] || [ -e "/usr/lib/vers-escape-$e" ]; then
                        rm -f "/usr/vers-escape-$e" "/usr/lib/vers-escape-$e"
                        false
                fi
                # even where it were writable, the files are not the env's
                run vers execute -b "$e" "chmod u+s /usr/bin/id"
                [ "$status" -ne 0 ]
                [ "$(stat -c %a /usr/bin/id)" = 755 ]
        done
}

@test "host sysctls cannot be changed from inside: /proc/sys and /sys are read-only" {
        for e in $ENVS; do
                before=$(cat /proc/sys/fs/lease-break-time)
                run vers execute -b "$e" "echo 46 > /proc/sys/fs/lease-break-time"
                [ "$status" -ne 0 ]
                after=$(cat /proc/sys/fs/lease-break-time)
                [ "$after" = "$before" ] || { echo "$before" > /proc/sys/fs/lease-break-time; false; }

                before=$(cat /proc/sys/kernel/core_pattern)
                run vers execute -b "$e" "echo core.vers-escape > /proc/sys/kernel/core_pattern"
                [ "$status" -ne 0 ]
                after=$(cat /proc/sys/kernel/core_pattern)
                [ "$after" = "$before" ] || { echo "$before" > /proc/sys/kernel/core_pattern; false; }

                run vers execute -b "$e" "echo h > /proc/sysrq-trigger"
                [ "$status" -ne 0 ]
                for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus /sys; do
                        [ -e "$p" ] || continue # not on this kernel
                        opts=$(vers execute -b "$e" "awk -v p=$p '\$5 == p { print \$6 }' /proc/self/mountinfo")
                        [[ ",$opts," == *,ro,* ]] || { echo "$e: $p is mounted $opts"; false; }
                done
                thp=/sys/kernel/mm/transparent_hugepage/enabled
                if [ -f "$thp" ]; then
                        before=$(cat "$thp")
                        run vers execute -b "$e" "echo never > $thp"
                        [ "$status" -ne 0 ]
                        [ "$(cat "$thp")" = "$before" ]
                fi
                # masked: nothing of the host's keys or timers shows
                [ -z "$(vers execute -b "$e" 'cat /proc/keys /proc/timer_list 2>/dev/null')" ]
        done
}

@test "syscalls and ioctls outside the policy are refused, also after a warm restore" {
        for e in $ENVS; do
                run vers execute -b "$e" "progs/escape /var/tmp"
                [ "$status" -eq 0 ]
                echo "$output"
                for want in btrfs_subvol_create btrfs_subvol_create_hibits btrfs_subvol_create_v2 \
                        btrfs_snap_create_v2 unshare_user unshare_mnt mount_tmpfs remount_usr_rw \
                        keyctl add_key bpf perf_event_open open_by_handle_at kexec_load \
                        init_module setns sethostname tiocsti; do
                        [[ "$output" == *"$want EPERM"* ]] || { echo "$e: $want not refused"; false; }
                done
                [[ "$output" == *"clone3 ENOSYS"* ]]
                [[ "$output" == *"unknown_syscall ENOSYS"* ]]
                [[ "$output" == *"cap_sys_admin absent"* ]]
                [ ! -e "$(rootfs_of "$e")/var/tmp/escape-sv" ]
                [ ! -e "$(rootfs_of "$e")/var/tmp/escape-sv2" ]
                # the btrfs tool, as a user would try it
                run vers execute -b "$e" "btrfs subvolume create /var/tmp/sv"
                [ "$status" -ne 0 ]
                [ ! -e "$(rootfs_of "$e")/var/tmp/sv" ]
                # and the kernel's view of the env's processes
                run vers execute -b "$e" "grep -E '^(Seccomp|CapBnd|CapEff):' /proc/self/status"
                [[ "$output" == *"Seccomp:"*"2"* ]]
                [[ "$output" == *"CapBnd:"*"00000000a80425fb"* ]]
                [[ "$output" == *"CapEff:"*"00000000a80425fb"* ]]
        done
}

@test "no device node of the host can be made or reached: mknod is the env's only for its own" {
        disk=$(lsblk -dno MAJ:MIN "$(findmnt -no SOURCE / | sed 's/\[.*//')" 2>/dev/null | tr -d ' ')
        [ -n "$disk" ] || disk=254:0
        for e in $ENVS; do
                # CAP_MKNOD is kept (as Docker does) but means nothing outside the user namespace
                run vers execute -b "$e" "mknod /var/tmp/disk b ${disk%:*} ${disk#*:}"
                [ "$status" -ne 0 ]
                [ ! -e "$(rootfs_of "$e")/var/tmp/disk" ]
                run vers execute -b "$e" "ls /dev"
                [[ "$output" != *kmsg* ]]
                [[ "$output" != *mem* ]]
                [[ "$output" != *vda* ]]
        done
}

@test "no cgroup hierarchy can be mounted and the env's limits cannot be lifted" {
        for e in $ENVS; do
                run vers execute -b "$e" "mkdir -p /var/tmp/m && mount -t cgroup -o memory none /var/tmp/m"
                [ "$status" -ne 0 ]
                run vers execute -b "$e" "mount -t cgroup2 none /var/tmp/m"
                [ "$status" -ne 0 ]
                run vers execute -b "$e" "ls /sys/fs/cgroup"
                [ -z "$output" ]
                # pids.max is set from [vm] pids
                id=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias = '$e'")
                max=$(cat /sys/fs/cgroup/pids/vers/*/"$id"/pids.max 2>/dev/null ||
                        cat /sys/fs/cgroup/vers/*/"$id"/pids.max)
                [ "$max" = 200 ]
        done
}

@test "a bounded fork bomb in one env leaves the host and the other env answering" {
        first=${ENVS%% *}
        other=${ENVS##* }
        # 400 sleepers against a limit of 200: forks fail inside, bounded by the count
        run vers execute -b "$first" -t 60 \
                'n=0; for i in $(seq 400); do sleep 30 & n=$((n+1)); done 2>/dev/null; wait 2>/dev/null; true'
        vers execute -b "$other" "true"
        [ "$(ps -e --no-headers | wc -l)" -gt 0 ]
        vers execute -b "$first" "true" || vers execute -b "$first" "true"
        # the limit held
        id=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT id FROM envs WHERE alias = '$first'")
        events=$(cat /sys/fs/cgroup/pids/vers/*/"$id"/pids.events 2>/dev/null ||
                cat /sys/fs/cgroup/vers/*/"$id"/pids.events)
        [[ "$events" == "max "* ]]
        [ "${events#max }" -gt 0 ]
}

@test "a setuid file made in the project directory gives no host user more than the range's rights" {
        # the project itself is not the env's to write (its owner is the host's root) ...
        run vers execute -b cold 'cp /usr/bin/id "$PWD/s"'
        [ "$status" -ne 0 ]
        [ ! -e "$PROJ/s" ]
        # ... a directory its owner opened to everyone is, but what the env makes there is the
        # range's, and the project is nosuid inside
        mkdir -m 1777 "$PROJ/shared"
        for e in $ENVS; do
                vers execute -b "$e" "cp /usr/bin/id $PROJ/shared/s-$e && chmod 4755 $PROJ/shared/s-$e"
                owner=$(stat -c %u "$PROJ/shared/s-$e")
                [ "$owner" -ge "$(base_id)" ]
                # run as nobody on the host: it becomes the range's uid, never root
                [ "$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PROJ/shared/s-$e" -u)" = "$owner" ]
                opts=$(vers execute -b "$e" "awk -v p=$PROJ '\$5 == p { print \$6 }' /proc/self/mountinfo")
                [[ ",$opts," == *,nosuid,* ]]
                [[ ",$opts," == *,nodev,* ]]
                rm -f "$PROJ/shared/s-$e"
        done
        rm -rf "$PROJ/shared"
}

@test "doctor lists the sandbox's measures" {
        run vers doctor
        [ "$status" -eq 0 ]
        [[ "$output" == *"env ids"*"$(base_id)"* ]]
        [[ "$output" == *"seccomp:"* ]]
        [[ "$output" == *"capabilities:"*"no sys_admin"* ]]
        [[ "$output" == *"read-only:"*"/proc/sys"* ]]
}

@test "a store made by a vers that ran envs as host root is refused, not restored with the old map" {
        mv "$VERS_ROOT/idmap" "$VERS_ROOT/idmap.saved"
        run vers status
        mv "$VERS_ROOT/idmap.saved" "$VERS_ROOT/idmap"
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "$output" == "vers: VERS_ROOT '"*"' was made by an older vers whose envs ran as host root"* ]]
        vers status >/dev/null
}

@test "a symlink planted over a mount point's parent moves no mount out of the env at the next boot" {
        vers run --alias remount >/dev/null
        name=$(basename "$PROJ")
        # the project is bound at /tmp/<name>: make the env's /tmp a link to /root, whose
        # host counterpart a boot that followed it would create the directory in
        vers execute -b remount "mv /tmp /tmp.old && ln -s /root /tmp"
        pid=$(init_pid remount)
        kill -9 "$pid"
        wait_for -t 10 -m "init $pid of env remount to exit" test ! -d "/proc/$pid"
        run vers execute -b remount "cat $PROJ/vers.toml"
        echo "$output"
        if [ -e "/root/$name" ]; then
                rmdir "/root/$name" 2>/dev/null || true
                false
        fi
        [ "$status" -eq 0 ]
        [[ "$output" == *"[storage]"* ]]
        # inside, the link led into the env's own /root
        [ -d "$(rootfs_of remount)/root/$name" ]
        vers kill -y remount >/dev/null
}

@test "a mount point the env blocked between two boots fails the next boot in one line naming it" {
        vers run --alias blocked >/dev/null
        # the project is bound at /tmp/<name>: make the env's /tmp a file
        vers execute -b blocked "mv /tmp /tmp.old && touch /tmp"
        pid=$(init_pid blocked)
        kill -9 "$pid"
        wait_for -m "PID 1 ($pid) of env blocked to be gone" test ! -d "/proc/$pid"
        run vers execute -b blocked "echo booted"
        vers kill -y blocked >/dev/null
        [ "$status" -eq 1 ]
        [ "${#lines[@]}" -eq 1 ]
        [ "$output" = "vers: env setup failed: mount point '$PROJ' is not a directory of the env: Not a directory" ]
}

@test "what stops a command from starting is one line of error; a command's own 126 and 127 are its status" {
        for e in $ENVS; do
                run vers exec -b "$e" -- /no/such/program
                [ "$status" -eq 1 ]
                [ "$output" = "vers: cannot run '/no/such/program' in the env: No such file or directory" ]
                run vers exec -b "$e" -- /etc/passwd
                [ "$status" -eq 1 ]
                [ "$output" = "vers: cannot run '/etc/passwd' in the env: Permission denied" ]
                run vers execute -b "$e" -w /no/such/dir "pwd"
                [ "$status" -eq 1 ]
                [ "$output" = "vers: cannot enter directory '/no/such/dir' in the env: No such file or directory" ]
                # the command's own statuses, whatever they are, and nothing said by vers
                run -127 vers execute -b "$e" "exit 127"
                [ -z "$output" ]
                run vers exec -b "$e" -- sh -c 'exit 126'
                [ "$status" -eq 126 ]
                [ -z "$output" ]
                run vers exec -b "$e" -- sh -c 'exit 125'
                [ "$status" -eq 125 ]
                [ -z "$output" ]
                # a shell that finds no such program is such a command
                run -127 vers execute -b "$e" "no-such-program-$e"
                [[ "$output" == *"no-such-program-$e: not found"* ]]
                [[ "$output" != *"vers:"* ]]
        done
}

@test "under sudo, env root is the user who ran vers: what it writes in the project is theirs" {
        local root2 proj2
        root2=$(mktemp -d /tmp/vers-test-root-sudo.XXXXXX)
        proj2=$(mktemp -d /tmp/vers-test-proj-sudo.XXXXXX)
        printf '[storage]\ncluster_mib = 1024\n' > "$proj2/vers.toml"
        # the project is the sudo user's (here nobody, 65534), as a developer's checkout is
        chown 65534:65534 "$proj2"
        chmod 755 "$proj2"
        cd "$proj2"
        export SUDO_UID=65534 SUDO_GID=65534
        run env VERS_ROOT="$root2" "$VERS_BIN" run --alias s
        run2=$status
        made=$(env VERS_ROOT="$root2" "$VERS_BIN" execute -b s \
                "touch $proj2/made-inside && cat /proc/self/uid_map" 2>&1) || true
        owner=$(stat -c %u:%g "$proj2/made-inside" 2>/dev/null || echo none)
        ids=$(cat "$root2/idmap")
        unset SUDO_UID SUDO_GID
        (VERS_ROOT=$root2 PROJ=$proj2 vers_teardown_root)
        cd "$PROJ"
        [ "$run2" -eq 0 ]
        [ "$owner" = 65534:65534 ]
        [ "$(echo "$ids" | awk '{ print $2, $3 }')" = "65534 65534" ]
        # env root is that one user; every other env id stays in the range
        maps=$(echo "$made" | awk '{ print $1, $2, $3 }' | tr '\n' ';')
        [ "$maps" = "0 65534 1;1 $(($(echo "$ids" | awk '{ print $1 }') + 1)) 65535;" ]
}

@test "a process the command leaves behind never gets the host's terminal" {
        command -v script >/dev/null || { [ "${CI:-}" != true ] || false; skip "no script(1)"; }
        for e in $ENVS; do
                vers execute -b "$e" 'rm -f /tmp/stolen /tmp/stolen.done'
                fifo="$BATS_TEST_TMPDIR/go-$e"
                mkfifo "$fifo"
                # inside: keep the command's stdin and read it in the background after vers
                # returned; on the host: type a line only then, in the same terminal
                inner="$VERS_BIN execute -b $e 'exec 3<&0; (timeout 8 cat <&3 > /tmp/stolen; touch /tmp/stolen.done) >/dev/null 2>&1 & echo started'"
                wait_done="for i in \$(seq 200); do $VERS_BIN execute -b $e 'test -e /tmp/stolen.done' </dev/null && break; sleep 0.05; done"
                { read -r _ < "$fifo"; printf 'typed-on-host-%s\n' "$e"; sleep 10; } |
                        script -qfec "$inner; echo > $fifo; $wait_done" /dev/null || true
                [ "$(vers execute -b "$e" 'cat /tmp/stolen.done >/dev/null && cat /tmp/stolen')" = "" ]
                # what the command itself gets instead of a terminal
                run script -qfec "$VERS_BIN execute -b $e 'for f in 0 1 2; do test -t \$f && echo tty\$f; done; echo checked'" /dev/null
                [[ "$output" == *checked* ]]
                [[ "$output" != *tty* ]]
        done
}

@test "a huge sparse file the env puts where vers reads costs the host's vers no memory" {
        [ -x /usr/bin/time ] || { [ "${CI:-}" != true ] || false; skip "no /usr/bin/time"; }
        for e in $ENVS; do
                vers execute -b "$e" 'cp /.vers/env /tmp/env.saved && cp /.vers/env /.vers/env.big && truncate -s 1G /.vers/env.big && mv /.vers/env.big /.vers/env && truncate -s 512M /var/log/vers/init.log'
                /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" "$VERS_BIN" execute -b "$e" 'echo hi' >/dev/null
                rss_exec=$(cat "$BATS_TEST_TMPDIR/rss")
                /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" "$VERS_BIN" logs -b "$e" -n 0 >/dev/null
                rss_logs=$(cat "$BATS_TEST_TMPDIR/rss")
                vers execute -b "$e" 'cp /tmp/env.saved /.vers/env && : > /var/log/vers/init.log'
                echo "maxrss: execute ${rss_exec} KiB, logs ${rss_logs} KiB"
                [ "$rss_exec" -lt 100000 ]
                [ "$rss_logs" -lt 100000 ]
        done
}

@test "a test that prints without end fills neither the host's disk nor vers's memory" {
        [ -x /usr/bin/time ] || { [ "${CI:-}" != true ] || false; skip "no /usr/bin/time"; }
        d=$(mktemp -d /tmp/vers-test-flood.XXXXXX) && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 1024\n' > "$d/vers.toml"
        printf 'name: flood\nversion: 1.0.0\ntests:\n  flood:\n    command: "yes AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA | head -c 100000000; echo; echo the-end"\n' \
                > "$d/vers-integration.yaml"
        cd "$d"
        /usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/rss" "$VERS_BIN" test --json > "$BATS_TEST_TMPDIR/out.json"
        rc=$?
        cd "$PROJ"
        rm -rf "$d"
        rss=$(cat "$BATS_TEST_TMPDIR/rss")
        size=$(stat -c %s "$BATS_TEST_TMPDIR/out.json")
        echo "rc $rc, maxrss $rss KiB, report $size bytes"
        [ "$rc" -eq 0 ]
        [ "$rss" -lt 100000 ]
        [ "$size" -lt 3000000 ]
        grep -q 'bytes of the output are not kept' "$BATS_TEST_TMPDIR/out.json"
        grep -q 'the-end' "$BATS_TEST_TMPDIR/out.json"
}

@test "vers env leads host-side clients to the env's own server, whatever the env links its socket to" {
        victim="$BATS_TEST_TMPDIR/victim"
        mkdir -p "$victim"
        # a host-side server that records any connection
        victim_server "$victim" .s.PGSQL.5432
        for e in $ENVS; do
                eval "$(vers env "$e")"
                # after vers env, the env moves its socket aside for a link to the host's
                socket_aside "$e" "$victim/.s.PGSQL.5432"
                run psql -Atc "SELECT current_setting('port')"
                # and with the link planted before: vers env finds no socket of the env's
                run2=$(vers env "$e" 2>&1) && rc2=0 || rc2=$?
                socket_back "$e"
                [ "$status" -eq 0 ]
                [ "$output" = 5432 ]
                [ "$rc2" -ne 0 ]
                [[ "$run2" == *"no socket '/run/postgresql/.s.PGSQL.5432' in the env"* ]]
                [ ! -e "$victim/reached" ]
        done
        kill "$vpid"
        wait "$vpid" 2>/dev/null || true
        # a host socket the env can reach by name through the project (bound into it), even
        # one the env itself may not connect to: not the env's own, so never handed out
        pvictim="$PROJ/pvictim"
        mkdir -m 0700 "$pvictim"
        victim_server "$pvictim" s
        for e in $ENVS; do
                socket_aside "$e" "$pvictim/s"
                run3=$(vers env "$e" 2>&1) && rc3=0 || rc3=$?
                socket_back "$e"
                [ "$rc3" -ne 0 ]
                [[ "$run3" == *"is not the env's own socket"* ]]
                [ ! -e "$pvictim/reached" ]
        done
        kill "$vpid"
        wait "$vpid" 2>/dev/null || true
        rm -rf "$pvictim"
        # what vers env mounted goes with the env
        vers run --alias sockgone >/dev/null
        eval "$(vers env sockgone)"
        [ -S "$PGHOST/.s.PGSQL.5432" ]
        grep -q " $PGHOST/" /proc/mounts
        vers kill -y sockgone >/dev/null
        ! grep -q " $PGHOST/" /proc/mounts
        [ ! -e "$PGHOST" ]
}

@test "vers connect returns when its shell exits, even if the env keeps the shell's terminal" {
        for e in $ENVS; do
                vers execute -b "$e" 'rm -f /tmp/captured'
                run timeout 60 python3 "$BATS_TEST_DIRNAME/pty-leftover.py" "$VERS_BIN" "$e"
                echo "$output"
                [ "$status" -eq 0 ]
                [ "${lines[-1]}" = exited ]
                [ -z "$(vers execute -b "$e" 'cat /tmp/captured 2>/dev/null')" ]
        done
}
