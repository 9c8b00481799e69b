#!/usr/bin/env bash
# `pnpm bench:gpu`: the GPU benchmark (stock tfjs-webgpu vs SE Zoo's webgpu kernels vs PyTorch).
#   pnpm bench:gpu                 build and pack .devcarry/, then print the device call to make
#   pnpm bench:gpu --smoke [ARGS]  the same at tiny sizes, run here on any WebGPU adapter
#                                  (lavapipe, the software Vulkan driver, will do); ARGS go to
#                                  both sides, e.g. --parts profile (default: kernels,models)
#   pnpm bench:gpu --collect DIR...  file device runs' results (each DIR holds <date>*.json and
#                                  table*.md): benchmarks/gpu/<date>*.json and the README table
#   pnpm bench:gpu --zoo [--smoke]   se-zoo bench on the GPU: see scripts/gpu/zoo.sh
#   pnpm bench:gpu --zoo-collect DIR...
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
case "${1:-}" in
  --zoo) shift; exec bash scripts/gpu/zoo.sh "$@" ;;
  --zoo-collect) shift; exec bash scripts/gpu/zoo.sh --collect "$@" ;;
esac
if [ "${1:-}" = "--collect" ]; then
  shift
  exec node scripts/gpu/collect.mjs "$@"
fi
TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@se/benchmarks --output-logs=errors-only
if [ "${1:-}" = "--smoke" ]; then
  shift
  bash scripts/gpu/pack.sh --smoke
  dir=$root/.devcarry-smoke
  if python3 -c 'import torch' 2>/dev/null; then
    python3 "$dir/gpu_reference.py" --smoke --workloads "$dir/plan.json" --out "$dir/torch.json" "$@"
  else
    echo "(no PyTorch here: the smoke run has no PyTorch column)"
    rm -f "$dir/torch.json"
  fi
  node "$dir/app.mjs" --smoke --torch "$dir/torch.json" --out "$dir/out" "$@" 2>&1 | grep -v artificially
  exit 0
fi
bash scripts/gpu/pack.sh
cat <<'TXT'

.devcarry/ is ready. On the GPU machine (the device tool's `run`, carry [".devcarry"]), in
calls of at most 10 minutes each, one per part:
  bash .devcarry/device.sh --parts kernels 2>&1
  bash .devcarry/device.sh --parts models 2>&1
  bash .devcarry/device.sh --parts grouped 2>&1   (grouped-convolution methods and variants)
  bash .devcarry/device.sh --parts profile 2>&1   (per-kernel time of a training step)
Then, here:
  pnpm bench:gpu --collect <files_at of each reply>...
TXT
