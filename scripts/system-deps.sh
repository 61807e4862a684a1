#!/usr/bin/env bash
# System packages datalit needs: bubblewrap (the grader's sandbox); with the argument `test`, also
# Chromium (a test renders the report pages in a real headless browser).
# As root: installs what is missing. Otherwise: prints the one command that would.
set -euo pipefail
missing=()
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
if [ "${1:-}" = "test" ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
    || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]}; install them with:"
  echo "  sudo apt-get install -y ${missing[*]}"
fi
