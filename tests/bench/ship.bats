#!/usr/bin/env bats
# make bench-ship: how long commits of the example database take to leave the machine, and how
# big they are. The seed's Dockerfile (FROM ubuntu:22.04, served by a loopback registry as
# 21-seed-dockerfile.bats does), the seed's schema and data loaded, a cold commit; then export
# (oci, docker), push, a second commit's push, pull into a second root, and full and
# incremental bundles unbundled there. It reports; it judges nothing. The table goes to fd 3
# and to bench/results/ship.txt.

load ../cli/helpers
load ../cli/registry

setup_file() {
        vers_setup_root
        export VERS_CACHE DPROJ ROOT2 PROJ2 OUT
        VERS_CACHE=$(mktemp -d /tmp/vers-bench-cache.XXXXXX)
        unset REGISTRY_AUTH_FILE CONTAINERS_REGISTRIES_CONF
        registry_start
        registry_push_debian "127.0.0.1:$REGISTRY_PORT/library/ubuntu:22.04" --config.cmd=bash
        registry_mirror_conf "$REGISTRY_PORT"
        DPROJ=$(mktemp -d /tmp/vers-bench-seed.XXXXXX) && chmod 755 "$DPROJ"
        cp -r "$REPO/examples/ecommerce/docker/." "$DPROJ/"
        cp "$REPO/examples/ecommerce/"{schema.sql,seed.sql,seed-data.sql} "$DPROJ/"
        sed -i 's/^cluster_mib = .*/cluster_mib = 6000/' "$DPROJ/vers.toml"
        ROOT2=$(mktemp -d /tmp/vers-bench-root2.XXXXXX)
        PROJ2=$(mktemp -d /tmp/vers-bench-proj2.XXXXXX) && chmod 755 "$PROJ2"
        cp "$DPROJ/vers.toml" "$PROJ2/"
        OUT=$(mktemp -d /tmp/vers-bench-out.XXXXXX)
}
teardown_file() {
        registry_stop_all
        VERS_ROOT=$ROOT2 vers_teardown_root
        vers_teardown_root
        rm -rf "${DPROJ:-}" "${PROJ2:-}" "${VERS_CACHE:-}" "${OUT:-}"
        return 0
}

# timed NAME CMD...: run CMD, record NAME's seconds in $OUT/times
timed() {
        local name=$1 t0 t1
        shift
        t0=$(date +%s.%N)
        "$@" > "$OUT/$name.log" 2>&1 || { cat "$OUT/$name.log" >&2; return 1; }
        t1=$(date +%s.%N)
        awk -v n="$name" -v a="$t0" -v b="$t1" 'BEGIN { print n, b - a }' >> "$OUT/times"
}
seconds() { awk -v n="$1" '$1 == n { printf "%.2f", $2 }' "$OUT/times"; }
mib() { stat -c %s "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }

@test "export, push, pull and bundle the example database" {
        cd "$DPROJ"
        vers build > "$OUT/build.log" 2>&1
        vers run --alias deb > /dev/null
        vers execute -b deb "psql -v ON_ERROR_STOP=1 -q -f schema.sql && psql -v ON_ERROR_STOP=1 -q -f seed-data.sql"
        vers commit deb --tag seeded -m 'the example database' > /dev/null
        local reg="127.0.0.1:$REGISTRY_PORT/bench/shop"
        timed export-oci vers export seeded -o "$OUT/seeded.oci"
        timed export-docker vers export seeded --format docker -o "$OUT/seeded.docker"
        timed push vers push seeded "$reg:seeded"
        vers execute -b deb "psql -v ON_ERROR_STOP=1 -qc 'CREATE TABLE audit(id serial, at timestamptz DEFAULT now()); INSERT INTO audit DEFAULT VALUES'"
        vers commit deb --tag changed -m 'one table more' > /dev/null
        timed push-second vers push changed "$reg:changed"
        timed bundle-full vers bundle create "$OUT/seeded.vb" seeded
        timed bundle-incr vers bundle create "$OUT/changed.vb" changed --since seeded
        cd "$PROJ2"
        timed pull env VERS_ROOT="$ROOT2" "$VERS_BIN" pull "$reg:seeded"
        timed unbundle-full env VERS_ROOT="$ROOT2" "$VERS_BIN" bundle unbundle "$OUT/seeded.vb"
        timed unbundle-incr env VERS_ROOT="$ROOT2" "$VERS_BIN" bundle unbundle "$OUT/changed.vb"
        # what arrived answers
        VERS_ROOT=$ROOT2 vers branch changed --alias check > /dev/null
        [ "$(VERS_ROOT=$ROOT2 vers execute -b check "psql -Atc 'SELECT count(*) FROM audit'")" = 1 ]
        {
                echo "example database (examples/ecommerce: schema.sql + seed-data.sql), cold commits"
                printf '%-44s %9s %10s\n' step seconds MiB
                printf '%-44s %9s %10s\n' "vers export (oci-archive)" "$(seconds export-oci)" "$(mib "$OUT/seeded.oci")"
                printf '%-44s %9s %10s\n' "vers export --format docker" "$(seconds export-docker)" "$(mib "$OUT/seeded.docker")"
                printf '%-44s %9s %10s\n' "vers push (first)" "$(seconds push)" -
                printf '%-44s %9s %10s\n' "vers push (second commit, same image)" "$(seconds push-second)" -
                printf '%-44s %9s %10s\n' "vers pull (into another root)" "$(seconds pull)" -
                printf '%-44s %9s %10s\n' "vers bundle create (full)" "$(seconds bundle-full)" "$(mib "$OUT/seeded.vb")"
                printf '%-44s %9s %10s\n' "vers bundle create --since (incremental)" "$(seconds bundle-incr)" "$(mib "$OUT/changed.vb")"
                printf '%-44s %9s %10s\n' "vers bundle unbundle (full)" "$(seconds unbundle-full)" -
                printf '%-44s %9s %10s\n' "vers bundle unbundle (incremental)" "$(seconds unbundle-incr)" -
        } > "$OUT/table"
        mkdir -p "$REPO/bench/results"
        cp "$OUT/table" "$REPO/bench/results/ship.txt"
        cat "$OUT/table" >&3
}
