#!/usr/bin/env bash
# On the GPU machine: copies the Fashion-MNIST files carried in .devcarry-data/ to /tmp/se-zoo-data
# (checked against SHA256SUMS), where .devcarry-zoo/zoo-device.sh reads them in the next call.
# The data and the runtime do not fit in one call's 64 MiB, hence two calls on one warm machine.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
data=${SE_ZOO_DATA:-/tmp/se-zoo-data}
mkdir -p "$data"
cp "$dir"/*.gz "$data/"
(cd "$data" && sha256sum -c "$dir/SHA256SUMS")
echo "Fashion-MNIST staged in $data"
