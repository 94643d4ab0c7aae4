// Constants of hv_netvsc (drivers/net/hyperv/hyperv_net.h, netvsc.c, netvsc_drv.c) the model uses.

export const NVSP_PROTOCOL_VERSION_1 = 2;
export const NVSP_PROTOCOL_VERSION_2 = 0x30002;
export const NVSP_PROTOCOL_VERSION_4 = 0x40000;
export const NVSP_PROTOCOL_VERSION_5 = 0x50000;
export const NVSP_PROTOCOL_VERSION_6 = 0x60000;
export const NVSP_PROTOCOL_VERSION_61 = 0x60001;
/** Newest first, the order negotiate_nvsp_ver() tries them in. */
export const NVSP_VERSIONS = [NVSP_PROTOCOL_VERSION_61, NVSP_PROTOCOL_VERSION_6, NVSP_PROTOCOL_VERSION_5,
  NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_2, NVSP_PROTOCOL_VERSION_1] as const;

// Host offload capability bits (struct ndis_offload).
export const NDIS_TXCSUM_CAP_IP4OPT = 0x001; // unused by netvsc
export const NDIS_TXCSUM_CAP_TCP4OPT = 0x004;
export const NDIS_TXCSUM_CAP_TCP4 = 0x010;
export const NDIS_TXCSUM_CAP_UDP4 = 0x040;
export const NDIS_TXCSUM_CAP_IP6EXT = 0x001;
export const NDIS_TXCSUM_CAP_TCP6OPT = 0x004;
export const NDIS_TXCSUM_CAP_TCP6 = 0x010;
export const NDIS_TXCSUM_CAP_UDP6 = 0x040;
export const NDIS_OFFLOAD_ENCAP_8023 = 0x2;
export const NDIS_LSOV2_CAP_IP6EXT = 0x001;
export const NDIS_LSOV2_CAP_TCP6OPT = 0x004;

// tx_checksum_mask bits (TRANSPORT_INFO_*).
export const TRANSPORT_INFO_IPV4_TCP = 0x01;
export const TRANSPORT_INFO_IPV4_UDP = 0x02;
export const TRANSPORT_INFO_IPV6_TCP = 0x10;
export const TRANSPORT_INFO_IPV6_UDP = 0x20;

// RSS (vRSS).
export const NETVSC_HASH_KEYLEN = 40;
export const ITAB_NUM = 128;
export const ITAB_NUM_MAX = 256;
export const VRSS_CHANNEL_MAX = 64;
/** 16 in the newest kernels, 8 before a 2025 patch (device option `legacyChannelDefault`). */
export const VRSS_CHANNEL_DEFAULT = 16;
export const VRSS_CHANNEL_DEFAULT_OLD = 8;
export const VRSS_SEND_TAB_SIZE = 16;
export const HV_TCP4_L4HASH = 1;
export const HV_TCP6_L4HASH = 2;
export const HV_UDP4_L4HASH = 4;
export const HV_UDP6_L4HASH = 8;
export const HV_DEFAULT_L4HASH = 0xf;
/** rndis_filter.c netvsc_hash_key[]: the Microsoft verification key. */
export const NETVSC_HASH_KEY: readonly number[] = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
  0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
  0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
];

// Receive buffer.
export const MIB = 1024 * 1024;
export const PAGE_SIZE = 4096;
export const NETVSC_RECEIVE_BUFFER_SIZE = 31 * MIB;
export const NETVSC_RECEIVE_BUFFER_SIZE_LEGACY = 15 * MIB;
export const NETVSC_RECEIVE_BUFFER_DEFAULT = 16 * MIB;
export const NETVSC_RECV_SECTION_SIZE = 1728;
export const NETVSC_DEFAULT_RX = Math.floor(NETVSC_RECEIVE_BUFFER_DEFAULT / NETVSC_RECV_SECTION_SIZE); // 9709
export const NETVSC_MIN_RX_SECTIONS = 10;

// Send buffer.
export const NETVSC_SEND_BUFFER_SIZE = 15 * MIB;
export const NETVSC_SEND_BUFFER_DEFAULT = 1 * MIB;
export const NETVSC_SEND_SECTION_SIZE = 6144;
export const NETVSC_DEFAULT_TX = Math.floor(NETVSC_SEND_BUFFER_DEFAULT / NETVSC_SEND_SECTION_SIZE); // 170
export const NETVSC_MIN_TX_SECTIONS = 10;
export const RNDIS_MAX_PKT_DEFAULT = 8;
export const RNDIS_PKT_ALIGN_DEFAULT = 8;
/** RNDIS packet message header (struct rndis_message up to the packet body) plus per-packet infos. */
export const RNDIS_MESSAGE_SIZE = 44;
export const NDIS_PPI_SIZE = 16;
/** Hyper-V pages a packet may use, 2 of them for the RNDIS header (MAX_PAGE_BUFFER_COUNT). */
export const MAX_PAGE_BUFFER_COUNT = 32;

// MTU.
export const ETH_HLEN = 14;
export const VLAN_HLEN = 4;
export const NETVSC_MTU_MIN = 68;
export const NETVSC_MTU_MAX = 65535 - ETH_HLEN;

// GSO.
export const GSO_LEGACY_MAX_SIZE = 65536;
export const NETVSC_GSO_MAX_SIZE_OLD = 62768;

// XDP.
export const NETVSC_XDP_HDRM = 256;
export const SKB_SHARED_INFO_SIZE = 320;
export const SMP_CACHE_BYTES = 64;

// NAPI.
export const NAPI_POLL_WEIGHT = 64;
/** RSC: ranges per transfer page packet with RSC (NVSP_RSC_MAX). */
export const NVSP_RSC_MAX = 562;

export const REGS_LEN = 64;
