#!/usr/bin/env bats
# vers build from a Dockerfile ([builder] dockerfile): every instruction, cached layers,
# --no-cache, a failing step, bad Dockerfiles, FROM a commit, multi-stage builds (COPY --from a
# stage, an index or a tag; symlinks in a stage), and EXPOSE as the tunnel's default port.
# Base: FROM host (the Debian base is in 12-debian.bats).

load helpers

setup_file() {
        vers_setup_root
        export DF
        DF=$(mktemp -d /tmp/vers-test-df.XXXXXX) && chmod 755 "$DF"
        mkdir -p "$DF/files/sub"
        echo hello > "$DF/files/a.txt"
        echo sub > "$DF/files/sub/b.txt"
        echo one > "$DF/n1.conf"
        echo two > "$DF/n2.conf"
        # the main command: a web server on the EXPOSEd port, started from WORKDIR
        printf '#!/bin/sh\necho "main started in $(pwd) as $(id -un)"\nexec python3 -m http.server 47813\n' > "$DF/start.sh"
        printf '[vm]\nmemory_mib = 512\n\n[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = "Dockerfile"\n' > "$DF/vers.toml"
        cat > "$DF/Dockerfile" <<'EOF'
# a comment
FROM host
ARG GREETING=hi
ENV APP_HOME=/srv/app NAME="the app"
WORKDIR $APP_HOME
RUN echo "$GREETING from $NAME in $(pwd) as $(id -un)" > greeting.txt
COPY files/ ./files/
COPY *.conf /etc/app/
COPY --chown=nobody:nogroup ["start.sh", "/start.sh"]
RUN chmod +x /start.sh \
    && touch /made-by-run
USER nobody
RUN id -un > /tmp/whoami && echo "home is $HOME"
USER root
EXPOSE 47813
CMD ["/start.sh"]
EOF
}
teardown() { tunnel_stop; }

# env web, run from the image (built first if no test built it yet); tests that use it call
# this rather than count on an earlier test having made it
need_web() {
        cd "$DF"
        env_json web >/dev/null || vers run --alias web >/dev/null
}

# the commit web-base of env web with /srv/app/state written, made by the first test to need it
need_web_base() {
        need_web
        vers tag list | grep -q web-base && return 0
        vers execute -b web 'echo branched > /srv/app/state'
        vers commit -b web --tag web-base >/dev/null
}
teardown_file() {
        vers_teardown_root
        rm -rf "$DF"
}

@test "a FROM host Dockerfile builds, step by step" {
        cd "$DF"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 1/14 FROM host"* ]]
        [[ "$output" == *"step 4/14 WORKDIR \$APP_HOME"* ]]
        [[ "$output" == *"home is /nonexistent"* ]] # RUN output is shown, as USER nobody
        [[ "$output" == *"step 14/14 CMD"* ]]
        [[ "$output" == *"built image"* ]]
        [[ "$output" != *"(cached)"* ]]
}

@test "the env runs the image's CMD, with its ENV, WORKDIR, COPY and RUN results" {
        need_web
        run vers execute -b web 'cat /srv/app/greeting.txt'
        [ "$output" = "hi from the app in /srv/app as root" ]
        run vers execute -b web 'cat /srv/app/files/a.txt /srv/app/files/sub/b.txt /etc/app/n1.conf /etc/app/n2.conf'
        [ "$output" = "$(printf 'hello\nsub\none\ntwo')" ]
        run vers execute -b web 'stat -c "%U %a" /start.sh /srv/app/files/a.txt; cat /tmp/whoami; ls /made-by-run'
        [ "${lines[0]}" = "nobody 755" ]
        [ "${lines[1]}" = "root 644" ]
        [ "${lines[2]}" = "nobody" ]
        run vers execute -b web 'echo "$APP_HOME|$NAME|${GREETING:-unset}"'
        [ "$output" = "/srv/app|the app|unset" ] # ARG is for the build only
        # vers run waited for the EXPOSEd port: the main command answers at once
        run vers execute -b web 'python3 -c "import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:47813/greeting.txt\").read().decode().strip())"'
        [ "$output" = "hi from the app in /srv/app as root" ]
        run vers execute -b web 'cat /var/log/vers/cmd.log'
        [[ "$output" == *"main started in /srv/app as root"* ]]
}

@test "the image's configuration is JSON, shaped like an OCI image's config" {
        cd "$DF"
        run vers execute -b web 'cat /.vers/image'
        [ "$status" -eq 0 ]
        conf=$output
        [ "$(jq -r .WorkingDir <<<"$conf")" = /srv/app ]
        [ "$(jq -r .User <<<"$conf")" = root ]
        [ "$(jq -c .Env <<<"$conf")" = '["APP_HOME=/srv/app","NAME=the app"]' ] # no ARG
        [ "$(jq -c .ExposedPorts <<<"$conf")" = '{"47813/tcp":{}}' ]
        [ "$(jq -c .Cmd <<<"$conf")" = '["/start.sh"]' ]
        [ "$(jq -r '.Entrypoint // "none"' <<<"$conf")" = none ]
}

@test "vers tunnel defaults to the EXPOSEd port; a host-side client reaches the main command" {
        need_web
        tunnel_start web 0:
        run curl -sf "http://127.0.0.1:$TUNNEL_PORT/files/a.txt"
        tunnel_stop
        grep -q "port 47813" "$TUNNEL_OUT"
        [ "$output" = "hello" ]
}

@test "a warm or cold branch of a Dockerfile env keeps its main command" {
        need_web_base
        vers branch web-base --alias web2 >/dev/null
        run vers execute -b web2 'cat /srv/app/state; python3 -c "import urllib.request; print(urllib.request.urlopen(\"http://127.0.0.1:47813/state\").read().decode().strip())"'
        [ "$output" = "$(printf 'branched\nbranched')" ]
        vers branch web-base --alias web3 --cold >/dev/null
        run vers execute -b web3 'cat /var/log/vers/cmd.log | grep -c "main started"'
        [ "$output" -ge 1 ]
}

@test "a rebuild takes unchanged steps from the cache and redoes the rest" {
        cd "$DF"
        vers build >/dev/null # built here unless an earlier test built it
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"every step came from the cache"* ]]
        [[ "$output" == *"cached: nothing changed"* ]]
        echo changed > files/a.txt
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 5/14 RUN echo"*"(cached)"* ]]
        [[ "$output" != *"step 6/14 COPY files/ ./files/ (cached)"* ]]
        [[ "$output" == *"step 6/14 COPY files/ ./files/"* ]]
        [[ "$output" != *"step 9/14 RUN chmod"*"(cached)"* ]]
        [[ "$output" == *"3 of 8 steps that make a layer came from the cache"* ]]
        # --no-cache redoes everything
        run vers build --no-cache
        echo hello > files/a.txt # as setup_file wrote it, for the tests after this one
        [ "$status" -eq 0 ]
        [[ "$output" != *"(cached)"* ]]
}

@test "a failing RUN step shows its output and leaves no image" {
        cd "$DF"
        vers build >/dev/null 2>&1 # what the good Dockerfile makes is there before
        images() { sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM images"; }
        before=$(images)
        subvols=$(ls "$VERS_ROOT/store/images" | wc -l)
        cp Dockerfile Dockerfile.good
        printf 'RUN echo boom-output-%s && exit 3\n' "$$" >> Dockerfile
        run vers build
        mv Dockerfile.good Dockerfile
        [ "$status" -ne 0 ]
        [[ "$output" == *"boom-output-$$"* ]]
        [[ "$output" == *"Dockerfile:17: RUN echo boom-output"*"failed with exit code 3"* ]]
        [ "$(images)" = "$before" ]
        [ "$(ls "$VERS_ROOT/store/images" | wc -l)" = "$subvols" ]
        [ "$(sqlite3 "$VERS_ROOT/vers.db" "SELECT count(*) FROM images WHERE state = 'pending'")" = 0 ]
}

@test "a RUN step whose program does not exist names its step and the program" {
        cd "$DF"
        cp Dockerfile Dockerfile.good
        printf 'RUN ["/no/such/program-%s"]\n' "$$" >> Dockerfile
        run vers build
        mv Dockerfile.good Dockerfile
        [ "$status" -eq 1 ]
        [[ "$output" == *"step "*" failed: cannot run '/no/such/program-$$' in the env: No such file or directory"* ]]
}

bad_build() { # Dockerfile text, expected message part
        local d
        d=$(mktemp -d "$BATS_TEST_TMPDIR/bad.XXXXXX") && chmod 755 "$d"
        cp "$DF/vers.toml" "$d/"
        printf '%b' "$1" > "$d/Dockerfile"
        cd "$d"
        run vers build
        [ "$status" -ne 0 ] || { echo "built: $output"; return 1; }
        [[ "$output" == *"$2"* ]] || { echo "got: $output"; return 1; }
        # one line of error, after the step lines
        [ "$(echo "$output" | grep -vEc '^vers: (step |installing )')" -eq 1 ] || { echo "got: $output"; return 1; }
}

@test "bad Dockerfiles get one line naming the problem" {
        bad_build 'FROM host\nFOO bar\n' 'Dockerfile:2:1: unknown instruction '"'"'FOO'"'"
        bad_build 'FROM host\nVOLUME /data\n' 'VOLUME is not supported by vers'
        bad_build 'FROM Ubuntu:22.04\n' 'Dockerfile:1:6: FROM Ubuntu:22.04: repository name must be lowercase'
        bad_build 'FROM debian:nosuchsuite\n' 'debootstrap does not know the suite'
        bad_build 'FROM scratch\n' 'Dockerfile:1:6: FROM scratch: vers runs COPY steps and the env'"'"'s command with the image'"'"'s /bin/sh'
        bad_build 'FROM host\nCOPY missing.txt /x\n' 'COPY missing.txt: not found in the build context'
        echo secret > "$BATS_TEST_TMPDIR/outside.txt"
        bad_build 'FROM host\nCOPY ../outside.txt /x\n' 'COPY ../outside.txt: outside the build context'
        ln -s "$BATS_TEST_TMPDIR/outside.txt" "$BATS_TEST_TMPDIR/link-out"
        bad_build 'FROM host\nCOPY ../link-out /x\n' 'outside the build context'
        bad_build 'FROM host\nADD http://example.invalid/x /x\n' 'only files of the build context can be added'
        bad_build 'FROM host\nCMD ["a", ]\n' 'Dockerfile:2:11: CMD: malformed JSON array'
        bad_build 'FROM host\nUSER nosuchuser\n' "no user 'nosuchuser' in the env's /etc/passwd"
        bad_build 'FROM host\nEXPOSE 99999\n' 'EXPOSE 99999: not a port number'
}

@test ".dockerignore leaves paths out of COPY and its cache key; the project's .vers/ never goes in" {
        d=$(mktemp -d "$BATS_TEST_TMPDIR/ign.XXXXXX") && chmod 755 "$d"
        cp "$DF/vers.toml" "$d/"
        mkdir -p "$d/app/logs" "$d/app/secrets" "$d/.vers"
        echo keep > "$d/app/keep.txt"
        echo log > "$d/app/logs/x.log"
        echo key > "$d/app/secrets/key"
        echo pub > "$d/app/secrets/public.pem"
        echo tmp > "$d/app/a.tmp"
        echo 0123 > "$d/.vers/HEAD"
        printf '# not for the image\napp/logs\napp/secrets\n!app/secrets/public.pem\n**/*.tmp\n' > "$d/.dockerignore"
        printf 'FROM host\nCOPY . /ctx/\nCOPY --chmod=600 app /app\nRUN cd / && find ctx app | sort | tr "\\n" " " > /listing\n' > "$d/Dockerfile"
        cd "$d"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias ign >/dev/null
        run vers execute -b ign 'cat /listing; echo; stat -c %a /app/keep.txt'
        [ "${lines[0]}" = "app app/keep.txt app/secrets app/secrets/public.pem ctx ctx/.dockerignore ctx/Dockerfile ctx/app ctx/app/keep.txt ctx/app/secrets ctx/app/secrets/public.pem ctx/vers.toml " ]
        [ "${lines[1]}" = 600 ]
        # what is left out does not change the key: vers run rewrote .vers/HEAD, and a log grows
        echo more >> app/logs/x.log
        run vers build
        [[ "$output" == *"every step came from the cache"* ]]
        echo changed > app/keep.txt
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" != *"COPY . /ctx/ (cached)"* ]]
        [[ "$output" == *"step 2/4 COPY . /ctx/"* ]]
        printf 'FROM host\nCOPY app/logs /x\n' > Dockerfile
        run vers build
        [ "$status" -ne 0 ]
        [[ "$output" == *"Dockerfile:2:6: COPY: every source is left out by .dockerignore (1 path)"* ]]
}

@test "[builder.args] gives ARG its value; a change redoes only the steps that see it" {
        d=$(mktemp -d "$BATS_TEST_TMPDIR/args.XXXXXX") && chmod 755 "$d"
        printf '[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = "Dockerfile"\n\n[builder.args]\nFLAVOUR = "mint"\nEXTRA = 1\n' > "$d/vers.toml"
        printf 'FROM host\nRUN echo first > /first\nARG FLAVOUR=vanilla\nARG SIZE\nRUN echo "$FLAVOUR/${SIZE:-none}" > /flavour\n' > "$d/Dockerfile"
        cd "$d"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"[builder.args] EXTRA: the Dockerfile has no ARG EXTRA"* ]]
        vers run --alias args >/dev/null
        [ "$(vers execute -b args 'cat /flavour')" = "mint/none" ]
        sed -i 's/"mint"/"lemon"/' vers.toml
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 2/5 RUN echo first > /first (cached)"* ]]
        [[ "$output" == *"step 5/5 RUN echo"* ]]
        [[ "$output" != *"step 5/5 RUN echo"*"(cached)"* ]]
        vers run --alias args2 >/dev/null
        [ "$(vers execute -b args2 'cat /flavour')" = "lemon/none" ]
}

@test "a missing Dockerfile is named" {
        d=$(mktemp -d "$BATS_TEST_TMPDIR/nodf.XXXXXX") && chmod 755 "$d"
        cp "$DF/vers.toml" "$d/"
        cd "$d"
        run vers build
        [ "$status" -ne 0 ]
        [[ "$output" == *"$d/Dockerfile"* ]]
}

@test "FROM a tag of ours builds on that commit's files and configuration" {
        need_web_base
        d=$(mktemp -d "$BATS_TEST_TMPDIR/child.XXXXXX") && chmod 755 "$d"
        cp vers.toml "$d/"
        printf 'FROM web-base\nRUN cat /srv/app/state > /srv/app/inherited\n' > "$d/Dockerfile"
        cd "$d"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"FROM web-base (commit "* ]]
        vers run --alias child >/dev/null
        run vers execute -b child 'cat /srv/app/inherited; echo "$APP_HOME"'
        [ "$output" = "$(printf 'branched\n/srv/app')" ]
        # the CMD came with it
        run vers execute -b child 'cat /var/log/vers/cmd.log'
        [[ "$output" == *"main started"* ]]
        bad_build 'FROM web\n' 'FROM web: that is an env; commit it'
}

@test "images whose configuration is in the old line format keep working" {
        cd "$DF"
        # what an older vers wrote in /.vers/image, here in a commit FROM builds on
        cat > "$BATS_TEST_TMPDIR/old-image" <<'EOF'
env APP_HOME=/srv/old
env NAME=old app
workdir /srv
user root
expose 47815/tcp
cmd-shell ["echo \"old cmd in $(pwd) as $APP_HOME\"; exec python3 -m http.server 47815"]
stopsignal INT
EOF
        cp "$BATS_TEST_TMPDIR/old-image" "$DF/old-image"
        vers branch web-base --alias oldconf >/dev/null
        vers execute -b oldconf 'cp old-image /.vers/image'
        rm "$DF/old-image"
        vers commit -b oldconf --tag old-conf >/dev/null
        d=$(mktemp -d "$BATS_TEST_TMPDIR/old.XXXXXX") && chmod 755 "$d"
        cp vers.toml "$d/"
        printf 'FROM old-conf\nRUN echo "$APP_HOME|$NAME" > /inherited\n' > "$d/Dockerfile"
        cd "$d"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias oldchild >/dev/null
        run vers execute -b oldchild 'cat /inherited; cat /var/log/vers/cmd.log'
        [ "${lines[0]}" = "/srv/old|old app" ]
        [[ "$output" == *"old cmd in /srv as /srv/old"* ]]
        # the new image has it as JSON, the shell form as Docker keeps it
        run vers execute -b oldchild 'cat /.vers/image'
        [ "$(jq -c .Cmd <<<"$output")" = '["/bin/sh","-c","echo \"old cmd in $(pwd) as $APP_HOME\"; exec python3 -m http.server 47815"]' ]
        [ "$(jq -r .StopSignal <<<"$output")" = SIGINT ]
        [ "$(jq -r .WorkingDir <<<"$output")" = /srv ]
        # the engine reads the old format too: the tunnel's default port of an image that
        # has it (made so here by rewriting the read-only image in place)
        img="$VERS_ROOT/store/images/$(sqlite3 "$VERS_ROOT/vers.db" "SELECT image FROM envs WHERE alias = 'oldchild'")"
        btrfs property set -ts "$img" ro false
        cp "$BATS_TEST_TMPDIR/old-image" "$img/.vers/image"
        btrfs property set -ts "$img" ro true
        grep -q '^cmd-shell' "$img/.vers/image"
        tunnel_start oldchild 0:
        tunnel_stop
        grep -q "port 47815" "$TUNNEL_OUT"
}

@test "RUN steps reach the network; running envs have loopback only" {
        cd "$DF"
        d=$(mktemp -d "$BATS_TEST_TMPDIR/net.XXXXXX") && chmod 755 "$d"
        cp vers.toml "$d/"
        printf 'FROM host\nRUN ip -o link show | grep -v " lo:" | wc -l > /links\n' > "$d/Dockerfile"
        cd "$d"
        vers build >/dev/null 2>&1
        vers run --alias netcheck >/dev/null
        run vers execute -b netcheck 'cat /links; ip -o link show | grep -vc " lo:"'
        [ "${lines[0]}" -ge 1 ]
        [ "${lines[1]}" = 0 ]
}

# the multi-stage project $DF/ms: a builder stage, a stage nothing needs, one that continues
# the builder, and the last, which copies from them
need_ms() {
        MS=$DF/ms
        [ -f "$MS/Dockerfile" ] && return 0
        mkdir -p "$MS" && chmod 755 "$MS"
        cp "$DF/vers.toml" "$MS/"
        cat > "$MS/Dockerfile" <<'EOF'
ARG BASE=host
FROM ${BASE} AS builder
ARG BASE
RUN mkdir -p /out && echo x > /out/x && echo secret > /out/secret && echo "$BASE" > /out/base
FROM host AS unused
RUN touch /never
FROM builder AS b2
RUN echo b2 > /out/b2
FROM host
COPY --from=builder /out/x /x
COPY --from=0 /out/base /base
COPY --from=b2 /out/b2 /b2
EOF
}

@test "a multi-stage build: the image has what COPY --from took, not the stages' own files" {
        need_ms
        cd "$MS"
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 7/12 FROM builder AS b2 (stage 0)"* ]]
        [[ "$output" == *"step 10/12 COPY --from=builder /out/x /x"* ]]
        vers run --alias ms >/dev/null
        run vers execute -b ms 'cat /x /base /b2'
        [ "${lines[0]}" = x ]
        [ "${lines[1]}" = host ] # ARG BASE in the stage: its default from before FROM
        [ "${lines[2]}" = b2 ]   # FROM builder AS b2 went on from the builder's files
        run vers execute -b ms 'ls -d /out'
        [ "$status" -ne 0 ]
        run vers execute -b ms 'ls -d /never'
        [ "$status" -ne 0 ]
        run vers execute -b ms 'ls -d /x'
        [ "$status" -eq 0 ]
}

@test "a stage the last one does not need is not built, and says so" {
        need_ms
        cd "$MS"
        run vers build --no-cache
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 5/12 FROM host AS unused: skipped (stage 1 'unused': the last stage does not depend on it)"* ]]
        [[ "$output" != *"step 6/12"* ]]
        [[ "$output" != *"touch /never"* ]]
}

@test "a multi-stage rebuild is all cached; a changed RUN in the builder redoes the COPY from it" {
        need_ms
        cd "$MS"
        vers build >/dev/null 2>&1
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"every step came from the cache"* ]]
        [[ "$output" == *"cached: nothing changed"* ]]
        # the same project with the builder's RUN changed (the cache is the root's)
        d=$(mktemp -d "$BATS_TEST_TMPDIR/ms.XXXXXX") && chmod 755 "$d"
        cp vers.toml Dockerfile "$d/"
        cd "$d"
        sed -i 's/echo x > \/out\/x/echo x2 > \/out\/x/' Dockerfile
        run vers build
        [ "$status" -eq 0 ]
        [[ "$output" == *"step 2/12 FROM host (cached)"* ]]
        [[ "$output" == *"step 4/12 RUN mkdir"* ]]
        ! grep -q 'step 4/12 RUN mkdir.*(cached)' <<<"$output" # (one line)
        [[ "$output" == *"step 9/12 FROM host (cached)"* ]]
        [[ "$output" == *"step 10/12 COPY --from=builder /out/x /x"* ]]
        [[ "$output" != *"step 10/12 COPY --from=builder /out/x /x (cached)"* ]]
        vers run --alias ms2 >/dev/null
        [ "$(vers execute -b ms2 'cat /x')" = x2 ]
}

@test "COPY --from a stage takes its symlinks as links, and resolves a source inside the stage" {
        d=$(mktemp -d "$BATS_TEST_TMPDIR/links.XXXXXX") && chmod 755 "$d"
        cp "$DF/vers.toml" "$d/"
        ! grep -q stage-own /etc/shadow # the host's, which the image must never get
        cat > "$d/Dockerfile" <<'EOF'
FROM host AS builder
RUN mkdir /out && echo stage-own > /etc/shadow && ln -s /etc/shadow /out/link && ln -s / /out/root && ln -s ../../../../etc /out/up
FROM host
COPY --from=builder /out/ /all/
COPY --from=builder /out/link /link-target
COPY --from=builder /out/root/etc/shadow /via-root
COPY --from=builder /out/up/shadow /via-up
EOF
        cd "$d"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias links >/dev/null
        run vers execute -b links 'readlink /all/link /all/root; cat /link-target /via-root /via-up'
        [ "$output" = "$(printf '/etc/shadow\n/\nstage-own\nstage-own\nstage-own')" ]
        # a link to what only the host has is not found in the stage
        printf 'FROM host AS builder\nRUN mkdir /out && ln -s /etc/hostname /out/h && rm -f /etc/hostname\nFROM host\nCOPY --from=builder /out/h /h\n' > Dockerfile
        run vers build
        [ "$status" -ne 0 ]
        [[ "$output" == *"Dockerfile:4:21: COPY --from=builder /out/h: not found in stage 'builder'"* ]]
}

@test "COPY --from a tag of this root copies from that commit's files" {
        need_web_base
        d=$(mktemp -d "$BATS_TEST_TMPDIR/fromtag.XXXXXX") && chmod 755 "$d"
        cp "$DF/vers.toml" "$d/"
        printf 'FROM host\nCOPY --from=web-base /srv/app/state /srv/app/greeting.txt /copied/\n' > "$d/Dockerfile"
        cd "$d"
        run vers build
        [ "$status" -eq 0 ]
        vers run --alias fromtag >/dev/null
        run vers execute -b fromtag 'cat /copied/state /copied/greeting.txt; stat -c %u:%g /copied/state'
        [ "$output" = "$(printf 'branched\nhi from the app in /srv/app as root\n0:0')" ]
        run vers build
        [[ "$output" == *"every step came from the cache"* ]]
}

@test "bad multi-stage Dockerfiles get one line naming the problem" {
        # no stage, so an image: one no registry is asked for (not a valid reference)
        bad_build 'FROM host AS builder\nFROM host\nCOPY --from=NoSuch /x /y\n' 'Dockerfile:3:6: COPY --from=NoSuch: no stage of that name before this one, and as an image: '
        bad_build 'FROM host AS a\nFROM host AS A\n' "Dockerfile:2:14: duplicate stage name 'a' (the first is on line 1)"
        bad_build 'FROM host\nCOPY --from=b /x /y\nFROM host AS b\n' 'Dockerfile:2:6: COPY --from=b: that stage comes later (line 3)'
        bad_build 'FROM host AS a\nFROM host\nADD --from=a /x /y\n' 'Dockerfile:3:5: ADD takes no --from'
        bad_build 'FROM host AS a\nFROM host\nCOPY --from=a /nope /y\n' "Dockerfile:3:15: COPY --from=a /nope: not found in stage 'a'"
}
