// What the loader hands to the verifier, the interpreter, the JIT and the debugger: one program
// per entry point, its instructions after relocation (libbpf's layout: the entry function first,
// called sub-programs appended), the maps its `lddw`s name by number, and BTF line/func info
// in instruction indices.
import type { Btf } from './btf';
import type { ProgramDwarf } from './dwarfProgram';

/** BPF_MAP_TYPE_* (include/uapi/linux/bpf.h). */
export const enum BpfMapType {
  UNSPEC = 0, HASH = 1, ARRAY = 2, PROG_ARRAY = 3, PERF_EVENT_ARRAY = 4, PERCPU_HASH = 5, PERCPU_ARRAY = 6,
  STACK_TRACE = 7, CGROUP_ARRAY = 8, LRU_HASH = 9, LRU_PERCPU_HASH = 10, LPM_TRIE = 11, ARRAY_OF_MAPS = 12,
  HASH_OF_MAPS = 13, DEVMAP = 14, SOCKMAP = 15, CPUMAP = 16, XSKMAP = 17, SOCKHASH = 18,
  CGROUP_STORAGE = 19, REUSEPORT_SOCKARRAY = 20, PERCPU_CGROUP_STORAGE = 21, QUEUE = 22, STACK = 23,
  SK_STORAGE = 24, DEVMAP_HASH = 25, STRUCT_OPS = 26, RINGBUF = 27, INODE_STORAGE = 28, TASK_STORAGE = 29,
  BLOOM_FILTER = 30,
}

export const MAP_TYPE_NAMES: Record<number, string> = {
  0: 'unspec', 1: 'hash', 2: 'array', 3: 'prog_array', 4: 'perf_event_array', 5: 'percpu_hash',
  6: 'percpu_array', 7: 'stack_trace', 8: 'cgroup_array', 9: 'lru_hash', 10: 'lru_percpu_hash',
  11: 'lpm_trie', 12: 'array_of_maps', 13: 'hash_of_maps', 14: 'devmap', 15: 'sockmap', 16: 'cpumap',
  17: 'xskmap', 18: 'sockhash', 19: 'cgroup_storage', 20: 'reuseport_sockarray',
  21: 'percpu_cgroup_storage', 22: 'queue', 23: 'stack', 24: 'sk_storage', 25: 'devmap_hash',
  26: 'struct_ops', 27: 'ringbuf', 28: 'inode_storage', 29: 'task_storage', 30: 'bloom_filter',
};

/** map_flags bits the emulator looks at. */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;

/** A map as the object file describes it (before any instance exists). */
export interface BpfMapDef {
  /** The C name; internal global-data maps are named like libbpf names them (`xdp_samp.rodata`). */
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** LIBBPF_PIN_* (0 none, 1 by name). */
  pinning: number;
  numaNode: number;
  mapExtra: number;
  /** BTF ids of the key and value types (0 when unknown): for formatting field by field. */
  keyTypeId: number;
  valueTypeId: number;
  /** For array/hash of maps: the inner map's shape. */
  inner?: BpfMapDef;
  /** For prog_array: initial slots from `.values = { [i] = &prog }` (program names). */
  initialPrograms?: Map<number, string>;
  /** Global data (.rodata/.data/.bss): the section it stands for and its initial bytes. */
  globalSection?: string;
  initialValue?: Uint8Array;
  /** Where it came from: `.maps`, `maps` (legacy struct bpf_map_def) or the data section. */
  origin: '.maps' | 'maps' | 'global';
}

export interface LineInfo {
  /** Instruction index in the loaded program. */
  insn: number;
  file: string;
  line: number;
  col: number;
  /** The source line's text as clang recorded it in .BTF. */
  text: string;
}

export interface FuncInfo {
  insn: number;
  name: string;
  /** BTF id of the FUNC. */
  typeId: number;
}

/** Which ELF section a stretch of the loaded program came from (for `dump` and diagnostics). */
export interface ProgramPiece {
  section: string;
  /** First instruction of the piece in the section. */
  sectionInsn: number;
  /** First instruction of the piece in the loaded program. */
  insn: number;
  length: number;
  /** Function name (symbol) at the start of the piece. */
  name: string;
}

export interface BpfProgram {
  /** The entry function's name (its ELF symbol). */
  name: string;
  /** SEC() name: `xdp`, `xdp.frags`, `xdp/foo`, `tc`, ... */
  section: string;
  /** BPF_PROG_TYPE_* spelled as bpftool does: `xdp`, `sched_cls`, `kprobe`, ... */
  progType: string;
  /** `xdp.frags`: multi-buffer aware. */
  frags: boolean;
  /** Raw 8-byte instruction slots after relocation (ld_imm64 src 1/2 with imm = map number). */
  insns: Uint8Array;
  /** Every map of the object, indexed by the map numbers used in `insns`. */
  maps: BpfMapDef[];
  lineInfo: LineInfo[];
  funcInfo: FuncInfo[];
  pieces: ProgramPiece[];
  license: string;
  btf?: Btf;
  /** C variables by DWARF (objects compiled with -g), parsed on first use. */
  dwarf?: ProgramDwarf;
}

/** Index of the line_info record that covers `insn` (records cover until the next one), or -1. */
export function lineInfoIndexAt(lines: readonly LineInfo[], insn: number): number {
  let lo = 0, hi = lines.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid].insn <= insn) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}

/** The source line of an instruction (skipping nothing: line 0 records are returned as they are). */
export function lineInfoAt(p: Pick<BpfProgram, 'lineInfo'>, insn: number): LineInfo | undefined {
  const i = lineInfoIndexAt(p.lineInfo, insn);
  return i < 0 ? undefined : p.lineInfo[i];
}

/** The function (func_info) an instruction belongs to. */
export function funcInfoAt(p: Pick<BpfProgram, 'funcInfo'>, insn: number): FuncInfo | undefined {
  let best: FuncInfo | undefined;
  for (const f of p.funcInfo) if (f.insn <= insn && (!best || f.insn >= best.insn)) best = f;
  return best;
}
