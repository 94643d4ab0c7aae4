import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

test('--version prints the package version', async () => {
  const io = memoryIO();
  assert.equal(await main(['--version'], io), 0);
  assert.equal(io.stdout, `netvsc-lab ${pkg.version}\n`);
});

test('--help lists every command and exits 0', async () => {
  const io = memoryIO();
  assert.equal(await main(['--help'], io), 0);
  assert.match(io.stdout, /^Usage: netvsc-lab <command>/);
  const { COMMANDS } = await import('../../../extension/cli/commands/index');
  for (const c of COMMANDS) assert.ok(io.stdout.includes(`  ${c.name} `), `help lacks ${c.name}`);
  // The index dispatches by name without loading the modules: each name is its module's.
  for (const c of COMMANDS) assert.equal((await c.load()).name, c.name);
});

test('an unknown command or flag is one error line plus the usage, exit 2', async () => {
  for (const argv of [['frobnicate'], ['--frobnicate']]) {
    const io = memoryIO();
    assert.equal(await main(argv, io), 2);
    const lines = io.stderr.split('\n');
    assert.match(lines[0], new RegExp(`^netvsc-lab: unknown (command|option) '${argv[0]}'$`));
    assert.match(lines[1], /^Usage: netvsc-lab/);
    assert.equal(io.stdout, '');
  }
});

test('the bundled dist/cli.js is executable and answers like the module', () => {
  if (!existsSync('dist/cli.js')) execFileSync(process.execPath, ['scripts/build.mjs']);
  const v = spawnSync('dist/cli.js', ['--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0);
  assert.equal(v.stdout, `netvsc-lab ${pkg.version}\n`);
  const bad = spawnSync('dist/cli.js', ['nope'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown command 'nope'/);
});

test('the manifest declares what the foundation promises', () => {
  assert.equal(pkg.name, 'netvsc-lab');
  assert.equal(pkg.displayName, 'NetVSC Lab');
  assert.equal(pkg.main, './dist/extension.js');
  assert.equal(pkg.bin['netvsc-lab'], './dist/cli.js');
  // vscode-languageclient 11 needs ^1.91.0, and @types/vscode must not be newer than engines.vscode
  assert.equal(pkg.engines.vscode, '^1.91.0');
  assert.equal(pkg.devDependencies['@types/vscode'], '1.91.0');
  assert.ok(!pkg.activationEvents.includes('*') && !pkg.activationEvents.includes('onStartupFinished'));
  for (const c of pkg.contributes.commands) assert.equal(c.category, 'NetVSC', c.command);
  assert.ok(pkg.contributes.languages.some((l: { id: string; extensions: string[] }) => l.id === 'ethtool' && l.extensions.includes('.ethtool')));
  assert.ok(pkg.contributes.viewsContainers.activitybar.some((v: { id: string }) => v.id === 'netvsc'));
});

test('--help after `--` belongs to the emulated tool, before it to netvsc-lab', async () => {
  const ours = memoryIO();
  assert.equal(await main(['ethtool', '--help'], ours), 0);
  assert.match(ours.stdout, /^Usage: netvsc-lab ethtool/);
  const theirs = memoryIO();
  assert.equal(await main(['ethtool', '--', '-h'], theirs), 0);
  assert.match(theirs.stdout, /^ethtool version 6\.11/); // ethtool -h starts with its version line
});
