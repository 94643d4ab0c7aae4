#!/usr/bin/env node
// `npm test`: type-check, lint, build, package, then every suite in ONE node:test run, so the
// output ends with the runner's own summary. `--only NAME` runs one suite folder (unit, lsp, dap,
// webview, e2e, ...) without the checks, for development.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureSystemDeps } from './ensure-system-deps.mjs';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const SUITES = ['unit', 'lsp', 'dap', 'webview', 'e2e'];

function step(name, cmd, cmdArgs, env = {}) {
  console.log(`\n── ${name}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) {
    console.error(`netvsc-lab: ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(p));
    else if (/\.test\.(ts|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

const suites = only ? [only] : SUITES;
for (const s of suites) if (!SUITES.includes(s)) { console.error(`unknown suite ${s}; one of ${SUITES.join(', ')}`); process.exit(2); }

ensureSystemDeps();
if (!only) {
  step('type-check', 'npx', ['tsc', '--noEmit', '-p', '.']);
  if (existsSync('webview')) step('type-check (webview)', 'npx', ['tsc', '--noEmit', '-p', 'tsconfig.webview.json']);
  step('lint', 'npx', ['eslint', '.']);
}
step('build', 'node', ['scripts/build.mjs']);
if (suites.includes('e2e')) {
  step('package', 'npm', ['run', '--silent', 'package']);
  step('code-server', 'node', ['test/e2e/setup.mjs']);
}

const files = suites.flatMap((s) => testFiles(join('test', s)));
if (files.length === 0) { console.error('netvsc-lab: no test files found'); process.exit(1); }
console.log(`\n── tests (${files.length} files)`);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
