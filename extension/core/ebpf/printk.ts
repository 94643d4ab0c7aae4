// bpf_trace_printk's format handling: the checks of the kernel's bpf_bprintf_prepare (which
// conversions are allowed, at most 3 arguments, printable ASCII only) and the rendering of
// bstr_printf for them. Returns the text or a negative errno, like the helper.
import { EINVAL } from './maps';

/** MAX_TRACE_PRINTK_VARARGS */
export const MAX_PRINTK_ARGS = 3;
/** MAX_BPRINTF_BUF: the formatted line is cut to this (including the NUL). */
export const MAX_BPRINTF_BUF = 1024;

/** A 64-bit argument as two halves (registers r3..r5). */
export interface PrintkArg { lo: number; hi: number }

/** Reads a NUL-terminated string for `%s` (returns '' when the pointer is bad, as the kernel does). */
export type StringReader = (arg: PrintkArg) => string;

const isPrint = (c: number) => c >= 0x20 && c < 0x7f;
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);

function u64(a: PrintkArg): bigint { return (BigInt(a.hi >>> 0) << 32n) | BigInt(a.lo >>> 0); }

/**
 * Formats like the kernel. `fmt` is the format without its NUL. Returns the line, or -EINVAL for
 * formats bpf_trace_printk rejects (unknown conversion, more than 3 arguments, non-printable bytes).
 */
export function formatPrintk(fmt: Uint8Array, args: readonly PrintkArg[], readString: StringReader): string | number {
  let out = '';
  let argi = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if ((!isPrint(c) && !isSpace(c)) || c > 0x7f) return -EINVAL;
    if (c !== 0x25 /* % */) { out += String.fromCharCode(c); continue; }
    if (fmt[i + 1] === 0x25) { out += '%'; i++; continue; }
    if (argi >= MAX_PRINTK_ARGS) return -EINVAL;
    const arg = args[argi++] ?? { lo: 0, hi: 0 };
    i++;
    // Optional "[0 +-][num]" width field.
    let flags = '';
    while (fmt[i] === 0x30 || fmt[i] === 0x2b || fmt[i] === 0x2d || fmt[i] === 0x20) flags += String.fromCharCode(fmt[i++]);
    let width = 0;
    if (fmt[i] >= 0x31 && fmt[i] <= 0x39) { while (fmt[i] >= 0x30 && fmt[i] <= 0x39) width = width * 10 + fmt[i++] - 0x30; }
    const conv = fmt[i];
    let text: string;
    let numeric = true;
    let negative = false;
    if (conv === 0x70 /* p */) {
      const ext = fmt[i + 1];
      if (ext === 0x4b /* K */ || ext === 0x78 /* x */) i++;
      else if (ext !== undefined && /[A-Za-z0-9]/.test(String.fromCharCode(ext))) return -EINVAL;
      // %px prints the raw value; plain %p is hashed by the kernel, which an emulator cannot match.
      text = u64(arg).toString(16).padStart(16, '0');
    } else if (conv === 0x73 /* s */) {
      text = readString(arg); numeric = false;
    } else if (conv === 0x63 /* c */) {
      text = String.fromCharCode(arg.lo & 0xff); numeric = false;
    } else {
      let size = 4;
      if (fmt[i] === 0x6c) { size = 8; i++; }
      if (fmt[i] === 0x6c) { size = 8; i++; }
      const k = fmt[i];
      let v = size === 8 ? u64(arg) : BigInt(arg.lo >>> 0);
      if (k === 0x64 || k === 0x69) { // d i
        v = size === 8 ? BigInt.asIntN(64, v) : BigInt(arg.lo | 0);
        negative = v < 0n;
        text = (negative ? -v : v).toString();
      } else if (k === 0x75) text = v.toString(); // u
      else if (k === 0x78) text = v.toString(16); // x
      else if (k === 0x58) text = v.toString(16).toUpperCase(); // X
      else return -EINVAL;
    }
    let sign = negative ? '-' : numeric && flags.includes('+') && (conv === 0x64 || conv === 0x69 || fmt[i] === 0x64 || fmt[i] === 0x69) ? '+' : '';
    if (!sign && numeric && flags.includes(' ') && (fmt[i] === 0x64 || fmt[i] === 0x69)) sign = ' ';
    const body = sign + text;
    if (body.length >= width) out += body;
    else if (flags.includes('-')) out += body.padEnd(width, ' ');
    else if (flags.includes('0') && numeric) out += sign + text.padStart(width - sign.length, '0');
    else out += body.padStart(width, ' ');
  }
  return out.length > MAX_BPRINTF_BUF - 1 ? out.slice(0, MAX_BPRINTF_BUF - 1) : out;
}
