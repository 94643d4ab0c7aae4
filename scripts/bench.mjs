#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (or one: `npm run bench -- ebpf`). Each prints its
// own figures beside the reference (bpftool, tshark, ...) measured in the same run.
//
// Each benchmark is bundled with esbuild first and run by plain node, as users run the shipped
// bundles: under tsx's loader V8 adds checks to every typed-array access (measured: 25-33% on the
// eBPF engines), which is not the code anyone runs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as esbuild from 'esbuild';

/** Each module keeps its own __dirname/__filename in the bundle (benchmarks and helpers find fixtures by them). */
const moduleDirname = {
  name: 'module-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const src = await readFile(args.path, 'utf8');
      if (!/__dirname|__filename/.test(src)) return undefined;
      return { contents: `const __dirname = ${JSON.stringify(dirname(args.path))}; const __filename = ${JSON.stringify(args.path)};\n${src}`, loader: 'ts' };
    });
  },
};

const filter = process.argv[2];
const files = readdirSync('bench').filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter))).sort();
if (files.length === 0) { console.error(`no benchmarks${filter ? ` matching '${filter}'` : ''}`); process.exit(2); }
mkdirSync('out/bench', { recursive: true });
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const out = join('out/bench', f.replace(/\.ts$/, '.js'));
  await esbuild.build({
    entryPoints: [join('bench', f)], outfile: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    packages: 'external', sourcemap: true, logLevel: 'error', plugins: [moduleDirname],
  });
  const r = spawnSync(process.execPath, ['--expose-gc', '--enable-source-maps', out], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.error(`${f} failed (exit ${r.status ?? r.signal})`); }
}
process.exit(failed ? 1 : 0);
