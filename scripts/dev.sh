#!/usr/bin/env bash
# Quick start 1: install what is missing, then run the whole system in the foreground (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/node-env.sh
exec pnpm dev
