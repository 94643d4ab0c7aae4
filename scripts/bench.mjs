#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (or one: `npm run bench -- ebpf`). Each prints its
// own figures beside the reference (bpftool, tshark, ...) measured in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const filter = process.argv[2];
const files = readdirSync('bench').filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();
if (files.length === 0) { console.error(`no benchmarks${filter ? ` matching '${filter}'` : ''}`); process.exit(2); }
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', `bench/${f}`], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`${f} failed (exit ${r.status ?? r.signal})`); }
}
process.exit(failed ? 1 : 0);
