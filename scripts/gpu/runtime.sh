# Sourced by scripts/gpu/pack.sh and scripts/gpu/zoo.sh (which set $root, the repository). The
# GPU machine has CUDA and Python but no Node.js, no npm registry and no Vulkan loader (only the
# NVIDIA driver): a bundled app needs this machine's `node` and Dawn's `dawn.node` (xz-compressed) and the loader's .deb beside it.
#   pack_runtime OUT DAWN     fills OUT with node.xz, dawn.node.xz, debs/ and boot.sh
pack_runtime() {
  local out=$1 dawn=$2
  mkdir -p "$out/debs"
  rm -rf "$out/dist"
  [ "$out/dawn.node.xz" -nt "$dawn" ] 2>/dev/null || xz -T2 -c "$dawn" >"$out/dawn.node.xz"
  [ -s "$out/node.xz" ] || xz -T2 -6 -c "$(command -v node)" >"$out/node.xz"
  if ! ls "$out"/debs/libvulkan1_*.deb >/dev/null 2>&1; then
    local lists
    lists=$(mktemp -d)
    mkdir -p "$lists/partial"
    local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists="$lists")
    apt-get "${o[@]}" update -qq 2>/dev/null
    (cd "$out/debs" && apt-get "${o[@]}" download libvulkan1 2>/dev/null)
    rm -rf "$lists"
  fi
  cp scripts/gpu/boot.sh "$out/"
}

# bundle_node_app ENTRY OUTFILE: ENTRY (TypeScript) and everything it imports as one ESM file for
# Node; require() is given for dawn.node, which the bundled `webgpu` package loads from the
# dist/linux-x64/ beside the bundle.
bundle_node_app() {
  "$root/benchmarks/node_modules/.bin/esbuild" "$1" --bundle --platform=node --format=esm \
    --target=node20 --outfile="$2" --log-level=warning \
    --banner:js="import { createRequire as __seCreateRequire } from 'module'; const require = __seCreateRequire(import.meta.url);"
}

# The path of Dawn's addon in the `webgpu` package installed under PACKAGE_DIR's node_modules.
find_dawn() {
  find -L "$1/node_modules/webgpu/dist/linux-x64" -name dawn.node 2>/dev/null | head -n1
}
