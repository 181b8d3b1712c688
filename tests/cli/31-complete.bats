#!/usr/bin/env bats
# Man pages and shell completion, generated from the command table: the pages render
# without warnings, make install puts pages and completions where man and the shells look,
# and the bash completion completes commands, options and live names (env aliases, tags,
# commit ids, the suite's tests) from a real VERS_ROOT through 'vers __complete', which
# reads without mounting, writing or waiting, and says nothing when it cannot read.

load helpers

BUILD_DIR=$(dirname "$VERS_BIN")

setup_file() {
        vers_setup_root
        # a project whose envs need no services, with a suite of two tests
        rm -rf "$PROJ"
        PROJ=$(mktemp -d /tmp/vers-test-complete.XXXXXX) && chmod 755 "$PROJ"
        printf '[storage]\ncluster_mib = 2000\n' > "$PROJ/vers.toml"
        cat > "$PROJ/vers-integration.yaml" <<'EOF'
name: complete
version: 1.0.0
tests:
  smoke:
    command: "true"
    branches:
      - name: fast
      - name: slow
  load:
    command: "true"
EOF
        cd "$PROJ"
        vers run --alias main >/dev/null
        vers branch main --alias premium-features-test >/dev/null
        vers branch main --alias inventory-management-test >/dev/null
        vers commit --tag seed-v1 main >/dev/null
}
teardown_file() { vers_teardown_root; }

setup() { cd "$PROJ"; }

# complete WORD...: COMPREPLY, one a line, for the command line "WORD..." with the cursor at
# the end of its last word (give "" to complete a new word), in a bash that loaded the
# generated completion like bash-completion does
complete_line() {
        PATH="$BUILD_DIR:$PATH" bash --norc --noprofile -c '
                source /usr/share/bash-completion/bash_completion
                source "$0"
                COMP_WORDS=("${@}")
                COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                COMP_LINE="$*"
                COMP_POINT=${#COMP_LINE}
                COMPREPLY=()
                _vers vers "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf "%s\n" "${COMPREPLY[@]}"
        ' "$BUILD_DIR/completion/vers" "$@"
}

# mount points under this VERS_ROOT (other roots on the machine come and go)
root_mounts() { awk -v r="$VERS_ROOT" 'index($5, r) == 1 { print $5 }' /proc/self/mountinfo | sort; }

id_of_tag() { vers tag list --json | jq -r --arg t "$1" '.[] | select(.tag == $t) | .id'; }

@test "every man page renders without a warning (groff -ww, man -l)" {
        local n=0
        for p in "$BUILD_DIR"/man/man1/*.1 "$BUILD_DIR"/man/man5/*.5; do
                run --separate-stderr groff -ww -z -man "$p"
                [ "$status" -eq 0 ] && [ -z "$stderr" ] || { echo "$p: $stderr"; return 1; }
                run --separate-stderr env MANWIDTH=80 man -l "$p"
                [ "$status" -eq 0 ] && [ -z "$stderr" ] || { echo "$p: $stderr"; return 1; }
                n=$((n + 1))
        done
        [ "$n" -gt 25 ]
        run env MANWIDTH=80 man -l "$BUILD_DIR/man/man1/vers-branch.1"
        [[ "$output" == *"vers branch delete PATTERN..."* ]]
        [[ "$output" == *"--timings"* ]]
        [[ "$output" == *EXAMPLES*"vers branch --count 4"* ]]
        run env MANWIDTH=80 man -l "$BUILD_DIR/man/man5/vers.toml.5"
        [[ "$output" == *"memory_mib"*"default 2048"* ]]
}

@test "the pages list every visible command; vers help COMMAND is --help" {
        run vers --help
        for c in $(vers --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { sub(/\|.*/, "", $1); print $1 }'); do
                [ -f "$BUILD_DIR/man/man1/vers-$c.1" ] || { echo "no page for $c"; return 1; }
                grep -q "vers\\\\-$c" "$BUILD_DIR/man/man1/vers.1" || { echo "vers.1 lacks $c"; return 1; }
        done
        [ ! -e "$BUILD_DIR/man/man1/vers-__complete.1" ] && [ ! -e "$BUILD_DIR/man/man1/vers-debug.1" ]
        [ "$(vers help checkout)" = "$(vers checkout --help)" ]
}

@test "make install puts the binary, pages and completions in place; uninstall removes them" {
        local d
        d=$(mktemp -d /tmp/vers-test-install.XXXXXX)
        run make -C "$REPO" --no-print-directory -s BUILD="$BUILD_DIR" DESTDIR="$d" PREFIX=/usr/local install
        [ "$status" -eq 0 ] || { echo "$output"; rm -rf "$d"; return 1; }
        local p=$d/usr/local
        [ -x "$p/bin/vers" ] && [ -x "$p/lib/vers/vers-init" ]
        [ -f "$p/share/man/man1/vers.1" ] && [ -f "$p/share/man/man1/vers-checkout.1" ]
        [ -f "$p/share/man/man5/vers.toml.5" ] && [ -f "$p/share/man/man5/vers-integration.yaml.5" ]
        [ -f "$p/share/bash-completion/completions/vers" ] && [ -f "$p/share/zsh/site-functions/_vers" ]
        run env MANPATH="$p/share/man" man -w vers-branch
        [ "$output" = "$p/share/man/man1/vers-branch.1" ]
        run env MANPATH="$p/share/man" man -w 5 vers.toml
        [ "$output" = "$p/share/man/man5/vers.toml.5" ]
        run make -C "$REPO" --no-print-directory -s BUILD="$BUILD_DIR" DESTDIR="$d" PREFIX=/usr/local uninstall
        [ "$status" -eq 0 ]
        run find "$d" -type f
        [ -z "$output" ] || { echo "left behind: $output"; rm -rf "$d"; return 1; }
        rm -rf "$d"
}

@test "bash: the completion registers for vers" {
        run bash --norc -c 'source /usr/share/bash-completion/bash_completion; source "$0"; complete -p vers' \
                "$BUILD_DIR/completion/vers"
        [ "$status" -eq 0 ]
        [ "$output" = "complete -o default -F _vers vers" ]
}

@test "bash: vers br completes to branch, vers with nothing to every command" {
        run complete_line vers br
        [ "$output" = branch ]
        run complete_line vers ""
        [[ "$output" == *checkout*commit* || "$output" == *commit*checkout* ]]
        for c in init build run status ps execute connect commit branch pool checkout rollback tree kill test; do
                grep -qx "$c" <<< "$output" || { echo "no $c in: $output"; return 1; }
        done
        ! grep -qx -e __complete -e __doc -e debug <<< "$output"
}

@test "bash: options and subcommands of a command" {
        run complete_line vers branch --tim
        [ "$output" = --timings ]
        # "del": ids are hex, and one may start with "de"
        run complete_line vers branch del
        [ "$output" = delete ]
        run complete_line vers branch delete -
        grep -qx -- --yes <<< "$output" && grep -qx -- -y <<< "$output"
        run complete_line vers ps --j
        [ "$output" = --json ]
}

@test "bash: vers checkout completes env aliases, ids and tags" {
        run complete_line vers checkout pre
        [ "$output" = premium-features-test ]
        run complete_line vers checkout ""
        for w in main premium-features-test inventory-management-test seed-v1 "$(id_of_tag seed-v1)" \
                "$(env_field main id)"; do
                grep -qx -- "$w" <<< "$output" || { echo "no '$w' in: $output"; return 1; }
        done
}

@test "bash: tags after rollback and pool, envs after -b, commit ids by prefix" {
        run complete_line vers rollback se
        [ "$output" = seed-v1 ]
        run complete_line vers pool drain seed
        [ "$output" = seed-v1 ]
        run complete_line vers execute -b inv
        [ "$output" = inventory-management-test ]
        local id
        id=$(id_of_tag seed-v1)
        run complete_line vers branch "${id:0:6}"
        [ "$output" = "$id" ]
        # an option's argument that nothing completes offers nothing
        run complete_line vers branch --alias ""
        [ -z "$output" ]
}

@test "bash: vers test --only completes the suite's tests and TEST/BRANCH names" {
        run complete_line vers test --only ""
        [ "$output" = "$(printf 'smoke\nsmoke/fast\nsmoke/slow\nload')" ]
        run complete_line vers test --only smoke/f
        [ "$output" = smoke/fast ]
}

@test "zsh: the completion loads through compinit and lists the commands" {
        run zsh -f -c 'fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D; print -r -- $_comps[vers]' \
                zsh "$BUILD_DIR/completion"
        [ "$status" -eq 0 ]
        [ "$output" = _vers ]
        run env PATH="$BUILD_DIR:$PATH" zsh -f -c 'source "$1"; _vers_candidates vers 1 br; _vers_candidates vers 2 checkout pre' \
                zsh "$BUILD_DIR/completion/_vers"
        [ "$status" -eq 0 ]
        grep -qx branch <<< "$output" && grep -qx checkout <<< "$output"
        grep -qx premium-features-test <<< "$output"
}

@test "__complete on a missing root prints nothing, quickly, and makes no root" {
        local t0=$EPOCHREALTIME
        VERS_ROOT=/tmp/vers-test-complete-missing run --separate-stderr vers __complete env,commit,tag ""
        [ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
        [ ! -e /tmp/vers-test-complete-missing ]
        # well under a second (the alarm ends it after 2 s in any case)
        local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
        [ "$ms" -lt 1000 ] || { echo "took $ms ms"; return 1; }
        VERS_ROOT=/tmp/vers-test-complete-missing run complete_line vers checkout ""
        [ -z "$output" ]
}

@test "__complete as a user who cannot read the root prints nothing" {
        [ "$(stat -c %a "$VERS_ROOT")" = 700 ]
        run --separate-stderr runuser -u nobody -- "$VERS_BIN" __complete env,commit ""
        [ "$status" -eq 0 ] && [ -z "$output" ] && [ -z "$stderr" ]
        # the same as root sees them
        run vers __complete env ""
        grep -qx main <<< "$output"
}

@test "__complete mounts nothing and leaves vers.db as it was" {
        # with the store unmounted, as after a reboot: a command that opened the root would
        # mount it again
        vers shutdown >/dev/null
        [ -z "$(root_mounts)" ]
        local before_db before_files
        before_db=$(stat -c '%Y %s' "$VERS_ROOT/vers.db"; sha256sum < "$VERS_ROOT/vers.db")
        before_files=$(ls -A "$VERS_ROOT")
        for k in env commit tag test; do
                run vers __complete "$k" ""
                [ "$status" -eq 0 ] && [ -n "$output" ]
        done
        [ -z "$(root_mounts)" ]
        [ "$(stat -c '%Y %s' "$VERS_ROOT/vers.db"; sha256sum < "$VERS_ROOT/vers.db")" = "$before_db" ]
        [ "$(ls -A "$VERS_ROOT")" = "$before_files" ]
}

@test "__complete does not wait for a writer holding vers.db" {
        local fifo=$BATS_TEST_TMPDIR/sql
        mkfifo "$fifo"
        sqlite3 "$VERS_ROOT/vers.db" < "$fifo" > "$BATS_TEST_TMPDIR/held" &
        local writer=$!
        exec 7> "$fifo"
        echo "BEGIN IMMEDIATE; UPDATE settings SET value = value WHERE 0; SELECT 'held';" >&7
        wait_for -m "the writer to hold its transaction" grep -qx held "$BATS_TEST_TMPDIR/held"
        local t0=$EPOCHREALTIME
        run vers __complete env ""
        local ms=$(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000 ))
        echo "ROLLBACK;" >&7
        exec 7>&-
        wait "$writer"
        [ "$status" -eq 0 ]
        grep -qx main <<< "$output"
        [ "$ms" -lt 1000 ] || { echo "took $ms ms"; return 1; }
}

@test "a name in a damaged vers.db that a shell would expand is neither run nor offered" {
        local mark=$BATS_TEST_TMPDIR/ran
        local id
        id=$(env_field main id)
        local old
        old=$(sqlite3 "$VERS_ROOT/vers.db" "SELECT alias FROM envs WHERE id = '$id'")
        # an alias vers itself would refuse, written past it
        sqlite3 "$VERS_ROOT/vers.db" "UPDATE envs SET alias = 'm\$(touch $mark)' WHERE id = '$id'"
        run complete_line vers checkout m
        sqlite3 "$VERS_ROOT/vers.db" "UPDATE envs SET alias = '$old' WHERE id = '$id'"
        [ ! -e "$mark" ]
        [[ "$output" != *touch* ]]
        run vers __complete env m
        [[ "$output" != *touch* ]]
}
