import { BLOCK_EPB, BLOCK_PB } from '../../core/packet/capture';
import { DissectContext, dissectFrame, type FrameInfo } from '../../core/packet/dissect';
import { Dissection } from '../../core/packet/dissection';
import { fieldByAbbrev } from '../../core/packet/fields';
import { FieldsOutput } from '../../core/packet/fieldsOutput';
import { openFileSource } from '../../core/packet/fileSource';
import { compileFilter, FilterSyntaxError } from '../../core/packet/filter';
import { readPacketOptionsAt } from '../../core/packet/pcapng';
import { dissectPlain, isPlainField, PlainFieldsWriter } from '../../core/packet/plain';
import { streamCapture } from '../../core/packet/reader';
import { fillFrameInfo } from '../../core/packet/session';
import { processIO, UsageError, type CliCommand } from '../io';
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';

/** Thrown when the reader of our stdout went away (`| head`): stop quietly, as tshark does. */
class StdoutClosed extends Error {}

/** Writes all of `bytes` to fd 1, waiting while a non-blocking pipe is full. */
function writeStdout(bytes: Uint8Array): void {
  let o = 0;
  while (o < bytes.length) {
    try { o += writeSync(1, bytes, o, bytes.length - o); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') throw new StdoutClosed();
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/**
 * `netvsc-lab dissect FILE -e FIELD ... [-Y FILTER]`: tshark -T fields output, in one streaming
 * pass over the file (4 MiB read window, nothing kept per packet). Packets whose requested fields
 * the plain dissector covers are read in place; the rest go through the full dissector, in capture
 * order so conversation state (tcp.stream, relative sequence numbers) is what tshark shows.
 */
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
    const src = openFileSource(resolve(io.cwd, file));
    try {
      const wanted = [...new Set([...ids, ...(filter?.fields ?? [])])];
      const withComments = wanted.some((f) => fieldByAbbrev('frame.comment')!.id === f);
      const plain = wanted.every(isPlainField);
      const lines = plain && !filter ? new PlainFieldsWriter(ids) : null;
      const ctx = new DissectContext();
      ctx.validateChecksums = validate;
      const d = new Dissection();
      d.only(wanted);
      const info: FrameInfo = {
        number: 0, hasTime: true, tsSec: 0, tsNsec: 0, relSec: 0, relNsec: 0, deltaSec: 0, deltaNsec: 0, capLen: 0, origLen: 0, iface: 0, linkType: 1,
      };
      let firstSec = 0, firstNsec = 0, prevSec = 0, prevNsec = 0;
      // Writing to this process's stdout, the bytes go straight to fd 1 (no string round trip).
      const out = new FieldsOutput((t) => io.out(t), 1 << 16, io === processIO ? writeStdout : undefined);
      const scan = streamCapture(src, (p, res) => {
        if (p.index === 0) { firstSec = prevSec = p.tsSec; firstNsec = prevNsec = p.tsNsec; }
        const linkType = res.interfaces[p.iface]?.linkType ?? 1;
        // No filter: a plain packet's line is written straight from its headers.
        if (lines !== null && lines.line(p.buf, p.at, p.capLen, p.origLen, linkType, p.index + 1, out)) {
          prevSec = p.tsSec; prevNsec = p.tsNsec;
          return;
        }
        if (!plain || !dissectPlain(p.buf, p.at, p.capLen, p.origLen, linkType, p.index + 1, d)) {
          fillFrameInfo(info, res, p.iface, p.index, p.tsSec, p.tsNsec, p.block, p.capLen, p.origLen, firstSec, firstNsec, prevSec, prevNsec);
          const little = res.sectionLittleEndian[res.interfaces[p.iface]?.section ?? 0] ?? true;
          info.comments = withComments && (p.block === BLOCK_EPB || p.block === BLOCK_PB)
            ? readPacketOptionsAt(src, p.dataOffset, p.capLen, p.block, little).comments : undefined;
          dissectFrame(p.buf.subarray(p.at, p.at + p.capLen), info, ctx, d);
        }
        prevSec = p.tsSec; prevNsec = p.tsNsec;
        if (filter && !filter.matchDissection(d, p.index)) return;
        for (let k = 0; k < ids.length; k++) {
          if (k) out.tab();
          out.field(d, ids[k]);
        }
        out.endLine();
      }, { chunkSize: 1 << 20 }); // 1 MiB: the window stays in L2 between the read and the walk
      out.end();
      for (const w of scan.warnings) io.err(`netvsc-lab dissect: warning: ${file}: ${w.message}\n`);
      if (scan.error) { io.err(`netvsc-lab dissect: ${file}: ${scan.error.message}\n`); return 1; }
      return 0;
    } catch (e) {
      if (e instanceof StdoutClosed) return 0;
      throw e;
    } finally { src.close(); }
  },
};
