// ELF64 little-endian reader for eBPF relocatable objects (what `clang -target bpf -c` writes).
// Every offset and count read from the file is checked against the file's size before use, so a
// corrupt or hostile object costs at most memory proportional to its own length.

/** A problem with an object file, naming what is wrong and where (section, byte offset). */
export class BpfObjectError extends Error {
  constructor(message: string, readonly where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'BpfObjectError';
  }
}

export const EM_BPF = 247;
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** File offset of the contents. */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  addralign: number;
  /** The bytes (a view into the file); empty for SHT_NOBITS (.bss), whose size still counts. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  value: number;
  size: number;
  /** STB_* */
  bind: number;
  /** STT_* */
  type: number;
  /** Section index (or SHN_*). */
  shndx: number;
}

export interface ElfRelocation {
  /** Byte offset inside the target section. */
  offset: number;
  /** R_BPF_* */
  type: number;
  symbol: number;
}

export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  /** Relocations keyed by the index of the section they patch. */
  relocations: Map<number, ElfRelocation[]>;
  section(name: string): ElfSection | undefined;
}

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

function hex(n: number): string { return '0x' + n.toString(16); }

/** A u64 field as a number; values past 2^53 cannot be valid offsets/sizes in a file we hold. */
function u64(dv: DataView, off: number, what: string): number {
  const lo = dv.getUint32(off, true);
  const hi = dv.getUint32(off + 4, true);
  if (hi >= 0x200000) throw new BpfObjectError(`${what} ${hex(hi)}${lo.toString(16).padStart(8, '0')} is too large`, `ELF offset ${hex(off)}`);
  return hi * 0x100000000 + lo;
}

/** Reads a NUL-terminated string from a string table section. */
export function readCString(table: Uint8Array, off: number, where: string): string {
  if (off >= table.length) {
    if (off === 0 && table.length === 0) return '';
    throw new BpfObjectError(`string offset ${off} is outside the string table (size ${table.length})`, where);
  }
  let end = off;
  while (end < table.length && table[end] !== 0) end++;
  if (end === table.length) throw new BpfObjectError(`string at offset ${off} is not NUL-terminated`, where);
  let s = '';
  for (let i = off; i < end; i++) s += String.fromCharCode(table[i]);
  return s;
}

export function parseElf(input: Uint8Array): ElfFile {
  // A plain Uint8Array view: Node's Buffer.slice() shares memory, which would let patches leak.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length < EHDR_SIZE) {
    throw new BpfObjectError(`file is ${bytes.length} bytes, shorter than the 64-byte ELF64 header (truncated?)`, 'ELF header');
  }
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new BpfObjectError('not an ELF file (bad magic; expected 7f 45 4c 46)', 'ELF header');
  }
  if (bytes[4] !== 2) throw new BpfObjectError(`ELF class ${bytes[4]} is not ELFCLASS64 (2); eBPF objects are 64-bit`, 'ELF header');
  if (bytes[5] !== 1) {
    throw new BpfObjectError(`ELF data encoding ${bytes[5]} is not little-endian (ELFDATA2LSB = 1)${bytes[5] === 2 ? ': a big-endian (bpfeb) object cannot run on x86' : ''}`, 'ELF header');
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_BPF) throw new BpfObjectError(`machine ${machine} is not EM_BPF (247): not an eBPF object`, 'ELF header');
  const eType = dv.getUint16(16, true);
  if (eType !== 1) throw new BpfObjectError(`ELF type ${eType} is not ET_REL (1): expected a relocatable object from clang -c`, 'ELF header');
  const shoff = u64(dv, 40, 'e_shoff');
  const shentsize = dv.getUint16(58, true);
  let shnum = dv.getUint16(60, true);
  let shstrndx = dv.getUint16(62, true);
  if (shoff === 0) throw new BpfObjectError('no section header table (e_shoff = 0)', 'ELF header');
  if (shentsize !== SHDR_SIZE) throw new BpfObjectError(`section header size ${shentsize} is not 64`, 'ELF header');
  if (shoff + SHDR_SIZE > bytes.length) {
    throw new BpfObjectError(`section header table at ${hex(shoff)} is past the end of the file (${bytes.length} bytes; truncated?)`, 'ELF header');
  }
  // Extended numbering: counts that do not fit 16 bits live in section 0.
  if (shnum === 0) shnum = u64(dv, shoff + 32, 'section count');
  if (shstrndx === 0xffff) shstrndx = dv.getUint32(shoff + 40, true);
  if (shnum * SHDR_SIZE > bytes.length - shoff) {
    throw new BpfObjectError(`${shnum} section headers at ${hex(shoff)} do not fit in the file (${bytes.length} bytes; truncated?)`, 'ELF header');
  }

  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) {
    const h = shoff + i * SHDR_SIZE;
    const type = dv.getUint32(h + 4, true);
    const offset = u64(dv, h + 24, `section ${i} offset`);
    const size = u64(dv, h + 32, `section ${i} size`);
    if (type !== SHT_NOBITS && type !== SHT_NULL && offset + size > bytes.length) {
      throw new BpfObjectError(`contents [${hex(offset)}, ${hex(offset + size)}) run past the end of the file (${bytes.length} bytes)`, `section ${i}`);
    }
    sections.push({
      index: i, name: '', type,
      flags: u64(dv, h + 8, `section ${i} flags`),
      offset, size,
      link: dv.getUint32(h + 40, true),
      info: dv.getUint32(h + 44, true),
      addralign: u64(dv, h + 48, `section ${i} alignment`),
      entsize: u64(dv, h + 56, `section ${i} entry size`),
      data: type === SHT_NOBITS || type === SHT_NULL ? new Uint8Array(0) : bytes.subarray(offset, offset + size),
    });
  }
  if (shstrndx >= sections.length) throw new BpfObjectError(`section-name table index ${shstrndx} is out of range (${sections.length} sections)`, 'ELF header');
  const shstr = sections[shstrndx].data;
  for (const s of sections) s.name = s.index === 0 ? '' : readCString(shstr, dv.getUint32(shoff + s.index * SHDR_SIZE, true), `name of section ${s.index}`);

  const symbols: ElfSymbol[] = [];
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (symtab) {
    if (symtab.link >= sections.length) throw new BpfObjectError(`string table index ${symtab.link} is out of range`, `section ${symtab.name}`);
    const strtab = sections[symtab.link].data;
    const n = Math.floor(symtab.size / SYM_SIZE);
    for (let i = 0; i < n; i++) {
      const o = symtab.offset + i * SYM_SIZE;
      const info = bytes[o + 4];
      const shndx = dv.getUint16(o + 6, true);
      symbols.push({
        index: i,
        name: readCString(strtab, dv.getUint32(o, true), `name of symbol ${i}`),
        bind: info >> 4, type: info & 0xf, shndx,
        value: u64(dv, o + 8, `symbol ${i} value`),
        size: u64(dv, o + 16, `symbol ${i} size`),
      });
    }
  }

  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type === SHT_RELA) throw new BpfObjectError('RELA relocations are not used by BPF objects', `section ${s.name}`);
    if (s.type !== SHT_REL) continue;
    if (s.info >= sections.length) throw new BpfObjectError(`patches section index ${s.info}, which does not exist`, `section ${s.name}`);
    const target = sections[s.info];
    const list: ElfRelocation[] = [];
    const n = Math.floor(s.size / REL_SIZE);
    for (let i = 0; i < n; i++) {
      const o = s.offset + i * REL_SIZE;
      const offset = u64(dv, o, 'relocation offset');
      const type = dv.getUint32(o + 8, true);
      const symbol = dv.getUint32(o + 12, true);
      if (symbol >= symbols.length) {
        throw new BpfObjectError(`relocation ${i} names symbol ${symbol}, past the symbol table (${symbols.length} symbols)`, `section ${s.name}`);
      }
      if (target.type !== SHT_NOBITS && offset >= target.size) {
        throw new BpfObjectError(`relocation ${i} at offset ${hex(offset)} is outside ${target.name} (size ${hex(target.size)})`, `section ${s.name}`);
      }
      list.push({ offset, type, symbol });
    }
    relocations.set(s.info, (relocations.get(s.info) ?? []).concat(list));
  }

  // Section symbols have no name of their own; tools (and messages) call them by their section's.
  for (const y of symbols) if (y.type === STT_SECTION && !y.name && y.shndx < sections.length) y.name = sections[y.shndx].name;
  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);
  return { sections, symbols, relocations, section: (name) => byName.get(name) };
}
