/**
 * What the trace viewer's server reads, as small interfaces so the same server runs over a capture
 * file (the packet layer's `Capture`), a live replay (the device's trace records) or test data.
 *
 * API
 *   PacketStore         the capture: count, timestamps/lengths columns, bytes of packet i, comments
 *   PacketDescriber     Source/Destination/Protocol/Info and the detail tree of one packet
 *   DisplayFilterEngine compile a display filter -> a matcher over packet indices, or an error
 *   DeviceTrace         the device's per-packet columns and per-stage decisions (trace records)
 *   StageRecord         one stage's decision as the device recorded it
 *   TraceDocument       all of the above for one open trace
 */
import type { Completion, DetailNode, FilterError, RelatedPackets } from './protocol';

/** The subset of the packet layer's `Capture` the viewer uses (a `Capture` satisfies it). */
export interface PacketStore {
  readonly count: number;
  readonly format: string;
  readonly index: {
    readonly tsSec: Float64Array;
    readonly tsNsec: Uint32Array;
    readonly origLen: Uint32Array;
    readonly capLen: Uint32Array;
  };
  readonly interfaces: readonly { tsUnitsPerSecond: number; linkType: number }[];
  readonly warnings: readonly { offset: number; message: string }[];
  readonly error?: { offset: number; message: string };
  packet(i: number): Uint8Array;
  linkType(i: number): number;
  comments(i: number): string[];
}

/** Text columns of one packet, filled in place (no allocation per call besides the strings). */
export interface DescribedColumns { source: string; destination: string; protocol: string; info: string; flags: number }

export interface PacketDescriber {
  /** Fills the four text columns and ROW_* flags (fragment, TCP problem, malformed). */
  describe(bytes: Uint8Array, linkType: number, out: DescribedColumns): void;
  /** The dissection tree of packet i (0-based). */
  tree(i: number): DetailNode[];
}

export interface CompiledFilter {
  /** Does packet i match? Called once per packet in index order; may read `store.packet(i)`. */
  matches(i: number): boolean;
}

export interface DisplayFilterEngine {
  compile(text: string): { filter: CompiledFilter } | { error: FilterError };
  /** Field names for completion (the field registry). */
  fields(): readonly Completion[];
}

/** One stage's decision as the device recorded it (the trace interface's record). */
export interface StageRecord {
  stage: string;
  decision: string;
  reason?: string;
  /** What the stage looked at. */
  inputs?: Record<string, string | number | boolean>;
  /** Counters the stage touched (ethtool -S names). */
  counters?: string[];
  /** bpf_trace_printk lines (XDP), program output: untrusted text. */
  output?: string[];
  /** Why output may be missing ("N lines dropped": the trace's printk buffer overwrote it). */
  outputNote?: string;
}

/**
 * The device's per-packet trace records, read by packet index (0-based, the capture's order).
 * Accessors rather than arrays so the device's chunked columns are read in place.
 */
export interface DeviceTrace {
  readonly count: number;
  /** Receive (or send) queue, -1 when unknown. */
  queue(i: number): number;
  hash(i: number): number;
  hashValid(i: number): boolean;
  /** PATH_* of protocol.ts. */
  path(i: number): number;
  /** XDP action, -1 when no program ran. */
  xdp(i: number): number;
  /** Segments the host coalesced into this packet (RSC), 0 when not coalesced. */
  rsc(i: number): number;
  /** Packets GRO merged into this one. */
  gro(i: number): number;
  /** Drop code (index into dropReasons), 0 = not dropped. */
  drop(i: number): number;
  /** Names of drop codes (index 0 = not dropped). */
  readonly dropReasons: readonly string[];
  /** RSS indirection table in effect (queue per slot); empty when unknown. */
  readonly indirection: readonly number[];
  stages(i: number): StageRecord[];
  /** Packets linked to this one by the device (RSC/GRO merges); fragments are found by the server. */
  related?(i: number): RelatedPackets[];
  /** The packet RSC/GRO merged packet i into (exports name it in a comment). */
  mergedInto?(i: number): { head: number; by: 'RSC' | 'GRO' } | undefined;
}

export interface TraceDocument {
  readonly name: string;
  readonly store: PacketStore;
  readonly describer: PacketDescriber;
  readonly filters: DisplayFilterEngine;
  readonly trace?: DeviceTrace;
  readonly live?: boolean;
  /**
   * Optional background preparation (the dissector's capture-order pass for conversation state),
   * in slices that yield to the event loop; resolves when done.
   */
  warmUp?(): Promise<void>;
}
