// The packet paths of the device: RX (host vSwitch: VF or synthetic, RSC, RSS, receive buffer;
// guest: XDP, checksum status, GRO per NAPI poll) and TX (queue selection, checksum, send
// buffer batching / page buffers, VF). Every stage reports to one TraceSink. Hot path: no
// per-packet allocation, flow keys and per-channel state in reused objects and typed arrays.
import * as flow from '../packet/flow';
import { FlowKeys } from '../packet/flow';
import * as checksum from '../packet/checksum';
import * as codes from '../trace/codes';
import { NULL_SINK, type TraceSink } from '../trace/sink';
import * as C from './constants';
import type { NetvscDevice } from './device';
import * as statsMod from './stats';
import * as txHashMod from './txHash';
import * as xdpMod from './xdp';

// Module-local copies of imported constants: the hot path reads plain locals, not import
// bindings (which module loaders such as tsx compile to getters, a call per access).
const { Stage, Decision, Reason, Counter } = { Stage: { ...codes.Stage }, Decision: { ...codes.Decision }, Reason: { ...codes.Reason }, Counter: { ...codes.Counter } };
const { FLOW_VLAN, FLOW_FRAGMENT, FLOW_IPV4, FLOW_IPV6, FLOW_PORTS, FLOW_TCP, FLOW_UDP, LINKTYPE_ETHERNET, TCP_FLAG_ACK, TCP_FLAG_PSH } = { ...flow };
const { ETH_HLEN, GSO_LEGACY_MAX_SIZE, HV_TCP4_L4HASH, HV_TCP6_L4HASH, HV_UDP4_L4HASH, HV_UDP6_L4HASH, MAX_PAGE_BUFFER_COUNT,
  NAPI_POLL_WEIGHT, NDIS_PPI_SIZE, VLAN_HLEN, PAGE_SIZE, RNDIS_MESSAGE_SIZE, TRANSPORT_INFO_IPV4_TCP, TRANSPORT_INFO_IPV4_UDP,
  TRANSPORT_INFO_IPV6_TCP, TRANSPORT_INFO_IPV6_UDP } = { ...C };
const { G, PER_QUEUE, Q_RX_BYTES, Q_RX_PACKETS, Q_RX_XDP_DROP, Q_RX_XDP_REDIRECT, Q_RX_XDP_TX, Q_TX_BYTES, Q_TX_PACKETS, Q_TX_XDP_XMIT, VF_PCPU,
  VF_RX_BYTES, VF_RX_PACKETS, VF_TX_BYTES, VF_TX_PACKETS } = { ...statsMod };
const { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX } = { ...xdpMod };
const { onesSum, foldSum } = { ...checksum };
const { dissectFlow } = { ...flow };
const { jhash2 } = { ...txHashMod };

export interface PipelineOptions {
  /** Virtual time between NAPI polls (interrupt moderation): packets arriving within it share a poll. */
  pollIntervalNs?: number;
  /** Verify TCP/UDP checksums as the host does before reporting *_checksum_succeeded (default true). */
  verifyChecksums?: boolean;
  /**
   * ifindexes of other devices an XDP_REDIRECT may reach (they have ndo_xdp_xmit and are up; the
   * lab's other netvsc devices). eth0 itself and its VF are always known; anything else (lo: no
   * ndo_xdp_xmit) fails the redirect.
   */
  redirectDevices?: readonly number[];
}

/** Per-packet info the host attaches on RX (what netvsc_alloc_recv_skb reads). */
const MAX_GRO = 8; // MAX_GRO_SKBS held flows per NAPI
const RSC_FLOWS = 8; // flows the host coalesces at once per queue (host side: a model choice)
const RSC_HEADROOM = 214; // RNDIS header + per-packet infos in a receive section

export class NetvscPipeline {
  readonly keys = new FlowKeys();
  private readonly keys2 = new FlowKeys();
  private readonly pollInterval: number;
  private readonly verifyChecksums: boolean;
  private generation = -1;
  private nq = 0;
  /** Next packet id. */
  nextId = 0;
  /** Virtual time (ns) of the last packet seen. */
  now = 0;
  private pollDeadline = -1;
  /** Receive sections in use (host wrote, guest not completed yet). */
  private recvUsed = 0;
  /** Per channel: sections to complete at the next poll; packets processed since the last poll. */
  private chSections = new Int32Array(0);
  private chBudget = new Int32Array(0);
  // Host RSC: one open coalesced packet per channel.
  // Host RSC: up to RSC_FLOWS coalescing flows open per channel (slot = q * RSC_FLOWS + j).
  private rscId = new Int32Array(0);
  private rscBuf: (Uint8Array | null)[] = [];
  private rscOff = new Int32Array(0);
  private rscFrameLen = new Int32Array(0);
  private rscLen = new Int32Array(0);
  private rscSegs = new Int32Array(0);
  private rscNextSeq = new Uint32Array(0);
  private rscHash = new Uint32Array(0);
  private rscPorts = new Uint32Array(0);
  private rscAge = new Float64Array(0);
  private rscClock = 0;
  // GRO: MAX_GRO held flows per channel.
  private groId = new Int32Array(0);
  private groSig = new Uint32Array(0);
  private groPorts = new Uint32Array(0);
  private groNextSeq = new Uint32Array(0);
  private groLen = new Int32Array(0);
  private groCount = new Int32Array(0);
  private groAck = new Uint32Array(0);
  // TX: socket queue cache (hash-indexed), send buffer and per-queue batches.
  private sockKey = new Uint32Array(4096);
  private sockQueue = new Int16Array(4096).fill(-1);
  private sendUsed = 0;
  private batchUsed = new Int32Array(0);
  private batchCount = new Int32Array(0);
  private batchSections = new Int32Array(0);
  private lastTxQueue = -1;
  /** Sent, not yet completed by the host: tx_queue_N_* count at completion (next poll of the channel). */
  private txDonePackets = new Float64Array(0);
  private txDoneBytes = new Float64Array(0);
  /** Host-side receive drops (receive buffer exhausted): not a guest counter. */
  hostRecvBufferDrops = 0;
  private readonly redirectDevices: readonly number[];
  /** XDP printk lines of the run (bounded). */
  readonly printk: string[] = [];

  constructor(readonly dev: NetvscDevice, public sink: TraceSink = NULL_SINK, opts: PipelineOptions = {}) {
    this.pollInterval = opts.pollIntervalNs ?? 50_000;
    this.verifyChecksums = opts.verifyChecksums ?? true;
    this.redirectDevices = opts.redirectDevices ?? [];
    this.syncChannels();
  }

  /** Per-channel state follows the device's attach generation (a re-attach is a new device). */
  private syncChannels(): void {
    if (this.generation === this.dev.generation && this.nq === this.dev.numChn) return;
    this.generation = this.dev.generation;
    const n = this.nq = this.dev.numChn;
    this.chSections = new Int32Array(n); this.chBudget = new Int32Array(n);
    const r = n * RSC_FLOWS;
    this.rscId = new Int32Array(r).fill(-1); this.rscBuf = new Array(r).fill(null); this.rscOff = new Int32Array(r);
    this.rscFrameLen = new Int32Array(r); this.rscLen = new Int32Array(r); this.rscSegs = new Int32Array(r);
    this.rscNextSeq = new Uint32Array(r); this.rscHash = new Uint32Array(r); this.rscPorts = new Uint32Array(r); this.rscAge = new Float64Array(r);
    this.groId = new Int32Array(n * MAX_GRO).fill(-1); this.groSig = new Uint32Array(n * MAX_GRO); this.groPorts = new Uint32Array(n * MAX_GRO);
    this.groNextSeq = new Uint32Array(n * MAX_GRO); this.groLen = new Int32Array(n * MAX_GRO); this.groCount = new Int32Array(n * MAX_GRO); this.groAck = new Uint32Array(n * MAX_GRO);
    this.batchUsed = new Int32Array(n); this.batchCount = new Int32Array(n); this.batchSections = new Int32Array(n);
    this.txDonePackets = new Float64Array(n); this.txDoneBytes = new Float64Array(n);
    this.sockQueue.fill(-1);
    this.recvUsed = 0; this.sendUsed = 0; this.lastTxQueue = -1;
  }

  private advance(time: number): void {
    this.syncChannels();
    if (time < this.now) time = this.now;
    this.now = time;
    if (this.pollDeadline < 0) this.pollDeadline = time + this.pollInterval;
    else if (time >= this.pollDeadline) { this.pollAll(); this.pollDeadline = time + this.pollInterval; }
  }

  /** End of input: the host flushes RSC, every NAPI polls (GRO flush, completions). */
  flush(): void {
    this.syncChannels();
    this.pollAll();
    this.pollDeadline = -1;
  }

  private pollAll(): void {
    for (let q = 0; q < this.nq; q++) this.poll(q);
    this.lastTxQueue = -1;
  }

  /** One NAPI poll of channel q ends: host RSC packet delivered, GRO flushed, completions returned. */
  private poll(q: number): void {
    for (let j = q * RSC_FLOWS; j < (q + 1) * RSC_FLOWS; j++) if (this.rscId[j] >= 0) this.rscComplete(j, q);
    this.groFlush(q);
    this.recvUsed -= this.chSections[q];
    this.chSections[q] = 0;
    this.chBudget[q] = 0;
    // TX completions: the batch was sent, its section comes back; TX counters at completion.
    this.sendUsed -= this.batchSections[q];
    if (this.txDonePackets[q]) {
      const qb = q * PER_QUEUE;
      this.dev.stats.queues[qb + Q_TX_PACKETS] += this.txDonePackets[q];
      this.dev.stats.queues[qb + Q_TX_BYTES] += this.txDoneBytes[q];
      this.txDonePackets[q] = 0; this.txDoneBytes[q] = 0;
    }
    this.batchSections[q] = 0; this.batchUsed[q] = 0; this.batchCount[q] = 0;
  }

  // ---- RX -------------------------------------------------------------------------------------

  /** A frame arrives from the wire for the guest. Returns its packet id. */
  receive(buf: Uint8Array, off: number, len: number, time: number, linkType = LINKTYPE_ETHERNET): number {
    this.advance(time);
    const id = this.nextId++;
    const d = this.dev;
    const sink = this.sink;
    const k = dissectFlow(buf, off, len, this.keys, linkType);
    // An 802.1Q tag reaches the guest as IEEE_8021Q_INFO (hw-accel tag), not in the frame.
    sink.report(Stage.Wire, id, Decision.Rx, k.status & FLOW_VLAN ? Reason.VlanTagged : Reason.None, Counter.None, len);
    if (d.dataPathIsVf && d.vf && d.vf.up) {
      this.receiveVf(id, buf, off, len, k);
      return id;
    }
    sink.report(Stage.VfPath, id, Decision.Synthetic, Reason.None, Counter.None, 0);
    // Host RSS: Toeplitz over the types the guest programmed: TCP (4-tuple), IPv4/IPv6 (2-tuple), no UDP.
    let hash = 0;
    let reason: number = Reason.NonIp;
    const st = k.status;
    if (st & (FLOW_IPV4 | FLOW_IPV6)) {
      const alen = st & FLOW_IPV4 ? 4 : 16;
      if ((st & FLOW_TCP) && !(st & FLOW_FRAGMENT)) {
        hash = this.toeplitz4(buf, k, alen);
        reason = Reason.Tcp4Tuple;
      } else {
        hash = this.toeplitz2(buf, k, alen);
        reason = st & FLOW_FRAGMENT ? Reason.Fragment2Tuple : (st & FLOW_UDP ? Reason.UdpNotHashed : Reason.Ip2Tuple);
      }
    }
    const hashed = reason !== Reason.NonIp && d.numChn > 1;
    let q = 0;
    if (d.rxTableSz > 0 && d.numChn > 1 && hashed) q = d.rxTable[hash % d.rxTableSz];
    if (q >= d.numChn) q = 0;
    // The host's hash reaches the skb (NBL_HASH_VALUE, type L4) only with rx-hashing on.
    sink.report(Stage.RssHash, id, hashed && d.hot.rxhash ? Decision.Hashed : Decision.None, d.numChn > 1 ? reason : Reason.SingleChannel, Counter.None, hashed ? hash : 0);
    sink.report(Stage.Channel, id, Decision.Queue, Reason.None, Counter.None, q);

    // Host RSC (LRO): coalesce in-order TCP segments of a flow open on this channel.
    const tcpData = (st & FLOW_TCP) && !(st & FLOW_FRAGMENT) && k.payloadLength > 0;
    if (tcpData) {
      const ports = ((k.srcPort << 16) | k.dstPort) >>> 0;
      const base = q * RSC_FLOWS;
      for (let j = base; j < base + RSC_FLOWS; j++) {
        if (this.rscId[j] < 0 || this.rscHash[j] !== hash || this.rscPorts[j] !== ports) continue;
        if (this.rscNextSeq[j] === k.tcpSeq && (k.tcpFlags & ~(TCP_FLAG_ACK | TCP_FLAG_PSH)) === 0
          && this.rscSegs[j] < d.host.rscMaxSegments && this.rscLen[j] + k.payloadLength <= d.host.rscMaxBytes) {
          this.rscLen[j] += k.payloadLength;
          this.rscSegs[j]++;
          this.rscNextSeq[j] = (k.tcpSeq + k.payloadLength) >>> 0;
          this.rscAge[j] = ++this.rscClock;
          sink.report(Stage.Rsc, id, Decision.Absorbed, Reason.None, Counter.None, this.rscId[j]);
          if (k.tcpFlags & TCP_FLAG_PSH) this.rscComplete(j, q);
          return id;
        }
        this.rscComplete(j, q); // out of order or full: the open packet goes up first
        break;
      }
      if (d.rscEnabled && !d.xdp && (k.tcpFlags & ~TCP_FLAG_ACK) === 0) {
        // Open a coalesced packet in a free slot (or after delivering the oldest); delivered when its run ends.
        let slot = -1;
        let oldest = base;
        for (let j = base; j < base + RSC_FLOWS; j++) {
          if (this.rscId[j] < 0) { slot = j; break; }
          if (this.rscAge[j] < this.rscAge[oldest]) oldest = j;
        }
        if (slot < 0) { this.rscComplete(oldest, q); slot = oldest; }
        this.rscId[slot] = id; this.rscBuf[slot] = buf; this.rscOff[slot] = off; this.rscFrameLen[slot] = len;
        this.rscLen[slot] = len; this.rscSegs[slot] = 1; this.rscNextSeq[slot] = (k.tcpSeq + k.payloadLength) >>> 0;
        this.rscHash[slot] = hash; this.rscPorts[slot] = ports; this.rscAge[slot] = ++this.rscClock;
        return id;
      }
    }
    sink.report(Stage.Rsc, id, Decision.Single, d.rscEnabled ? Reason.NotTcp : (d.host.rsc ? Reason.LroOff : Reason.HostNoRsc), Counter.None, 1);
    this.deliver(id, q, buf, off, len, len, hashed ? hash : 0, hashed, 1, k);
    return id;
  }

  private toeplitz4(buf: Uint8Array, k: FlowKeys, alen: number): number {
    // src addr | dst addr | src port | dst port, as contiguous input bytes.
    const t = this.dev.toeplitz;
    let h = t.hash(buf, k.srcAddrOffset, alen);
    h ^= this.shifted(buf, k.dstAddrOffset, alen, alen);
    h ^= this.shifted(buf, k.l4Offset, 4, 2 * alen);
    return h >>> 0;
  }

  private toeplitz2(buf: Uint8Array, k: FlowKeys, alen: number): number {
    return (this.dev.toeplitz.hash(buf, k.srcAddrOffset, alen) ^ this.shifted(buf, k.dstAddrOffset, alen, alen)) >>> 0;
  }

  /** Toeplitz contribution of `len` bytes placed at byte position `pos` of the hash input. */
  private shifted(buf: Uint8Array, off: number, len: number, pos: number): number {
    const win = this.dev.toeplitz.windows;
    let h = 0;
    for (let i = 0; i < len; i++) {
      const b = buf[off + i];
      if (b === 0) continue;
      const base = (pos + i) << 3;
      for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) h ^= win[base + bit];
    }
    return h;
  }

  /** The host finishes the coalesced packet in slot j of channel q and delivers it (one skb, `segs` segments). */
  private rscComplete(j: number, q: number): void {
    const id = this.rscId[j];
    const buf = this.rscBuf[j]!;
    this.rscId[j] = -1; this.rscBuf[j] = null;
    const segs = this.rscSegs[j];
    const flen = this.rscFrameLen[j];
    const k = dissectFlow(buf, this.rscOff[j], flen, this.keys2);
    this.sink.report(Stage.Rsc, id, segs > 1 ? Decision.Coalesced : Decision.Single, Reason.None, Counter.None, segs);
    // The bytes in hand are the first segment's frame; the packet's length is the coalesced one.
    this.deliver(id, q, buf, this.rscOff[j], flen, this.rscLen[j], this.rscHash[j], this.dev.numChn > 1, segs, k);
  }

  /**
   * Host delivery into a receive section, then the guest's receive on channel q's NAPI.
   * `len` bytes are in buf; `pktlen` is the packet length (a coalesced packet is longer than its first segment).
   */
  private deliver(id: number, q: number, buf: Uint8Array, off: number, len: number, pktlen: number, hash: number, hashed: boolean, segs: number, k: FlowKeys): void {
    const d = this.dev;
    const sink = this.sink;
    // Receive buffer: one section per range (an RSC packet spans several).
    const per = d.recvSectionSize - RSC_HEADROOM;
    const sections = segs > 1 ? Math.ceil(pktlen / per) : 1;
    if (segs === 1 && pktlen + RSC_HEADROOM > d.recvSectionSize) {
      d.logWarn(`Packet too big: buflen=${pktlen + RSC_HEADROOM} recv_section_size=${d.recvSectionSize}`);
      sink.report(Stage.RecvBuffer, id, Decision.Drop, Reason.PacketTooBig, Counter.None, 0);
      return;
    }
    if (this.recvUsed + sections > d.recvSectionCnt) {
      this.hostRecvBufferDrops++;
      sink.report(Stage.RecvBuffer, id, Decision.Drop, Reason.RecvBufferFull, Counter.RecvBufferDrop, this.recvUsed);
      return;
    }
    this.recvUsed += sections;
    this.chSections[q] += sections;
    sink.report(Stage.RecvBuffer, id, Decision.Section, Reason.None, Counter.None, this.recvUsed);
    this.guestReceive(id, q, buf, off, len, pktlen, hash, hashed, k, false);
    if (++this.chBudget[q] >= NAPI_POLL_WEIGHT) this.poll(q);
  }

  /** netvsc_recv_callback(): XDP, counters, skb checksum/hash, GRO. Also the VF's receive when vf. */
  private guestReceive(id: number, q: number, buf: Uint8Array, off: number, len: number, pktlen: number, hash: number, hashed: boolean, k: FlowKeys, vf: boolean): void {
    const d = this.dev;
    const sink = this.sink;
    const qs = d.stats.queues;
    const qb = q * PER_QUEUE;
    let frame = buf, flen = len, fo = off;
    if (d.xdp) {
      const prog = d.xdp;
      if (len > d.mtu + ETH_HLEN) {
        sink.report(Stage.Xdp, id, Decision.Drop, Reason.None, Counter.RxQueueXdpDrop, XDP_DROP);
        if (!vf) qs[qb + Q_RX_XDP_DROP]++;
        return;
      }
      const act = prog.run(buf, off, len, vf && d.vf ? d.vf.ifindex : d.ifindex, q);
      const o = prog.out;
      if (o.printk.length) {
        // The run's lines go to the trace against this packet; the flat list stays for the CLI's --json.
        sink.printk?.(id, o.printk);
        if (this.printk.length < 10000) for (const l of o.printk) this.printk.push(l);
      }
      const adjusted = o.dataEnd - o.data !== len || o.data !== 256 ? 0x100 : 0;
      if (act === XDP_REDIRECT && d.options.xdpRedirectUnsupported) {
        d.logWarn('invalid XDP action 4');
        sink.report(Stage.Xdp, id, Decision.XdpInvalid, Reason.RedirectUnsupported, Counter.RxQueueXdpDrop, act | adjusted);
        if (!vf) qs[qb + Q_RX_XDP_DROP]++;
        return;
      }
      switch (act) {
        case XDP_PASS:
          sink.report(Stage.Xdp, id, Decision.XdpPass, Reason.None, Counter.None, act | adjusted);
          if (adjusted) { frame = o.page; fo = o.data; flen = o.dataEnd - o.data; k = dissectFlow(frame, o.data, flen, this.keys2); }
          break;
        case XDP_TX: {
          sink.report(Stage.Xdp, id, Decision.XdpTx, Reason.None, Counter.RxQueueXdpTx, act | adjusted);
          if (!vf) { qs[qb + Q_RX_XDP_TX]++; if (o.page[o.data] & 1) d.stats.rxMulticast[q]++; }
          this.countRx(q, pktlen, vf);
          this.xdpTransmit(q, o.dataEnd - o.data);
          return;
        }
        case XDP_REDIRECT: {
          const how = o.redirectOk ? this.redirectTarget(o.redirectIfindex, o.dataEnd - o.data) : Reason.RedirectFailed;
          if (how !== Reason.RedirectFailed) {
            sink.report(Stage.Xdp, id, Decision.XdpRedirect, how, Counter.RxQueueXdpRedirect, act | adjusted);
            if (!vf) qs[qb + Q_RX_XDP_REDIRECT]++;
            this.countRx(q, pktlen, vf);
            if (how === Reason.NdoXdpXmit) this.ndoXdpXmit(q, o.dataEnd - o.data);
          } else {
            sink.report(Stage.Xdp, id, Decision.XdpRedirect, Reason.RedirectFailed, Counter.RxQueueXdpDrop, act | adjusted);
            if (!vf) qs[qb + Q_RX_XDP_DROP]++;
          }
          return;
        }
        case XDP_DROP: case XDP_ABORTED:
          sink.report(Stage.Xdp, id, act === XDP_DROP ? Decision.XdpDrop : Decision.XdpAborted, Reason.None, Counter.RxQueueXdpDrop, act | adjusted);
          if (!vf) qs[qb + Q_RX_XDP_DROP]++;
          return;
        default:
          d.logWarn(`invalid XDP action ${act}`);
          sink.report(Stage.Xdp, id, Decision.XdpInvalid, Reason.None, Counter.RxQueueXdpDrop, act & 0xff);
          if (!vf) qs[qb + Q_RX_XDP_DROP]++;
          return;
      }
    }
    this.countRx(q, pktlen, vf);
    // eth_type_trans(): a group destination MAC makes the skb PACKET_MULTICAST/BROADCAST, counted per channel.
    if (!vf && (frame[fo] & 1)) d.stats.rxMulticast[q]++;
    // skb: checksum status from the host's info and NETIF_F_RXCSUM; hash if NETIF_F_RXHASH.
    let csum: number = Decision.NoCsum;
    let creason: number = Reason.NoCsumInfo;
    const st = k.status;
    if (!d.hot.rxcsum) creason = Reason.RxcsumOff;
    else if (vf) { csum = Decision.Unnecessary; creason = Reason.HostVerified; }
    else if (!(st & FLOW_FRAGMENT) && (st & (FLOW_TCP | FLOW_UDP))) {
      const v6 = (st & FLOW_IPV6) !== 0;
      const tcp = (st & FLOW_TCP) !== 0;
      const mask = d.txChecksumMask;
      const offloaded = tcp ? (mask & (v6 ? TRANSPORT_INFO_IPV6_TCP : TRANSPORT_INFO_IPV4_TCP)) : (mask & (v6 ? TRANSPORT_INFO_IPV6_UDP : TRANSPORT_INFO_IPV4_UDP));
      if (offloaded) {
        if (pktlen !== len || !this.verifyChecksums || this.l4ChecksumOk(frame, k)) { csum = Decision.Unnecessary; creason = Reason.HostVerified; }
      }
    }
    sink.report(Stage.Checksum, id, csum, creason, Counter.None, 0);
    void hashed; void hash;
    // GRO (napi_gro_receive) on this channel's NAPI.
    if (d.hot.gro) this.groReceive(id, q, k, hash, flen + (pktlen - len), k.payloadLength + (pktlen - len));
    else { sink.report(Stage.Gro, id, Decision.GroOff, Reason.None, Counter.None, 0); sink.report(Stage.Deliver, id, Decision.Delivered, Reason.None, Counter.None, 0); }
  }

  private countRx(q: number, bytes: number, vf: boolean): void {
    const d = this.dev;
    if (vf) {
      const c = (q % d.cpus) * VF_PCPU;
      d.stats.vfPcpu[c + VF_RX_PACKETS]++; d.stats.vfPcpu[c + VF_RX_BYTES] += bytes;
      return;
    }
    const qb = q * PER_QUEUE;
    d.stats.queues[qb + Q_RX_PACKETS]++; d.stats.queues[qb + Q_RX_BYTES] += bytes;
  }

  private l4ChecksumOk(buf: Uint8Array, k: FlowKeys): boolean {
    const l4len = k.l3End - k.l4Offset;
    if (l4len <= 0) return false;
    const st = k.status;
    if ((st & FLOW_UDP) && (st & FLOW_IPV4) && buf[k.l4Offset + 6] === 0 && buf[k.l4Offset + 7] === 0) return false; // no UDP checksum
    const alen = st & FLOW_IPV4 ? 4 : 16;
    let s = onesSum(buf, k.srcAddrOffset, alen) + onesSum(buf, k.dstAddrOffset, alen) + k.l4Proto + l4len;
    s = onesSum(buf, k.l4Offset, l4len, s);
    return foldSum(s) === 0xffff;
  }

  private groReceive(id: number, q: number, k: FlowKeys, hash: number, flen: number, payload: number): void {
    const sink = this.sink;
    const st = k.status;
    const base = q * MAX_GRO;
    const ports = ((k.srcPort << 16) | k.dstPort) >>> 0;
    const sig = (hash ^ k.src[0] ^ Math.imul(k.dst[0], 0x9e3779b1)) >>> 0;
    const mergeable = (st & FLOW_TCP) && !(st & FLOW_FRAGMENT) && payload > 0 && (k.tcpFlags & ~(TCP_FLAG_ACK | TCP_FLAG_PSH)) === 0;
    if (mergeable) {
      for (let i = base; i < base + MAX_GRO; i++) {
        if (this.groId[i] < 0 || this.groSig[i] !== sig || this.groPorts[i] !== ports) continue;
        // tcp_gro_receive: in sequence, same ACK, within the 64 KiB GSO limit.
        if (this.groNextSeq[i] === k.tcpSeq && this.groAck[i] === k.tcpAck && this.groLen[i] + payload <= GSO_LEGACY_MAX_SIZE) {
          this.groLen[i] += payload;
          this.groCount[i]++;
          this.groNextSeq[i] = (k.tcpSeq + payload) >>> 0;
          sink.report(Stage.Gro, id, Decision.Absorbed, Reason.None, Counter.None, this.groId[i]);
          if (k.tcpFlags & TCP_FLAG_PSH) this.groFlushSlot(i);
          return;
        }
        this.groFlushSlot(i); // out of order: flush the held packet, this one starts anew
        break;
      }
      let slot = -1;
      for (let i = base; i < base + MAX_GRO; i++) if (this.groId[i] < 0) { slot = i; break; }
      if (slot < 0) { slot = base; this.groFlushSlot(slot); } // table full: the oldest goes up
      if (k.tcpFlags & TCP_FLAG_PSH) {
        sink.report(Stage.Gro, id, Decision.GroHeld, Reason.None, Counter.None, 0);
        sink.report(Stage.Deliver, id, Decision.Delivered, Reason.None, Counter.None, flen);
        return;
      }
      this.groId[slot] = id; this.groSig[slot] = sig; this.groPorts[slot] = ports;
      this.groNextSeq[slot] = (k.tcpSeq + payload) >>> 0; this.groLen[slot] = flen; this.groCount[slot] = 0; this.groAck[slot] = k.tcpAck;
      return;
    }
    sink.report(Stage.Gro, id, Decision.GroHeld, Reason.None, Counter.None, 0);
    sink.report(Stage.Deliver, id, Decision.Delivered, Reason.None, Counter.None, flen);
  }

  private groFlushSlot(i: number): void {
    const id = this.groId[i];
    if (id < 0) return;
    this.groId[i] = -1;
    const n = this.groCount[i];
    this.sink.report(Stage.Gro, id, n ? Decision.GroMerged : Decision.GroHeld, Reason.Flushed, Counter.None, n);
    this.sink.report(Stage.Deliver, id, Decision.Delivered, Reason.None, Counter.None, this.groLen[i]);
  }

  private groFlush(q: number): void {
    for (let i = q * MAX_GRO; i < (q + 1) * MAX_GRO; i++) this.groFlushSlot(i);
  }

  /** Data path is the VF: its driver receives (no RSC, no receive buffer), netvsc's XDP runs there. */
  private receiveVf(id: number, buf: Uint8Array, off: number, len: number, k: FlowKeys): void {
    const d = this.dev;
    this.sink.report(Stage.VfPath, id, Decision.Vf, Reason.VfDataPath, Counter.VfRxPackets, 0);
    // The VF hashes with its own RSS (full 4-tuple, UDP included) over the same number of queues.
    let hash = 0;
    const st = k.status;
    if (st & (FLOW_IPV4 | FLOW_IPV6)) {
      const alen = st & FLOW_IPV4 ? 4 : 16;
      hash = (st & FLOW_PORTS) ? this.toeplitz4(buf, k, alen) : this.toeplitz2(buf, k, alen);
    }
    const q = hash % d.numChn;
    this.sink.report(Stage.Channel, id, Decision.Queue, Reason.VfSelect, Counter.None, q);
    this.guestReceive(id, q, buf, off, len, len, hash, true, k, true);
  }

  /** XDP_TX: the frame goes back out on the queue it came in on (through the VF if the data path is the VF). */
  private xdpTransmit(q: number, bytes: number): void {
    const d = this.dev;
    if (d.vfCarriesTx) {
      const c = (q % d.cpus) * VF_PCPU;
      d.stats.vfPcpu[c + VF_TX_PACKETS]++; d.stats.vfPcpu[c + VF_TX_BYTES] += bytes;
      return;
    }
    this.txDonePackets[q]++; this.txDoneBytes[q] += bytes;
  }

  /**
   * Where xdp_do_redirect() sends a frame of `len` bytes for the device `ifindex` (0: a cpumap,
   * xskmap or broadcast, which always take it): a Reason saying how, or RedirectFailed when
   * __xdp_enqueue refuses (no such device, no ndo_xdp_xmit, target down, frame over its MTU +
   * Ethernet + VLAN header: xdp_ok_fwd_dev).
   */
  private redirectTarget(ifindex: number, len: number): number {
    const d = this.dev;
    if (ifindex === 0) return Reason.None;
    if (ifindex === d.ifindex) return d.up && len <= d.mtu + ETH_HLEN + VLAN_HLEN ? (d.vfCarriesTx ? Reason.NdoXdpXmitVf : Reason.NdoXdpXmit) : Reason.RedirectFailed;
    if (d.vf && ifindex === d.vf.ifindex) return d.vf.up && len <= d.vf.mtu + ETH_HLEN + VLAN_HLEN ? Reason.RedirectToVf : Reason.RedirectFailed;
    return this.redirectDevices.includes(ifindex) ? Reason.None : Reason.RedirectFailed;
  }

  /**
   * netvsc_ndoxdp_xmit() on this device (the data path is synthetic): the frame is sent on queue
   * smp_processor_id() % real_num_tx_queues, directly (not through the send buffer, as XDP_TX);
   * tx_queue_N_xdp_xmit at once, packets/bytes at completion.
   */
  private ndoXdpXmit(q: number, bytes: number): void {
    const d = this.dev;
    const tq = (q % d.cpus) % d.numChn; // channel q's NAPI runs on CPU q % cpus
    d.stats.queues[tq * PER_QUEUE + Q_TX_XDP_XMIT]++;
    this.txDonePackets[tq]++; this.txDoneBytes[tq] += bytes;
  }

  // ---- TX -------------------------------------------------------------------------------------

  /**
   * The guest sends a frame (netvsc_select_queue + netvsc_xmit + netvsc_send). `more` = the
   * stack has more packets for this queue right behind it (xmit_more). Returns the packet id.
   */
  transmit(buf: Uint8Array, off: number, len: number, time: number, more = false, linkType = LINKTYPE_ETHERNET): number {
    this.advance(time);
    const id = this.nextId++;
    const d = this.dev;
    const sink = this.sink;
    const k = dissectFlow(buf, off, len, this.keys, linkType);
    sink.report(Stage.Wire, id, Decision.Tx, k.status & FLOW_VLAN ? Reason.VlanTagged : Reason.None, Counter.None, len);
    const st = k.status;
    // netvsc_get_hash(): l4_hash bit of the flow type -> flow hash (ports when present), else addresses only.
    let hash = 0;
    let hreason: number = Reason.NonIp;
    if (st & (FLOW_IPV4 | FLOW_IPV6)) {
      const v6 = (st & FLOW_IPV6) !== 0;
      const bit = k.l4Proto === 6 ? (v6 ? HV_TCP6_L4HASH : HV_TCP4_L4HASH) : k.l4Proto === 17 ? (v6 ? HV_UDP6_L4HASH : HV_UDP4_L4HASH) : 0;
      const words = v6 ? 8 : 2;
      const w = this.hashWords;
      if (v6) { for (let i = 0; i < 4; i++) { w[i] = k.src[i]; w[4 + i] = k.dst[i]; } } else { w[0] = k.src[0]; w[1] = k.dst[0]; }
      if (bit && (d.l4Hash & bit)) {
        // skb_get_hash(): ports only when this frame carries them (a non-first fragment has none).
        w[words] = (st & FLOW_PORTS) ? ((k.srcPort << 16) | k.dstPort) >>> 0 : 0;
        w[words + 1] = k.l4Proto;
        hash = jhash2(w, 0, words + 2, d.options.seed);
        hreason = Reason.L4Hash;
      } else {
        hash = jhash2(w, 0, words, d.options.seed ^ 0x5bd1e995);
        hreason = Reason.L3Hash;
      }
    }
    sink.report(Stage.TxHash, id, hash ? Decision.Hashed : Decision.None, hreason, Counter.None, hash);
    let q: number;
    if (d.vf) {
      // VF registered (even down): the VF's own selection, reduced modulo the synthetic queues.
      q = hash % d.numChn;
      sink.report(Stage.TxQueue, id, Decision.Queue, Reason.VfSelect, Counter.None, q);
    } else if ((st & FLOW_TCP) && !(st & FLOW_FRAGMENT)) {
      // A TCP socket caches its queue (sk_tx_queue) on first use and keeps it, whatever the hash
      // level becomes later: the cache is keyed by the socket (its 4-tuple), not by the hash.
      const w = this.hashWords;
      const nw = st & FLOW_IPV6 ? 8 : 2;
      w[nw] = ((k.srcPort << 16) | k.dstPort) >>> 0;
      const sock = jhash2(w, 0, nw + 1, 0x50c4e7);
      const slot = sock & 4095;
      if (this.sockQueue[slot] >= 0 && this.sockKey[slot] === sock && this.sockQueue[slot] < d.numChn) {
        q = this.sockQueue[slot];
        sink.report(Stage.TxQueue, id, Decision.Queue, Reason.SocketCache, Counter.None, q);
      } else {
        q = d.txTable[hash & 15] % d.numChn;
        this.sockKey[slot] = sock; this.sockQueue[slot] = q;
        sink.report(Stage.TxQueue, id, Decision.Queue, hreason, Counter.None, q);
      }
    } else {
      q = d.txTable[hash & 15] % d.numChn;
      sink.report(Stage.TxQueue, id, Decision.Queue, hreason, Counter.None, q);
    }
    // Checksum: CHECKSUM_PARTIAL when the stack offloads to the device (tx feature on for this IP version).
    const gso = (st & FLOW_TCP) !== 0 && len > d.mtu + ETH_HLEN;
    if ((st & (FLOW_TCP | FLOW_UDP)) && !(st & FLOW_FRAGMENT)) {
      const v6 = (st & FLOW_IPV6) !== 0;
      const partial = v6 ? d.hot.txCsum6 : d.hot.txCsum4;
      const tcp = (st & FLOW_TCP) !== 0;
      const maskBit = tcp ? (v6 ? TRANSPORT_INFO_IPV6_TCP : TRANSPORT_INFO_IPV4_TCP) : (v6 ? TRANSPORT_INFO_IPV6_UDP : TRANSPORT_INFO_IPV4_UDP);
      if (!partial) sink.report(Stage.TxChecksum, id, Decision.None, Reason.NotPartial, Counter.None, 0);
      else if (gso) sink.report(Stage.TxChecksum, id, Decision.Lso, Reason.None, Counter.None, 0);
      else if (d.txChecksumMask & maskBit) sink.report(Stage.TxChecksum, id, Decision.HwCsum, Reason.None, Counter.None, 0);
      else sink.report(Stage.TxChecksum, id, Decision.SwCsum, Reason.CsumNotInMask, Counter.None, 0);
    } else sink.report(Stage.TxChecksum, id, Decision.None, Reason.NotPartial, Counter.None, 0);

    if (d.vfCarriesTx) {
      const c = (q % d.cpus) * VF_PCPU;
      d.stats.vfPcpu[c + VF_TX_PACKETS]++; d.stats.vfPcpu[c + VF_TX_BYTES] += len;
      sink.report(Stage.TxSend, id, Decision.Vf, Reason.VfDataPath, Counter.VfTxPackets, q);
      return id;
    }
    // Page-count check: more than MAX_PAGE_BUFFER_COUNT pages -> tx_scattered (linearized).
    if (Math.ceil(len / PAGE_SIZE) + 2 > MAX_PAGE_BUFFER_COUNT) d.stats.global[G.tx_scattered]++;
    // netvsc_send(): batching into the per-channel send section ("multi-send data").
    const ppi = (hash && d.numChn > 1 ? 1 : 0) + (gso || (st & (FLOW_TCP | FLOW_UDP)) ? 1 : 0) + (st & FLOW_VLAN ? 1 : 0);
    const rndis = RNDIS_MESSAGE_SIZE + ppi * NDIS_PPI_SIZE;
    const pkt = rndis + len;
    const align = d.pktAlign;
    const sect = d.sendSectionSize;
    if (this.lastTxQueue !== q && this.lastTxQueue >= 0) this.closeBatch(this.lastTxQueue);
    let decision: number;
    let reason: number = Reason.None;
    let counter: number = Counter.None;
    if (this.batchCount[q] > 0 && this.batchCount[q] < d.maxPktPerMsg && this.batchUsed[q] + pkt + align < sect) {
      this.batchUsed[q] += pkt + ((align - (pkt % align)) % align);
      this.batchCount[q]++;
      decision = Decision.Batched; reason = Reason.BatchAppend;
    } else if (pkt + align < sect && !gso) {
      if (this.sendUsed < d.sendSectionCnt) {
        this.sendUsed++; this.batchSections[q]++;
        this.batchUsed[q] = pkt + ((align - (pkt % align)) % align); this.batchCount[q] = 1;
        decision = Decision.NewSection;
      } else {
        d.stats.global[G.tx_send_full]++;
        decision = Decision.PageBuffer; reason = Reason.SendBufferFull; counter = Counter.TxSendFull;
        this.batchCount[q] = 0;
      }
    } else {
      decision = Decision.PageBuffer; reason = Reason.TooLargeForSection;
      this.batchCount[q] = 0;
    }
    if (!more) this.closeBatch(q);
    this.lastTxQueue = more ? q : -1;
    this.txDonePackets[q]++; this.txDoneBytes[q] += len;
    sink.report(Stage.TxSend, id, decision, reason, counter || Counter.TxQueuePackets, q);
    return id;
  }

  private readonly hashWords = new Uint32Array(10);

  /** The batch is sent (no more xmit_more): its section stays in use until completion (next poll). */
  private closeBatch(q: number): void {
    this.batchCount[q] = 0;
    this.batchUsed[q] = 0;
  }
}
