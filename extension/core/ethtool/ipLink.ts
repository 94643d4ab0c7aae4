// The `ip link` subset people use with ethtool on a netvsc device, in iproute2's own syntax
// and error style: `link set [dev] DEV mtu N | up | down | xdp obj F [sec S] | xdp off`,
// `[-s [-s]] link show [dev] DEV` (with the driver's ndo_get_stats64 counters, laid out as
// iproute2 6.1 lays them out). Errors from the driver's extack print as `Error: <msg>.` (exit 2).
import type { NetvscDevice } from '../netvsc/device';
import type { LinkStats64 } from '../netvsc/stats';
import { strerror, type OpResult } from '../netvsc/errno';
import type { XdpProgram } from '../netvsc/xdp';

export interface IpResult { stdout: string; stderr: string; exit: number }

export type IpRequest =
  | { kind: 'show'; dev?: string; stats: number }
  | { kind: 'set'; dev: string; mtu?: number; up?: boolean; address?: string; xdp?: { obj: string; sec?: string; mode: string; force: boolean } | 'off' };

/** Loads an XDP object for `xdp obj F sec S` (the CLI reads the file; tests pass real objects). */
export type XdpLoader = (objectPath: string, section: string | undefined) => XdpProgram;

const usageErr = (msg: string): IpResult => ({ stdout: '', stderr: msg.endsWith('\n') ? msg : msg + '\n', exit: 255 });

export function parseIpLink(argv: readonly string[]): IpRequest | IpResult {
  let a = [...argv];
  if (a[0] === 'ip') a = a.slice(1);
  // `ip -force link set … xdp obj …` (also -f): replace an attached program instead of failing.
  let force = false, stats = 0;
  // Global options before the object: -force (-f), -s/-stats/-statistics (twice: the error counters too).
  for (;;) {
    if (a[0] === '-force' || a[0] === '-f') force = true;
    else if (a[0] === '-s' || a[0] === '-stats' || a[0] === '-statistics') stats++;
    else break;
    a = a.slice(1);
  }
  if (a[0] !== 'link' && a[0] !== 'l') return usageErr(`Object "${a[0] ?? ''}" is unknown, try "ip help".`);
  const verb = a[1];
  if (verb === undefined || verb === 'show' || verb === 'list' || verb === 'ls') {
    let dev: string | undefined;
    for (let i = 2; i < a.length; i++) {
      if (a[i] === 'dev') { dev = a[++i]; continue; }
      if (dev === undefined) { dev = a[i]; continue; }
      return usageErr(`Error: either "dev" is duplicate, or "${a[i]}" is a garbage.`);
    }
    return { kind: 'show', dev, stats };
  }
  if (verb !== 'set') return usageErr(`Command "${verb}" is unknown, try "ip link help".`);
  const req: Extract<IpRequest, { kind: 'set' }> = { kind: 'set', dev: '' };
  for (let i = 2; i < a.length; i++) {
    const w = a[i];
    switch (w) {
      case 'dev': req.dev = a[++i] ?? ''; break;
      case 'mtu': {
        const v = a[++i];
        if (v === undefined || !/^\d+$/.test(v)) return usageErr(`Error: argument "${v ?? ''}" is wrong: Invalid "mtu" value\n`);
        req.mtu = Number(v);
        break;
      }
      case 'address': case 'addr': req.address = a[++i] ?? ''; break;
      case 'up': req.up = true; break;
      case 'down': req.up = false; break;
      case 'xdp': case 'xdpdrv': case 'xdpgeneric': case 'xdpoffload': {
        const mode = w;
        const next = a[++i];
        if (next === 'off') { req.xdp = 'off'; break; }
        if (next !== 'obj' && next !== 'object') return usageErr('Error: either "obj" or "off" expected after "xdp".');
        const obj = a[++i];
        if (!obj) return usageErr('Error: argument "obj" needs a file name.');
        let sec: string | undefined;
        if (a[i + 1] === 'sec' || a[i + 1] === 'section') { sec = a[i + 2]; i += 2; }
        if (a[i + 1] === 'verbose') i++;
        req.xdp = { obj, sec, mode, force };
        break;
      }
      default:
        if (!req.dev) { req.dev = w; break; }
        return usageErr(`Error: either "dev" is duplicate, or "${w}" is a garbage.`);
    }
  }
  if (!req.dev) return usageErr('Not enough information: "dev" argument is required.');
  return req;
}

/** iproute2 prints the kernel's extack as `Error: <msg>.`; without one, `RTNETLINK answers: <strerror>`. */
function rtnlError(r: OpResult): IpResult {
  if (r.extack) return { stdout: '', stderr: `Error: ${r.extack}${r.extack.endsWith('.') ? '' : '.'}\n`, exit: 2 };
  return { stdout: '', stderr: `RTNETLINK answers: ${strerror(r.err)}\n`, exit: 2 };
}

let progIds = 0;
const progIdOf = new WeakMap<XdpProgram, number>();

export function runIpLink(device: NetvscDevice, argv: readonly string[], loadXdp?: XdpLoader): IpResult {
  const req = parseIpLink(argv);
  if ('exit' in req) return req;
  if (req.kind === 'show') {
    if (req.dev !== undefined && req.dev !== device.ifname && req.dev !== device.vf?.name) {
      return { stdout: '', stderr: `Device "${req.dev}" does not exist.\n`, exit: 1 };
    }
    let out = '';
    if (req.dev === undefined || req.dev === device.ifname) {
      out += showNetvsc(device);
      // Carrier off then on at every attach (netvsc_probe/netvsc_attach, then the host's link status): derived.
      if (req.stats) out += formatLinkStats64(device.stats.stats64(), req.stats, 2 * device.generation);
    }
    if (device.vf && (req.dev === undefined || req.dev === device.vf.name)) out += showVf(device);
    return { stdout: out, stderr: '', exit: 0 };
  }
  const isVf = device.vf && req.dev === device.vf.name;
  if (req.dev !== device.ifname && !isVf) return { stdout: '', stderr: `Cannot find device "${req.dev}"\n`, exit: 1 };
  if (isVf) {
    // Only up/down on the VF itself (the doc says configure the netvsc device, not the VF).
    if (req.up !== undefined) device.setVfUp(req.up);
    if (req.mtu !== undefined && device.vf) device.vf.mtu = req.mtu;
    return { stdout: '', stderr: '', exit: 0 };
  }
  if (req.mtu !== undefined) {
    const r = device.setMtu(req.mtu);
    if (r.err) return rtnlError(r);
  }
  if (req.address !== undefined) {
    if (!/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(req.address)) return usageErr(`"${req.address}" is invalid lladdr.`);
    const mac = req.address.split(':').map((x) => x.padStart(2, '0').toLowerCase()).join(':');
    const r = device.setMacAddress(mac);
    if (r.err) return rtnlError(r);
  }
  if (req.xdp !== undefined) {
    if (req.xdp === 'off') device.setXdp(null);
    else {
      if (req.xdp.mode === 'xdpoffload') return rtnlError({ err: -95, extack: 'Underlying driver does not support XDP in HW mode' });
      if (req.xdp.mode === 'xdpgeneric') return { stdout: '', stderr: 'netvsc-lab: generic (skb) XDP is not modelled; use xdp or xdpdrv (native mode, netvsc_xdp_set)\n', exit: 2 };
      if (!loadXdp) return { stdout: '', stderr: 'No XDP loader available\n', exit: 1 };
      let prog: XdpProgram;
      try {
        prog = loadXdp(req.xdp.obj, req.xdp.sec);
      } catch (e) {
        return { stdout: '', stderr: `${e instanceof Error ? e.message : String(e)}\n`, exit: 255 };
      }
      // iproute2 loads (and the kernel verifies) first, then attaches with XDP_FLAGS_UPDATE_IF_NOEXIST
      // unless -force: dev_xdp_attach() refuses to replace a program before the driver is asked.
      if (device.xdp && !req.xdp.force) return rtnlError({ err: -16, extack: 'XDP program already attached' });
      const r = device.setXdp(prog);
      if (r.err) return rtnlError(r);
      if (!progIdOf.has(prog)) progIdOf.set(prog, ++progIds + 40);
    }
  }
  if (req.up !== undefined) device.setUp(req.up);
  return { stdout: '', stderr: '', exit: 0 };
}

function showNetvsc(d: NetvscDevice): string {
  const flags = ['BROADCAST', 'MULTICAST', ...(d.up ? ['UP', 'LOWER_UP'] : [])].join(',');
  const xdp = d.xdp ? ' xdp' : '';
  let s = `${d.ifindex}: ${d.ifname}: <${flags}> mtu ${d.mtu}${xdp} qdisc mq state ${d.up ? 'UP' : 'DOWN'} mode DEFAULT group default qlen 1000\n`;
  s += `    link/ether ${d.mac} brd ff:ff:ff:ff:ff:ff\n`;
  if (d.xdp) s += `    prog/xdp id ${progIdOf.get(d.xdp) ?? 1} name ${d.xdp.name.slice(0, 15)}${d.xdp.tag ? ` tag ${d.xdp.tag}` : ''} jited \n`;
  return s;
}

/** iproute2's size_columns(): a column is as wide as its widest number. */
function sizeColumns(cols: number[], ...vals: number[]): void {
  vals.forEach((v, i) => { const len = String(v).length; if (len > cols[i]) cols[i] = len; });
}

/** iproute2's print_num() without -h: right-aligned in its column, then a space. */
const num = (width: number, v: number): string => `${String(v).padStart(width)} `;

/**
 * The statistics block of `ip -s link show` (iproute2 6.1 print_link_stats64): RX and TX lines,
 * and with `-s -s` the error lines; `carrierChanges` is the TX errors' `transns` column.
 */
export function formatLinkStats64(s: LinkStats64, level: number, carrierChanges: number): string {
  // Starting widths: the longest header word of each column ("*X errors:", "packets", …, "compressed").
  const cols = [10, 7, 6, 7, 7, 7, 10];
  sizeColumns(cols, s.rxBytes, s.rxPackets, s.rxErrors, s.rxDropped, s.rxMissed, s.multicast, 0);
  sizeColumns(cols, s.txBytes, s.txPackets, s.txErrors, s.txDropped, 0, 0, 0);
  if (level > 1) sizeColumns(cols, 0, 0, 0, 0, 0, carrierChanges, 0);
  const head = (words: string[]): string => words.map((w, i) => w.padStart(i === 0 ? cols[0] - 4 : cols[i])).join(' ');
  const errHead = (words: string[]): string => `${''.padStart(cols[0] - 10)} ${words.map((w, i) => w.padStart(cols[i + 1])).join(' ')}`;
  const errIndent = ''.padStart(cols[0] + 5);
  let o = `    RX: ${head(['bytes', 'packets', 'errors', 'dropped', 'missed', 'mcast', ''])}\n`;
  o += `    ${num(cols[0], s.rxBytes)}${num(cols[1], s.rxPackets)}${num(cols[2], s.rxErrors)}${num(cols[3], s.rxDropped)}${num(cols[4], s.rxMissed)}${num(cols[5], s.multicast)}\n`;
  if (level > 1) {
    // (a nohandler column would follow when it is not 0; netvsc never counts it)
    o += `    RX errors:${errHead(['length', 'crc', 'frame', 'fifo', 'overrun'])}\n`;
    o += `${errIndent}${[1, 2, 3, 4, 5].map((c) => num(cols[c], 0)).join('')}\n`;
  }
  o += `    TX: ${head(['bytes', 'packets', 'errors', 'dropped', 'carrier', 'collsns', ''])}\n`;
  o += `    ${num(cols[0], s.txBytes)}${num(cols[1], s.txPackets)}${num(cols[2], s.txErrors)}${num(cols[3], s.txDropped)}${num(cols[4], 0)}${num(cols[5], 0)}\n`;
  if (level > 1) {
    o += `    TX errors:${errHead(['aborted', 'fifo', 'window', 'heartbt', 'transns'])}\n`;
    o += `${errIndent}${[1, 2, 3, 4].map((c) => num(cols[c], 0)).join('')}${num(cols[5], carrierChanges)}\n`;
  }
  return o;
}

function showVf(d: NetvscDevice): string {
  const vf = d.vf!;
  const flags = ['BROADCAST', 'MULTICAST', 'SLAVE', ...(vf.up ? ['UP', 'LOWER_UP'] : [])].join(',');
  let s = `${vf.ifindex}: ${vf.name}: <${flags}> mtu ${vf.mtu}${vf.xdp ? ' xdp' : ''} qdisc mq master ${d.ifname} state ${vf.up ? 'UP' : 'DOWN'} mode DEFAULT group default qlen 1000\n`;
  s += `    link/ether ${vf.mac} brd ff:ff:ff:ff:ff:ff\n`;
  return s;
}
