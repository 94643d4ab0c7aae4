// The shipped form of the CLI: an esbuild bundle (as scripts/build.mjs makes dist/cli.js), spawned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { requireTshark, tmpFile, tsharkFields } from './tshark';

test('bundled netvsc-lab dissect/stats/gen run as a process and match tshark', () => {
  requireTshark();
  const cli = tmpFile('cli.js');
  esbuild.buildSync({ entryPoints: [resolve('extension/cli/main.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', external: ['vscode'], logLevel: 'error' });
  const trace = resolve('examples/traces/mixed.pcapng');
  const fields = ['frame.number', 'ip.src', 'tcp.seq', 'udp.srcport', 'ip.frag_offset', 'frame.protocols'];
  const r = spawnSync(process.execPath, [cli, 'dissect', trace, ...fields.flatMap((f) => ['-e', f]), '-Y', 'ip.flags.mf == 1 || tcp.flags.fin == 1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, tsharkFields(trace, fields, ['-Y', 'ip.flags.mf == 1 || tcp.flags.fin == 1']));
  // Plain fields only: the plain dissector's path, written as bytes straight to fd 1.
  const plain = ['frame.len', 'ip.src', 'ip.dst', 'tcp.srcport', 'udp.dstport', 'vlan.id', 'ipv6.addr', 'tcp.flags'];
  for (const [file, filter] of [[trace, 'tcp.port in {5201, 80} || udp.length > 1000'], [resolve('examples/traces/fragments.pcap'), undefined]] as const) {
    const extra = filter ? ['-Y', filter] : [];
    const p = spawnSync(process.execPath, [cli, 'dissect', file, ...plain.flatMap((f) => ['-e', f]), ...extra], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stdout, tsharkFields(file, plain, extra));
  }
  const bad = spawnSync(process.execPath, [cli, 'dissect', trace, '-e', 'ip.src', '-Y', 'ip.src == 1.2.3'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /"1\.2\.3" is not a valid IPv4 address for ip\.src \(column 11\)\n {2}ip\.src == 1\.2\.3\n {12}\^\n$/);
  const out = join(tmpFile(''), 'gen.pcap');
  const g = spawnSync(process.execPath, [cli, 'gen', resolve('examples/scenarios/syn-flood.yaml'), '-o', out], { encoding: 'utf8' });
  assert.equal(g.status, 0, g.stderr);
  const s = spawnSync(process.execPath, [cli, 'stats', out], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stderr);
  // 2000 SYNs of 14 + 20 + 20 bytes; the name column is 41 wide as tshark prints it.
  assert.match(s.stdout, /eth {38}frames:2000 bytes:108000\n {2}ip {37}frames:2000 bytes:108000\n {4}tcp {34}frames:2000 bytes:108000\n/);
});
