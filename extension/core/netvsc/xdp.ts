// The XDP hook of the device: what netvsc_run_xdp() needs from a loaded program. The eBPF
// engine's runner is adapted to this interface (see xdpRunner.ts), so the device does not
// depend on how the program is executed (interpreter or JIT).
import type { XdpRedirect } from '../ebpf/helpers';
import { ETH_HLEN, NETVSC_XDP_HDRM, PAGE_SIZE, SKB_SHARED_INFO_SIZE, SMP_CACHE_BYTES } from './constants';

// The action values are the eBPF layer's (enum xdp_action); one definition.
export { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_TX, XDP_REDIRECT, XDP_ACTION_NAMES } from '../ebpf/helpers';

/**
 * A loaded XDP program as netvsc_run_xdp() uses it: the frame is copied into a page at
 * headroom 256 (frame_sz = PAGE_SIZE), the program runs with xdp_md {ingress_ifindex,
 * rx_queue_index}, and may move data / data_end / data_meta (bpf_xdp_adjust_*). After `run`,
 * `out` describes the frame as the program left it (a view into the program's page: read it
 * before the next run).
 */
export interface XdpProgram {
  readonly name: string;
  /** Where it came from (object file and section), for ip link show and the state file. */
  readonly objectPath: string;
  readonly section: string;
  /** The kernel's program tag (bpf_prog_calc_tag: digest of the instructions, map immediates zeroed), 16 hex digits. */
  readonly tag?: string;
  /** Runs on frame[off, off+len); returns the action (r0), XDP_ABORTED on a fault. */
  run(frame: Uint8Array, off: number, len: number, ingressIfindex: number, rxQueueIndex: number): number;
  readonly out: XdpOut;
}

export interface XdpOut {
  page: Uint8Array;
  data: number;
  dataEnd: number;
  dataMeta: number;
  /** After XDP_REDIRECT: did bpf_redirect*() record a target (bpf_redirect_info set)? The device decides whether it exists. */
  redirectOk: boolean;
  /**
   * The device the frame is redirected to: bpf_redirect's ifindex or the devmap entry's; 0 when
   * there is no single device (cpumap, xskmap, devmap broadcast). Meaningful when redirectOk.
   */
  redirectIfindex: number;
  /** bpf_trace_printk lines of the last run. */
  printk: string[];
}

/** Fills `o.redirectOk`/`o.redirectIfindex` from what bpf_redirect*() recorded during the run. */
export function setRedirect(o: XdpOut, r: XdpRedirect | undefined): void {
  o.redirectOk = r !== undefined;
  o.redirectIfindex = r === undefined ? 0 : r.kind === 'ifindex' ? r.target : r.kind === 'devmap' || r.kind === 'devmap_hash' ? r.value ?? 0 : 0;
}

const SKB_DATA_ALIGN = (n: number): number => (n + SMP_CACHE_BYTES - 1) & ~(SMP_CACHE_BYTES - 1);

/** netvsc_xdp_set(): buf_max for an MTU; the program may attach only when it fits a page. */
export function xdpBufMax(mtu: number): number {
  return NETVSC_XDP_HDRM + SKB_DATA_ALIGN(mtu + ETH_HLEN) + SKB_DATA_ALIGN(SKB_SHARED_INFO_SIZE);
}

export function xdpMtuFits(mtu: number): boolean {
  return xdpBufMax(mtu) <= PAGE_SIZE;
}

export { NETVSC_XDP_HDRM };
