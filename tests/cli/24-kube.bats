#!/usr/bin/env bats
# vers kube: the Pod manifest of a pushed commit, played by Debian 12's podman (kube play,
# no network): its PostgreSQL serves the committed rows on the pod's loopback.

load helpers
load registry
load podman
load ship

setup_file() {
        ship_setup_file
        podman_setup
        export C1
        cd "$XPROJ"
        C1=$("$VERS_BIN" commit list --json | jq -r '.[] | select(.tag == "shipped") | .id')
}
teardown_file() {
        podman_teardown
        ship_teardown_file
        return 0
}

@test "vers kube before a push names what is missing" {
        cd "$XPROJ"
        run vers kube shipped
        [ "$status" -ne 0 ]
        [ "${#lines[@]}" -eq 1 ]
        [[ "${lines[0]}" == *"commit 'shipped' was never pushed"* ]]
        run vers kube no-such-commit
        [ "$status" -ne 0 ]
        [[ "${lines[0]}" == *"'no-such-commit'"* ]]
}

@test "vers kube prints a Pod of the pushed image that podman kube play runs" {
        cd "$XPROJ"
        vers push shipped "127.0.0.1:$REGISTRY_PORT/shop:1" >/dev/null
        vers kube shipped > "$BATS_FILE_TMPDIR/pod.yaml"
        cat "$BATS_FILE_TMPDIR/pod.yaml"
        grep -qx 'kind: Pod' "$BATS_FILE_TMPDIR/pod.yaml"
        grep -qx "    image: \"127.0.0.1:$REGISTRY_PORT/shop:1\"" "$BATS_FILE_TMPDIR/pod.yaml"
        grep -qx '    - containerPort: 5432' "$BATS_FILE_TMPDIR/pod.yaml"
        # --image names another reference
        run vers kube shipped --image other.example/x:1
        [[ "$output" == *'image: "other.example/x:1"'* ]]
        # podman 4.3 publishes a containerPort on the host, which --network none refuses
        # ("PortMappings can only be used with Bridge or slirp4netns networking"): it plays
        # the manifest without its ports list (a Kubernetes cluster takes it as it is)
        awk '/^    ports:$/ { skip = 1; next } skip && /^    - containerPort:|^      protocol:/ { next } { skip = 0; print }' \
                "$BATS_FILE_TMPDIR/pod.yaml" > "$BATS_FILE_TMPDIR/pod-noports.yaml"
        ! grep -q containerPort "$BATS_FILE_TMPDIR/pod-noports.yaml"
        grep -q 'readinessProbe' "$BATS_FILE_TMPDIR/pod-noports.yaml"
        run podman_ kube play --network none --tls-verify=false "$BATS_FILE_TMPDIR/pod-noports.yaml"
        echo "$output"
        [ "$status" -eq 0 ]
        local c="vers-$C1-db"
        wait_for -t 120 -i 0.5 -m "PostgreSQL in $c" \
                podman_ exec "$c" pg_isready -q -h 127.0.0.1 -p 5432
        run podman_ exec -e PGPASSWORD=postgres "$c" psql -h 127.0.0.1 -U postgres -d shop -Atc 'SELECT v FROM t'
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$output" = committed ]
        run podman_ kube down "$BATS_FILE_TMPDIR/pod-noports.yaml"
        [ "$status" -eq 0 ]
        [ -z "$(podman_ pod ps -q)" ]
}
