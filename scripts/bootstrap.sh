#!/usr/bin/env bash
# First command on a fresh machine: installs pnpm if needed and the workspace's dependencies,
# builds every package, and runs the main job (`pnpm zoo`: the SE-against-plain benchmark on
# Fashion-MNIST, results and report.html in results/bench-fashion-mnist).
#
#   bash scripts/bootstrap.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TURBO_TELEMETRY_DISABLED=1

# shellcheck source=lib/setup.sh
source scripts/lib/setup.sh

echo '==> pnpm'
ensure_pnpm
echo "pnpm $(pnpm --version), node $(node --version)"

# The benchmark's default dataset: real Fashion-MNIST from Debian's package
# (/usr/share/datasets/fashion-mnist). Elsewhere, pass `--data-dir` with the four IDX files.
echo '==> Fashion-MNIST'
ensure_debian_packages dataset-fashion-mnist

echo '==> pnpm install --frozen-lockfile'
pnpm install --frozen-lockfile

echo '==> pnpm build'
pnpm build

echo '==> pnpm zoo (the main job)'
pnpm zoo
