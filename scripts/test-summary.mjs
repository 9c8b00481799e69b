#!/usr/bin/env node
// Sums the JSON reports that each workspace package's vitest wrote (scripts/test.sh runs
// `vitest run --reporter=default --reporter=json --outputFile=test-results/vitest.json` in every
// package through turbo) and prints one line, `N passed, N failed`, last.
//
// The line never says `0 failed` when something did not run or crashed:
// - a test that never finished (its worker crashed, e.g. out of memory) counts as failed;
// - a test file that failed before any of its tests ran (an import or syntax error) counts as one
//   failed test, and so does a package with a `test` script that left no report;
// - a package whose vitest exited non-zero (per turbo's run summary, `turbo run --summarize`)
//   although its report shows no failure (an unhandled error) counts as one failed test.
// Exits 1 when anything failed.
//
// Usage: node scripts/test-summary.mjs [report path inside each package, default
// test-results/vitest.json] [turbo run summary, default: the newest .turbo/runs/*.json]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const reportPath = process.argv[2] ?? 'test-results/vitest.json';

/** Exit codes of the `test` tasks by package name, from turbo's newest run summary. */
function turboExitCodes(summaryPath) {
  let file = summaryPath;
  if (!file) {
    const runs = join(root, '.turbo', 'runs');
    if (!existsSync(runs)) return new Map();
    const newest = readdirSync(runs)
      .filter((name) => name.endsWith('.json'))
      .map((name) => ({ name, time: statSync(join(runs, name)).mtimeMs }))
      .sort((a, b) => b.time - a.time)[0];
    if (!newest) return new Map();
    file = join(runs, newest.name);
  }
  const summary = JSON.parse(readFileSync(file, 'utf8'));
  const codes = new Map();
  for (const task of summary.tasks ?? []) {
    if (task.task === 'test' && typeof task.execution?.exitCode === 'number') {
      codes.set(task.package, task.execution.exitCode);
    }
  }
  return codes;
}

const exitCodes = turboExitCodes(process.argv[3]);

/** Directories of the workspace packages (pnpm-workspace.yaml: packages/*, apps/*, benchmarks). */
function workspacePackages() {
  const dirs = [join(root, 'benchmarks')].filter((dir) => existsSync(join(dir, 'package.json')));
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(join(base, entry.name, 'package.json'))) {
        dirs.push(join(base, entry.name));
      }
    }
  }
  return dirs.sort();
}

let passed = 0;
let failed = 0;
const problems = [];

for (const dir of workspacePackages()) {
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  if (!manifest.scripts?.test) continue;
  const name = manifest.name ?? relative(root, dir);
  const file = join(dir, reportPath);
  if (!existsSync(file)) {
    failed += 1;
    problems.push(`${name}: no test report at ${relative(root, file)} (its tests did not run)`);
    continue;
  }
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    failed += 1;
    problems.push(`${name}: unreadable test report ${relative(root, file)}: ${error.message}`);
    continue;
  }
  const brokenFiles = (report.testResults ?? []).filter(
    (result) => result.status === 'failed' && (result.assertionResults ?? []).length === 0,
  );
  for (const result of brokenFiles) {
    problems.push(`${name}: ${relative(root, result.name)} failed to run: ${result.message ?? ''}`);
  }
  const packagePassed = report.numPassedTests ?? 0;
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  const unfinished = Math.max(
    0,
    (report.numTotalTests ?? 0) - packagePassed - (report.numFailedTests ?? 0) - skipped,
  );
  if (unfinished > 0) {
    problems.push(`${name}: ${unfinished} test(s) never finished (a crashed or killed worker?)`);
  }
  let packageFailed = (report.numFailedTests ?? 0) + brokenFiles.length + unfinished;
  const exitCode = exitCodes.get(name);
  if (packageFailed === 0 && exitCode !== undefined && exitCode !== 0) {
    packageFailed = 1;
    problems.push(
      `${name}: vitest exited with code ${exitCode} although no test failed (see its log)`,
    );
  }
  passed += packagePassed;
  failed += packageFailed;
  console.log(
    `  ${name}: ${packagePassed} passed, ${packageFailed} failed` +
      (skipped > 0 ? `, ${skipped} skipped` : ''),
  );
}

for (const problem of problems) console.log(`  ${problem.trim()}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
