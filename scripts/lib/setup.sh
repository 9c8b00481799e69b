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
