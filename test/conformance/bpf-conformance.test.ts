// Every file of the bpf_conformance suite through our assembler, the interpreter and the JIT;
// every file of negative/ rejected. Run by `npm run test:conformance` (scripts/test-conformance.mjs),
// which sets NETVSC_CONFORMANCE_DIR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConformance, runConformance } from '../../extension/core/ebpf/conformance';
import { interpreter } from '../../extension/core/ebpf/interpreter';
import { jit } from '../../extension/core/ebpf/jit';

const root = process.env.NETVSC_CONFORMANCE_DIR;
if (!root || !existsSync(join(root, 'bpf_conformance', 'tests'))) {
  throw new Error(`NETVSC_CONFORMANCE_DIR (${root ?? 'unset'}) does not hold bpf_conformance/tests; run \`npm run test:conformance -- --data DIR\``);
}
const testsDir = join(root, 'bpf_conformance', 'tests');
const negDir = join(root, 'bpf_conformance', 'negative');
const testFiles = readdirSync(testsDir).filter((f) => f.endsWith('.data')).sort();
const negFiles = readdirSync(negDir).filter((f) => f.endsWith('.data')).sort();

test('the suite has 313 tests and 60 negative tests', () => {
  assert.equal(testFiles.length, 313);
  assert.equal(negFiles.length, 60);
});

for (const engine of [interpreter, jit]) {
  test(`all 313 conformance tests pass on the ${engine.name}`, () => {
    const failures: string[] = [];
    for (const f of testFiles) {
      const text = readFileSync(join(testsDir, f), 'utf8');
      const r = runConformance(text, engine);
      if (!r.pass) failures.push(`${f}: ${r.why}`);
      else assert.equal(r.r0, parseConformance(text).result, f);
    }
    assert.deepEqual(failures, []);
  });
}

test('all 60 negative files are rejected, each for a reason we can name', () => {
  for (const f of negFiles) {
    const text = readFileSync(join(negDir, f), 'utf8');
    for (const engine of [interpreter, jit]) {
      const r = runConformance(text, engine);
      // Rejected = refused by the parser/assembler/loader (with a message), or a run whose result
      // contradicts what the file claims.
      const refused = r.rejected === 'parse' || r.rejected === 'assemble' || r.rejected === 'load';
      assert.ok(refused || !r.pass, `${f} was accepted by the ${engine.name}: ${r.why}`);
      assert.ok(r.why.length > 0, `${f}: a reason is given`);
      if (r.rejected === 'assemble') assert.match(r.why, /^line \d+:\d+: /, `${f}: assembler errors name line:column`);
    }
  }
});

test('negative files fail for the reasons their names describe', () => {
  const why = (f: string): string => runConformance(readFileSync(join(negDir, f), 'utf8'), interpreter).why;
  assert.match(why('invalid_lock.data'), /Invalid number of operands for lock/);
  assert.match(why('invalid_register.data'), /invalid register '%r50'/);
  assert.match(why('invalid_imm32_dec_range.data'), /2147483648 does not fit in 32 bits/);
  assert.match(why('invalid_label.data'), /unknown label 'NOT_A_LABEL'/);
  assert.match(why('invalid_offset_range.data'), /does not fit in 16 bits/);
  assert.match(why('unused-exit-imm.data'), /BPF_EXIT uses reserved fields at insn 0/);
  assert.match(why('unused-mov64_reg-imm.data'), /BPF_MOV uses reserved fields/);
  assert.match(why('incorrect_return_value_high_bits.data'), /r0 = 0x8877665544332211, expected 0x8977665544332211/);
});
