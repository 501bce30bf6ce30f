#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks to run the stack: system tools, Node.js
# (when the machine's is older than the project's), pnpm, the workspace's packages and the
# Python venv of moto and checkov. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/node-env.sh

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v python3 >/dev/null || need_apt+=(python3)
# The web console's browser tests drive Debian's chromium (Playwright's own downloads are not reachable).
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
# The console's OIDC browser test serves its identity provider over HTTPS with a self-signed certificate.
command -v openssl >/dev/null || need_apt+=(openssl)
# The READMEs' examples read .local/stack.json with jq.
command -v jq >/dev/null || need_apt+=(jq)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need_apt[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing: ${need_apt[*]}. Install them with: sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

required=$(required_node_major)
if [ "$(node_major)" -lt "$required" ]; then
  echo "node $(node --version 2>/dev/null || echo none) is older than $required: installing node $local_node_version into .local/node"
  npm install --prefix .local/node --no-save --no-audit --no-fund --silent "node@$local_node_version"
  export PATH="$local_node_bin:$PATH"
  if [ "$(node_major)" -lt "$required" ]; then
    echo "could not install node $required (node --version: $(node --version))" >&2
    exit 1
  fi
fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  echo "installing pnpm $pnpm_version"
  # Next to the npm on PATH, so pnpm lands in a folder on PATH. A plain -g would follow the node
  # that runs npm, which after the step above is the project's, and put pnpm in .local/node.
  npm install -g --silent --prefix "$(dirname "$(dirname "$(command -v npm)")")" "pnpm@$pnpm_version"
  hash -r
fi

export TURBO_TELEMETRY_DISABLED=1
pnpm install --frozen-lockfile --reporter=append-only | tail -3

# pnpm puts the workspace root's node_modules/.bin first on PATH for every script (root and
# apps, also when turbo runs them), so a `node` there makes `pnpm dev`, `pnpm test` and each
# app's scripts run on the project's Node even from a shell whose own node is older.
if [ -x "$local_node_bin/node" ] && [ "$(node_major "$(command -v node)")" -ge "$required" ] \
  && [ "$(command -v node)" = "$local_node_bin/node" ]; then
  ln -sfn "../../.local/node/node_modules/.bin/node" node_modules/.bin/node
fi

# The Python venv (created on first use otherwise; doing it here keeps the first start fast).
pnpm --silent --filter @stateless/local-cloud exec tsx -e "import('./src/tools.ts').then((t) => t.ensureMotoServer())"
