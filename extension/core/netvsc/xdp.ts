// The XDP hook of the device: what netvsc_run_xdp() needs from a loaded program. The eBPF
// engine's runner is adapted to this interface (see xdpRunner.ts), so the device does not
// depend on how the program is executed (interpreter or JIT).
import { ETH_HLEN, NETVSC_XDP_HDRM, PAGE_SIZE, SKB_SHARED_INFO_SIZE, SMP_CACHE_BYTES } from './constants';

export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;
export const XDP_ACTION_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/**
 * struct xdp_buff as the program sees it: one page, the frame between `data` and `dataEnd`,
 * metadata between `dataMeta` and `data`. The program may move all three (bpf_xdp_adjust_*).
 */
export interface XdpBuff {
  page: Uint8Array;
  data: number;
  dataEnd: number;
  dataMeta: number;
  /** frame_sz: PAGE_SIZE for netvsc. */
  frameSz: number;
  ingressIfindex: number;
  rxQueueIndex: number;
}

export interface XdpRunResult {
  action: number;
  /** bpf_trace_printk output of this run, if any. */
  printk?: string[];
  /** bpf_redirect target ifindex when action is XDP_REDIRECT (0 = map redirect / none). */
  redirectIfindex?: number;
  /** false when the redirect target does not exist (xdp_do_redirect fails). */
  redirectOk?: boolean;
}

export interface XdpProgram {
  readonly name: string;
  /** Where it came from (object file and section), for ip link show and the state file. */
  readonly objectPath: string;
  readonly section: string;
  run(buff: XdpBuff): XdpRunResult;
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
