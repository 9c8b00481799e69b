#!/usr/bin/env bash
# `pnpm bench:gpu --zoo`: the GPU run of `se-zoo bench` (SE against plain on Fashion-MNIST,
# WebGPU through Dawn on the GPU machine). See benchmarks/zoo-gpu/README.md.
#   pnpm bench:gpu --zoo                 bundle the CLI, pack .devcarry-zoo/ (CLI, Node, Dawn,
#                                        Vulkan loader) and .devcarry-data/ (Fashion-MNIST), print
#                                        the device calls
#   pnpm bench:gpu --zoo --smoke [ARGS]  the same bundle, run here on any WebGPU adapter (Mesa's
#                                        lavapipe will do) on a few images
#   pnpm bench:gpu --zoo-collect DIR...  file the results a device reply brought back (DIR: its
#                                        files_at) in benchmarks/zoo-gpu/<date>/, and keep them
#                                        for resuming on a fresh machine
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
source scripts/gpu/runtime.sh

if [ "${1:-}" = "--collect" ]; then
  shift
  [ $# -gt 0 ] || { echo "usage: pnpm bench:gpu --zoo-collect DIR..." >&2; exit 2; }
  last=${!#}
  [ -f "$last/results.tar.gz" ] || { echo "no results.tar.gz in $last" >&2; exit 2; }
  # The newest reply holds everything so far (each call brings back the whole results directory).
  mkdir -p .devcarry-zoo/resume && cp "$last/results.tar.gz" .devcarry-zoo/resume/
  target=benchmarks/zoo-gpu/$(date -u +%F)
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  tar -xzf "$last/results.tar.gz" -C "$scratch"
  rm -rf "$target" && mkdir -p "$target/runs"
  for f in bench.json summary.json report.html; do
    [ -f "$scratch/bench/$f" ] && cp "$scratch/bench/$f" "$target/"
  done
  for run in "$scratch"/bench/runs/*/; do
    name=$(basename "$run")
    mkdir -p "$target/runs/$name"
    cp "$run"/metrics.jsonl "$run"/final.json "$target/runs/$name/" 2>/dev/null || true
  done
  for d in "$@"; do
    [ -f "$d/log" ] && cat "$d/log" >>"$target/log.txt"
    [ -f "$d/gpu.txt" ] && cp "$d/gpu.txt" "$target/gpu.txt"
  done
  if [ -f "$target/summary.json" ]; then
    echo "filed the finished benchmark in $target (report.html, summary.json, runs/*)"
  else
    echo "filed the runs so far in $target; the benchmark is not finished: run the zoo call again (it resumes from .devcarry-zoo/resume/ on a fresh machine)"
  fi
  exit 0
fi

smoke=false
if [ "${1:-}" = "--smoke" ]; then smoke=true; shift; fi
# SE_ZOO_SKIP_BUILD=1 bundles the packages as last built.
[ -n "${SE_ZOO_SKIP_BUILD:-}" ] || TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --filter=@se/bench... --output-logs=errors-only
out=$root/.devcarry-zoo
$smoke && out=$root/.devcarry-zoo-smoke
mkdir -p "$out/bin"
# The CLI, bundled with SE Zoo's packages, tfjs and the `webgpu` package's loader (which finds
# dawn.node in bin/dist/linux-x64/). The CLI reads its version from ../package.json, relative to
# the bundle.
bundle_node_app apps/bench/gpu/entry.ts "$out/bin/app.mjs"
cp apps/bench/package.json "$out/package.json"
cp scripts/gpu/zoo-device.sh "$out/"
dawn=$(find_dawn "$root/packages/backends")
[ -n "$dawn" ] || { echo "zoo.sh: no dawn.node; run pnpm install (the webgpu devDependency)" >&2; exit 2; }

if $smoke; then
  mkdir -p "$out/bin/dist/linux-x64"
  ln -sf "$dawn" "$out/bin/dist/linux-x64/dawn.node"
  data=${SE_ZOO_DATA_DIR:-/usr/share/datasets/fashion-mnist}
  rm -rf "$out/results" "$out/out"
  args=("$@")
  [ ${#args[@]} -gt 0 ] || args=(--models cnn --seeds 1 --epochs 1 --batch 32 --train-limit 128 --test-limit 128)
  SE_ZOO_LOCAL=1 SE_ZOO_DATA=$data SE_ZOO_RESULTS=$out/results OUT=$out/out \
    bash "$out/zoo-device.sh" "${args[@]}"
  exit $?
fi

pack_runtime "$out" "$dawn"
data=$root/.devcarry-data
src=${SE_ZOO_DATA_DIR:-/usr/share/datasets/fashion-mnist}
mkdir -p "$data"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -s "$src/$f.gz" ] || { echo "zoo.sh: no $src/$f.gz (install dataset-fashion-mnist, or set SE_ZOO_DATA_DIR)" >&2; exit 2; }
  cp "$src/$f.gz" "$data/"
done
(cd "$data" && sha256sum ./*.gz >SHA256SUMS)
cp scripts/gpu/zoo-stage.sh "$data/stage.sh"
du -sh "$out" "$data"
cat <<'TXT'

.devcarry-zoo/ and .devcarry-data/ are ready (they do not fit in one call together). On the GPU
machine, with the device tool's `run`, back to back while the machine stays warm:
  1. carry [".devcarry-data"]:  bash .devcarry-data/stage.sh
  2. carry [".devcarry-zoo"]:   bash .devcarry-zoo/zoo-device.sh --models resnet20,resnet56 --seeds 3 --epochs 10 --batch 128
     (it prints its time estimate first; `--full` is the whole protocol; it stops after 8.5 min
     and the same call again resumes it)
Then, here:
  pnpm bench:gpu --zoo-collect <files_at of the last reply>
TXT
