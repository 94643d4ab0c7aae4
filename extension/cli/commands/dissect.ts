import { BLOCK_EPB, BLOCK_PB, type ScanResult } from '../../core/packet/capture';
import { DissectContext, dissectFrame, type FrameInfo } from '../../core/packet/dissect';
import { Dissection } from '../../core/packet/dissection';
import { fieldByAbbrev } from '../../core/packet/fields';
import { defaultFieldsFormat, FIELDS_OPTIONS_HELP, FieldsOutput, setFieldsOption } from '../../core/packet/fieldsOutput';
import { openFileSource } from '../../core/packet/fileSource';
import { compileFilter, FilterSyntaxError } from '../../core/packet/filter';
import { readPacketOptionsAt } from '../../core/packet/pcapng';
import { dissectPlain, isPlainField, PlainFieldsWriter } from '../../core/packet/plain';
import { streamCapture, type StreamedPacket } from '../../core/packet/reader';
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

/** Thrown by the visitor once -c packets were read: the scan stops there, as tshark's does. */
class PacketCountReached extends Error {}

/**
 * tshark's -c value (ui/clopts_common.c get_positive_int: strtol base 10, the whole text a number,
 * then > 0 and <= INT_MAX); the count, or tshark's complaint.
 */
export function parsePacketCount(text: string): number | string {
  if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(text)) return `The specified packet count "${text}" isn't a decimal number`;
  const v = Number(text.trim());
  if (v < 0) return `The specified packet count "${text}" is a negative number`;
  if (v > 0x7fffffff) return `The specified packet count "${text}" is too large (greater than 2147483647)`;
  if (v === 0) return 'The specified packet count is zero';
  return v;
}

/** Options that take a value, in tshark's letters (getopt: `-c5`, `-c 5`, `-nr FILE` all work). */
const WITH_VALUE: Record<string, string> = { e: 'a field name', Y: 'a display filter', E: 'a field output option=value', c: 'a packet count', r: 'a capture file', T: 'an output format' };

/**
 * `netvsc-lab dissect FILE -e FIELD ... [-Y FILTER]`: tshark -T fields output, in one streaming
 * pass over the file (4 MiB read window, nothing kept per packet). Packets whose requested fields
 * the plain dissector covers are read in place; the rest go through the full dissector, in capture
 * order so conversation state (tcp.stream, relative sequence numbers) is what tshark shows.
 * tshark's field-output options (-E, -c, -r, -T fields, -n) mean what they mean to tshark 4.0.
 */
export const dissectCommand: CliCommand = {
  name: 'dissect',
  summary: 'Print fields of every packet of a pcap/pcapng file, like tshark -T fields',
  usage: [
    'Usage: netvsc-lab dissect FILE|-r FILE -e FIELD [-e FIELD ...] [-Y FILTER] [-c COUNT]',
    '                          [-E OPTION=VALUE ...] [-T fields] [-n] [--validate-checksums]',
    '',
    'Prints one line per packet with the given Wireshark fields, formatted as',
    '`tshark -r FILE -T fields -e FIELD ...` prints them: tab-separated, several occurrences',
    'comma-separated, empty when absent (a field named twice: only its last column). -Y keeps only',
    'packets matching a display filter. -c stops after COUNT packets read (counted before -Y, as',
    'tshark counts). -E sets the layout as tshark\'s -E does: header=y|n, separator=/t|/s|<char>,',
    'occurrence=f|l|a (first, last, all), aggregator=,|/s|<char>, quote=d|s|n, bom=y|n. -T fields',
    'and -n (no name resolution: we never resolve names) are accepted for tshark command lines.',
    'IP/TCP/UDP checksums are not validated unless --validate-checksums (tshark\'s default).',
  ].join('\n'),
  run(args, io) {
    let file: string | undefined;
    const fields: string[] = [];
    let filterText: string | undefined;
    let validate = false;
    let maxCount = Infinity;
    const format = defaultFieldsFormat();
    let positional = false;
    const setFile = (v: string, how: string) => {
      if (file !== undefined) throw new UsageError(`the capture file is given twice ('${file}' and ${how}'${v}')`);
      file = v;
    };
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (positional || !a.startsWith('-')) { setFile(a, ''); continue; }
      if (a === '-') throw new UsageError("reading a capture from standard input ('-') is not supported: give a file");
      if (a === '--') { positional = true; continue; }
      if (a === '--validate-checksums') { validate = true; continue; }
      if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
      // A cluster of one-letter options, as getopt reads them: flags, then at most one with a value.
      for (let k = 1; k < a.length; k++) {
        const o = a[k];
        if (o === 'n') continue;
        const need = WITH_VALUE[o];
        if (need === undefined) throw new UsageError(`unknown option '-${o}'`);
        let v: string | undefined = a.slice(k + 1);
        if (v === '') v = args[++i];
        if (v === undefined) throw new UsageError(`-${o} needs ${need}`);
        if (o === 'e') fields.push(v);
        else if (o === 'Y') filterText = v;
        else if (o === 'r') setFile(v, '-r ');
        else if (o === 'T') { if (v !== 'fields') throw new UsageError(`-T ${v} is not supported: dissect prints tshark's -T fields output only`); }
        else if (o === 'c') {
          const c = parsePacketCount(v);
          if (typeof c === 'string') { io.err(`netvsc-lab dissect: ${c}\n`); return 1; }
          maxCount = c;
        } else {
          const r = setFieldsOption(format, v);
          if (r !== true) {
            io.err(`netvsc-lab dissect: "${r}" is not a valid field output option=value pair.\n`
              + 'netvsc-lab dissect: The available options for field output "E" are:\n' + FIELDS_OPTIONS_HELP);
            return 1;
          }
        }
        break;
      }
    }
    if (file === undefined) throw new UsageError('missing capture FILE');
    if (fields.length === 0) throw new UsageError('give at least one -e FIELD');
    const bad = fields.filter((f) => !fieldByAbbrev(f));
    if (bad.length) throw new UsageError(`unknown field${bad.length > 1 ? 's' : ''}: ${bad.join(', ')}`);
    const ids = fields.map((f) => fieldByAbbrev(f)!.id);
    // A field named twice fills only its last column (tshark maps each name to one column).
    const live = ids.map((_, k) => fields.lastIndexOf(fields[k]) === k);
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
      // The plain writer lays out every -E format; a field named twice takes the general path.
      const lines = plain && !filter && live.every(Boolean) ? new PlainFieldsWriter(ids) : null;
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
      out.format = format;
      out.preamble(fields);
      // -c: the packet count at which the scan stops (tshark counts packets read, before -Y).
      const last = maxCount === Infinity ? -1 : maxCount - 1;
      let seen: ScanResult | undefined;
      const visit = (p: StreamedPacket, res: ScanResult): void => {
        if (p.index === 0) { firstSec = prevSec = p.tsSec; firstNsec = prevNsec = p.tsNsec; }
        if (p.index === last) seen = res;
        const linkType = res.interfaces[p.iface]?.linkType ?? 1;
        // No filter: a plain packet's line is written straight from its headers.
        if (lines !== null && lines.line(p.buf, p.at, p.capLen, p.origLen, linkType, p.index + 1, out)) {
          prevSec = p.tsSec; prevNsec = p.tsNsec;
          if (p.index === last) throw new PacketCountReached();
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
        if (!filter || filter.matchDissection(d, p.index)) {
          for (let k = 0; k < ids.length; k++) {
            if (k) out.tab();
            if (live[k]) out.field(d, ids[k]);
          }
          out.endLine();
        }
        if (p.index === last) throw new PacketCountReached();
      };
      let scan: ScanResult;
      try {
        scan = streamCapture(src, visit, { chunkSize: 1 << 20 }); // 1 MiB: the window stays in L2 between the read and the walk
      } catch (e) {
        if (!(e instanceof PacketCountReached) || !seen) throw e;
        scan = seen;
      }
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
