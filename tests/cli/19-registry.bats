#!/usr/bin/env bats
# vers build FROM a registry image: pulled from a local docker-registry with skopeo, unpacked
# with umoci; short names through a docker.io mirror; the image's configuration; owners;
# digest pins; the cache without network and --pull; one-line errors for an unreachable
# registry, an unknown image, a bad reference and missing credentials.

load helpers
load registry

setup_file() {
        vers_setup_root
        export VERS_CACHE WORK
        VERS_CACHE=$(mktemp -d /tmp/vers-test-cache.XXXXXX)
        WORK=$(mktemp -d /tmp/vers-test-registry.XXXXXX) && chmod 755 "$WORK"
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        registry_start
        export MAIN_PORT=$REGISTRY_PORT
        registry_tiny_rootfs "$WORK/tiny" rm
        mkdir -p "$WORK/tiny/srv/img" "$WORK/tiny/home/app"
        echo app > "$WORK/tiny/home/app/owned"
        chown -R 999:999 "$WORK/tiny/home/app"
        registry_push "$WORK/tiny" "127.0.0.1:$MAIN_PORT/tiny:1"
        registry_push "$WORK/tiny" "127.0.0.1:$MAIN_PORT/library/tiny:1"
        registry_push "$WORK/tiny" "127.0.0.1:$MAIN_PORT/cfg:1" \
                --config.env=A=from-image --config.env=B=from-image \
                --config.workingdir=/srv/img --config.exposedports=8080/tcp \
                --config.cmd=/bin/sh --config.cmd=-c --config.cmd='echo "image-cmd in $(pwd) with $A $B" > /tmp/cmd'
}

teardown_file() {
        registry_stop_all
        vers_teardown_root
        rm -rf "$WORK" "$VERS_CACHE"
}

# project NAME DOCKERFILE-TEXT: a project directory whose vers.toml builds that Dockerfile
project() {
        local d="$WORK/$1"
        mkdir -p "$d" && chmod 755 "$d"
        printf '[vm]\nmemory_mib = 256\n\n[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = "Dockerfile"\n' > "$d/vers.toml"
        printf '%s\n' "$2" > "$d/Dockerfile"
        cd "$d"
}

# the one line vers printed on stderr, which must name the problem
one_line_error() { # expected substring
        [ "$status" -ne 0 ] || { echo "expected a failure: $output" >&2; return 1; }
        [ "${#lines[@]}" -ge 1 ]
        local last=${lines[${#lines[@]} - 1]}
        [[ "$last" == "vers: "* ]] || { echo "no error line: $output" >&2; return 1; }
        [[ "$last" == *"$1"* ]] || { echo "'$1' not in: $last" >&2; return 1; }
        # none of skopeo's own lines
        [[ "$output" != *"level=fatal"* && "$output" != *'time="'* ]] ||
                { echo "skopeo's output leaked: $output" >&2; return 1; }
}

@test "FROM 127.0.0.1:PORT/tiny:1 builds, a RUN step runs in it, and the env runs" {
        project plain "FROM 127.0.0.1:$MAIN_PORT/tiny:1
RUN echo built-in-tiny > /made && ls /bin/sh"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"pulling 127.0.0.1:$MAIN_PORT/tiny:1"* ]]
        [[ "$output" == *"Copying blob sha256:"* ]]
        [[ "$output" == *"step 1/2 FROM 127.0.0.1:$MAIN_PORT/tiny:1 (sha256:"* ]]
        [[ "$output" == *"built image"* ]]
        vers run --alias plain >/dev/null
        run vers execute -b plain 'cat /made; cat /home/app/owned'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = built-in-tiny ]
        [ "${lines[1]}" = app ]
        # the image's own tree, not the host's /usr
        run vers execute -b plain '[ -e /usr/bin/perl ] || echo no-host-usr'
        [ "$output" = no-host-usr ]
}

@test "vers doctor says registry images can be built (skopeo and umoci)" {
        run vers doctor --json
        json_ok '.checks["registry images"] | .ok == true and (.detail | contains("skopeo and umoci"))'
}

@test "whether an env gets the host's /usr is the image's base to say, not a RUN step or the env" {
        # a registry image whose RUN step removes the marker: still its own /usr
        project unmark "FROM 127.0.0.1:$MAIN_PORT/tiny:1
RUN rm -f /.vers/own-root"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias unmark >/dev/null
        run vers execute -b unmark '[ -e /usr/bin/perl ] && echo host-usr || echo own-usr'
        [ "$output" = own-usr ]
        # nor does the env, for its branches
        vers execute -b unmark 'rm -f /.vers/own-root'
        vers commit -b unmark --tag unmarked >/dev/null
        vers branch unmarked --alias unmark-b >/dev/null
        run vers execute -b unmark-b '[ -e /usr/bin/perl ] && echo host-usr || echo own-usr'
        [ "$output" = own-usr ]
        # FROM host with a RUN step that makes one: the host's /usr still
        project mark "FROM host
RUN mkdir -p /.vers && echo x > /.vers/own-root"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias mark >/dev/null
        run vers execute -b mark '[ -e /usr/bin/perl ] && echo host-usr || echo own-usr'
        [ "$output" = host-usr ]
        vers kill -y --all unmark unmark-b mark >/dev/null
}

@test "a file owned by uid 999 in the image is uid 999 inside the env" {
        project owners "FROM 127.0.0.1:$MAIN_PORT/tiny:1"
        vers run --alias owners >/dev/null
        run vers execute -b owners 'stat -c "%u:%g %U" /home/app/owned /home/app'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = "999:999 app" ]
        [ "${lines[1]}" = "999:999 app" ]
        # the tree's root is 0755, as a container's: users other than root can walk it
        run vers execute -b owners 'stat -c %a /'
        [ "$output" = 755 ]
        # and on the host, in the root's id range (never the host's own uid 999)
        local base
        base=$(cut -d' ' -f1 "$VERS_ROOT/idmap")
        local img
        img=$(find "$VERS_ROOT/store/images" -maxdepth 4 -path '*/home/app/owned' | head -1)
        [ -n "$img" ]
        [ "$(stat -c %u "$img")" -eq $((base + 999)) ]
}

@test "FROM a short name goes to docker.io, through the mirror registries.conf names" {
        registry_mirror_conf "$MAIN_PORT"
        project short "FROM tiny:1
RUN echo through-the-mirror > /m"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"pulling docker.io/library/tiny:1"* ]]
        vers run --alias short >/dev/null
        run vers execute -b short 'cat /m'
        [ "$output" = through-the-mirror ]
}

@test "the image's Env, WorkingDir, Cmd and ExposedPorts reach the env" {
        project cfg "FROM 127.0.0.1:$MAIN_PORT/cfg:1"
        vers build >/dev/null
        vers run --alias cfg >/dev/null
        run vers execute -b cfg 'echo "$A $B"'
        [ "$status" -eq 0 ]
        [ "$output" = "from-image from-image" ]
        # the main command runs in WorkingDir ('vers execute' runs in the project directory)
        wait_for -m "the image's CMD to write /tmp/cmd" vers execute -b cfg 'test -s /tmp/cmd'
        run vers execute -b cfg 'cat /tmp/cmd'
        [ "$output" = "image-cmd in /srv/img with from-image from-image" ]
        run vers execute -b cfg 'cat /.vers/image'
        json_ok '.ExposedPorts["8080/tcp"] == {} and .WorkingDir == "/srv/img"'
}

@test "the Dockerfile's ENV, WORKDIR and CMD override the image's" {
        project cfg2 "FROM 127.0.0.1:$MAIN_PORT/cfg:1
ENV B=from-dockerfile
WORKDIR /srv/df
CMD echo \"dockerfile-cmd in \$(pwd) with \$A \$B\" > /tmp/cmd"
        vers build >/dev/null
        vers run --alias cfg2 >/dev/null
        run vers execute -b cfg2 'echo "$A $B"'
        [ "$output" = "from-image from-dockerfile" ]
        wait_for -m "the Dockerfile's CMD to write /tmp/cmd" vers execute -b cfg2 'test -s /tmp/cmd'
        run vers execute -b cfg2 'cat /tmp/cmd'
        [ "$output" = "dockerfile-cmd in /srv/df with from-image from-dockerfile" ]
}

@test "the image's User runs RUN steps; its StopSignal is kept, or TERM with a notice" {
        registry_push "$WORK/tiny" "127.0.0.1:$MAIN_PORT/user:1" --config.user=app \
                --config.stopsignal=SIGINT
        project user "FROM 127.0.0.1:$MAIN_PORT/user:1
RUN id -un > /tmp/who"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias user >/dev/null
        run vers execute -b user 'cat /tmp/who'
        [ "$output" = app ]
        run vers execute -b user 'cat /.vers/image'
        json_ok '.User == "app" and .StopSignal == "SIGINT"'
        registry_push "$WORK/tiny" "127.0.0.1:$MAIN_PORT/usr1:1" --config.stopsignal=SIGUSR1
        project usr1 "FROM 127.0.0.1:$MAIN_PORT/usr1:1"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"the image's StopSignal SIGUSR1 is not one vers stops services with"*"TERM is used"* ]]
}

@test "registries.conf decides: a blocked registry is a one-line error" {
        export CONTAINERS_REGISTRIES_CONF=$WORK/blocked.conf
        printf '[[registry]]\nlocation = "127.0.0.1:%s"\nblocked = true\n' "$MAIN_PORT" > "$CONTAINERS_REGISTRIES_CONF"
        project blocked "FROM 127.0.0.1:$MAIN_PORT/tiny:3"
        run vers build
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$MAIN_PORT/tiny:3: registry 127.0.0.1:$MAIN_PORT: blocked in registries.conf"
}

@test "an image whose skeleton directory is a symlink is refused; its /.vers and device nodes go" {
        local evil=$WORK/evil
        registry_tiny_rootfs "$evil"
        ln -s /etc "$evil/srv"
        registry_push "$evil" "127.0.0.1:$MAIN_PORT/evil:1"
        local before
        before=$(stat -c %a /etc)
        project evil "FROM 127.0.0.1:$MAIN_PORT/evil:1"
        run vers build
        one_line_error "FROM 127.0.0.1:$MAIN_PORT/evil:1: /srv is a symbolic link in the image; vers needs a directory there"
        [ "$(stat -c %a /etc)" = "$before" ]
        # nothing half-made: no layer is left for it
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM images WHERE state = 'pending'")" -eq 0 ]
        rm "$evil/srv"
        mkdir -p "$evil/.vers"
        echo planted > "$evil/.vers/own-root"
        echo planted > "$evil/.vers/image"
        # a device node (/dev/null's numbers: harmless should it stay)
        mkdir -p "$evil/opt"
        mknod "$evil/opt/devnode" c 1 3
        registry_push "$evil" "127.0.0.1:$MAIN_PORT/evil:2"
        project evil2 "FROM 127.0.0.1:$MAIN_PORT/evil:2
RUN cat /.vers/own-root; [ -e /opt/devnode ] || echo no-devnode"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" != *planted* ]]
        [[ "$output" == *"1 device node of the image left out"* ]]
        [[ "$output" == *no-devnode* ]]
}

@test "vers pull: an image whose /.vers/bin is a symlink is refused; the host file it names keeps its mode" {
        local evil=$WORK/evil-vers
        registry_tiny_rootfs "$evil"
        mkdir -p "$evil/.vers"
        echo secret > "$WORK/victim" && chmod 600 "$WORK/victim"
        # vers pull keeps an image's /.vers: populate's chmod of /.vers/bin would follow this
        ln -s "$WORK/victim" "$evil/.vers/bin"
        registry_push "$evil" "127.0.0.1:$MAIN_PORT/evil-vers:1"
        project pullevil "FROM 127.0.0.1:$MAIN_PORT/tiny:1"
        run vers pull "127.0.0.1:$MAIN_PORT/evil-vers:1"
        one_line_error "'127.0.0.1:$MAIN_PORT/evil-vers:1': /.vers/bin is a symbolic link in the image; vers needs a directory there"
        [ "$(stat -c %a "$WORK/victim")" = 600 ]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM images WHERE state = 'pending'")" -eq 0 ]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM commits WHERE message LIKE 'pulled from %evil-vers%'")" -eq 0 ]
}

@test "an image's ids are all env ids: none above the range, and its file capabilities name the env's root" {
        local img=$WORK/ids
        registry_tiny_rootfs "$img"
        mkdir -p "$img/opt"
        # the root's range is chosen at its first build
        project ids0 "FROM 127.0.0.1:$MAIN_PORT/tiny:1"
        vers build >/dev/null 2>&1
        local base
        base=$(awk '{ print $1 }' "$VERS_ROOT/idmap")
        # ids an env cannot have, one that names a host id in the root's range, and file
        # capabilities in the v2 format (honoured on the host whoever owns the file)
        for f in high inrange app; do cp /bin/true "$img/opt/$f"; done
        chown 70000:70000 "$img/opt/high"
        chown "$((base + 5)):$((base + 5))" "$img/opt/inrange"
        chown 999:999 "$img/opt/app" && chmod 4755 "$img/opt/app"
        ln "$img/opt/app" "$img/opt/app-link"
        setcap cap_dac_override+ep "$img/opt/high"
        setcap cap_dac_override+ep "$img/opt/inrange"
        registry_push "$img" "127.0.0.1:$MAIN_PORT/ids:1"
        project ids "FROM 127.0.0.1:$MAIN_PORT/ids:1"
        run vers build
        [ "$status" -eq 0 ]
        local layer
        layer=$(dirname "$(find "$VERS_ROOT/store/images" -path '*/opt/high' | head -1)")
        [ -n "$layer" ]
        [ "$(stat -c %u:%g "$layer/high")" = "$((base + 65534)):$((base + 65534))" ]
        [ "$(stat -c %u:%g "$layer/inrange")" = "$((base + 65534)):$((base + 65534))" ]
        # another name of a file is shifted once
        [ "$(stat -c '%u:%g %A' "$layer/app")" = "$((base + 999)):$((base + 999)) -rwsr-xr-x" ]
        [ "$(stat -c %u:%g "$layer/app-link")" = "$((base + 999)):$((base + 999))" ]
        local root
        root=$(awk '{ print $2 }' "$VERS_ROOT/idmap")
        [[ "$(getcap -n "$layer/high")" == *"[rootid=$root]"* ]]
        [[ "$(getcap -n "$layer/inrange")" == *"[rootid=$root]"* ]]
}

@test "FROM name@sha256:<the pushed manifest> builds; a wrong digest is a one-line error" {
        local digest
        digest=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$MAIN_PORT/tiny:1" | jq -r .Digest)
        [[ "$digest" == sha256:* ]]
        project pinned "FROM 127.0.0.1:$MAIN_PORT/tiny@$digest
RUN echo pinned > /p"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 1/2 FROM 127.0.0.1:$MAIN_PORT/tiny@$digest (${digest:0:19})"* ]]
        # a tag and a digest: the digest decides
        project pinned2 "FROM 127.0.0.1:$MAIN_PORT/tiny:nosuchtag@$digest"
        run vers build
        [ "$status" -eq 0 ]
        local wrong=sha256:$(printf '0%.0s' {1..64})
        project wrong "FROM 127.0.0.1:$MAIN_PORT/tiny@$wrong"
        run vers build
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$MAIN_PORT/tiny@$wrong: registry 127.0.0.1:$MAIN_PORT: manifest unknown"
}

@test "a pulled image is reused without the registry; --pull asks it again" {
        registry_start
        local port=$REGISTRY_PORT pid=$REGISTRY_PID
        registry_push "$WORK/tiny" "127.0.0.1:$port/gone:1"
        project cached "FROM 127.0.0.1:$port/gone:1
RUN echo cached > /c"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"pulling"* ]]
        registry_stop "$pid"
        ! registry_answers "$port"
        # every layer made again: the base from the layout, without the registry
        run vers build --no-cache
        [ "$status" -eq 0 ]
        [[ "$output" != *"pulling"* ]]
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"(cached)"* ]]
        run vers build --pull
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$port/gone:1: registry 127.0.0.1:$port: connection refused"
}

@test "an unreachable registry is a one-line error naming it" {
        local port
        port=$(registry_free_port)
        project unreachable "FROM 127.0.0.1:$port/x:1"
        run vers build
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$port/x:1: registry 127.0.0.1:$port: connection refused"
}

@test "an unknown image is a one-line error" {
        project unknown "FROM 127.0.0.1:$MAIN_PORT/nosuchimage:1"
        run vers build
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$MAIN_PORT/nosuchimage:1: registry 127.0.0.1:$MAIN_PORT: manifest unknown"
        project unknown-tag "FROM 127.0.0.1:$MAIN_PORT/tiny:2"
        run vers build
        one_line_error "FROM 127.0.0.1:$MAIN_PORT/tiny:2: registry 127.0.0.1:$MAIN_PORT: manifest unknown"
}

@test "a bad reference is a file:line:col error, and nothing is pulled" {
        project badref "# a comment
ARG X=1
FROM Ubuntu:22.04"
        run vers build
        one_line_error "/Dockerfile:3:6: FROM Ubuntu:22.04: repository name must be lowercase"
        [[ "$output" != *pulling* ]]
        project badtag "FROM 127.0.0.1:$MAIN_PORT/tiny:-x"
        run vers build
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$MAIN_PORT/tiny:-x: '-x' is not a tag"
        project baddigest "FROM tiny@sha256:abc"
        run vers build
        one_line_error "/Dockerfile:1:6: FROM tiny@sha256:abc: 'sha256:abc' is not a digest"
}

@test "a registry that wants credentials: unauthorized without them, REGISTRY_AUTH_FILE works" {
        htpasswd -Bbc "$WORK/htpasswd" vers-user vers-pass
        registry_start --htpasswd "$WORK/htpasswd"
        local port=$REGISTRY_PORT
        REGISTRY_CREDS=vers-user:vers-pass registry_push "$WORK/tiny" "127.0.0.1:$port/private:1"
        project private "FROM 127.0.0.1:$port/private:1
RUN echo private > /p"
        HOME=$WORK run vers build
        one_line_error "/Dockerfile:1:6: FROM 127.0.0.1:$port/private:1: registry 127.0.0.1:$port: unauthorized"
        printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$port" \
                "$(printf vers-user:vers-pass | base64)" > "$WORK/auth.json"
        REGISTRY_AUTH_FILE=$WORK/auth.json run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"built image"* ]]
        # ~/.docker/config.json of the user running vers works too
        mkdir -p "$WORK/home/.docker"
        cp "$WORK/auth.json" "$WORK/home/.docker/config.json"
        HOME=$WORK/home run vers build --pull
        [ "$status" -eq 0 ]
}

@test "a Debian bookworm image from the registry: its own apt, dpkg and usrmerge links" {
        local tar
        tar=$(registry_debian_rootfs)
        mkdir -p "$WORK/debian"
        tar -C "$WORK/debian" --numeric-owner -xpf "$tar"
        registry_push "$WORK/debian" "127.0.0.1:$MAIN_PORT/debian:bookworm" --config.cmd=bash
        rm -rf "$WORK/debian"
        project debian "FROM 127.0.0.1:$MAIN_PORT/debian:bookworm
RUN apt-get --version | head -1 && dpkg -s base-files | grep -q '^Status: install ok installed'"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"apt "[0-9]* ]]
        vers run --alias debian >/dev/null
        run vers execute -b debian 'readlink /bin; cat /etc/debian_version; stat -c %U /var/lib/dpkg/status'
        [ "$status" -eq 0 ]
        [ "${lines[0]}" = usr/bin ]
        [[ "${lines[1]}" == 12.* ]]
        [ "${lines[2]}" = root ]
}
