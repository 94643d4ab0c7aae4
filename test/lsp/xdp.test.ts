// The XDP language server over stdio with a real LSP client: completion, hover, signature help and
// CodeLens on XDP C; nothing on plain C (clangd's ground); clang diagnostics on save only when the
// workspace is trusted. Expected prototypes are bpf_helper_defs.h's, expected clang messages are
// what clang 14 prints for the same file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CompletionRequest, HoverRequest, SignatureHelpRequest, CodeLensRequest, ShowMessageNotification,
  type CompletionItem, type CompletionList, type MarkupContent, type ShowMessageParams,
} from 'vscode-languageserver-protocol/node';
import { LspClient } from './lspClient';

const XDP_SOURCE = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	__u32 key = ctx->rx_queue_index;
	__u64 one = 1;
	/* bpf_ in a comment */
	bpf_map_update_elem(&counts, &key, &one, BPF_ANY);
	return XDP_DROP;
}

SEC("xdp/second")
int xdp_second(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const dir = mkdtempSync(join(tmpdir(), 'netvsc-xdp-lsp-'));
let client: LspClient;

function items(r: CompletionItem[] | CompletionList | null): CompletionItem[] {
  if (!r) return [];
  return Array.isArray(r) ? r : r.items;
}

function fileUri(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return pathToFileURL(p).href;
}

/** Position of the `nth` occurrence of `needle` plus `delta` characters. */
function posOf(text: string, needle: string, delta = 0, nth = 1): { line: number; character: number } {
  let idx = -1;
  for (let i = 0; i < nth; i++) idx = text.indexOf(needle, idx + 1);
  assert.ok(idx >= 0, `${needle} not in text`);
  const before = text.slice(0, idx + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

before(async () => { client = await LspClient.start('xdp', { trusted: false, clangPath: 'clang' }); });
after(async () => { await client.stop(); });

test('completion of helpers uses bpf_helper_defs.h prototypes and ids', async () => {
  const text = XDP_SOURCE.replace('return XDP_PASS;', 'bpf_xdp_adj\n\treturn XDP_PASS;');
  const uri = fileUri('complete.c', text);
  await client.open(uri, 'c', text);
  const list = items(await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, 'bpf_xdp_adj', 11) }));
  const labels = list.map((i) => i.label).sort();
  assert.deepEqual(labels, ['bpf_xdp_adjust_head', 'bpf_xdp_adjust_meta', 'bpf_xdp_adjust_tail']);
  const head = list.find((i) => i.label === 'bpf_xdp_adjust_head')!;
  // bpf_helper_defs.h: static long (*bpf_xdp_adjust_head)(struct xdp_md *xdp_md, int delta) = (void *) 44;
  assert.equal(head.detail, 'long bpf_xdp_adjust_head(struct xdp_md *xdp_md, int delta)');
  const doc = head.documentation as string;
  assert.match(doc, /BPF helper #44/);
  assert.match(doc, /Adjust \(move\) \*xdp_md\*/);
  // The edit replaces the typed prefix.
  assert.deepEqual(head.textEdit && 'range' in head.textEdit ? head.textEdit.range.start : null, posOf(text, 'bpf_xdp_adj'));
});

test('completion after ctx-> lists struct xdp_md fields in uapi order', async () => {
  const text = XDP_SOURCE.replace('return XDP_PASS;', 'return ctx->;');
  const uri = fileUri('fields.c', text);
  await client.open(uri, 'c', text);
  const list = items(await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, 'ctx->;', 5) }));
  const sorted = [...list].sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
  assert.deepEqual(sorted.map((i) => i.label), ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex']);
  assert.equal(sorted[4].detail, '__u32 (offset 16)');
});

test('XDP actions and map flags complete with their uapi values', async () => {
  const text = XDP_SOURCE.replace('return XDP_PASS;', 'return XDP_;');
  const uri = fileUri('actions.c', text);
  await client.open(uri, 'c', text);
  const list = items(await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, 'XDP_;', 4) }));
  const actions = list.filter((i) => i.detail?.startsWith('enum xdp_action')).map((i) => `${i.label} ${i.detail}`).sort();
  assert.deepEqual(actions, [
    'XDP_ABORTED enum xdp_action = 0', 'XDP_DROP enum xdp_action = 1', 'XDP_PASS enum xdp_action = 2',
    'XDP_REDIRECT enum xdp_action = 4', 'XDP_TX enum xdp_action = 3',
  ]);
  assert.ok(list.some((i) => i.label === 'XDP_PACKET_HEADROOM' && i.detail === '= 256'));
});

test('inside SEC("…") the section names complete; inside comments nothing does', async () => {
  const text = XDP_SOURCE.replace('SEC("xdp/second")', 'SEC("xd")');
  const uri = fileUri('sec.c', text);
  await client.open(uri, 'c', text);
  const list = items(await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, 'SEC("xd")', 7) }));
  assert.deepEqual(list.map((i) => i.label).sort(), ['xdp', 'xdp.frags']);
  const inComment = items(await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, 'bpf_ in a comment', 4) }));
  assert.deepEqual(inComment, []);
});

test('a C file without SEC("xdp…") gets nothing: clangd owns plain C', async () => {
  const text = '#include <stdio.h>\nint bpf_like(void);\nint main(void) { bpf_ return 0; }\n';
  const uri = fileUri('plain.c', text);
  await client.open(uri, 'c', text);
  assert.deepEqual(items(await client.conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: posOf(text, 'bpf_ return', 4) })), []);
  assert.equal(await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: posOf(text, 'bpf_like', 2) }), null);
  assert.deepEqual(await client.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } }), []);
});

test('hover: helper prototype and doc, XDP action value and netvsc counter, xdp_md field offset', async () => {
  const uri = fileUri('hover.c', XDP_SOURCE);
  await client.open(uri, 'c', XDP_SOURCE);
  const hv = async (needle: string, delta: number) => {
    const h = await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: posOf(XDP_SOURCE, needle, delta) });
    assert.ok(h, `no hover at ${needle}`);
    return { value: (h.contents as MarkupContent).value, range: h.range };
  };
  const upd = await hv('bpf_map_update_elem', 3);
  assert.match(upd.value, /long bpf_map_update_elem\(void \*map, const void \*key, const void \*value, __u64 flags\)/);
  assert.match(upd.value, /BPF helper #2/);
  assert.match(upd.value, /\*\*BPF_NOEXIST\*\*/);
  assert.deepEqual(upd.range, { start: posOf(XDP_SOURCE, 'bpf_map_update_elem'), end: posOf(XDP_SOURCE, 'bpf_map_update_elem', 19) });
  const drop = await hv('XDP_DROP', 2);
  assert.match(drop.value, /XDP_DROP = 1/);
  assert.match(drop.value, /rx_queue_N_xdp_drop/);
  const field = await hv('rx_queue_index', 3);
  assert.match(field.value, /__u32 xdp_md\.rx_queue_index; \/\* offset 16 \*\//);
  const sec = await hv('SEC("xdp")', 1);
  assert.match(sec.value, /#define SEC\(name\)/);
});

test('signature help follows the argument under the cursor', async () => {
  const text = XDP_SOURCE.replace('bpf_map_update_elem(&counts, &key, &one, BPF_ANY);', 'bpf_map_update_elem(&counts, (void *)&key, ');
  const uri = fileUri('sig.c', text);
  await client.open(uri, 'c', text);
  const sh = await client.conn.sendRequest(SignatureHelpRequest.type, { textDocument: { uri }, position: posOf(text, '(void *)&key, ', 14) });
  assert.ok(sh);
  const sig = sh.signatures[0];
  assert.equal(sig.label, 'long bpf_map_update_elem(void *map, const void *key, const void *value, __u64 flags)');
  assert.equal(sh.activeParameter, 2);
  const [s, e] = sig.parameters![2].label as [number, number];
  assert.equal(sig.label.slice(s, e), 'const void *value');
});

test('CodeLens: Attach / Run on trace… / Debug over each XDP program, none over maps or license', async () => {
  const uri = fileUri('lens.c', XDP_SOURCE);
  await client.open(uri, 'c', XDP_SOURCE);
  const lenses = await client.conn.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
  assert.ok(lenses);
  const got = lenses.map((l) => `${l.range.start.line} ${l.command!.title} ${l.command!.command} ${JSON.stringify(l.command!.arguments)}`);
  const first = posOf(XDP_SOURCE, 'SEC("xdp")').line;
  const second = posOf(XDP_SOURCE, 'SEC("xdp/second")').line;
  assert.deepEqual(got, [
    `${first} Attach to eth0 netvsc.xdp.attach ${JSON.stringify([uri, 'xdp', 'xdp_first'])}`,
    `${first} Run on trace… netvsc.xdp.runOnTrace ${JSON.stringify([uri, 'xdp', 'xdp_first'])}`,
    `${first} Debug netvsc.xdp.debug ${JSON.stringify([uri, 'xdp', 'xdp_first'])}`,
    `${second} Attach to eth0 netvsc.xdp.attach ${JSON.stringify([uri, 'xdp/second', 'xdp_second'])}`,
    `${second} Run on trace… netvsc.xdp.runOnTrace ${JSON.stringify([uri, 'xdp/second', 'xdp_second'])}`,
    `${second} Debug netvsc.xdp.debug ${JSON.stringify([uri, 'xdp/second', 'xdp_second'])}`,
  ]);
});

const BROKEN = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	int x = undeclared_thing + 1;
	return XDP_PASS
}
`;

test('clang runs only once the workspace is trusted; its errors land on the right ranges', async () => {
  const uri = fileUri('broken.c', BROKEN);
  await client.open(uri, 'c', BROKEN);
  await client.save(uri);
  // A round trip after the save: an untrusted workspace published nothing.
  await client.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } });
  assert.equal(client.diagnosticCount(uri), 0);
  await client.conn.sendNotification('netvsc/xdpSettings', { trusted: true });
  const d = await client.nthDiagnostics(uri, 1);
  // clang 14: broken.c:7:10: error: use of undeclared identifier 'undeclared_thing'
  //           broken.c:8:17: error: expected ';' after return statement
  assert.deepEqual(d.diagnostics.map((x) => [x.range.start.line, x.range.start.character, x.severity, x.source, x.message]), [
    [6, 9, 1, 'clang', "use of undeclared identifier 'undeclared_thing'"],
    [7, 16, 1, 'clang', "expected ';' after return statement"],
  ]);
  assert.deepEqual(d.diagnostics[0].range.end, { line: 6, character: 9 + 'undeclared_thing'.length });
});

test('a clang that cannot be started is reported once, by name', async () => {
  const c = await LspClient.start('xdp', { trusted: true, clangPath: join(dir, 'no-such-clang') });
  try {
    const shown = new Promise<ShowMessageParams>((resolve) => c.conn.onNotification(ShowMessageNotification.type, resolve));
    const uri = fileUri('noclang.c', XDP_SOURCE);
    await c.open(uri, 'c', XDP_SOURCE);
    const msg = await shown;
    assert.equal(msg.type, 2);
    assert.match(msg.message, new RegExp(`clang not found at '${join(dir, 'no-such-clang').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}' \\(install the Debian package clang`));
  } finally {
    await c.stop();
  }
});

test('verifier: unchecked packet access is reported on the source line the kernel names, in its words', async () => {
  const c = await LspClient.start('xdp', { trusted: true, clangPath: 'clang' });
  try {
    const buggy = readFileSync('examples/xdp/xdp_buggy_unchecked.c', 'utf8');
    const uri = fileUri('xdp_buggy_unchecked.c', buggy);
    await c.open(uri, 'c', buggy);
    const d = await c.nthDiagnostics(uri, 1);
    // Kernel 6.18 (bpftool prog load of the same object):
    //   ; if (ip->protocol == IPPROTO_ICMP) ... @ xdp_buggy_unchecked.c:22
    //   6: (71) r1 = *(u8 *)(r1 +23)
    //   invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)
    //   R1 offset is outside of the packet
    assert.equal(d.diagnostics.length, 1);
    const v = d.diagnostics[0];
    assert.equal(v.source, 'verifier');
    assert.equal(v.severity, 1);
    assert.equal(v.range.start.line, 21);
    // clang's BTF line info for that instruction says column 10 (1-based): `protocol` of ip->protocol.
    assert.equal(buggy.split('\n')[21].slice(v.range.start.character, v.range.end.character), 'protocol');
    const message = v.message as string;
    assert.ok(message.startsWith('invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)\nR1 offset is outside of the packet\n'), message);
    assert.match(message, /instruction 6\)$/);

    // A correct program: clang and the verifier are both satisfied, the published list is empty.
    const good = readFileSync('examples/xdp/xdp_count.c', 'utf8');
    const goodUri = fileUri('xdp_count.c', good);
    await c.open(goodUri, 'c', good);
    assert.deepEqual((await c.nthDiagnostics(goodUri, 1)).diagnostics, []);

    // Fixing the bug and saving clears the diagnostic.
    const fixed = buggy.replace('\tif (ip->protocol', '\tif ((void *)(ip + 1) > data_end)\n\t\treturn XDP_DROP;\n\tif (ip->protocol');
    writeFileSync(join(dir, 'xdp_buggy_unchecked.c'), fixed);
    await c.change(uri, fixed, 2);
    await c.save(uri);
    assert.deepEqual((await c.nthDiagnostics(uri, 2)).diagnostics, []);
  } finally {
    await c.stop();
  }
});

test('a clang error inside an included header lands on the #include line, naming the header', async () => {
  const c = await LspClient.start('xdp', { trusted: true, clangPath: 'clang' });
  try {
    writeFileSync(join(dir, 'bad_header.h'), 'static int broken(void) { return nope; }\n');
    const src = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n#include "bad_header.h"\n\nSEC("xdp")\nint p(struct xdp_md *ctx) { return XDP_PASS; }\n';
    const uri = fileUri('includes.c', src);
    await c.open(uri, 'c', src);
    const d = (await c.nthDiagnostics(uri, 1)).diagnostics;
    // clang: In file included from .../includes.c:3:
    //        .../bad_header.h:1:34: error: use of undeclared identifier 'nope'
    assert.equal(d.length, 1);
    assert.equal(d[0].range.start.line, 2);
    assert.equal(d[0].message, `${join(dir, 'bad_header.h')}:1:34: use of undeclared identifier 'nope'`);
  } finally {
    await c.stop();
  }
});
