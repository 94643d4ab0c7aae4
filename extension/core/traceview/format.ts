/**
 * Column text of the packet list, the way Wireshark prints it; shared by the webview (which
 * formats the numeric columns of a row page itself) and the host (copy as text, export).
 *
 * API
 *   formatTime(mode, sec, nsec, delta, firstSec, firstNsec, precision) -> string
 *       absolute: UTC time of day "HH:MM:SS.ffffff"; relative: seconds since the first packet;
 *       delta: seconds since the previous captured packet. `precision` digits (6 µs, 9 ns).
 *   formatXdp(action) / formatPath(path) / formatHash(hash, valid) / formatQueue(q)
 *   hexDump(bytes) -> Wireshark's "Copy as Hex Dump" text: offset, 16 hex bytes, ASCII
 */
import { PATH_NAMES, type TimeFormat } from './protocol';

const XDP_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** Seconds (possibly fractional) with exactly `precision` decimals, from whole seconds and ns. */
function secondsText(sec: number, nsec: number, precision: number): string {
  let neg = false;
  if (sec < 0 || (sec === 0 && nsec < 0)) { neg = true; sec = -sec; nsec = -nsec; }
  if (nsec < 0) { sec -= 1; nsec += 1e9; }
  const scale = 10 ** (9 - precision);
  let frac = Math.round(nsec / scale);
  if (frac >= 10 ** precision) { sec += 1; frac -= 10 ** precision; }
  const s = precision > 0 ? `${sec}.${String(frac).padStart(precision, '0')}` : String(sec);
  return neg ? `-${s}` : s;
}

export function formatTime(mode: TimeFormat, sec: number, nsec: number, delta: number,
  firstSec: number, firstNsec: number, precision: number): string {
  if (mode === 'relative') return secondsText(sec - firstSec, nsec - firstNsec, precision);
  if (mode === 'delta') {
    const whole = Math.trunc(delta);
    return secondsText(whole, Math.round((delta - whole) * 1e9), precision);
  }
  const day = ((sec % 86400) + 86400) % 86400;
  const hh = Math.floor(day / 3600), mm = Math.floor((day % 3600) / 60), ss = day % 60;
  const frac = secondsText(0, nsec, precision).slice(1); // ".ffffff" (nsec < 1e9: never rounds up to 1)
  return `${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}${frac === '' ? '' : frac}`;
}

export function formatXdp(action: number): string {
  return action < 0 ? '' : XDP_NAMES[action] ?? `XDP_${action}`;
}

export function formatPath(path: number): string { return PATH_NAMES[path] ?? String(path); }

export function formatHash(hash: number, valid: boolean): string {
  return valid ? `0x${(hash >>> 0).toString(16).padStart(8, '0')}` : '';
}

export function formatQueue(q: number): string { return q < 0 ? '' : String(q); }

export function formatCount(n: number): string { return n === 0 ? '' : String(n); }

const HEX = '0123456789abcdef';

/** tshark -x's hex dump: "0000  45 00 ... 7f   E......" (offset, 16 hex bytes, ASCII with '.' for the rest). */
export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < bytes.length; off += 16) {
    let hex = '', ascii = '';
    for (let j = 0; j < 16; j++) {
      if (off + j < bytes.length) {
        const b = bytes[off + j];
        hex += HEX[b >> 4] + HEX[b & 15] + ' ';
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      } else hex += '   ';
    }
    lines.push(`${off.toString(16).padStart(4, '0')}  ${hex}  ${ascii}`);
  }
  return lines.join('\n');
}
