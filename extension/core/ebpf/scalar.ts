// The verifier's knowledge about a 64-bit value: unsigned and signed bounds plus a tnum
// (tristate number: known bits `value`, unknown bits `mask`), as kernel/bpf/tnum.c and the
// bounds logic of kernel/bpf/verifier.c keep them. BigInt is fine here: this runs once per load,
// never per packet.

export const U64_MAX = (1n << 64n) - 1n;
export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const U32_MAX = 0xffffffffn;

export interface Scalar {
  readonly umin: bigint;
  readonly umax: bigint;
  readonly smin: bigint;
  readonly smax: bigint;
  /** tnum value (known bits) */
  readonly tv: bigint;
  /** tnum mask (unknown bits) */
  readonly tm: bigint;
}

export const toS64 = (u: bigint): bigint => BigInt.asIntN(64, u);
export const toU64 = (s: bigint): bigint => BigInt.asUintN(64, s);

export const UNKNOWN: Scalar = { umin: 0n, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX, tv: 0n, tm: U64_MAX };

export function konst(v: bigint): Scalar {
  const u = toU64(v);
  const s = toS64(u);
  return { umin: u, umax: u, smin: s, smax: s, tv: u, tm: 0n };
}

export const isConst = (s: Scalar): boolean => s.tm === 0n;

/** An unknown value of `bytes` width (a zero-extended load). */
export function unknownWidth(bytes: number): Scalar {
  if (bytes >= 8) return UNKNOWN;
  const max = (1n << BigInt(bytes * 8)) - 1n;
  return { umin: 0n, umax: max, smin: 0n, smax: max, tv: 0n, tm: max };
}

export function range(umin: bigint, umax: bigint): Scalar { return sync({ ...UNKNOWN, umin, umax }); }

function fls64(x: bigint): number { return x === 0n ? 0 : x.toString(2).length; }

export function tnumRange(min: bigint, max: bigint): { tv: bigint; tm: bigint } {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return { tv: 0n, tm: U64_MAX };
  const delta = (1n << BigInt(bits)) - 1n;
  return { tv: min & ~delta & U64_MAX, tm: delta };
}

/** Tightens bounds against each other and the tnum; returns undefined when they contradict (dead branch). */
export function syncOrBottom(s: Scalar): Scalar | undefined {
  let { umin, umax, smin, smax, tv, tm } = s;
  for (let round = 0; round < 2; round++) {
    // tnum -> bounds
    if (tv > umin) umin = tv;
    if ((tv | tm) < umax) umax = tv | tm;
    const signKnown = ((tm >> 63n) & 1n) === 0n;
    if (signKnown) {
      const lo = toS64(tv), hi = toS64(tv | tm);
      // With the sign bit known, the tnum spans a range of one sign.
      const a = lo < hi ? lo : hi, b = lo < hi ? hi : lo;
      if (a > smin) smin = a;
      if (b < smax) smax = b;
    }
    // unsigned <-> signed
    if (umax <= S64_MAX || umin > S64_MAX) {
      const a = toS64(umin), b = toS64(umax);
      if (a > smin) smin = a;
      if (b < smax) smax = b;
    }
    if (smin >= 0n) {
      if (smin > umin) umin = smin;
      if (smax < umax) umax = smax;
    } else if (smax < 0n) {
      if (toU64(smin) > umin) umin = toU64(smin);
      if (toU64(smax) < umax) umax = toU64(smax);
    }
    if (umin > umax || smin > smax) return undefined;
    // bounds -> tnum
    const r = tnumRange(umin, umax);
    if (((tv ^ r.tv) & ~tm & ~r.tm & U64_MAX) !== 0n) return undefined;
    tm = tm & r.tm;
    tv = (tv | r.tv) & ~tm & U64_MAX;
  }
  return { umin, umax, smin, smax, tv, tm };
}

export function sync(s: Scalar): Scalar { return syncOrBottom(s) ?? s; }

const mask64 = (x: bigint) => x & U64_MAX;

export function tnumAdd(a: Scalar, b: Scalar): { tv: bigint; tm: bigint } {
  const sm = mask64(a.tm + b.tm), sv = mask64(a.tv + b.tv);
  const sigma = mask64(sm + sv), chi = sigma ^ sv, mu = chi | a.tm | b.tm;
  return { tv: sv & ~mu & U64_MAX, tm: mu };
}

export function tnumSub(a: Scalar, b: Scalar): { tv: bigint; tm: bigint } {
  const dv = mask64(a.tv - b.tv);
  const alpha = mask64(dv + a.tm), beta = mask64(dv - b.tm);
  const chi = alpha ^ beta, mu = chi | a.tm | b.tm;
  return { tv: dv & ~mu & U64_MAX, tm: mu };
}

/** dst OP src on 64 bits (ALU64 semantics; division by zero as the ISA defines it). */
export function alu64(op: number, a: Scalar, b: Scalar): Scalar {
  if (isConst(a) && isConst(b)) return konst(constOp64(op, a.tv, b.tv));
  switch (op) {
    case 0x00: { // add
      const t = tnumAdd(a, b);
      const umin = a.umin + b.umin, umax = a.umax + b.umax;
      const smin = a.smin + b.smin, smax = a.smax + b.smax;
      const uok = umax <= U64_MAX, sok = smin >= S64_MIN && smax <= S64_MAX;
      return sync({ umin: uok ? umin : 0n, umax: uok ? umax : U64_MAX, smin: sok ? smin : S64_MIN, smax: sok ? smax : S64_MAX, ...t });
    }
    case 0x10: { // sub
      const t = tnumSub(a, b);
      const uok = a.umin >= b.umax;
      const smin = a.smin - b.smax, smax = a.smax - b.smin;
      const sok = smin >= S64_MIN && smax <= S64_MAX;
      return sync({ umin: uok ? a.umin - b.umax : 0n, umax: uok ? a.umax - b.umin : U64_MAX, smin: sok ? smin : S64_MIN, smax: sok ? smax : S64_MAX, ...t });
    }
    case 0x20: { // mul
      if (a.umax * b.umax <= U64_MAX && a.smin >= 0n && b.smin >= 0n) return range(a.umin * b.umin, a.umax * b.umax);
      return UNKNOWN;
    }
    case 0x50: { // and
      const av = a.tv | a.tm, bv = b.tv | b.tm, v = a.tv & b.tv;
      const umax = a.umax < b.umax ? a.umax : b.umax;
      return sync({ ...UNKNOWN, umin: v, umax, tv: v, tm: av & bv & ~v & U64_MAX });
    }
    case 0x40: { // or
      const v = a.tv | b.tv, mu = (a.tm | b.tm) & ~v & U64_MAX;
      return sync({ ...UNKNOWN, umin: a.umin > b.umin ? a.umin : b.umin, tv: v, tm: mu });
    }
    case 0xa0: { // xor
      const mu = a.tm | b.tm;
      return sync({ ...UNKNOWN, tv: (a.tv ^ b.tv) & ~mu & U64_MAX, tm: mu });
    }
    case 0x60: case 0x70: case 0xc0: { // lsh rsh arsh
      if (!isConst(b)) return op === 0x70 ? range(0n, a.umax) : UNKNOWN;
      const k = b.tv & 63n;
      if (op === 0x60) {
        const t = { tv: mask64(a.tv << k), tm: mask64(a.tm << k) };
        if ((a.umax << k) <= U64_MAX) return sync({ ...UNKNOWN, umin: a.umin << k, umax: a.umax << k, ...t });
        return sync({ ...UNKNOWN, ...t });
      }
      if (op === 0x70) return sync({ ...UNKNOWN, umin: a.umin >> k, umax: a.umax >> k, tv: a.tv >> k, tm: a.tm >> k });
      return sync({ ...UNKNOWN, smin: a.smin >> k, smax: a.smax >> k, tv: toU64(toS64(a.tv) >> k), tm: toU64(toS64(a.tm) >> k) });
    }
    case 0x30: // div
      if (isConst(b) && b.tv !== 0n) return range(a.umin / b.tv, a.umax / b.tv);
      return range(0n, a.umax);
    case 0x90: // mod
      if (isConst(b) && b.tv !== 0n) return range(0n, a.umax < b.tv - 1n ? a.umax : b.tv - 1n);
      return UNKNOWN;
    default:
      return UNKNOWN;
  }
}

export function constOp64(op: number, a: bigint, b: bigint): bigint {
  switch (op) {
    case 0x00: return mask64(a + b);
    case 0x10: return mask64(a - b);
    case 0x20: return mask64(a * b);
    case 0x30: return b === 0n ? 0n : a / b;
    case 0x40: return a | b;
    case 0x50: return a & b;
    case 0x60: return mask64(a << (b & 63n));
    case 0x70: return a >> (b & 63n);
    case 0x80: return mask64(-a);
    case 0x90: return b === 0n ? a : a % b;
    case 0xa0: return a ^ b;
    case 0xb0: return b;
    case 0xc0: return toU64(toS64(a) >> (b & 63n));
    default: return 0n;
  }
}

/** The low 32 bits of a value, as the verifier knows them (zero-extended). */
export function lower32(s: Scalar): Scalar {
  if (isConst(s)) return konst(s.tv & U32_MAX);
  if (s.umax <= U32_MAX) return s;
  return sync({ ...UNKNOWN, umin: 0n, umax: U32_MAX, tv: s.tv & U32_MAX, tm: s.tm & U32_MAX });
}

/** dst OP src on 32 bits, zero-extended into 64 (ALU class). */
export function alu32(op: number, a: Scalar, b: Scalar): Scalar {
  const x = lower32(a), y = lower32(b);
  if (isConst(x) && isConst(y)) {
    const av = x.tv, bv = y.tv;
    let r: bigint;
    switch (op) {
      case 0x30: r = bv === 0n ? 0n : av / bv; break;
      case 0x90: r = bv === 0n ? av : av % bv; break;
      case 0x60: r = av << (bv & 31n); break;
      case 0x70: r = av >> (bv & 31n); break;
      case 0xc0: r = BigInt.asUintN(32, BigInt.asIntN(32, av) >> (bv & 31n)); break;
      default: r = constOp64(op, av, bv);
    }
    return konst(r & U32_MAX);
  }
  if (op === 0xc0 || op === 0x80) return unknownWidth(4);
  const r = alu64(op, x, op === 0x60 || op === 0x70 ? (isConst(y) ? konst(y.tv & 31n) : y) : y);
  return lower32(r);
}

/** What a conditional jump's outcome is known to be: 1 taken, 0 not taken, -1 unknown. */
export function branchTaken(op: number, a: Scalar, b: Scalar): number {
  switch (op) {
    case 0x10: // jeq
      if (isConst(a) && isConst(b)) return a.tv === b.tv ? 1 : 0;
      if (a.umin > b.umax || a.umax < b.umin || a.smin > b.smax || a.smax < b.smin) return 0;
      if (((a.tv ^ b.tv) & ~a.tm & ~b.tm) !== 0n) return 0;
      return -1;
    case 0x50: { const r = branchTaken(0x10, a, b); return r < 0 ? -1 : 1 - r; } // jne
    case 0x20: return a.umin > b.umax ? 1 : a.umax <= b.umin ? 0 : -1; // jgt
    case 0x30: return a.umin >= b.umax ? 1 : a.umax < b.umin ? 0 : -1; // jge
    case 0xa0: return a.umax < b.umin ? 1 : a.umin >= b.umax ? 0 : -1; // jlt
    case 0xb0: return a.umax <= b.umin ? 1 : a.umin > b.umax ? 0 : -1; // jle
    case 0x60: return a.smin > b.smax ? 1 : a.smax <= b.smin ? 0 : -1; // jsgt
    case 0x70: return a.smin >= b.smax ? 1 : a.smax < b.smin ? 0 : -1; // jsge
    case 0xc0: return a.smax < b.smin ? 1 : a.smin >= b.smax ? 0 : -1; // jslt
    case 0xd0: return a.smax <= b.smin ? 1 : a.smin > b.smax ? 0 : -1; // jsle
    case 0x40: // jset
      if ((a.tv & b.tv) !== 0n) return 1;
      if (((a.tv | a.tm) & (b.tv | b.tm)) === 0n) return 0;
      return -1;
    default: return -1;
  }
}

/**
 * Refines both operands for the branch where `a OP b` is `taken`. Returns undefined when that
 * branch is impossible.
 */
export function refine(op: number, a: Scalar, b: Scalar, taken: boolean): [Scalar, Scalar] | undefined {
  // Express the not-taken branch as the negated comparison.
  let o = op;
  if (!taken) {
    const neg: Record<number, number> = { 0x10: 0x50, 0x50: 0x10, 0x20: 0xb0, 0xb0: 0x20, 0x30: 0xa0, 0xa0: 0x30, 0x60: 0xd0, 0xd0: 0x60, 0x70: 0xc0, 0xc0: 0x70 };
    if (op === 0x40) {
      // !(a & b): bits of a constant b are known zero in a.
      if (isConst(b)) { const na = syncOrBottom({ ...a, tv: a.tv & ~b.tv & U64_MAX, tm: a.tm & ~b.tv & U64_MAX }); return na ? [na, b] : undefined; }
      return [a, b];
    }
    o = neg[op];
  }
  let x: Scalar | undefined = a, y: Scalar | undefined = b;
  const max = (p: bigint, q: bigint) => (p > q ? p : q), min = (p: bigint, q: bigint) => (p < q ? p : q);
  switch (o) {
    case 0x10: { // eq: intersect
      const i = { umin: max(a.umin, b.umin), umax: min(a.umax, b.umax), smin: max(a.smin, b.smin), smax: min(a.smax, b.smax), tv: a.tv | b.tv, tm: a.tm & b.tm };
      if (((a.tv ^ b.tv) & ~a.tm & ~b.tm) !== 0n) return undefined;
      x = syncOrBottom({ ...i, tv: i.tv & ~i.tm & U64_MAX }); y = x;
      break;
    }
    case 0x50: // ne: only trims a constant from an edge
      if (isConst(b)) x = trimEdge(a, b.tv);
      if (isConst(a)) y = trimEdge(b, a.tv);
      break;
    case 0x20: x = syncOrBottom({ ...a, umin: max(a.umin, b.umin + 1n) }); y = syncOrBottom({ ...b, umax: min(b.umax, a.umax - 1n) }); break;
    case 0x30: x = syncOrBottom({ ...a, umin: max(a.umin, b.umin) }); y = syncOrBottom({ ...b, umax: min(b.umax, a.umax) }); break;
    case 0xa0: x = syncOrBottom({ ...a, umax: min(a.umax, b.umax - 1n) }); y = syncOrBottom({ ...b, umin: max(b.umin, a.umin + 1n) }); break;
    case 0xb0: x = syncOrBottom({ ...a, umax: min(a.umax, b.umax) }); y = syncOrBottom({ ...b, umin: max(b.umin, a.umin) }); break;
    case 0x60: x = syncOrBottom({ ...a, smin: max(a.smin, b.smin + 1n) }); y = syncOrBottom({ ...b, smax: min(b.smax, a.smax - 1n) }); break;
    case 0x70: x = syncOrBottom({ ...a, smin: max(a.smin, b.smin) }); y = syncOrBottom({ ...b, smax: min(b.smax, a.smax) }); break;
    case 0xc0: x = syncOrBottom({ ...a, smax: min(a.smax, b.smax - 1n) }); y = syncOrBottom({ ...b, smin: max(b.smin, a.smin + 1n) }); break;
    case 0xd0: x = syncOrBottom({ ...a, smax: min(a.smax, b.smax) }); y = syncOrBottom({ ...b, smin: max(b.smin, a.smin) }); break;
    default: break;
  }
  if (!x || !y) return undefined;
  return [x, y];
}

function trimEdge(a: Scalar, c: bigint): Scalar | undefined {
  let { umin, umax, smin, smax } = a;
  if (umin === c) umin++;
  if (umax === c) umax--;
  const sc = toS64(c);
  if (smin === sc) smin++;
  if (smax === sc) smax--;
  return syncOrBottom({ ...a, umin, umax, smin, smax });
}

/** old ⊇ new: every value `n` may take, `o` allowed too (for state pruning). */
export function scalarIncludes(o: Scalar, n: Scalar): boolean {
  return o.umin <= n.umin && o.umax >= n.umax && o.smin <= n.smin && o.smax >= n.smax &&
    (n.tm & ~o.tm) === 0n && ((o.tv ^ n.tv) & ~o.tm) === 0n;
}

export function scalarEqual(a: Scalar, b: Scalar): boolean {
  return a.umin === b.umin && a.umax === b.umax && a.smin === b.smin && a.smax === b.smax && a.tv === b.tv && a.tm === b.tm;
}

/** The kernel's register-state notation for a scalar: `1`, `scalar()`, `scalar(umax=255,var_off=(0x0; 0xff))`. */
export function formatScalar(s: Scalar): string {
  if (isConst(s)) return toS64(s.tv).toString();
  const parts: string[] = [];
  if (s.smin !== S64_MIN && s.smin !== toS64(s.umin)) parts.push(`smin=${s.smin}`);
  if (s.smax !== S64_MAX && s.smax !== toS64(s.umax)) parts.push(`smax=${s.smax}`);
  if (s.umin !== 0n) parts.push(`umin=${s.umin}`);
  if (s.umax !== U64_MAX) parts.push(`umax=${s.umax}`);
  if (s.tm !== U64_MAX) parts.push(`var_off=(0x${s.tv.toString(16)}; 0x${s.tm.toString(16)})`);
  return `scalar(${parts.join(',')})`;
}
