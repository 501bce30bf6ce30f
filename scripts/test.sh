#!/usr/bin/env bash
# Quick start 2: install what is missing, then run every check and test (lint, typecheck, unit, integration).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/node-env.sh
export TURBO_TELEMETRY_DISABLED=1
exec pnpm test
