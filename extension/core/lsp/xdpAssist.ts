// XDP-specific assists for a C document: completion, hover and signature help for BPF helpers (real
// prototypes from bpf_helper_defs.h), bpf_helpers.h macros, XDP actions and constants, struct xdp_md
// fields; CodeLens over each SEC("xdp…") program. Everything generic about C is left to clangd / the
// C/C++ extension, so nothing is offered unless it is XDP/BPF vocabulary.
import { BPF_HELPER_DEFS, type BpfHelperDef } from './bpfHelperDefs';
import { CODE, LITERAL, callContextAt, classify, identifierAt, isXdpSource, memberAccessBase, xdpMdVariables, xdpPrograms } from './cSource';
import { XDP_ATTACH_COMMAND, XDP_DEBUG_COMMAND, XDP_RUN_ON_TRACE_COMMAND } from './protocol';
import { CompletionKind, LineIndex, type CodeLens, type CompletionItem, type Hover, type Position, type SignatureHelp } from './types';
import { BPF_MACROS, XDP_ACTIONS, XDP_CONSTANTS, XDP_MD_FIELDS, type ConstantDoc, type MacroDoc } from './xdpDocs';

const HELPERS_BY_NAME = new Map<string, BpfHelperDef>(BPF_HELPER_DEFS.map((h) => [h.name, h]));
const MACROS_BY_NAME = new Map<string, MacroDoc>(BPF_MACROS.map((m) => [m.name, m]));
const CONSTANTS_BY_NAME = new Map<string, ConstantDoc>([...XDP_ACTIONS, ...XDP_CONSTANTS].map((c) => [c.name, c]));

/**
 * Helpers an XDP program typically calls (xdp_func_proto + the base set), listed first in completion.
 * Ids: map ops, ktime, printk, prandom, smp id, tail_call, redirect, perf output, csum_diff, adjust_*,
 * redirect_map, fib_lookup, queue/stack maps, spin locks, xdp_output, ktime boot, ringbuf, check_mtu,
 * for_each_map_elem, vprintk, loop, xdp buff len/load/store.
 */
const XDP_COMMON_HELPERS = new Set([1, 2, 3, 5, 6, 7, 8, 12, 23, 25, 28, 44, 51, 54, 65, 69, 87, 88, 89, 93, 94, 121, 125, 130, 131, 132, 163, 164, 177, 181, 188, 189, 190]);

/** The C declaration of a helper as bpf_helper_defs.h declares it (function form). */
export function helperPrototype(h: BpfHelperDef): string {
  const ret = h.returnType.endsWith('*') ? h.returnType : h.returnType + ' ';
  const params = h.params.length === 0 ? 'void' : h.params.map((p) => p.name ? `${p.type}${p.type.endsWith('*') ? '' : ' '}${p.name}` : p.type).join(', ');
  return `${ret}${h.name}(${params})`;
}

function helperMarkdown(h: BpfHelperDef): string {
  return `\`\`\`c\n${helperPrototype(h)}\n\`\`\`\nBPF helper #${h.id}\n\n${h.description}${h.returns ? `\n\n**Returns**\n\n${h.returns}` : ''}`;
}

function constantMarkdown(c: ConstantDoc): string {
  return `\`\`\`c\n${c.name} = ${c.value}\n\`\`\`\n${c.doc}`;
}

function macroMarkdown(m: MacroDoc): string {
  return `\`\`\`c\n#define ${m.signature}\n\`\`\`\n${m.doc}`;
}

function fieldMarkdown(f: (typeof XDP_MD_FIELDS)[number]): string {
  return `\`\`\`c\n__u32 xdp_md.${f.name}; /* offset ${f.offset} */\n\`\`\`\n${f.doc}`;
}

/** A parsed C document, cached per version by the server. */
export class XdpDocument {
  readonly cls: Uint8Array;
  readonly lines: LineIndex;
  private xdpMdVars?: Set<string>;
  constructor(readonly text: string) {
    this.cls = classify(text);
    this.lines = new LineIndex(text);
  }

  get isXdp(): boolean { return isXdpSource(this.text, this.cls); }

  private mdVars(): Set<string> {
    return this.xdpMdVars ??= xdpMdVariables(this.text, this.cls);
  }

  completion(pos: Position): CompletionItem[] {
    const offset = this.lines.offsetAt(pos);
    const at = offset > 0 ? this.cls[offset - 1] : CODE;
    // Inside SEC("…"): the section names libbpf knows for XDP and the usual data sections.
    if (at === LITERAL) {
      const lineStart = this.lines.starts[pos.line];
      const before = this.text.slice(lineStart, offset);
      const m = before.match(/\bSEC\s*\(\s*"([^"]*)$/);
      if (!m) return [];
      const typed = m[1];
      const sections: [string, string][] = [
        ['xdp', 'XDP program (BPF_PROG_TYPE_XDP)'], ['xdp.frags', 'XDP program that accepts multi-buffer frames'],
        ['.maps', 'BTF-defined maps'], ['license', 'the licence string (GPL-only helpers need "GPL")'],
      ];
      return sections.filter(([s]) => s.startsWith(typed)).map(([s, d]) => ({
        label: s, kind: CompletionKind.Module, detail: d,
        textEdit: { range: { start: this.lines.positionAt(offset - typed.length), end: pos }, newText: s },
      }));
    }
    if (at === 1 /* comment */) return [];
    const id = identifierAt(this.text, offset);
    const prefix = id && id.end === offset ? id.word : '';
    const replace = { start: this.lines.positionAt(offset - prefix.length), end: pos };
    // ctx-> : the fields of struct xdp_md.
    const base = memberAccessBase(this.text, offset - prefix.length);
    if (base !== undefined) {
      if (!this.mdVars().has(base)) return [];
      return XDP_MD_FIELDS.filter((f) => f.name.startsWith(prefix)).map((f, i) => ({
        label: f.name, kind: CompletionKind.Field, detail: `__u32 (offset ${f.offset})`, documentation: f.doc,
        sortText: String(i).padStart(2, '0'), textEdit: { range: replace, newText: f.name },
      }));
    }
    if (prefix === '') return [];
    const items: CompletionItem[] = [];
    for (const h of BPF_HELPER_DEFS) {
      if (!h.name.startsWith(prefix)) continue;
      items.push({
        label: h.name, kind: CompletionKind.Function, detail: helperPrototype(h), documentation: helperMarkdown(h),
        sortText: (XDP_COMMON_HELPERS.has(h.id) ? '1' : '3') + h.name, textEdit: { range: replace, newText: h.name },
      });
    }
    for (const m of BPF_MACROS) {
      if (!m.name.startsWith(prefix)) continue;
      items.push({ label: m.name, kind: CompletionKind.Function, detail: m.signature, documentation: m.doc, sortText: '0' + m.name, textEdit: { range: replace, newText: m.name } });
    }
    for (const c of XDP_ACTIONS) {
      if (!c.name.startsWith(prefix)) continue;
      items.push({ label: c.name, kind: CompletionKind.EnumMember, detail: `enum xdp_action = ${c.value}`, documentation: c.doc, sortText: '0' + c.value, textEdit: { range: replace, newText: c.name } });
    }
    for (const c of XDP_CONSTANTS) {
      if (!c.name.startsWith(prefix)) continue;
      items.push({ label: c.name, kind: CompletionKind.Constant, detail: `= ${c.value}`, documentation: c.doc, sortText: '2' + c.name, textEdit: { range: replace, newText: c.name } });
    }
    return items;
  }

  hover(pos: Position): Hover | undefined {
    const offset = this.lines.offsetAt(pos);
    if (this.cls[offset] !== CODE) return undefined;
    const id = identifierAt(this.text, offset);
    if (!id) return undefined;
    const range = { start: this.lines.positionAt(id.start), end: this.lines.positionAt(id.end) };
    const base = memberAccessBase(this.text, id.start);
    if (base !== undefined) {
      const f = XDP_MD_FIELDS.find((x) => x.name === id.word);
      return f && this.mdVars().has(base) ? { contents: fieldMarkdown(f), range } : undefined;
    }
    const h = HELPERS_BY_NAME.get(id.word);
    if (h) return { contents: helperMarkdown(h), range };
    const m = MACROS_BY_NAME.get(id.word);
    if (m) return { contents: macroMarkdown(m), range };
    const c = CONSTANTS_BY_NAME.get(id.word);
    if (c) return { contents: constantMarkdown(c), range };
    if (id.word === 'xdp_md' && /struct\s+$/.test(this.text.slice(Math.max(0, id.start - 16), id.start))) {
      return { contents: '```c\nstruct xdp_md {\n' + XDP_MD_FIELDS.map((f) => `\t__u32 ${f.name};`).join('\n') + '\n};\n```\nThe XDP program\'s context (24 bytes).', range };
    }
    return undefined;
  }

  signatureHelp(pos: Position): SignatureHelp | undefined {
    const offset = this.lines.offsetAt(pos);
    if (offset > 0 && this.cls[offset - 1] !== CODE) return undefined;
    const call = callContextAt(this.text, this.cls, offset);
    if (!call) return undefined;
    const h = HELPERS_BY_NAME.get(call.name);
    if (h) {
      const label = helperPrototype(h);
      const open = label.indexOf('(') + 1;
      const parameters: { label: [number, number] }[] = [];
      let cursor = open;
      for (const p of h.params) {
        const text = p.name ? `${p.type}${p.type.endsWith('*') ? '' : ' '}${p.name}` : p.type;
        const start = label.indexOf(text, cursor);
        parameters.push({ label: [start, start + text.length] });
        cursor = start + text.length;
      }
      const variadic = h.params.length > 0 && h.params[h.params.length - 1].type === '...';
      const active = variadic ? Math.min(call.argIndex, h.params.length - 1) : call.argIndex;
      return { signatures: [{ label, documentation: h.description, parameters }], activeSignature: 0, activeParameter: active };
    }
    const m = MACROS_BY_NAME.get(call.name);
    if (m) {
      const parameters: { label: [number, number] }[] = [];
      let cursor = m.signature.indexOf('(') + 1;
      for (const p of m.params) {
        const start = m.signature.indexOf(p, cursor);
        parameters.push({ label: [start, start + p.length] });
        cursor = start + p.length;
      }
      return { signatures: [{ label: m.signature, documentation: m.doc, parameters }], activeSignature: 0, activeParameter: Math.min(call.argIndex, m.params.length - 1) };
    }
    return undefined;
  }

  /** "Attach to eth0", "Run on trace…", "Debug" above each XDP program; arguments (uri, section, function). */
  codeLenses(uri: string, ifname = 'eth0'): CodeLens[] {
    const lenses: CodeLens[] = [];
    for (const p of xdpPrograms(this.text, this.cls)) {
      const start = this.lines.positionAt(p.secOffset);
      const range = { start, end: start };
      const args = [uri, p.section, p.functionName];
      lenses.push({ range, command: { title: `Attach to ${ifname}`, command: XDP_ATTACH_COMMAND, arguments: args } });
      lenses.push({ range, command: { title: 'Run on trace…', command: XDP_RUN_ON_TRACE_COMMAND, arguments: args } });
      lenses.push({ range, command: { title: 'Debug', command: XDP_DEBUG_COMMAND, arguments: args } });
    }
    return lenses;
  }
}
