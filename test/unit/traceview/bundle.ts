// Bundles the viewer (trace.js, trace.css) — and, when asked, the CLI — into a folder with the
// same esbuild options as scripts/build.mjs, so tests run the code a user runs without
// rebuilding every bundle of the project.
import * as esbuild from 'esbuild';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

export async function buildViewerBundle(outDir: string, opts: { cli?: boolean } = {}): Promise<void> {
  const common = { bundle: true, sourcemap: true, logLevel: 'warning' as const, legalComments: 'none' as const, absWorkingDir: ROOT };
  await Promise.all([
    esbuild.build({ ...common, entryPoints: ['webview/trace/main.ts'], outfile: join(outDir, 'webview/trace.js'), platform: 'browser', target: 'chrome114', format: 'iife' }),
    esbuild.build({ ...common, entryPoints: ['webview/trace/trace.css'], outfile: join(outDir, 'webview/trace.css') }),
    ...(opts.cli ? [esbuild.build({ ...common, entryPoints: ['extension/cli/main.ts'], outfile: join(outDir, 'cli.js'), platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'] })] : []),
  ]);
}
