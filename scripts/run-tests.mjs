// Runs the compiled tests with node's test runner. Node 20 takes no globs, so the files are
// listed here. Usage: node scripts/run-tests.mjs [unit|cli|integration|e2e|security ...]
// (no argument: every suite). Suites are folders: unit tests sit next to the sources in
// dist/src; the others live in dist/test/<suite>.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SUITES = { unit: 'dist/src', cli: 'dist/test/cli', integration: 'dist/test/integration', e2e: 'dist/test/e2e', security: 'dist/test/security', support: 'dist/test/support', apiserver: 'dist/test/apiserver' };

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return testFiles(p);
    return name.endsWith('.test.js') ? [p] : [];
  });
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((s) => !(s in SUITES));
if (unknown.length > 0) {
  process.stderr.write(`unknown suite(s): ${unknown.join(', ')}; choose from ${Object.keys(SUITES).join(', ')}\n`);
  process.exit(2);
}
const files = (wanted.length > 0 ? wanted : Object.keys(SUITES)).flatMap((s) => testFiles(SUITES[s])).sort();
if (files.length === 0) {
  process.stderr.write('no test files found: run "npm run build" first\n');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-reporter=spec', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
