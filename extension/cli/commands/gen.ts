import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileSink } from '../../core/packet/fileSource';
import { generateScenario, parseScenario, ScenarioError } from '../../core/packet/scenario';
import { formatForPath, writeCapture } from '../../core/packet/writer';
import { UsageError, type CliCommand } from '../io';

/** `netvsc-lab gen SCENARIO -o out.pcapng`: a scenario's packets as a capture file. */
export const genCommand: CliCommand = {
  name: 'gen',
  summary: 'Generate a capture from a traffic scenario (JSON/YAML)',
  usage: [
    'Usage: netvsc-lab gen SCENARIO -o OUT.pcapng|OUT.pcap',
    '',
    'Writes the deterministic packet sequence of a traffic scenario (see examples/scenarios/).',
    'pcapng output marks each packet inbound (rx) or outbound (tx) in its EPB flags.',
  ].join('\n'),
  run(args, io) {
    let scen: string | undefined, out: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '-o') { out = args[++i]; if (out === undefined) throw new UsageError('-o needs an output file'); }
      else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (scen === undefined) scen = a;
      else throw new UsageError(`unexpected argument '${a}'`);
    }
    if (scen === undefined) throw new UsageError('missing SCENARIO file');
    if (out === undefined) throw new UsageError('missing -o OUT file');
    let text: string;
    try { text = readFileSync(resolve(io.cwd, scen), 'utf8'); } catch (e) {
      io.err(`netvsc-lab gen: ${scen}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
      return 1;
    }
    let packets;
    try { packets = generateScenario(parseScenario(text, scen)); } catch (e) {
      if (e instanceof ScenarioError) { io.err(`netvsc-lab gen: ${scen}: ${e.message}\n`); return 1; }
      throw e;
    }
    const sink = new FileSink(resolve(io.cwd, out));
    const n = writeCapture(packets, { format: formatForPath(out) }, (c) => sink.write(c));
    sink.close();
    io.out(`${out}: ${n} packets\n`);
    return 0;
  },
};
