#!/usr/bin/env bash
# Quick start 1: install what is missing, then run the whole system in the foreground.
# Ctrl-C, or SIGINT or SIGTERM to this script's PID, stops it.
# STACK_SKIP_INSTALL=1 skips the install on a machine already set up (the dev-stack test does).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${STACK_SKIP_INSTALL:-}" = 1 ] || bash scripts/install.sh
source scripts/node-env.sh
# The stack's own process takes this PID, not `pnpm dev`: pnpm ignores a SIGINT sent to its PID
# alone (it waits for the terminal's, which reaches the whole group), so a supervisor, an IDE or
# `timeout -s INT` would stop nothing. The same command as package.json's `dev`.
exec node --import tsx packages/local-cloud/src/cli.ts up
