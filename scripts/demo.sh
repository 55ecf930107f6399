#!/usr/bin/env bash
# The main job, from a fresh clone: installs what is missing (npm dependencies,
# nats-server), builds, then runs the article's workflow against a throwaway local
# JetStream server that scripts/demo.mjs starts and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "demo: installing npm dependencies" >&2
  npm ci --no-audit --no-fund >&2
fi
if [ -z "${NATS_SERVER_BIN:-}" ] && ! command -v nats-server >/dev/null && [ ! -x /usr/sbin/nats-server ]; then
  echo "demo: nats-server not found; installing it" >&2
  if ! bash scripts/install-nats-server.sh stable >/dev/null; then
    echo "demo: could not install nats-server. Install nats-server >= 2.9 (apt-get install nats-server," >&2
    echo "      brew install nats-server) or set NATS_SERVER_BIN, then run this again." >&2
    exit 1
  fi
fi
npm run --silent build >&2
exec node scripts/demo.mjs "$@"
