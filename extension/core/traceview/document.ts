/**
 * Puts an open capture (and, when there is one, the device's trace of it) together with the
 * describer and filter engine the viewer uses: the one place that picks them, so the custom
 * editor, the live panel and `netvsc-lab view` show the same thing.
 *
 * API
 *   traceDocument(name, capture, trace?, opts?) -> TraceDocument
 *       list columns from the flow dissector (FlowColumns), detail tree and filters from the
 *       packet layer's dissection (CaptureSession) and filter compiler (CaptureFilterEngine)
 */
import type { Capture } from '../packet/capture';
import { CaptureSession } from '../packet/session';
import { CaptureFilterEngine } from './captureFilter';
import { detailTree } from './dissectionTree';
import { FlowColumns } from './flowColumns';
import type { DeviceTrace, TraceDocument } from './source';

/** Packets dissected per slice of the background pass. */
const WARM_SLICE = 20_000;

export function traceDocument(name: string, capture: Capture, trace?: DeviceTrace, opts: { live?: boolean } = {}): TraceDocument {
  const session = new CaptureSession(capture);
  const columns = new FlowColumns();
  let warmed = false;
  let warming: Promise<void> | undefined;
  const filters = new CaptureFilterEngine(session, capture, trace, () => { if (!warmed) { session.prepare(); warmed = true; } });
  const doc: TraceDocument = {
    name,
    store: capture,
    describer: {
      describe: (b, lt, out) => columns.describe(b, lt, out),
      tree: (i) => detailTree(session.dissect(i)),
    },
    filters,
    live: opts.live === true,
    ...(trace ? { trace } : {}),
    warmUp(): Promise<void> {
      warming ??= (async () => {
        // The capture-order pass that fills the conversation state (TCP relative sequence
        // numbers, stream indices), sliced so the host's event loop keeps moving.
        for (let i = 0; i < capture.count; i += WARM_SLICE) {
          const end = Math.min(capture.count, i + WARM_SLICE);
          filters.flowIndex.buildSlice(i, end);
          for (let j = i; j < end; j++) session.dissect(j);
          await new Promise((r) => setTimeout(r, 0));
        }
        warmed = true;
      })();
      return warming;
    },
  };
  return doc;
}
