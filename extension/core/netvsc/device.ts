// The hv_netvsc device: configuration state and every control operation (probe, attach/detach,
// channels, rings, MTU, features, RSS, rx-flow-hash, VF, XDP) with the kernel's errno semantics.
// Packet paths live in rxPath.ts / txPath.ts and work on this state.
import {
  ETH_HLEN, GSO_LEGACY_MAX_SIZE, HV_DEFAULT_L4HASH, HV_TCP4_L4HASH, HV_TCP6_L4HASH, HV_UDP4_L4HASH, HV_UDP6_L4HASH,
  ITAB_NUM, ITAB_NUM_MAX, NDIS_LSOV2_CAP_IP6EXT, NDIS_LSOV2_CAP_TCP6OPT, NDIS_OFFLOAD_ENCAP_8023, NDIS_TXCSUM_CAP_IP6EXT,
  NDIS_TXCSUM_CAP_TCP4, NDIS_TXCSUM_CAP_TCP4OPT, NDIS_TXCSUM_CAP_TCP6, NDIS_TXCSUM_CAP_TCP6OPT, NDIS_TXCSUM_CAP_UDP4,
  NDIS_TXCSUM_CAP_UDP6, NETVSC_DEFAULT_RX, NETVSC_DEFAULT_TX, NETVSC_HASH_KEY, NETVSC_HASH_KEYLEN, NETVSC_MIN_RX_SECTIONS,
  NETVSC_MIN_TX_SECTIONS, NETVSC_MTU_MAX, NETVSC_MTU_MIN, NETVSC_RECEIVE_BUFFER_SIZE, NETVSC_RECEIVE_BUFFER_SIZE_LEGACY,
  NETVSC_RECV_SECTION_SIZE, NETVSC_SEND_BUFFER_SIZE, NETVSC_SEND_SECTION_SIZE, NVSP_PROTOCOL_VERSION_2,
  NVSP_PROTOCOL_VERSION_4, NVSP_PROTOCOL_VERSION_5, NVSP_PROTOCOL_VERSION_61, NVSP_VERSIONS, PAGE_SIZE,
  RNDIS_MAX_PKT_DEFAULT, RNDIS_PKT_ALIGN_DEFAULT, TRANSPORT_INFO_IPV4_TCP, TRANSPORT_INFO_IPV4_UDP,
  TRANSPORT_INFO_IPV6_TCP, TRANSPORT_INFO_IPV6_UDP, VRSS_CHANNEL_DEFAULT, VRSS_CHANNEL_DEFAULT_OLD, VRSS_CHANNEL_MAX,
  VRSS_SEND_TAB_SIZE,
} from './constants';
import { EINVAL, ENODEV, EOPNOTSUPP, OK, type OpResult } from './errno';
import { Emitter, type DeviceEvents } from './events';
import {
  NETIF_F_GRO, NETIF_F_GRO_FRAGLIST, NETIF_F_GRO_UDP_FWD, NETIF_F_GSO, NETIF_F_HIGHDMA, NETIF_F_HW_VLAN_CTAG_RX,
  NETIF_F_HW_VLAN_CTAG_TX, NETIF_F_IP_CSUM, NETIF_F_IPV6_CSUM, NETIF_F_LRO, NETIF_F_NEVER_CHANGE, NETIF_F_NOCACHE_COPY,
  NETIF_F_RXCSUM, NETIF_F_RXHASH, NETIF_F_SG, NETIF_F_SOFT_FEATURES, NETIF_F_SOFT_FEATURES_OFF, NETIF_F_TSO,
  NETIF_F_TSO6, NETIF_F_TSO_MANGLEID, NETVSC_SUPPORTED_HW_FEATURES, netdevFixFeatures,
} from './features';
import { hostProfile, hostRecvSectionSize, type HostProfile, type HostProfileName } from './hostProfile';
import { NetvscStats } from './stats';
import { ToeplitzKey } from './toeplitz';
import { xdpBufMax, xdpMtuFits, type XdpProgram } from './xdp';

export interface DeviceOptions {
  /** Kernel release ethtool -i shows as the version (the core fills it with `uname -r`). */
  kernelRelease: string;
  /** VRSS_CHANNEL_DEFAULT = 8 (kernels before the 2025 change) instead of 16. */
  legacyChannelDefault: boolean;
  /** Older kernels kept a user RSS table across re-attach (fixed array); newest zero it. */
  legacyRxTableSurvives: boolean;
  /** XDP_REDIRECT treated as an invalid action (kernels before ≈5.19). */
  xdpRedirectUnsupported: boolean;
  /** Seed of the boot-time random values (flow hash seed, bus GUID). */
  seed: number;
  /** ethtool -S layout of older kernels ('v5.8': no vlan_error, 5 counters per queue). */
  statsLayout: 'newest' | 'v5.8';
}

export const DEFAULT_OPTIONS: DeviceOptions = {
  kernelRelease: '6.17.0-netvsc-lab',
  legacyChannelDefault: false,
  legacyRxTableSurvives: false,
  xdpRedirectUnsupported: false,
  seed: 1,
  statsLayout: 'newest',
};

export interface DeviceConfig {
  host?: HostProfileName | HostProfile;
  cpus?: number;
  mtu?: number;
  mac?: string;
  vlan?: number;
  ifname?: string;
  options?: Partial<DeviceOptions>;
}

/** The SR-IOV VF ("Accelerated Networking") as netvsc sees it. */
export interface VfState {
  name: string;
  mac: string;
  serial: number;
  /** The VF netdev is up (IFF_UP / netif_running). */
  up: boolean;
  mtu: number;
  /** Did the host announce the VF (NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION)? */
  hostAssociated: boolean;
  /** VF features: wanted := netvsc features (propagated). */
  features: bigint;
  xdp: string | null;
  tsoMaxSize: number;
  ifindex: number;
}

/** rx-flow-hash flow types netvsc accepts for -N (ethtool's names) and their l4_hash bit. */
export const L4HASH_BITS: Record<string, number> = { tcp4: HV_TCP4_L4HASH, tcp6: HV_TCP6_L4HASH, udp4: HV_UDP4_L4HASH, udp6: HV_UDP6_L4HASH };
export const RXH_IP_SRC = 0x10, RXH_IP_DST = 0x20, RXH_L4_B_0_1 = 0x40, RXH_L4_B_2_3 = 0x80;

export class NetvscDevice {
  readonly events = new Emitter<DeviceEvents>();
  host: HostProfile;
  options: DeviceOptions;
  cpus: number;
  ifname: string;
  ifindex = 2;
  mac: string;
  permMac: string;
  mtu: number;
  vlan: number;
  /** IFF_UP. */
  up = true;
  busInfo: string;
  msgLevel = 0x1 | 0x2 | 0x4 | 0x10 | 0x20 | 0x40 | 0x80; // DRV|PROBE|LINK|IFDOWN|IFUP|RX_ERR|TX_ERR

  // Negotiated with the host at attach.
  nvspVersion = 0;
  ndisVersion = 0;
  hwFeatures = 0n;
  features = 0n;
  wantedFeatures = 0n;
  /** tx_checksum_mask (TRANSPORT_INFO_*). */
  txChecksumMask = 0;
  gsoMaxSize = GSO_LEGACY_MAX_SIZE;
  /** Host RSC enabled (rsc_ip_v4/v6 sent ENABLED). */
  rscEnabled = false;

  // Channels and RSS.
  numChn = 1;
  maxChn = 1;
  /** Channels the user asked for (-L) or the probe default; reused by every re-attach. */
  requestedChn = VRSS_CHANNEL_DEFAULT;
  rxTableSz = 0;
  rxTable = new Uint16Array(ITAB_NUM_MAX);
  /** IFF_RXFH_CONFIGURED. */
  rxfhConfigured = false;
  /** rndis_dev->rss_key: zero until an RSS set succeeds. */
  rssKey = new Uint8Array(NETVSC_HASH_KEYLEN);
  toeplitz = new ToeplitzKey(new Uint8Array(NETVSC_HASH_KEYLEN));
  l4Hash = HV_DEFAULT_L4HASH;
  txTable = new Uint32Array(VRSS_SEND_TAB_SIZE);

  // Buffers.
  recvSectionsRequested = NETVSC_DEFAULT_RX;
  sendSectionsRequested = NETVSC_DEFAULT_TX;
  recvSectionSize = NETVSC_RECV_SECTION_SIZE;
  recvSectionCnt = NETVSC_DEFAULT_RX;
  sendSectionSize = NETVSC_SEND_SECTION_SIZE;
  sendSectionCnt = NETVSC_DEFAULT_TX;
  maxPktPerMsg = RNDIS_MAX_PKT_DEFAULT;
  pktAlign = RNDIS_PKT_ALIGN_DEFAULT;

  // XDP and VF.
  xdp: XdpProgram | null = null;
  vf: VfState | null = null;
  dataPathIsVf = false;

  stats: NetvscStats;
  /** Kernel log lines, oldest first (bounded). */
  readonly log: string[] = [];
  /** Attach generation: bumps on every detach/attach (per-channel state is new). */
  generation = 0;

  constructor(config: DeviceConfig = {}) {
    this.host = typeof config.host === 'object' ? { ...config.host } : hostProfile(config.host ?? 'azure');
    this.options = { ...DEFAULT_OPTIONS, ...config.options };
    this.cpus = config.cpus ?? 8;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > 4096) throw new Error(`invalid vCPU count ${config.cpus}`);
    this.ifname = config.ifname ?? 'eth0';
    this.mac = config.mac ?? defaultMac(this.options.seed);
    this.permMac = this.mac;
    this.mtu = config.mtu ?? 1500;
    this.vlan = config.vlan ?? 0;
    this.busInfo = vmbusGuid(this.options.seed);
    this.stats = new NetvscStats(this.cpus, 1);
    this.stats.layout = this.options.statsLayout;
    this.probe();
  }

  // ---- probe / attach ----------------------------------------------------------------------

  /** netvsc_probe(): init settings (LRO seeded on), negotiate, attach with the defaults. */
  private probe(): void {
    this.features = NETIF_F_LRO; // netvsc_init_settings
    this.requestedChn = this.options.legacyChannelDefault ? VRSS_CHANNEL_DEFAULT_OLD
      : Math.max(VRSS_CHANNEL_DEFAULT, this.cpus); // max(16, netif_get_num_default_rss_queues())
    if (this.mtu < NETVSC_MTU_MIN || this.mtu > NETVSC_MTU_MAX) throw new Error(`invalid MTU ${this.mtu}`);
    const err = this.attach(true);
    if (err) throw new Error(`netvsc probe failed: ${err}`);
    // register_netdevice(): soft features are added and become changeable.
    this.hwFeatures |= NETIF_F_SOFT_FEATURES | NETIF_F_SOFT_FEATURES_OFF | NETIF_F_NOCACHE_COPY;
    if (this.hwFeatures & NETIF_F_TSO) this.hwFeatures |= NETIF_F_TSO_MANGLEID;
    this.features |= NETIF_F_SOFT_FEATURES;
    this.wantedFeatures = this.features & this.hwFeatures;
    this.features = this.fixFeatures(this.features);
    this.refreshHot();
  }

  /** The newest NVSP version both sides speak. */
  private negotiateNvsp(): number {
    for (const v of NVSP_VERSIONS) if (v <= this.host.nvspVersion) return v;
    return 0;
  }

  /**
   * rndis_filter_device_add() + netvsc_attach(): negotiate, set up the buffers, offloads and
   * channels, program RSS. Returns 0 or -errno.
   */
  private attach(firstProbe: boolean): number {
    this.generation++;
    this.nvspVersion = this.negotiateNvsp();
    if (this.nvspVersion === 0) return -71; // -EPROTO
    this.ndisVersion = this.nvspVersion <= NVSP_PROTOCOL_VERSION_4 ? 0x00060001 : 0x0006001e;
    // RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE: silently lower the MTU to what the host takes.
    if (this.mtu > this.host.maxFrameMtu) this.mtu = this.host.maxFrameMtu;

    // Receive buffer: size from the requested count of the driver's 1728-byte sections; the
    // host answers with its section size and count.
    const legacy = this.nvspVersion <= NVSP_PROTOCOL_VERSION_2;
    let bufSize = roundUp(this.recvSectionsRequested * NETVSC_RECV_SECTION_SIZE, PAGE_SIZE);
    if (legacy) bufSize = Math.min(bufSize, NETVSC_RECEIVE_BUFFER_SIZE_LEGACY);
    this.recvSectionSize = hostRecvSectionSize(this.host, this.mtu);
    this.recvSectionCnt = Math.floor(bufSize / this.recvSectionSize);
    const sendSize = roundUp(this.sendSectionsRequested * NETVSC_SEND_SECTION_SIZE, PAGE_SIZE);
    this.sendSectionSize = this.host.sendSectionSize;
    this.sendSectionCnt = Math.floor(sendSize / this.sendSectionSize);

    this.setHwcaps();

    // Channels (rndis_filter_device_add): only NVSP >= 5 queries RSS capabilities.
    const hostQueues = this.nvspVersion >= NVSP_PROTOCOL_VERSION_5 ? this.host.numRecvQueues : 1;
    if (hostQueues < 2) {
      this.maxChn = 1; this.numChn = 1; this.rxTableSz = 0;
    } else {
      const tab = this.host.numIndirectTableEntries;
      this.rxTableSz = tab >= 1 && tab <= ITAB_NUM_MAX ? tab : ITAB_NUM;
      this.maxChn = Math.min(VRSS_CHANNEL_MAX, this.cpus, hostQueues);
      const want = Math.min(this.maxChn, this.requestedChn);
      const granted = Math.min(want - 1, this.host.maxSubChannels);
      this.numChn = 1 + Math.max(0, granted);
    }
    // The table is re-allocated zero-filled on every attach; only an unconfigured one is refilled.
    if (!(this.rxfhConfigured && this.options.legacyRxTableSurvives)) this.rxTable.fill(0);
    if (!this.rxfhConfigured) for (let i = 0; i < this.rxTableSz; i++) this.rxTable[i] = i % this.numChn;
    for (let i = 0; i < VRSS_SEND_TAB_SIZE; i++) this.txTable[i] = i % this.numChn;
    if (this.host.sendsSendTable) for (let i = 0; i < VRSS_SEND_TAB_SIZE; i++) this.txTable[i] = (i * 7) % this.numChn;
    // RSS is programmed only with more than one channel: key = preserved or the default.
    if (this.numChn > 1) {
      const zero = this.rssKey.every((b) => b === 0);
      this.setRssKey(zero || firstProbe ? Uint8Array.from(NETVSC_HASH_KEY) : this.rssKey);
    }
    this.stats.resetChannels(this.numChn);
    this.refreshHot();
    return 0;
  }

  /** rndis_dev->rss_key after a successful RSS set (also used when restoring a state file). */
  setRssKey(key: Uint8Array): void {
    this.rssKey = Uint8Array.from(key);
    this.toeplitz = new ToeplitzKey(this.rssKey);
  }

  /** rndis_netdev_set_hwcaps(): hw_features, tx checksum mask, GSO limit, RSC from the host's bits. */
  private setHwcaps(): void {
    const h = this.host;
    let hw = NETIF_F_RXCSUM | NETIF_F_SG | NETIF_F_RXHASH;
    let mask = 0;
    let gso = GSO_LEGACY_MAX_SIZE;
    const tcp4 = NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT;
    const nvsp4 = this.nvspVersion <= NVSP_PROTOCOL_VERSION_4; // UDP fields forced to "no change"
    if ((h.ip4TxCsum & tcp4) === tcp4) {
      hw |= NETIF_F_IP_CSUM; mask |= TRANSPORT_INFO_IPV4_TCP;
      if (h.lsoIp4Encap & NDIS_OFFLOAD_ENCAP_8023) { hw |= NETIF_F_TSO; gso = Math.min(gso, h.lsoIp4MaxSize); }
      if ((h.ip4TxCsum & NDIS_TXCSUM_CAP_UDP4) && !nvsp4) mask |= TRANSPORT_INFO_IPV4_UDP;
    }
    const tcp6 = NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6OPT | NDIS_TXCSUM_CAP_IP6EXT;
    if ((h.ip6TxCsum & tcp6) === tcp6) {
      hw |= NETIF_F_IPV6_CSUM; mask |= TRANSPORT_INFO_IPV6_TCP;
      const opts = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;
      if ((h.lsoIp6Encap & NDIS_OFFLOAD_ENCAP_8023) && (h.lsoIp6Opts & opts) === opts) { hw |= NETIF_F_TSO6; gso = Math.min(gso, h.lsoIp6MaxSize); }
      if ((h.ip6TxCsum & NDIS_TXCSUM_CAP_UDP6) && !nvsp4) mask |= TRANSPORT_INFO_IPV6_UDP;
    }
    // RSC needs the NDIS 6.30 capability block (NVSP >= 5) and rsc=1 in the config (NVSP >= 6.1).
    const rsc = h.rsc && this.nvspVersion >= NVSP_PROTOCOL_VERSION_61;
    if (rsc) hw |= NETIF_F_LRO;
    // Features not in the new hw_features disappear (among the supported ones).
    const soft = this.hwFeatures & ~NETVSC_SUPPORTED_HW_FEATURES;
    this.hwFeatures = hw | soft;
    this.features &= ~(NETVSC_SUPPORTED_HW_FEATURES & ~hw);
    this.features |= NETIF_F_HIGHDMA | NETIF_F_HW_VLAN_CTAG_TX | NETIF_F_HW_VLAN_CTAG_RX;
    if (this.generation === 1) this.features |= hw; // first probe: everything the host offers is on
    this.txChecksumMask = mask;
    this.gsoMaxSize = gso;
    this.rscEnabled = rsc && (this.features & NETIF_F_LRO) !== 0n;
  }

  /** Attach with the current requests (restoring a saved device). */
  restoreAttach(): number { return this.attach(false); }

  /** Detach + attach as the driver does for MTU/ring/channel changes (link bounces). */
  private reattach(): number {
    this.logInfo('netvsc_detach: link down');
    return this.attach(false);
  }

  // ---- features -----------------------------------------------------------------------------

  /** netdev_fix_features() + netvsc_fix_features(). */
  fixFeatures(f: bigint): bigint {
    let out = netdevFixFeatures(f);
    if ((out & NETIF_F_LRO) && this.xdp) {
      out &= ~NETIF_F_LRO;
      this.logInfo('Skip LRO - unsupported with XDP');
    }
    return out;
  }

  /**
   * ETHTOOL_MSG_FEATURES_SET: requested bits in `reqMask` with values `reqValues`. Bits outside
   * hw_features are ignored by the core. Returns the active set before and after.
   */
  setFeatures(reqMask: bigint, reqValues: bigint): { err: number; before: bigint; after: bigint } {
    const before = this.features;
    const oldWanted = this.wantedFeatures;
    const reqWanted = (oldWanted & ~reqMask) | (reqValues & reqMask);
    if (reqWanted !== oldWanted) {
      this.wantedFeatures = (this.wantedFeatures & ~this.hwFeatures) | (reqWanted & this.hwFeatures);
      this.updateFeatures();
    }
    return { err: 0, before, after: this.features };
  }

  /** __netdev_update_features(): fix, then ndo_set_features for what changed. */
  updateFeatures(): void {
    const fixedBits = this.features & ~this.hwFeatures; // not changeable: keep as they are
    let next = (this.wantedFeatures & this.hwFeatures) | fixedBits;
    next = this.fixFeatures(next);
    const changed = next ^ this.features;
    if (changed & NETIF_F_LRO) {
      // netvsc_set_features: only LRO talks to the host (rsc_ip_v4/v6 ENABLED/DISABLED).
      this.rscEnabled = (next & NETIF_F_LRO) !== 0n;
    }
    this.features = next;
    this.refreshHot();
    if (this.vf) this.syncVfFeatures();
    if (changed) this.events.emit('state', { what: 'features' });
  }

  has(f: bigint): boolean { return (this.features & f) !== 0n; }

  /** Feature bits the packet path reads, as booleans (no BigInt per packet). Refreshed on every change. */
  readonly hot = { rxcsum: true, gro: true, txCsum4: true, txCsum6: true, rxhash: true };
  refreshHot(): void {
    const f = this.features;
    this.hot.rxcsum = (f & NETIF_F_RXCSUM) !== 0n;
    this.hot.gro = (f & NETIF_F_GRO) !== 0n;
    this.hot.txCsum4 = (f & NETIF_F_IP_CSUM) !== 0n;
    this.hot.txCsum6 = (f & NETIF_F_IPV6_CSUM) !== 0n;
    this.hot.rxhash = (f & NETIF_F_RXHASH) !== 0n;
  }

  // ---- channels / rings / MTU -----------------------------------------------------------------

  /** ETHTOOL_MSG_CHANNELS_SET: core checks (net/ethtool/channels.c) then netvsc_set_channels(). */
  setChannels(req: { rx?: number; tx?: number; other?: number; combined?: number }): OpResult {
    const cur = { rx: 0, tx: 0, other: 0, combined: this.numChn };
    const next = { rx: req.rx ?? cur.rx, tx: req.tx ?? cur.tx, other: req.other ?? cur.other, combined: req.combined ?? cur.combined };
    if (next.rx === cur.rx && next.tx === cur.tx && next.other === cur.other && next.combined === cur.combined) return OK;
    const max = { rx: 0, tx: 0, other: 0, combined: this.maxChn };
    for (const k of ['rx', 'tx', 'other', 'combined'] as const) {
      if (next[k] > max[k]) return { err: -EINVAL, extack: 'requested channel count exceeds maximum', extackAttr: k };
    }
    if (!next.combined && !next.rx) return { err: -EINVAL, extack: 'requested channel counts would result in no RX or TX channel being configured', extackAttr: req.rx !== undefined ? 'rx' : undefined };
    if (!next.combined && !next.tx) return { err: -EINVAL, extack: 'requested channel counts would result in no RX or TX channel being configured', extackAttr: req.tx !== undefined ? 'tx' : undefined };
    if (this.rxfhConfigured) {
      let maxUsed = 0;
      for (let i = 0; i < this.rxTableSz; i++) maxUsed = Math.max(maxUsed, this.rxTable[i]);
      if (maxUsed >= next.combined + next.rx) return { err: -EINVAL, extack: `requested channel counts are too low for existing indirection table (${maxUsed})` };
    }
    // Driver.
    const count = next.combined;
    if (count === 0 || next.rx || next.tx || next.other) return { err: -EINVAL };
    if (this.nvspVersion < NVSP_PROTOCOL_VERSION_5) return { err: -EINVAL };
    if (count > this.maxChn) return { err: -EINVAL };
    this.requestedChn = count;
    this.reattach();
    this.events.emit('state', { what: 'channels' });
    return OK;
  }

  /** ETHTOOL_MSG_RINGS_SET: core validation then netvsc_set_ringparam(). */
  setRingparam(req: { rx?: number; rxMini?: number; rxJumbo?: number; tx?: number; unsupported?: string }): OpResult {
    if (req.unsupported) return { err: -EOPNOTSUPP, extack: req.unsupported.split('|')[0], extackAttr: req.unsupported.split('|')[1] };
    const max = this.ringMax();
    const next = { rx: req.rx ?? this.recvSectionCnt, tx: req.tx ?? this.sendSectionCnt };
    const mod = next.rx !== this.recvSectionCnt || next.tx !== this.sendSectionCnt || !!req.rxMini || !!req.rxJumbo;
    if (next.rx > max.rx) return { err: -EINVAL, extack: 'requested ring size exceeds maximum', extackAttr: 'rx' };
    if ((req.rxMini ?? 0) > 0) return { err: -EINVAL, extack: 'requested ring size exceeds maximum', extackAttr: 'rx-mini' };
    if ((req.rxJumbo ?? 0) > 0) return { err: -EINVAL, extack: 'requested ring size exceeds maximum', extackAttr: 'rx-jumbo' };
    if (next.tx > max.tx) return { err: -EINVAL, extack: 'requested ring size exceeds maximum', extackAttr: 'tx' };
    if (!mod) return OK;
    // Driver: clamp to [10, max]; equal to current -> nothing.
    const rx = clamp(next.rx, NETVSC_MIN_RX_SECTIONS, max.rx);
    const tx = clamp(next.tx, NETVSC_MIN_TX_SECTIONS, max.tx);
    if (rx === this.recvSectionCnt && tx === this.sendSectionCnt) return OK;
    this.recvSectionsRequested = rx;
    this.sendSectionsRequested = tx;
    this.reattach();
    this.events.emit('state', { what: 'ring' });
    return OK;
  }

  ringMax(): { rx: number; tx: number } {
    const rxBuf = this.nvspVersion <= NVSP_PROTOCOL_VERSION_2 ? NETVSC_RECEIVE_BUFFER_SIZE_LEGACY : NETVSC_RECEIVE_BUFFER_SIZE;
    return { rx: Math.floor(rxBuf / this.recvSectionSize), tx: Math.floor(NETVSC_SEND_BUFFER_SIZE / this.sendSectionSize) };
  }

  get minMtu(): number { return NETVSC_MTU_MIN; }
  get maxMtu(): number { return this.nvspVersion >= NVSP_PROTOCOL_VERSION_2 ? NETVSC_MTU_MAX : 1500; }

  /** dev_set_mtu(): core range check, then netvsc_change_mtu(). */
  setMtu(mtu: number): OpResult {
    if (mtu < this.minMtu) return { err: -EINVAL, extack: 'mtu less than device minimum' };
    if (mtu > this.maxMtu) return { err: -EINVAL, extack: 'mtu greater than device maximum' };
    if (mtu === this.mtu) return OK;
    const old = this.mtu;
    if (this.vf) this.vf.mtu = mtu; // VF first
    this.mtu = mtu;
    if (this.xdp && !xdpMtuFits(mtu)) {
      // The saved program no longer fits: the re-attach fails, the old MTU comes back.
      this.logWarn(`XDP: mtu:${mtu} too large, buf_max:${xdpBufMax(mtu)}`);
      this.mtu = old;
      if (this.vf) this.vf.mtu = old;
      this.reattach();
      return { err: -EOPNOTSUPP };
    }
    this.reattach();
    this.events.emit('state', { what: 'mtu' });
    return OK;
  }

  /** netvsc_set_mac_addr(): the VF's MAC first, then the host (NetworkAddress); host failure rolls the VF back. */
  setMacAddress(mac: string): OpResult {
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(mac)) return { err: -EINVAL };
    if ((parseInt(mac.slice(0, 2), 16) & 1) || /^(00:){5}00$/.test(mac)) return { err: -99 }; // -EADDRNOTAVAIL: eth_validate_addr
    if (this.vf) this.vf.mac = mac.toLowerCase();
    this.mac = mac.toLowerCase();
    this.events.emit('state', { what: 'mac' });
    return OK;
  }

  setUp(up: boolean): OpResult {
    if (this.up === up) return OK;
    this.up = up;
    if (this.vf) {
      this.vf.up = up; // netvsc_open/close open/close the VF too
      this.vfChanged();
    }
    this.events.emit('state', { what: 'link' });
    return OK;
  }

  // ---- RSS ---------------------------------------------------------------------------------------

  /** ethtool_set_rxfh() core checks + netvsc_set_rxfh(). indir 'default' clears IFF_RXFH_CONFIGURED. */
  setRxfh(req: { indir?: number[] | 'default'; key?: Uint8Array; hfunc?: number; context?: boolean; xfrm?: boolean }): OpResult {
    if (req.context) return { err: -EOPNOTSUPP };
    if (req.xfrm) return { err: -EOPNOTSUPP };
    if (Array.isArray(req.indir)) {
      if (req.indir.length !== this.rxTableSz) return { err: -EINVAL };
      for (const q of req.indir) if (q >= this.numChn) return { err: -EINVAL };
    }
    if (req.key && req.key.length !== NETVSC_HASH_KEYLEN) return { err: -EINVAL };
    // Driver.
    if (req.hfunc !== undefined && req.hfunc !== 0 && req.hfunc !== 1) return { err: -EOPNOTSUPP }; // NO_CHANGE / TOP
    if (req.indir === undefined && !req.key) return OK;
    if (this.rxTableSz === 0) return { err: -EOPNOTSUPP };
    if (req.indir === 'default') {
      for (let i = 0; i < this.rxTableSz; i++) this.rxTable[i] = i % this.numChn;
      this.rxfhConfigured = false;
    } else if (req.indir) {
      req.indir.forEach((q, i) => { this.rxTable[i] = q; });
      this.rxfhConfigured = true;
    }
    if (req.key) this.setRssKey(req.key);
    this.events.emit('state', { what: 'rss' });
    return OK;
  }

  /** get_rxfh_fields: RXH_* bits for an ethtool flow type name. */
  getRxfhFields(flow: string): number {
    const l4 = L4HASH_BITS[flow];
    if (l4 !== undefined) return RXH_IP_SRC | RXH_IP_DST | ((this.l4Hash & l4) ? RXH_L4_B_0_1 | RXH_L4_B_2_3 : 0);
    if (flow === 'ip4' || flow === 'ip6') return RXH_IP_SRC | RXH_IP_DST;
    return 0;
  }

  /** set_rxfh_fields: only `sdfn` (0xf0) or `sd` (0x30) on tcp4/tcp6/udp4/udp6. */
  setRxfhFields(flow: string, data: number): OpResult {
    const l4 = L4HASH_BITS[flow];
    if (l4 === undefined) return { err: -EOPNOTSUPP };
    if (data === (RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 | RXH_L4_B_2_3)) this.l4Hash |= l4;
    else if (data === (RXH_IP_SRC | RXH_IP_DST)) this.l4Hash &= ~l4;
    else return { err: -EOPNOTSUPP };
    this.events.emit('state', { what: 'rss' });
    return OK;
  }

  // ---- XDP ---------------------------------------------------------------------------------------

  /** netvsc_xdp_set() (+ propagation to the VF). prog null = detach. */
  setXdp(prog: XdpProgram | null): OpResult {
    if (prog) {
      const bufMax = xdpBufMax(this.mtu);
      if (!xdpMtuFits(this.mtu)) {
        this.logWarn(`XDP: mtu:${this.mtu} too large, buf_max:${bufMax}`);
        return { err: -EOPNOTSUPP, extack: 'hv_netvsc: XDP: mtu too large' };
      }
      if (this.has(NETIF_F_LRO)) {
        this.logWarn('XDP: not support LRO');
        return { err: -EOPNOTSUPP, extack: 'hv_netvsc: XDP: not support LRO' };
      }
    }
    this.xdp = prog;
    if (this.vf) this.vf.xdp = prog ? prog.name : null;
    this.events.emit('state', { what: 'xdp' });
    return OK;
  }

  // ---- SR-IOV VF ---------------------------------------------------------------------------------

  /** The host announces a VF (VF slot added) and the VF netdev registers and joins. */
  addVf(opts: { serial?: number; mac?: string; up?: boolean; name?: string } = {}): OpResult {
    if (this.vf) return { err: -16 }; // -EBUSY: one VF per netvsc
    const serial = opts.serial ?? 1;
    const mac = opts.mac ?? this.permMac;
    const name = opts.name ?? `enP${serial}s1`;
    this.logInfo(`VF slot ${serial} added`);
    // get_netvsc_byslot(): serial and permanent MAC must match; fallback: MAC alone.
    if (mac.toLowerCase() !== this.permMac.toLowerCase()) {
      this.log.push(`hv_netvsc: no netdev found for vf serial:${serial}`);
      return { err: -ENODEV };
    }
    this.vf = {
      name, mac, serial, up: false, mtu: this.mtu, hostAssociated: true, features: this.features,
      xdp: this.xdp ? this.xdp.name : null, tsoMaxSize: GSO_LEGACY_MAX_SIZE, ifindex: this.ifindex + 1,
    };
    this.logVf(name, `joined to ${this.ifname}`);
    this.logInfo(`VF registering: ${name}`);
    // __netvsc_vf_setup: MTU, flags, open the VF if netvsc is up.
    if (this.up && opts.up !== false) this.vf.up = true;
    this.vfChanged();
    this.events.emit('state', { what: 'vf' });
    return OK;
  }

  /** ip link set VF up|down (NETDEV_UP / NETDEV_DOWN on the VF). */
  setVfUp(up: boolean): OpResult {
    if (!this.vf) return { err: -ENODEV };
    this.vf.up = up;
    this.vfChanged();
    return OK;
  }

  /** Host removes the VF (hot-unplug): GOING_DOWN switches back, then UNREGISTER. */
  removeVf(): OpResult {
    if (!this.vf) return { err: -ENODEV };
    const vf = this.vf;
    vf.up = false;
    this.vfChanged();
    this.logInfo(`VF unregistering: ${vf.name}`);
    this.logInfo(`VF slot ${vf.serial} removed`);
    this.vf = null;
    this.events.emit('state', { what: 'vf' });
    return OK;
  }

  /** netvsc_vf_changed(): switch the data path when the VF's running state differs. */
  private vfChanged(): void {
    const vf = this.vf;
    const vfIsUp = !!vf && vf.up;
    if (vfIsUp === this.dataPathIsVf) return;
    if (!vf) return;
    if (vfIsUp && !vf.hostAssociated) { this.logInfo('Waiting for the VF association from host'); return; }
    this.dataPathIsVf = vfIsUp; // cleared before sending when switching away; set after completion
    this.logInfo(`Data path switched ${vfIsUp ? 'to' : 'from'} VF: ${vf.name}`);
    this.events.emit('state', { what: 'datapath' });
  }

  private syncVfFeatures(): void {
    if (this.vf) this.vf.features = this.features;
  }

  /** TX goes to the VF: present, running, data path VF (carrier assumed with running). */
  get vfCarriesTx(): boolean {
    return !!this.vf && this.vf.up && this.dataPathIsVf;
  }

  /** TSO max the stack uses: the VF's while the data path is the VF. */
  get tsoMaxSize(): number {
    return this.dataPathIsVf && this.vf ? this.vf.tsoMaxSize : this.gsoMaxSize;
  }

  // ---- log -----------------------------------------------------------------------------------------

  logInfo(text: string): void { this.emitLog('info', this.ifname, `hv_netvsc ${this.busInfo} ${this.ifname}: ${text}`, text); }
  logWarn(text: string): void { this.emitLog('warn', this.ifname, `hv_netvsc ${this.busInfo} ${this.ifname}: ${text}`, text); }
  private logVf(vfName: string, text: string): void { this.emitLog('info', vfName, `mlx5_core ${vfName}: ${text}`, text); }
  private emitLog(level: 'info' | 'warn' | 'err', dev: string, line: string, text: string): void {
    this.log.push(line);
    if (this.log.length > 1000) this.log.splice(0, this.log.length - 1000);
    this.events.emit('log', { level, dev, text, line });
  }
}

function roundUp(n: number, to: number): number { return Math.ceil(n / to) * to; }
function clamp(n: number, lo: number, hi: number): number { return Math.min(hi, Math.max(lo, n)); }

/** A small deterministic PRNG (mulberry32) for the boot-time random values. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  };
}

/** Hyper-V's OUI 00:15:5d with three bytes from the seed. */
function defaultMac(seed: number): string {
  const r = mulberry32(seed ^ 0x5d)();
  return ['00', '15', '5d', ...[16, 8, 0].map((s) => ((r >>> s) & 0xff).toString(16).padStart(2, '0'))].join(':');
}

/** The VMBus device instance GUID (bus-info), from the seed. */
function vmbusGuid(seed: number): string {
  const r = mulberry32(seed ^ 0x6775);
  const hex = Array.from({ length: 4 }, () => r().toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export { ETH_HLEN, NETIF_F_GRO, NETIF_F_GSO, NETIF_F_GRO_FRAGLIST, NETIF_F_GRO_UDP_FWD, NETIF_F_NEVER_CHANGE };
