// A plain, serialisable view of the device for the tree view, the status bar and a worker
// protocol: what a person looks at, named as ethtool and the driver name it.
import type { NetvscDevice } from './device';
import { featureNames } from './features';

export interface DeviceSnapshot {
  ifname: string; mac: string; mtu: number; up: boolean;
  host: { profile: string; description: string; nvspVersion: string; ndisVersion: string; linkSpeedMbps: number };
  cpus: number;
  /** ethtool -l */
  channels: { combined: number; maxCombined: number };
  /** ethtool -g */
  rings: { rx: number; rxMax: number; tx: number; txMax: number; recvSectionSize: number; sendSectionSize: number };
  /** ethtool -x (+ IFF_RXFH_CONFIGURED), rx-flow-hash L4 per flow type (a TX knob) */
  rss: { tableSize: number; table: number[]; userConfigured: boolean; key: string; l4HashFlowTypes: string[] };
  sendTable: number[];
  offloads: { active: string[]; changeable: string[]; txChecksumMask: number; gsoMaxSize: number; rscEnabled: boolean };
  vf: null | { name: string; up: boolean; serial: number; dataPathIsVf: boolean; mtu: number; xdp: string | null };
  xdp: null | { name: string; objectPath: string; section: string };
  stats: [string, number][];
}

const ver = (v: number) => `${v >>> 16}.${v & 0xffff}`;

export function snapshotDevice(d: NetvscDevice): DeviceSnapshot {
  return {
    ifname: d.ifname, mac: d.mac, mtu: d.mtu, up: d.up,
    host: { profile: d.host.name, description: d.host.description, nvspVersion: ver(d.nvspVersion), ndisVersion: ver(d.ndisVersion), linkSpeedMbps: d.host.linkSpeedMbps },
    cpus: d.cpus,
    channels: { combined: d.numChn, maxCombined: d.maxChn },
    rings: { rx: d.recvSectionCnt, rxMax: d.ringMax().rx, tx: d.sendSectionCnt, txMax: d.ringMax().tx, recvSectionSize: d.recvSectionSize, sendSectionSize: d.sendSectionSize },
    rss: {
      tableSize: d.rxTableSz, table: [...d.rxTable.subarray(0, d.rxTableSz)], userConfigured: d.rxfhConfigured,
      key: [...d.rssKey].map((b) => b.toString(16).padStart(2, '0')).join(':'),
      l4HashFlowTypes: ['tcp4', 'tcp6', 'udp4', 'udp6'].filter((_, i) => d.l4Hash & (1 << i)),
    },
    sendTable: [...d.txTable],
    offloads: { active: featureNames(d.features), changeable: featureNames(d.hwFeatures), txChecksumMask: d.txChecksumMask, gsoMaxSize: d.gsoMaxSize, rscEnabled: d.rscEnabled },
    vf: d.vf ? { name: d.vf.name, up: d.vf.up, serial: d.vf.serial, dataPathIsVf: d.dataPathIsVf, mtu: d.vf.mtu, xdp: d.vf.xdp } : null,
    xdp: d.xdp ? { name: d.xdp.name, objectPath: d.xdp.objectPath, section: d.xdp.section } : null,
    stats: d.stats.ethtoolStats(),
  };
}
