// The device as a versioned JSON state file, so CLI invocations continue where the last one
// stopped. Written atomically (temporary file + rename): never left half-written.
import { existsSync, readFileSync, renameSync, writeFileSync, unlinkSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { NetvscDevice, type DeviceConfig, type DeviceOptions, type VfState } from './device';
import { featureNames, featuresFromNames } from './features';
import { HOST_PROFILE_NAMES, type HostProfile } from './hostProfile';
import { NetvscStats } from './stats';
import type { XdpProgram } from './xdp';

export const STATE_FORMAT = 'netvsc-lab-device';
export const STATE_VERSION = 1;

/** A state file that cannot be used: the message names the file and what is wrong. */
export class StateFileError extends Error {}

interface StateJson {
  format: string;
  version: number;
  host: HostProfile;
  cpus: number;
  options: DeviceOptions;
  ifname: string; mac: string; permMac: string; mtu: number; vlan: number; up: boolean;
  hwFeatures: string[]; features: string[]; wantedFeatures: string[];
  requestedChn: number; rxTable: number[]; rxfhConfigured: boolean; rssKey: number[]; l4Hash: number; txTable: number[];
  recvSectionsRequested: number; sendSectionsRequested: number;
  xdp: { objectPath: string; section: string } | null;
  vf: (Omit<VfState, 'features'> & { features: string[] }) | null;
  dataPathIsVf: boolean;
  stats: ReturnType<NetvscStats['toJSON']>;
  log: string[];
}

export function serializeDevice(d: NetvscDevice): StateJson {
  return {
    format: STATE_FORMAT, version: STATE_VERSION, host: d.host, cpus: d.cpus, options: d.options,
    ifname: d.ifname, mac: d.mac, permMac: d.permMac, mtu: d.mtu, vlan: d.vlan, up: d.up,
    hwFeatures: featureNames(d.hwFeatures), features: featureNames(d.features), wantedFeatures: featureNames(d.wantedFeatures),
    requestedChn: d.requestedChn, rxTable: [...d.rxTable.subarray(0, d.rxTableSz)], rxfhConfigured: d.rxfhConfigured,
    rssKey: [...d.rssKey], l4Hash: d.l4Hash, txTable: [...d.txTable],
    recvSectionsRequested: d.recvSectionsRequested, sendSectionsRequested: d.sendSectionsRequested,
    xdp: d.xdp ? { objectPath: d.xdp.objectPath, section: d.xdp.section } : null,
    vf: d.vf ? { ...d.vf, features: featureNames(d.vf.features) } : null,
    dataPathIsVf: d.dataPathIsVf, stats: d.stats.toJSON(), log: d.log.slice(-200),
  };
}

/**
 * Rebuilds a device from its JSON. `loadXdp` reloads the attached program from its object
 * file (the program itself is not in the state).
 */
export function deserializeDevice(j: unknown, where: string, loadXdp?: (objectPath: string, section: string) => XdpProgram): NetvscDevice {
  const bad = (what: string): never => { throw new StateFileError(`${where}: ${what}`); };
  if (typeof j !== 'object' || j === null) bad('not a netvsc-lab state file (not a JSON object)');
  const s = j as StateJson;
  if (s.format !== STATE_FORMAT) bad(`not a netvsc-lab state file (format is ${JSON.stringify(s.format)}, expected "${STATE_FORMAT}")`);
  if (typeof s.version !== 'number') bad('state file has no version');
  if (s.version > STATE_VERSION) bad(`state file version ${s.version} is newer than this netvsc-lab understands (${STATE_VERSION}); upgrade netvsc-lab`);
  if (s.version < 1) bad(`state file version ${s.version} is not valid`);
  const num = (v: unknown, name: string, lo: number, hi: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(`field '${name}' must be an integer in ${lo}..${hi}, got ${JSON.stringify(v)}`);
    return v as number;
  };
  if (typeof s.host !== 'object' || s.host === null || typeof s.host.nvspVersion !== 'number') bad("field 'host' is missing or not a host profile");
  num(s.cpus, 'cpus', 1, 4096);
  num(s.mtu, 'mtu', 68, 65535);
  try {
    const cfg: DeviceConfig = { host: s.host, cpus: s.cpus, mtu: s.mtu, mac: s.permMac, vlan: s.vlan, ifname: s.ifname, options: s.options };
    const d = new NetvscDevice(cfg);
    d.mac = s.mac; d.up = s.up;
    d.requestedChn = num(s.requestedChn, 'requestedChn', 1, 64);
    d.recvSectionsRequested = num(s.recvSectionsRequested, 'recvSectionsRequested', 1, 1 << 24);
    d.sendSectionsRequested = num(s.sendSectionsRequested, 'sendSectionsRequested', 1, 1 << 24);
    d.features = featuresFromNames(s.features);
    d.wantedFeatures = featuresFromNames(s.wantedFeatures);
    d.hwFeatures = featuresFromNames(s.hwFeatures);
    d.rxfhConfigured = !!s.rxfhConfigured;
    // Re-attach with the saved requests, then restore the tables the user set.
    d.restoreAttach();
    if (!Array.isArray(s.rssKey) || s.rssKey.length !== 40) bad("field 'rssKey' must hold 40 bytes");
    d.setRssKey(Uint8Array.from(s.rssKey));
    if (!Array.isArray(s.rxTable)) bad("field 'rxTable' must be an array");
    s.rxTable.slice(0, d.rxTableSz).forEach((q, i) => { d.rxTable[i] = num(q, `rxTable[${i}]`, 0, 63); });
    d.l4Hash = num(s.l4Hash, 'l4Hash', 0, 15);
    if (!Array.isArray(s.txTable) || s.txTable.length !== 16) bad("field 'txTable' must hold 16 entries");
    s.txTable.forEach((q, i) => { d.txTable[i] = num(q, `txTable[${i}]`, 0, 63); });
    d.refreshHot();
    d.rscEnabled = d.host.rsc && (d.features & (1n << 15n)) !== 0n;
    if (s.vf) d.vf = { ...s.vf, features: featuresFromNames(s.vf.features) };
    d.dataPathIsVf = !!s.dataPathIsVf;
    if (s.stats) {
      const st = NetvscStats.fromJSON(d.cpus, s.stats);
      if (st.numChn !== d.numChn) st.resetChannels(d.numChn);
      st.layout = d.options.statsLayout ?? 'newest';
      d.stats = st;
    }
    if (Array.isArray(s.log)) d.log.push(...s.log.filter((l) => typeof l === 'string'));
    if (s.xdp) {
      if (!loadXdp) bad('an XDP program is attached but cannot be reloaded here');
      d.xdp = loadXdp!(s.xdp.objectPath, s.xdp.section);
    }
    return d;
  } catch (e) {
    if (e instanceof StateFileError) throw e;
    throw new StateFileError(`${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads a state file; null when it does not exist. */
export function readStateFile(path: string, loadXdp?: (objectPath: string, section: string) => XdpProgram): NetvscDevice | null {
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String(e));
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    throw new StateFileError(`${path}: corrupt state file: not valid JSON${where}`);
  }
  return deserializeDevice(json, path, loadXdp);
}

/** Writes the state atomically: a temporary file in the same directory, then rename over the target. */
export function writeStateFile(path: string, d: NetvscDevice): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, JSON.stringify(serializeDevice(d), null, 1) + '\n');
    renameSync(tmp, path);
  } catch (e) {
    try { if (existsSync(tmp)) unlinkSync(tmp); } catch { /* best effort */ }
    throw e;
  }
}

export { HOST_PROFILE_NAMES };
