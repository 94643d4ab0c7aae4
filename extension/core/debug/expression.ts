/**
 * The debugger's evaluator for WATCH, hovers, the Debug Console and breakpoint conditions:
 * C-like expressions over the registers (`r1`, `w1` for the low 32 bits), loads through casts
 * (`*(u16 *)(r1 + 12)`), `ctx->data`-style `xdp_md` fields, map lookups (`proto_count[17]`), and
 * packet fields by their display-filter names (`ip.src`, `udp.dstport`).
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
}

export interface EvalResult {
  /** Unsigned 64-bit value (for conditions and arithmetic). */
  value?: bigint;
  /** Display text. */
  text: string;
  type: string;
  /** A map value found by lookup: its map and bytes, for a structured display. */
  mapValue?: { map: BpfMap; key: Uint8Array; bytes: Uint8Array };
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
    const m = /^(0x[0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|->|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!<>()[\]])/.exec(s.slice(i));
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
        const a = num(left(c)), b = num(right(c));
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
      case '*': {
        p++;
        const t = castType();
        if (!t || !t.ptr) throw new EvalError(`a load needs a pointer cast, like *(u16 *)(r1 + 12)`, at);
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
    if (field && (tok.t.includes('.') || !mapNames.has(tok.t))) {
      const numeric = field.type !== FT.ETHER && field.type !== FT.IPv6 && field.type !== FT.BYTES && field.type !== FT.STRING && field.type !== FT.NONE && field.type !== FT.RELATIVE_TIME;
      const type = fieldTypeName(field);
      return (c) => {
        const d = c.packet();
        const j = fieldIndex(d, tok.t);
        if (j < 0) throw new EvalError(`the packet has no field '${tok.t}'`, tok.pos);
        if (field.type === FT.PROTOCOL) return bool(true);
        const text = fieldText(d, j); // now: the dissection is reused by the next evaluation
        return { value: numeric ? BigInt.asUintN(64, BigInt(d.val[j])) : undefined, text, type };
      };
    }
    if (mapNames.has(tok.t)) {
      const name = tok.t;
      return (c) => {
        const m = mapNamed(c, name);
        return { text: `${m.typeName} map '${m.name}' (key ${m.keySize} B, value ${m.valueSize} B, max_entries ${m.maxEntries})`, type: 'map' };
      };
    }
    if (tok.t.includes('.')) throw new EvalError(`'${tok.t}' is not a packet field`, tok.pos);
    throw new EvalError(`unknown name '${tok.t}'`, tok.pos);
  };

  if (toks.length === 0) throw new EvalError('empty expression', 0);
  const r = or();
  if (p < toks.length) throw new EvalError(`unexpected '${toks[p].t}'`, toks[p].pos);
  return r;
}
