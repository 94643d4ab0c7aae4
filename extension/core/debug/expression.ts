/**
 * The debugger's evaluator for WATCH, hovers, the Debug Console and breakpoint conditions:
 * C-like expressions over the registers (`r1`, `w1` for the low 32 bits), loads through casts
 * (`*(u16 *)(r1 + 12)`), `ctx->data`-style `xdp_md` fields, map lookups (`proto_count[17]`), and
 * packet fields by their display-filter names (`ip.src`, `udp.dstport`).
 *
 * Values are unsigned 64-bit BigInts (a register's pointer encoding included, so pointer
 * arithmetic is plain addition); this is never on a hot path.
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

/** Tokens of recent expressions: a breakpoint condition is evaluated at every hit. */
const tokenCache = new Map<string, Tok[]>();

export function evaluate(text: string, ctx: EvalContext): EvalResult {
  let toks = tokenCache.get(text);
  if (!toks) {
    toks = tokenize(text);
    if (tokenCache.size >= 64) tokenCache.clear();
    tokenCache.set(text, toks);
  }
  let p = 0;
  const peek = (k = 0): string | undefined => toks[p + k]?.t;
  const pos = (): number => toks[p]?.pos ?? text.length;
  const expect = (t: string): void => { if (peek() !== t) throw new EvalError(`expected '${t}'`, pos()); p++; };

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

  const load = (addr: bigint, size: number, signed: boolean, at: number): bigint => {
    const mem = ctx.memory;
    if (!mem) throw new EvalError('no program is running: memory is not available', at);
    const hi = Number(addr >> 32n) | 0, lo = Number(addr & 0xffffffffn) | 0;
    const id = mem.resolve(hi, lo, 0, size, false);
    if (id < 0) throw new EvalError(`cannot read ${size} byte${size > 1 ? 's' : ''} at ${mem.describe(hi, lo)}`, at);
    const b = mem.bytes[id], o = mem.offset;
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]);
    return signed ? signedOf(v, size * 8) & M64 : v;
  };

  const or = (): EvalResult => {
    let l = and();
    while (peek() === '||') { p++; const r = and(); l = bool(num(l) !== 0n || num(r) !== 0n); }
    return l;
  };
  const and = (): EvalResult => {
    let l = cmp();
    while (peek() === '&&') { p++; const r = cmp(); l = bool(num(l) !== 0n && num(r) !== 0n); }
    return l;
  };
  const cmp = (): EvalResult => {
    const l = bin(0);
    const op = peek();
    if (op === '==' || op === '!=' || op === '<' || op === '>' || op === '<=' || op === '>=') {
      p++;
      const a = num(l), b = num(bin(0));
      return bool(op === '==' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b);
    }
    return l;
  };
  const LEVELS = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  const bin = (level: number): EvalResult => {
    if (level === LEVELS.length) return unary();
    let l = bin(level + 1);
    while (peek() !== undefined && LEVELS[level].includes(peek()!)) {
      const op = toks[p++];
      const a = num(l), b = num(bin(level + 1));
      let v: bigint;
      switch (op.t) {
        case '|': v = a | b; break;
        case '^': v = a ^ b; break;
        case '&': v = a & b; break;
        case '<<': v = a << (b & 63n); break;
        case '>>': v = a >> (b & 63n); break;
        case '+': v = a + b; break;
        case '-': v = a - b; break;
        case '*': v = a * b; break;
        default:
          if (b === 0n) throw new EvalError('division by zero', op.pos);
          v = op.t === '/' ? a / b : a % b;
      }
      l = val(v);
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
  const unary = (): EvalResult => {
    const at = pos();
    switch (peek()) {
      case '-': p++; return val(-num(unary()));
      case '~': p++; return val(~num(unary()));
      case '!': p++; return bool(num(unary()) === 0n);
      case '*': {
        p++;
        const c = castType();
        if (!c || !c.ptr) throw new EvalError(`a load needs a pointer cast, like *(u16 *)(r1 + 12)`, at);
        const addr = num(unary());
        const v = load(addr, c.size, c.signed, at);
        return c.signed ? { value: v, text: String(signedOf(v, 64)), type: `s${c.size * 8}` } : val(v, `u${c.size * 8}`);
      }
    }
    const c = castType();
    if (c) {
      const v = num(unary());
      if (c.ptr) return val(v, 'pointer');
      const bits = BigInt(c.size * 8);
      const t = v & ((1n << bits) - 1n);
      return c.signed ? { value: signedOf(t, c.size * 8) & M64, text: String(signedOf(t, c.size * 8)), type: `s${c.size * 8}` } : val(t, `u${c.size * 8}`);
    }
    return postfix();
  };
  const postfix = (): EvalResult => {
    const at = pos();
    const name = peek();
    const map = name ? ctx.maps.find((m) => m.name === name) : undefined;
    if (map && peek(1) === '[') {
      p += 2;
      const key = num(or());
      expect(']');
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
    }
    void at;
    return primary();
  };
  const primary = (): EvalResult => {
    const tok = toks[p];
    if (!tok) throw new EvalError('expected a value', text.length);
    p++;
    if (tok.t === '(') { const e = or(); expect(')'); return e; }
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(tok.t)) return val(BigInt(tok.t));
    const reg = /^([rw])(\d+)$/.exec(tok.t);
    if (reg && Number(reg[2]) <= 10) {
      const v = ctx.reg(Number(reg[2]));
      if (v === undefined) throw new EvalError(`registers exist only while the XDP program runs`, tok.pos);
      return reg[1] === 'w' ? val(v & 0xffffffffn, 'u32') : val(v, 'u64');
    }
    if (tok.t === 'ctx' && peek() === '->') {
      p++;
      const f = toks[p++];
      if (!f || !(f.t in XDP_MD)) throw new EvalError(`struct xdp_md has no field '${f?.t ?? ''}'`, f?.pos ?? text.length);
      const v = load(BigInt(1) << 32n | BigInt(XDP_MD[f.t]), 4, false, tok.pos);
      return f.t.startsWith('data') ? val((2n << 32n) | v, 'pkt pointer') : val(v, 'u32');
    }
    // Packet fields by the registry's names; a map of the same name (no dot) wins over a protocol.
    const field = fieldByAbbrev(tok.t);
    if (field && (tok.t.includes('.') || !ctx.maps.some((x) => x.name === tok.t))) {
      const d = ctx.packet();
      const j = fieldIndex(d, tok.t);
      if (j < 0) throw new EvalError(`the packet has no field '${tok.t}'`, tok.pos);
      if (field.type === FT.PROTOCOL) return bool(true);
      const v = d.val[j];
      const numeric = field.type !== FT.ETHER && field.type !== FT.IPv6 && field.type !== FT.BYTES && field.type !== FT.STRING && field.type !== FT.NONE && field.type !== FT.RELATIVE_TIME;
      const text = fieldText(d, j); // now: the dissection is reused by the next evaluation
      return { value: numeric ? BigInt.asUintN(64, BigInt(v)) : undefined, text, type: fieldTypeName(field) };
    }
    const m = ctx.maps.find((x) => x.name === tok.t);
    if (m) return { text: `${m.typeName} map '${m.name}' (key ${m.keySize} B, value ${m.valueSize} B, max_entries ${m.maxEntries})`, type: 'map' };
    if (tok.t.includes('.')) throw new EvalError(`'${tok.t}' is not a packet field`, tok.pos);
    throw new EvalError(`unknown name '${tok.t}'`, tok.pos);
  };

  if (toks.length === 0) throw new EvalError('empty expression', 0);
  const r = or();
  if (p < toks.length) throw new EvalError(`unexpected '${toks[p].t}'`, toks[p].pos);
  return r;
}
