// Checks an `.ethtool` script the truthful way: every line runs, in order, against a fresh emulated
// hv_netvsc device through the same script runner, parser and executor as `netvsc-lab run`; a line
// ethtool rejects or the driver refuses becomes a diagnostic with the real error text, on the token
// it is about. The device state before any line is available for completion and hover.
import { dirname, isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseEthtool, tokenizeLine, expandFeatureWord, type ParseResult, type Token } from '../ethtool/grammar';
import type { XdpLoader } from '../ethtool/ipLink';
import { runScript, ScriptError } from '../ethtool/script';
import { NetvscDevice } from '../netvsc/device';
import { isHostProfileName } from '../netvsc/hostProfile';
import { loadXdpProgram, XdpLoadError } from '../netvsc/xdpRunner';
import { NETVSC_L4HASH_FLOWS } from './ethtoolDocs';
import { SEVERITY_ERROR, SEVERITY_INFORMATION, SEVERITY_WARNING, type Diagnostic, type Range } from './types';

export interface ScriptLine {
  /** 0-based line number. */
  line: number;
  text: string;
  tokens: Token[];
  /** For `ethtool …` lines: the one parser's result (tokens after `ethtool`, with roles). */
  parse?: ParseResult;
  /** What running the line printed. */
  result?: { stdout: string; stderr: string; exit: number };
  /** Kernel log lines the line caused. */
  kernel: string[];
}

/** What completion and hover need to know of the device at a line (copied: the device moves on). */
export interface DeviceSnapshot {
  ifname: string;
  hostName: string;
  hostDescription: string;
  numChn: number;
  maxChn: number;
  mtu: number;
  features: bigint;
  hwFeatures: bigint;
  ringMax: { rx: number; tx: number };
  recvSectionCnt: number;
  sendSectionCnt: number;
  vfName?: string;
  xdpName?: string;
}

export function snapshotDevice(d: NetvscDevice): DeviceSnapshot {
  return {
    ifname: d.ifname, hostName: d.host.name, hostDescription: d.host.description, numChn: d.numChn, maxChn: d.maxChn, mtu: d.mtu,
    features: d.features, hwFeatures: d.hwFeatures, ringMax: d.ringMax(), recvSectionCnt: d.recvSectionCnt,
    sendSectionCnt: d.sendSectionCnt, vfName: d.vf?.name, xdpName: d.xdp?.name,
  };
}

export interface ScriptAnalysis {
  lines: ScriptLine[];
  diagnostics: Diagnostic[];
  /** The device after the last analysed line. */
  device: NetvscDevice;
  /** The device before the first command, then after each analysed line (parallel to `lines`). */
  initial: DeviceSnapshot;
  after: DeviceSnapshot[];
}

/** The device state a completion or hover at `line` sees: after the last command above it. */
export function snapshotBefore(a: ScriptAnalysis, line: number): DeviceSnapshot {
  let lo = 0, hi = a.lines.length - 1, best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a.lines[mid].line < line) { best = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return best < 0 ? a.initial : a.after[best];
}

export interface ScriptCheckOptions {
  hostProfile?: string;
  cpus?: number;
  /** The script's own path: `xdp obj FILE` is resolved against its directory. */
  scriptPath?: string;
  /** Stop before this 0-based line (for the state a completion at that line sees). */
  stopBeforeLine?: number;
}

/** Diagnostic codes with a quick fix. */
export const CODE_XDP_NEEDS_LRO_OFF = 'xdp-needs-lro-off';
export const CODE_RX_FLOW_HASH_FIELDS = 'rx-flow-hash-fields';
export const CODE_XDP_SOURCE_NOT_COMPILED = 'xdp-source-not-compiled';

export function newScriptDevice(opts: ScriptCheckOptions): NetvscDevice {
  const host = opts.hostProfile && isHostProfileName(opts.hostProfile) ? opts.hostProfile : 'azure';
  return new NetvscDevice({ host, cpus: opts.cpus ?? 8 });
}

/**
 * `xdp obj FILE`: the object is loaded by the engine (no program is run: a script moves no packets).
 * C sources are not compiled here — that runs clang, which is the XDP server's business in a trusted
 * workspace — so such a line is reported as not checked.
 */
export function scriptXdpLoader(scriptPath: string | undefined): XdpLoader {
  return (objectPath, section) => {
    if (objectPath.endsWith('.c')) throw new XdpLoadError(`${objectPath}: not checked: the script check does not compile C (point at the .o, or run the script on eth0)`);
    if (!isAbsolute(objectPath) && !scriptPath) throw new XdpLoadError(`${objectPath}: relative to an unsaved script`);
    const abs = isAbsolute(objectPath) ? objectPath : resolve(dirname(scriptPath!), objectPath);
    let bytes: Uint8Array;
    try { bytes = readFileSync(abs); } catch { throw new XdpLoadError(`${objectPath}: cannot read the object file`); }
    return loadXdpProgram(bytes, { objectPath: abs, section, engine: 'interpreter' });
  };
}

const wholeCommand = (l: ScriptLine): Range => ({
  start: { line: l.line, character: l.tokens[0].start },
  end: { line: l.line, character: l.tokens[l.tokens.length - 1].end },
});
const tokenRange = (line: number, t: Token): Range => ({ start: { line, character: t.start }, end: { line, character: t.end } });
const spanRange = (line: number, a: Token, b: Token): Range => ({ start: { line, character: a.start }, end: { line, character: b.end } });

/** Which tokens an ethtool failure is about. */
function ethtoolFailureRange(l: ScriptLine): Range {
  const p = l.parse!;
  const req = p.request;
  const toks = p.tokens;
  const byRole = (r: string) => toks.filter((_, i) => p.roles[i] === r);
  if (!req) return wholeCommand(l);
  switch (req.kind) {
    case 'setFeatures': {
      // The words whose features ended "[requested …]" in the kernel's answer.
      const refused = new Set([...l.result!.stdout.matchAll(/^(\S+): \S+ \[requested/gm)].map((m) => m[1]));
      const hit = req.pairs.filter((pr) => expandFeatureWord(pr.word).names.some((n) => refused.has(n)));
      const pick = hit.length ? hit : req.pairs;
      if (pick.length) return spanRange(l.line, pick[0].token, toks[toks.indexOf(pick[pick.length - 1].token) + 1] ?? pick[pick.length - 1].token);
      break;
    }
    case 'setNfc': {
      const [flow] = byRole('flowType');
      const [fields] = byRole('hashFields');
      if (flow && !NETVSC_L4HASH_FLOWS.includes(flow.text)) return tokenRange(l.line, flow);
      if (fields) return tokenRange(l.line, fields);
      break;
    }
    case 'setRing': case 'setChannels':
      if (req.params.length) return spanRange(l.line, req.params[0].nameToken, req.params[req.params.length - 1].valueToken);
      break;
    case 'unsupported': {
      const [opt] = byRole('option');
      if (opt) return tokenRange(l.line, opt);
      break;
    }
  }
  const [opt] = byRole('option');
  return opt ? spanRange(l.line, opt, toks[toks.length - 1]) : wholeCommand(l);
}

function lineDiagnostics(l: ScriptLine): Diagnostic[] {
  const r = l.result;
  if (!r) return [];
  const word = l.tokens[0].text;
  const kernel = l.kernel.length ? '\n' + l.kernel.map((k) => `[kernel] ${k}`).join('\n') : '';
  if (word === 'ethtool') {
    const p = l.parse!;
    if (p.error) {
      const range = p.error.token ? tokenRange(l.line, p.error.token) : wholeCommand(l);
      const detail = p.error.stderr.startsWith('ethtool: bad command line') ? `\n(${p.error.message})` : '';
      return [{ range, severity: SEVERITY_ERROR, source: 'ethtool', message: p.error.stderr.trim() + detail }];
    }
    const actual = r.stdout.startsWith('Actual changes:') ? r.stdout : '';
    if (r.exit === 0 && !r.stderr && !actual) return [];
    const message = (actual + r.stderr).trim() + kernel;
    const d: Diagnostic = {
      range: ethtoolFailureRange(l), source: 'hv_netvsc', message,
      severity: r.exit !== 0 || r.stderr ? SEVERITY_ERROR : SEVERITY_WARNING,
    };
    const req = p.request;
    if (req?.kind === 'setNfc' && NETVSC_L4HASH_FLOWS.includes(req.flowType)) d.code = CODE_RX_FLOW_HASH_FIELDS;
    if (r.exit === 0 && r.stderr) d.message += '\n(ethtool 6.11 still exits 0 here)';
    return [d];
  }
  if (r.exit === 0 && !r.stderr) return [];
  const d: Diagnostic = { range: wholeCommand(l), severity: SEVERITY_ERROR, source: word === 'ip' ? 'ip' : 'netvsc-lab', message: (r.stdout + r.stderr).trim() + kernel };
  if (word === 'ip' && /XDP: not support LRO/.test(r.stderr)) d.code = CODE_XDP_NEEDS_LRO_OFF;
  if (word === 'ip' && /not checked: the script check does not compile C/.test(r.stderr)) {
    d.code = CODE_XDP_SOURCE_NOT_COMPILED;
    d.severity = SEVERITY_INFORMATION;
  }
  return [d];
}

/** Runs the script line by line on a fresh device; never throws for script content. */
export function analyzeScript(text: string, opts: ScriptCheckOptions = {}): ScriptAnalysis {
  const device = newScriptDevice(opts);
  const loadXdp = scriptXdpLoader(opts.scriptPath);
  const rawLines = text.split(/\r?\n/);
  const lines: ScriptLine[] = [];
  const diagnostics: Diagnostic[] = [];
  const initial = snapshotDevice(device);
  const after: DeviceSnapshot[] = [];
  const stop = Math.min(opts.stopBeforeLine ?? rawLines.length, rawLines.length);
  for (let i = 0; i < stop; i++) {
    const tokens = tokenizeLine(rawLines[i]);
    if (!tokens.length) continue;
    const l: ScriptLine = { line: i, text: rawLines[i], tokens, kernel: [] };
    lines.push(l);
    if (tokens[0].text === 'ethtool') l.parse = parseEthtool(tokens);
    const logBefore = device.log.length;
    try {
      // The runner gets the line alone: the device carries the state from line to line.
      const step = runScript(device, tokens.map((t) => t.text).join(' '), { loadXdp }).steps[0];
      l.result = { stdout: step.stdout, stderr: step.stderr, exit: step.exit };
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      const message = e.message.replace(/^.*?:\d+:\d+: /, '');
      diagnostics.push({ range: tokenRange(i, tokens[0]), severity: SEVERITY_ERROR, source: 'netvsc-lab', message });
      after.push(after.length ? after[after.length - 1] : initial);
      continue;
    }
    l.kernel = device.log.slice(logBefore);
    diagnostics.push(...lineDiagnostics(l));
    after.push(snapshotDevice(device));
  }
  return { lines, diagnostics, device, initial, after };
}
