// A small FIB for bpf_fib_lookup: routes (longest prefix match), neighbours (MAC addresses) and
// per-device settings, answering with the kernel's return codes and filling `struct
// bpf_fib_lookup` the way bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup do.

/** struct bpf_fib_lookup (include/uapi/linux/bpf.h), 64 bytes. */
export const FIB_LOOKUP_SIZE = 64;
export const FIB_OFF_FAMILY = 0;
export const FIB_OFF_TOT_LEN = 6; // in: tot_len, out: mtu_result
export const FIB_OFF_IFINDEX = 8;
export const FIB_OFF_RT_METRIC = 12;
export const FIB_OFF_SRC = 16;
export const FIB_OFF_DST = 32;
export const FIB_OFF_VLAN_PROTO = 48;
export const FIB_OFF_VLAN_TCI = 50;
export const FIB_OFF_SMAC = 52;
export const FIB_OFF_DMAC = 58;

export const AF_INET = 2;
export const AF_INET6 = 10;

export const BPF_FIB_LOOKUP_DIRECT = 1 << 0;
export const BPF_FIB_LOOKUP_OUTPUT = 1 << 1;
export const BPF_FIB_LOOKUP_SKIP_NEIGH = 1 << 2;
export const BPF_FIB_LOOKUP_TBID = 1 << 3;
export const BPF_FIB_LOOKUP_SRC = 1 << 4;

export const BPF_FIB_LKUP_RET_SUCCESS = 0;
export const BPF_FIB_LKUP_RET_BLACKHOLE = 1;
export const BPF_FIB_LKUP_RET_UNREACHABLE = 2;
export const BPF_FIB_LKUP_RET_PROHIBIT = 3;
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
export const BPF_FIB_LKUP_RET_FWD_DISABLED = 5;
export const BPF_FIB_LKUP_RET_UNSUPP_LWT = 6;
export const BPF_FIB_LKUP_RET_NO_NEIGH = 7;
export const BPF_FIB_LKUP_RET_FRAG_NEEDED = 8;

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface FibRoute {
  family: 2 | 10;
  /** Network address bytes (4 or 16). */
  prefix: Uint8Array;
  prefixLen: number;
  type: RouteType;
  /** Egress device. */
  ifindex: number;
  /** Next hop; absent = directly connected (the destination is the neighbour). */
  gateway?: Uint8Array;
  metric?: number;
}

export interface FibDevice {
  ifindex: number;
  mac: Uint8Array;
  mtu: number;
  /** net.ipv4.conf.X.forwarding / net.ipv6.conf.X.forwarding */
  forwarding: boolean;
}

/** Parses `10.0.0.0/8` or `fd00::/64` into family, bytes and length. */
export function parsePrefix(text: string): { family: 2 | 10; bytes: Uint8Array; len: number } {
  const [addr, lenText] = text.split('/');
  const bytes = parseAddress(addr);
  const family = bytes.length === 4 ? AF_INET : AF_INET6;
  const len = lenText === undefined ? bytes.length * 8 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > bytes.length * 8) throw new Error(`bad prefix length in '${text}'`);
  return { family, bytes, len };
}

export function parseAddress(text: string): Uint8Array {
  if (text.includes(':')) {
    const [head, tail] = text.split('::');
    const parts = (s: string | undefined) => (s ? s.split(':') : []).map((h) => {
      const v = parseInt(h, 16);
      if (!/^[0-9a-fA-F]{1,4}$/.test(h)) throw new Error(`bad IPv6 address '${text}'`);
      return v;
    });
    const a = parts(head), b = parts(tail);
    const words = tail === undefined ? a : [...a, ...new Array(8 - a.length - b.length).fill(0), ...b];
    if (words.length !== 8) throw new Error(`bad IPv6 address '${text}'`);
    const out = new Uint8Array(16);
    words.forEach((w, i) => { out[2 * i] = w >> 8; out[2 * i + 1] = w & 0xff; });
    return out;
  }
  const p = text.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`bad IPv4 address '${text}'`);
  return Uint8Array.from(p);
}

function matches(prefix: Uint8Array, len: number, addr: Uint8Array, addrOff: number): boolean {
  for (let i = 0; i < prefix.length && i * 8 < len; i++) {
    const bits = Math.min(8, len - i * 8);
    const mask = (0xff00 >> bits) & 0xff;
    if ((prefix[i] & mask) !== (addr[addrOff + i] & mask)) return false;
  }
  return true;
}

export class FibTable {
  readonly routes: FibRoute[] = [];
  readonly devices = new Map<number, FibDevice>();
  /** Neighbour table: address (dotted / IPv6 text of the bytes) -> MAC. */
  private readonly neighbours = new Map<string, Uint8Array>();

  addDevice(d: FibDevice): void { this.devices.set(d.ifindex, d); }

  addRoute(prefix: string, ifindex: number, opts: { type?: RouteType; gateway?: string; metric?: number } = {}): void {
    const p = parsePrefix(prefix);
    this.routes.push({
      family: p.family, prefix: p.bytes, prefixLen: p.len, type: opts.type ?? 'unicast', ifindex,
      gateway: opts.gateway ? parseAddress(opts.gateway) : undefined, metric: opts.metric,
    });
  }

  addNeighbour(address: string, mac: Uint8Array): void { this.neighbours.set(Array.from(parseAddress(address)).join(','), mac); }

  /**
   * Answers a lookup over the 64 bytes of `p` (at `off` in `buf`), updating them in place as the
   * kernel does. Returns a BPF_FIB_LKUP_RET_* code or a negative errno.
   */
  lookup(buf: Uint8Array, off: number, flags: number): number {
    const dv = new DataView(buf.buffer, buf.byteOffset + off, FIB_LOOKUP_SIZE);
    const family = buf[off + FIB_OFF_FAMILY];
    if (family !== AF_INET && family !== AF_INET6) return -97; // -EAFNOSUPPORT
    if (flags & ~(BPF_FIB_LOOKUP_DIRECT | BPF_FIB_LOOKUP_OUTPUT | BPF_FIB_LOOKUP_SKIP_NEIGH | BPF_FIB_LOOKUP_TBID | BPF_FIB_LOOKUP_SRC)) return -22;
    const inIf = dv.getUint32(FIB_OFF_IFINDEX, true);
    const dev = this.devices.get(inIf);
    if (!dev) return -19; // -ENODEV
    if (!(flags & BPF_FIB_LOOKUP_OUTPUT) && !dev.forwarding) return BPF_FIB_LKUP_RET_FWD_DISABLED;
    const alen = family === AF_INET ? 4 : 16;
    let best: FibRoute | undefined;
    for (const r of this.routes) {
      if (r.family !== family || !matches(r.prefix, r.prefixLen, buf, off + FIB_OFF_DST)) continue;
      if (!best || r.prefixLen > best.prefixLen || (r.prefixLen === best.prefixLen && (r.metric ?? 0) < (best.metric ?? 0))) best = r;
    }
    if (!best) return BPF_FIB_LKUP_RET_NOT_FWDED;
    if (best.type === 'blackhole') return BPF_FIB_LKUP_RET_BLACKHOLE;
    if (best.type === 'unreachable') return BPF_FIB_LKUP_RET_UNREACHABLE;
    if (best.type === 'prohibit') return BPF_FIB_LKUP_RET_PROHIBIT;
    const out = this.devices.get(best.ifindex);
    if (!out) return BPF_FIB_LKUP_RET_NOT_FWDED;
    dv.setUint32(FIB_OFF_RT_METRIC, best.metric ?? 0, true);
    const totLen = dv.getUint16(FIB_OFF_TOT_LEN, true);
    if (totLen && totLen > out.mtu) {
      dv.setUint16(FIB_OFF_TOT_LEN, out.mtu, true);
      return BPF_FIB_LKUP_RET_FRAG_NEEDED;
    }
    // On the way to a gateway, the gateway is the neighbour and is written back as the new dst.
    if (best.gateway) buf.set(best.gateway, off + FIB_OFF_DST);
    dv.setUint32(FIB_OFF_IFINDEX, out.ifindex, true);
    dv.setUint16(FIB_OFF_VLAN_PROTO, 0, true);
    dv.setUint16(FIB_OFF_VLAN_TCI, 0, true);
    buf.set(out.mac, off + FIB_OFF_SMAC);
    if (flags & BPF_FIB_LOOKUP_SKIP_NEIGH) return BPF_FIB_LKUP_RET_SUCCESS;
    const nh = Array.from(buf.subarray(off + FIB_OFF_DST, off + FIB_OFF_DST + alen)).join(',');
    const mac = this.neighbours.get(nh);
    if (!mac) return BPF_FIB_LKUP_RET_NO_NEIGH;
    buf.set(mac, off + FIB_OFF_DMAC);
    return BPF_FIB_LKUP_RET_SUCCESS;
  }
}
