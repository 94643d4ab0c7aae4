/**
 * The trace viewer's message protocol: the one module both the webview and the host side import.
 * The webview asks, the host answers (request `id` -> response `inReplyTo`); the host may also push
 * events (a live trace grew). Everything is JSON-safe so the same messages cross VS Code's
 * `postMessage` and the `netvsc-lab view` HTTP bridge; bulk numeric columns travel as base64 of
 * typed arrays (`b64.ts`), strings as arrays.
 *
 * API
 *   Requests           request type -> { req, res } shapes (the single source of truth)
 *   ViewRequest, ViewResponse, HostEvent, ToWebview, FromWebview   the unions on the wire
 *   RpcClient          webview side: request(type, body) -> Promise<result>; onEvent(fn)
 *   isViewRequest(x)   shape check for messages arriving from an untrusted page
 */

/** Columns of the packet list, in Wireshark's names where there is one. */
export const COLUMN_IDS = ['no', 'time', 'source', 'destination', 'protocol', 'length', 'info',
  'queue', 'hash', 'path', 'xdp', 'rsc', 'gro', 'drop'] as const;
export type ColumnId = typeof COLUMN_IDS[number];

export type TimeFormat = 'absolute' | 'relative' | 'delta';

export interface SortSpec { column: ColumnId; descending: boolean }

/** A problem with a display filter, at a 1-based column of the filter text. */
export interface FilterError { message: string; column: number; length: number }

export interface OpenResult {
  name: string;
  format: string;
  /** Packets in the capture (grows for a live trace). */
  count: number;
  /** Digits after the decimal point of the capture's timestamps (6 for µs, 9 for ns). */
  timePrecision: number;
  /** First packet's timestamp, for the absolute/relative time formats. */
  firstSec: number;
  firstNsec: number;
  /** True when device columns (queue, hash, path, verdict…) come from trace records. */
  hasDeviceTrace: boolean;
  /** Names for the codes in the `drop` column (index 0 = not dropped). */
  dropReasons: string[];
  /** Colour rules in evaluation order (index = code in the `colour` column minus 1). */
  colourRules: ColourRuleInfo[];
  /** Recoverable oddities and a fatal error (with byte offset) found while reading. */
  warnings: string[];
  error?: string;
  live: boolean;
  readOnly: boolean;
}

export interface ColourRuleInfo { name: string; filter: string; cssVar: string }

export interface ViewResult {
  viewId: number;
  /** Rows in this view (packets that match the filter). */
  total: number;
  /** The filter did not compile: `total` is then the unfiltered count. */
  error?: FilterError;
  /** Milliseconds the host spent filtering and sorting (shown in the status bar). */
  elapsedMs: number;
}

/**
 * A page of rows of one view, column by column. Numeric columns are base64 of little-endian
 * typed arrays (the type is in the comment); `count` rows starting at view row `start`.
 */
export interface RowPage {
  viewId: number;
  start: number;
  count: number;
  /** Uint32: packet index (No. = index + 1). */
  index: string;
  /** Float64 seconds (whole) and Uint32 nanoseconds of the timestamp. */
  tsSec: string;
  tsNsec: string;
  /** Float64: seconds since the previous captured packet. */
  delta: string;
  /** Uint32: frame length on the wire. */
  length: string;
  source: string[];
  destination: string[];
  protocol: string[];
  info: string[];
  /** Int16: receive queue (-1 = unknown). */
  queue: string;
  /** Uint32: RSS hash; Uint8 flags below tell when it is valid. */
  hash: string;
  /** Uint8: PATH_* */
  path: string;
  /** Int8: XDP action (XDP_ABORTED..XDP_REDIRECT) or -1 when no program ran. */
  xdp: string;
  /** Uint16: segments coalesced by host RSC (0 = not coalesced). */
  rsc: string;
  /** Uint16: packets merged by GRO into this one (0 = none). */
  gro: string;
  /** Uint8: index into OpenResult.dropReasons (0 = delivered). */
  drop: string;
  /** Uint16: ROW_* flags. */
  flags: string;
  /** Uint8: 1 + index of the first matching colour rule, 0 = none. */
  colour: string;
}

export const PATH_UNKNOWN = 0;
export const PATH_SYNTHETIC = 1;
export const PATH_VF = 2;
export const PATH_NAMES = ['', 'synthetic', 'VF'];

/** ROW_* flags in RowPage.flags. */
export const ROW_HASH_VALID = 1;
export const ROW_FRAGMENT = 2;
export const ROW_TCP_PROBLEM = 4;
export const ROW_MALFORMED = 8;
export const ROW_HAS_COMMENT = 16;
export const ROW_TCP_SYNFIN = 32;
export const ROW_TCP = 64;
export const ROW_UDP = 128;
export const ROW_TCP_RST = 256;

/** One node of the dissection tree: a field with its bytes (offset/length into the frame). */
export interface DetailNode {
  /** The text Wireshark shows, e.g. "Source Port: 443". */
  label: string;
  /** The display-filter field name (`tcp.srcport`), empty for text-only lines. */
  field: string;
  offset: number;
  length: number;
  children?: DetailNode[];
  /** Generated fields are shown in [brackets] and have no bytes. */
  generated?: boolean;
}

export interface DetailResult {
  packet: number;
  /** base64 of the captured bytes. */
  bytes: string;
  tree: DetailNode[];
  comments: string[];
}

/** One stage of the packet's way through the device, as the trace recorded it. */
export interface PathStage {
  /** Stage id in the device's words: 'vf', 'rsc', 'rss', 'recvbuf', 'xdp', 'csum', 'gro', 'deliver'. */
  stage: string;
  title: string;
  /** What the stage looked at (name -> value text). */
  inputs: [string, string][];
  decision: string;
  reason?: string;
  /** 'ok' | 'drop' | 'info': how the diagram colours the box. */
  outcome: 'ok' | 'drop' | 'info';
  /** Extra output lines (bpf_trace_printk output for the XDP stage): the program's text, shown as text only. */
  output?: string[];
  /** A note on output that was not kept (the printk buffer's "N lines dropped" marker). */
  outputNote?: string;
}

export interface RelatedPackets { kind: string; packets: number[] }

export interface PathResult {
  packet: number;
  stages: PathStage[];
  /** Fragments of the same datagram, segments merged by RSC/GRO (packet indices). */
  related: RelatedPackets[];
}

export interface ChartsResult {
  /** Packets per receive queue in the view (index = queue). */
  perQueue: number[];
  /** Bucket width in seconds and, per bucket, counts by XDP verdict (index = action + 1, 0 = none). */
  bucketSeconds: number;
  verdicts: number[][];
  /** Bytes per bucket. */
  throughput: number[];
  /** RSS indirection table: queue per slot (empty when unknown). */
  indirection: number[];
}

export interface Completion { name: string; description: string }

export type ActionKind = 'stepThrough' | 'replayFrom';

/** Request type -> request body and result. */
export interface Requests {
  /**
   * `first`: also apply this view and return its first rows, so the page paints its first rows
   * after one round trip instead of three (open, view, rows).
   */
  open: { req: { first?: { filter: string; sort: SortSpec | null; rows: number } }; res: OpenResult & { first?: { view: ViewResult; rows?: RowPage } } };
  view: { req: { filter: string; sort: SortSpec | null }; res: ViewResult };
  rows: { req: { viewId: number; start: number; count: number }; res: RowPage };
  checkFilter: { req: { filter: string }; res: { error?: FilterError } };
  complete: { req: { prefix: string }; res: { items: Completion[] } };
  detail: { req: { packet: number }; res: DetailResult };
  path: { req: { packet: number }; res: PathResult };
  charts: { req: { viewId: number; buckets: number }; res: ChartsResult };
  /** Where packet `packet` is in the view (or the nearest row after it), -1 when none. */
  locate: { req: { viewId: number; packet: number }; res: { row: number } };
  copy: { req: { packet: number; as: 'hex' | 'text' }; res: { text: string } };
  /** The display filter that isolates the packet's UDP/TCP flow (Follow Stream). */
  follow: { req: { packet: number }; res: { filter: string | null } };
  /** Export the view as pcapng (with the decision comments): the host decides where it goes. */
  export: { req: { viewId: number }; res: { message: string; href?: string } };
  /** Hand over to the host (debugger / replay); it answers with what happened. */
  action: { req: { kind: ActionKind; packet: number }; res: { message: string } };
}
export type RequestType = keyof Requests;

export type ViewRequest = { [K in RequestType]: { type: K; id: number } & Requests[K]['req'] }[RequestType];
export type RequestOf<K extends RequestType> = { type: K; id: number } & Requests[K]['req'];

export type ViewResponse =
  | { [K in RequestType]: { type: 'response'; request: K; inReplyTo: number; result: Requests[K]['res'] } }[RequestType]
  | { type: 'error'; inReplyTo: number; message: string };

/** Events the host pushes without being asked. */
export type HostEvent =
  | { type: 'grown'; count: number }
  /** Select packet `packet` (0-based): the debugger stopped on it. */
  | { type: 'reveal'; packet: number }
  | { type: 'closed' };

export type ToWebview = ViewResponse | HostEvent;
export type FromWebview = ViewRequest;

/** Cheap structural check for messages from the page (the HTTP bridge takes them from anyone with the token). */
export function isViewRequest(x: unknown): x is ViewRequest {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as { type?: unknown; id?: unknown };
  return typeof m.type === 'string' && REQUEST_TYPES.has(m.type) && typeof m.id === 'number' && Number.isInteger(m.id);
}

const REQUEST_TYPES = new Set<string>(['open', 'view', 'rows', 'checkFilter', 'complete', 'detail', 'path', 'charts',
  'locate', 'copy', 'follow', 'export', 'action'] satisfies RequestType[]);

/**
 * Webview side of the protocol: pairs responses with requests by id and hands events to
 * listeners. `post` is `vscode.postMessage` or the HTTP bridge's sender.
 */
export class RpcClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners: ((e: HostEvent) => void)[] = [];

  constructor(private readonly post: (m: FromWebview) => void) {}

  request<K extends RequestType>(type: K, body: Requests[K]['req']): Promise<Requests[K]['res']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ ...body, type, id } as unknown as FromWebview);
    });
  }

  onEvent(fn: (e: HostEvent) => void): void { this.listeners.push(fn); }

  /** Feed every message from the host here. */
  receive(m: ToWebview): void {
    if (m.type === 'response' || m.type === 'error') {
      const p = this.pending.get(m.inReplyTo);
      if (!p) return;
      this.pending.delete(m.inReplyTo);
      if (m.type === 'error') p.reject(new Error(m.message));
      else p.resolve(m.result);
      return;
    }
    for (const fn of this.listeners) fn(m);
  }
}
