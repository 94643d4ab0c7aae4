#!/usr/bin/env node
// `npm run demo`: builds the extension and opens the examples/ workspace with it.
// - With a desktop VS Code on PATH (`code`): `code --extensionDevelopmentPath=<repo> examples`.
// - Otherwise: VS Code in the browser (code-server from npm, cached by test/e2e/setup.mjs) with the
//   freshly packaged .vsix installed, on 127.0.0.1; prints the URL and runs until Ctrl+C.
//   `npm run demo -- --port 8080` picks the port (default: a free one); `--code-server` skips `code`.
import { spawnSync } from 'node:child_process';
import { setInterval } from 'node:timers';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');
const examples = join(repo, 'examples');
const args = process.argv.slice(2);
const portArg = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 0;
if (!Number.isInteger(portArg) || portArg < 0 || portArg > 65535) {
  console.error('netvsc-lab demo: --port needs a port number (0-65535)');
  process.exit(2);
}

function step(name, cmd, cmdArgs) {
  console.log(`── ${name}`);
  const r = spawnSync(cmd, cmdArgs, { cwd: repo, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`netvsc-lab demo: ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status || 1);
  }
}

const hasCode = !args.includes('--code-server') && spawnSync('sh', ['-c', 'command -v code'], { stdio: 'ignore' }).status === 0;
if (hasCode) {
  step('build', process.execPath, [join(repo, 'scripts', 'build.mjs')]);
  console.log('── opening examples/ in VS Code with the extension under development');
  const r = spawnSync('code', [`--extensionDevelopmentPath=${repo}`, examples], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// code-server: Node 24 + code-server from the npm registry, cached outside the repository.
const { ensureCodeServer, SetupError } = await import('../test/e2e/setup.mjs');
try {
  ensureCodeServer();
} catch (e) {
  console.error(e instanceof SetupError ? e.message : e);
  process.exit(1);
}
step('package (production build + .vsix)', 'npm', ['run', '--silent', 'package']);
const vsix = join(repo, 'netvsc-lab.vsix');
if (!existsSync(vsix)) {
  console.error(`netvsc-lab demo: npm run package did not produce ${vsix}`);
  process.exit(1);
}

// The harness (TypeScript) is loaded through tsx, a devDependency `npm ci` installs.
const { tsImport } = await import('tsx/esm/api');
const { CodeServer } = await tsImport('../test/e2e/codeServer.ts', import.meta.url);
console.log('── starting code-server');
const server = await CodeServer.start({ label: 'demo', vsix, port: portArg });
const url = `${server.url}/?folder=${encodeURIComponent(examples)}`;
console.log(`\nNetVSC Lab is running in VS Code for the browser (code-server ${server.install.codeServerVersion}).`);
console.log(`Open:  ${url}`);
console.log('(It listens on 127.0.0.1 only; from another machine use ssh -L. Press Ctrl+C to stop.)\n');

const stop = async () => {
  console.log('\nstopping code-server…');
  await server.stop();
  process.exit(0);
};
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
setInterval(() => {}, 1 << 30); // keep running until a signal
