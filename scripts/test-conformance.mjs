#!/usr/bin/env node
// `npm run test:conformance`: runs test/conformance/*.test.ts against the bpf_conformance data
// (313 tests + 60 negative). The data is not part of the repository: it comes from
// `--data DIR`, else $NETVSC_CONFORMANCE_DIR, else ../shared/conformance beside the repository.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const at = args.indexOf('--data');
if (at >= 0 && !args[at + 1]) { console.error('test:conformance: --data needs a folder'); process.exit(2); }
const dir = resolve(at >= 0 ? args[at + 1] : process.env.NETVSC_CONFORMANCE_DIR || join(repo, '..', 'shared', 'conformance'));
const tests = join(dir, 'bpf_conformance', 'tests');
if (!existsSync(tests)) {
  console.error(`test:conformance: no conformance data at ${tests}\n` +
    'Point to the folder that holds bpf_conformance/{tests,negative} with --data DIR or NETVSC_CONFORMANCE_DIR=DIR.');
  process.exit(1);
}
const files = readdirSync(join(repo, 'test', 'conformance')).filter((f) => f.endsWith('.test.ts')).sort()
  .map((f) => join('test', 'conformance', f));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: repo, stdio: 'inherit', env: { ...process.env, NETVSC_CONFORMANCE_DIR: dir },
});
process.exit(r.status ?? 1);
