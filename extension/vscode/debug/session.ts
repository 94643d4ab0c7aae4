import type { NetvscDevice } from '../../core/netvsc/device';
/**
 * The `netvsc` debug session: Debug Adapter Protocol <-> the debug runtime in
 * extension/core/debug. It only translates (handles, DAP shapes); stepping, breakpoints,
 * variables, evaluation and memory are the runtime's. Runs inline in the extension host and
 * standalone over stdio (debugAdapter.ts). Imports no `vscode`.
 */
import {
  DebugSession, Event, Handles, InitializedEvent, InvalidatedEvent, MemoryEvent, OutputEvent, Scope, Source,
  StackFrame, StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { LaunchError, prepareLaunch, type NetvscLaunchArguments } from '../../core/debug/launch';
import {
  DebugRuntime, EXCEPTION_FILTERS, insnAddress, insnOfAddress, type FrameInfo, type StopInfo, type VarNode,
} from '../../core/debug/runtime';

export interface NetvscLaunchRequestArguments extends DebugProtocol.LaunchRequestArguments, NetvscLaunchArguments {}

const THREAD_ID = 1;
/** Custom DAP event after every stop: { packet (1-based), stage, inProgram, source, trace }. */
export const POSITION_EVENT = 'netvsc.position';

export class NetvscDebugSession extends DebugSession {
  private runtime: DebugRuntime | undefined;

  /** The emulated device of this session, for views that follow it (the device tree). */
  get device(): NetvscDevice | undefined { return this.runtime?.device; }
  private readonly varHandles = new Handles<() => VarNode[]>();
  /** Nodes by (container reference, name), for setVariable. */
  private readonly shown = new Map<string, VarNode>();
  private frames: FrameInfo[] = [];
  private lastStop: StopInfo | undefined;
  private configured!: Promise<void>;
  private markConfigured!: () => void;
  private closePackets: (() => void) | undefined;
  private tracePath: string | undefined;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((r) => { this.markConfigured = r; });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsBreakpointLocationsRequest: true,
      supportsInstructionBreakpoints: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsStepBack: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDataBreakpoints: true,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: f.default })),
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.markConfigured();
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: NetvscLaunchRequestArguments): Promise<void> {
    let prepared;
    try {
      prepared = await prepareLaunch(args);
    } catch (e) {
      const msg = e instanceof LaunchError ? e.message : `launch failed: ${(e as Error).message}`;
      this.sendErrorResponse(response, { id: 1001, format: msg, showUser: true });
      return;
    }
    this.closePackets = (prepared.target.packets as { close?: () => void }).close;
    this.tracePath = args.trace ?? args.scenario;
    for (const n of prepared.notes) this.sendEvent(new OutputEvent(n + '\n', 'console'));
    try {
      this.runtime = new DebugRuntime(prepared.target, prepared.options, {
        stopped: (s) => this.onStopped(s),
        output: (category, text) => this.sendEvent(new OutputEvent(text, category)),
        terminated: () => this.sendEvent(new TerminatedEvent()),
      });
    } catch (e) {
      this.sendErrorResponse(response, { id: 1002, format: (e as Error).message, showUser: true });
      return;
    }
    this.sendResponse(response);
    // Ready for breakpoints only now that the program (and its line info) exists.
    this.sendEvent(new InitializedEvent());
    await this.configured;
    await this.runtime.start();
  }

  private onStopped(s: StopInfo): void {
    this.lastStop = s;
    this.varHandles.reset();
    this.shown.clear();
    const e = new StoppedEvent(s.reason, THREAD_ID, s.text ?? s.description) as DebugProtocol.StoppedEvent;
    e.body.description = s.description;
    if (s.hitBreakpointIds) e.body.hitBreakpointIds = s.hitBreakpointIds;
    e.body.allThreadsStopped = true;
    this.sendEvent(e);
    // For views that follow the session (trace viewer, device tree): `netvsc.position`.
    const pos = this.runtime?.position();
    if (pos) this.sendEvent(new Event(POSITION_EVENT, { ...pos, trace: this.tracePath }));
  }

  // -- breakpoints -----------------------------------------------------------------------------

  private lineBreakpoints(args: DebugProtocol.SetBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const path = args.source.path ?? args.source.name ?? '';
    const res = this.runtime!.setLineBreakpoints(path, (args.breakpoints ?? []).map((b) => ({ line: b.line, condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage })));
    return res.map((r) => ({
      id: r.id, verified: r.verified, line: r.line, message: r.message, source: args.source,
      instructionReference: r.insn !== undefined ? insnAddress(r.insn) : undefined,
    }));
  }

  private insnBreakpoints(args: DebugProtocol.SetInstructionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    const list = args.breakpoints.map((b) => ({ insn: insnOfAddress(b.instructionReference, b.offset ?? 0), condition: b.condition, hitCondition: b.hitCondition }));
    return this.runtime!.setInstructionBreakpoints(list).map((r) => ({
      id: r.id, verified: r.verified, message: r.message, instructionReference: r.insn !== undefined ? insnAddress(r.insn) : undefined, line: r.line,
    }));
  }

  private funcBreakpoints(args: DebugProtocol.SetFunctionBreakpointsArguments): DebugProtocol.Breakpoint[] {
    return this.runtime!.setFunctionBreakpoints(args.breakpoints.map((b) => ({ name: b.name, condition: b.condition, hitCondition: b.hitCondition })))
      .map((r) => ({ id: r.id, verified: r.verified, message: r.message }));
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    response.body = this.runtime ? { breakpoints: this.lineBreakpoints(args) }
      : { breakpoints: (args.breakpoints ?? []).map((b) => ({ verified: false, line: b.line, message: 'the program is not loaded' })) };
    this.sendResponse(response);
  }

  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    const path = args.source.path ?? args.source.name ?? '';
    response.body = { breakpoints: (this.runtime?.breakpointLines(path, args.line, args.endLine ?? args.line) ?? []).map((line) => ({ line })) };
    this.sendResponse(response);
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    response.body = { breakpoints: this.runtime ? this.insnBreakpoints(args) : args.breakpoints.map(() => ({ verified: false })) };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    response.body = { breakpoints: this.runtime ? this.funcBreakpoints(args) : args.breakpoints.map(() => ({ verified: false })) };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.runtime?.setExceptionFilters(args.filters);
    this.sendResponse(response);
  }

  /** "Break on Value Change": map elements (from the VARIABLES view, or an expression such as `proto_count[17]`). */
  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    let r: { dataId: string | null; description: string };
    if (args.variablesReference) {
      const n = this.shown.get(`${args.variablesReference}\u0000${args.name}`);
      r = n?.dataId ? { dataId: n.dataId, description: n.evaluateName ?? `${n.dataId.split(':')[1]}${n.name}` }
        : { dataId: null, description: 'only map elements can be watched (their values outlive a packet)' };
    } else r = this.runtime ? this.runtime.dataIdOf(args.name) : { dataId: null, description: 'no debug session' };
    response.body = { dataId: r.dataId, description: r.description, accessTypes: r.dataId ? ['write'] : undefined, canPersist: r.dataId !== null };
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const results = this.runtime?.setDataBreakpoints(args.breakpoints.map((b) => (!b.accessType || b.accessType === 'write' ? b.dataId : ''))) ?? [];
    response.body = {
      breakpoints: results.map((r, i) => {
        const b = args.breakpoints[i];
        if (b.accessType && b.accessType !== 'write') return { id: r.id, verified: false, message: `only 'write' (the value changes) can be watched, not '${b.accessType}'` };
        if (b.condition || b.hitCondition) return { id: r.id, verified: r.verified, message: 'conditions on data breakpoints are ignored' };
        return { id: r.id, verified: r.verified, message: r.message };
      }),
    };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    const s = this.lastStop;
    response.body = {
      exceptionId: s?.exceptionId ?? 'none', description: s?.text ?? s?.description,
      breakMode: 'always', details: { message: s?.text, typeName: s?.description },
    };
    this.sendResponse(response);
  }

  // -- threads, stack, scopes, variables -------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: [new Thread(THREAD_ID, this.runtime?.threadName ?? 'netvsc')] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const rt = this.runtime;
    this.frames = rt ? rt.stack() : [];
    const start = args.startFrame ?? 0, levels = args.levels || this.frames.length;
    const src = rt?.target.sourcePath;
    const frames = this.frames.slice(start, start + levels).map((f, k) => {
      const id = start + k;
      if (f.kind === 'program') {
        const line = f.line && f.line.line ? f.line : undefined;
        const sf = new StackFrame(id, f.name, line && src ? new Source(src.split(/[\\/]/).pop()!, src) : undefined, line?.line ?? 0, (line?.col ?? 0) || 1) as DebugProtocol.StackFrame;
        sf.instructionPointerReference = insnAddress(f.insn!);
        if (!line) sf.presentationHint = 'subtle';
        return sf;
      }
      const sf = new StackFrame(id, f.name) as DebugProtocol.StackFrame;
      sf.presentationHint = 'label';
      return sf;
    });
    response.body = { stackFrames: frames, totalFrames: this.frames.length };
    this.sendResponse(response);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const scopes = this.runtime ? this.runtime.scopes(args.frameId) : [];
    response.body = {
      scopes: scopes.map((s) => {
        const sc = new Scope(s.name, this.varHandles.create(s.vars), false) as DebugProtocol.Scope;
        if (s.hint) sc.presentationHint = s.hint;
        return sc;
      }),
    };
    this.sendResponse(response);
  }

  private toVariable(ref: number, n: VarNode): DebugProtocol.Variable {
    this.shown.set(`${ref}\u0000${n.name}`, n);
    return {
      name: n.name, value: n.value, type: n.type, evaluateName: n.evaluateName, memoryReference: n.memoryReference,
      variablesReference: n.children ? this.varHandles.create(n.children) : 0,
    };
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const get = this.varHandles.get(args.variablesReference);
    let nodes: VarNode[];
    try { nodes = get ? get() : []; } catch (e) { nodes = [{ name: 'error', value: (e as Error).message }]; }
    const start = args.start ?? 0, count = args.count || nodes.length;
    response.body = { variables: nodes.slice(start, start + count).map((n) => this.toVariable(args.variablesReference, n)) };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const n = this.shown.get(`${args.variablesReference}\u0000${args.name}`);
    if (!n?.set) { this.sendErrorResponse(response, { id: 1010, format: `${args.name} cannot be changed`, showUser: true }); return; }
    try {
      response.body = { value: n.set(args.value) };
    } catch (e) {
      this.sendErrorResponse(response, { id: 1011, format: `${args.name}: ${(e as Error).message}`, showUser: true });
      return;
    }
    this.sendResponse(response);
    this.sendEvent(new InvalidatedEvent(['variables']));
  }

  // -- evaluate --------------------------------------------------------------------------------

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    if (!this.runtime) { this.sendErrorResponse(response, { id: 1020, format: 'no debug session', showUser: false }); return; }
    try {
      // Hovers, watches and the console name C variables of the selected frame.
      const { result, node } = this.runtime.evaluate(args.expression, args.frameId);
      response.body = {
        result: result.text, type: result.type,
        variablesReference: node?.children ? this.varHandles.create(node.children) : 0,
        memoryReference: node?.memoryReference,
      };
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1021, format: (e as Error).message, showUser: args.context === 'repl' });
    }
  }

  // -- execution -------------------------------------------------------------------------------

  private granularity(g: DebugProtocol.SteppingGranularity | undefined): 'instruction' | 'line' {
    return g === 'instruction' ? 'instruction' : 'line';
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
    void this.runtime?.continue();
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.sendResponse(response);
    void this.runtime?.next(this.granularity(args.granularity));
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.sendResponse(response);
    void this.runtime?.stepIn(this.granularity(args.granularity));
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.sendResponse(response);
    void this.runtime?.stepOut();
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.sendResponse(response);
    void this.runtime?.stepBack(this.granularity(args.granularity));
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.sendResponse(response);
    void this.runtime?.reverseContinue();
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.runtime?.pause();
    this.sendResponse(response);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.runtime?.pause();
    this.closePackets?.();
    this.closePackets = undefined;
    this.sendResponse(response);
  }

  // -- disassembly and memory ------------------------------------------------------------------

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    const rt = this.runtime;
    if (!rt) { this.sendErrorResponse(response, { id: 1030, format: 'no program', showUser: false }); return; }
    const base = rt.entryOf(insnOfAddress(args.memoryReference, args.offset ?? 0));
    const src = rt.target.sourcePath;
    const source = src ? new Source(src.split(/[\\/]/).pop()!, src) : undefined;
    let lastLine = -1;
    response.body = {
      instructions: rt.disassemble(base + (args.instructionOffset ?? 0), args.instructionCount).map((d) => {
        const ins: DebugProtocol.DisassembledInstruction = { address: d.address, instruction: d.text, instructionBytes: d.bytes };
        if (d.insn >= 0 && d.line && d.line.line && d.line.line !== lastLine) {
          ins.location = source; ins.line = d.line.line; ins.column = d.line.col || undefined;
          lastLine = d.line.line;
        }
        if (d.insn < 0) ins.presentationHint = 'invalid';
        return ins;
      }),
    };
    this.sendResponse(response);
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    try {
      const r = this.runtime!.readMemory(args.memoryReference, args.offset ?? 0, args.count);
      response.body = { address: r.address, data: Buffer.from(r.data).toString('base64'), unreadableBytes: r.unreadable };
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, { id: 1040, format: (e as Error).message, showUser: true });
    }
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    try {
      const data = Buffer.from(args.data, 'base64');
      const n = this.runtime!.writeMemory(args.memoryReference, args.offset ?? 0, new Uint8Array(data));
      response.body = { bytesWritten: n };
      this.sendResponse(response);
      this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, n));
      this.sendEvent(new InvalidatedEvent(['variables']));
    } catch (e) {
      this.sendErrorResponse(response, { id: 1041, format: (e as Error).message, showUser: true });
    }
  }
}
