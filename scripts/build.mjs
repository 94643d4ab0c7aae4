#!/usr/bin/env node
// Bundles every entry point with esbuild: the extension host, the language servers, the debug
// adapter, the webviews (browser) and the CLI. Entries that do not exist yet are left out so the
// build grows with the code.
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const node = { platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'] };
const browser = { platform: 'browser', target: 'chrome114', format: 'iife' };

/** [entry, outfile, options] */
const entries = [
  ['extension/vscode/extension.ts', 'dist/extension.js', node],
  ['extension/servers/ethtool/server.ts', 'dist/servers/ethtool.js', node],
  ['extension/servers/xdp/server.ts', 'dist/servers/xdp.js', node],
  ['extension/vscode/debug/debugAdapter.ts', 'dist/debugAdapter.js', node],
  ['extension/core/worker/deviceWorker.ts', 'dist/deviceWorker.js', node],
  ['webview/trace/main.ts', 'dist/webview/trace.js', browser],
  ['webview/trace/trace.css', 'dist/webview/trace.css', browser],
  ['test/suite/index.ts', 'out/test/suite/index.js', node],
].filter(([entry]) => existsSync(entry));

mkdirSync('dist', { recursive: true });
const common = { bundle: true, sourcemap: true, minify: production, logLevel: 'warning', legalComments: 'none' };
const contexts = await Promise.all(entries.map(([entry, outfile, opts]) => esbuild.context({ entryPoints: [entry], outfile, ...common, ...opts })));
// The CLI: ES modules split per command (a command loads only its own code: start-up is most of a
// short run), entered through dist/cli.js, the `bin` the package names.
contexts.push(await esbuild.context({
  entryPoints: ['extension/cli/bin.ts'], outdir: 'dist/cli', splitting: true, format: 'esm', platform: 'node', target: 'node20',
  outExtension: { '.js': '.mjs' }, chunkNames: 'chunk-[hash]', ...common,
  // CommonJS packages inside (yaml) call require() for Node built-ins.
  banner: { js: "import { createRequire as __netvscRequire } from 'node:module'; const require = __netvscRequire(import.meta.url);" },
}));
writeFileSync('dist/cli.js', [
  '#!/usr/bin/env node',
  '// netvsc-lab: the CLI is the ES module dist/cli/bin.mjs and the chunks beside it (built by scripts/build.mjs).',
  "import(require('node:url').pathToFileURL(require('node:path').join(__dirname, 'cli', 'bin.mjs')).href);",
  '',
].join('\n'));

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${entries.length} bundles`);
} else {
  rmSync('dist/cli', { recursive: true, force: true }); // no chunks of an earlier build left behind
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
  writeFileSync('dist/.built', new Date().toISOString());
  console.log(`built ${entries.length} bundles${production ? ' (production)' : ''}`);
}
