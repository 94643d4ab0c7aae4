// Adapts a clang-compiled XDP object, loaded by the eBPF engine, to the device's XdpProgram
// hook: the frame is copied into the machine's page at headroom 256, xdp_md carries the
// ingress ifindex and rx queue, and the program runs through the JIT (or the interpreter).
import { createHash } from 'node:crypto';
import { jit } from '../ebpf/jit';
import { loadObject } from '../ebpf/loader';
import type { XdpRedirect } from '../ebpf/helpers';
import { BpfObjectInstance, XdpRunner, type EngineName } from '../ebpf/runner';
import * as vm from '../ebpf/vm';
import type { VmEngine } from '../ebpf/vm';
import { verifyProgram } from '../ebpf/verifier';
import { interpreter } from '../ebpf/interpreter';
import * as xdp from './xdp';
import type { XdpOut, XdpProgram } from './xdp';

// Local copies of the constants run() reads per packet (no import-binding getters in the hot path).
const { ST_EXIT } = { ...vm };
const { NETVSC_XDP_HDRM, XDP_ABORTED, setRedirect } = { ...xdp };

export interface LoadXdpOptions {
  objectPath?: string;
  /** ELF section or program name (default: the first program). */
  section?: string;
  engine?: EngineName;
  seed?: number;
}

/** Thrown when the object cannot be loaded or its program is rejected: the message names where. */
export class XdpLoadError extends Error {}

export class EbpfXdpProgram implements XdpProgram {
  readonly name: string;
  readonly objectPath: string;
  readonly section: string;
  readonly tag: string;
  readonly runner: XdpRunner;
  readonly out: XdpOut;
  private readonly engine: VmEngine;

  constructor(readonly instance: BpfObjectInstance, opts: LoadXdpOptions = {}) {
    try {
      this.runner = new XdpRunner(instance, opts.section, { engine: interpreter, seed: opts.seed });
    } catch (e) {
      throw new XdpLoadError(e instanceof Error ? e.message : String(e));
    }
    this.engine = (opts.engine ?? 'jit') === 'jit' ? jit : interpreter;
    this.name = this.runner.program.name;
    this.section = this.runner.program.section;
    this.objectPath = opts.objectPath ?? '';
    this.tag = progTag(this.runner.program.insns);
    const pkt = this.runner.machine.packet;
    this.out = { page: pkt.buffer, data: 0, dataEnd: 0, dataMeta: 0, redirectOk: false, redirectIfindex: 0, printk: [] };
  }

  run(frame: Uint8Array, off: number, len: number, ingressIfindex: number, rxQueueIndex: number): number {
    const m = this.runner.machine;
    const pkt = m.packet;
    const page = pkt.buffer;
    const h = NETVSC_XDP_HDRM;
    if (h + len > pkt.frameEnd) return XDP_ABORTED;
    page.set(frame.subarray(off, off + len), h);
    pkt.set(h, h + len, h);
    pkt.setRxInfo(ingressIfindex, rxQueueIndex, 0);
    const state = this.runner.state;
    state.redirect = undefined;
    const env = this.runner.env;
    env.nowNs += 1000;
    const st = m.run(this.runner.loaded, this.engine);
    const o = this.out;
    o.data = pkt.data; o.dataEnd = pkt.dataEnd; o.dataMeta = pkt.dataMeta;
    if (env.printkLines.length) { o.printk = env.printkLines.splice(0); } else if (o.printk.length) o.printk = [];
    if (st !== ST_EXIT) { o.redirectOk = false; return XDP_ABORTED; }
    const act = m.lo[0] >>> 0;
    const r = state.redirect as XdpRedirect | undefined; // set by bpf_redirect*() during the run
    setRedirect(o, r);
    return act;
  }
}

/**
 * bpf_prog_calc_tag(): a digest of the instructions with the immediates of map-loading
 * ld_imm64 pairs (src_reg BPF_PSEUDO_MAP_FD 1 / BPF_PSEUDO_MAP_VALUE 2) zeroed; the tag is its
 * first 8 bytes, what `ip link show` and `bpftool prog` print. Newest kernels (6.18 measured)
 * use SHA-256; older ones SHA-1 (`algo` 'sha1').
 */
export function progTag(insns: Uint8Array, algo: 'sha256' | 'sha1' = 'sha256'): string {
  const b = Uint8Array.from(insns);
  let wasLdMap = false;
  for (let o = 0; o + 8 <= b.length; o += 8) {
    const code = b[o], dst = b[o + 1] & 0xf, src = b[o + 1] >> 4, off = b[o + 2] | (b[o + 3] << 8);
    if (!wasLdMap && code === 0x18 && (src === 1 || src === 2)) { wasLdMap = true; b.fill(0, o + 4, o + 8); }
    else if (wasLdMap && code === 0 && dst === 0 && src === 0 && off === 0) { wasLdMap = false; b.fill(0, o + 4, o + 8); }
    else wasLdMap = false;
  }
  return createHash(algo).update(b).digest('hex').slice(0, 16);
}

/** Loads an XDP program from an ELF object's bytes. Throws XdpLoadError with the loader's message. */
export function loadXdpProgram(bytes: Uint8Array, opts: LoadXdpOptions = {}): EbpfXdpProgram {
  let instance: BpfObjectInstance;
  try {
    const obj = loadObject(bytes, { fileName: opts.objectPath ?? 'object.o' });
    instance = new BpfObjectInstance(obj);
  } catch (e) {
    throw new XdpLoadError(`${opts.objectPath ?? 'object'}: ${e instanceof Error ? e.message : String(e)}`);
  }
  // The kernel verifies before attaching: a rejected program never reaches the device.
  let program;
  try { program = instance.program(opts.section).program; } catch (e) { throw new XdpLoadError(`${opts.objectPath ?? 'object'}: ${e instanceof Error ? e.message : String(e)}`); }
  const v = verifyProgram(program, { progType: 'xdp', recordStates: false });
  if (!v.ok && v.error) {
    const l = v.error.line;
    const where = l && l.line ? ` (${l.file}:${l.line})` : '';
    throw new XdpLoadError(`${opts.objectPath ?? 'object'}: the verifier rejected program '${program.name}' at instruction ${v.error.insn}${where}:\n${v.error.message}`);
  }
  return new EbpfXdpProgram(instance, opts);
}
