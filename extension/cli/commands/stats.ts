import { resolve } from 'node:path';
import { fieldByAbbrev } from '../../core/packet/fields';
import { openCaptureFile } from '../../core/packet/fileSource';
import { dissectFlow, FlowKeys } from '../../core/packet/flow';
import { CaptureSession } from '../../core/packet/session';
import { FlowTable, ProtocolHierarchy } from '../../core/packet/stats';
import { UsageError, type CliCommand } from '../io';

const PROTOCOLS = fieldByAbbrev('frame.protocols')!.id;

/** `netvsc-lab stats FILE`: protocol hierarchy (like tshark -z io,phs) and flows. */
export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'Protocol hierarchy and per-flow summary of a capture',
  usage: [
    'Usage: netvsc-lab stats FILE [--phs-only | --flows-only]',
    '',
    'Prints the protocol hierarchy as `tshark -q -z io,phs` does, then one line per 5-tuple flow',
    '(both directions together) with packets, bytes, duration and how many of its packets were',
    'IP fragments without ports.',
  ].join('\n'),
  run(args, io) {
    let file: string | undefined;
    let phs = true, flows = true;
    for (const a of args) {
      if (a === '--phs-only') flows = false;
      else if (a === '--flows-only') phs = false;
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (file === undefined) file = a;
      else throw new UsageError(`unexpected argument '${a}'`);
    }
    if (file === undefined) throw new UsageError('missing capture FILE');
    const cap = openCaptureFile(resolve(io.cwd, file));
    try {
      const session = new CaptureSession(cap, { withComments: true });
      const h = new ProtocolHierarchy();
      const t = new FlowTable();
      const keys = new FlowKeys();
      const ix = cap.index;
      session.scratch.only([PROTOCOLS]);
      session.forEach((i, d) => {
        const p = d.first(PROTOCOLS);
        // tshark's hierarchy puts commented frames under "pkt_comment" and ends malformed ones with "_ws.malformed".
        const path = (cap.comments(i).length ? 'pkt_comment:' : '') + d.strs[d.val[p]] + (d.malformed ? ':_ws.malformed' : '');
        h.add(path, ix.origLen[i]);
        dissectFlow(d.buf, 0, ix.capLen[i], keys, cap.linkType(i));
        t.add(keys, d.buf, ix.origLen[i], ix.tsSec[i] - ix.tsSec[0] + (ix.tsNsec[i] - ix.tsNsec[0]) / 1e9);
      });
      if (phs) io.out(h.format());
      if (phs && flows) io.out('\n');
      if (flows) io.out(t.format());
      for (const w of cap.warnings) io.err(`netvsc-lab stats: warning: ${file}: ${w.message}\n`);
      if (cap.error) { io.err(`netvsc-lab stats: ${file}: ${cap.error.message}\n`); return 1; }
      return 0;
    } finally { cap.close(); }
  },
};
