#!/usr/bin/env bash
# Runs on the GPU machine (which has CUDA and Python but no Node.js, no npm registry and no Vulkan
# loader): unpacks Node, Dawn and the Vulkan loader that scripts/gpu/pack.sh put in .devcarry/,
# then runs the bundled app on the NVIDIA Vulkan driver.
#   bash .devcarry/boot.sh [ARGS...]     (ARGS go to the app)
# SE_APP names another bundle (default: app.mjs beside this script); Dawn is unpacked into the
# dist/linux-x64/ beside the bundle, where the bundled `webgpu` package looks for it.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /tmp/se-node/node ]; then mkdir -p /tmp/se-node && xz -dc "$dir/node.xz" > /tmp/se-node/node && chmod +x /tmp/se-node/node; fi
app=${SE_APP:-$dir/app.mjs}
addon=$(dirname "$app")/dist/linux-x64
mkdir -p "$addon"
[ -s "$addon/dawn.node" ] || xz -dc "$dir/dawn.node.xz" > "$addon/dawn.node"
if ! ldconfig -p | grep -q libvulkan.so.1; then for f in "$dir"/debs/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=${VK_DRIVER_FILES:-/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json}
fi
export PATH=/tmp/se-node:$PATH
cd "$dir/.."
exec node "$app" "$@"
