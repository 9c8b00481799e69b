#!/usr/bin/env bash
# First command on a fresh machine: installs pnpm if needed and the workspace's dependencies,
# builds every package, and runs the main job (`pnpm zoo`, the se-zoo CLI with no arguments).
#
#   bash scripts/bootstrap.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TURBO_TELEMETRY_DISABLED=1

# shellcheck source=lib/pnpm.sh
source scripts/lib/pnpm.sh

echo '==> pnpm'
ensure_pnpm
echo "pnpm $(pnpm --version), node $(node --version)"

# ---- System data sets (Debian packages) -----------------------------------------------------
# Reserved for later work: the benchmark will train on Fashion-MNIST from Debian's
# `dataset-fashion-mnist` package, installed here with
#   apt-get install -y --no-install-recommends dataset-fashion-mnist
# It is not installed yet because nothing reads it yet.
# ----------------------------------------------------------------------------------------------

echo '==> pnpm install --frozen-lockfile'
pnpm install --frozen-lockfile

echo '==> pnpm build'
pnpm build

echo '==> pnpm zoo (the main job)'
pnpm zoo
