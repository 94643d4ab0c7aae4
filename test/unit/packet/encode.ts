// Hand encoding of capture files in either byte order (independent of our writers), for tests.

export class Enc {
  parts: number[] = [];
  constructor(readonly le: boolean) {}
  u8(v: number) { this.parts.push(v & 255); return this; }
  u16(v: number) { const b = [v >>> 8 & 255, v & 255]; this.parts.push(...(this.le ? b.reverse() : b)); return this; }
  u32(v: number) { const b = [v >>> 24 & 255, v >>> 16 & 255, v >>> 8 & 255, v & 255]; this.parts.push(...(this.le ? b.reverse() : b)); return this; }
  bytes(b: Uint8Array | number[]) { this.parts.push(...b); return this; }
  pad4() { while (this.parts.length % 4) this.parts.push(0); return this; }
  get length() { return this.parts.length; }
}

/** A pcapng block: type, length, body, length. */
export function block(le: boolean, type: number, body: (e: Enc) => void): number[] {
  const b = new Enc(le);
  body(b);
  b.pad4();
  const e = new Enc(le).u32(type).u32(12 + b.length).bytes(b.parts).u32(12 + b.length);
  return e.parts;
}
export function opt(e: Enc, code: number, value: number[]) { e.u16(code).u16(value.length).bytes(value).pad4(); }
export const utf8 = (s: string) => [...new TextEncoder().encode(s)];
