#!/usr/bin/env bats
# Everything that runs inside an env (or in a build's RUN step) is hostile: what it plants in
# its own tree or in the project's .vers/ must not redirect a host-side read or write of vers,
# and an env's /etc carries none of the host's secrets. Every victim is a temp file or
# directory made here; each test checks that it is unchanged.

load helpers

# --- host-side file access ---

setup_file() {
        vers_setup_root
        cd "$PROJ"
        vers run --alias sec >/dev/null
        # the env's root is not the project's owner; as when vers runs under sudo as the
        # owner, give it the project and its .vers/ to plant things in
        chmod 777 "$PROJ" "$PROJ/.vers"
        export VICTIM VDIR SECRET
        VICTIM=$(mktemp /tmp/vers-test-victim.XXXXXX)
        echo "original victim" > "$VICTIM"
        VDIR=$(mktemp -d /tmp/vers-test-vdir.XXXXXX)
        SECRET=$(mktemp /tmp/vers-test-secret.XXXXXX)
        echo "vers-host-secret-$$-$RANDOM" > "$SECRET"
        export DF
        DF=$(mktemp -d /tmp/vers-test-df.XXXXXX) && chmod 755 "$DF"
        echo copied > "$DF/x.txt"
        printf '[storage]\ncluster_mib = 1024\n\n[builder]\ndockerfile = "Dockerfile"\n' > "$DF/vers.toml"
}

teardown_file() {
        vers_teardown_root
        rm -rf "$VICTIM" "$VDIR" "$SECRET" "$DF"
}

setup() { cd "$PROJ"; }

victim_intact() {
        [ ! -L "$VICTIM" ]
        [ "$(cat "$VICTIM")" = "original victim" ]
        [ -z "$(ls -A "$VDIR")" ]
}

@test "a HEAD.tmp or HEAD.lock symlink planted from inside an env redirects no HEAD write" {
        run vers execute -b sec "ln -sf $VICTIM $PROJ/.vers/HEAD.tmp && ln -sf $VICTIM $PROJ/.vers/HEAD.lock"
        [ "$status" -eq 0 ]
        [ -L "$PROJ/.vers/HEAD.tmp" ]
        run vers checkout sec
        [ "$status" -eq 0 ]
        victim_intact
        [ ! -L "$PROJ/.vers/HEAD" ]
        [[ "$(cat "$PROJ/.vers/HEAD")" == "env "* ]]
        rm -f "$PROJ/.vers/HEAD.tmp" "$PROJ/.vers/HEAD.lock"
}

@test "a symlinked HEAD is refused when read and replaced, not followed, when written" {
        vers execute -b sec "ln -sf $VICTIM $PROJ/.vers/HEAD"
        run vers head
        [ "$status" -ne 0 ]
        [[ "$output" == *"not a symlink"* ]]
        [[ "$output" != *"original victim"* ]]
        run vers checkout sec
        [ "$status" -eq 0 ]
        victim_intact
        [ ! -L "$PROJ/.vers/HEAD" ]
        run vers head
        [ "$status" -eq 0 ]
        [[ "$output" == *"(sec)"* ]]
}

@test "a project .vers replaced by a symlink to another directory gets no HEAD" {
        vers execute -b sec "mv $PROJ/.vers $PROJ/.vers.real && ln -s $VDIR $PROJ/.vers"
        run vers checkout sec
        rm -f "$PROJ/.vers"
        mv "$PROJ/.vers.real" "$PROJ/.vers"
        [ "$status" -ne 0 ]
        [[ "$output" == *"not a symlink"* ]]
        victim_intact
}

@test "vers logs does not follow a log file symlinked out of the env" {
        local secret
        secret=$(cat "$SECRET")
        vers execute -b sec "ln -sf $SECRET /var/log/vers/boot.log && ln -sf ../../../../../../../../../..$SECRET /var/log/vers/init.log"
        run vers logs sec
        [ "$status" -eq 0 ]
        [[ "$output" != *"$secret"* ]]
        [[ "$output" == *"==> /var/log/postgresql/postgresql-15-main.log <=="* ]]
}

@test "vers logs shows the image's list of logs, not the env's edited /.vers/logs" {
        local secret
        secret=$(cat "$SECRET")
        vers execute -b sec "printf '/etc/shadow\n/../../../../../../../../..$SECRET\n$SECRET\n' >> /.vers/logs"
        run vers logs sec
        [ "$status" -eq 0 ]
        [[ "$output" != *"$secret"* ]]
        [[ "$output" != *"==> /etc/shadow"* ]]
        [[ "$output" != *"$SECRET"* ]]
        [[ "$output" == *"==> /var/log/postgresql/postgresql-15-main.log <=="* ]]
}

@test "an env's /etc has no password hashes, SSH host keys, ssl/private or sudoers" {
        run vers execute -b sec 'awk -F: "\$2 != \"*\" && \$2 != \"!\" { print FILENAME \": \" \$1 }" /etc/shadow /etc/gshadow'
        [ "$status" -eq 0 ]
        [ -z "$output" ]
        run vers execute -b sec 'awk -F: "\$2 != \"x\" { print }" /etc/passwd /etc/group'
        [ -z "$output" ]
        # no human user of the host: root, system accounts and nobody only
        run vers execute -b sec 'awk -F: "\$3 >= 1000 && \$3 != 65534 { print }" /etc/passwd /etc/group'
        [ -z "$output" ]
        run vers execute -b sec 'grep -q "^postgres:" /etc/passwd && grep -q "^nogroup:" /etc/group'
        [ "$status" -eq 0 ]
        for p in /etc/ssh/ssh_host_rsa_key /etc/ssh/ssh_host_ed25519_key /etc/ssl/private \
                /etc/sudoers /etc/sudoers.d /etc/shadow- /etc/gshadow- /etc/subuid \
                /etc/security/opasswd /etc/npmrc /etc/mysql/debian.cnf /etc/redis/redis.conf; do
                run vers execute -b sec "test -e $p || test -L $p"
                [ "$status" -ne 0 ] || { echo "$p is in the env"; false; }
        done
        # what the allowlist keeps works: names, certificates, psql as postgres
        run vers execute -b sec 'cd / && test -s /etc/ssl/certs/ca-certificates.crt && getent hosts localhost >/dev/null && runuser -u postgres -- psql -Atc "SELECT 1"'
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = "1" ]
}

@test "a build whose RUN plants symlinks in the image writes nothing outside it" {
        # a COPY destination, vers-init's place, the COPY lists and the files vers writes
        # into the image (and their old temp names) all point at the victims
        cat > "$DF/Dockerfile" <<EOF
FROM host
RUN mkdir -p $VDIR && ln -s $VDIR /dst && ln -sf $VICTIM /.vers/init && for f in copy.0 copy.0.tmp env env.tmp image image.tmp logs logs.tmp services.tmp cmd cmd.tmp ready ready.tmp; do ln -sf $VICTIM /.vers/\$f; done
COPY x.txt /dst/
RUN test "\$(cat $VDIR/x.txt)" = copied && ln -sf $VICTIM /.vers/init
CMD ["sleep", "infinity"]
EOF
        cd "$DF"
        run vers build
        echo "$output"
        [ "$status" -eq 0 ]
        victim_intact
}

@test "a build whose RUN replaces /.vers by a symlink out of the image fails closed" {
        cat > "$DF/Dockerfile" <<EOF
FROM host
RUN rm -rf /.vers && ln -s $VDIR /.vers
RUN true
EOF
        cd "$DF"
        run vers build
        echo "$output"
        [ "$status" -ne 0 ]
        [[ "$output" == *"vers-init"* ]]
        victim_intact
}
