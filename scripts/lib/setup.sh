# shellcheck shell=bash
# Sourced by scripts/bootstrap.sh and scripts/test.sh.

# Makes `pnpm` available: installs the version package.json's "packageManager" names (a pnpm 10)
# with npm when it is missing. Corepack is not used: it cannot download pnpm where only the npm
# registry is reachable.
ensure_pnpm() {
  if command -v pnpm >/dev/null 2>&1; then
    return 0
  fi
  local version
  version=$(node -p "((require('./package.json').packageManager || '').match(/^pnpm@([^+]+)/) || [])[1] || '10'")
  echo "pnpm is not installed; installing pnpm@${version} with npm" >&2
  npm install -g "pnpm@${version}"
  hash -r
  if ! command -v pnpm >/dev/null 2>&1; then
    PATH="$(npm prefix -g)/bin:${PATH}"
    export PATH
  fi
  pnpm --version >/dev/null
}

# Installs Debian packages that are missing, where apt-get is available and we may use it
# (root). Elsewhere it prints what to install and carries on: tests that need them are skipped.
#   ensure_debian_packages PACKAGE...
ensure_debian_packages() {
  local missing=()
  local package
  for package in "$@"; do
    dpkg -s "${package}" >/dev/null 2>&1 || missing+=("${package}")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]]; then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "warning: please install the Debian packages ${missing[*]} (apt-get install ${missing[*]})" >&2
  fi
}

# Installs Mesa's lavapipe, a software Vulkan driver, so that WebGPU (Dawn, from the `webgpu` npm
# package) works without a GPU and @se/backends' WebGPU kernel tests run instead of being skipped.
# Dawn needs Mesa 25 (Debian bookworm-backports): bookworm's own Mesa 22 lavapipe is too old.
# Without apt-get or root it prints what to install and carries on (the tests are then skipped).
ensure_lavapipe() {
  local version
  version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  if [[ -n ${version} ]] && dpkg --compare-versions "${version}" ge 25 &&
    dpkg -s libvulkan1 >/dev/null 2>&1; then
    return 0
  fi
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  if ! command -v apt-get >/dev/null 2>&1 || [[ $(id -u) -ne 0 ]]; then
    echo "warning: the WebGPU tests need Mesa >= 25's lavapipe: apt-get install mesa-vulkan-drivers libvulkan1 (on Debian bookworm from bookworm-backports)" >&2
    return 0
  fi
  local release=()
  if [[ ${codename} == bookworm ]]; then
    local list=/etc/apt/sources.list.d/bookworm-backports.list
    grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ ||
      echo 'deb http://deb.debian.org/debian bookworm-backports main' >"${list}"
    release=(-t bookworm-backports)
  fi
  echo "installing Mesa's lavapipe (mesa-vulkan-drivers ${release[*]:-}) for the WebGPU tests" >&2
  apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${release[@]}" \
      mesa-vulkan-drivers libvulkan1
}
