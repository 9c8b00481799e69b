#!/usr/bin/env bash
# Builds .devcarry/ (git-ignored): everything a bare GPU machine needs to run the GPU benchmark
# through WebGPU (Dawn on Vulkan) with no registry access there: benchmarks/src/gpu.ts bundled into
# app.mjs, this machine's `node` and Dawn's `dawn.node` (xz), the Vulkan loader (.deb), the
# workloads (plan.json), PyTorch's reference script and the scripts that run it all.
#   bash scripts/gpu/pack.sh            .devcarry/, for the GPU machine (about 34 MiB)
#   bash scripts/gpu/pack.sh --smoke    .devcarry-smoke/, tiny workloads, to run here
# Needs a build of @se/benchmarks' workspace dependencies (scripts/gpu/bench.sh makes it).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
smoke=()
out=$root/.devcarry
if [ "${1:-}" = "--smoke" ]; then smoke=(--smoke); out=$root/.devcarry-smoke; fi
source scripts/gpu/runtime.sh
mkdir -p "$out"
# 1. The app, bundled with its workspace packages (scripts/gpu/runtime.sh).
bundle_node_app benchmarks/src/gpu.ts "$out/app.mjs"
dawn=$(find_dawn "$root/benchmarks")
[ -n "$dawn" ] || { echo "pack.sh: no dawn.node; run pnpm install (the webgpu devDependency)" >&2; exit 2; }
cp benchmarks/src/gpu_reference.py "$out/"
# 2. The workloads, for both sides (the conv shapes are read off the model), written by the app
#    itself from a scratch copy that finds Dawn here.
local_run=$(mktemp -d)
trap 'rm -rf "$local_run"' EXIT
mkdir -p "$local_run/dist/linux-x64"
cp "$out/app.mjs" "$local_run/"
ln -s "$dawn" "$local_run/dist/linux-x64/dawn.node"
node "$local_run/app.mjs" --plan "$out/plan.json" "${smoke[@]}" 2>&1 | grep -v 'artificially\|^=*$\|Hi, looks like'
if [ ${#smoke[@]} -gt 0 ]; then
  # Runs here: Dawn is taken from node_modules.
  mkdir -p "$out/dist/linux-x64"
  ln -sf "$dawn" "$out/dist/linux-x64/dawn.node"
  exit 0
fi
# 3. For the GPU machine: Node, Dawn and the Vulkan loader (scripts/gpu/runtime.sh).
pack_runtime "$out" "$dawn"
cp scripts/gpu/device.sh "$out/"
du -sh "$out"
