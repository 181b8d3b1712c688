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

@test "vers kube --suite prints an Indexed Job whose cells run the pushed image" {
        cd "$XPROJ"
        local dir="$BATS_FILE_TMPDIR/suite" ref="127.0.0.1:$REGISTRY_PORT/shop:1"
        mkdir -p "$dir"
        cat > "$dir/vers-integration.yaml" <<'EOS'
name: ship-suite
tests:
  rows:
    command: psql -h 127.0.0.1 -U postgres -d shop -Atc 'SELECT v FROM t' > "rows-$WHO.out"
    branches:
      - name: first
        env: {WHO: "it's one"}
        before: echo before > before.out
      - name: second
        env: {WHO: two}
  fails:
    command: exit 3
EOS
        vers push shipped "$ref" >/dev/null
        run vers kube shipped --suite "$dir/vers-integration.yaml"
        [ "$status" -eq 0 ]
        echo "$output" > "$dir/job.yaml"
        local j
        j=$("$VERS_PROGS/yaml2json" < "$dir/job.yaml")
        echo "$j" | jq .
        echo "$j" | jq -e --arg img "$ref" --arg dir "$dir" '
                .apiVersion == "batch/v1" and .kind == "Job" and
                .spec.completionMode == "Indexed" and .spec.completions == 3 and
                .spec.parallelism == 3 and .spec.template.spec.restartPolicy == "Never" and
                .spec.template.spec.volumes[0].name == "project" and
                .spec.template.spec.volumes[0].hostPath.path == $dir and
                (.spec.template.spec.containers | length) == 1 and
                .spec.template.spec.containers[0].image == $img and
                .spec.template.spec.containers[0].volumeMounts[0].mountPath == "/project" and
                .spec.template.spec.containers[0].command[0:2] == ["/bin/sh", "-c"]'
        local script
        script=$(echo "$j" | jq -r '.spec.template.spec.containers[0].command[2]')
        # one case per cell, in run order
        [ "$(echo "$script" | grep -c '^[0-9]*)$')" -eq 3 ]
        [[ "$script" == *"0)"*"test rows, branch first"*"1)"*"test rows, branch second"*"2)"*"test fails, branch default"* ]]
        # each cell run as the Job's pod would run it: its before, env and command, its status
        podman_ pull -q --tls-verify=false "$ref" >/dev/null
        cell() { podman_ run --rm --network none -v "$dir:/project" -e JOB_COMPLETION_INDEX="$1" \
                --entrypoint /bin/sh "$ref" -c "$script"; }
        run cell 0
        echo "$output"
        [ "$status" -eq 0 ]
        [ "$(cat "$dir/rows-it's one.out")" = committed ]
        [ "$(cat "$dir/before.out")" = before ]
        run cell 1
        [ "$status" -eq 0 ]
        [ "$(cat "$dir/rows-two.out")" = committed ]
        run cell 2
        [ "$status" -eq 3 ]
        run cell 7
        [ "$status" -eq 125 ]
        [[ "$output" == *"no cell 7"* ]]
        # a suite FILE without --suite, a missing suite
        run vers kube shipped "$dir/vers-integration.yaml"
        [ "$status" -eq 129 ]
        run vers kube shipped --suite "$dir/none.yaml"
        [ "$status" -ne 0 ]
        [[ "${lines[0]}" == *"none.yaml"* ]]
}
