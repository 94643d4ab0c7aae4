// Completion for an ethtool command line from the grammar tables: what may come at a cursor
// position (options, the device, sub-arguments, values, feature and flow-type names, letters).
import { CHANNEL_PARAMS, FLOW_TYPES, HASH_FIELD_DOCS, OPTIONS, RING_PARAMS, RSS_HASH_FUNCS, UNSUPPORTED_OPTIONS, featureWords, findOption, tokenizeLine } from './grammar';

export interface CompletionItem { label: string; detail?: string; kind: 'option' | 'device' | 'keyword' | 'value' | 'feature' | 'flowType' | 'letter' }

/** Completions for the word at `column` of `line` (a script/console line starting with `ethtool`). */
export function completeEthtool(line: string, column: number, devices: readonly string[] = ['eth0']): CompletionItem[] {
  const toks = tokenizeLine(line.slice(0, column));
  const atWordStart = column === 0 || /\s/.test(line[column - 1] ?? ' ');
  const words = toks.map((t) => t.text);
  if (words[0] === 'ethtool') words.shift();
  const prefix = atWordStart ? '' : words.pop() ?? '';
  const pos = words.length; // index of the word being completed
  const filter = (items: CompletionItem[]) => items.filter((i) => i.label.startsWith(prefix));
  if (pos === 0) {
    return filter([
      ...OPTIONS.flatMap((o) => o.flags.map((f) => ({ label: f, detail: o.summary, kind: 'option' as const }))),
      ...Object.keys(UNSUPPORTED_OPTIONS).map((f) => ({ label: f, detail: 'not implemented by hv_netvsc (Operation not supported)', kind: 'option' as const })),
      ...devices.map((d) => ({ label: d, detail: 'show link settings', kind: 'device' as const })),
    ]);
  }
  const spec = findOption(words[0]);
  if (!spec) return [];
  if (pos === 1) return filter(devices.map((d) => ({ label: d, kind: 'device' as const })));
  const args = words.slice(2);
  const k = args.length; // position among the sub-arguments
  switch (spec.kind) {
    case 'setFeatures':
      if (k % 2 === 1) return filter([{ label: 'on', kind: 'value' }, { label: 'off', kind: 'value' }]);
      return filter(featureWords().map((f) => ({ label: f, kind: 'feature' as const })));
    case 'setRing': case 'setChannels': {
      const params = spec.kind === 'setRing' ? RING_PARAMS : CHANNEL_PARAMS;
      if (k % 2 === 0) return filter(Object.keys(params).filter((p) => !args.includes(p)).map((p) => ({ label: p, kind: 'keyword' as const })));
      const kind = params[args[k - 1]];
      if (kind === 'bool') return filter([{ label: 'on', kind: 'value' }, { label: 'off', kind: 'value' }]);
      if (kind === 'tcpDataSplit') return filter(['auto', 'on', 'off'].map((v) => ({ label: v, kind: 'value' as const })));
      return [];
    }
    case 'showNfc': case 'setNfc':
      if (k === 0) return filter([{ label: 'rx-flow-hash', kind: 'keyword' }]);
      if (k === 1) return filter(Object.entries(FLOW_TYPES).map(([f, d]) => ({ label: f, detail: d || 'Ethernet flows', kind: 'flowType' as const })));
      if (k === 2 && spec.kind === 'setNfc') {
        return [{ label: prefix + (prefix.includes('s') ? '' : 's') + (prefix.includes('d') ? '' : 'd'), detail: 'addresses only (L3): keeps IP fragments on one TX queue', kind: 'letter' },
          { label: 'sdfn', detail: 'addresses and ports (L4): the default', kind: 'letter' },
          ...Object.entries(HASH_FIELD_DOCS).filter(([c]) => !prefix.includes(c)).map(([c, d]) => ({ label: prefix + c, detail: d, kind: 'letter' as const }))];
      }
      return [];
    case 'setRxfh': {
      const prev = args[k - 1];
      if (prev === 'hfunc') return filter(RSS_HASH_FUNCS.map((f) => ({ label: f, kind: 'value' as const })));
      if (prev === 'xfrm') return filter(['symmetric-xor', 'none'].map((f) => ({ label: f, kind: 'value' as const })));
      if (prev === 'context') return filter([{ label: 'new', kind: 'value' }]);
      return filter(['equal', 'weight', 'start', 'default', 'hkey', 'hfunc', 'xfrm', 'context', 'delete'].map((w) => ({ label: w, kind: 'keyword' as const })));
    }
    case 'showRxfh': return k === 0 ? filter([{ label: 'context', kind: 'keyword' }]) : [];
    case 'regs': return k % 2 === 0 ? filter(['raw', 'hex', 'file'].map((w) => ({ label: w, kind: 'keyword' as const }))) : [];
    default: return [];
  }
}
