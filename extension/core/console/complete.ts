// Tab completion for the NetVSC console's command lines, from the ethtool grammar's own tables
// (options, sub-arguments, feature names, flow types) and the lab's device names.
import {
  CHANNEL_PARAMS, FLOW_TYPES, OPTIONS, RING_PARAMS, RSS_HASH_FUNCS, featureWords, findOption, tokenizeLine,
} from '../ethtool/grammar';
import type { Completion } from './lineEditor';

export const CONSOLE_COMMANDS = ['ethtool', 'ip', 'help', 'clear', 'history'];
const IP_WORDS: Record<string, string[]> = {
  '': ['link'], link: ['set', 'show'], set: ['dev'], show: ['dev'],
};
const IP_SET_WORDS = ['mtu', 'xdp', 'up', 'down'];

export function completeCommandLine(line: string, cursor: number, deviceNames: readonly string[]): Completion {
  const before = line.slice(0, cursor);
  const start = /\S*$/.exec(before)!.index;
  const words = tokenizeLine(before.slice(0, start)).map((t) => t.text);
  return { start, candidates: candidatesAfter(words, deviceNames) };
}

function candidatesAfter(words: string[], devs: readonly string[]): string[] {
  if (words.length === 0) return CONSOLE_COMMANDS;
  const [prog, ...args] = words;
  if (prog === 'ip') {
    const last = args.at(-1) ?? '';
    if (last === 'dev') return [...devs];
    if (args.length >= 4 && args[0] === 'link' && args[1] === 'set') {
      if (last === 'xdp') return ['obj', 'off'];
      if (last === 'obj') return [];
      if (args.at(-2) === 'obj') return ['sec'];
      return IP_SET_WORDS;
    }
    return IP_WORDS[last] ?? [];
  }
  if (prog !== 'ethtool') return [];
  if (args.length === 0) return OPTIONS.flatMap((o) => o.flags);
  if (args.length === 1) return [...devs];
  const opt = findOption(args[0]);
  if (!opt) return [];
  const rest = args.slice(2);
  const last = rest.at(-1);
  switch (opt.kind) {
    case 'setFeatures':
      return rest.length % 2 === 1 ? ['on', 'off'] : featureWords();
    case 'setChannels': case 'setRing': {
      const params = opt.kind === 'setRing' ? RING_PARAMS : CHANNEL_PARAMS;
      if (rest.length % 2 === 1) return params[last!] === 'bool' ? ['on', 'off'] : params[last!] === 'tcpDataSplit' ? ['auto', 'on', 'off'] : [];
      return Object.keys(params).filter((p) => !rest.includes(p));
    }
    case 'showNfc': case 'setNfc':
      if (rest.length === 0) return ['rx-flow-hash'];
      if (rest.length === 1 && last === 'rx-flow-hash') return Object.keys(FLOW_TYPES);
      if (opt.kind === 'setNfc' && rest.length === 2) return ['sd', 'sdfn'];
      return [];
    case 'setRxfh':
      if (last === 'hfunc') return RSS_HASH_FUNCS;
      if (last === 'xfrm') return ['symmetric-xor', 'none'];
      return ['equal', 'weight', 'default', 'hkey', 'hfunc', 'start', 'xfrm', 'context'];
    default:
      return [];
  }
}
