#!/usr/bin/env bash
# On the GPU machine: `se-zoo bench` on WebGPU (Dawn on the NVIDIA Vulkan driver), the GPU
# run. One call may last 10 minutes, so the benchmark runs for SE_ZOO_MINUTES (default 8.5) and
# is then stopped; every finished epoch is kept (atomic checkpoints) and the next call resumes it.
#   bash .devcarry-zoo/zoo-device.sh [se-zoo bench options]
# Reads Fashion-MNIST from /tmp/se-zoo-data (put there by .devcarry-data/stage.sh in the call
# before, on the same warm machine); keeps the results in /tmp/se-zoo-results and brings them back
# as $OUT/results.tar.gz (without the checkpoints of finished runs). A fresh machine resumes from
# .devcarry-zoo/resume/results.tar.gz, which `pnpm bench:gpu --zoo-collect` puts there.
set -uo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$dir/out}
data=${SE_ZOO_DATA:-/tmp/se-zoo-data}
results=${SE_ZOO_RESULTS:-/tmp/se-zoo-results}
mkdir -p "$out"
if [ ! -s "$data/train-images-idx3-ubyte.gz" ]; then
  echo "zoo-device.sh: no Fashion-MNIST in $data. Run 'bash .devcarry-data/stage.sh' (carry [\".devcarry-data\"]) first, then this call straight after, while the machine is still warm." >&2
  exit 2
fi
if [ ! -d "$results" ] && [ -f "$dir/resume/results.tar.gz" ]; then
  mkdir -p "$results" && tar -xzf "$dir/resume/results.tar.gz" -C "$results"
  echo "resuming from .devcarry-zoo/resume/results.tar.gz"
fi
mkdir -p "$results"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
fi
export SE_APP=$dir/bin/app.mjs
run=(bash "$dir/boot.sh")
[ -n "${SE_ZOO_LOCAL:-}" ] && run=(node "$SE_APP") # smoke runs here, with this machine's Node
timeout --signal=INT --kill-after=30 "$(awk "BEGIN { print ${SE_ZOO_MINUTES:-8.5} * 60 }")" \
  "${run[@]}" --backend webgpu bench --data-dir "$data" --out "$results/bench" "$@" 2>&1 |
  grep --line-buffered -v 'artificially reduced' | tee -a "$out/log"
status=${PIPESTATUS[0]}
[ "$status" = 124 ] && echo "stopped after ${SE_ZOO_MINUTES:-8.5} min: run the same call again to resume" | tee -a "$out/log"
# Finished runs need no checkpoint to be resumed or reported; an unfinished one does.
(cd "$results" && for f in bench/runs/*/final.json; do [ -f "$f" ] && echo "./$(dirname "$f")/checkpoint.safetensors"; done) >"$out/.exclude"
tar -czf "$out/results.tar.gz" -C "$results" --exclude-from="$out/.exclude" .
rm -f "$out/.exclude"
ls -la "$out"
exit "$status"
