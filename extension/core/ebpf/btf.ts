// BPF Type Format (.BTF): the type records clang writes for every program, map and global, their
// sizes, and a formatter that shows map keys and values field by field.
// Layout: include/uapi/linux/btf.h (struct btf_header, struct btf_type and the per-kind tails).
import { BpfObjectError, readCString } from './elf';

export const BTF_MAGIC = 0xeb9f;

export const enum BtfKind {
  UNKN = 0, INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, FWD = 7, TYPEDEF = 8,
  VOLATILE = 9, CONST = 10, RESTRICT = 11, FUNC = 12, FUNC_PROTO = 13, VAR = 14, DATASEC = 15,
  FLOAT = 16, DECL_TAG = 17, TYPE_TAG = 18, ENUM64 = 19,
}

export const BTF_KIND_NAMES = ['UNKN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF',
  'VOLATILE', 'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64'];

/** BTF_INT_ENCODING bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

export interface BtfMember { name: string; type: number; /** bit offset */ bitOffset: number; /** 0 unless a bitfield */ bitSize: number }
export interface BtfEnumValue { name: string; value: number | bigint }
export interface BtfParam { name: string; type: number }
export interface BtfVarSecinfo { type: number; offset: number; size: number }

/** One BTF type record. `type` is the referenced type id for modifiers, PTR, TYPEDEF, FUNC, VAR. */
export interface BtfType {
  id: number;
  kind: BtfKind;
  name: string;
  /** Byte size for INT, STRUCT, UNION, ENUM, ENUM64, FLOAT, DATASEC. */
  size: number;
  type: number;
  kindFlag: boolean;
  // INT
  encoding?: number; bitOffset?: number; bits?: number;
  // ARRAY
  elemType?: number; indexType?: number; nelems?: number;
  members?: BtfMember[];
  enumValues?: BtfEnumValue[];
  params?: BtfParam[];
  /** FUNC: 0 static, 1 global, 2 extern. VAR: 0 static, 1 global, 2 extern. */
  linkage?: number;
  secinfo?: BtfVarSecinfo[];
  /** DECL_TAG component index (-1 for the whole declaration). */
  componentIdx?: number;
}

export class Btf {
  /** types[0] is `void`. */
  readonly types: BtfType[];
  readonly strings: Uint8Array;
  private readonly byName = new Map<string, number[]>();

  constructor(types: BtfType[], strings: Uint8Array) {
    this.types = types;
    this.strings = strings;
    for (const t of types) {
      if (!t.name) continue;
      const l = this.byName.get(t.name);
      if (l) l.push(t.id); else this.byName.set(t.name, [t.id]);
    }
  }

  /** A string of the BTF string section (line_info texts and file names live here). */
  str(off: number): string { return readCString(this.strings, off, '.BTF string table'); }

  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new BpfObjectError(`type id ${id} does not exist (${this.types.length - 1} types)`, '.BTF');
    return t;
  }

  /** Ids of the types called `name`, optionally of one kind. */
  find(name: string, kind?: BtfKind): number[] {
    const l = this.byName.get(name) ?? [];
    return kind === undefined ? l : l.filter((id) => this.types[id].kind === kind);
  }

  /** Follows TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG down to the real type. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; depth < 64; depth++) {
      switch (t.kind) {
        case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
          t = this.type(t.type);
          continue;
        default:
          return t;
      }
    }
    throw new BpfObjectError(`type ${id}: modifier chain is too deep (a loop?)`, '.BTF');
  }

  /** sizeof() in bytes, as btf__resolve_size computes it. */
  sizeOf(id: number): number { return this.sizeOfDepth(id, 0); }

  private sizeOfDepth(id: number, depth: number): number {
    if (depth > 32) throw new BpfObjectError(`type ${id}: size cannot be resolved (loop or nesting deeper than 32)`, '.BTF');
    const t = this.resolve(id);
    switch (t.kind) {
      case BtfKind.INT: case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.ENUM: case BtfKind.ENUM64:
      case BtfKind.FLOAT: case BtfKind.DATASEC:
        return t.size;
      case BtfKind.PTR: return 8;
      case BtfKind.ARRAY: return t.nelems! * this.sizeOfDepth(t.elemType!, depth + 1);
      case BtfKind.VAR: return this.sizeOfDepth(t.type, depth + 1);
      default:
        throw new BpfObjectError(`type ${id} (${BTF_KIND_NAMES[t.kind]}${t.name ? ` '${t.name}'` : ''}) has no size`, '.BTF');
    }
  }

  /** A C-like spelling of a type: `struct proto_stats`, `__u32`, `__u8[6]`, `void *`. */
  typeName(id: number, depth = 0): string {
    if (id === 0) return 'void';
    if (depth > 16) return '…';
    const t = this.type(id);
    switch (t.kind) {
      case BtfKind.PTR: return `${this.typeName(t.type, depth + 1)} *`;
      case BtfKind.ARRAY: return `${this.typeName(t.elemType!, depth + 1)}[${t.nelems}]`;
      case BtfKind.STRUCT: return `struct ${t.name || '(anon)'}`;
      case BtfKind.UNION: return `union ${t.name || '(anon)'}`;
      case BtfKind.ENUM: case BtfKind.ENUM64: return `enum ${t.name || '(anon)'}`;
      case BtfKind.FWD: return `${t.kindFlag ? 'union' : 'struct'} ${t.name}`;
      case BtfKind.CONST: return `const ${this.typeName(t.type, depth + 1)}`;
      case BtfKind.VOLATILE: return `volatile ${this.typeName(t.type, depth + 1)}`;
      case BtfKind.RESTRICT: return `${this.typeName(t.type, depth + 1)} restrict`;
      case BtfKind.TYPE_TAG: return this.typeName(t.type, depth + 1);
      case BtfKind.FUNC_PROTO: return `${this.typeName(t.type, depth + 1)} (*)(${(t.params ?? []).map((p) => this.typeName(p.type, depth + 1)).join(', ')})`;
      case BtfKind.DATASEC: return `section ${t.name}`;
      default: return t.name || BTF_KIND_NAMES[t.kind];
    }
  }

  /** A value of type `id` in `bytes` at `off`, decoded for display (see formatBtfValue). */
  describe(id: number, bytes: Uint8Array, off = 0, name = ''): BtfValueNode {
    return describeValue(this, id, bytes, off, name, 0);
  }

  /** One-line rendering: `{packets=3, bytes=192}`, `[1, 2, 3]`, `0x0a000001`. */
  format(id: number, bytes: Uint8Array, off = 0): string {
    return renderNode(this.describe(id, bytes, off));
  }
}

/** A decoded value, for tree views (children) and one-line displays (value). */
export interface BtfValueNode {
  name: string;
  typeName: string;
  /** The scalar rendering, or undefined for aggregates. */
  value?: string;
  children?: BtfValueNode[];
}

function readUnsigned(bytes: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[off + i] ?? 0);
  return v;
}

function scalarText(t: BtfType, bytes: Uint8Array, off: number, bitOff: number, bitSize: number): string {
  const size = t.kind === BtfKind.INT ? Math.ceil(((t.bits ?? 0) + (t.bitOffset ?? 0)) / 8) || t.size : t.size;
  let v = readUnsigned(bytes, off, Math.min(size, 16));
  let bits = t.kind === BtfKind.INT ? t.bits! : size * 8;
  if (t.kind === BtfKind.INT && t.bitOffset) v >>= BigInt(t.bitOffset);
  if (bitSize) { v >>= BigInt(bitOff); bits = bitSize; }
  v &= (1n << BigInt(bits)) - 1n;
  if (t.kind === BtfKind.FLOAT) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + off);
    if (size === 4) return String(dv.getFloat32(0, true));
    if (size === 8) return String(dv.getFloat64(0, true));
    return '0x' + v.toString(16);
  }
  if (t.kind === BtfKind.ENUM || t.kind === BtfKind.ENUM64) {
    const signed = t.kindFlag;
    const sv = signed && (v >> BigInt(bits - 1)) & 1n ? v - (1n << BigInt(bits)) : v;
    const hit = t.enumValues?.find((e) => BigInt(e.value) === sv || BigInt(e.value) === v);
    return hit ? hit.name : String(sv);
  }
  const enc = t.encoding ?? 0;
  if (enc & BTF_INT_BOOL) return v ? 'true' : 'false';
  if (enc & BTF_INT_SIGNED && bits > 0 && (v >> BigInt(bits - 1)) & 1n) return String(v - (1n << BigInt(bits)));
  return String(v);
}

const MAX_ARRAY_SHOWN = 64;

function describeValue(btf: Btf, id: number, bytes: Uint8Array, off: number, name: string, depth: number, bitOff = 0, bitSize = 0): BtfValueNode {
  const typeName = btf.typeName(id);
  if (depth > 16) return { name, typeName, value: '…' };
  const t = btf.resolve(id);
  switch (t.kind) {
    case BtfKind.INT: case BtfKind.ENUM: case BtfKind.ENUM64: case BtfKind.FLOAT:
      return { name, typeName, value: scalarText(t, bytes, off, bitOff, bitSize) };
    case BtfKind.PTR:
      return { name, typeName, value: '0x' + readUnsigned(bytes, off, 8).toString(16) };
    case BtfKind.ARRAY: {
      const elem = btf.resolve(t.elemType!);
      const esize = btf.sizeOf(t.elemType!);
      // char[] (clang marks `char` only as signed, by name) reads best as a string.
      if (elem.kind === BtfKind.INT && esize === 1 && ((elem.encoding! & BTF_INT_CHAR) || elem.name === 'char')) {
        let s = '';
        for (let i = 0; i < t.nelems!; i++) { const c = bytes[off + i] ?? 0; if (c === 0) break; s += String.fromCharCode(c); }
        return { name, typeName, value: JSON.stringify(s) };
      }
      const children: BtfValueNode[] = [];
      const n = Math.min(t.nelems!, MAX_ARRAY_SHOWN);
      for (let i = 0; i < n; i++) children.push(describeValue(btf, t.elemType!, bytes, off + i * esize, `[${i}]`, depth + 1));
      if (t.nelems! > n) children.push({ name: '…', typeName: '', value: `${t.nelems! - n} more` });
      return { name, typeName, children };
    }
    case BtfKind.STRUCT: case BtfKind.UNION: {
      const children = (t.members ?? []).map((m) => {
        const bo = m.bitOffset;
        return m.bitSize
          ? describeValue(btf, m.type, bytes, off + Math.floor(bo / 8), m.name, depth + 1, bo % 8, m.bitSize)
          : describeValue(btf, m.type, bytes, off + bo / 8, m.name, depth + 1);
      });
      return { name, typeName, children };
    }
    case BtfKind.DATASEC: {
      const children = (t.secinfo ?? []).map((v) => {
        const vt = btf.type(v.type);
        return describeValue(btf, vt.kind === BtfKind.VAR ? vt.type : v.type, bytes, off + v.offset, vt.name, depth + 1);
      });
      return { name, typeName, children };
    }
    case BtfKind.VAR:
      return describeValue(btf, t.type, bytes, off, name || t.name, depth + 1);
    default:
      return { name, typeName, value: '?' };
  }
}

function renderNode(n: BtfValueNode): string {
  if (n.value !== undefined) return n.value;
  const kids = n.children ?? [];
  if (kids.length && kids[0].name.startsWith('[')) return `[${kids.map((k) => k.name === '…' ? `… ${k.value}` : renderNode(k)).join(', ')}]`;
  return `{${kids.map((k) => `${k.name || '(anon)'}=${renderNode(k)}`).join(', ')}}`;
}

/** Parses a .BTF section. Sizes and counts are checked against the section before use. */
export function parseBtf(data: Uint8Array): Btf {
  const where = '.BTF';
  if (data.length < 24) throw new BpfObjectError(`section is ${data.length} bytes, shorter than the 24-byte header`, where);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = dv.getUint16(0, true);
  if (magic !== BTF_MAGIC) throw new BpfObjectError(`bad magic 0x${magic.toString(16)} (expected 0xeb9f)`, where);
  if (data[2] !== 1) throw new BpfObjectError(`version ${data[2]} is not 1`, where);
  const hdrLen = dv.getUint32(4, true);
  const typeOff = dv.getUint32(8, true), typeLen = dv.getUint32(12, true);
  const strOff = dv.getUint32(16, true), strLen = dv.getUint32(20, true);
  if (hdrLen < 24 || hdrLen > data.length) throw new BpfObjectError(`header length ${hdrLen} is out of range`, where);
  if (hdrLen + typeOff + typeLen > data.length) throw new BpfObjectError(`type section [${typeOff}, +${typeLen}) runs past the end (${data.length - hdrLen} bytes after the header)`, where);
  if (hdrLen + strOff + strLen > data.length) throw new BpfObjectError(`string section [${strOff}, +${strLen}) runs past the end (${data.length - hdrLen} bytes after the header)`, where);
  const strings = data.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  const str = (o: number, what: string) => readCString(strings, o, `${where} ${what}`);

  const types: BtfType[] = [{ id: 0, kind: BtfKind.UNKN, name: 'void', size: 0, type: 0, kindFlag: false }];
  let p = hdrLen + typeOff;
  const end = p + typeLen;
  const need = (n: number, id: number) => {
    if (p + n > end) throw new BpfObjectError(`type ${id} at byte ${p - hdrLen - typeOff} is truncated (needs ${n} bytes, ${end - p} left)`, where);
  };
  while (p < end) {
    const id = types.length;
    need(12, id);
    const nameOff = dv.getUint32(p, true);
    const info = dv.getUint32(p + 4, true);
    const sizeOrType = dv.getUint32(p + 8, true);
    p += 12;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = (info >>> 31) === 1;
    const t: BtfType = { id, kind, name: str(nameOff, `name of type ${id}`), size: 0, type: 0, kindFlag };
    switch (kind) {
      case BtfKind.INT: {
        need(4, id);
        const v = dv.getUint32(p, true); p += 4;
        t.size = sizeOrType; t.encoding = (v >>> 24) & 0xf; t.bitOffset = (v >>> 16) & 0xff; t.bits = v & 0xff;
        break;
      }
      case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
      case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        t.type = sizeOrType; break;
      case BtfKind.FUNC:
        t.type = sizeOrType; t.linkage = vlen; break;
      case BtfKind.ARRAY:
        need(12, id);
        t.elemType = dv.getUint32(p, true); t.indexType = dv.getUint32(p + 4, true); t.nelems = dv.getUint32(p + 8, true);
        p += 12; break;
      case BtfKind.STRUCT: case BtfKind.UNION: {
        need(12 * vlen, id);
        t.size = sizeOrType; t.members = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = dv.getUint32(p + 8, true);
          t.members.push({
            name: str(dv.getUint32(p, true), `member ${i} of type ${id}`), type: dv.getUint32(p + 4, true),
            bitOffset: kindFlag ? off & 0xffffff : off, bitSize: kindFlag ? off >>> 24 : 0,
          });
        }
        break;
      }
      case BtfKind.ENUM: {
        need(8 * vlen, id);
        t.size = sizeOrType; t.enumValues = [];
        for (let i = 0; i < vlen; i++, p += 8) {
          t.enumValues.push({ name: str(dv.getUint32(p, true), `enumerator ${i} of type ${id}`), value: kindFlag ? dv.getInt32(p + 4, true) : dv.getUint32(p + 4, true) });
        }
        break;
      }
      case BtfKind.ENUM64: {
        need(12 * vlen, id);
        t.size = sizeOrType; t.enumValues = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const v = (BigInt(dv.getUint32(p + 8, true)) << 32n) | BigInt(dv.getUint32(p + 4, true));
          t.enumValues.push({ name: str(dv.getUint32(p, true), `enumerator ${i} of type ${id}`), value: kindFlag ? BigInt.asIntN(64, v) : v });
        }
        break;
      }
      case BtfKind.FUNC_PROTO: {
        need(8 * vlen, id);
        t.type = sizeOrType; t.params = [];
        for (let i = 0; i < vlen; i++, p += 8) t.params.push({ name: str(dv.getUint32(p, true), `parameter ${i} of type ${id}`), type: dv.getUint32(p + 4, true) });
        break;
      }
      case BtfKind.VAR:
        need(4, id);
        t.type = sizeOrType; t.linkage = dv.getUint32(p, true); p += 4; break;
      case BtfKind.DATASEC: {
        need(12 * vlen, id);
        t.size = sizeOrType; t.secinfo = [];
        for (let i = 0; i < vlen; i++, p += 12) t.secinfo.push({ type: dv.getUint32(p, true), offset: dv.getUint32(p + 4, true), size: dv.getUint32(p + 8, true) });
        break;
      }
      case BtfKind.FLOAT:
        t.size = sizeOrType; break;
      case BtfKind.DECL_TAG:
        need(4, id);
        t.type = sizeOrType; t.componentIdx = dv.getInt32(p, true); p += 4; break;
      default:
        throw new BpfObjectError(`type ${id} has unknown kind ${kind}`, where);
    }
    types.push(t);
  }
  // Referenced ids must exist, so later resolution never walks off the table.
  const n = types.length;
  const check = (ref: number | undefined, id: number) => {
    if (ref !== undefined && ref >= n) throw new BpfObjectError(`type ${id} refers to type ${ref}, which does not exist (${n - 1} types)`, where);
  };
  for (const t of types) {
    check(t.type, t.id); check(t.elemType, t.id); check(t.indexType, t.id);
    t.members?.forEach((m) => check(m.type, t.id));
    t.params?.forEach((m) => check(m.type, t.id));
    t.secinfo?.forEach((m) => check(m.type, t.id));
  }
  return new Btf(types, strings);
}
