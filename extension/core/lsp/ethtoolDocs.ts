// What each ethtool option, offload flag, flow type and ring/channel parameter does on hv_netvsc, for
// hovers and completion details. Wording is ours; the facts are the netvsc fact sheet's (each entry
// names the driver function it comes from).
import type { RequestKind } from '../ethtool/grammar';

/** Per option kind: what hv_netvsc does with it. */
export const OPTION_NETVSC_DOCS: Partial<Record<RequestKind, string>> = {
  settings: 'Link settings. hv_netvsc reports the speed the host announces (`RNDIS_OID_GEN_LINK_SPEED`), duplex Full, port Other; with a VF joined, the VF\'s settings are shown. (netvsc_get_link_ksettings)',
  driver: 'hv_netvsc answers `driver: hv_netvsc`, `firmware-version: N/A`; the version is the running kernel release (filled by the ethtool core) and bus-info the VMBus device. Register dump: yes; self-test, EEPROM and private flags: no. (netvsc_get_drvinfo)',
  showFeatures: 'Offload state. Checksum, TSO and LRO depend on what the host advertised at negotiation; `rx-vlan-offload`/`tx-vlan-offload` are `on [fixed]`, and `large-receive-offload` is `off [fixed]` on hosts without RSC (NVSP < 6.1). (rndis_netdev_set_hwcaps)',
  setFeatures: 'Only Linux feature bits change (no message to the host), **except LRO**: turning it on/off sends `OID_TCP_OFFLOAD_PARAMETERS` with RSC enabled/disabled to the host. LRO is dropped while an XDP program is attached ("Skip LRO - unsupported with XDP"). Every change is copied to the VF. (netvsc_fix_features, netvsc_set_features)',
  showRing: '`RX` = receive-buffer sections of 1728 bytes (default 9709 = 16 MiB, max 18811 = 31 MiB), `TX` = send-buffer sections of 6144 bytes (default 170 = 1 MiB, max 2560 = 15 MiB). No mini/jumbo rings, push, CQE size or TCP data split. (netvsc_get_ringparam)',
  setRing: 'Resizes the receive (`rx`) and send (`tx`) buffers in sections. Values below 10 are raised to 10; above the maximum the core refuses with "requested ring size exceeds maximum". A change detaches and re-attaches the device: the link bounces and per-channel counters restart at 0. `rx-buf-len`, `cqe-size`, `tx-push`, `rx-push`, `tx-push-buf-len`, `tcp-data-split` are not supported. (netvsc_set_ringparam)',
  showChannels: 'Only combined channels (VMBus sub-channels). Maximum = min(64, vCPUs, host RSS queues); at probe the driver asks for max(16, the kernel\'s default RSS queue count) on the newest kernels (8 before 2025), clamped to the maximum. (netvsc_get_channels, netvsc_devinfo_get)',
  setChannels: 'Only `combined N` (1..maximum). `rx`/`tx`/`other` exceed their maximum of 0 and are refused; hosts with NVSP < 5 refuse any change. The device re-attaches: the default RSS table and the 16-entry TX send table are refilled `i % N` and per-channel counters restart at 0. (netvsc_set_channels)',
  showNfc: 'With `rx-flow-hash FLOW`: the fields hashed for that flow type. On hv_netvsc tcp4/udp4/tcp6/udp6 show `IP SA, IP DA` plus both L4 port halves when the L4 level is set (the default for all four); ip4/ip6 show addresses; other types `None`. Without arguments it fails: netvsc has no classification rules. (netvsc_get_rxfh_fields)',
  setNfc: '**On hv_netvsc this is a TX setting.** It chooses how the driver hashes outgoing packets to pick a TX queue through the 16-entry send table; the host\'s RX RSS never sees it. Accepted only for tcp4, udp4, tcp6, udp6 and only `sdfn` (L4: addresses + ports) or `sd` (addresses only); anything else is "Operation not supported" — and ethtool 6.11 still exits 0. Azure advises `rx-flow-hash udp4 sd` so all fragments of a UDP datagram leave on one queue. (netvsc_set_rxfh_fields, netvsc_get_hash)',
  showRxfh: 'RSS: the indirection table (128 entries by default, host-driven up to 256; none on a 1-channel device), the 40-byte Toeplitz key (the Microsoft verification key by default), hash function toeplitz. (netvsc_get_rxfh)',
  setRxfh: 'Programs the host\'s RSS: indirection entries must be below the channel count, the key is 40 bytes, `hfunc` only toeplitz. RSS contexts and `xfrm symmetric-xor` are not supported. Quirk of the newest kernels: a user table is zeroed by any re-attach (MTU, ring or channel change). (netvsc_set_rxfh)',
  stats: '11 global counters (`tx_scattered` … `vlan_error`), 5 VF totals (`vf_*`), 8 per channel (`tx_queue_N_*`, `rx_queue_N_*` incl. XDP drop/redirect/tx) and 8 per CPU. (netvsc_get_ethtool_stats)',
  regs: 'Dumps the TX send table: 16 × u32 queue numbers (register dump version 1, 64 bytes). (netvsc_get_regs)',
};

/** The legacy offload flags (ethtool's off_flag_def), by short name: meaning and hv_netvsc behaviour. */
export const FEATURE_NETVSC_DOCS: Record<string, string> = {
  rx: 'RX checksum offload (`rx-checksum`). hv_netvsc marks a packet `CHECKSUM_UNNECESSARY` when the host reports a good TCP/UDP checksum and this is on. Linux-only bit: nothing is sent to the host.',
  tx: 'TX checksum offload (`tx-checksum-ipv4`, `tx-checksum-ipv6`). Advertised when the host offers TCP checksum offload; UDP on hosts without UDP offload (Windows Server 2012) is checksummed in software. Linux-only bit.',
  sg: 'Scatter-gather (`tx-scatter-gather`). TSO depends on it: turning sg off also turns TSO off. Linux-only bit.',
  tso: 'TCP segmentation offload (`tx-tcp-segmentation`, `tx-tcp6-segmentation`, …): large sends go to the host as LSOv2 with the MSS. Needs sg and TX checksum. Linux-only bit.',
  ufo: 'UDP fragmentation offload: no longer exists in the kernel; ethtool never prints it.',
  gso: 'Generic segmentation offload (software, `tx-generic-segmentation`): on by default; no driver or host involvement.',
  gro: 'Generic receive offload (software, `rx-gro`) per channel NAPI poll: on by default; host-coalesced (RSC) frames also go through it.',
  lro: 'Large receive offload = RSC, coalescing in the host vSwitch (`rx-lro`). Needs NVSP ≥ 6.1 and host RSC support (else `off [fixed]`); on by default there. Toggling it sends the RSC setting to the host. **Cannot be on with XDP**: attaching XDP is refused while LRO is on, and turning LRO on while XDP is attached is dropped ("Skip LRO - unsupported with XDP").',
  rxvlan: 'VLAN tag stripping on receive (`rx-vlan-hw-parse`): always on and fixed on hv_netvsc (the host passes the tag as per-packet info).',
  txvlan: 'VLAN tag insertion on transmit (`tx-vlan-hw-insert`): always on and fixed on hv_netvsc.',
  ntuple: 'n-tuple filters (`rx-ntuple-filter`): not supported by hv_netvsc (`off [fixed]`).',
  rxhash: 'Receive hashing (`rx-hashing`): when on, the RSS hash the host attaches to a packet becomes the skb hash (always reported as an L4 hash). Linux-only bit.',
};

export const RING_PARAM_DOCS: Record<string, string> = {
  rx: 'Receive-buffer sections (1728-byte units): 10 … 18811 (15 MiB / 1728 = 9102 on NVSP ≤ 2); default 9709.',
  tx: 'Send-buffer sections (6144-byte units): 10 … 2560; default 170.',
  'rx-mini': 'No mini ring on hv_netvsc: any value above 0 exceeds the maximum of 0.',
  'rx-jumbo': 'No jumbo ring on hv_netvsc: any value above 0 exceeds the maximum of 0.',
  'rx-buf-len': 'Not supported by hv_netvsc ("setting rx buf len not supported").',
  'cqe-size': 'Not supported by hv_netvsc ("setting cqe size not supported").',
  'tx-push': 'Not supported by hv_netvsc ("setting tx push not supported").',
  'rx-push': 'Not supported by hv_netvsc ("setting rx push not supported").',
  'tx-push-buf-len': 'Not supported by hv_netvsc ("setting tx push buf len is not supported").',
  'tcp-data-split': 'Not supported by hv_netvsc ("setting TCP data split is not supported").',
};

export const CHANNEL_PARAM_DOCS: Record<string, string> = {
  combined: 'Combined RX/TX channels (VMBus sub-channels + the primary): 1 … min(64, vCPUs, host queues).',
  rx: 'No separate RX channels on hv_netvsc: the maximum is 0, so any value is refused.',
  tx: 'No separate TX channels on hv_netvsc: the maximum is 0, so any value is refused.',
  other: 'No other channels on hv_netvsc: the maximum is 0, so any value is refused.',
};

/** Flow types whose hash level hv_netvsc lets you set (the l4_hash bits). */
export const NETVSC_L4HASH_FLOWS = ['tcp4', 'udp4', 'tcp6', 'udp6'];

/** The two hash-field sets hv_netvsc accepts for -N rx-flow-hash. */
export const NETVSC_HASH_FIELD_SETS: Record<string, string> = {
  sdfn: 'L4 hash: IP addresses and both port halves (the default for tcp4, udp4, tcp6, udp6)',
  sd: 'L3 hash: IP source and destination addresses only (keeps all fragments of a datagram on one TX queue)',
};

export const IP_LINK_DOCS: Record<string, string> = {
  mtu: 'MTU 68 … 65521 (NVSP ≥ 2). hv_netvsc changes the VF first, then detaches and re-attaches; with XDP attached the MTU may not exceed 3506 ("XDP: mtu too large").',
  xdp: 'Attach (`xdp obj FILE sec SECTION`) or detach (`xdp off`) a native XDP program. hv_netvsc refuses while LRO is on ("hv_netvsc: XDP: not support LRO") and when MTU + headroom do not fit a page; the program is also installed on the VF.',
  up: 'Open the device (the VF is opened too).',
  down: 'Close the device (the VF is closed too; the data path switches back to synthetic).',
};
