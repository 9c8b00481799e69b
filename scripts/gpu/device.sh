#!/usr/bin/env bash
# The whole GPU benchmark, on the GPU machine, in one call: PyTorch's reference figures first
# (gpu_reference.py), then SE Zoo's (the bundled benchmarks/src/gpu.ts), which adds the PyTorch ratios.
#   bash .devcarry/device.sh [--parts kernels|models|grouped|profile|kernels,models] [--models a,b]
#   bash .devcarry/device.sh --parts profile 2>&1    (per-kernel time of a training step)
# Writes under $OUT: torch.json, <date>.json, table.md and the logs.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$dir/out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | tee "$out/gpu.txt"
PYTHONUNBUFFERED=1 python3 "$dir/gpu_reference.py" --workloads "$dir/plan.json" --out "$out/torch.json" "$@" 2>&1 | tee "$out/torch.log"
bash "$dir/boot.sh" --torch "$out/torch.json" --out "$out" "$@" 2>&1 | tee "$out/log"
