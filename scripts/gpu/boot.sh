#!/usr/bin/env bash
# Runs on the GPU machine (which has CUDA and Python but no Node.js, no npm registry and no Vulkan
# loader): unpacks Node, Dawn and the Vulkan loader that scripts/gpu/pack.sh put in .devcarry/,
# then runs the bundled app on the NVIDIA Vulkan driver.
#   bash .devcarry/boot.sh [ARGS...]     (ARGS go to the app)
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /tmp/se-node/node ]; then mkdir -p /tmp/se-node && xz -dc "$dir/node.xz" > /tmp/se-node/node && chmod +x /tmp/se-node/node; fi
mkdir -p "$dir/dist/linux-x64"
[ -s "$dir/dist/linux-x64/dawn.node" ] || xz -dc "$dir/dawn.node.xz" > "$dir/dist/linux-x64/dawn.node"
if ! ldconfig -p | grep -q libvulkan.so.1; then for f in "$dir"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
fi
export PATH=/tmp/se-node:$PATH
cd "$dir/.."
exec node "$dir/app.mjs" "$@"
