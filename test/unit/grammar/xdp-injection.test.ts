import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenize, scopeOf } from './tokenize';

// VS Code's own C grammar is not on npm; the injection only needs a host grammar named source.c
// with comments and strings, so that the "-comment -string" part of the selector is exercised.
const dir = mkdtempSync(join(tmpdir(), 'xdp-grammar-'));
const hostC = join(dir, 'c.json');
writeFileSync(hostC, JSON.stringify({
  scopeName: 'source.c',
  patterns: [
    { begin: '/\\*', end: '\\*/', name: 'comment.block.c' },
    { match: '//.*$', name: 'comment.line.double-slash.c' },
    { begin: '"', end: '"', name: 'string.quoted.double.c' },
  ],
}));
const pkg = { default: JSON.parse(readFileSync('package.json', 'utf8')) };

test('the manifest injects the XDP grammar into C', () => {
  const g = pkg.default.contributes.grammars.find((x: { scopeName: string }) => x.scopeName === 'source.c.xdp.injection');
  assert.ok(g, 'no injection grammar contributed');
  assert.deepEqual(g.injectTo, ['source.c']);
});

test('XDP injection scopes SEC names, actions, helpers and map definitions, not comments', async () => {
  const grammars = { 'source.c': hostC, 'source.c.xdp.injection': 'syntaxes/xdp-c.injection.tmLanguage.json' };
  const lines = await tokenize('source.c', grammars, [
    'struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __type(key, __u32); } counts SEC(".maps");',
    'SEC("xdp") int drop_udp(struct xdp_md *ctx) {',
    '  void *v = bpf_map_lookup_elem(&counts, &key);',
    '  return XDP_DROP; /* XDP_PASS in a comment */',
  ].join('\n'));
  assert.equal(scopeOf(lines[0], '__uint'), 'storage.modifier.map-field.xdp');
  assert.equal(scopeOf(lines[0], 'BPF_MAP_TYPE_PERCPU_ARRAY'), 'constant.language.map.xdp');
  assert.equal(scopeOf(lines[0], '.maps'), 'entity.name.section.xdp');
  assert.equal(scopeOf(lines[1], 'SEC'), 'keyword.other.sec.xdp');
  assert.equal(scopeOf(lines[1], 'xdp'), 'entity.name.section.xdp');
  assert.equal(scopeOf(lines[2], 'bpf_map_lookup_elem'), 'support.function.bpf-helper.xdp');
  assert.equal(scopeOf(lines[3], 'XDP_DROP'), 'constant.language.xdp-action.xdp');
  assert.ok(!lines[3].some((t) => t.text.includes('XDP_PASS') && t.scopes.includes('constant.language.xdp-action.xdp')),
    'action highlighted inside a comment');
});
