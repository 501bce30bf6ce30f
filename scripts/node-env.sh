# Sourced by the entry-point scripts: puts the project's Node.js on PATH.
# The project runs on the Node major in package.json's engines (the Lambda runtime infra
# deploys, see infra/src/lambda-app.ts). A machine whose own node is older gets a project-local
# copy from the npm registry (the `node` package ships the real binary) in .local/node; the
# system's node is left alone, and a machine that already has it gets no second copy.
project_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
local_node_bin="$project_root/.local/node/node_modules/.bin"
# The exact release installed when the machine's node is too old (a Node 24 LTS release).
local_node_version=24.21.0

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
required_node_major() {
  # engines.node is ">=N"; N is the one number every Node-version check reads.
  sed -n 's/.*"node": *">=\([0-9]*\).*/\1/p' "$project_root/package.json" | head -1
}

if [ -x "$local_node_bin/node" ]; then
  export PATH="$local_node_bin:$PATH"
fi
