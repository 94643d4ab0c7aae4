// `.ethtool` scripts: one command a line (`ethtool …`, `ip link …`, or the host's VF actions
// `host vf add [serial N] [mac M] | host vf remove`), `#` comments. Produces a transcript.
import type { NetvscDevice } from '../netvsc/device';
import { strerror } from '../netvsc/errno';
import { runEthtool } from './executor';
import { tokenizeLine } from './grammar';
import { runIpLink, type XdpLoader } from './ipLink';

export interface ScriptStep { line: number; command: string; stdout: string; stderr: string; exit: number }
export interface ScriptResult { steps: ScriptStep[]; transcript: string; failed: number }

/** A line the script runner cannot interpret: names line and column. */
export class ScriptError extends Error {}

export function runScript(device: NetvscDevice, text: string, opts: { file?: string; loadXdp?: XdpLoader } = {}): ScriptResult {
  const steps: ScriptStep[] = [];
  const lines = text.split(/\r?\n/);
  let transcript = '';
  let failed = 0;
  lines.forEach((raw, i) => {
    const toks = tokenizeLine(raw);
    if (!toks.length) return;
    const words = toks.map((t) => t.text);
    const command = words.join(' ');
    let r: { stdout: string; stderr: string; exit: number };
    const logBefore = device.log.length;
    if (words[0] === 'ethtool') r = runEthtool(device, toks.slice(1));
    else if (words[0] === 'ip') r = runIpLink(device, words.slice(1), opts.loadXdp);
    else if (words[0] === 'host' && words[1] === 'vf') r = hostVf(device, words.slice(2));
    else throw new ScriptError(`${opts.file ?? '<script>'}:${i + 1}:${toks[0].start + 1}: unknown command '${words[0]}' (expected ethtool, ip or host)`);
    steps.push({ line: i + 1, command, ...r });
    if (r.exit !== 0) failed++;
    // Kernel log lines the command caused (dmesg), after its output.
    const kernel = device.log.slice(logBefore).map((l) => `[kernel] ${l}\n`).join('');
    transcript += `$ ${command}\n${r.stdout}${r.stderr}${r.exit !== 0 ? `[exit ${r.exit}]\n` : ''}${kernel}`;
  });
  return { steps, transcript, failed };
}

/** `host vf add [serial N] [mac M] [state up|down]` | `host vf remove`: what the Hyper-V host does with the VF. */
export function hostVf(d: NetvscDevice, args: string[]): { stdout: string; stderr: string; exit: number } {
  const ok = () => ({ stdout: '', stderr: '', exit: 0 });
  const fail = (e: number) => ({ stdout: '', stderr: `host vf: ${strerror(e)}\n`, exit: 1 });
  const verb = args[0];
  if (verb === 'add') {
    const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
    const r = d.addVf({ serial: opt('serial') ? Number(opt('serial')) : undefined, mac: opt('mac'), up: opt('state') !== 'down' });
    return r.err ? fail(r.err) : ok();
  }
  if (verb === 'remove') { const r = d.removeVf(); return r.err ? fail(r.err) : ok(); }
  return { stdout: '', stderr: `host vf: expected 'add' or 'remove'\n`, exit: 2 };
}
