// netdev feature bits (include/linux/netdev_features.h, newest kernel) and their ethtool names
// (net/ethtool/common.c netdev_features_strings). Feature sets are bigint bitmasks: they change
// only on configuration, never per packet.

/** Kernel feature names in bit order; null = unused bit. */
export const FEATURE_NAMES: readonly (string | null)[] = [
  'tx-scatter-gather', // 0 SG
  'tx-checksum-ipv4', // 1 IP_CSUM
  null, // 2
  'tx-checksum-ip-generic', // 3 HW_CSUM
  'tx-checksum-ipv6', // 4 IPV6_CSUM
  'highdma', // 5
  'tx-scatter-gather-fraglist', // 6 FRAGLIST
  'tx-vlan-hw-insert', // 7 HW_VLAN_CTAG_TX
  'rx-vlan-hw-parse', // 8 HW_VLAN_CTAG_RX
  'rx-vlan-filter', // 9
  'vlan-challenged', // 10
  'tx-generic-segmentation', // 11 GSO
  null, // 12
  null, // 13
  'rx-gro', // 14 GRO
  'rx-lro', // 15 LRO
  'tx-tcp-segmentation', // 16 TSO
  'tx-gso-robust', // 17
  'tx-tcp-ecn-segmentation', // 18
  'tx-tcp-mangleid-segmentation', // 19
  'tx-tcp6-segmentation', // 20 TSO6
  'tx-fcoe-segmentation', // 21
  'tx-gre-segmentation', // 22
  'tx-gre-csum-segmentation', // 23
  'tx-ipxip4-segmentation', // 24
  'tx-ipxip6-segmentation', // 25
  'tx-udp_tnl-segmentation', // 26
  'tx-udp_tnl-csum-segmentation', // 27
  'tx-gso-partial', // 28
  'tx-tunnel-remcsum-segmentation', // 29
  'tx-sctp-segmentation', // 30
  'tx-esp-segmentation', // 31
  null, // 32 GSO_UDP (UFO): not a named feature any more, so `-K ufo` expands to nothing
  'tx-udp-segmentation', // 33
  'tx-gso-list', // 34
  'tx-tcp-accecn-segmentation', // 35
  'tx-checksum-fcoe-crc', // 36
  'tx-checksum-sctp', // 37
  null, // 38
  'rx-ntuple-filter', // 39
  'rx-hashing', // 40
  'rx-checksum', // 41
  'tx-nocache-copy', // 42
  'loopback', // 43
  'rx-fcs', // 44
  'rx-all', // 45
  'tx-vlan-stag-hw-insert', // 46
  'rx-vlan-stag-hw-parse', // 47
  'rx-vlan-stag-filter', // 48
  'l2-fwd-offload', // 49
  'hw-tc-offload', // 50
  'esp-hw-offload', // 51
  'esp-tx-csum-hw-offload', // 52
  'rx-udp_tunnel-port-offload', // 53
  'tls-hw-tx-offload', // 54
  'tls-hw-rx-offload', // 55
  'rx-gro-hw', // 56
  'tls-hw-record', // 57
  'rx-gro-list', // 58
  'macsec-hw-offload', // 59
  'rx-udp-gro-forwarding', // 60
  'hsr-tag-ins-offload', // 61
  'hsr-tag-rm-offload', // 62
  'hsr-fwd-offload', // 63
  'hsr-dup-offload', // 64
];

const bit = (n: number): bigint => 1n << BigInt(n);
export const NETIF_F_SG = bit(0);
export const NETIF_F_IP_CSUM = bit(1);
export const NETIF_F_HW_CSUM = bit(3);
export const NETIF_F_IPV6_CSUM = bit(4);
export const NETIF_F_HIGHDMA = bit(5);
export const NETIF_F_HW_VLAN_CTAG_TX = bit(7);
export const NETIF_F_HW_VLAN_CTAG_RX = bit(8);
export const NETIF_F_VLAN_CHALLENGED = bit(10);
export const NETIF_F_GSO = bit(11);
export const NETIF_F_GRO = bit(14);
export const NETIF_F_LRO = bit(15);
export const NETIF_F_TSO = bit(16);
export const NETIF_F_TSO_ECN = bit(18);
export const NETIF_F_TSO_MANGLEID = bit(19);
export const NETIF_F_TSO6 = bit(20);
export const NETIF_F_TSO_ACCECN = bit(35);
export const NETIF_F_RXHASH = bit(40);
export const NETIF_F_RXCSUM = bit(41);
export const NETIF_F_NOCACHE_COPY = bit(42);
export const NETIF_F_GRO_FRAGLIST = bit(58);
export const NETIF_F_GRO_UDP_FWD = bit(60);

/** NETIF_F_ALL_TSO: every TCP segmentation bit. */
export const NETIF_F_ALL_TSO = NETIF_F_TSO | NETIF_F_TSO6 | NETIF_F_TSO_ECN | NETIF_F_TSO_MANGLEID | NETIF_F_TSO_ACCECN;
export const NETIF_F_SOFT_FEATURES = NETIF_F_GSO | NETIF_F_GRO;
export const NETIF_F_SOFT_FEATURES_OFF = NETIF_F_GRO_FRAGLIST | NETIF_F_GRO_UDP_FWD;
export const NETIF_F_NEVER_CHANGE = NETIF_F_VLAN_CHALLENGED;
/** NETVSC_SUPPORTED_HW_FEATURES. */
export const NETVSC_SUPPORTED_HW_FEATURES = NETIF_F_RXCSUM | NETIF_F_IP_CSUM | NETIF_F_TSO | NETIF_F_IPV6_CSUM |
  NETIF_F_TSO6 | NETIF_F_LRO | NETIF_F_SG | NETIF_F_RXHASH;

export const FEATURE_COUNT = FEATURE_NAMES.length;

export function featureBit(name: string): number {
  return FEATURE_NAMES.indexOf(name);
}

export function hasFeature(set: bigint, bitIndex: number): boolean {
  return ((set >> BigInt(bitIndex)) & 1n) === 1n;
}

export function featureMask(bitIndex: number): bigint {
  return bit(bitIndex);
}

/** Names of the bits set in `set`, in bit order (for the state file). */
export function featureNames(set: bigint): string[] {
  const out: string[] = [];
  FEATURE_NAMES.forEach((n, i) => { if (n && hasFeature(set, i)) out.push(n); });
  return out;
}

export function featuresFromNames(names: readonly string[]): bigint {
  let set = 0n;
  for (const n of names) {
    const i = featureBit(n);
    if (i < 0) throw new Error(`unknown feature '${n}'`);
    set |= bit(i);
  }
  return set;
}

/**
 * netdev_fix_features(): the generic dependencies the core enforces before the driver's
 * ndo_fix_features (netvsc_fix_features drops LRO while XDP is attached).
 */
export function netdevFixFeatures(features: bigint): bigint {
  let f = features;
  if ((f & NETIF_F_ALL_TSO) && !(f & NETIF_F_SG)) f &= ~NETIF_F_ALL_TSO; // "TSO requires that SG is present"
  if ((f & NETIF_F_TSO) && !(f & NETIF_F_HW_CSUM) && !(f & NETIF_F_IP_CSUM)) f &= ~(NETIF_F_TSO | NETIF_F_TSO_ECN);
  if ((f & NETIF_F_TSO6) && !(f & NETIF_F_HW_CSUM) && !(f & NETIF_F_IPV6_CSUM)) f &= ~NETIF_F_TSO6;
  if ((f & NETIF_F_TSO_MANGLEID) && !(f & NETIF_F_TSO)) f &= ~NETIF_F_TSO_MANGLEID;
  if ((f & NETIF_F_ALL_TSO) === NETIF_F_TSO_ECN) f &= ~NETIF_F_TSO_ECN;
  return f;
}
