// Runs a parsed ethtool command against the device and answers as ethtool 6.11 does for
// hv_netvsc: the text on stdout, errors on stderr, and the exit status (quirks included).
import { REGS_LEN, VRSS_SEND_TAB_SIZE } from '../netvsc/constants';
import type { NetvscDevice } from '../netvsc/device';
import { ENODEV, EOPNOTSUPP, strerror, type OpResult } from '../netvsc/errno';
import { FEATURE_NAMES, NETIF_F_NEVER_CHANGE, featureBit, hasFeature } from '../netvsc/features';
import {
  BAD_ARGS, FLOW_TYPES, OFF_FLAGS, RSS_HASH_FUNCS, expandFeatureWord, flagPatternMatch, helpText, parseEthtool,
  type EthtoolRequest, type Param, type Token,
} from './grammar';

export interface EthtoolResult { stdout: string; stderr: string; exit: number }

const align4 = (n: number): number => (n + 3) & ~3;
/** Netlink request layout: nlmsghdr (16) + genlmsghdr (4) + header nest (4) + dev name attr. */
const netlinkFirstAttrOffset = (dev: string): number => 20 + 4 + 4 + align4(dev.length + 1);

/** Runs `ethtool ARGS…` (argv without the program name, or tokens from a script line). */
export function runEthtool(device: NetvscDevice, args: readonly string[] | Token[]): EthtoolResult {
  const parsed = parseEthtool(args);
  if (parsed.error) return { stdout: '', stderr: parsed.error.stderr, exit: parsed.error.exit };
  return execute(device, parsed.request!);
}

export function execute(device: NetvscDevice, req: EthtoolRequest): EthtoolResult {
  const out: string[] = [];
  const err: string[] = [];
  const done = (exit: number): EthtoolResult => ({ stdout: out.join(''), stderr: err.join(''), exit });
  if (req.kind === 'help') { out.push(helpText()); return done(0); }
  if (req.kind === 'version') { out.push('ethtool version 6.11\n'); return done(0); }
  const dev = (req as { dev: string }).dev;
  if (dev !== device.ifname) return noDevice(req, dev);

  switch (req.kind) {
    case 'settings': out.push(settingsText(device)); return done(0);
    case 'driver': out.push(driverText(device)); return done(0);
    case 'showFeatures': out.push(featuresText(device)); return done(0);
    case 'setFeatures': return setFeatures(device, req.pairs, dev);
    case 'showRing': out.push(ringText(device)); return done(0);
    case 'setRing': {
      const r = device.setRingparam(ringRequest(req.params));
      if (r.err) { err.push(netlinkError(r, req.params, dev)); return done(81); }
      return done(0);
    }
    case 'showChannels': out.push(channelsText(device)); return done(0);
    case 'setChannels': {
      const p = Object.fromEntries(req.params.map((x) => [x.name, x.value as number]));
      const r = device.setChannels(p);
      if (r.err) { err.push(netlinkError(r, req.params, dev)); return done(1); }
      return done(0);
    }
    case 'showNfc': {
      if (!req.flowType) {
        out.push(`${device.numChn} RX rings available\n`);
        err.push('rxclass: Cannot get RX class rule count: Operation not supported\nRX classification rule retrieval failed\n');
        return done(1);
      }
      out.push(rxfhashText(req.flowType, device.getRxfhFields(req.flowType)));
      return done(0);
    }
    case 'setNfc': {
      const r = device.setRxfhFields(req.flowType, req.data);
      // ethtool 6.11 reports the failure but exits 0 from this branch.
      if (r.err) err.push(`Cannot change RX network flow hashing options: ${strerror(r.err)}\n`);
      return done(0);
    }
    case 'setNfcRule':
      err.push('rmgr: Cannot get RX class rule count: Operation not supported\nCannot insert classification rule\n');
      return done(1);
    case 'showRxfh':
      if (req.context) { err.push(`netlink error: ${strerror(-EOPNOTSUPP)}\n`); return done(1); }
      out.push(rxfhText(device));
      return done(0);
    case 'setRxfh': return setRxfh(device, req);
    case 'stats': {
      const stats = device.stats.ethtoolStats();
      out.push('NIC statistics:\n');
      for (const [n, v] of stats) out.push(`     ${n}: ${v}\n`);
      return done(0);
    }
    case 'regs': out.push(regsText(device)); return done(0);
    case 'unsupported':
      if (req.netlink) err.push(`netlink error: ${strerror(-EOPNOTSUPP)}\n`);
      else err.push(`${unsupportedIoctlText(req.what)}: ${strerror(-EOPNOTSUPP)}\n`);
      return done(req.what === 'test' ? 74 : 1);
  }
}

function unsupportedIoctlText(what: string): string {
  switch (what) {
    case 'eeprom': return 'Cannot get EEPROM data';
    case 'test': return 'Cannot test';
    case 'nway': return 'Cannot restart autonegotiation';
    case 'identify': return 'Cannot identify NIC';
    default: return 'Cannot get device settings';
  }
}

function noDevice(req: EthtoolRequest, dev: string): EthtoolResult {
  const nl = `netlink error: no device matches name (offset 24)\nnetlink error: ${strerror(-ENODEV)}\n`;
  const r = (stderr: string, exit: number): EthtoolResult => ({ stdout: '', stderr, exit });
  switch (req.kind) {
    case 'driver': case 'regs': return r(`Cannot get driver information: ${strerror(-ENODEV)}\n`, 71);
    case 'stats': return r(`Cannot get stats strings information: ${strerror(-ENODEV)}\n`, 96);
    case 'showNfc': return r(`Cannot get RX network flow hashing options: ${strerror(-ENODEV)}\n`, 1);
    case 'setNfc': return r(`Cannot change RX network flow hashing options: ${strerror(-ENODEV)}\n`, 0);
    case 'setRxfh': return r(`Cannot get RX ring count: ${strerror(-ENODEV)}\n`, 1);
    case 'setFeatures': return r(nl, 92);
    case 'setRing': return r(nl, 81);
    case 'settings': return r(`${nl.repeat(1)}No data available\n`, 75);
    default: void dev; return r(nl, 1);
  }
}

// ---- -i -------------------------------------------------------------------------------------------

export function driverText(d: NetvscDevice): string {
  return [
    'driver: hv_netvsc', `version: ${d.options.kernelRelease}`, 'firmware-version: N/A', 'expansion-rom-version: ',
    `bus-info: ${d.busInfo}`, 'supports-statistics: yes', 'supports-test: no', 'supports-eeprom-access: no',
    'supports-register-dump: yes', 'supports-priv-flags: no', '',
  ].join('\n');
}

/** NETIF_MSG_* bit names, the kernel's ETH_SS_MSG_CLASSES strings ethtool prints for a message level. */
const MSG_CLASSES = ['drv', 'probe', 'link', 'timer', 'ifdown', 'ifup', 'rx_err', 'tx_err', 'tx_queued', 'intr', 'tx_done',
  'rx_status', 'pktdata', 'hw', 'wol'];

/**
 * `ethtool DEV` as ethtool 6.11 asks netlink for it (nl_gset): link modes, link info, Wake-on
 * (netvsc has no get_wol: nothing), the debug message level (netvsc_get_msglevel), link state.
 */
export function settingsText(d: NetvscDevice): string {
  const speed = d.host.linkSpeedMbps;
  const lvl = d.msgLevel >>> 0;
  const names = MSG_CLASSES.filter((_, b) => lvl & (1 << b)).map((n) => ` ${n}`).join('');
  return [
    `Settings for ${d.ifname}:`, '\tSupported ports: [  ]', '\tSupported link modes:   Not reported', '\tSupported pause frame use: No',
    '\tSupports auto-negotiation: No', '\tSupported FEC modes: Not reported', '\tAdvertised link modes:  Not reported',
    '\tAdvertised pause frame use: No', '\tAdvertised auto-negotiation: No', '\tAdvertised FEC modes: Not reported',
    `\tSpeed: ${speed}Mb/s`, '\tDuplex: Full', '\tAuto-negotiation: off', '\tPort: Other', '\tPHYAD: 0', '\tTransceiver: internal',
    // debug_reply_cb: eight spaces (not a tab), then the names on a line indented by 30 spaces.
    `        Current message level: 0x${lvl.toString(16).padStart(8, '0')} (${lvl})`, `${' '.repeat(30)}${names}`,
    `\tLink detected: ${d.up ? 'yes' : 'no'}`, '',
  ].join('\n');
}

// ---- -k / -K --------------------------------------------------------------------------------------

/** Legacy group order of `ethtool -k` (ufo is never printed). */
const K_GROUPS = OFF_FLAGS.filter((f) => f.short !== 'ufo');

function featureState(d: NetvscDevice, bit: number): { active: boolean; suffix: string } {
  const active = hasFeature(d.features, bit);
  const changeable = hasFeature(d.hwFeatures, bit) && !hasFeature(NETIF_F_NEVER_CHANGE, bit);
  const wanted = hasFeature(d.wantedFeatures, bit);
  let suffix = '';
  if (!changeable) suffix = ' [fixed]';
  else if (wanted !== active) suffix = ` [requested ${wanted ? 'on' : 'off'}]`;
  return { active, suffix };
}

export function featuresText(d: NetvscDevice): string {
  const lines = [`Features for ${d.ifname}:`];
  const shown = new Set<number>();
  for (const g of OFF_FLAGS) {
    const members = FEATURE_NAMES.map((n, i) => (n && flagPatternMatch(n, g.pattern) ? i : -1)).filter((i) => i >= 0);
    members.forEach((i) => shown.add(i));
    if (g.short === 'ufo' || members.length === 0) continue;
    if (members.length === 1) {
      const s = featureState(d, members[0]);
      lines.push(`${g.long}: ${s.active ? 'on' : 'off'}${s.suffix}`);
    } else {
      const any = members.some((i) => hasFeature(d.features, i));
      lines.push(`${g.long}: ${any ? 'on' : 'off'}`);
      for (const i of members) {
        const s = featureState(d, i);
        lines.push(`\t${FEATURE_NAMES[i]}: ${s.active ? 'on' : 'off'}${s.suffix}`);
      }
    }
  }
  FEATURE_NAMES.forEach((n, i) => {
    if (!n || shown.has(i)) return;
    const s = featureState(d, i);
    lines.push(`${n}: ${s.active ? 'on' : 'off'}${s.suffix}`);
  });
  void K_GROUPS;
  return lines.join('\n') + '\n';
}

function setFeatures(d: NetvscDevice, pairs: { word: string; on: boolean; token: Token }[], dev: string): EthtoolResult {
  let reqMask = 0n;
  let reqValues = 0n;
  let offset = 48 + align4(dev.length + 1);
  for (const p of pairs) {
    const { names, known } = expandFeatureWord(p.word);
    if (!known) {
      return { stdout: '', stderr: `netlink error: bit name not found (offset ${offset})\nnetlink error: ${strerror(-EOPNOTSUPP)}\n`, exit: 92 };
    }
    for (const n of names) {
      const b = 1n << BigInt(featureBit(n));
      reqMask |= b;
      if (p.on) reqValues |= b; else reqValues &= ~b;
      offset += 8 + align4(n.length + 1) + (p.on ? 4 : 0);
    }
  }
  if (reqMask === 0n) return { stdout: '', stderr: 'Could not change any device features\n', exit: 1 };
  const { before, after } = d.setFeatures(reqMask, reqValues);
  // The kernel's reply: WANTED = requested bits whose result differs, ACTIVE = bits that changed.
  const wantedDiff = (after ^ reqValues) & reqMask;
  const activeDiff = before ^ after;
  const lines: string[] = [];
  FEATURE_NAMES.forEach((n, i) => {
    if (!n) return;
    const b = 1n << BigInt(i);
    if (!(wantedDiff & b) && !(activeDiff & b)) return;
    const act = (after & b) ? 'on' : 'off';
    if (wantedDiff & b) lines.push(`${n}: ${act} [requested ${(reqValues & b) ? 'on' : 'off'}]`);
    else if (!(reqMask & b)) lines.push(`${n}: ${act} [not requested]`);
    else lines.push(`${n}: ${act}`);
  });
  const diff = wantedDiff !== 0n || (activeDiff & ~reqMask) !== 0n;
  const stdout = diff ? `Actual changes:\n${lines.join('\n')}\n` : '';
  if (activeDiff === 0n && wantedDiff !== 0n) return { stdout, stderr: 'Could not change any device features\n', exit: 1 };
  return { stdout, stderr: '', exit: 0 };
}

// ---- -g / -G --------------------------------------------------------------------------------------

export function ringText(d: NetvscDevice): string {
  const max = d.ringMax();
  return [
    `Ring parameters for ${d.ifname}:`, 'Pre-set maximums:', `RX:\t\t\t${max.rx}`, 'RX Mini:\t\tn/a', 'RX Jumbo:\t\tn/a',
    `TX:\t\t\t${max.tx}`, 'TX push buff len:\tn/a', 'Current hardware settings:', `RX:\t\t\t${d.recvSectionCnt}`,
    'RX Mini:\t\tn/a', 'RX Jumbo:\t\tn/a', `TX:\t\t\t${d.sendSectionCnt}`, 'RX Buf Len:\t\tn/a', 'CQE Size:\t\tn/a',
    'TX Push:\t\toff', 'RX Push:\t\toff', 'TX push buff len:\tn/a', 'TCP data split:\t\tn/a', '',
  ].join('\n');
}

const RING_UNSUPPORTED: Record<string, string> = {
  'rx-buf-len': 'setting rx buf len not supported',
  'tcp-data-split': 'setting TCP data split is not supported',
  'cqe-size': 'setting cqe size not supported',
  'tx-push': 'setting tx push not supported',
  'rx-push': 'setting rx push not supported',
  'tx-push-buf-len': 'setting tx push buf len is not supported',
};

function ringRequest(params: Param[]): Parameters<NetvscDevice['setRingparam']>[0] {
  // ethnl_set_rings_validate() checks the unsupported attributes in this order.
  for (const name of ['rx-buf-len', 'tcp-data-split', 'cqe-size', 'tx-push', 'rx-push', 'tx-push-buf-len']) {
    if (params.some((p) => p.name === name)) return { unsupported: `${RING_UNSUPPORTED[name]}|${name}` };
  }
  const get = (n: string) => params.find((p) => p.name === n)?.value as number | undefined;
  return { rx: get('rx'), rxMini: get('rx-mini'), rxJumbo: get('rx-jumbo'), tx: get('tx') };
}

/** `netlink error: <extack> (offset N)` + `netlink error: <strerror>`; offset = the attribute's place in the request. */
function netlinkError(r: OpResult, params: Param[], dev: string): string {
  let s = '';
  if (r.extack) {
    s += `netlink error: ${r.extack}`;
    if (r.extackAttr) {
      const idx = params.findIndex((p) => p.name === r.extackAttr);
      if (idx >= 0) s += ` (offset ${netlinkFirstAttrOffset(dev) + 8 * idx})`;
    }
    s += '\n';
  }
  return s + `netlink error: ${strerror(r.err)}\n`;
}

// ---- -l -------------------------------------------------------------------------------------------

export function channelsText(d: NetvscDevice): string {
  return [
    `Channel parameters for ${d.ifname}:`, 'Pre-set maximums:', 'RX:\t\tn/a', 'TX:\t\tn/a', 'Other:\t\tn/a', `Combined:\t${d.maxChn}`,
    'Current hardware settings:', 'RX:\t\tn/a', 'TX:\t\tn/a', 'Other:\t\tn/a', `Combined:\t${d.numChn}`, '',
  ].join('\n');
}

// ---- -n -------------------------------------------------------------------------------------------

const RXH_TEXT: [number, string][] = [
  [0x2, 'L2DA'], [0x4, 'VLAN tag'], [0x8, 'L3 proto'], [0x10, 'IP SA'], [0x20, 'IP DA'],
  [0x40, 'L4 bytes 0 & 1 [TCP/UDP src port]'], [0x80, 'L4 bytes 2 & 3 [TCP/UDP dst port]'], [0x100, 'GTP TEID'],
];

export function rxfhashText(flowType: string, data: number): string {
  const head = FLOW_TYPES[flowType] ?? '';
  if (data & 0x80000000) return `${head} - All matching flows discarded on RX\n`;
  let body = '';
  if (data) for (const [b, t] of RXH_TEXT) { if (data & b) body += `${t}\n`; }
  else body = 'None';
  return `${head} use these fields for computing Hash flow key:\n${body}\n`;
}

// ---- -x / -X --------------------------------------------------------------------------------------

export function rxfhText(d: NetvscDevice): string {
  const lines = ['', `RX flow hash indirection table for ${d.ifname} with ${d.numChn} RX ring(s):`];
  if (d.rxTableSz === 0) lines.push('Operation not supported');
  let row = '';
  for (let i = 0; i < d.rxTableSz; i++) {
    if (i % 8 === 0) row = `${String(i).padStart(5)}: `;
    row += ` ${String(d.rxTable[i]).padStart(5)}`;
    if (i % 8 === 7 || i === d.rxTableSz - 1) lines.push(row);
  }
  lines.push('RSS hash key:', [...d.rssKey].map((b) => b.toString(16).padStart(2, '0')).join(':'));
  lines.push('RSS hash function:', '    toeplitz: on', '    xor: off', '    crc32: off');
  lines.push('RSS input transformation:', '    symmetric-xor: off');
  return lines.join('\n') + '\n';
}

function setRxfh(d: NetvscDevice, r: Extract<EthtoolRequest, { kind: 'setRxfh' }>): EthtoolResult {
  const fail = (stderr: string, exit = 1): EthtoolResult => ({ stdout: '', stderr, exit });
  if (r.equal !== undefined && r.weights) return fail('Equal and weight options are mutually exclusive\n');
  if (r.equal !== undefined && r.default) return fail('Equal and default options are mutually exclusive\n');
  if (r.weights && r.default) return fail('Weight and default options are mutually exclusive\n');
  if (r.start !== undefined && r.default) return fail('Start and default options are mutually exclusive\n');
  if (r.start !== undefined && r.equal === undefined && !r.weights) return fail('Start must be used with equal or weight options\n');
  if (r.default && r.context) return fail('Default and context options are mutually exclusive\n');
  if (r.delete && !r.context) return fail('Delete option requires context option\n');
  if (r.delete && r.weights) return fail('Delete and weight options are mutually exclusive\n');
  if (r.equal === 0) return fail(BAD_ARGS);
  let hfunc: number | undefined;
  if (r.hfunc !== undefined) {
    const idx = RSS_HASH_FUNCS.indexOf(r.hfunc);
    if (idx < 0) return fail(`Unknown hash function: ${r.hfunc}\n`);
    hfunc = 1 << idx;
  }
  let key: Uint8Array | undefined;
  if (r.hkey !== undefined) {
    const parts = r.hkey.split(':');
    if (!parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return fail('Invalid RSS hash key format\n', 2);
    const keySize = d.rssKey.length;
    if (parts.length > keySize) return fail(`Key is too long for device (${parts.length} > ${keySize})\n`, 2);
    if (parts.length < keySize) return fail(`Key is too short for device (${parts.length} < ${keySize})\n`, 2);
    key = Uint8Array.from(parts.map((p) => parseInt(p, 16)));
  }
  const cannot = (e: number) => fail(`Cannot set RX flow hash configuration: ${strerror(e)}\n`);
  if (r.context !== undefined || r.delete) return cannot(-EOPNOTSUPP);
  let indir: number[] | 'default' | undefined;
  const size = d.rxTableSz;
  const start = r.start ?? 0;
  if (r.default) indir = 'default';
  else if (r.equal !== undefined) {
    indir = Array.from({ length: size }, (_, i) => start + (i % r.equal!));
  } else if (r.weights) {
    const sum = r.weights.reduce((a, b) => a + b, 0);
    if (sum === 0) return fail('At least one weight must be non-zero\n');
    if (sum > size) return fail('Total weight exceeds the size of the indirection table\n');
    indir = [];
    let partial = 0;
    let j = -1;
    for (let i = 0; i < size; i++) {
      while (i >= (size * partial) / sum) { j += 1; partial += r.weights[j]; }
      indir.push(j + start);
    }
  }
  const res = d.setRxfh({ indir, key, hfunc, xfrm: r.xfrm === 'symmetric-xor' });
  if (res.err) return cannot(res.err);
  return { stdout: '', stderr: '', exit: 0 };
}

// ---- -d -------------------------------------------------------------------------------------------

/** ethtool has no hv_netvsc decoder: the generic hex dump of the 16-entry send table (u32 LE, version 1). */
export function regsText(d: NetvscDevice): string {
  const bytes = new Uint8Array(REGS_LEN);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < VRSS_SEND_TAB_SIZE; i++) view.setUint32(i * 4, d.txTable[i], true);
  let s = 'Offset\t\tValues\n------\t\t------';
  for (let i = 0; i < bytes.length; i++) {
    if (i % 16 === 0) s += `\n0x${i.toString(16).padStart(4, '0')}:\t\t`;
    s += `${bytes[i].toString(16).padStart(2, '0')} `;
  }
  return s + '\n';
}
