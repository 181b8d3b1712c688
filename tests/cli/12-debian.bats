#!/usr/bin/env bats
# FROM debian:<suite>: debootstrap (its tarball cached in VERS_CACHE, default /var/cache/vers,
# so later builds unpack it), apt-get from the machine's Debian archive during RUN steps, and
# the image's own /usr. The seed's Dockerfile itself (FROM ubuntu:22.04, through a registry
# mirror) is 21-seed-dockerfile.bats. Slow the first time on a machine (debootstrap); it does
# not skip in CI.

load helpers

setup_file() {
        if [ ! -x /usr/sbin/debootstrap ] && [ "${CI:-}" != true ]; then
                skip "debootstrap is not installed (run make deps)"
        fi
        vers_setup_root
        export DPROJ
        DPROJ=$(mktemp -d /tmp/vers-test-debian.XXXXXX) && chmod 755 "$DPROJ"
        printf '[storage]\ncluster_mib = 3000\n\n[builder]\ndockerfile = "Dockerfile"\n' > "$DPROJ/vers.toml"
        cat > "$DPROJ/Dockerfile" <<'EOF2'
FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends jq \
    && rm -rf /var/lib/apt/lists/*
CMD ["sleep", "infinity"]
EOF2
        # a second root for the cache test, made here so that teardown_file sees its name
        export ROOT2
        ROOT2=$(mktemp -d /tmp/vers-test-root2.XXXXXX)
}

# env deb, run from the Debian image (built if no test built it yet): the tests that use it
# call this rather than count on an earlier test
need_deb() {
        cd "$DPROJ"
        env_json deb >/dev/null || vers run --alias deb >/dev/null
}
teardown_file() {
        vers_teardown_root
        [ -n "${DPROJ:-}" ] && rm -rf "$DPROJ"
        [ -n "${ROOT2:-}" ] && VERS_ROOT=$ROOT2 vers_teardown_root
        return 0
}

@test "FROM debian:bookworm debootstraps, and apt-get installs from the machine's archive" {
        cd "$DPROJ"
        run vers build
        echo "$output" | grep '^vers: ' | tail -20
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 1/3 FROM debian:bookworm"* ]]
        [[ "$output" == *"built image"* ]]
        # a rebuild is all cache
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"every step came from the cache"* ]]
        need_deb
        run vers execute -b deb 'cat /etc/debian_version; echo "{\"a\": 1}" | jq .a'
        [[ "${lines[0]}" == 12.* ]]
        [ "${lines[1]}" = 1 ]
        # the image's own /usr, not the host's
        run vers execute -b deb 'test -w /usr && echo writable; grep -c . /.vers/own-root'
        [ "$output" = "$(printf 'writable\n1')" ]
}

@test "the Debian base's apt uses the host's archive, as apt-get indextargets names it" {
        [ -z "${VERS_DEBIAN_MIRROR:-}" ] || skip "VERS_DEBIAN_MIRROR overrides the host's archive"
        targets=$(apt-get indextargets --no-release-info --format '$(TARGET_OF) $(REPO_URI) $(RELEASE)' 'Identifier: Packages')
        uri=$(awk '$1 == "deb" && $3 == "bookworm" { sub("/+$", "", $2); print $2; exit }' <<<"$targets")
        sec=$(awk '$1 == "deb" && $3 == "bookworm-security" { sub("/+$", "", $2); print $2; exit }' <<<"$targets")
        [ -n "$uri" ] || skip "this machine's apt has no bookworm suite"
        need_deb
        run vers execute -b deb 'cat /etc/apt/sources.list'
        [ "${lines[0]}" = "deb $uri bookworm main" ]
        [ "${lines[1]}" = "deb $uri bookworm-updates main" ]
        if [ -n "$sec" ]; then
                [ "${lines[2]}" = "deb $sec bookworm-security main" ]
        fi
        # and apt inside reads them
        run vers execute -b deb 'apt-get indextargets --no-release-info --format "\$(REPO_URI)" | sort -u | wc -l'
        [ "$output" -ge 1 ]
}

@test "another root unpacks the cached Debian base instead of running debootstrap" {
        # the cached base: made by the first debian:bookworm build on this machine
        (cd "$DPROJ" && vers build >/dev/null)
        d=$(mktemp -d "$BATS_TEST_TMPDIR/second.XXXXXX") && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 2000\n\n[builder]\ndockerfile = "Dockerfile"\n' > "$d/vers.toml"
        printf 'FROM debian:bookworm-slim\nRUN cat /etc/debian_version > /version\n' > "$d/Dockerfile"
        cd "$d"
        run env VERS_ROOT="$ROOT2" "$VERS_BIN" build
        [ "$status" -eq 0 ]
        [[ "$output" == *"unpacking the cached debian:bookworm base"* ]]
        [[ "$output" != *"debootstrap bookworm from"* ]]
}
