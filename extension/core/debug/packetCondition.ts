/**
 * Display-filter conditions for breakpoints (`udp.dstport == 53 && ip.src == 10.0.0.1`): the
 * subset of Wireshark's language a breakpoint condition needs — field presence, comparisons
 * (`==`/`eq`, `!=`/`ne` meaning "all not equal", `<` `>` `<=` `>=` and their word forms), `and`/`&&`,
 * `or`/`||`, `not`/`!`, parentheses, and `in {a, b}` sets, over the fields of packetFields.ts.
 *
 * The packet layer's full display-filter compiler is the place for everything else; this module
 * keeps breakpoint conditions working on its own.
 */
import { parseIPv4, parseIPv6, parseMac } from '../packet/addr';
import { fieldOccurrences, KNOWN_FIELDS, type FieldNode, type FieldValue } from './packetFields';

export class FilterSyntaxError extends Error {
  constructor(message: string, readonly column: number) { super(`${message} (column ${column + 1})`); }
}

/** A field's occurrences in the packet (an empty list when the packet has no such field). */
export type FieldLookup = (name: string) => readonly FieldValue[];
export type PacketPredicate = (fields: FieldLookup) => boolean;

/** Field lookup over a dissection tree. Protocol names (`udp`) yield one boolean when present. */
export function treeLookup(tree: readonly FieldNode[]): FieldLookup {
  return (name) => {
    const occ = fieldOccurrences(tree, name);
    if (occ.length) return occ.map((n) => n.value ?? { kind: 'bool', b: true });
    return tree.some((n) => n.name === name) ? [{ kind: 'bool', b: true }] : [];
  };
}

interface Tok { t: string; pos: number }

const OPS: Record<string, string> = {
  '==': '==', eq: '==', '!=': '!=', ne: '!=', '>': '>', gt: '>', '<': '<', lt: '<', '>=': '>=', ge: '>=', '<=': '<=', le: '<=',
};

function tokenize(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t') { i++; continue; }
    const two = text.slice(i, i + 2);
    if (['==', '!=', '>=', '<=', '&&', '||'].includes(two)) { out.push({ t: two, pos: i }); i += 2; continue; }
    if ('()<>!{},'.includes(c)) { out.push({ t: c, pos: i }); i++; continue; }
    const m = /^[A-Za-z0-9_.:\-/]+/.exec(text.slice(i));
    if (!m) throw new FilterSyntaxError(`unexpected character '${c}'`, i);
    out.push({ t: m[0], pos: i });
    i += m[0].length;
  }
  return out;
}

/** Compiles a condition; throws FilterSyntaxError naming the column. */
export function compilePacketCondition(text: string): PacketPredicate {
  const toks = tokenize(text);
  let p = 0;
  const peek = (): string | undefined => toks[p]?.t;
  const fail = (msg: string): never => { throw new FilterSyntaxError(msg, toks[p]?.pos ?? text.length); };

  const orExpr = (): PacketPredicate => {
    let l = andExpr();
    while (peek() === 'or' || peek() === '||') { p++; const a = l, b = andExpr(); l = (t) => a(t) || b(t); }
    return l;
  };
  const andExpr = (): PacketPredicate => {
    let l = notExpr();
    while (peek() === 'and' || peek() === '&&') { p++; const a = l, b = notExpr(); l = (t) => a(t) && b(t); }
    return l;
  };
  const notExpr = (): PacketPredicate => {
    if (peek() === 'not' || peek() === '!') { p++; const a = notExpr(); return (t) => !a(t); }
    return primary();
  };
  const primary = (): PacketPredicate => {
    if (peek() === '(') {
      p++;
      const e = orExpr();
      if (peek() !== ')') fail(`expected ')'`);
      p++;
      return e;
    }
    const tok = toks[p];
    if (!tok) return fail('expected a field name');
    if (!KNOWN_FIELDS.has(tok.t) && !KNOWN_FIELDS.has(tok.t.replace(/\.(addr|port)$/, '.src'))) fail(`'${tok.t}' is not a field name`);
    const field = tok.t;
    p++;
    const op = peek() !== undefined ? OPS[peek()!] : undefined;
    if (peek() === 'in') {
      p++;
      if (peek() !== '{') fail(`expected '{' after 'in'`);
      p++;
      const lits: string[] = [];
      while (peek() !== '}') {
        const l = toks[p];
        if (!l) fail(`expected '}'`);
        lits.push(l.t); p++;
        if (peek() === ',') p++;
      }
      p++;
      const tests = lits.map((l) => comparer(field, '==', l, tok.pos));
      return (t) => tests.some((f) => f(t));
    }
    if (!op) return (t) => t(field).length > 0;
    p++;
    const lit = toks[p];
    if (!lit) return fail(`expected a value after '${op}'`);
    p++;
    return comparer(field, op, lit.t, lit.pos);
  };

  const e = orExpr();
  if (p < toks.length) fail(`unexpected '${toks[p].t}'`);
  return e;
}

/** True when every name in `text` is a packet field: the condition is a display filter, not a C expression. */
export function isPacketCondition(text: string): boolean {
  try { compilePacketCondition(text); return true; } catch { return false; }
}

/** The value kind of a field, to check a literal when the condition is compiled. */
function dummyOf(field: string): FieldValue {
  if (/^(ip\.(src|dst|addr)|arp\.(src|dst)\.proto_ipv4)$/.test(field)) return { kind: 'ipv4', n: 0 };
  if (/^ipv6\.(src|dst|addr)$/.test(field)) return { kind: 'ipv6', bytes: new Uint8Array(16) };
  if (/^eth\.(src|dst|addr)$/.test(field)) return { kind: 'ether', bytes: new Uint8Array(6) };
  if (/\.flags\.\w+$/.test(field)) return { kind: 'bool', b: false };
  return { kind: 'uint', n: 0 };
}

function comparer(field: string, op: string, lit: string, pos: number): PacketPredicate {
  compareValue(dummyOf(field), lit, pos); // a bad literal is a compile error, not a surprise later
  const cmp = (v: FieldValue): number | undefined => compareValue(v, lit, pos);
  const test = (c: number): boolean => op === '==' ? c === 0 : op === '!=' ? c !== 0 : op === '>' ? c > 0 : op === '<' ? c < 0 : op === '>=' ? c >= 0 : c <= 0;
  return (t) => {
    const occ = t(field);
    if (op === '!=') return occ.length > 0 && occ.every((v) => { const c = cmp(v); return c !== undefined && c !== 0; });
    return occ.some((v) => { const c = cmp(v); return c !== undefined && test(c); });
  };
}

function compareValue(v: FieldValue, lit: string, pos: number): number | undefined {
  switch (v.kind) {
    case 'uint': {
      const n = /^0x[0-9a-f]+$/i.test(lit) ? parseInt(lit, 16) : /^\d+$/.test(lit) ? Number(lit) : NaN;
      if (Number.isNaN(n)) throw new FilterSyntaxError(`'${lit}' is not a valid number`, pos);
      return Math.sign(v.n - n);
    }
    case 'bool': {
      const b = lit === '1' || lit === 'true' || lit === 'True' ? true : lit === '0' || lit === 'false' || lit === 'False' ? false : undefined;
      if (b === undefined) throw new FilterSyntaxError(`'${lit}' is not a boolean`, pos);
      return v.b === b ? 0 : v.b ? 1 : -1;
    }
    case 'ipv4': {
      const [addr, bits] = lit.split('/');
      const n = parseIPv4(addr);
      if (n === null) throw new FilterSyntaxError(`'${lit}' is not a valid IPv4 address`, pos);
      const mask = bits === undefined ? 0xffffffff : Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
      return Math.sign(((v.n & mask) >>> 0) - ((n & mask) >>> 0));
    }
    case 'ipv6': {
      const b = parseIPv6(lit);
      if (!b) throw new FilterSyntaxError(`'${lit}' is not a valid IPv6 address`, pos);
      return bytesCompare(v.bytes, b);
    }
    case 'ether': {
      const b = parseMac(lit);
      if (!b) throw new FilterSyntaxError(`'${lit}' is not a valid Ethernet address`, pos);
      return bytesCompare(v.bytes, b);
    }
  }
}

function bytesCompare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return a.length - b.length;
}
