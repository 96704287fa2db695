#!/usr/bin/env bash
# The whole suite (`npm test`) again on Node 24, the Node the Dockerfile ships: the machine's `node` may
# be older (package.json engines still admits Node 20), and some paths exist only on newer Nodes (zstd
# layers). npm and everything it starts find Node 24 first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

node24="$(bash scripts/node24.sh)"
export PATH="$(dirname "$node24"):$PATH"
echo "node $(node --version) ($node24)"
npm test
