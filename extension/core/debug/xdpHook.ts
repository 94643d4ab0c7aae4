/**
 * The device's XDP hook while a debug session owns it: netvsc_run_xdp() copies the frame into a
 * page at headroom 256 and runs the program — at full speed (the JIT) for packets no stop can
 * happen in; probed (the interpreter, pausing only at breakpoint instructions so the runtime can
 * evaluate their conditions, no undo records) for packets a conditional breakpoint might stop in;
 * or under the program stepper, recording every instruction, for the packet the debugger will
 * show (it is rewound afterwards so the user steps through it from the start).
 */
import { Stepper } from '../ebpf/interpreter';
import { jit } from '../ebpf/jit';
import type { HelperState } from '../ebpf/helpers';
import type { BpfProgram } from '../ebpf/program';
import { ST_FAULT, type LoadedProgram, type Machine, type VmFault } from '../ebpf/vm';
import { NETVSC_XDP_HDRM, setRedirect, XDP_ABORTED, type XdpOut, type XdpProgram } from '../netvsc/xdp';
import { ProgramStepper } from './programStepper';

/** A probed run: pause before each execution of an instruction in `insns` and call `at(pc)`. */
export interface XdpProbe { insns: ReadonlySet<number>; at: (pc: number) => void }

export class DebugXdpHook implements XdpProgram {
  readonly name: string;
  readonly section: string;
  readonly out: XdpOut;
  /** Record the next run under the stepper. */
  recording = false;
  /** Probe the next runs (when not recording). */
  probe: XdpProbe | undefined;
  private probeStepper: Stepper | undefined;
  private probeInsns: ReadonlySet<number> | undefined;
  /** The last recorded run. */
  stepper: ProgramStepper | undefined;
  /** The last run's fault, if it faulted. */
  fault: VmFault | undefined;
  /** Set by every run (the pipeline may drop a packet before XDP). */
  ran = false;
  /** Called before each run (the runtime sets the virtual clock and the printk owner). */
  beforeRun: ((rxQueueIndex: number) => void) | undefined;
  /** Called just before a recorded run starts (the runtime saves what the rewind must restore). */
  beforeRecordedRun: (() => void) | undefined;

  constructor(private readonly machine: Machine, private readonly loaded: LoadedProgram, private readonly program: BpfProgram,
    private readonly helperState: HelperState, readonly objectPath: string) {
    this.name = program.name;
    this.section = program.section;
    this.out = { page: machine.packet.buffer, data: 0, dataEnd: 0, dataMeta: 0, redirectOk: false, redirectIfindex: 0, printk: [] };
  }

  run(frame: Uint8Array, off: number, len: number, ingressIfindex: number, rxQueueIndex: number): number {
    const m = this.machine, pkt = m.packet, h = NETVSC_XDP_HDRM;
    if (h + len > pkt.frameEnd) return XDP_ABORTED;
    pkt.buffer.set(frame.subarray(off, off + len), h);
    pkt.set(h, h + len, h);
    pkt.setRxInfo(ingressIfindex, rxQueueIndex, 0);
    this.helperState.reset();
    this.beforeRun?.(rxQueueIndex);
    this.ran = true;
    let faulted: boolean;
    if (this.recording) {
      this.beforeRecordedRun?.();
      const s = new ProgramStepper(m, this.loaded, this.program);
      s.run(() => false);
      this.stepper = s;
      faulted = s.status === 'fault';
    } else if (this.probe) {
      const { insns, at } = this.probe;
      let s = this.probeStepper;
      if (!s || this.probeInsns !== insns) {
        // One stepper per breakpoint set: its patched copy of the program is made once.
        s = this.probeStepper = new Stepper(m, this.loaded, 1);
        s.setBreakpoints(insns);
        this.probeInsns = insns;
      } else {
        m.reset(this.loaded);
        s.done = false;
      }
      if (insns.has(m.pc)) at(m.pc); // continue() never stops where it starts
      let st = s.continue();
      while (st === 'breakpoint') { at(m.pc); st = s.continue(); }
      faulted = st === 'fault';
    } else {
      faulted = m.run(this.loaded, jit) === ST_FAULT;
    }
    this.fault = faulted ? m.fault : undefined;
    const o = this.out;
    o.data = pkt.data; o.dataEnd = pkt.dataEnd; o.dataMeta = pkt.dataMeta;
    if (faulted) { o.redirectOk = false; return XDP_ABORTED; }
    const r = this.helperState.redirect;
    setRedirect(o, r);
    return m.lo[0] >>> 0;
  }
}
