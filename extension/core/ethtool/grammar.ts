// ethtool's command line (ethtool 6.11), as data: the options netvsc answers, their
// sub-arguments and valid values, feature and flow-type names. One parser turns a command line
// into a typed request with every token's position and role, for the executor, the console,
// the tree's actions and the language server (completion, diagnostics).
import { FEATURE_NAMES } from '../netvsc/features';

export interface Token { text: string; start: number; end: number }

export type TokenRole = 'option' | 'device' | 'keyword' | 'value' | 'feature' | 'onoff' | 'flowType' | 'hashFields' | 'unknown';

export interface OptionSpec {
  /** Request kind produced. */
  kind: RequestKind;
  flags: string[];
  summary: string;
  /** Usage text after DEVNAME, as `ethtool -h` prints it. */
  usage: string;
  /** Named sub-arguments (name -> value kind) for keyword/value style options. */
  params?: Record<string, ParamKind>;
  /** Goes through netlink (errors "netlink error: ...") rather than the ioctl path. */
  netlink: boolean;
}

export type ParamKind = 'u32' | 'bool' | 'tcpDataSplit' | 'flag';

export type RequestKind = 'settings' | 'driver' | 'showFeatures' | 'setFeatures' | 'showRing' | 'setRing' | 'showChannels'
  | 'setChannels' | 'showNfc' | 'setNfc' | 'showRxfh' | 'setRxfh' | 'stats' | 'regs' | 'help' | 'version' | 'unsupported';

export const RING_PARAMS: Record<string, ParamKind> = {
  rx: 'u32', 'rx-mini': 'u32', 'rx-jumbo': 'u32', tx: 'u32', 'rx-buf-len': 'u32', 'cqe-size': 'u32',
  'tx-push': 'bool', 'rx-push': 'bool', 'tx-push-buf-len': 'u32', 'tcp-data-split': 'tcpDataSplit',
};
export const CHANNEL_PARAMS: Record<string, ParamKind> = { rx: 'u32', tx: 'u32', other: 'u32', combined: 'u32' };

export const OPTIONS: OptionSpec[] = [
  { kind: 'driver', flags: ['-i', '--driver'], summary: 'Show driver information', usage: '', netlink: false },
  { kind: 'showFeatures', flags: ['-k', '--show-features', '--show-offload'], summary: 'Get state of protocol offload and other features', usage: '', netlink: true },
  { kind: 'setFeatures', flags: ['-K', '--features', '--offload'], summary: 'Set protocol offload and other features', usage: ' FEATURE on|off ...', netlink: true },
  { kind: 'showRing', flags: ['-g', '--show-ring'], summary: 'Query RX/TX ring parameters', usage: '', netlink: true },
  { kind: 'setRing', flags: ['-G', '--set-ring'], summary: 'Set RX/TX ring parameters', usage: ' [ rx N ] [ rx-mini N ] [ rx-jumbo N ] [ tx N ] [ rx-buf-len N ] [ cqe-size N ] [ tx-push on|off ] [ rx-push on|off ] [ tx-push-buf-len N ] [ tcp-data-split auto|on|off ]', params: RING_PARAMS, netlink: true },
  { kind: 'showChannels', flags: ['-l', '--show-channels'], summary: 'Query Channels', usage: '', netlink: true },
  { kind: 'setChannels', flags: ['-L', '--set-channels'], summary: 'Set Channels', usage: ' [ rx N ] [ tx N ] [ other N ] [ combined N ]', params: CHANNEL_PARAMS, netlink: true },
  { kind: 'showNfc', flags: ['-n', '-u', '--show-nfc', '--show-ntuple'], summary: 'Show Rx network flow classification options or rules', usage: ' [ rx-flow-hash tcp4|udp4|ah4|esp4|sctp4|tcp6|udp6|ah6|esp6|sctp6 [context %d] | rule %d ]', netlink: false },
  { kind: 'setNfc', flags: ['-N', '-U', '--config-nfc', '--config-ntuple'], summary: 'Configure Rx network flow classification options or rules', usage: ' rx-flow-hash tcp4|udp4|ah4|esp4|sctp4|tcp6|udp6|ah6|esp6|sctp6 m|v|t|s|d|f|n|r... [ context %d ]', netlink: false },
  { kind: 'showRxfh', flags: ['-x', '--show-rxfh-indir', '--show-rxfh'], summary: 'Show Rx flow hash indirection table and/or RSS hash key', usage: ' [ context %d ]', netlink: true },
  { kind: 'setRxfh', flags: ['-X', '--set-rxfh-indir', '--rxfh'], summary: 'Set Rx flow hash indirection table and/or RSS hash key', usage: ' [ context %d|new ] [ equal N | weight W0 W1 ... | default ] [ hkey %x:%x:%x:%x:%x:.... ] [ hfunc FUNC ] [ xfrm symmetric-xor|none ] [ delete ]', netlink: false },
  { kind: 'stats', flags: ['-S', '--statistics'], summary: 'Show adapter statistics', usage: '', netlink: false },
  { kind: 'regs', flags: ['-d', '--register-dump'], summary: 'Do a register dump', usage: ' [ raw on|off ] [ file FILENAME ]', netlink: false },
  { kind: 'help', flags: ['-h', '--help'], summary: 'Show this help', usage: '', netlink: false },
  { kind: 'version', flags: ['--version'], summary: 'Show version number', usage: '', netlink: false },
];

/** Options ethtool has but hv_netvsc does not implement: the kernel answers EOPNOTSUPP. */
export const UNSUPPORTED_OPTIONS: Record<string, { what: string; netlink: boolean }> = {
  '-c': { what: 'coalesce', netlink: true }, '--show-coalesce': { what: 'coalesce', netlink: true },
  '-C': { what: 'coalesce', netlink: true }, '--coalesce': { what: 'coalesce', netlink: true },
  '-a': { what: 'pause', netlink: true }, '--show-pause': { what: 'pause', netlink: true },
  '-A': { what: 'pause', netlink: true }, '--pause': { what: 'pause', netlink: true },
  '-e': { what: 'eeprom', netlink: false }, '--eeprom-dump': { what: 'eeprom', netlink: false },
  '-m': { what: 'module', netlink: true }, '--dump-module-eeprom': { what: 'module', netlink: true }, '--module-info': { what: 'module', netlink: true },
  '-t': { what: 'test', netlink: false }, '--test': { what: 'test', netlink: false },
  '-r': { what: 'nway', netlink: false }, '--negotiate': { what: 'nway', netlink: false },
  '-p': { what: 'identify', netlink: false }, '--identify': { what: 'identify', netlink: false },
  '--show-eee': { what: 'eee', netlink: true }, '--set-eee': { what: 'eee', netlink: true },
  '--show-fec': { what: 'fec', netlink: true }, '--set-fec': { what: 'fec', netlink: true },
  '--show-priv-flags': { what: 'priv', netlink: true }, '--set-priv-flags': { what: 'priv', netlink: true },
};

/** ethtool's legacy offload flags (common.c off_flag_def): short name, long name, kernel-name pattern. */
export const OFF_FLAGS: { short: string; long: string; pattern: string }[] = [
  { short: 'rx', long: 'rx-checksumming', pattern: 'rx-checksum' },
  { short: 'tx', long: 'tx-checksumming', pattern: 'tx-checksum-*' },
  { short: 'sg', long: 'scatter-gather', pattern: 'tx-scatter-gather*' },
  { short: 'tso', long: 'tcp-segmentation-offload', pattern: 'tx-tcp*-segmentation' },
  { short: 'ufo', long: 'udp-fragmentation-offload', pattern: 'tx-udp-fragmentation' },
  { short: 'gso', long: 'generic-segmentation-offload', pattern: 'tx-generic-segmentation' },
  { short: 'gro', long: 'generic-receive-offload', pattern: 'rx-gro' },
  { short: 'lro', long: 'large-receive-offload', pattern: 'rx-lro' },
  { short: 'rxvlan', long: 'rx-vlan-offload', pattern: 'rx-vlan-hw-parse' },
  { short: 'txvlan', long: 'tx-vlan-offload', pattern: 'tx-vlan-hw-insert' },
  { short: 'ntuple', long: 'ntuple-filters', pattern: 'rx-ntuple-filter' },
  { short: 'rxhash', long: 'receive-hashing', pattern: 'rx-hashing' },
];

/** Does a kernel feature name match an off_flag pattern (`*` = any run of characters)? */
export function flagPatternMatch(name: string, pattern: string): boolean {
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*') + '$');
  return re.test(name);
}

/** Kernel feature names a -K word stands for (a legacy flag expands; a kernel name is itself). */
export function expandFeatureWord(word: string): { names: string[]; known: boolean } {
  const flag = OFF_FLAGS.find((f) => f.short === word || f.long === word);
  if (flag) return { names: FEATURE_NAMES.filter((n): n is string => !!n && flagPatternMatch(n, flag.pattern)), known: true };
  if (FEATURE_NAMES.includes(word)) return { names: [word], known: true };
  return { names: [], known: false };
}

/** Every word -K accepts (for completion). */
export function featureWords(): string[] {
  return [...OFF_FLAGS.flatMap((f) => [f.short, f.long]), ...FEATURE_NAMES.filter((n): n is string => !!n)];
}

/** rx-flow-hash flow types (ethtool.c rxflow_str_to_type) and the text -n prints for them. */
export const FLOW_TYPES: Record<string, string> = {
  tcp4: 'TCP over IPV4 flows', udp4: 'UDP over IPV4 flows', ah4: 'IPSEC AH/ESP over IPV4 flows', esp4: 'IPSEC AH/ESP over IPV4 flows',
  sctp4: 'SCTP over IPV4 flows', gtpc4: 'GTP-C over IPV4 flows', gtpc4t: 'GTP-C (include TEID) over IPV4 flows',
  gtpu4: 'GTP-U over IPV4 flows', gtpu4e: 'GTP-U PSC Extension Header over IPV4 flows', gtpu4u: 'GTP-U PSC Uplink over IPV4 flows',
  gtpu4d: 'GTP-U PSC Downlink over IPV4 flows',
  tcp6: 'TCP over IPV6 flows', udp6: 'UDP over IPV6 flows', ah6: 'IPSEC AH/ESP over IPV6 flows', esp6: 'IPSEC AH/ESP over IPV6 flows',
  sctp6: 'SCTP over IPV6 flows', ether: '', gtpc6: 'GTP-C over IPV6 flows', gtpc6t: 'GTP-C (include TEID) over IPV6 flows',
  gtpu6: 'GTP-U over IPV6 flows', gtpu6e: 'GTP-U PSC Extension Header over IPV6 flows', gtpu6u: 'GTP-U PSC Uplink over IPV6 flows',
  gtpu6d: 'GTP-U PSC Downlink over IPV6 flows',
};

/** rx-flow-hash letters (RXH_*). */
export const HASH_FIELD_LETTERS: Record<string, number> = {
  m: 0x2, v: 0x4, t: 0x8, s: 0x10, d: 0x20, f: 0x40, n: 0x80, e: 0x100, r: 0x80000000,
};
export const HASH_FIELD_DOCS: Record<string, string> = {
  m: 'Hash on the Layer 2 destination address', v: 'Hash on the VLAN tag', t: 'Hash on the Layer 3 protocol field',
  s: 'Hash on the IP source address', d: 'Hash on the IP destination address', f: 'Hash on bytes 0 and 1 of the Layer 4 header (source port)',
  n: 'Hash on bytes 2 and 3 of the Layer 4 header (destination port)', e: 'Hash on the GTP TEID', r: 'Discard all packets of this flow type',
};

export const RSS_HASH_FUNCS = ['toeplitz', 'xor', 'crc32'];

// ---- requests ------------------------------------------------------------------------------------

export interface Param { name: string; value: number | boolean | string; nameToken: Token; valueToken: Token }

export type EthtoolRequest =
  | { kind: 'settings' | 'driver' | 'showFeatures' | 'showRing' | 'showChannels' | 'stats' | 'regs'; dev: string }
  | { kind: 'setFeatures'; dev: string; pairs: { word: string; on: boolean; token: Token }[] }
  | { kind: 'setRing' | 'setChannels'; dev: string; params: Param[] }
  | { kind: 'showNfc'; dev: string; flowType?: string }
  | { kind: 'setNfc'; dev: string; flowType: string; data: number }
  | { kind: 'setNfcRule'; dev: string }
  | { kind: 'showRxfh'; dev: string; context?: number }
  | { kind: 'setRxfh'; dev: string; equal?: number; weights?: number[]; start?: number; default?: boolean; hkey?: string; hfunc?: string; xfrm?: string; context?: string; delete?: boolean }
  | { kind: 'help' | 'version' }
  | { kind: 'unsupported'; dev: string; option: string; what: string; netlink: boolean };

/** A parse failure as ethtool reports it: its stderr text and exit status. */
export interface ParseError { stderr: string; exit: number; token?: Token; message: string }

export interface ParseResult {
  request?: EthtoolRequest;
  error?: ParseError;
  /** Role of each token, for highlighting, completion and diagnostics. */
  roles: TokenRole[];
  tokens: Token[];
}

export const BAD_ARGS = 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';

/** Splits a script/console line into tokens with their columns (whitespace separated, `#` starts a comment). */
export function tokenizeLine(line: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (m[0].startsWith('#')) break;
    out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Tokens for an argv array (positions as if joined by single spaces). */
export function tokensFromArgv(argv: readonly string[]): Token[] {
  let pos = 0;
  return argv.map((text) => { const t = { text, start: pos, end: pos + text.length }; pos += text.length + 1; return t; });
}

export function findOption(flag: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.flags.includes(flag));
}

/** The short option letter ethtool uses in its messages (`-G`). */
export function shortFlag(kind: RequestKind): string {
  return OPTIONS.find((o) => o.kind === kind)?.flags[0] ?? '';
}

/** Parses ethtool's arguments (without the program name). `ethtool` itself may be the first token. */
export function parseEthtool(input: readonly string[] | Token[]): ParseResult {
  let tokens: Token[] = typeof input[0] === 'string' || input.length === 0 ? tokensFromArgv(input as string[]) : input as Token[];
  if (tokens[0]?.text === 'ethtool') tokens = tokens.slice(1);
  const roles: TokenRole[] = tokens.map(() => 'unknown');
  const res: ParseResult = { roles, tokens };
  const bad = (token?: Token, message = 'bad command line argument(s)'): ParseResult => {
    res.error = { stderr: BAD_ARGS, exit: 1, token, message };
    return res;
  };
  // Global flags ethtool accepts before the option.
  let i = 0;
  while (i < tokens.length && ['--debug', '-I', '--include-statistics', '-Q', '--per-queue', '--json', '-j', '--brief'].includes(tokens[i].text)) {
    roles[i] = 'option';
    if (['--json', '-j'].includes(tokens[i].text)) {
      // Not modelled: say so rather than print text where JSON was asked for.
      res.error = { stderr: 'netvsc-lab: ethtool --json output is not modelled; run without --json\n', exit: 1, token: tokens[i], message: '--json output is not modelled' };
      return res;
    }
    if (tokens[i].text === '--debug') { i++; if (i < tokens.length) roles[i] = 'value'; }
    i++;
  }
  const first = tokens[i];
  if (!first) return bad(undefined, 'missing device name');
  if (!first.text.startsWith('-')) {
    // `ethtool DEVNAME`: link settings.
    roles[i] = 'device';
    if (tokens.length > i + 1) return bad(tokens[i + 1], 'unexpected argument');
    res.request = { kind: 'settings', dev: first.text };
    return res;
  }
  const spec = findOption(first.text);
  if (!spec) {
    const uns = UNSUPPORTED_OPTIONS[first.text];
    if (uns && tokens[i + 1]) {
      roles[i] = 'option'; roles[i + 1] = 'device';
      res.request = { kind: 'unsupported', dev: tokens[i + 1].text, option: first.text, what: uns.what, netlink: uns.netlink };
      return res;
    }
    return bad(first, `unknown option '${first.text}'`);
  }
  roles[i] = 'option';
  if (spec.kind === 'help' || spec.kind === 'version') {
    res.request = { kind: spec.kind };
    return res;
  }
  const devTok = tokens[i + 1];
  if (!devTok) return bad(first, 'missing device name');
  roles[i + 1] = 'device';
  const dev = devTok.text;
  const rest = tokens.slice(i + 2);
  const restRoles = (k: number, r: TokenRole) => { roles[i + 2 + k] = r; };
  const cmd = spec.flags[0];
  switch (spec.kind) {
    case 'driver': case 'showFeatures': case 'showRing': case 'showChannels': case 'stats': {
      if (rest.length) {
        if (spec.kind === 'stats') {
          res.error = { stderr: `ethtool (-S): unknown parameter '${rest[0].text}'\n`, exit: 1, token: rest[0], message: `unknown parameter '${rest[0].text}'` };
          return res;
        }
        if (spec.netlink) {
          res.error = { stderr: `ethtool (${cmd}): unknown parameter '${rest[0].text}'\n`, exit: 1, token: rest[0], message: `unknown parameter '${rest[0].text}'` };
          return res;
        }
        return bad(rest[0], 'unexpected argument');
      }
      res.request = { kind: spec.kind, dev };
      return res;
    }
    case 'regs': {
      for (let k = 0; k < rest.length; k += 2) {
        restRoles(k, 'keyword');
        if (!['raw', 'hex', 'file'].includes(rest[k].text) || !rest[k + 1]) return bad(rest[k]);
        restRoles(k + 1, 'value');
      }
      res.request = { kind: 'regs', dev };
      return res;
    }
    case 'setFeatures': {
      const pairs: { word: string; on: boolean; token: Token }[] = [];
      for (let k = 0; k < rest.length; k += 2) {
        if (rest[k].text === '--') break;
        restRoles(k, 'feature');
        const v = rest[k + 1];
        if (!v || (v.text !== 'on' && v.text !== 'off')) {
          res.error = {
            stderr: `ethtool (-K): flag '${v ? v.text : '(null)'}' for parameter '(null)' is not followed by 'on' or 'off'\n`,
            exit: 1, token: v ?? rest[k], message: `'${rest[k].text}' must be followed by 'on' or 'off'`,
          };
          return res;
        }
        restRoles(k + 1, 'onoff');
        pairs.push({ word: rest[k].text, on: v.text === 'on', token: rest[k] });
      }
      res.request = { kind: 'setFeatures', dev, pairs };
      return res;
    }
    case 'setRing': case 'setChannels': {
      const params: Param[] = [];
      const kinds = spec.params!;
      for (let k = 0; k < rest.length; k += 2) {
        const nameTok = rest[k];
        const kind = kinds[nameTok.text];
        if (!kind) {
          res.error = { stderr: `ethtool (${cmd}): unknown parameter '${nameTok.text}'\n`, exit: 1, token: nameTok, message: `unknown parameter '${nameTok.text}'` };
          return res;
        }
        restRoles(k, 'keyword');
        if (params.some((p) => p.name === nameTok.text)) {
          res.error = { stderr: `ethtool (${cmd}): duplicate parameter '${nameTok.text}'\n`, exit: 1, token: nameTok, message: `duplicate parameter '${nameTok.text}'` };
          return res;
        }
        const valTok = rest[k + 1];
        if (!valTok) {
          res.error = { stderr: `ethtool (${cmd}): no value for parameter '${nameTok.text}'\n`, exit: 1, token: nameTok, message: `no value for parameter '${nameTok.text}'` };
          return res;
        }
        restRoles(k + 1, 'value');
        const value = parseParamValue(kind, valTok.text);
        if (value === null) {
          res.error = { stderr: `ethtool (${cmd}): invalid value '${valTok.text}' for parameter '${nameTok.text}'\n`, exit: 1, token: valTok, message: `invalid value '${valTok.text}' for parameter '${nameTok.text}'` };
          return res;
        }
        params.push({ name: nameTok.text, value, nameToken: nameTok, valueToken: valTok });
      }
      res.request = { kind: spec.kind, dev, params };
      return res;
    }
    case 'showNfc': {
      if (rest.length === 0) { res.request = { kind: 'showNfc', dev }; return res; }
      if (rest[0].text !== 'rx-flow-hash') return bad(rest[0], `unknown argument '${rest[0].text}'`);
      restRoles(0, 'keyword');
      const ft = rest[1];
      if (!ft || !(ft.text in FLOW_TYPES)) return bad(ft ?? rest[0], ft ? `unknown flow type '${ft.text}'` : 'missing flow type');
      restRoles(1, 'flowType');
      if (rest.length > 2) return bad(rest[2], 'unexpected argument');
      res.request = { kind: 'showNfc', dev, flowType: ft.text };
      return res;
    }
    case 'setNfc': {
      if (rest[0]?.text === 'flow-type' || rest[0]?.text === 'delete') {
        restRoles(0, 'keyword');
        res.request = { kind: 'setNfcRule', dev };
        return res;
      }
      if (rest[0]?.text !== 'rx-flow-hash') return bad(rest[0] ?? devTok, 'expected rx-flow-hash');
      restRoles(0, 'keyword');
      const ft = rest[1];
      if (!ft || !(ft.text in FLOW_TYPES)) return bad(ft ?? rest[0], ft ? `unknown flow type '${ft.text}'` : 'missing flow type');
      restRoles(1, 'flowType');
      const letters = rest[2];
      if (!letters) return bad(ft, 'missing hash fields');
      let data = 0;
      for (const c of letters.text) {
        const b = HASH_FIELD_LETTERS[c];
        if (b === undefined) return bad(letters, `unknown hash field letter '${c}'`);
        data = (data | b) >>> 0;
      }
      restRoles(2, 'hashFields');
      if (rest.length > 3) return bad(rest[3], 'unexpected argument');
      res.request = { kind: 'setNfc', dev, flowType: ft.text, data };
      return res;
    }
    case 'showRxfh': {
      let context: number | undefined;
      if (rest.length) {
        if (rest[0].text !== 'context' || !rest[1] || !/^\d+$/.test(rest[1].text) || rest.length > 2) return bad(rest[0]);
        restRoles(0, 'keyword'); restRoles(1, 'value');
        context = Number(rest[1].text);
      }
      res.request = { kind: 'showRxfh', dev, context };
      return res;
    }
    case 'setRxfh': {
      const r: Extract<EthtoolRequest, { kind: 'setRxfh' }> = { kind: 'setRxfh', dev };
      let k = 0;
      const num = (t: Token | undefined): number | null => (t && /^\d+$/.test(t.text) ? Number(t.text) : null);
      while (k < rest.length) {
        const t = rest[k];
        restRoles(k, 'keyword');
        switch (t.text) {
          case 'equal': { const n = num(rest[k + 1]); if (n === null) return bad(rest[k + 1] ?? t); restRoles(k + 1, 'value'); r.equal = n; k += 2; break; }
          case 'start': { const n = num(rest[k + 1]); if (n === null) return bad(rest[k + 1] ?? t); restRoles(k + 1, 'value'); r.start = n; k += 2; break; }
          case 'weight': {
            const w: number[] = [];
            k++;
            while (k < rest.length && /^\d+$/.test(rest[k].text)) { restRoles(k, 'value'); w.push(Number(rest[k].text)); k++; }
            if (!w.length) return bad(t);
            r.weights = w;
            break;
          }
          case 'default': r.default = true; k++; break;
          case 'delete': r.delete = true; k++; break;
          case 'hkey': if (!rest[k + 1]) return bad(t); restRoles(k + 1, 'value'); r.hkey = rest[k + 1].text; k += 2; break;
          case 'hfunc': if (!rest[k + 1]) return bad(t); restRoles(k + 1, 'value'); r.hfunc = rest[k + 1].text; k += 2; break;
          case 'xfrm': if (!rest[k + 1] || !['symmetric-xor', 'none'].includes(rest[k + 1].text)) return bad(rest[k + 1] ?? t); restRoles(k + 1, 'value'); r.xfrm = rest[k + 1].text; k += 2; break;
          case 'context': if (!rest[k + 1] || !(rest[k + 1].text === 'new' || /^\d+$/.test(rest[k + 1].text))) return bad(rest[k + 1] ?? t); restRoles(k + 1, 'value'); r.context = rest[k + 1].text; k += 2; break;
          default: roles[i + 2 + k] = 'unknown'; return bad(t, `unknown argument '${t.text}'`);
        }
      }
      res.request = r;
      return res;
    }
    default:
      return bad(first);
  }
}

function parseParamValue(kind: ParamKind, text: string): number | boolean | string | null {
  switch (kind) {
    case 'u32': {
      // strtoul(base 0)-like: decimal, 0x hex, leading 0 octal.
      let v: number;
      if (/^0[xX][0-9a-fA-F]+$/.test(text)) v = parseInt(text, 16);
      else if (/^0[0-7]+$/.test(text)) v = parseInt(text, 8);
      else if (/^\d+$/.test(text)) v = Number(text);
      else return null;
      return v <= 0xffffffff ? v : null;
    }
    case 'bool': return text === 'on' ? true : text === 'off' ? false : null;
    case 'tcpDataSplit': return ['auto', 'on', 'off'].includes(text) ? text : null;
    case 'flag': return true;
  }
}

/** `ethtool -h` (the lines for the options this model answers). */
export function helpText(): string {
  const lines = ['ethtool version 6.11', 'Usage:', '        ethtool [ FLAGS ] DEVNAME\tDisplay standard information about device'];
  for (const o of OPTIONS) {
    if (o.kind === 'help' || o.kind === 'version') continue;
    lines.push(`        ethtool [ FLAGS ] ${o.flags.join('|')} DEVNAME\t${o.summary}`);
    if (o.usage) lines.push(`\t\t${o.usage.trim()}`);
  }
  lines.push('        ethtool [ FLAGS ] -h|--help\t\tShow this help', '        ethtool [ FLAGS ] --version\t\tShow version number', '',
    'FLAGS:', '\t--debug MASK\tturn on debugging messages', '\t--json\t\tenable JSON output format (not supported by all commands)',
    '\t-I|--include-statistics\t\trequest device statistics related to the command (not supported by all commands)', '');
  return lines.join('\n') + '\n';
}
