#!/usr/bin/env bash
# Installs what the test suite needs and is missing: node modules, Debian's Chromium and redis-server. Idempotent and quiet when done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing node modules" >&2
  npm install --no-audit --no-fund >&2
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian chromium (apt-get)" >&2
  as_root apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >&2
fi

# The cluster tests start their own redis-server (Unix socket, persistence off); Debian's 7.x has sharded pub/sub.
if [ ! -x /usr/bin/redis-server ]; then
  echo "setup: installing Debian redis-server (apt-get)" >&2
  as_root apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq redis-server >&2
  # only the binary is needed: the tests start their own servers
  as_root systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
