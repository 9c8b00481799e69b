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
