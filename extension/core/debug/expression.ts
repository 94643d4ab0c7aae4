/**
 * The debugger's evaluator for WATCH, hovers, the Debug Console and breakpoint conditions:
 * C-like expressions over the registers (`r1`, `w1` for the low 32 bits), loads through casts
 * (`*(u16 *)(r1 + 12)`), `ctx->data`-style `xdp_md` fields, map lookups (`proto_count[17]`), and
 * packet fields by their display-filter names (`ip.src`, `udp.dstport`), and, stopped in the
 * program, its C variables through DWARF (`dport`, `ip->protocol`, `*eth`, `data_end - data`): a
 * C name wins over a packet field of the same name only when it has no dot (`ip` is the variable,
 * `ip.src` the field).
 *
 * Values are unsigned 64-bit BigInts (a register's pointer encoding included, so pointer
 * arithmetic is plain addition). An expression is parsed once into closures and cached: a
 * breakpoint condition runs at every hit, possibly once per packet of a long trace.
 */
import type { BpfMap } from '../ebpf/maps';
import type { Memory } from '../ebpf/memory';
import { fieldText, type Dissection } from '../packet/dissection';
import { FT, fieldByAbbrev } from '../packet/fields';
import { fieldIndex, fieldTypeName } from './packetDissection';
import { stripType, typeName, VOID, type CType } from '../ebpf/dwarf';
import { deref, elementOf, formatValue, memberNamed, scalarOf, sizeOf, type CValue, type ValueMemory } from '../ebpf/dwarfValue';

export class EvalError extends Error {
  constructor(message: string, readonly column: number) { super(column >= 0 ? `${message} (column ${column + 1})` : message); }
}

export interface EvalContext {
  /** Register value as an unsigned 64-bit number, or undefined outside the program. */
  reg(i: number): bigint | undefined;
  readonly memory: Memory | undefined;
  /** The current packet (its current bytes), dissected by the packet layer. */
  packet(): Dissection;
  maps: readonly BpfMap[];
  /** C variables in scope at the stop (DWARF), when stopped in a program frame. */
  locals?: CLocals;
}

/** The C variables of a stopped frame. */
export interface CLocals {
  /** A variable's value by name (innermost declaration), undefined when no variable has the name. */
  get(name: string): CValue | undefined;
  mem: ValueMemory;
}

export interface EvalResult {
  /** Unsigned 64-bit value (for conditions and arithmetic). */
  value?: bigint;
  /** Display text. */
  text: string;
  type: string;
  /** A map value found by lookup: its map and bytes, for a structured display. */
  mapValue?: { map: BpfMap; key: Uint8Array; bytes: Uint8Array };
  /** A C value (a variable, a member, a pointee): its type and bytes, for a structured display. */
  cvalue?: CValue;
}

const M64 = (1n << 64n) - 1n;
const TYPES: Record<string, { size: number; signed: boolean }> = {
  u8: { size: 1, signed: false }, u16: { size: 2, signed: false }, u32: { size: 4, signed: false }, u64: { size: 8, signed: false },
  s8: { size: 1, signed: true }, s16: { size: 2, signed: true }, s32: { size: 4, signed: true }, s64: { size: 8, signed: true },
  __u8: { size: 1, signed: false }, __u16: { size: 2, signed: false }, __u32: { size: 4, signed: false }, __u64: { size: 8, signed: false },
  __s8: { size: 1, signed: true }, __s16: { size: 2, signed: true }, __s32: { size: 4, signed: true }, __s64: { size: 8, signed: true },
  __be16: { size: 2, signed: false }, __be32: { size: 4, signed: false },
  char: { size: 1, signed: true }, short: { size: 2, signed: true }, int: { size: 4, signed: true }, long: { size: 8, signed: true },
};
/** struct xdp_md fields: offset; data/data_end/data_meta read as packet pointers like the kernel's ctx rewrite. */
const XDP_MD: Record<string, number> = { data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20 };

interface Tok { t: string; pos: number }

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    const m = /^(0x[0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|->|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>()[\].])/.exec(s.slice(i));
    if (!m) throw new EvalError(`unexpected character '${c}'`, i);
    out.push({ t: m[0], pos: i });
    i += m[0].length;
  }
  return out;
}

const signedOf = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);

type Ev = (ctx: EvalContext) => EvalResult;

/** Compiled expressions by text and the map names they were parsed against (conditions run at every hit). */
const compiled = new Map<string, Ev>();

export function evaluate(text: string, ctx: EvalContext): EvalResult {
  const key = `${ctx.maps.map((m) => m.name).join(',')}\n${text}`;
  let ev = compiled.get(key);
  if (!ev) {
    ev = compile(text, new Set(ctx.maps.map((m) => m.name)));
    if (compiled.size >= 64) compiled.clear();
    compiled.set(key, ev);
  }
  return ev(ctx);
}

const num = (r: EvalResult): bigint => {
  if (r.value === undefined) throw new EvalError(`'${r.text}' is not a number`, -1);
  return r.value;
};
const val = (v: bigint, type = 'u64'): EvalResult => {
  const u = v & M64;
  // Text on demand: conditions evaluated at every breakpoint hit only need the value.
  return { value: u, get text() { return u < 0x10000n ? String(u) : `${u} (0x${u.toString(16)})`; }, type };
};
const bool = (b: boolean): EvalResult => ({ value: b ? 1n : 0n, text: b ? 'true' : 'false', type: 'bool' });
const signedVal = (v: bigint, size: number): EvalResult => ({ value: v, text: String(signedOf(v, 64)), type: `s${size * 8}` });

/** A C value as a result: its number (scalars), text on demand, C type. Unreadable memory is an error. */
function cres(v: CValue, mem: ValueMemory, at: number): EvalResult {
  if (v.unavailable && v.unavailable !== 'optimized out' && v.unavailable !== 'not saved') throw new EvalError(v.unavailable, at);
  const s = scalarOf(v);
  return { value: s === undefined ? undefined : s & M64, get text() { return formatValue(v, mem); }, type: typeName(v.type), cvalue: v };
}

function cmem(c: EvalContext, at: number): ValueMemory {
  if (!c.locals) throw new EvalError('C variables exist only while stopped in the XDP program', at);
  return c.locals.mem;
}

/** Member `name` of a struct value (`s.name`) or of the struct a pointer points to (`p->name`). */
function cMember(base: EvalResult, name: string, arrow: boolean, c: EvalContext, at: number): EvalResult {
  let v = base.cvalue;
  if (!v) throw new EvalError(`'${base.text}' is not a C ${arrow ? 'pointer' : 'struct'}`, at);
  const mem = cmem(c, at);
  if (arrow) {
    if (stripType(v.type).kind !== 'pointer') throw new EvalError(`'${typeName(v.type)}' is not a pointer: use '.'`, at);
    v = deref(v, mem);
    if (v.unavailable) return cres(v, mem, at);
  } else if (stripType(v.type).kind === 'pointer') throw new EvalError(`'${typeName(v.type)}' is a pointer: use '->'`, at);
  const k = stripType(v.type).kind;
  if (k !== 'struct' && k !== 'union') throw new EvalError(`'${typeName(v.type)}' has no members`, at);
  const m = memberNamed(v, name);
  if (!m) throw new EvalError(`${typeName(v.type)} has no member '${name}'`, at);
  return cres(m, mem, at);
}

/** Size of what a C pointer result points to (void counts 1, as GNU C does), or undefined. */
function pointeeSize(r: EvalResult): number | undefined {
  const t = r.cvalue && stripType(r.cvalue.type);
  if (!t || t.kind !== 'pointer') return undefined;
  return sizeOf(t.target ?? VOID) || 1;
}

function pointerTo(target: CType, addr: bigint): CValue {
  const b = new Uint8Array(8);
  let x = addr & M64;
  for (let i = 0; i < 8; i++) { b[i] = Number(x & 0xffn); x >>= 8n; }
  return { type: { kind: 'pointer', name: '', size: 8, target }, bytes: b };
}

function load(ctx: EvalContext, addr: bigint, size: number, signed: boolean, at: number): bigint {
  const mem = ctx.memory;
  if (!mem) throw new EvalError('no program is running: memory is not available', at);
  const hi = Number(addr >> 32n) | 0, lo = Number(addr & 0xffffffffn) | 0;
  const id = mem.resolve(hi, lo, 0, size, false);
  if (id < 0) throw new EvalError(`cannot read ${size} byte${size > 1 ? 's' : ''} at ${mem.describe(hi, lo)}`, at);
  const b = mem.bytes[id], o = mem.offset;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]);
  return signed ? signedOf(v, size * 8) & M64 : v;
}

const mapNamed = (ctx: EvalContext, name: string): BpfMap => ctx.maps.find((m) => m.name === name)!;

/**
 * Parses once into closures. What depends on the run (registers, memory, the packet, map
 * contents) is read when the closure runs; syntax and names are checked here.
 */
function compile(text: string, mapNames: ReadonlySet<string>): Ev {
  const toks = tokenize(text);
  let p = 0;
  const peek = (k = 0): string | undefined => toks[p + k]?.t;
  const pos = (): number => toks[p]?.pos ?? text.length;
  const expect = (t: string): void => { if (peek() !== t) throw new EvalError(`expected '${t}'`, pos()); p++; };

  const or = (): Ev => {
    let l = and();
    while (peek() === '||') { p++; const a = l, b = and(); l = (c) => { const x = num(a(c)), y = num(b(c)); return bool(x !== 0n || y !== 0n); }; }
    return l;
  };
  const and = (): Ev => {
    let l = cmp();
    while (peek() === '&&') { p++; const a = l, b = cmp(); l = (c) => { const x = num(a(c)), y = num(b(c)); return bool(x !== 0n && y !== 0n); }; }
    return l;
  };
  const cmp = (): Ev => {
    const l = bin(0);
    const op = peek();
    if (op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      p++;
      const r = bin(0);
      return (c) => {
        const a = num(l(c)), b = num(r(c));
        return bool(op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b);
      };
    }
    return l;
  };
  const LEVELS = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  const bin = (level: number): Ev => {
    if (level === LEVELS.length) return unary();
    let l = bin(level + 1);
    while (peek() !== undefined && LEVELS[level].includes(peek()!)) {
      const op = toks[p++];
      const left = l, right = bin(level + 1);
      l = (c) => {
        const lr = left(c), rr = right(c);
        const a = num(lr), b = num(rr);
        if (op.t === '+' || op.t === '-') {
          // C pointer arithmetic: p + n moves by elements; p - q counts elements between them.
          const ls = pointeeSize(lr), rs = pointeeSize(rr);
          if (ls !== undefined && rs !== undefined && op.t === '-') return val(BigInt.asIntN(64, a - b) / BigInt(ls), 'long');
          if (ls !== undefined && rs === undefined) {
            const v = pointerTo((stripType(lr.cvalue!.type).target ?? VOID), op.t === '+' ? a + b * BigInt(ls) : a - b * BigInt(ls));
            return cres(v, cmem(c, op.pos), op.pos);
          }
        }
        switch (op.t) {
          case '|': return val(a | b);
          case '^': return val(a ^ b);
          case '&': return val(a & b);
          case '<<': return val(a << (b & 63n));
          case '>>': return val(a >> (b & 63n));
          case '+': return val(a + b);
          case '-': return val(a - b);
          case '*': return val(a * b);
          default:
            if (b === 0n) throw new EvalError('division by zero', op.pos);
            return val(op.t === '/' ? a / b : a % b);
        }
      };
    }
    return l;
  };
  const castType = (): { size: number; signed: boolean; ptr: boolean } | undefined => {
    // '(' type ['*'] ')'
    if (peek() !== '(' || !(peek(1)! in TYPES)) return undefined;
    const t = TYPES[peek(1)!];
    if (peek(2) === '*' && peek(3) === ')') { p += 4; return { ...t, ptr: true }; }
    if (peek(2) === ')') { p += 3; return { ...t, ptr: false }; }
    return undefined;
  };
  const unary = (): Ev => {
    const at = pos();
    switch (peek()) {
      case '-': { p++; const e = unary(); return (c) => val(-num(e(c))); }
      case '~': { p++; const e = unary(); return (c) => val(~num(e(c))); }
      case '!': { p++; const e = unary(); return (c) => bool(num(e(c)) === 0n); }
      case '&': {
        p++;
        const e = unary();
        return (c) => {
          const r = e(c);
          if (r.cvalue?.address === undefined) throw new EvalError(`'${r.text}' has no address (only C variables in memory do)`, at);
          return cres(pointerTo(r.cvalue.type, r.cvalue.address), cmem(c, at), at);
        };
      }
      case '*': {
        p++;
        const t = castType();
        if (t && !t.ptr) throw new EvalError(`a load needs a pointer cast, like *(u16 *)(r1 + 12)`, at);
        if (!t) {
          // `*p` of a C pointer (a variable or an expression over one).
          const e = unary();
          return (c) => {
            const r = e(c);
            if (!r.cvalue) throw new EvalError(`a load needs a pointer cast, like *(u16 *)(r1 + 12)`, at);
            const mem = cmem(c, at);
            if (stripType(r.cvalue.type).kind !== 'pointer' && stripType(r.cvalue.type).kind !== 'array') throw new EvalError(`'${typeName(r.cvalue.type)}' is not a pointer`, at);
            return cres(deref(r.cvalue, mem), mem, at);
          };
        }
        const e = unary();
        return (c) => {
          const v = load(c, num(e(c)), t.size, t.signed, at);
          return t.signed ? signedVal(v, t.size) : val(v, `u${t.size * 8}`);
        };
      }
    }
    const t = castType();
    if (t) {
      const e = unary();
      if (t.ptr) return (c) => val(num(e(c)), 'pointer');
      const bits = BigInt(t.size * 8);
      return (c) => {
        const v = num(e(c)) & ((1n << bits) - 1n);
        return t.signed ? { value: signedOf(v, t.size * 8) & M64, text: String(signedOf(v, t.size * 8)), type: `s${t.size * 8}` } : val(v, `u${t.size * 8}`);
      };
    }
    return postfix();
  };
  const postfix = (): Ev => {
    let e = mapOrPrimary();
    for (;;) {
      const op = peek(), at = pos();
      if (op === '->' || op === '.') {
        p++;
        const f = toks[p];
        if (!f || !/^[A-Za-z_]\w*$/.test(f.t)) throw new EvalError(`expected a member name after '${op}'`, f?.pos ?? text.length);
        p++;
        const base = e, arrow = op === '->';
        e = (c) => cMember(base(c), f.t, arrow, c, f.pos);
      } else if (op === '[') {
        p++;
        const idx = or();
        expect(']');
        const base = e;
        e = (c) => {
          const r = base(c);
          const t = r.cvalue && stripType(r.cvalue.type);
          if (!t || (t.kind !== 'array' && t.kind !== 'pointer')) throw new EvalError(`'${r.text}' is not a C array or pointer`, at);
          const mem = cmem(c, at);
          const i = Number(BigInt.asIntN(64, num(idx(c))));
          return cres(t.kind === 'array' ? elementOf(r.cvalue!, i) : deref(r.cvalue!, mem, i), mem, at);
        };
      } else return e;
    }
  };
  const mapOrPrimary = (): Ev => {
    const name = peek();
    if (name !== undefined && mapNames.has(name) && peek(1) === '[') {
      p += 2;
      const keyEv = or();
      expect(']');
      return (c) => {
        const map = mapNamed(c, name);
        const key = num(keyEv(c));
        const kb = new Uint8Array(map.keySize);
        let k = key;
        for (let i = 0; i < kb.length; i++) { kb[i] = Number(k & 0xffn); k >>= 8n; }
        const v = map.lookup(kb);
        if (!v) return { text: `no element with key ${key} in ${map.name}`, type: 'map_value_or_null', value: 0n };
        // A value of 1, 2, 4 or 8 bytes (a counter) also compares as its number (little-endian, as stored).
        let value: bigint | undefined;
        if (map.valueSize === 1 || map.valueSize === 2 || map.valueSize === 4 || map.valueSize === 8) {
          value = 0n;
          for (let i = map.valueSize - 1; i >= 0; i--) value = (value << 8n) | BigInt(v[i]);
        }
        const bytes = v.slice();
        return { get text() { return map.formatValue(bytes); }, type: 'map_value', value, mapValue: { map, key: kb, bytes } };
      };
    }
    return primary();
  };
  const primary = (): Ev => {
    const tok = toks[p];
    if (!tok) throw new EvalError('expected a value', text.length);
    p++;
    if (tok.t === '(') { const e = or(); expect(')'); return e; }
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(tok.t)) { const r = val(BigInt(tok.t)); return () => r; }
    const reg = /^([rw])(\d+)$/.exec(tok.t);
    if (reg && Number(reg[2]) <= 10) {
      const i = Number(reg[2]), w = reg[1] === 'w';
      return (c) => {
        const v = c.reg(i);
        if (v === undefined) throw new EvalError(`registers exist only while the XDP program runs`, tok.pos);
        return w ? val(v & 0xffffffffn, 'u32') : val(v, 'u64');
      };
    }
    if (tok.t === 'ctx' && peek() === '->') {
      p++;
      const f = toks[p++];
      if (!f || !(f.t in XDP_MD)) throw new EvalError(`struct xdp_md has no field '${f?.t ?? ''}'`, f?.pos ?? text.length);
      const off = BigInt(XDP_MD[f.t]), ptr = f.t.startsWith('data');
      return (c) => {
        const v = load(c, 1n << 32n | off, 4, false, tok.pos);
        return ptr ? val((2n << 32n) | v, 'pkt pointer') : val(v, 'u32');
      };
    }
    // Packet fields by the registry's names; a map of the same name (no dot) wins over a protocol.
    const field = fieldByAbbrev(tok.t);
    let fieldEv: Ev | undefined;
    if (field && (tok.t.includes('.') || !mapNames.has(tok.t))) {
      const numeric = field.type !== FT.ETHER && field.type !== FT.IPv6 && field.type !== FT.BYTES && field.type !== FT.STRING && field.type !== FT.NONE && field.type !== FT.RELATIVE_TIME;
      const type = fieldTypeName(field);
      fieldEv = (c) => {
        const d = c.packet();
        const j = fieldIndex(d, tok.t);
        if (j < 0) throw new EvalError(`the packet has no field '${tok.t}'`, tok.pos);
        if (field.type === FT.PROTOCOL) return bool(true);
        const text = fieldText(d, j); // now: the dissection is reused by the next evaluation
        return { value: numeric ? BigInt.asUintN(64, BigInt(d.val[j])) : undefined, text, type };
      };
    }
    if (tok.t.includes('.')) {
      if (fieldEv) return fieldEv;
      // `s.a.b` with `s` a C struct variable.
      const [head, ...members] = tok.t.split('.');
      return (c) => {
        const v = c.locals?.get(head);
        if (!v) throw new EvalError(`'${tok.t}' is not a packet field`, tok.pos);
        let r = cres(v, c.locals!.mem, tok.pos);
        for (const m of members) r = cMember(r, m, false, c, tok.pos);
        return r;
      };
    }
    if (mapNames.has(tok.t)) {
      const name = tok.t;
      return (c) => {
        const m = mapNamed(c, name);
        return { text: `${m.typeName} map '${m.name}' (key ${m.keySize} B, value ${m.valueSize} B, max_entries ${m.maxEntries})`, type: 'map' };
      };
    }
    // A C variable in scope at the stop, else the packet field of that name.
    return (c) => {
      const v = c.locals?.get(tok.t);
      if (v) return cres(v, c.locals!.mem, tok.pos);
      if (fieldEv) return fieldEv(c);
      throw new EvalError(`unknown name '${tok.t}'`, tok.pos);
    };
  };

  if (toks.length === 0) throw new EvalError('empty expression', 0);
  const r = or();
  if (p < toks.length) throw new EvalError(`unexpected '${toks[p].t}'`, toks[p].pos);
  return r;
}

/**
 * The C expression a hover at `col` (0-based) of `line` means: the identifier there with the
 * member chain before it (`ip->protocol`, `key.dport`, `eth->h_dest`), as [start, end) columns;
 * undefined off an identifier. Keywords and numbers are not hovered.
 */
export function hoverExpressionAt(line: string, col: number): { start: number; end: number } | undefined {
  const isId = (c: string | undefined): boolean => !!c && /[A-Za-z0-9_]/.test(c);
  if (!isId(line[col])) return undefined;
  let start = col, end = col;
  while (isId(line[end])) end++;
  while (isId(line[start - 1])) start--;
  if (/^\d/.test(line[start]) || C_KEYWORDS.has(line.slice(start, end))) return undefined;
  // Walk left over `->` / `.` and the identifier before each.
  for (;;) {
    let k = start;
    while (line[k - 1] === ' ') k--;
    let op = 0;
    if (line.slice(k - 2, k) === '->') op = 2; else if (line[k - 1] === '.') op = 1;
    if (!op) break;
    let j = k - op;
    while (line[j - 1] === ' ') j--;
    if (!isId(line[j - 1])) break;
    while (isId(line[j - 1])) j--;
    start = j;
  }
  return { start, end };
}

const C_KEYWORDS = new Set(['if', 'else', 'return', 'for', 'while', 'do', 'struct', 'union', 'enum', 'int', 'char', 'void', 'long',
  'short', 'unsigned', 'signed', 'const', 'volatile', 'static', 'sizeof', 'break', 'continue', 'switch', 'case', 'default', 'goto']);
