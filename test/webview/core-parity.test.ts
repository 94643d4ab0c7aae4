// The same workload (probe/coreProbe.ts: eBPF assembler, interpreter and JIT, ELF loader, packet
// builder and flow dissector, checksums, Toeplitz, ethtool on a netvsc device, pcapng write and
// read) run in Node and, bundled for the browser, in Chromium: the results must be identical, and
// they must match facts known independently of our code (RFC 1071, Microsoft's RSS verification
// table, the conformance suite's own encodings, llvm-readelf, hand computation).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, launchChromium, pageWithScript } from './browser';
import { REPO_ROOT } from '../e2e/codeServer';
import { runProbe, type ProbeInput, type ProbeOutput } from './probe/coreProbe';

const XDP = join(REPO_ROOT, 'examples', 'xdp');
const OBJECTS = ['xdp_drop_udp.o', 'xdp_count.o', 'xdp_parse_calls.o'];

/** Microsoft's RSS hash verification key and two rows of its IPv4 table (source address,
 *  destination address, source port, destination port). */
const MS_RSS_KEY = '6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa';
const MS_RSS_ROWS = [
  // 66.9.149.187:2794 -> 161.142.100.80:1766
  { tuple: '420995bba18e6450', hash: '0x323e8fc2' },
  { tuple: '420995bba18e64500aea06e6', hash: '0x51ccc178' },
  // 199.92.111.2:14230 -> 65.69.140.83:4739
  { tuple: 'c75c6f0241458c53', hash: '0xd718262a' },
  { tuple: 'c75c6f0241458c5337961283', hash: '0xc626b0ea' },
];

const CONFORMANCE: Record<string, { text: string; r0: string }> = {
  // 0+1 = 1, +2 = 3, doubled = 6, -3 = 3
  add: { text: '-- asm\nmov %r0, 0\nmov %r1, 2\nadd %r0, 1\nadd %r0, %r1\nadd %r0, %r0\nadd %r0, -3\nexit\n-- result\n0x3\n', r0: '0x3' },
  lddw: { text: '-- asm\nlddw %r0, 0x1122334455667788\nexit\n-- result\n0x1122334455667788\n', r0: '0x1122334455667788' },
  // 64-bit unsigned: 0xffffffffffffffff / 3
  div64: { text: '-- asm\nmov %r0, -1\ndiv %r0, 3\nexit\n-- result\n0x5555555555555555\n', r0: '0x5555555555555555' },
  // 32-bit: -8 >> 1 arithmetic = -4, zero-extended into r0
  arsh32: { text: '-- asm\nmov32 %r0, -8\narsh32 %r0, 1\nexit\n-- result\n0xfffffffc\n', r0: '0xfffffffc' },
  // sum of the bytes of mem: 1 + 2 + 3 + 250 = 256
  loop: {
    text: '-- asm\nmov %r0, 0\njeq %r2, 0, +5\nldxb %r3, [%r1]\nadd %r0, %r3\nadd %r1, 1\nsub %r2, 1\nja -6\nexit\n-- mem\n01 02 03 fa\n-- result\n0x100\n',
    r0: '0x100',
  },
};

function input(): ProbeInput {
  return {
    conformance: Object.fromEntries(Object.entries(CONFORMANCE).map(([k, v]) => [k, v.text])),
    objects: Object.fromEntries(OBJECTS.map((f) => [f, readFileSync(join(XDP, f)).toString('base64')])),
    toeplitz: { key: MS_RSS_KEY, tuples: MS_RSS_ROWS.map((r) => r.tuple) },
    checksums: [
      '0001f203f4f5f6f7', // RFC 1071 §3 example: sum 0xddf2, checksum 0x220d
      '450000730000400040110000c0a80001c0a800c7', // IPv4 header with the checksum field zeroed: 0xb861
    ],
  };
}

let browser: Browser;
let inNode: ProbeOutput;
let inBrowser: ProbeOutput;

before(async () => {
  browser = await launchChromium();
  const script = await bundleForBrowser({ entry: join(import.meta.dirname, 'probe', 'coreProbe.ts'), globalName: 'netvscProbe' });
  const { page, errors } = await pageWithScript(browser, script);
  assert.deepEqual(errors, []);
  const probeInput = input();
  inBrowser = await page.evaluate((i) => (globalThis as unknown as { netvscProbe: { runProbe: typeof runProbe } }).netvscProbe.runProbe(i), probeInput);
  inNode = runProbe(probeInput);
});
after(async () => { await browser?.close(); });

test('Chromium and Node give identical results on the same inputs', () => {
  assert.deepEqual(inBrowser, inNode);
});

// The checks below run on the browser's results (equal to Node's by the test above).

test('eBPF: interpreter and JIT give the hand-computed r0, and lddw assembles as the suite encodes it', () => {
  for (const [name, { r0 }] of Object.entries(CONFORMANCE)) {
    assert.equal(inBrowser.conformance[name].interpreter, r0, `${name} (interpreter)`);
    assert.equal(inBrowser.conformance[name].jit, r0, `${name} (jit)`);
  }
  // bpf_conformance lddw.data's own `-- raw` slots, little-endian: 0x5566778800000018,
  // 0x1122334400000000, 0x95.
  assert.equal(inBrowser.conformance.lddw.asmHex, '1800000088776655' + '0000000044332211' + '9500000000000000');
});

test('ELF: single-function XDP objects load with as many instructions as llvm-readelf gives their symbol', () => {
  for (const f of ['xdp_drop_udp.o', 'xdp_count.o']) {
    const r = spawnSync('llvm-readelf', ['-s', join(XDP, f)], { encoding: 'utf8' });
    assert.equal(r.status, 0, `llvm-readelf failed on ${f} (Debian package llvm): ${r.error?.message ?? r.stderr}`);
    const sym = r.stdout.split('\n').map((l) => l.trim().split(/\s+/)).find((c) => c[3] === 'FUNC' && c[4] === 'GLOBAL');
    assert.ok(sym, `no global function symbol in ${f}`);
    const progs = inBrowser.objects[f];
    assert.equal(progs.length, 1);
    assert.equal(progs[0].name, sym[7]);
    assert.equal(progs[0].section, 'xdp');
    assert.equal(progs[0].progType, 'xdp');
    assert.equal(progs[0].insns, Number(sym[2]) / 8);
    assert.ok(progs[0].lineInfo > 0, `${f} was built with -g: line info expected`);
  }
});

test('RSS Toeplitz matches Microsoft\'s verification table; checksums match RFC 1071 and a textbook IPv4 header', () => {
  assert.deepEqual(inBrowser.toeplitz, MS_RSS_ROWS.map((r) => r.hash));
  assert.deepEqual(inBrowser.checksums, ['0x220d', '0xb861']);
});

test('packets: the dissector reads back what the builder wrote', () => {
  const [udp4, tcpVlan, udp6] = inBrowser.packets;
  assert.deepEqual([udp4.ethertype, udp4.l4Proto, udp4.srcPort, udp4.dstPort, udp4.ipTotalLength], [0x0800, 17, 5000, 53, 20 + 8 + 12]);
  assert.deepEqual([tcpVlan.ethertype, tcpVlan.l4Proto, tcpVlan.srcPort, tcpVlan.dstPort], [0x0800, 6, 40000, 443]);
  assert.equal(tcpVlan.hex.slice(24, 32), '81006064', 'VLAN tag: TPID 0x8100, PCP 3, VID 100');
  assert.deepEqual([udp6.ethertype, udp6.l4Proto, udp6.srcPort, udp6.dstPort, udp6.ipTotalLength], [0x86dd, 17, 1234, 4789, 40 + 8 + 40]);
});

test('ethtool on a netvsc device prints hv_netvsc\'s driver info and refuses more channels than CPUs', () => {
  const runs = Object.entries(inBrowser.ethtool);
  const drvinfo = runs.find(([k]) => k.endsWith('ethtool -i eth0'))![1];
  assert.equal(drvinfo.exit, 0);
  assert.match(drvinfo.stdout, /^driver: hv_netvsc\nversion: .+\nfirmware-version: N\/A\n/);
  const tooMany = runs.find(([k]) => k.endsWith('-L eth0 combined 99'))![1];
  assert.notEqual(tooMany.exit, 0, 'combined 99 on 4 vCPUs must fail');
});

test('pcapng: three frames with comments written and read back', () => {
  const [udp4, tcpVlan, udp6] = inBrowser.packets;
  assert.equal(inBrowser.pcapng.count, 3);
  assert.deepEqual(inBrowser.pcapng.comments, [['frame 0'], ['frame 1'], ['frame 2']]);
  assert.deepEqual(inBrowser.pcapng.lengths, [udp4.hex.length / 2, tcpVlan.hex.length / 2, udp6.hex.length / 2]);
});
