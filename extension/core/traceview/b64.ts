/**
 * Base64 of typed arrays for the viewer's JSON messages: works the same in Node, the webview and
 * the browser served by `netvsc-lab view` (no Buffer, no atob). Typed arrays are in the platform's
 * byte order, which is little-endian on every platform VS Code and Chromium run on.
 *
 * API
 *   toBase64(view: ArrayBufferView) -> string
 *   fromBase64(text) -> Uint8Array           throws on a character outside the alphabet
 *   decodeU32 / decodeI16 / decodeU16 / decodeU8 / decodeI8 / decodeF64(text)   typed views of the bytes
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function toBase64(view: ArrayBufferView): string {
  const b = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const n = b.length;
  const parts: string[] = [];
  // Build in chunks so String.fromCharCode's argument list stays small.
  const CHUNK = 3 * 4096;
  const codes = new Uint16Array(4 * 4096);
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    let o = 0;
    let i = start;
    for (; i + 2 < end; i += 3) {
      const v = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
      codes[o++] = ALPHABET.charCodeAt(v >>> 18);
      codes[o++] = ALPHABET.charCodeAt((v >>> 12) & 63);
      codes[o++] = ALPHABET.charCodeAt((v >>> 6) & 63);
      codes[o++] = ALPHABET.charCodeAt(v & 63);
    }
    if (i < end) {
      const v = (b[i] << 16) | ((i + 1 < end ? b[i + 1] : 0) << 8);
      codes[o++] = ALPHABET.charCodeAt(v >>> 18);
      codes[o++] = ALPHABET.charCodeAt((v >>> 12) & 63);
      codes[o++] = i + 1 < end ? ALPHABET.charCodeAt((v >>> 6) & 63) : 61;
      codes[o++] = 61; // '='
    }
    parts.push(String.fromCharCode.apply(null, codes.subarray(0, o) as unknown as number[]));
  }
  return parts.join('');
}

export function fromBase64(text: string): Uint8Array {
  let len = text.length;
  while (len > 0 && text.charCodeAt(len - 1) === 61) len--;
  const out = new Uint8Array((len * 3) >> 2);
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c] : -1;
    if (v < 0) throw new Error(`base64: invalid character at offset ${i}`);
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) { bits -= 8; out[o++] = (acc >>> bits) & 255; }
  }
  return out;
}

/** Copies into a fresh, aligned buffer so the typed view can start at offset 0. */
function aligned(text: string): ArrayBuffer {
  const b = fromBase64(text);
  return b.buffer.byteLength === b.length ? b.buffer as ArrayBuffer : b.slice().buffer;
}
export const decodeU32 = (t: string): Uint32Array => new Uint32Array(aligned(t));
export const decodeU16 = (t: string): Uint16Array => new Uint16Array(aligned(t));
export const decodeI16 = (t: string): Int16Array => new Int16Array(aligned(t));
export const decodeU8 = (t: string): Uint8Array => fromBase64(t);
export const decodeI8 = (t: string): Int8Array => new Int8Array(aligned(t));
export const decodeF64 = (t: string): Float64Array => new Float64Array(aligned(t));
