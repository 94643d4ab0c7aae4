// The vocabulary of the trace: pipeline stages, their decisions, reasons and the counters a
// decision touched. Small integers so records stay in typed arrays; names for every reader.

/** Pipeline stages in the order a packet meets them (RX then TX). */
export const Stage = {
  Wire: 0, VfPath: 1, Rsc: 2, RssHash: 3, Channel: 4, RecvBuffer: 5, Xdp: 6, Checksum: 7, Gro: 8, Deliver: 9,
  TxHash: 10, TxQueue: 11, TxChecksum: 12, TxSend: 13,
} as const;
export type Stage = typeof Stage[keyof typeof Stage];
export const STAGE_NAMES = ['wire', 'vf-path', 'rsc', 'rss-hash', 'channel', 'recv-buffer', 'xdp', 'checksum', 'gro', 'deliver',
  'tx-hash', 'tx-queue', 'tx-checksum', 'tx-send'];

export const Decision = {
  None: 0, Rx: 1, Tx: 2, Synthetic: 3, Vf: 4, Single: 5, Coalesced: 6, Absorbed: 7, Hashed: 8, Queue: 9, Section: 10,
  Drop: 11, XdpPass: 12, XdpDrop: 13, XdpTx: 14, XdpAborted: 15, XdpRedirect: 16, XdpInvalid: 17, Unnecessary: 18,
  NoCsum: 19, GroMerged: 20, GroHeld: 21, GroOff: 22, Delivered: 23, HwCsum: 24, SwCsum: 25, Batched: 26,
  NewSection: 27, PageBuffer: 28, Lso: 29, NotRun: 30,
} as const;
export type Decision = typeof Decision[keyof typeof Decision];
export const DECISION_NAMES = ['none', 'rx', 'tx', 'synthetic', 'vf', 'single', 'coalesced', 'absorbed', 'hashed', 'queue',
  'section', 'drop', 'XDP_PASS', 'XDP_DROP', 'XDP_TX', 'XDP_ABORTED', 'XDP_REDIRECT', 'invalid-action', 'CHECKSUM_UNNECESSARY',
  'CHECKSUM_NONE', 'merged', 'held', 'gro-off', 'delivered', 'hw-checksum', 'sw-checksum', 'batched', 'new-section',
  'page-buffer', 'lso', 'not-run'];

export const Reason = {
  None: 0, Tcp4Tuple: 1, Ip2Tuple: 2, Fragment2Tuple: 3, NonIp: 4, SingleChannel: 5, RecvBufferFull: 6, PacketTooBig: 7,
  FrameTooLong: 8, RxcsumOff: 9, NoCsumInfo: 10, HostVerified: 11, LroOff: 12, NotTcp: 13, L4Hash: 14, L3Hash: 15,
  SocketCache: 16, VfSelect: 17, CsumNotInMask: 18, NotPartial: 19, TooLargeForSection: 20, SendBufferFull: 21,
  BatchAppend: 22, VfDataPath: 23, RedirectFailed: 24, RedirectUnsupported: 25, HostNoRsc: 26, XdpAttached: 27, NoFlow: 28,
  Flushed: 29, TxNoSpace: 30, UdpNotHashed: 31, VlanTagged: 32, NdoXdpXmit: 33, NdoXdpXmitVf: 34, RedirectToVf: 35,
} as const;
export type Reason = typeof Reason[keyof typeof Reason];
export const REASON_NAMES = ['', 'TCP 4-tuple (addresses + ports)', 'IP 2-tuple (addresses only)',
  'IP fragment: 2-tuple (addresses only)', 'not IP: no hash', 'one channel: no RSS', 'receive buffer full (no free section)',
  'packet larger than a receive section', 'frame longer than MTU + 14: dropped before XDP', 'rx-checksumming off',
  'no checksum info from host', 'host verified the L4 checksum', 'LRO off', 'not TCP', 'L4 flow hash (sdfn)',
  'L3 address hash (sd)', 'socket cached queue', 'VF selects the queue', 'flow type not in the host checksum mask',
  'no checksum offload requested', 'too large for a send section', 'no free send section', 'appended to pending batch',
  'data path is the VF', 'redirect failed (no such device, no ndo_xdp_xmit, down, or frame too long)', 'XDP_REDIRECT unsupported (older kernel)', 'host without RSC',
  'XDP attached', 'not a TCP/UDP flow', 'flushed at end of NAPI poll', 'VMBus ring full',
  'UDP: host hashes addresses only (no UDP hash type)', '802.1Q tag carried as IEEE_8021Q_INFO',
  'sent back out of this device (ndo_xdp_xmit)', 'sent out of the VF (ndo_xdp_xmit: data path is the VF)', 'sent out of the VF'];

/** Counters a decision bumped (ethtool -S names; per-queue ones with the queue in the record). */
export const Counter = {
  None: 0, RxQueuePackets: 1, RxQueueXdpDrop: 2, RxQueueXdpRedirect: 3, RxQueueXdpTx: 4, TxQueuePackets: 5,
  TxSendFull: 6, VfRxPackets: 7, VfTxPackets: 8, RxNoMemory: 9, RecvBufferDrop: 10, TxNoSpace: 11, TxScattered: 12,
  VlanError: 13,
} as const;
export type Counter = typeof Counter[keyof typeof Counter];
export const COUNTER_NAMES = ['', 'rx_queue_N_packets', 'rx_queue_N_xdp_drop', 'rx_queue_N_xdp_redirect', 'rx_queue_N_xdp_tx',
  'tx_queue_N_packets', 'tx_send_full', 'vf_rx_packets', 'vf_tx_packets', 'rx_no_memory', 'recv_buffer_drop (host side)',
  'tx_no_space', 'tx_scattered', 'vlan_error'];

/** Per-packet flag bits (the `flags` column). */
export const PF = {
  Tx: 1 << 0, Vf: 1 << 1, Dropped: 1 << 2, CsumUnnecessary: 1 << 3, HashValid: 1 << 4, Vlan: 1 << 5, Fragment: 1 << 6,
  Rsc: 1 << 7, GroAbsorbed: 1 << 8, XdpRan: 1 << 9, XdpAdjusted: 1 << 10, L4Hash: 1 << 11, SwCsum: 1 << 12,
  PageBuffer: 1 << 13, Batched: 1 << 14, RscAbsorbed: 1 << 15,
} as const;
export const FLAG_NAMES = ['tx', 'vf', 'dropped', 'csum-unnecessary', 'hash', 'vlan', 'fragment', 'rsc', 'gro-absorbed',
  'xdp', 'xdp-adjusted', 'l4-hash', 'sw-csum', 'page-buffer', 'batched', 'rsc-absorbed'];

/** Drop reasons (the `dropReason` column). */
export const Drop = { None: 0, RecvBufferFull: 1, XdpDrop: 2, XdpAborted: 3, XdpInvalid: 4, XdpRedirectFailed: 5, FrameTooLong: 6, TxNoSpace: 7, PacketTooBig: 8 } as const;
export const DROP_NAMES = ['', 'recv-buffer-full', 'xdp-drop', 'xdp-aborted', 'xdp-invalid-action', 'xdp-redirect-failed',
  'frame-too-long', 'tx-no-space', 'packet-too-big'];

/** Verdict column: XDP action, or NO_XDP when no program ran. */
export const NO_XDP = 255;
export const PATH_NAMES = ['synthetic', 'vf'];
