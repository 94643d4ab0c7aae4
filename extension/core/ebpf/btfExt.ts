// .BTF.ext: func_info and line_info, grouped by ELF section. In the object file `insn_off` is a
// BYTE offset within that section; the loader turns it into an instruction index of the loaded
// program (as libbpf's adjust_prog_btf_ext_info does).
import type { Btf } from './btf';
import { BpfObjectError } from './elf';

export interface BtfExtFuncInfo { /** byte offset in the ELF section */ insnOff: number; typeId: number }
export interface BtfExtLineInfo {
  /** byte offset in the ELF section */
  insnOff: number;
  fileName: string;
  /** The full text of the source line (line_off points at it in .BTF's strings). */
  lineText: string;
  line: number;
  col: number;
}
export interface BtfExtSection { funcInfo: BtfExtFuncInfo[]; lineInfo: BtfExtLineInfo[] }

/** Parses .BTF.ext into per-section func_info and line_info records. */
export function parseBtfExt(data: Uint8Array, btf: Btf): Map<string, BtfExtSection> {
  const where = '.BTF.ext';
  if (data.length < 24) throw new BpfObjectError(`section is ${data.length} bytes, shorter than its header`, where);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (dv.getUint16(0, true) !== 0xeb9f) throw new BpfObjectError(`bad magic 0x${dv.getUint16(0, true).toString(16)} (expected 0xeb9f)`, where);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < 24 || hdrLen > data.length) throw new BpfObjectError(`header length ${hdrLen} is out of range`, where);
  const out = new Map<string, BtfExtSection>();
  const get = (name: string) => {
    let s = out.get(name);
    if (!s) { s = { funcInfo: [], lineInfo: [] }; out.set(name, s); }
    return s;
  };

  const blob = (off: number, len: number, what: string, minRec: number, each: (sec: string, p: number) => void) => {
    if (len === 0) return;
    const start = hdrLen + off;
    const end = start + len;
    if (end > data.length) throw new BpfObjectError(`${what} [${off}, +${len}) runs past the end of the section`, where);
    if (len < 4) throw new BpfObjectError(`${what} has no record size`, where);
    const recSize = dv.getUint32(start, true);
    if (recSize < minRec || recSize > 1024) throw new BpfObjectError(`${what} record size ${recSize} is invalid (expected at least ${minRec})`, where);
    let p = start + 4;
    while (p < end) {
      if (p + 8 > end) throw new BpfObjectError(`${what} group header at byte ${p} is truncated`, where);
      const sec = btf.str(dv.getUint32(p, true));
      const num = dv.getUint32(p + 4, true);
      p += 8;
      if (num * recSize > end - p) throw new BpfObjectError(`${what} group for section '${sec}' claims ${num} records; only ${Math.floor((end - p) / recSize)} fit`, where);
      for (let i = 0; i < num; i++, p += recSize) each(sec, p);
    }
  };

  blob(dv.getUint32(8, true), dv.getUint32(12, true), 'func_info', 8, (sec, p) => {
    get(sec).funcInfo.push({ insnOff: dv.getUint32(p, true), typeId: dv.getUint32(p + 4, true) });
  });
  blob(dv.getUint32(16, true), dv.getUint32(20, true), 'line_info', 16, (sec, p) => {
    const lineCol = dv.getUint32(p + 12, true);
    get(sec).lineInfo.push({
      insnOff: dv.getUint32(p, true),
      fileName: btf.str(dv.getUint32(p + 4, true)),
      lineText: btf.str(dv.getUint32(p + 8, true)),
      line: lineCol >>> 10,
      col: lineCol & 0x3ff,
    });
  });
  return out;
}
