// Language smarts for `.ethtool` scripts: completion and hover from the one ethtool grammar
// (extension/core/ethtool/grammar.ts: options, sub-arguments, flow types, feature names, token roles)
// plus the emulated device's state at that line; document symbols; formatting; quick fixes; the
// "Run on eth0" CodeLens. Diagnostics come from ethtoolScript.ts (running the script).
import {
  CHANNEL_PARAMS, FLOW_TYPES, HASH_FIELD_DOCS, OFF_FLAGS, OPTIONS, RING_PARAMS, RSS_HASH_FUNCS, UNSUPPORTED_OPTIONS,
  expandFeatureWord, featureWords, findOption, parseEthtool, tokenizeLine, type Token,
} from '../ethtool/grammar';
import { featureBit, hasFeature } from '../netvsc/features';
import {
  CHANNEL_PARAM_DOCS, FEATURE_NETVSC_DOCS, IP_LINK_DOCS, NETVSC_HASH_FIELD_SETS, NETVSC_L4HASH_FLOWS, OPTION_NETVSC_DOCS,
  RING_PARAM_DOCS,
} from './ethtoolDocs';
import {
  analyzeScript, CODE_RX_FLOW_HASH_FIELDS, CODE_XDP_NEEDS_LRO_OFF, snapshotBefore, type DeviceSnapshot, type ScriptAnalysis, type ScriptCheckOptions,
} from './ethtoolScript';
import { ETHTOOL_RUN_SCRIPT_COMMAND } from './protocol';
import {
  CompletionKind, SymbolKind, type CodeAction, type CodeLens, type CompletionItem, type Diagnostic, type DocumentSymbol,
  type Hover, type Position, type Range, type TextEdit,
} from './types';

const item = (label: string, kind: CompletionKind, detail: string | undefined, replace: Range, sort: string, documentation?: string): CompletionItem =>
  ({ label, kind, detail, documentation, sortText: sort + label, textEdit: { range: replace, newText: label } });

/** The legacy flag a kernel feature name belongs to (for its hv_netvsc doc). */
function flagOf(word: string): string | undefined {
  const f = OFF_FLAGS.find((x) => x.short === word || x.long === word);
  if (f) return f.short;
  const names = expandFeatureWord(word).names;
  return OFF_FLAGS.find((x) => names.length && expandFeatureWord(x.short).names.includes(names[0]))?.short;
}

/** Can hv_netvsc change this -K word on this device (some kernel bit of it is in hw_features or soft)? */
function featureChangeable(d: DeviceSnapshot, word: string): boolean {
  const names = expandFeatureWord(word).names;
  return names.some((n) => hasFeature(d.hwFeatures, featureBit(n)));
}

function featureState(d: DeviceSnapshot, word: string): string {
  const names = expandFeatureWord(word).names;
  const on = names.some((n) => hasFeature(d.features, featureBit(n)));
  return `${on ? 'on' : 'off'}${featureChangeable(d, word) ? '' : ' [fixed]'}`;
}

function featureDoc(d: DeviceSnapshot, word: string): string {
  const flag = flagOf(word);
  const names = expandFeatureWord(word).names;
  const parts = [`**${word}**${names.length > 1 || names[0] !== word ? ` (${names.join(', ')})` : ''}: now \`${featureState(d, word)}\` on ${d.ifname}.`];
  if (flag && FEATURE_NETVSC_DOCS[flag]) parts.push(FEATURE_NETVSC_DOCS[flag]);
  else if (!featureChangeable(d, word)) parts.push('hv_netvsc cannot change it (not in hw_features): `ethtool -K` reports "Could not change any device features".');
  return parts.join('\n\n');
}

function optionDoc(flag: string): string | undefined {
  const spec = findOption(flag);
  if (spec) {
    const usage = `ethtool ${spec.flags.join('|')} DEVNAME${spec.usage}`;
    return `\`${usage}\`\n\n${spec.summary}.\n\n**hv_netvsc:** ${OPTION_NETVSC_DOCS[spec.kind] ?? ''}`.trim();
  }
  const uns = UNSUPPORTED_OPTIONS[flag];
  if (uns) return `\`ethtool ${flag} DEVNAME\`\n\n**hv_netvsc:** does not implement ${uns.what}: the kernel answers "Operation not supported".`;
  return undefined;
}

function flowDoc(flow: string): string {
  const settable = NETVSC_L4HASH_FLOWS.includes(flow);
  const text = FLOW_TYPES[flow] || '(ether: no text)';
  return `**${flow}**: ${text}.\n\n**hv_netvsc:** ${settable
    ? 'its hash level is a TX setting: `sdfn` hashes addresses and ports (default), `sd` addresses only.'
    : 'not settable: `-N` answers "Operation not supported"; `-n` shows `None`.'}`;
}

function hashFieldsDoc(letters: string): string {
  const lines = [...letters].map((c) => `- \`${c}\`: ${HASH_FIELD_DOCS[c] ?? 'not a hash field letter'}`);
  const sorted = [...new Set(letters)].sort().join('');
  const accepted = Object.keys(NETVSC_HASH_FIELD_SETS).find((k) => [...k].sort().join('') === sorted);
  lines.push('', accepted
    ? `**hv_netvsc** accepts it: ${NETVSC_HASH_FIELD_SETS[accepted]}.`
    : '**hv_netvsc** refuses it ("Operation not supported"): only `sd` and `sdfn` (any order) are accepted.');
  return lines.join('\n');
}

export interface EthtoolDocumentOptions extends ScriptCheckOptions {
  uri?: string;
}

/** An .ethtool document: text plus the settings of the device it is checked against. */
export class EthtoolDocument {
  readonly lines: string[];
  constructor(readonly text: string, readonly opts: EthtoolDocumentOptions = {}) {
    this.lines = text.split(/\r?\n/);
  }

  private analysisCache?: ScriptAnalysis;

  /** One run of the script per document version, shared by diagnostics, completion and hover. */
  analysis(): ScriptAnalysis {
    return this.analysisCache ??= analyzeScript(this.text, this.opts);
  }

  diagnostics(): Diagnostic[] {
    return this.analysis().diagnostics;
  }

  /** The device as the script left it just before `line`. */
  deviceBefore(line: number): DeviceSnapshot {
    return snapshotBefore(this.analysis(), line);
  }

  completion(pos: Position): CompletionItem[] {
    return completeCommandLine(this.lines[pos.line] ?? '', pos.character, this.deviceBefore(pos.line), pos.line);
  }

  hover(pos: Position): Hover | undefined {
    const lineText = this.lines[pos.line] ?? '';
    const toks = tokenizeLine(lineText);
    const idx = toks.findIndex((t) => t.start <= pos.character && pos.character <= t.end && !(t.end === pos.character && toks.some((u) => u.start === pos.character)));
    if (idx < 0) return undefined;
    const tok = toks[idx];
    const range: Range = { start: { line: pos.line, character: tok.start }, end: { line: pos.line, character: tok.end } };
    if (toks[0].text === 'ip') {
      const d = IP_LINK_DOCS[tok.text];
      return d ? { contents: `**ip link ${tok.text}**: ${d}`, range } : undefined;
    }
    if (toks[0].text !== 'ethtool' || idx === 0) return undefined;
    const parsed = parseEthtool(toks);
    const role = parsed.roles[idx - 1];
    const optTok = parsed.tokens[parsed.roles.indexOf('option')];
    const spec = optTok ? findOption(optTok.text) : undefined;
    switch (role) {
      case 'option': { const d = optionDoc(tok.text); return d ? { contents: d, range } : undefined; }
      case 'device': {
        const dev = this.deviceBefore(pos.line);
        if (tok.text !== dev.ifname) return { contents: `No device **${tok.text}** here: the emulated device is \`${dev.ifname}\`.`, range };
        return { contents: `**${dev.ifname}**: hv_netvsc on ${dev.hostName} (${dev.hostDescription}); ${dev.numChn} of ${dev.maxChn} channels, MTU ${dev.mtu}${dev.xdpName ? `, XDP program ${dev.xdpName} attached` : ''}${dev.vfName ? `, VF ${dev.vfName}` : ''} at this line.`, range };
      }
      case 'feature': return { contents: featureDoc(this.deviceBefore(pos.line), tok.text), range };
      case 'flowType': return { contents: flowDoc(tok.text), range };
      case 'hashFields': return { contents: hashFieldsDoc(tok.text), range };
      case 'keyword': {
        if (tok.text === 'rx-flow-hash') return { contents: `**rx-flow-hash**: ${OPTION_NETVSC_DOCS[spec?.kind === 'showNfc' ? 'showNfc' : 'setNfc']}`, range };
        const d = spec?.kind === 'setRing' ? RING_PARAM_DOCS[tok.text] : spec?.kind === 'setChannels' ? CHANNEL_PARAM_DOCS[tok.text] : undefined;
        return d ? { contents: `**${tok.text}**: ${d}`, range } : undefined;
      }
      default: return undefined;
    }
  }

  /** A `# comment` heading followed by commands becomes a section; each command a child. */
  symbols(): DocumentSymbol[] {
    const out: DocumentSymbol[] = [];
    let section: DocumentSymbol | undefined;
    let prevBlank = true;
    this.lines.forEach((text, line) => {
      const trimmed = text.trim();
      if (!trimmed) { prevBlank = true; return; }
      const lineRange: Range = { start: { line, character: 0 }, end: { line, character: text.length } };
      if (trimmed.startsWith('#')) {
        if (prevBlank || !section || (section.children?.length ?? 0) > 0) {
          const name = trimmed.replace(/^#+\s*/, '') || '#';
          section = { name, kind: SymbolKind.Module, range: lineRange, selectionRange: lineRange, children: [] };
          out.push(section);
        } else {
          section.range = { start: section.range.start, end: lineRange.end };
        }
        prevBlank = false;
        return;
      }
      prevBlank = false;
      const toks = tokenizeLine(text);
      const cmd = toks.map((t) => t.text).join(' ');
      const sel: Range = { start: { line, character: toks[0].start }, end: { line, character: toks[toks.length - 1].end } };
      const spec = toks[0].text === 'ethtool' && toks[1] ? findOption(toks[1].text) : undefined;
      const sym: DocumentSymbol = { name: cmd, detail: spec?.summary, kind: SymbolKind.Event, range: lineRange, selectionRange: sel };
      if (section) {
        section.children!.push(sym);
        section.range = { start: section.range.start, end: lineRange.end };
      } else out.push(sym);
    });
    return out;
  }

  /** Canonical layout: no indentation, one space between words, one before a trailing comment, no trailing blanks, at most one empty line in a row, a final newline. */
  format(): TextEdit[] {
    const out: string[] = [];
    for (const raw of this.lines) {
      const hash = raw.search(/(^|\s)#/);
      const code = hash < 0 ? raw : raw.slice(0, hash);
      const comment = hash < 0 ? '' : raw.slice(hash).trim();
      const words = code.trim().split(/\s+/).filter(Boolean).join(' ');
      const line = words && comment ? `${words} ${comment}` : words || comment;
      if (!line && (out.length === 0 || out[out.length - 1] === '')) continue;
      out.push(line);
    }
    while (out.length && out[out.length - 1] === '') out.pop();
    const formatted = out.join('\n') + '\n';
    if (formatted === this.text) return [];
    const lastLine = this.lines.length - 1;
    return [{ range: { start: { line: 0, character: 0 }, end: { line: lastLine, character: this.lines[lastLine].length } }, newText: formatted }];
  }

  codeActions(diagnostics: readonly Diagnostic[]): CodeAction[] {
    const out: CodeAction[] = [];
    for (const d of diagnostics) {
      const line = d.range.start.line;
      const text = this.lines[line] ?? '';
      const indent = text.match(/^\s*/)![0];
      if (d.code === CODE_XDP_NEEDS_LRO_OFF) {
        const words = tokenizeLine(text).map((t) => t.text);
        const di = words.indexOf('dev');
        const dev = di >= 0 ? words[di + 1] : words[3];
        out.push({
          title: `Insert 'ethtool -K ${dev} lro off' before the XDP attach`, kind: 'quickfix', diagnostics: [d], isPreferred: true,
          edits: [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, newText: `${indent}ethtool -K ${dev} lro off\n` }],
        });
      } else if (d.code === CODE_RX_FLOW_HASH_FIELDS) {
        for (const [fields, meaning] of Object.entries(NETVSC_HASH_FIELD_SETS)) {
          out.push({ title: `Use '${fields}' (${meaning.split(':')[0]})`, kind: 'quickfix', diagnostics: [d], edits: [{ range: d.range, newText: fields }] });
        }
      }
    }
    return out;
  }

  codeLenses(uri: string, ifname = 'eth0'): CodeLens[] {
    const first = this.lines.findIndex((l) => tokenizeLine(l).length > 0);
    if (first < 0) return [];
    const at = { line: first, character: 0 };
    return [{ range: { start: at, end: at }, command: { title: `Run on ${ifname}`, command: ETHTOOL_RUN_SCRIPT_COMMAND, arguments: [uri] } }];
  }
}

/**
 * Completion of one command line (`ethtool …`, `ip link …`, `host vf …`) against a device state: the
 * script's state before that line in the editor, the live device in the NetVSC console.
 */
export function completeCommandLine(lineText: string, character: number, dev: DeviceSnapshot, line = 0): CompletionItem[] {
  const pos = { line, character };
  const before = lineText.slice(0, pos.character);
  if (before.includes('#')) return [];
  const toks = tokenizeLine(before);
  const typing = toks.length && toks[toks.length - 1].end === pos.character ? toks.pop()! : undefined;
  const prefix = typing?.text ?? '';
  const replace: Range = { start: { line: pos.line, character: pos.character - prefix.length }, end: pos };
  const words = toks.map((t) => t.text);
  const offer = (list: CompletionItem[]) => list.filter((i) => i.label.startsWith(prefix));
  if (words.length === 0) {
    return offer([
      item('ethtool', CompletionKind.Keyword, 'query or control the device (ethtool 6.11)', replace, '0'),
      item('ip', CompletionKind.Keyword, 'ip link set/show (iproute2)', replace, '1'),
      item('host', CompletionKind.Keyword, 'host vf add|remove: what the Hyper-V host does with the VF', replace, '2'),
    ]);
  }
  const devItem = () => [item(dev.ifname, CompletionKind.Value, `hv_netvsc device (${dev.hostName}, ${dev.numChn} channels)`, replace, '0')];
  if (words[0] === 'ethtool') return offer(ethtoolCompletion(toks.slice(1), dev, replace, devItem));
  if (words[0] === 'ip') return offer(ipCompletion(words.slice(1), dev, replace));
  if (words[0] === 'host') {
    if (words.length === 1) return offer([item('vf', CompletionKind.Keyword, 'the SR-IOV VF (Accelerated Networking)', replace, '0')]);
    if (words.length === 2) return offer([item('add', CompletionKind.Keyword, 'the host offers a VF (serial N, mac M, state up|down)', replace, '0'), item('remove', CompletionKind.Keyword, 'the host takes the VF away', replace, '1')]);
    if (words[2] === 'add') return offer(['serial', 'mac', 'state'].map((k, i) => item(k, CompletionKind.Keyword, undefined, replace, String(i))));
  }
  return [];
}

function ethtoolCompletion(args: Token[], dev: DeviceSnapshot, replace: Range, devItem: () => CompletionItem[]): CompletionItem[] {
  if (args.length === 0) {
    const out: CompletionItem[] = [];
    OPTIONS.forEach((o, i) => {
      for (const f of o.flags) out.push(item(f, CompletionKind.Keyword, o.summary, replace, (f.startsWith('--') ? '2' : '1') + String(i).padStart(2, '0'), optionDoc(o.flags[0])));
    });
    return [...out, ...devItem()];
  }
  const parsed = parseEthtool(args);
  const spec = findOption(args[0].text);
  if (args.length === 1) return spec && spec.kind !== 'help' && spec.kind !== 'version' || UNSUPPORTED_OPTIONS[args[0].text] ? devItem() : [];
  if (!spec) return [];
  const roles = parsed.roles;
  const rest = args.slice(2);
  const lastRole = rest.length ? roles[roles.length - 1] : 'device';
  const last = rest[rest.length - 1]?.text;
  switch (spec.kind) {
    case 'setFeatures': {
      if (lastRole === 'feature') return ['on', 'off'].map((v, i) => item(v, CompletionKind.Value, undefined, replace, String(i)));
      const used = new Set(rest.filter((_, i) => i % 2 === 0).map((t) => t.text));
      return featureWords().filter((w) => !used.has(w)).map((w) => {
        const changeable = featureChangeable(dev, w);
        const flag = OFF_FLAGS.some((f) => f.short === w || f.long === w);
        return item(w, CompletionKind.Property, `${featureState(dev, w)}${changeable ? '' : ': hv_netvsc cannot change it'}`, replace,
          (changeable ? (flag ? '0' : '1') : '3'), featureDoc(dev, w));
      });
    }
    case 'setRing': case 'setChannels': {
      const params = spec.kind === 'setRing' ? RING_PARAMS : CHANNEL_PARAMS;
      const docs = spec.kind === 'setRing' ? RING_PARAM_DOCS : CHANNEL_PARAM_DOCS;
      const supported = spec.kind === 'setRing' ? ['rx', 'tx'] : ['combined'];
      if (lastRole === 'keyword' && last) return paramValues(spec.kind, last, dev, replace);
      const used = new Set(rest.filter((_, i) => i % 2 === 0).map((t) => t.text));
      return Object.keys(params).filter((p) => !used.has(p)).map((p) => item(p, CompletionKind.Property,
        supported.includes(p) ? docs[p] : `hv_netvsc refuses it: ${docs[p]}`, replace, supported.includes(p) ? '0' : '5'));
    }
    case 'showNfc': case 'setNfc': {
      if (rest.length === 0) return [item('rx-flow-hash', CompletionKind.Keyword, spec.kind === 'setNfc' ? 'on hv_netvsc: the TX hash level' : 'show the hashed fields', replace, '0')];
      if (rest.length === 1 && last === 'rx-flow-hash') {
        return Object.keys(FLOW_TYPES).map((f) => item(f, CompletionKind.EnumMember, NETVSC_L4HASH_FLOWS.includes(f) ? FLOW_TYPES[f] : `${FLOW_TYPES[f] || 'ether'}: not settable on hv_netvsc`, replace,
          NETVSC_L4HASH_FLOWS.includes(f) ? '0' : '5', flowDoc(f)));
      }
      if (spec.kind === 'setNfc' && rest.length === 2 && lastRole === 'flowType') {
        if (!NETVSC_L4HASH_FLOWS.includes(last!)) return [];
        return Object.entries(NETVSC_HASH_FIELD_SETS).map(([v, d], i) => item(v, CompletionKind.Value, d, replace, String(i), hashFieldsDoc(v)));
      }
      return [];
    }
    case 'setRxfh': {
      if (last === 'hfunc') return RSS_HASH_FUNCS.map((f) => item(f, CompletionKind.Value, f === 'toeplitz' ? 'the only function hv_netvsc has' : 'hv_netvsc refuses it (Operation not supported)', replace, f === 'toeplitz' ? '0' : '5'));
      if (last === 'equal') return Array.from({ length: dev.numChn }, (_, i) => item(String(i + 1), CompletionKind.Value, `spread over ${i + 1} of ${dev.numChn} channels`, replace, String(i).padStart(3, '0')));
      if (last === 'xfrm') return [item('none', CompletionKind.Value, undefined, replace, '0'), item('symmetric-xor', CompletionKind.Value, 'hv_netvsc refuses it (Operation not supported)', replace, '5')];
      return ['equal', 'weight', 'start', 'default', 'hkey', 'hfunc', 'xfrm', 'context', 'delete'].map((k, i) => item(k, CompletionKind.Keyword, undefined, replace, String(i)));
    }
    case 'showRxfh': return rest.length === 0 ? [item('context', CompletionKind.Keyword, 'RSS contexts: not supported by hv_netvsc', replace, '5')] : [];
    case 'regs': return rest.length % 2 === 0 ? ['raw', 'hex', 'file'].map((k, i) => item(k, CompletionKind.Keyword, undefined, replace, String(i))) : [];
    default: return [];
  }
}

function paramValues(kind: 'setRing' | 'setChannels', param: string, dev: DeviceSnapshot, replace: Range): CompletionItem[] {
  if (kind === 'setChannels') {
    if (param !== 'combined') return [];
    return Array.from({ length: dev.maxChn }, (_, i) => item(String(i + 1), CompletionKind.Value, i + 1 === dev.numChn ? 'current' : undefined, replace, String(i).padStart(3, '0')));
  }
  const max = dev.ringMax;
  if (param === 'rx') return [item(String(dev.recvSectionCnt), CompletionKind.Value, 'current', replace, '0'), item('9709', CompletionKind.Value, 'default (16 MiB)', replace, '1'), item(String(max.rx), CompletionKind.Value, 'maximum', replace, '2'), item('10', CompletionKind.Value, 'minimum', replace, '3')];
  if (param === 'tx') return [item(String(dev.sendSectionCnt), CompletionKind.Value, 'current', replace, '0'), item('170', CompletionKind.Value, 'default (1 MiB)', replace, '1'), item(String(max.tx), CompletionKind.Value, 'maximum', replace, '2'), item('10', CompletionKind.Value, 'minimum', replace, '3')];
  if (RING_PARAMS[param] === 'bool') return ['on', 'off'].map((v, i) => item(v, CompletionKind.Value, undefined, replace, String(i)));
  return [];
}

function ipCompletion(words: string[], dev: DeviceSnapshot, replace: Range): CompletionItem[] {
  if (words.length === 0) return [item('link', CompletionKind.Keyword, undefined, replace, '0')];
  if (words.length === 1) return ['set', 'show'].map((v, i) => item(v, CompletionKind.Keyword, undefined, replace, String(i)));
  const last = words[words.length - 1];
  if (last === 'dev' || (words.length === 2)) return [item('dev', CompletionKind.Keyword, undefined, replace, '1'), item(dev.ifname, CompletionKind.Value, 'hv_netvsc device', replace, '0'), ...(dev.vfName ? [item(dev.vfName, CompletionKind.Value, 'its VF', replace, '0')] : [])];
  if (words[1] !== 'set') return [];
  if (last === 'xdp') return [item('obj', CompletionKind.Keyword, 'an XDP object file (clang -O2 -g -target bpf)', replace, '0'), item('off', CompletionKind.Keyword, 'detach the program', replace, '1')];
  if (last === 'sec') return [item('xdp', CompletionKind.Value, 'the usual XDP section', replace, '0')];
  if (words[words.length - 2] === 'obj') return [item('sec', CompletionKind.Keyword, 'the program\'s ELF section', replace, '0')];
  if (last === 'mtu') return [item(String(dev.mtu), CompletionKind.Value, 'current', replace, '0'), item('1500', CompletionKind.Value, undefined, replace, '1'), item('3506', CompletionKind.Value, 'largest MTU XDP fits on hv_netvsc', replace, '2')];
  return Object.keys(IP_LINK_DOCS).map((k, i) => item(k, CompletionKind.Keyword, IP_LINK_DOCS[k], replace, String(i)));
}
