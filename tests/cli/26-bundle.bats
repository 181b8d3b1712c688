#!/usr/bin/env bats
# vers bundle: commits carried between two VERS_ROOTs of this machine as files. Full and
# incremental (btrfs send -p) bundles of the seeded example, unbundled and branched in another
# root; an incremental one without its base, and altered bundles, are refused or cold; a warm
# commit branches warm only in a root with the same id range that trusts the sender's key.
#
# setup_file makes the sender's root ($VERS_ROOT), its commits and bundles, which no test
# changes; each test makes receiving roots of its own (new_root) and removes them in teardown,
# so that their id ranges are free again for the next one. The last tests remove the sender's
# root first (see there).

load helpers

setup_file() {
        vers_setup_root
        export SENDER=$VERS_ROOT
        export BUNDLES
        BUNDLES=$(mktemp -d /tmp/vers-test-bundles.XXXXXX)
        mkdir -p "$PROJ/progs"
        cp "$VERS_PROGS/memcounter" "$PROJ/progs/"
        vers_seeded_base
        vers commit -b base --cold --tag seeded >/dev/null
        vers execute -b base "psql -v ON_ERROR_STOP=1 -qc 'CREATE TABLE bundle_mark (v text)' -c \"INSERT INTO bundle_mark VALUES ('second')\""
        vers commit -b base --cold --tag changed >/dev/null
        vers bundle create "$BUNDLES/full.vb" seeded --json >"$BUNDLES/full.json"
        vers bundle create "$BUNDLES/inc.vb" changed --since seeded --json >"$BUNDLES/inc.json"
        vers bundle key >"$BUNDLES/sender.pub"
        cut -d' ' -f1 "$SENDER/idmap" >"$BUNDLES/sender.base"
        checksums base >"$BUNDLES/changed.sums"
        warm_usable || return 0 # the warm tests skip (fail, in CI) in their setup
        vers execute -b base "progs/memcounter serve 7001"
        [ "$(vers execute -b base 'progs/memcounter hit 7001')" = 1 ]
        [ "$(vers execute -b base 'progs/memcounter hit 7001')" = 2 ]
        vers commit -b base --warm --tag counter-at-2 >/dev/null
        vers bundle create "$BUNDLES/warm.vb" counter-at-2 >/dev/null
}

teardown_file() {
        VERS_ROOT=$SENDER vers_teardown_root
        rm -rf "$BUNDLES"
}

setup() {
        cd "$PROJ"
        : >"$BATS_TEST_TMPDIR/roots"
}

# every root this test made, removed with its envs and its id range
teardown() {
        while read -r r; do
                (VERS_ROOT=$r PROJ= vers_teardown_root)
        done <"$BATS_TEST_TMPDIR/roots"
}

# a new, empty VERS_ROOT for this test (its id range is given on first use)
new_root() {
        local d
        d=$(mktemp -d /tmp/vers-test-root.XXXXXX)
        echo "$d" >>"$BATS_TEST_TMPDIR/roots"
        echo "$d"
}

# in ROOT: vers ARGS...
in_root() {
        local r=$1
        shift
        VERS_ROOT=$r "$VERS_BIN" "$@"
}

base_of() { cut -d' ' -f1 "$1/idmap"; }

# the byte offset of a member's data in a bundle (a tar)
member_offset() {
        python3 -c 'import sys, tarfile
t = tarfile.open(sys.argv[1])
print(t.getmember(sys.argv[2]).offset_data)' "$1" "$2"
}

# replace the byte at offset with another one
flip_byte() {
        local f=$1 off=$2 b
        b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
        printf "$(printf '\\%03o' $(((b + 1) % 256)))" |
                dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# nothing half-made: no commit, image or env rows or directories
root_is_empty() {
        local r=$1
        [ "$(sqlite3 "$r/vers.db" 'SELECT count(*) FROM commits')" -eq 0 ]
        [ "$(sqlite3 "$r/vers.db" 'SELECT count(*) FROM images')" -eq 0 ]
        [ -z "$(ls "$r/store/commits")" ]
        [ -z "$(ls "$r/store/images")" ]
}

@test "bundle --help names its commands, and create --help what --since needs" {
        run vers bundle --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"create FILE COMMIT"* && "$output" == *"unbundle FILE"* ]]
        [[ "$output" == *"key"* && "$output" == *"trust FILE"* ]]
        run vers bundle create --help
        [ "$status" -eq 0 ]
        [[ "$output" == *"--since"* && "$output" == *"receiver must already have"* ]]
        run vers bundle create "$BUNDLES/x.vb"
        [ "$status" -eq 129 ]
        run vers bundle create "$BUNDLES/x.vb" no-such-commit
        [ "$status" -ne 0 ]
        [[ "$output" == *"no-such-commit"* ]]
        [ ! -e "$BUNDLES/x.vb" ]
}

@test "an incremental bundle is much smaller than the full one" {
        full=$(jq -r .bytes "$BUNDLES/full.json")
        inc=$(jq -r .bytes "$BUNDLES/inc.json")
        echo "# full bundle: $full bytes ($(jq -r .seconds "$BUNDLES/full.json") s)," \
                "incremental: $inc bytes ($(jq -r .seconds "$BUNDLES/inc.json") s)" >&3
        json_ok '.mode == "cold" and .since == null and .tag == "seeded"' "$(cat "$BUNDLES/full.json")"
        json_ok '.since != null and .tag == "changed"' "$(cat "$BUNDLES/inc.json")"
        [ "$((inc * 20))" -lt "$full" ]
}

@test "a full bundle unbundles into another root, with its tag and id, and branches cold" {
        r=$(new_root)
        VERS_PROGRESS=1 run --separate-stderr in_root "$r" bundle unbundle "$BUNDLES/full.vb" --json
        [ "$status" -eq 0 ]
        json_ok '.tag == "seeded" and .mode == "cold"'
        echo "# unbundle full: $(jq -r .seconds <<<"$output") s" >&3
        [ "$(jq -r .commit <<<"$output")" = "$(jq -r .commit "$BUNDLES/full.json")" ]
        [[ "$stderr" == *"bundle: receiving the disk"* ]]
        run in_root "$r" branch seeded --alias got-full
        [ "$status" -eq 0 ]
        [[ "$output" == *"(cold, "* ]]
        [ "$(VERS_ROOT=$r count_of got-full products)" -eq "$(count_of base products)" ]
        # the files have this root's ids: postgres owns its data directory in the env
        run in_root "$r" execute -b got-full "stat -c %U /var/lib/postgresql/15/main"
        [ "$output" = postgres ]
        # the received subvolume is kept for later incremental bundles, and gc keeps it
        in_root "$r" gc >/dev/null
        id=$(jq -r .commit "$BUNDLES/full.json")
        btrfs subvolume show "$r/store/commits/$id/received/rootfs" | grep -q 'Received UUID:.*-'
        # the same bundle again is refused
        run in_root "$r" bundle unbundle "$BUNDLES/full.vb"
        [ "$status" -ne 0 ]
        [[ "$output" == *"is here already"* ]]
}

@test "an incremental bundle unbundles on top of the full one and sees the change" {
        r=$(new_root)
        in_root "$r" bundle unbundle "$BUNDLES/full.vb" >/dev/null
        run --separate-stderr in_root "$r" bundle unbundle "$BUNDLES/inc.vb" --json
        [ "$status" -eq 0 ]
        json_ok '.tag == "changed" and .since != null'
        echo "# unbundle incremental: $(jq -r .seconds <<<"$output") s" >&3
        run in_root "$r" branch changed --alias got-inc
        [ "$status" -eq 0 ]
        run in_root "$r" execute -b got-inc "psql -Atc 'SELECT v FROM bundle_mark'"
        [ "$output" = second ]
        [ "$(VERS_ROOT=$r checksums got-inc)" = "$(cat "$BUNDLES/changed.sums")" ]
        # the parent is the unbundled full commit
        run in_root "$r" commit list --all
        [[ "$output" == *seeded* && "$output" == *changed* ]]
        [ "$(sqlite3 "$r/vers.db" "SELECT parent FROM commits WHERE tag = 'changed'")" = \
                "$(jq -r .commit "$BUNDLES/full.json")" ]
        # both are of one image: the second unbundle found the first one's
        [ "$(sqlite3 "$r/vers.db" 'SELECT count(*) FROM images')" -eq 1 ]
        [ "$(sqlite3 "$r/vers.db" 'SELECT count(DISTINCT image) FROM commits')" -eq 1 ]
}

@test "an incremental bundle without its base is refused, naming the missing commit" {
        r=$(new_root)
        run in_root "$r" bundle unbundle "$BUNDLES/inc.vb"
        [ "$status" -ne 0 ]
        base=$(jq -r .commit "$BUNDLES/full.json")
        [[ "$output" == *"incremental on commit $base"*"unbundle the full bundle of $base first"* ]]
        [ "$(echo "$output" | wc -l)" -eq 1 ]
        root_is_empty "$r"
}

@test "a flipped byte in the stream is refused, and nothing is left" {
        r=$(new_root)
        cp "$BUNDLES/full.vb" "$BATS_TEST_TMPDIR/bad.vb"
        off=$(member_offset "$BATS_TEST_TMPDIR/bad.vb" stream)
        flip_byte "$BATS_TEST_TMPDIR/bad.vb" $((off + 4096))
        run in_root "$r" bundle unbundle "$BATS_TEST_TMPDIR/bad.vb"
        [ "$status" -ne 0 ]
        [[ "$output" == *"bundle part 'stream' does not match its SHA-256"* ]]
        root_is_empty "$r"
}

@test "a sparse part, whose holes would be written out as zeros, is refused before it is read" {
        r=$(new_root)
        d=$BATS_TEST_TMPDIR/sparse
        mkdir "$d" && tar -C "$d" -xf "$BUNDLES/full.vb"
        # the stream as 64 GiB of holes and one byte, in a bundle of a few MB: extracted, it
        # would fill the store (4 GB here) before its hash could fail
        size=$((64 << 30))
        rm "$d/stream" && truncate -s "$size" "$d/stream"
        printf x | dd of="$d/stream" bs=1 seek=$((size - 1)) conv=notrunc status=none
        jq -c --argjson s "$size" '.parts |= map(if .name == "stream" then .size = $s else . end)' \
                "$d/manifest.json" >"$d/m" && mv "$d/m" "$d/manifest.json"
        rm -f "$d/signature"
        (cd "$d" && tar --sparse --format=posix -cf "$BATS_TEST_TMPDIR/sparse.vb" manifest.json \
                $(jq -r '.parts[].name' manifest.json))
        [ "$(stat -c %s "$BATS_TEST_TMPDIR/sparse.vb")" -lt $((1 << 30)) ]
        run in_root "$r" bundle unbundle "$BATS_TEST_TMPDIR/sparse.vb"
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"bundle part 'stream' is a sparse tar entry"* ]]
        root_is_empty "$r"
}

@test "an altered manifest fails its signature: said, and the commit is cold" {
        r=$(new_root)
        in_root "$r" bundle trust "$BUNDLES/sender.pub" >/dev/null
        cp "$BUNDLES/full.vb" "$BATS_TEST_TMPDIR/bad.vb"
        off=$(member_offset "$BATS_TEST_TMPDIR/bad.vb" manifest.json)
        # the tag's last letter: still a valid manifest, no longer the signed one
        rel=$(grep -abo '"tag":"seeded"' <(head -c $((off + 20000)) "$BATS_TEST_TMPDIR/bad.vb" | tail -c +$((off + 1))) | cut -d: -f1)
        flip_byte "$BATS_TEST_TMPDIR/bad.vb" $((off + rel + 12))
        run --separate-stderr in_root "$r" bundle unbundle "$BATS_TEST_TMPDIR/bad.vb" --json
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"its signature does not verify"* ]]
        json_ok '.mode == "cold" and .signed_trusted == false and .tag == "seedee"'
        # a manifest that is no longer JSON is refused outright
        r2=$(new_root)
        cp "$BUNDLES/full.vb" "$BATS_TEST_TMPDIR/bad2.vb"
        flip_byte "$BATS_TEST_TMPDIR/bad2.vb" "$off"
        run in_root "$r2" bundle unbundle "$BATS_TEST_TMPDIR/bad2.vb"
        [ "$status" -ne 0 ]
        [[ "$output" == *"bundle manifest is not JSON"* ]]
        root_is_empty "$r2"
}

@test "bundle key prints one key per root; trust refuses what is not one" {
        run vers bundle key
        [ "$status" -eq 0 ]
        [ "$output" = "$(cat "$BUNDLES/sender.pub")" ]
        [[ "$output" =~ ^vers-ed25519\ [0-9a-f]{64}$ ]]
        [ "$(stat -c %a "$SENDER/bundle.key")" = 600 ]
        r=$(new_root)
        echo "ssh-ed25519 AAAA" >"$BATS_TEST_TMPDIR/not-a-key"
        run in_root "$r" bundle trust "$BATS_TEST_TMPDIR/not-a-key"
        [ "$status" -ne 0 ]
        [[ "$output" == *"not a vers public key"* ]]
        run in_root "$r" bundle trust - <"$BUNDLES/sender.pub"
        [ "$status" -eq 0 ]
        [[ "$output" == "trusted vers-ed25519 "* ]]
        run in_root "$r" bundle trust "$BUNDLES/sender.pub"
        [[ "$output" == "already trusted: "* ]]
}

@test "a warm commit in a root of a different id range branches cold, saying why" {
        skip_unless_warm
        r=$(new_root)
        in_root "$r" bundle trust "$BUNDLES/sender.pub" >/dev/null
        [ "$(base_of "$r")" != "$(cat "$BUNDLES/sender.base")" ]
        run --separate-stderr in_root "$r" bundle unbundle "$BUNDLES/warm.vb" --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "cold" and .signed_trusted == true'
        [[ "$stderr" == *"is kept cold: its env ids start at host id $(cat "$BUNDLES/sender.base") there"* ]]
        [[ "$stderr" != *"does not trust"* ]]
        run in_root "$r" branch counter-at-2 --alias moved-cold
        [ "$status" -eq 0 ]
        [[ "$output" == *"(cold, "* ]]
        # a cold boot: the counter's process is not there
        run in_root "$r" execute -b moved-cold "progs/memcounter hit 7001"
        [ "$status" -ne 0 ]
}

@test "device nodes in a bundle's disk are left out" {
        vers branch seeded --alias with-dev >/dev/null
        id=$(sqlite3 "$SENDER/vers.db" "SELECT id FROM envs WHERE alias = 'with-dev'")
        # made from the host, as a crafted stream would (an env's root cannot mknod)
        mknod "$SENDER/store/envs/$id/rootfs/root/disk" b 7 0
        vers commit -b with-dev --cold --tag has-device >/dev/null
        vers bundle create "$BATS_TEST_TMPDIR/dev.vb" has-device >/dev/null
        vers kill -y with-dev >/dev/null
        r=$(new_root)
        run --separate-stderr in_root "$r" bundle unbundle "$BATS_TEST_TMPDIR/dev.vb"
        [ "$status" -eq 0 ]
        [[ "$stderr" == *"1 device node of the bundle's disk left out"* ]]
        c=$(sqlite3 "$r/vers.db" "SELECT id FROM commits WHERE tag = 'has-device'")
        [ -d "$r/store/commits/$c/rootfs/root" ]
        [ ! -e "$r/store/commits/$c/rootfs/root/disk" ]
}

# The sender's id range is freed when its root is removed, and a new root takes the lowest free
# range: removing the sender first gives a new root the sender's range, once every lower one
# that another vers on this machine freed meanwhile is taken (by roots made here, removed in
# teardown). If a root gets a range above the sender's, someone else took it: the precondition
# fails, saying so.
same_base_root() {
        if [ -d "$SENDER" ]; then
                (VERS_ROOT=$SENDER PROJ= vers_teardown_root)
        fi
        local r want got
        want=$(cat "$BUNDLES/sender.base")
        for _ in 1 2 3 4 5 6 7 8; do
                r=$(new_root)
                in_root "$r" bundle key >/dev/null # the root, and its range, are made on first use
                got=$(base_of "$r")
                [ "$got" -lt "$want" ] || break
        done
        [ "$got" = "$want" ] || {
                echo "precondition: root $r got id base $got, the sender had $want" >&2
                return 1
        }
        echo "$r"
}

@test "the same id range, but an untrusted key: cold, naming the key" {
        skip_unless_warm
        r=$(same_base_root)
        run --separate-stderr in_root "$r" bundle unbundle "$BUNDLES/warm.vb" --json
        [ "$status" -eq 0 ]
        json_ok '.mode == "cold" and .signed_trusted == false'
        [[ "$stderr" == *"is kept cold: it is signed by key vers-ed25519 "*"which this root does not trust"* ]]
        [[ "$stderr" != *"env ids start"* ]]
        [ "$(echo "$stderr" | grep -c 'kept cold')" -eq 1 ]
}

@test "the same id range and a trusted key: the moved warm commit branches warm" {
        skip_unless_warm
        r=$(same_base_root)
        in_root "$r" bundle trust "$BUNDLES/sender.pub" >/dev/null
        run --separate-stderr in_root "$r" bundle unbundle "$BUNDLES/warm.vb" --json
        [ "$status" -eq 0 ]
        [[ "$stderr" != *"kept cold"* ]]
        json_ok '.mode == "warm" and .signed_trusted == true and .tag == "counter-at-2"'
        run in_root "$r" branch counter-at-2 --alias moved-warm
        [ "$status" -eq 0 ]
        [[ "$output" == *"(warm, "* ]]
        # the in-memory counter goes on from where it was committed on the sender
        [ "$(in_root "$r" execute -b moved-warm 'progs/memcounter hit 7001')" = 3 ]
        [ "$(in_root "$r" execute -b moved-warm 'progs/memcounter hit 7001')" = 4 ]
        [ "$(VERS_ROOT=$r count_of moved-warm products)" -gt 0 ]
}

@test "vers unbundle killed or failing at each of its steps leaves nothing behind" {
        r=$(new_root)
        for fp in $("$VERS_BIN" debug failpoints | cut -f1 | grep '^bundle-'); do
                VERS_FAILPOINT=$fp run in_root "$r" bundle unbundle "$BUNDLES/full.vb"
                [ "$status" -eq 137 ] || { echo "$fp: exit $status: $output"; false; }
                # the next command finishes or undoes it
                in_root "$r" commit list --all >/dev/null
                root_is_empty "$r" || { echo "left after $fp"; false; }
                VERS_FAILPOINT=fail:$fp run in_root "$r" bundle unbundle "$BUNDLES/full.vb"
                [ "$status" -ne 0 ]
                [[ "$output" == *"failpoint '$fp' made this step fail"* ]]
                root_is_empty "$r" || { echo "left after fail:$fp"; false; }
        done
        # and then it works
        run in_root "$r" bundle unbundle "$BUNDLES/full.vb"
        [ "$status" -eq 0 ]
}
