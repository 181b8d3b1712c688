/* copyscript — the shell script that runs COPY and ADD inside the build sandbox. */
#include "build/build-private.h"

/* The script that copies inside the sandbox: $1 dest, $2 owner, $3 mode, $4 add, sources.
 * The entries of the n-th source, when it is a directory, are listed in /.vers/copy.n; when
 * there is no list (COPY --from: no .dockerignore), the script lists them all, with find, which
 * does not follow symlinks (they are copied as links). */
const char vers_build_copy_script[] =
    "set -e\n"
    "dest=$1 own=$2 mode=$3 add=$4; shift 4\n"
    "todir= i=0\n"
    "case $dest in */) todir=1 ;; esac\n"
    "if [ $# -gt 1 ] || [ -d \"$dest\" ]; then todir=1; fi\n"
    "if [ -n \"$todir\" ]; then mkdir -p \"$dest\"; else mkdir -p \"$(dirname \"$dest\")\"; fi\n"
    "fix() { chown -h \"$own\" \"$@\"; if [ -n \"$mode\" ]; then for f; do [ -L \"$f\" ] || "
    "chmod \"$mode\" \"$f\"; done; fi; }\n"
    "for s; do\n"
    "  list=/.vers/copy.$i; i=$((i + 1))\n"
    "  if [ -n \"$add\" ] && [ -f \"$s\" ] && case $s in *.tar|*.tar.gz|*.tgz|*.tar.xz|*.txz|"
    "*.tar.bz2|*.tbz2|*.tar.zst) true ;; *) false ;; esac; then\n"
    "    mkdir -p \"$dest\"; tar -xf \"$s\" -C \"$dest\"\n"
    "  elif [ -d \"$s\" ]; then\n"
    "    mkdir -p \"$dest\"\n"
    "    [ -f \"$list\" ] || (cd \"$s\" && find . -mindepth 1 -print0) > \"$list\"\n"
    "    tar -C \"$s\" --null --no-recursion -T \"$list\" --numeric-owner -cf /.vers/copy.tar\n"
    "    tar -C \"$dest\" --numeric-owner -xpf /.vers/copy.tar; rm -f /.vers/copy.tar\n"
    "    (cd \"$dest\" && xargs -0 -r chown -h \"$own\" < \"$list\")\n"
    "    if [ -n \"$mode\" ]; then (cd \"$dest\" && xargs -0 -r sh -c 'for f; do [ -L \"$f\" ] "
    "|| chmod \"$0\" \"$f\"; done' \"$mode\" < \"$list\"); fi\n"
    "  elif [ -n \"$todir\" ]; then\n"
    "    t=\"${dest%/}/$(basename \"$s\")\"; cp -a \"$s\" \"$t\"; fix \"$t\"\n"
    "  else\n"
    "    cp -a \"$s\" \"$dest\"; fix \"$dest\"\n"
    "  fi\n"
    "done\n";
