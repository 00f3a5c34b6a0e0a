#!/usr/bin/env bash
# System tools the tests exercise (ripgrep for Grep's fast path, bubblewrap for the
# Bash sandbox). Installed with apt when we can; otherwise the tests that need them
# skip and say why.
set -u
want=()
command -v rg >/dev/null 2>&1 || want+=(ripgrep)
command -v bwrap >/dev/null 2>&1 || want+=(bubblewrap)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${want[*]} with apt-get" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}") >/dev/null 2>&1 \
        || echo "could not install ${want[*]}: the tests that need them will skip" >&2
else
    echo "not root or no apt-get: ${want[*]} not installed; the tests that need them will skip" >&2
fi
exit 0
