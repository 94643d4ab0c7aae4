// What the NetVSC device tree shows, as plain data: the VS Code tree provider only maps these
// nodes to TreeItems. Node ids are paths (`eth0/queues/3`), so a changed counter can refresh its
// own node and nothing else.
import { featuresText, rxfhText } from '../ethtool/executor';
import type { Lab } from '../lab/lab';
import type { NetvscDevice } from '../netvsc/device';
import { XDP_ACTION_NAMES, type XdpProgram } from '../netvsc/xdp';
import { EbpfXdpProgram } from '../netvsc/xdpRunner';
import type { BpfMap } from '../ebpf/maps';
import {
  PER_QUEUE, Q_RX_BYTES, Q_RX_PACKETS, Q_RX_XDP_DROP, Q_RX_XDP_REDIRECT, Q_RX_XDP_TX, Q_TX_BYTES, Q_TX_PACKETS,
  Q_TX_XDP_XMIT, VF_STAT_NAMES,
} from '../netvsc/stats';

export interface ViewNode {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** For menus: `device`, `offload-on`, `offload-off`, `offload-fixed`, `flowhash`, `vf`, `xdp`, … */
  contextValue?: string;
  /** A codicon name. */
  icon?: string;
  /** Has children (collapsed until opened); a leaf otherwise. */
  expandable?: boolean;
  /** Opened when first shown. */
  expanded?: boolean;
}

const FLOWS = ['tcp4', 'udp4', 'tcp6', 'udp6'] as const;
/** Map entries listed per map: a view, not a dump (bpftool map dump shows them all). */
const MAX_MAP_ROWS = 256;
const mapsOf = (x: XdpProgram | null): BpfMap[] => (x instanceof EbpfXdpProgram ? x.instance.maps : []);
/** The verdicts hv_netvsc counts per queue (XDP_PASS and XDP_ABORTED have no ethtool counter). */
const XDP_COUNTED = ['XDP_DROP', 'XDP_TX', 'XDP_REDIRECT'];
const SECTIONS = ['host', 'queues', 'offloads', 'rss', 'buffers', 'vf', 'xdp'] as const;
type Section = typeof SECTIONS[number];

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const nvspText = (v: number): string => `${v >>> 16}.${v & 0xffff}`;
const n = (x: number): string => x.toLocaleString('en-US');

export class DeviceTreeModel {
  constructor(private readonly lab: Lab) {}

  /** Ids of the children of `id` (undefined = the roots). */
  children(id?: string): string[] {
    if (id === undefined) return this.lab.names();
    const [dev, section, ...rest] = id.split('/');
    const d = this.lab.device(dev);
    if (!d) return [];
    if (section === undefined) return SECTIONS.map((s) => `${dev}/${s}`);
    if (rest.length > 0) {
      if (section === 'offloads') return this.offloadGroups(d).find((g) => g.name === rest[0])?.members.map((m) => `${dev}/offloads/${rest[0]}/${m.name}`) ?? [];
      if (section === 'queues') return ['rx', 'tx', 'xdp'].map((k) => `${id}/${k}`);
      if (section === 'rss' && rest[0] === 'indir') return this.indirRows(d).map((_, i) => `${id}/${i}`);
      if (section === 'xdp' && rest[0] === 'maps') {
        const maps = mapsOf(d.xdp);
        if (rest.length === 1) return maps.map((_, i) => `${id}/${i}`);
        const m = maps[Number(rest[1])];
        if (rest.length === 2 && m) {
          const n = Math.min(m.entries().length, MAX_MAP_ROWS);
          return Array.from({ length: n }, (_, k) => `${id}/${k}`);
        }
      }
      return [];
    }
    switch (section as Section) {
      case 'host': return ['profile', 'nvsp', 'ndis', 'csum', 'lso', 'rsc', 'queues'].map((k) => `${id}/${k}`);
      case 'queues': return Array.from({ length: d.numChn }, (_, q) => `${id}/${q}`);
      case 'offloads': return this.offloadGroups(d).map((g) => `${id}/${g.name}`);
      case 'rss': return ['hfunc', 'key', ...FLOWS.map((f) => `flow-${f}`), 'indir'].map((k) => `${id}/${k}`);
      case 'buffers': return ['recv', 'send', 'rxring', 'txring'].map((k) => `${id}/${k}`);
      case 'vf': return d.vf ? ['name', 'link', 'datapath', ...VF_STAT_NAMES].map((k) => `${id}/${k}`) : [];
      case 'xdp': return d.xdp ? ['program', ...XDP_COUNTED, ...(mapsOf(d.xdp).length ? ['maps'] : [])].map((k) => `${id}/${k}`) : [];
    }
    return [];
  }

  /** The node for an id, or undefined when it no longer exists. */
  node(id: string): ViewNode | undefined {
    const [dev, section, ...rest] = id.split('/');
    const d = this.lab.device(dev);
    if (!d) return undefined;
    const node = section === undefined ? this.deviceNode(d, dev)
      : rest.length === 0 ? this.sectionNode(d, section as Section, id) : this.leaf(d, section as Section, rest, id);
    // A followed device (the debugger's) is shown, not changed: no actions on its nodes.
    if (node && this.lab.isFollowed(dev)) node.contextValue = section === undefined ? 'device-followed' : undefined;
    return node;
  }

  private deviceNode(d: NetvscDevice, name: string): ViewNode {
    const xdp = d.xdp ? ` · XDP ${d.xdp.name}` : '';
    const path = d.vf ? ` · data path ${d.dataPathIsVf ? 'VF' : 'synthetic'}` : '';
    return {
      id: name, label: name === d.ifname ? name : `${name} (${d.ifname})`, contextValue: 'device', icon: 'circuit-board', expandable: true, expanded: true,
      description: `${d.host.name} · ${d.numChn} ch · ${d.up ? 'up' : 'down'}${xdp}${path}`,
      tooltip: `${d.ifname}: hv_netvsc on ${d.host.description}\nMAC ${d.mac}, MTU ${d.mtu}, ${d.cpus} vCPUs`,
    };
  }

  private sectionNode(d: NetvscDevice, s: Section, id: string): ViewNode {
    const base = { id, expandable: true };
    switch (s) {
      case 'host': return { ...base, label: 'Host', icon: 'server', description: `${d.host.name}, NVSP ${nvspText(d.nvspVersion)}` };
      case 'queues': {
        const st = d.stats.queues;
        let rx = 0, tx = 0;
        for (let q = 0; q < d.numChn; q++) { rx += st[q * PER_QUEUE + Q_RX_PACKETS]; tx += st[q * PER_QUEUE + Q_TX_PACKETS]; }
        return { ...base, label: 'Channels & queues', icon: 'list-ordered', contextValue: 'queues', description: `${d.numChn} of ${d.maxChn} · rx ${n(rx)} · tx ${n(tx)}` };
      }
      case 'offloads': return { ...base, label: 'Offloads', icon: 'settings', description: this.offloadSummary(d) };
      case 'rss': return { ...base, label: 'RSS', icon: 'symbol-key', description: d.rxTableSz ? `toeplitz, ${d.rxTableSz}-entry table` : 'one channel: not programmed' };
      case 'buffers': return { ...base, label: 'Buffers', icon: 'database', description: `recv ${n(d.recvSectionCnt)} × ${d.recvSectionSize} B, send ${n(d.sendSectionCnt)} × ${d.sendSectionSize} B` };
      case 'vf': return { ...base, label: 'SR-IOV VF', icon: 'plug', contextValue: d.vf ? 'vf-present' : 'vf-absent', expandable: !!d.vf,
        description: d.vf ? `${d.vf.name} ${d.vf.up ? 'up' : 'down'}, data path ${d.dataPathIsVf ? 'VF' : 'synthetic'}` : 'none' };
      case 'xdp': return { ...base, label: 'XDP', icon: 'zap', contextValue: d.xdp ? 'xdp-attached' : 'xdp-detached', expandable: !!d.xdp,
        description: d.xdp ? `${d.xdp.name} (${d.xdp.section})` : 'not attached' };
    }
  }

  private leaf(d: NetvscDevice, s: Section, rest: string[], id: string): ViewNode | undefined {
    const [k, sub] = rest;
    const kv = (label: string, description: string, extra: Partial<ViewNode> = {}): ViewNode => ({ id, label, description, ...extra });
    switch (s) {
      case 'host': {
        const h = d.host;
        const map: Record<string, [string, string]> = {
          profile: ['Profile', `${h.name}: ${h.description}`],
          nvsp: ['NVSP version', `${nvspText(d.nvspVersion)} (host offers ${nvspText(h.nvspVersion)})`],
          ndis: ['NDIS version', nvspText(d.ndisVersion)],
          csum: ['TX checksum caps', `ip4 ${hex32(h.ip4TxCsum)}, ip6 ${hex32(h.ip6TxCsum)}; mask ${hex32(d.txChecksumMask)}`],
          lso: ['LSOv2', `ip4 encap ${hex32(h.lsoIp4Encap)}, ip6 encap ${hex32(h.lsoIp6Encap)}; gso_max_size ${d.gsoMaxSize}`],
          rsc: ['RSC', h.rsc ? (d.rscEnabled ? 'offered, enabled' : 'offered, disabled') : 'not offered'],
          queues: ['RSS queues', `${h.numRecvQueues} receive queues, ${h.numIndirectTableEntries} table entries`],
        };
        return map[k] && kv(...map[k]);
      }
      case 'queues': {
        const q = Number(k);
        if (!(q >= 0 && q < d.numChn)) return undefined;
        const st = d.stats.queues;
        const v = (f: number) => st[q * PER_QUEUE + f];
        if (sub === undefined) {
          return { id, label: `queue ${q}`, icon: 'symbol-event', expandable: true, contextValue: 'queue',
            description: `rx ${n(v(Q_RX_PACKETS))} · tx ${n(v(Q_TX_PACKETS))} · xdp drop ${n(v(Q_RX_XDP_DROP))}`,
            tooltip: `channel ${q}, target CPU ${d.stats.targetCpu(q)}` };
        }
        if (sub === 'rx') return kv('RX', `${n(v(Q_RX_PACKETS))} packets, ${n(v(Q_RX_BYTES))} bytes`);
        if (sub === 'tx') return kv('TX', `${n(v(Q_TX_PACKETS))} packets, ${n(v(Q_TX_BYTES))} bytes`);
        if (sub === 'xdp') return kv('XDP', `drop ${n(v(Q_RX_XDP_DROP))}, tx ${n(v(Q_RX_XDP_TX))}, redirect ${n(v(Q_RX_XDP_REDIRECT))}, xmit ${n(v(Q_TX_XDP_XMIT))}`);
        return undefined;
      }
      case 'offloads': {
        const g = this.offloadGroups(d).find((x) => x.name === k);
        if (!g) return undefined;
        const line = sub === undefined ? g : g.members.find((m) => m.name === sub);
        if (!line) return undefined;
        const fixed = line.suffix.includes('[fixed]');
        return { id, label: line.name, description: `${line.on ? 'on' : 'off'}${line.suffix}`,
          contextValue: fixed ? 'offload-fixed' : line.on ? 'offload-on' : 'offload-off',
          icon: line.on ? 'pass-filled' : 'circle-large-outline', expandable: sub === undefined && g.members.length > 0,
          tooltip: `ethtool -K ${d.ifname} ${line.name} ${line.on ? 'off' : 'on'}` };
      }
      case 'rss': {
        if (k === 'hfunc') return kv('Hash function', 'toeplitz');
        if (k === 'key') return kv('Key', [...d.rssKey].map((b) => b.toString(16).padStart(2, '0')).join(':'));
        if (k.startsWith('flow-')) {
          const f = k.slice(5);
          const l4 = (d.getRxfhFields(f) & 0xc0) === 0xc0;
          return kv(`rx-flow-hash ${f}`, l4 ? 'sdfn (L4: addresses + ports)' : 'sd (L3: addresses only)',
            { contextValue: 'flowhash', tooltip: 'On hv_netvsc this selects the TX queue hash; the host hashes RX itself.' });
        }
        if (k === 'indir') {
          if (sub === undefined) return { id, label: 'Indirection table', description: `${d.rxTableSz} entries${d.rxfhConfigured ? ', user-set' : ', default'}`, expandable: d.rxTableSz > 0 };
          const row = this.indirRows(d)[Number(sub)];
          return row && kv(row.label, row.text);
        }
        return undefined;
      }
      case 'buffers': {
        const map: Record<string, [string, string]> = {
          recv: ['Receive buffer', `${n(d.recvSectionCnt)} sections × ${d.recvSectionSize} B`],
          send: ['Send buffer', `${n(d.sendSectionCnt)} sections × ${d.sendSectionSize} B`],
          rxring: ['ethtool -g rx', `${n(d.recvSectionsRequested)} (driver sections of 1728 B)`],
          txring: ['ethtool -g tx', `${n(d.sendSectionsRequested)}`],
        };
        return map[k] && kv(...map[k]);
      }
      case 'vf': {
        const vf = d.vf;
        if (!vf) return undefined;
        if (k === 'name') return kv('Interface', `${vf.name} (${vf.mac})`);
        if (k === 'link') return kv('Link', vf.up ? 'up' : 'down');
        if (k === 'datapath') return kv('Data path', d.dataPathIsVf ? 'VF' : 'synthetic');
        const v = d.stats.get(k);
        return v === undefined ? undefined : kv(k, n(v));
      }
      case 'xdp': {
        const x = d.xdp;
        if (!x) return undefined;
        if (k === 'program') return kv(x.name, `${x.section} · ${x.objectPath}`, { icon: 'file-binary' });
        if (k === 'maps') return this.mapNode(x, rest.slice(1), id);
        const action = XDP_ACTION_NAMES.indexOf(k);
        if (!XDP_COUNTED.includes(k)) return undefined;
        return kv(k, n(this.xdpActionCount(d, action)), { tooltip: 'Sum of the per-queue rx_queue_N_xdp_* counters of ethtool -S' });
      }
    }
    return undefined;
  }

  /** XDP > Maps: a node per map, its entries decoded through BTF (the first MAX_MAP_ROWS). */
  private mapNode(x: XdpProgram, path: string[], id: string): ViewNode | undefined {
    const maps = mapsOf(x);
    if (path.length === 0) return { id, label: 'Maps', icon: 'symbol-structure', expandable: maps.length > 0, description: `${maps.length}` };
    const m = maps[Number(path[0])];
    if (!m) return undefined;
    const entries = m.entries();
    if (path.length === 1) {
      const more = entries.length > MAX_MAP_ROWS ? ` (first ${MAX_MAP_ROWS} shown)` : '';
      return { id, label: m.name, icon: 'symbol-array', expandable: entries.length > 0, contextValue: 'map',
        description: `${m.typeName}, ${entries.length} of ${m.maxEntries} entries${more}`,
        tooltip: `key ${m.keySize} B, value ${m.valueSize} B${m.btf ? ', decoded through BTF' : ''}` };
    }
    const e = entries[Number(path[1])];
    if (!e) return undefined;
    const value = e.values.length === 1 ? m.formatValue(e.values[0]) : e.values.map((v, cpu) => `cpu${cpu}: ${m.formatValue(v)}`).join(', ');
    return { id, label: m.formatKey(e.key), description: value, contextValue: 'map-entry' };
  }

  /** The `ethtool -k` lines, grouped as ethtool groups them (a group line and its tab-indented members). */
  private offloadGroups(d: NetvscDevice): OffloadLine[] {
    const groups: OffloadLine[] = [];
    for (const line of featuresText(d).split('\n').slice(1)) {
      const m = /^(\t?)([^:]+): (on|off)(.*)$/.exec(line);
      if (!m) continue;
      const entry: OffloadLine = { name: m[2], on: m[3] === 'on', suffix: m[4], members: [] };
      if (m[1] && groups.length) groups[groups.length - 1].members.push(entry);
      else groups.push(entry);
    }
    return groups;
  }

  private offloadSummary(d: NetvscDevice): string {
    const on = (name: string) => this.offloadGroups(d).find((g) => g.name === name)?.on;
    const parts = [['rx-checksumming', 'rxcsum'], ['tx-checksumming', 'txcsum'], ['tcp-segmentation-offload', 'tso'],
      ['generic-receive-offload', 'gro'], ['large-receive-offload', 'lro']];
    return parts.map(([name, short]) => `${short} ${on(name) ? 'on' : 'off'}`).join(', ');
  }

  /** `ethtool -x` rows of eight entries. */
  private indirRows(d: NetvscDevice): { label: string; text: string }[] {
    return rxfhText(d).split('\n').filter((l) => /^\s*\d+:/.test(l)).map((l) => {
      const [head, tail] = l.split(':');
      return { label: head.trim(), text: tail.trim().split(/\s+/).join(' ') };
    });
  }

  private xdpActionCount(d: NetvscDevice, action: number): number {
    const field = action === 1 ? Q_RX_XDP_DROP : action === 3 ? Q_RX_XDP_TX : Q_RX_XDP_REDIRECT;
    let sum = 0;
    for (let q = 0; q < d.numChn; q++) sum += d.stats.queues[q * PER_QUEUE + field];
    return sum;
  }
}

interface OffloadLine { name: string; on: boolean; suffix: string; members: OffloadLine[] }
