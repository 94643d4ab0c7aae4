import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { BASE, FIELDS, FT } from '../../../extension/core/packet/fields';
import { requireTshark, tshark } from './tshark';

const TYPE_NAMES: Partial<Record<FT, string[]>> = {
  [FT.PROTOCOL]: ['FT_PROTOCOL'], [FT.BOOLEAN]: ['FT_BOOLEAN'], [FT.UINT8]: ['FT_UINT8'], [FT.UINT16]: ['FT_UINT16'], [FT.UINT24]: ['FT_UINT24'],
  [FT.UINT32]: ['FT_UINT32'], [FT.INT16]: ['FT_INT16'], [FT.INT32]: ['FT_INT32'], [FT.ETHER]: ['FT_ETHER'], [FT.IPv4]: ['FT_IPv4'],
  [FT.IPv6]: ['FT_IPv6'], [FT.BYTES]: ['FT_BYTES'], [FT.STRING]: ['FT_STRING'], [FT.RELATIVE_TIME]: ['FT_RELATIVE_TIME'], [FT.FRAMENUM]: ['FT_FRAMENUM'],
};
const BASE_NAMES: Record<BASE, string[]> = {
  [BASE.NONE]: ['BASE_NONE', ''], [BASE.DEC]: ['BASE_DEC', 'BASE_PT_TCP', 'BASE_PT_UDP'], [BASE.HEX]: ['BASE_HEX'],
  [BASE.DEC_HEX]: ['BASE_DEC_HEX'], [BASE.HEX_DEC]: ['BASE_HEX_DEC'],
};

test('every registered Wireshark field has tshark\'s type, base and bitmask (tshark -G fields)', () => {
  requireTshark();
  const theirs = new Map<string, string[]>();
  for (const line of tshark(['-G', 'fields']).stdout.split('\n')) {
    const c = line.split('\t');
    if (c[0] === 'F') theirs.set(c[2], c);
    else if (c[0] === 'P') theirs.set(c[2], ['P', c[1], c[2], 'FT_PROTOCOL', c[2], '', '0x0']);
  }
  const ours = FIELDS.filter((f) => !/^(netvsc|xdp)(\.|$)/.test(f.abbrev));
  const bad: string[] = [];
  for (const f of ours) {
    const t = theirs.get(f.abbrev);
    if (!t) { bad.push(`${f.abbrev}: not a tshark field`); continue; }
    if (!TYPE_NAMES[f.type]!.includes(t[3])) bad.push(`${f.abbrev}: type ${t[3]}`);
    if (t[3] !== 'FT_PROTOCOL') {
      if (f.type === FT.BOOLEAN) { /* tshark lists the bit width of the parent, not a base */ }
      else if (!BASE_NAMES[f.base].includes(t[5])) bad.push(`${f.abbrev}: base ${t[5]}`);
      if (Number(t[6]) !== f.mask) bad.push(`${f.abbrev}: mask ${t[6]} (ours 0x${f.mask.toString(16)})`);
    }
  }
  assert.deepEqual(bad, []);
  // The emulator's own fields do not collide with Wireshark's.
  for (const f of FIELDS.filter((x) => /^(netvsc|xdp)(\.|$)/.test(x.abbrev))) assert.equal(theirs.has(f.abbrev), false, f.abbrev);
});

test('dissectors, filters and the column cache bundle for the browser (no Node imports)', () => {
  const r = esbuild.buildSync({
    stdin: {
      contents: ['dissect', 'dissection', 'fields', 'filter', 'columns', 'session', 'reader', 'reassembly', 'flow', 'build', 'stats', 'writer']
        .map((m) => `export * from ${JSON.stringify(resolve('extension/core/packet', m))};`).join('\n'),
      resolveDir: resolve('.'), loader: 'ts',
    },
    bundle: true, platform: 'browser', format: 'iife', write: false, logLevel: 'silent',
  });
  assert.equal(r.errors.length, 0);
  assert.ok(r.outputFiles[0].text.length > 10000);
});
