// Host generations: what the Hyper-V host answers during negotiation. The driver's behaviour
// follows only from these answers (NVSP version, offload capability bits, RSS capabilities,
// section sizes), so a profile is just the set of answers.
import {
  NDIS_LSOV2_CAP_IP6EXT, NDIS_LSOV2_CAP_TCP6OPT, NDIS_OFFLOAD_ENCAP_8023, NDIS_TXCSUM_CAP_IP6EXT,
  NDIS_TXCSUM_CAP_TCP4, NDIS_TXCSUM_CAP_TCP4OPT, NDIS_TXCSUM_CAP_TCP6, NDIS_TXCSUM_CAP_TCP6OPT,
  NDIS_TXCSUM_CAP_UDP4, NDIS_TXCSUM_CAP_UDP6, NETVSC_SEND_SECTION_SIZE, NVSP_PROTOCOL_VERSION_4,
  NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_61,
} from './constants';

export const HOST_PROFILE_NAMES = ['ws2012', 'ws2012r2', 'ws2016', 'ws2019', 'ws2022', 'azure'] as const;
export type HostProfileName = typeof HOST_PROFILE_NAMES[number];

export interface HostProfile {
  name: string;
  description: string;
  /** Highest NVSP version the host accepts. */
  nvspVersion: number;
  /** struct ndis_offload csum.ip4_txcsum / ip6_txcsum (NDIS_TXCSUM_CAP_*). */
  ip4TxCsum: number;
  ip6TxCsum: number;
  /** lsov2.ip4_encap / ip6_encap / ip6_opts and max sizes. */
  lsoIp4Encap: number;
  lsoIp6Encap: number;
  lsoIp6Opts: number;
  lsoIp4MaxSize: number;
  lsoIp6MaxSize: number;
  /** rsc.ip4 && rsc.ip6 (NDIS 6.30 block). */
  rsc: boolean;
  /** RSS capabilities: num_recv_que and num_indirect_tabent (0 = not reported). */
  numRecvQueues: number;
  numIndirectTableEntries: number;
  /** Sub-channels the host grants at most (it may give fewer than asked). */
  maxSubChannels: number;
  /** Receive section size the host picks for a given MTU (sub_alloc_size). */
  recvSectionSizeMtu1500: number;
  sendSectionSize: number;
  /** RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE answer: the MTU is silently lowered to it. */
  maxFrameMtu: number;
  /** RNDIS_OID_GEN_LINK_SPEED in Mb/s. */
  linkSpeedMbps: number;
  /** Does the host send its own 16-entry send table (NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE)? */
  sendsSendTable: boolean;
  /** Host coalesces at most this many TCP segments / bytes per RSC packet. */
  rscMaxSegments: number;
  rscMaxBytes: number;
}

const TCP4 = NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT;
const TCP6 = NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6OPT | NDIS_TXCSUM_CAP_IP6EXT;
const LSO6OPTS = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;

const base: Omit<HostProfile, 'name' | 'description' | 'nvspVersion' | 'ip4TxCsum' | 'ip6TxCsum' | 'rsc' | 'numRecvQueues' | 'maxSubChannels'> = {
  lsoIp4Encap: NDIS_OFFLOAD_ENCAP_8023,
  lsoIp6Encap: NDIS_OFFLOAD_ENCAP_8023,
  lsoIp6Opts: LSO6OPTS,
  lsoIp4MaxSize: 62780,
  lsoIp6MaxSize: 62780,
  numIndirectTableEntries: 128,
  recvSectionSizeMtu1500: 1728,
  sendSectionSize: NETVSC_SEND_SECTION_SIZE,
  maxFrameMtu: 65521,
  linkSpeedMbps: 10000,
  sendsSendTable: false,
  rscMaxSegments: 64,
  rscMaxBytes: 65535,
};

/**
 * The profiles. The NVSP version per Windows release is the common mapping (not in source):
 * NVSP 4 = WS2012, 5 = WS2012 R2, 6 = WS2016, 6.1 = WS2019 and later / Azure.
 */
export const HOST_PROFILES: Record<HostProfileName, HostProfile> = {
  ws2012: {
    ...base, name: 'ws2012', description: 'Windows Server 2012 (NVSP 4: one channel, TCP-only checksum offload, no RSC)',
    nvspVersion: NVSP_PROTOCOL_VERSION_4, ip4TxCsum: TCP4, ip6TxCsum: TCP6, rsc: false,
    numRecvQueues: 1, maxSubChannels: 0, numIndirectTableEntries: 0,
  },
  ws2012r2: {
    ...base, name: 'ws2012r2', description: 'Windows Server 2012 R2 (NVSP 5: vRSS, TCP-only checksum offload, no RSC)',
    nvspVersion: NVSP_PROTOCOL_VERSION_5, ip4TxCsum: TCP4, ip6TxCsum: TCP6, rsc: false,
    numRecvQueues: 8, maxSubChannels: 7,
  },
  ws2016: {
    ...base, name: 'ws2016', description: 'Windows Server 2016 (NVSP 6: TCP+UDP checksum offload for IPv4 and IPv6, no RSC)',
    nvspVersion: NVSP_PROTOCOL_VERSION_6, ip4TxCsum: TCP4 | NDIS_TXCSUM_CAP_UDP4, ip6TxCsum: TCP6 | NDIS_TXCSUM_CAP_UDP6, rsc: false,
    numRecvQueues: 16, maxSubChannels: 15,
  },
  ws2019: {
    ...base, name: 'ws2019', description: 'Windows Server 2019 (NVSP 6.1: RSC, so LRO on by default)',
    nvspVersion: NVSP_PROTOCOL_VERSION_61, ip4TxCsum: TCP4 | NDIS_TXCSUM_CAP_UDP4, ip6TxCsum: TCP6 | NDIS_TXCSUM_CAP_UDP6, rsc: true,
    numRecvQueues: 64, maxSubChannels: 63,
  },
  ws2022: {
    ...base, name: 'ws2022', description: 'Windows Server 2022 (NVSP 6.1: RSC, so LRO on by default)',
    nvspVersion: NVSP_PROTOCOL_VERSION_61, ip4TxCsum: TCP4 | NDIS_TXCSUM_CAP_UDP4, ip6TxCsum: TCP6 | NDIS_TXCSUM_CAP_UDP6, rsc: true,
    numRecvQueues: 64, maxSubChannels: 63,
  },
  azure: {
    ...base, name: 'azure', description: 'Azure (NVSP 6.1: RSC, 64 queues, 40 Gb/s link)',
    nvspVersion: NVSP_PROTOCOL_VERSION_61, ip4TxCsum: TCP4 | NDIS_TXCSUM_CAP_UDP4, ip6TxCsum: TCP6 | NDIS_TXCSUM_CAP_UDP6, rsc: true,
    numRecvQueues: 64, maxSubChannels: 63, linkSpeedMbps: 40000,
  },
};

export function isHostProfileName(s: string): s is HostProfileName {
  return (HOST_PROFILE_NAMES as readonly string[]).includes(s);
}

export function hostProfile(name: HostProfileName): HostProfile {
  return { ...HOST_PROFILES[name] };
}

/**
 * The host's receive section size (sub_alloc_size) for an MTU: 1728 bytes holds a 1514-byte
 * frame plus the RNDIS header and per-packet infos; bigger MTUs get proportionally bigger
 * sections ("The receive area is broken into MTU sized chunks"). Derived; host side unverified.
 */
export function hostRecvSectionSize(host: HostProfile, mtu: number): number {
  const overhead = host.recvSectionSizeMtu1500 - 1514;
  return Math.max(host.recvSectionSizeMtu1500, (mtu + 14 + overhead + 7) & ~7);
}
