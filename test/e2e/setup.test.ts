// The cached code-server install: complete installs are recognised, half-done or foreign ones are
// not (so setup.mjs redoes them), and what the cache holds really is Node 24 + code-server 4.139.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CODE_SERVER_VERSION, codeServerPaths, ensureCodeServer, installedCodeServer } from './setup.mjs';

test('a cache folder without the completion marker, or with another version in it, is not an install', () => {
  const dir = mkdtempSync(join(tmpdir(), 'netvsc-e2e-setup-'));
  try {
    const p = codeServerPaths(dir);
    // What an interrupted run leaves: the binaries, no marker.
    for (const f of [p.node, p.entry]) { mkdirSync(dirname(f), { recursive: true }); writeFileSync(f, ''); }
    assert.equal(installedCodeServer(dir), undefined);
    writeFileSync(p.marker, JSON.stringify({ nodeVersion: 'v24.0.0', codeServerVersion: '4.0.0' }));
    assert.equal(installedCodeServer(dir), undefined, 'a marker of another code-server version');
    writeFileSync(p.marker, '{ not json');
    assert.equal(installedCodeServer(dir), undefined, 'a corrupt marker');
    writeFileSync(p.marker, JSON.stringify({ nodeVersion: 'v24.1.0', codeServerVersion: CODE_SERVER_VERSION }));
    assert.equal(installedCodeServer(dir)?.nodeVersion, 'v24.1.0');
    rmSync(p.entry);
    assert.equal(installedCodeServer(dir), undefined, 'a marker whose files are gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the cached install runs: Node 24 and code-server 4.139.1, and a second set-up is a no-op', () => {
  const first = ensureCodeServer({ quiet: true });
  const again = ensureCodeServer({ quiet: true });
  assert.deepEqual(again, first);
  const node = spawnSync(first.node, ['--version'], { encoding: 'utf8' });
  assert.match(node.stdout, /^v24\./);
  assert.equal(node.stdout.trim(), first.nodeVersion);
  const cs = spawnSync(first.node, [first.entry, '--version'], { encoding: 'utf8', env: { ...process.env, XDG_CONFIG_HOME: join(first.dir, 'xdg-config') } });
  assert.equal(cs.status, 0, cs.stderr);
  assert.match(cs.stdout, new RegExp(`^${CODE_SERVER_VERSION.replace(/\./g, '\\.')} `, 'm'));
  // Native modules were built against Node 24's headers (not the system Node 20's): they load.
  const argon2 = spawnSync(first.node, ['-e', `require(${JSON.stringify(join(dirname(first.codeServerDir), 'argon2'))})`], { encoding: 'utf8' });
  assert.equal(argon2.status, 0, `argon2 does not load under Node 24: ${argon2.stderr}`);
  // The ones code-server's postinstall compiles with node-gyp (a Node 20 ABI would fail here with
  // a NODE_MODULE_VERSION mismatch).
  const vscodeModules = join(first.codeServerDir, 'lib', 'vscode', 'node_modules');
  for (const m of ['kerberos/build/Release/kerberos.node', '@vscode/spdlog/build/Release/spdlog.node', '@vscode/sqlite3/build/Release/vscode-sqlite3.node', '@vscode/native-watchdog/build/Release/watchdog.node']) {
    const r = spawnSync(first.node, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(join(vscodeModules, m))})`], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${m} does not load under Node 24: ${r.stderr.split('\n').find((l) => l.includes('Error')) ?? r.stderr}`);
  }
});
