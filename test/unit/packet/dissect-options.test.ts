// `netvsc-lab dissect` with tshark's field-output options (-E, -c, -r, -T fields, -n), every case
// compared byte for byte with tshark 4.0 run on the same capture with the same options: the lines,
// the error text (after the program name) and the exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { buildArp, buildPacket, concatBytes, dnsQuery, vxlanHeader } from '../../../extension/core/packet/build';
import { captureBytes } from '../../../extension/core/packet/writer';
import { dissectCommand, parsePacketCount } from '../../../extension/cli/commands/dissect';
import { memoryIO, UsageError } from '../../../extension/cli/io';
import { NO_DEFRAG, requireTshark, tmpFile } from './tshark';

/**
 * Several protocols; ip.src, eth.src, udp.port and ip.addr occur several times in the VXLAN, GRE
 * and IP-in-IP packets; ARP, IPv6 and ICMP packets leave most fields empty.
 */
function captureFile(): string {
  const inner = buildPacket({ eth: { src: '02:aa:bb:cc:dd:01', dst: '02:aa:bb:cc:dd:02' }, ip: { src: '192.168.0.1', dst: '192.168.0.2' }, l4: { udp: { sport: 1000, dport: 53 } }, payload: dnsQuery(0xabcd, 'www.example.com') });
  const frames = [
    buildPacket({ eth: {}, ip: { src: '10.0.0.1', dst: '10.0.0.2', df: true }, l4: { tcp: { sport: 40000, dport: 5201, seq: 1, flags: 0x02 } } }),
    buildPacket({ eth: {}, ip: { src: '10.1.1.1', dst: '10.1.1.2' }, l4: { udp: { sport: 50000, dport: 4789 } }, payload: concatBytes(vxlanHeader(1234), inner) }),
    buildPacket({ eth: {}, ip: { src: '10.1.1.1', dst: '10.1.1.3' }, l4: { gre: { protocol: 0x0800, key: 5 } }, payload: inner.subarray(14) }),
    buildPacket({ eth: {}, ip: { src: '10.2.2.1', dst: '10.2.2.2', proto: 4 }, payload: inner.subarray(14) }), // IP in IP
    buildPacket({ eth: { vlans: [{ vid: 7, pcp: 3 }] }, ip: { version: 6, src: '2001:db8::1', dst: '2001:db8::2' }, l4: { udp: { sport: 1, dport: 2 } }, payload: 3 }),
    buildPacket({ eth: {}, ip: { src: '1.1.1.1', dst: '2.2.2.2' }, l4: { icmp: { type: 8, id: 1, seq: 1 } }, payload: 8 }),
    buildArp({ op: 1, senderMac: '00:15:5d:01:02:03', senderIp: '10.0.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.0.0.2' }),
    buildPacket({ eth: {}, ip: { src: '10.0.0.2', dst: '10.0.0.1' }, l4: { tcp: { sport: 5201, dport: 40000, seq: 9, ack: 2, flags: 0x12 } } }),
    buildPacket({ eth: {}, ip: { src: '192.0.2.1', dst: '192.0.2.53' }, l4: { udp: { sport: 33333, dport: 53 } }, payload: dnsQuery(7, 'netvsc.example.org', 28) }),
  ];
  return tmpFile('options.pcapng', captureBytes(frames.map((data, i) => ({ tsSec: 1700000000 + i, tsNsec: i * 1000, data })), { format: 'pcapng' }));
}

interface Run { status: number; stdout: Buffer; stderr: string }

/** tshark -T fields with the same arguments (reassembly off: we show every fragment on its own). */
function tshark(file: string, args: string[]): Run {
  const r = spawnSync('tshark', ['-r', file, ...NO_DEFRAG, '-T', 'fields', ...args]);
  const stderr = r.stderr.toString('utf8').split('\n').filter((l) => !l.startsWith('Running as user')).join('\n');
  return { status: r.status ?? -1, stdout: r.stdout, stderr };
}

/** netvsc-lab dissect in-process; a usage mistake as the CLI's main prints it (exit 2). */
function ours(args: string[]): Run {
  const io = memoryIO();
  try {
    const status = dissectCommand.run(args, io) as number;
    return { status, stdout: Buffer.from(io.stdout, 'utf8'), stderr: io.stderr };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    return { status: 2, stdout: Buffer.from(io.stdout, 'utf8'), stderr: e.message };
  }
}

/** Error text with the program name taken out of each line's start. */
const unprefixed = (s: string) => s.replace(/^(tshark|TShark|netvsc-lab dissect): /gm, '');

function same(file: string, args: string[], label = args.join(' ')): void {
  const t = tshark(file, args);
  assert.equal(t.status, 0, `tshark ${label}: ${t.stderr}`);
  const o = ours([file, ...args]);
  assert.equal(o.status, 0, `${label}: ${o.stderr}`);
  assert.equal(o.stdout.toString('latin1'), t.stdout.toString('latin1'), label);
}

const E = (...opts: string[]) => opts.flatMap((o) => ['-E', o]);
const FIELDS = ['frame.number', 'ip.src', 'eth.src', 'udp.port', 'ip.addr', 'dns.qry.name', 'tcp.flags', 'vlan.id', 'ipv6.src', 'arp.src.proto_ipv4', 'frame.protocols'];
/** Fields the plain dissector gives: with no -Y, their lines take the fast path (PlainFieldsWriter). */
const PLAIN = ['frame.len', 'ip.src', 'ip.addr', 'tcp.srcport', 'udp.port', 'vlan.id', 'ipv6.addr', 'tcp.flags'];
const eArgs = (fs: string[]) => fs.flatMap((f) => ['-e', f]);

test('the capture has what the option cases need: several ip.src in one packet, empty fields', () => {
  requireTshark();
  const t = tshark(captureFile(), eArgs(['ip.src', 'ip.addr', 'dns.qry.name'])).stdout.toString('utf8').split('\n');
  assert.equal(t[1], '10.1.1.1,192.168.0.1\t10.1.1.1,10.1.1.2,192.168.0.1,192.168.0.2\twww.example.com'); // VXLAN
  assert.equal(t[2], '10.1.1.1,192.168.0.1\t10.1.1.1,10.1.1.3,192.168.0.1,192.168.0.2\twww.example.com'); // GRE
  assert.equal(t[3], '10.2.2.1,192.168.0.1\t10.2.2.1,10.2.2.2,192.168.0.1,192.168.0.2\twww.example.com'); // IP in IP
  assert.equal(t[6], '\t\t'); // ARP
});

test('every -E option alone matches tshark, on the full and on the plain path', () => {
  requireTshark();
  const file = captureFile();
  const single = [
    'header=y', 'header=n', 'header=yes', 'bom=y', 'bom=n', 'bom=yes',
    'separator=/t', 'separator=/s', 'separator=,', 'separator=;', 'separator=ab', 'separator=/x', 'separator=/', 'separator==', 'separator= ',
    'occurrence=f', 'occurrence=l', 'occurrence=a', 'occurrence=first', 'occurrence=last',
    'aggregator=,', 'aggregator=/s', 'aggregator=;', 'aggregator=ab', 'aggregator=/t', 'aggregator=/', 'aggregator= ', 'aggregator="',
    'quote=d', 'quote=s', 'quote=n', 'quote=double',
    // strtok skips leading '=': the name is "separator", the value starts 10 bytes in ('r')
    '==separator', '==aggregator',
  ];
  for (const o of single) {
    same(file, [...eArgs(FIELDS), '-E', o]);
    same(file, [...eArgs(PLAIN), '-E', o]);
  }
  // Attached, as getopt takes it.
  same(file, [...eArgs(FIELDS), '-Eheader=y', '-Eseparator=/s']);
});

test('several -E together, the later one of a kind winning, with -Y and -c', () => {
  requireTshark();
  const file = captureFile();
  const combos = [
    E('header=y', 'separator=,', 'quote=d'),
    E('header=y', 'bom=y', 'quote=s', 'separator=/s', 'occurrence=l', 'aggregator=;'),
    E('occurrence=f', 'quote=d', 'aggregator=/s'),
    E('separator=|', 'aggregator=+', 'occurrence=a'),
    E('quote=d', 'quote=n', 'header=y', 'header=n', 'separator=;', 'separator=/t', 'occurrence=l', 'occurrence=a'),
    [...E('header=y', 'occurrence=l'), '-Y', 'udp'],
    [...E('header=y', 'bom=y'), '-Y', 'ip.src == 9.9.9.9'], // nothing matches: BOM and header still printed
    [...E('quote=s', 'occurrence=f'), '-Y', 'ip.src == 192.168.0.1', '-c', '4'],
    [...E('separator=/s', 'aggregator=/s'), '-c', '3'],
  ];
  for (const c of combos) {
    same(file, [...eArgs(FIELDS), ...c]);
    same(file, [...eArgs(PLAIN), ...c]);
  }
});

test('a field named twice: only its last column is filled, under every layout', () => {
  requireTshark();
  const file = captureFile();
  for (const extra of [[], E('occurrence=f'), E('quote=d', 'header=y')]) {
    same(file, [...eArgs(['frame.number', 'ip.src', 'udp.port', 'ip.src']), ...extra]);
    same(file, [...eArgs(['ip.src', 'ip.src', 'frame.len']), ...extra]);
  }
});

test('-c counts packets read, before -Y; -r FILE, -T fields, -n and option clusters are tshark\'s', () => {
  requireTshark();
  const file = captureFile();
  for (const c of ['1', '2', '5', '9', '100', ' 3', '+3', '\t3', '07', '2147483647']) {
    same(file, [...eArgs(FIELDS), '-c', c]);
    same(file, [...eArgs(PLAIN), '-c', c]);
    same(file, [...eArgs(FIELDS), '-c', c, '-Y', 'dns']);
  }
  // Packets 1..4 read, of which 2, 3 and 4 carry DNS.
  assert.equal(ours([file, '-e', 'frame.number', '-c', '4', '-Y', 'dns']).stdout.toString(), '2\n3\n4\n');
  const want = tshark(file, eArgs(FIELDS)).stdout.toString('utf8');
  const args = eArgs(FIELDS);
  for (const form of [['-r', file, ...args], [...args, '-r', file], ['-nr', file, ...args], [`-r${file}`, '-n', ...args],
    ['-T', 'fields', file, ...args], ['-Tfields', '-n', file, ...args], [file, '-eframe.number', '-eip.src', '-eeth.src', '-eudp.port', '-eip.addr', '-edns.qry.name',
      '-etcp.flags', '-evlan.id', '-eipv6.src', '-earp.src.proto_ipv4', '-eframe.protocols'], [...args, '--', file]]) {
    const o = ours(form);
    assert.equal(o.status, 0, `${form.join(' ')}: ${o.stderr}`);
    assert.equal(o.stdout.toString('utf8'), want, form.join(' '));
  }
  const c = ours(['-nc2', '-r', file, '-e', 'frame.number']);
  assert.equal(c.stdout.toString(), '1\n2\n');
});

test('bad -E values: tshark\'s error text and exit status', () => {
  requireTshark();
  const file = captureFile();
  const bad = ['foo=1', 'header=Y', 'header=x', 'header=', 'header==y', 'bom=Y', 'occurrence=2', 'occurrence=0', 'occurrence=x', 'quote=x', 'quote=D',
    'aggregator=', 'separator=', 'escape=y', '=y', '=', '', '==ab', '=header=y', 'Header=y', 'header'];
  for (const o of bad) {
    // '-e' follows, so even 'header' (no '=', where tshark reads past the option) sees a '-'
    const t = tshark(file, ['-E', o, '-e', 'ip.src']);
    const u = ours([file, '-E', o, '-e', 'ip.src']);
    assert.equal(t.status, 1, `tshark -E '${o}'`);
    assert.equal(u.status, t.status, `-E '${o}': ${u.stderr}`);
    assert.equal(u.stdout.length, 0);
    assert.equal(unprefixed(u.stderr), unprefixed(t.stderr), `-E '${o}'`);
    assert.match(u.stderr, /^netvsc-lab dissect: "/);
  }
});

test('bad -c values: tshark\'s error text and exit status', () => {
  requireTshark();
  const file = captureFile();
  for (const c of ['0', '-0', '-1', 'abc', '2x', '', ' ', '3 ', '0x3', '- 3', '+-3', '+', '2147483648', '99999999999999999999', '-99999999999999999999']) {
    const t = tshark(file, ['-c', c, '-e', 'ip.src']);
    const u = ours([file, '-c', c, '-e', 'ip.src']);
    assert.equal(t.status, 1, `tshark -c '${c}'`);
    assert.equal(u.status, 1, `-c '${c}': ${u.stderr}`);
    assert.equal(unprefixed(u.stderr), unprefixed(t.stderr), `-c '${c}'`);
    assert.equal(typeof parsePacketCount(c), 'string');
  }
});

test('other options and -T formats are refused, naming the option', () => {
  const file = captureFile();
  const cases: [string[], RegExp][] = [
    [['-T', 'json'], /-T json/], [['-Tpdml'], /-T pdml/], [['-x'], /unknown option '-x'/], [['-nV'], /unknown option '-V'/],
    [['--color'], /unknown option '--color'/], [['-E'], /-E needs/], [['-c'], /-c needs/], [['-r'], /-r needs/],
    [['-r', file], /capture file is given twice/], [['-'], /standard input/],
  ];
  for (const [extra, msg] of cases) {
    const o = ours([file, '-e', 'ip.src', ...extra]);
    assert.equal(o.status, 2, extra.join(' '));
    assert.match(o.stderr, msg);
    assert.equal(o.stdout.length, 0);
  }
});

test('the shipped bundle writes BOM, header and a non-ASCII separator byte straight to fd 1 as tshark does', () => {
  requireTshark();
  const file = captureFile();
  const cli = tmpFile('cli-options.js');
  esbuild.buildSync({ entryPoints: [resolve('extension/cli/main.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'error' });
  // tshark takes the first byte of '§' (0xc2): not valid UTF-8 on its own, so bytes are compared.
  for (const args of [[...eArgs(FIELDS), ...E('bom=y', 'header=y', 'separator=§')], [...eArgs(PLAIN), ...E('bom=y', 'aggregator=§', 'header=y')], [...eArgs(PLAIN), '-c', '6']]) {
    const r = spawnSync(process.execPath, [cli, 'dissect', '-r', file, ...args]);
    assert.equal(r.status, 0, r.stderr.toString());
    const t = tshark(file, args);
    assert.ok(Buffer.compare(r.stdout, t.stdout) === 0, `${args.join(' ')}\n${r.stdout.toString('latin1')}\n---\n${t.stdout.toString('latin1')}`);
  }
  const bad = spawnSync(process.execPath, [cli, 'dissect', file, '-e', 'ip.src', '-E', 'quote=x'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(unprefixed(bad.stderr), unprefixed(tshark(file, ['-e', 'ip.src', '-E', 'quote=x']).stderr));
});
