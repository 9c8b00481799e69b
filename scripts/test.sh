#!/usr/bin/env bash
# Every check of SE Zoo, from a clean clone: install (frozen lockfile), build, lint (Biome, with
# formatting), typecheck, the API documentation (TypeDoc, warnings are errors), the doc examples,
# the packages as published (pack, install alone, run), the release (changesets) and the tests of
# every workspace package, the browser demo's included. Ends with one line `N passed, N failed`
# summed over the packages' vitest reports, and exits non-zero when any step or test failed.
#
#   bash scripts/test.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TURBO_TELEMETRY_DISABLED=1

# shellcheck source=lib/setup.sh
source scripts/lib/setup.sh

# Where each package's vitest writes its JSON report (gitignored; a turbo output of `test`).
readonly REPORT=test-results/vitest.json
failed_steps=()

# step NAME COMMAND...: runs a step, records a failure and returns its status.
step() {
  local name=$1
  shift
  local start=$SECONDS
  echo
  echo "==> ${name}: $*"
  if "$@"; then
    echo "<== ${name} passed ($((SECONDS - start)) s)"
  else
    local status=$?
    echo "<== ${name} FAILED (exit ${status}, $((SECONDS - start)) s)"
    failed_steps+=("${name}")
    return "${status}"
  fi
}

step pnpm ensure_pnpm || exit 1
# Real Fashion-MNIST for the loader's test on the real files; Chromium to check the report renders
# and to drive the browser demo (apps/demo).
step debian ensure_debian_packages dataset-fashion-mnist chromium
# Mesa's software Vulkan driver, so that @se/backends' WebGPU kernels are tested without a GPU.
step lavapipe ensure_lavapipe
echo "pnpm $(pnpm --version), node $(node --version)"
step install pnpm install --frozen-lockfile || exit 1

# The other steps still run after a failure, so that one run reports everything that is wrong.
step build pnpm build
step lint pnpm lint
step typecheck pnpm typecheck
# `pnpm run docs`, not `pnpm docs`: pnpm hands `docs` to npm (`npm docs` opens a browser URL).
step docs pnpm run docs
# The site as a reader sees it: the model gallery is the generated one, the landing page, a guide,
# the gallery and a factory's page render in headless Chromium (screenshots in
# docs/site-screenshots/, kept as artifacts), and every internal link and anchor resolves.
step docs-check node scripts/docs/check.mjs
# No module imports itself through others (madge over every package's sources).
step circles pnpm check-circles
# Every TSDoc @example compiles against the built packages' type declarations.
step examples pnpm check-examples
# Each published package, packed and installed alone with npm (no workspace), builds its models.
step pack pnpm pack-check
# `changeset version`, in a temp copy, releases every published package with a changelog.
step changesets pnpm changeset-check

rm -rf packages/*/test-results apps/*/test-results benchmarks/test-results .turbo/runs
# --continue=dependencies-successful: one package's failing tests do not stop the others'.
# --summarize: .turbo/runs/*.json records each package's exit code for the summary below.
# --concurrency=2: two packages' suites at a time (each runs its files in parallel itself); more
# only makes the CPU-bound suites of a 2-core box wait on each other.
step test pnpm test --continue=dependencies-successful --summarize --concurrency=2 -- \
  --reporter=default --reporter=json --outputFile="${REPORT}"

echo
echo "==> test results"
if ! summary=$(node scripts/test-summary.mjs "${REPORT}"); then
  [[ " ${failed_steps[*]} " == *' test '* ]] || failed_steps+=(test)
fi
if [[ -z ${summary} ]]; then
  echo 'scripts/test-summary.mjs printed nothing'
  summary='0 passed, 1 failed'
  failed_steps+=(test-summary)
fi
if [[ ${#failed_steps[@]} -gt 0 ]]; then
  echo "FAILED steps: ${failed_steps[*]}"
fi
echo "${summary}"
[[ ${#failed_steps[@]} -eq 0 ]]
