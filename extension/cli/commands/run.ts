import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runScript, ScriptError } from '../../core/ethtool/script';
import { UsageError, type CliCommand } from '../io';
import { cliXdpLoader, openDevice, parseDeviceArgs, saveDevice, withDevice } from './ethtool';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run an .ethtool script (ethtool / ip link / host vf lines) and print a transcript',
  usage: 'Usage: netvsc-lab run SCRIPT.ethtool [--state FILE] [--host PROFILE] [--cpus N]\n' +
    '  Lines: `ethtool ARGS…`, `ip link …`, `host vf add [serial N] [mac M] [state down]`, `host vf remove`; `#` comments.\n' +
    '  Exit status: 0, or 1 when a command of the script failed.',
  run(args, io) {
    const script = args.find((a, i) => !a.startsWith('-') && (i === 0 || !['--state', '--host', '--cpus'].includes(args[i - 1])));
    if (!script) throw new UsageError('missing SCRIPT');
    const d = parseDeviceArgs(args.filter((a) => a !== script));
    if (d.rest.length) throw new UsageError(`unexpected argument '${d.rest[0]}'`);
    let text: string;
    try { text = readFileSync(resolve(io.cwd, script), 'utf8'); } catch { io.err(`netvsc-lab run: cannot read ${script}\n`); return 1; }
    return withDevice(io, () => {
      const dev = openDevice(d, io);
      try {
        const r = runScript(dev, text, { file: script, loadXdp: cliXdpLoader(io.cwd) });
        io.out(r.transcript);
        saveDevice(d, dev, io);
        return r.failed ? 1 : 0;
      } catch (e) {
        if (e instanceof ScriptError) { io.err(`netvsc-lab run: ${e.message}\n`); return 2; }
        throw e;
      }
    });
  },
};

export default runCommand;
