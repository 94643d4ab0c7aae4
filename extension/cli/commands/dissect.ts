import { fieldsText } from '../../core/packet/dissection';
import { fieldByAbbrev } from '../../core/packet/fields';
import { openCaptureFile } from '../../core/packet/fileSource';
import { CaptureSession } from '../../core/packet/session';
import { compileFilter, FilterSyntaxError } from '../../core/packet/filter';
import { UsageError, type CliCommand } from '../io';
import { resolve } from 'node:path';

/** `netvsc-lab dissect FILE -e FIELD ... [-Y FILTER]`: tshark -T fields output. */
export const dissectCommand: CliCommand = {
  name: 'dissect',
  summary: 'Print fields of every packet of a pcap/pcapng file, like tshark -T fields',
  usage: [
    'Usage: netvsc-lab dissect FILE -e FIELD [-e FIELD ...] [-Y FILTER] [--validate-checksums]',
    '',
    'Prints one line per packet with the given Wireshark fields, tab-separated, formatted as',
    '`tshark -r FILE -T fields -e FIELD ...` prints them (several occurrences comma-separated,',
    'empty when absent). -Y keeps only packets matching a display filter. IP/TCP/UDP checksums are',
    'not validated unless --validate-checksums (tshark\'s default).',
  ].join('\n'),
  run(args, io) {
    let file: string | undefined;
    const fields: string[] = [];
    let filterText: string | undefined;
    let validate = false;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-e') { const v = args[++i]; if (v === undefined) throw new UsageError('-e needs a field name'); fields.push(v); }
      else if (a === '-Y') { const v = args[++i]; if (v === undefined) throw new UsageError('-Y needs a display filter'); filterText = v; }
      else if (a === '--validate-checksums') validate = true;
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (file === undefined) file = a;
      else throw new UsageError(`unexpected argument '${a}'`);
    }
    if (file === undefined) throw new UsageError('missing capture FILE');
    if (fields.length === 0) throw new UsageError('give at least one -e FIELD');
    const bad = fields.filter((f) => !fieldByAbbrev(f));
    if (bad.length) throw new UsageError(`unknown field${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`);
    const ids = fields.map((f) => fieldByAbbrev(f)!.id);
    let filter: ReturnType<typeof compileFilter> | undefined;
    if (filterText !== undefined) {
      try { filter = compileFilter(filterText); } catch (e) {
        if (e instanceof FilterSyntaxError) { io.err(`netvsc-lab dissect: ${e.message}\n  ${filterText}\n  ${' '.repeat(e.column - 1)}^\n`); return 2; }
        throw e;
      }
    }
    const cap = openCaptureFile(resolve(io.cwd, file));
    try {
      const session = new CaptureSession(cap, { validateChecksums: validate, withComments: fields.includes('frame.comment') || !!filterText?.includes('frame.comment') });
      session.scratch.only([...ids, ...(filter?.fields ?? [])]);
      let outBuf = '';
      session.forEach((i, d) => {
        if (filter && !filter.matchDissection(d, i)) return;
        let line = '';
        for (let k = 0; k < ids.length; k++) line += (k ? '\t' : '') + fieldsText(d, ids[k]);
        outBuf += line + '\n';
        if (outBuf.length > 1 << 16) { io.out(outBuf); outBuf = ''; }
      });
      if (outBuf) io.out(outBuf);
      for (const w of cap.warnings) io.err(`netvsc-lab dissect: warning: ${file}: ${w.message}\n`);
      if (cap.error) { io.err(`netvsc-lab dissect: ${file}: ${cap.error.message}\n`); return 1; }
      return 0;
    } finally { cap.close(); }
  },
};
