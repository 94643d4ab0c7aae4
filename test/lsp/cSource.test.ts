// The C lexical helpers the XDP assists stand on, on inputs whose answers are counted by hand; and
// the committed helper table against the header it is generated from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callContextAt, classify, CODE, COMMENT, LITERAL, isXdpSource, xdpMdVariables, xdpPrograms } from '../../extension/core/lsp/cSource';
import { BPF_HELPER_DEFS } from '../../extension/core/lsp/bpfHelperDefs';
import { helperPrototype } from '../../extension/core/lsp/xdpAssist';

test('classify: line comments with a splice, block comments, strings with escaped quotes, char literals', () => {
  const src = 'a // c \\\nstill comment\nb "x\\"y" \'"\' /* z */ c';
  const cls = classify(src);
  const at = (needle: string) => cls[src.indexOf(needle)];
  assert.equal(at('a'), CODE);
  assert.equal(at('still'), COMMENT); // the backslash-newline continues the // comment
  assert.equal(at('b'), CODE);
  assert.equal(at('y"'), LITERAL);
  assert.equal(at('\'"\''), LITERAL);
  assert.equal(at('z'), COMMENT);
  assert.equal(cls[src.length - 1], CODE);
});

test('XDP programs: definitions only, SEC in comments and strings ignored, maps and license skipped', () => {
  const src = [
    '// SEC("xdp") int fake(struct xdp_md *c) { return 0; }',
    'const char *s = "SEC(\\"xdp\\")";',
    'SEC("xdp") int declared_only(struct xdp_md *ctx);',
    'struct { int x; } m SEC(".maps");',
    'SEC("xdp.frags")',
    'int',
    'frags_prog(struct xdp_md *ctx /* (nested) */)',
    '{ return 2; }',
    'SEC("xdp/other") int other(struct xdp_md *const c) { return 1; }',
    'char LICENSE[] SEC("license") = "GPL";',
  ].join('\n');
  const cls = classify(src);
  assert.deepEqual(xdpPrograms(src, cls).map((p) => [p.section, p.functionName]), [['xdp.frags', 'frags_prog'], ['xdp/other', 'other']]);
  assert.equal(isXdpSource(src), true);
  assert.equal(isXdpSource('// SEC("xdp")\nint main(void) { return 0; }'), false);
  assert.deepEqual([...xdpMdVariables(src, cls)].sort(), ['c', 'ctx']);
});

test('call context: nested calls and brackets do not count as arguments', () => {
  const src = 'x = bpf_map_update_elem(&m, foo(a, b), arr[i, j';
  const cls = classify(src);
  // Inside arr[...]: no call context (a subscript is not an argument list).
  assert.equal(callContextAt(src, cls, src.length), undefined);
  const src2 = 'x = bpf_map_update_elem(&m, foo(a, b), arr[1], ';
  assert.deepEqual(callContextAt(src2, classify(src2), src2.length), { name: 'bpf_map_update_elem', argIndex: 3, open: src2.indexOf('(') });
  const src3 = 'if (x) { y = bpf_redirect(';
  assert.deepEqual(callContextAt(src3, classify(src3), src3.length)?.name, 'bpf_redirect');
  const src4 = 'f(a); g';
  assert.equal(callContextAt(src4, classify(src4), src4.length), undefined);
});

test('the helper table holds every helper of bpf_helper_defs.h with its prototype', () => {
  const header = readFileSync('/usr/include/bpf/bpf_helper_defs.h', 'utf8');
  const protos = header.split('\n').filter((l) => l.startsWith('static ') && l.includes('= (void *)'));
  assert.equal(BPF_HELPER_DEFS.length, protos.length);
  // Each header line, rewritten by hand-rule `static R (*N)(P) = (void *) ID;` -> `R N(P)`, is our prototype.
  for (const line of protos) {
    const m = /^static (.+?)\(\*(\w+)\)\((.*)\) = \(void \*\) (\d+);$/.exec(line)!;
    const h = BPF_HELPER_DEFS.find((x) => x.name === m[2]);
    assert.ok(h, m[2]);
    assert.equal(h.id, Number(m[4]));
    assert.equal(helperPrototype(h), `${m[1].trim().endsWith('*') ? m[1].trim() : m[1].trim() + ' '}${m[2]}(${m[3]})`);
  }
});

test('the committed table is exactly what scripts/gen-helper-defs.mjs generates from the installed header', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'netvsc-gen-')), 'defs.ts');
  execFileSync(process.execPath, ['scripts/gen-helper-defs.mjs', '/usr/include/bpf/bpf_helper_defs.h', out]);
  assert.equal(readFileSync(out, 'utf8'), readFileSync('extension/core/lsp/bpfHelperDefs.ts', 'utf8'));
});
