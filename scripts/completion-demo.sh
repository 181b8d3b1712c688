#!/bin/bash
# Show bash completion of vers in a real terminal: a temporary VERS_ROOT and project with
# three envs and a tag, a bash in tmux that loaded bash-completion and build/completion/vers,
# then 'vers br<TAB>' and 'vers checkout <TAB><TAB>'. Prints each screen as tmux captures it.
# Run as root after 'make' (VERS_BUILD=build-asan for another build directory).
set -eu
cd "$(dirname "$0")/.."
build=$(realpath "${VERS_BUILD:-build}")
[ -x "$build/vers" ] && [ -f "$build/completion/vers" ] || { echo "completion-demo: run make first" >&2; exit 1; }
command -v tmux >/dev/null || { echo "completion-demo: needs tmux (make deps)" >&2; exit 1; }

root=$(mktemp -d /tmp/vers-demo-root.XXXXXX)
proj=$(mktemp -d /tmp/vers-demo-proj.XXXXXX)
sock=$(mktemp -u /tmp/vers-demo-tmux.XXXXXX)
rc=$(mktemp /tmp/vers-demo-rc.XXXXXX)
cleanup() {
        tmux -S "$sock" kill-server 2>/dev/null || true
        rm -f "$sock"
        VERS_ROOT=$root "$build/vers" shutdown >/dev/null 2>&1 || true
        scripts/release-ids.sh "$root" || true
        rm -rf "$root" "$proj" "$rc"
}
trap cleanup EXIT

export VERS_ROOT=$root
printf '[storage]\ncluster_mib = 2000\n' > "$proj/vers.toml"
(
        cd "$proj"
        "$build/vers" run --alias main >/dev/null
        "$build/vers" commit --tag "base-schema" main >/dev/null
        "$build/vers" branch base-schema --alias premium-features-test >/dev/null
        "$build/vers" branch base-schema --alias inventory-management-test >/dev/null
)

cat > "$rc" <<EOF
source /usr/share/bash-completion/bash_completion
source "$build/completion/vers"
export PATH="$build:\$PATH" VERS_ROOT="$root"
cd "$proj"
PS1='$ '
EOF
tmux -S "$sock" new-session -d -x 100 -y 12 "bash --rcfile $rc --noprofile -i"
screen() { tmux -S "$sock" capture-pane -p | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
# wait (bounded) until the screen shows $1
wait_screen() {
        for _ in $(seq 200); do
                screen | grep -qF -- "$1" && return 0
                sleep 0.05
        done
        echo "completion-demo: the screen never showed '$1':" >&2
        screen >&2
        return 1
}
wait_screen '$'

tmux -S "$sock" send-keys 'vers br' Tab
wait_screen '$ vers branch'
echo "--- vers br<TAB>"
screen

tmux -S "$sock" send-keys C-u 'vers checkout ' Tab Tab
wait_screen 'premium-features-test'
echo "--- vers checkout <TAB><TAB>"
screen

tmux -S "$sock" send-keys 'pre' Tab
wait_screen '$ vers checkout premium-features-test'
echo "--- vers checkout pre<TAB>"
screen | tail -1
