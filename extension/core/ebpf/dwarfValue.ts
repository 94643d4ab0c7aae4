// C values read through DWARF: the bytes of a variable (from its location pieces and the VM's
// registers and memory) with its C type, member and element access, pointer dereference, and
// the text gdb-minded people expect (`17`, `XDP_PASS`, `pkt+0x10e`, `{ihl = 5, version = 4, ...}`).
// Target byte order (little-endian): a `__be16` shows the number as stored, like gdb.
import { isBool, isCharType, isFloat, isSigned, stripType, typeName, VOID, type CMember, type CType } from './dwarf';
import { evaluateLocation, LocationUnavailable, type FrameAccess, type LocPiece } from './dwarfLoc';

const M64 = (1n << 64n) - 1n;

/** What values need from the VM beyond a frame: reading memory and naming addresses. */
export interface ValueMemory {
  read(addr: bigint, size: number): Uint8Array | undefined;
  /** `pkt+0x10e`, `stack+0xff8`, or the raw number. */
  describe(addr: bigint): string;
}

export interface CValue {
  type: CType;
  /** The value's bytes (type size), little-endian as in memory. */
  bytes: Uint8Array;
  /** Per byte, 1 when known (a piece may be optimized out); undefined when all are. */
  known?: Uint8Array;
  /** VM address of the value when it lives in memory (what `&` gives). */
  address?: bigint;
  /** The register holding the whole value (a DW_OP_regN location), so it can be written. */
  reg?: number;
  /** Set when nothing is known: `optimized out`, `not saved`, or an error text. */
  unavailable?: string;
}

export const unavailable = (type: CType, reason: string): CValue => ({ type, bytes: new Uint8Array(0), unavailable: reason });

/** Size of a type in bytes (typedefs and qualifiers see through). */
export const sizeOf = (t: CType): number => stripType(t).size || t.size;

function leBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = v & M64;
  for (let i = 0; i < n && i < 8; i++) { out[i] = Number(x & 0xffn); x >>= 8n; }
  return out;
}

/** Values larger than this are not read (a corrupt array count must not allocate gigabytes). */
export const MAX_VALUE_BYTES = 1 << 16;

const tooLarge = (type: CType, size: number): CValue | undefined =>
  (size > MAX_VALUE_BYTES ? unavailable(type, `${typeName(type)} is ${size} bytes, more than the ${MAX_VALUE_BYTES} shown`) : undefined);

/** The value of a variable whose location is `expr` (evaluated against `frame`). */
export function valueFromLocation(expr: Uint8Array, type: CType, frame: FrameAccess, unit = 0): CValue {
  const big = tooLarge(type, sizeOf(type));
  if (big) return big;
  let pieces: LocPiece[];
  try { pieces = evaluateLocation(expr, frame, unit); } catch (e) {
    if (e instanceof LocationUnavailable) return unavailable(type, e.reason);
    throw e;
  }
  const size = sizeOf(type);
  if (pieces.length === 1 && pieces[0].size === undefined) {
    const p = pieces[0];
    switch (p.kind) {
      case 'mem': {
        const b = frame.read(p.addr, size);
        return b ? { type, bytes: b.slice(), address: p.addr } : unavailable(type, `cannot read ${size} bytes at 0x${p.addr.toString(16)}`);
      }
      case 'reg': {
        if (p.reg > 10) return unavailable(type, 'optimized out');
        const v = frame.reg(p.reg);
        return v === undefined ? unavailable(type, 'not saved') : { type, bytes: leBytes(v, size), reg: p.reg };
      }
      case 'value': return { type, bytes: leBytes(p.value, size) };
      case 'bytes': { const b = new Uint8Array(size); b.set(p.bytes.subarray(0, size)); return { type, bytes: b }; }
      default: return unavailable(type, 'optimized out');
    }
  }
  // DW_OP_piece: assemble the bytes, marking the ones nobody holds.
  const bytes = new Uint8Array(size), known = new Uint8Array(size);
  let at = 0;
  for (const p of pieces) {
    const n = Math.min(p.size ?? 0, size - at);
    if (n <= 0) break;
    let src: Uint8Array | undefined;
    if (p.kind === 'mem') src = frame.read(p.addr, n);
    else if (p.kind === 'reg') { const v = p.reg <= 10 ? frame.reg(p.reg) : undefined; src = v === undefined ? undefined : leBytes(v, 8); }
    else if (p.kind === 'value') src = leBytes(p.value, 8);
    else if (p.kind === 'bytes') src = p.bytes;
    if (src) { bytes.set(src.subarray(0, n), at); known.fill(1, at, at + Math.min(n, src.length)); }
    at += n;
  }
  if (!known.some((k) => k)) return unavailable(type, 'optimized out');
  return { type, bytes, known: known.every((k) => k) ? undefined : known };
}

/** A DW_AT_const_value as a value of `type`. */
export function constValue(type: CType, c: { bytes?: Uint8Array; value?: bigint }): CValue {
  const size = sizeOf(type);
  const big = tooLarge(type, size);
  if (big) return big;
  if (c.value !== undefined) return { type, bytes: leBytes(c.value, size) };
  const b = new Uint8Array(size);
  b.set((c.bytes ?? new Uint8Array(0)).subarray(0, size));
  return { type, bytes: b };
}

const allKnown = (v: CValue, off: number, n: number): boolean => !v.known || v.known.subarray(off, off + n).every((k) => k);

/** The number a scalar value holds (sign-extended for signed types), or undefined for aggregates. */
export function scalarOf(v: CValue): bigint | undefined {
  if (v.unavailable) return undefined;
  const t = stripType(v.type);
  if (t.kind !== 'base' && t.kind !== 'pointer' && t.kind !== 'enum') return undefined;
  if (isFloat(t)) return undefined;
  const n = Math.min(v.bytes.length, 8);
  if (!allKnown(v, 0, n)) return undefined;
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = (x << 8n) | BigInt(v.bytes[i]);
  return isSigned(t) ? BigInt.asIntN(n * 8, x) : x;
}

/** Members of a struct/union value (bitfields extracted into their own bytes). */
export function membersOf(v: CValue): { member: CMember; value: CValue }[] {
  const t = stripType(v.type);
  if ((t.kind !== 'struct' && t.kind !== 'union') || v.unavailable) return [];
  return (t.members ?? []).map((m) => ({ member: m, value: memberValue(v, m) }));
}

function memberValue(v: CValue, m: CMember): CValue {
  const size = sizeOf(m.type);
  if (m.bitSize === undefined) {
    if (m.offset + size > v.bytes.length) return unavailable(m.type, 'optimized out');
    const known = v.known?.slice(m.offset, m.offset + size);
    // Some bytes known (pieces): an aggregate member shows what is; a member with none is optimized out.
    if (known && !known.some((k) => k)) return unavailable(m.type, 'optimized out');
    return {
      type: m.type, bytes: v.bytes.slice(m.offset, m.offset + size), known: known && !known.every((k) => k) ? known : undefined,
      address: v.address !== undefined ? (v.address + BigInt(m.offset)) & M64 : undefined,
    };
  }
  // A bitfield: bits [bitOffset, bitOffset + bitSize) counted from bit 0 of byte `offset`.
  const first = m.offset + Math.floor((m.bitOffset ?? 0) / 8);
  const span = Math.ceil((((m.bitOffset ?? 0) % 8) + m.bitSize) / 8);
  if (first + span > v.bytes.length || !allKnown(v, first, span)) return unavailable(m.type, 'optimized out');
  let raw = 0n;
  for (let i = span - 1; i >= 0; i--) raw = (raw << 8n) | BigInt(v.bytes[first + i]);
  let x = (raw >> BigInt((m.bitOffset ?? 0) % 8)) & ((1n << BigInt(m.bitSize)) - 1n);
  if (isSigned(m.type)) x = BigInt.asIntN(m.bitSize, x);
  return { type: m.type, bytes: leBytes(x, Math.max(1, size)) };
}

/** A member by name, looking into anonymous struct/union members (`ip->saddr` inside iphdr's union). */
export function memberNamed(v: CValue, name: string, depth = 0): CValue | undefined {
  if (depth > 8) return undefined;
  for (const { member, value } of membersOf(v)) {
    if (member.name === name) return value;
    if (!member.name) { const inner = memberNamed(value, name, depth + 1); if (inner) return inner; }
  }
  return undefined;
}

/** Element `i` of an array value. */
export function elementOf(v: CValue, i: number): CValue {
  const t = stripType(v.type);
  const dims = t.dims ?? [0];
  const elemType: CType = dims.length > 1 ? { ...t, dims: dims.slice(1), size: sizeOf(t.target ?? VOID) * dims.slice(1).reduce((a, b) => a * b, 1) } : (t.target ?? VOID);
  const es = sizeOf(elemType);
  if (i < 0 || (dims[0] && i >= dims[0]) || (i + 1) * es > v.bytes.length) return unavailable(elemType, `index ${i} is outside the array (${dims[0]} elements)`);
  if (!allKnown(v, i * es, es)) return unavailable(elemType, 'optimized out');
  return { type: elemType, bytes: v.bytes.slice(i * es, (i + 1) * es), address: v.address !== undefined ? (v.address + BigInt(i * es)) & M64 : undefined };
}

/** `*p` (with `index` elements of offset): the pointee read from VM memory. */
export function deref(p: CValue, mem: ValueMemory, index = 0): CValue {
  const t = stripType(p.type);
  if (t.kind === 'array') return elementOf(p, index);
  const target = t.kind === 'pointer' ? (t.target ?? VOID) : VOID;
  const size = sizeOf(target);
  if (t.kind !== 'pointer') return unavailable(target, `${typeName(p.type)} is not a pointer`);
  const s = stripType(target);
  if (s.kind === 'void' || s.kind === 'func') return unavailable(target, `cannot dereference ${typeName(p.type)}`);
  const big = tooLarge(target, size);
  if (big) return big;
  const a = scalarOf(p);
  if (a === undefined) return unavailable(target, p.unavailable ?? 'optimized out');
  const addr = (a + BigInt(index * size)) & M64;
  const b = mem.read(addr, size);
  if (!b) return unavailable(target, `cannot read ${size} bytes at ${mem.describe(addr)}`);
  return { type: target, bytes: b.slice(), address: addr };
}

/** Whether a pointer's target is readable memory (so the pointer can expand). */
export function pointeeReadable(p: CValue, mem: ValueMemory): boolean {
  const t = stripType(p.type);
  if (t.kind !== 'pointer') return false;
  const s = stripType(t.target ?? VOID);
  if (s.kind === 'void' || s.kind === 'func' || !sizeOf(s)) return false;
  const a = scalarOf(p);
  return a !== undefined && a !== 0n && mem.read(a, sizeOf(s)) !== undefined;
}

function viaTypedef(t: CType): boolean {
  for (let i = 0; i < 16 && t.kind !== 'base'; i++) { if (t.kind === 'typedef') return true; t = t.target ?? VOID; }
  return false;
}

const CHAR_ESC: Record<number, string> = { 0: '\\000', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };

/** The value as text (gdb's style): numbers, enumerators, pointers by region, aggregates in braces. */
export function formatValue(v: CValue, mem: ValueMemory, budget = 120): string {
  if (v.unavailable) return v.unavailable === 'optimized out' || v.unavailable === 'not saved' ? `<${v.unavailable}>` : `<error: ${v.unavailable}>`;
  const t = stripType(v.type);
  switch (t.kind) {
    case 'base': {
      if (isFloat(t)) {
        const dv = new DataView(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength);
        return t.size === 4 ? String(dv.getFloat32(0, true)) : t.size === 8 ? String(dv.getFloat64(0, true)) : '<float>';
      }
      const x = scalarOf(v);
      if (x === undefined) return '<optimized out>';
      if (isBool(t)) return x ? 'true' : 'false';
      // A plain char shows its character too (gdb's way); __u8 and other typedefs are byte numbers.
      if (isCharType(t) && !viaTypedef(v.type)) {
        const c = Number(x & 0xffn);
        return `${x} '${CHAR_ESC[c] ?? (c >= 32 && c < 127 ? String.fromCharCode(c) : `\\${c.toString(8).padStart(3, '0')}`)}'`;
      }
      return String(x);
    }
    case 'enum': {
      const x = scalarOf(v);
      if (x === undefined) return '<optimized out>';
      return t.enumerators?.find((e) => e.value === x)?.name ?? String(x);
    }
    case 'pointer': {
      const x = scalarOf(v);
      if (x === undefined) return '<optimized out>';
      return x === 0n ? '0x0' : mem.describe(x);
    }
    case 'struct': case 'union': {
      const parts: string[] = [];
      let len = 2;
      for (const { member, value } of membersOf(v)) {
        const s = stripType(value.type);
        const text = s.kind === 'struct' || s.kind === 'union' || s.kind === 'array' ? (budget > 40 ? formatValue(value, mem, 40) : '{...}') : formatValue(value, mem, 40);
        const part = member.name ? `${member.name} = ${text}` : text;
        if (len + part.length > budget) { parts.push('...'); break; }
        parts.push(part); len += part.length + 2;
      }
      return `{${parts.join(', ')}}`;
    }
    case 'array': {
      const n = (t.dims ?? [0])[0];
      const hexBytes = isCharType(t.target ?? VOID) && !isSigned(t.target ?? VOID);
      const parts: string[] = [];
      let len = 2;
      for (let i = 0; i < n; i++) {
        const e = elementOf(v, i);
        const text = hexBytes && !e.unavailable ? `0x${e.bytes[0].toString(16).padStart(2, '0')}` : formatValue(e, mem, 40);
        if (len + text.length > budget) { parts.push('...'); break; }
        parts.push(text); len += text.length + 2;
      }
      return `{${parts.join(', ')}}`;
    }
    default: return `<${typeName(v.type)}>`;
  }
}

/** A child of a value in a tree view: name, value, and the C expression that reaches it. */
export interface ValueChild { name: string; value: CValue; expr: string }

/** `a` for plain names and postfix chains, `(a)` otherwise (so `x->y` stays right). */
function postfixable(expr: string): string { return /^[A-Za-z_][\w]*(?:(?:->|\.)[A-Za-z_]\w*|\[\d+\])*$/.test(expr) ? expr : `(${expr})`; }

/**
 * What a value expands to: members of a struct/union, elements of an array (first 1000), the
 * pointee of a pointer into readable memory (a struct's members directly, as C debuggers show).
 */
export function childrenOf(v: CValue, expr: string, mem: ValueMemory): ValueChild[] {
  if (v.unavailable) return [];
  const t = stripType(v.type);
  const base = postfixable(expr);
  if (t.kind === 'struct' || t.kind === 'union') {
    return membersOf(v).map(({ member, value }) => ({ name: member.name || '<anonymous>', value, expr: member.name ? `${base}.${member.name}` : expr }));
  }
  if (t.kind === 'array') {
    const n = Math.min((t.dims ?? [0])[0], 1000);
    const out: ValueChild[] = [];
    for (let i = 0; i < n; i++) out.push({ name: `[${i}]`, value: elementOf(v, i), expr: `${base}[${i}]` });
    return out;
  }
  if (t.kind === 'pointer' && pointeeReadable(v, mem)) {
    const p = deref(v, mem);
    const s = stripType(p.type);
    if (s.kind === 'struct' || s.kind === 'union') {
      return membersOf(p).map(({ member, value }) => ({ name: member.name || '<anonymous>', value, expr: member.name ? `${base}->${member.name}` : `*${base}` }));
    }
    return [{ name: `*${expr}`, value: p, expr: `*${base}` }];
  }
  return [];
}

/** Whether `childrenOf` has anything to show (without building it). */
export function hasChildren(v: CValue, mem: ValueMemory): boolean {
  if (v.unavailable) return false;
  const t = stripType(v.type);
  return t.kind === 'struct' || t.kind === 'union' || (t.kind === 'array' && (t.dims ?? [0])[0] > 0) || pointeeReadable(v, mem);
}
