// `netvsc-lab bpf exec`: in-process through the dispatcher, and once through a real bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';

const fixtures = join(__dirname, 'fixtures');

test('one file: PASS, exit 0', async () => {
  const io = memoryIO(fixtures);
  assert.equal(await main(['bpf', 'exec', 'mul64-cross.data'], io), 0);
  assert.equal(io.stdout, 'PASS\n');
});

test('several files: prefixed lines, exit 1 when one fails, with the reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfexec-'));
  try {
    writeFileSync(join(dir, 'wrong.data'), '-- asm\nmov %r0, 2\nexit\n-- result\n0x3\n');
    writeFileSync(join(dir, 'bad.data'), '-- asm\nmov %r0, 2\nfoo %r1\nexit\n-- result\n0x2\n');
    const io = memoryIO(dir);
    const code = await main(['bpf', 'exec', join(fixtures, 'alu64-carry.data'), 'wrong.data', 'bad.data', 'missing.data'], io);
    assert.equal(code, 1);
    assert.deepEqual(io.stdout.trim().split('\n'), [
      `${join(fixtures, 'alu64-carry.data')}: PASS`,
      'wrong.data: FAIL: interpreter: r0 = 0x2, expected 0x3; jit: r0 = 0x2, expected 0x3',
      "bad.data: FAIL: interpreter: line 3:1: unknown mnemonic 'foo'; jit: line 3:1: unknown mnemonic 'foo'",
      'missing.data: FAIL: cannot read missing.data: ENOENT',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage mistakes exit 2 with the usage', async () => {
  const io = memoryIO(fixtures);
  assert.equal(await main(['bpf', 'exec'], io), 2);
  assert.match(io.stderr, /no \.data file given\nUsage: netvsc-lab bpf exec/);
  const io2 = memoryIO(fixtures);
  assert.equal(await main(['bpf', 'exec', '--engine', 'gpu', 'x.data'], io2), 2);
});

test('the bundled CLI runs the fixtures and reports a fault from a spawned process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bpfexec-bundle-'));
  try {
    const out = join(dir, 'cli.js');
    await esbuild.build({ entryPoints: [join(__dirname, '../../../extension/cli/main.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, logLevel: 'silent' });
    const r = spawnSync(process.execPath, [out, 'bpf', 'exec', '--engine', 'jit', 'ipv4-checksum.data', 'oob-read.data', 'endless-loop.data'], { cwd: fixtures, encoding: 'utf8' });
    assert.equal(r.stdout, 'ipv4-checksum.data: PASS\noob-read.data: PASS\nendless-loop.data: PASS\n', r.stderr);
    assert.equal(r.status, 0);
    writeFileSync(join(dir, 'f.data'), '-- asm\nldxw %r0, [%r1+2]\nexit\n-- mem\n01 02 03 04\n-- result\n0x0\n');
    const f = spawnSync(process.execPath, [out, 'bpf', 'exec', '--engine', 'interpreter', join(dir, 'f.data')], { encoding: 'utf8' });
    assert.equal(f.status, 1);
    assert.equal(f.stdout, 'FAIL: invalid read of 4 bytes at pkt+0x102 (outside the accessible part of pkt) at insn 0\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
