import { version } from '../../package.json';
import { COMMANDS } from './commands/index';
import { processIO, UsageError, type CliIO } from './io';

/** The command list with each one's summary (loads every command module: --help and mistakes only). */
export async function usage(): Promise<string> {
  const loaded = await Promise.all(COMMANDS.map((c) => c.load()));
  const width = Math.max(...loaded.map((c) => c.name.length), 4);
  const lines = loaded.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: netvsc-lab <command> [options]',
    '       netvsc-lab --help | --version',
    '',
    'A model of the Hyper-V synthetic NIC (hv_netvsc) with an eBPF/XDP engine.',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `netvsc-lab <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [first] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out(await usage());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-V') {
    io.out(`netvsc-lab ${version}\n`);
    return 0;
  }
  if (first.startsWith('-')) {
    io.err(`netvsc-lab: unknown option '${first}'\n${await usage()}`);
    return 2;
  }
  // Commands may have two words (`bpf exec`): the longest match wins.
  const entry = COMMANDS
    .filter((c) => { const w = c.name.split(' '); return w.every((x, i) => argv[i] === x); })
    .sort((a, b) => b.name.length - a.name.length)[0];
  if (!entry) {
    io.err(`netvsc-lab: unknown command '${first}'\n${await usage()}`);
    return 2;
  }
  const cmd = await entry.load();
  const args = argv.slice(cmd.name.split(' ').length);
  // Only our own options count: what follows `--` belongs to the emulated tool (`ethtool -- -h`).
  const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (own.includes('--help') || own.includes('-h')) {
    io.out(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`netvsc-lab ${cmd.name}: ${e.message}\n${cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n'}`);
      return 2;
    }
    io.err(`netvsc-lab ${cmd.name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

// Run when this module is the program (a single CommonJS bundle of it); the shipped CLI enters
// through bin.ts instead.
if (typeof module !== 'undefined' && typeof require !== 'undefined' && require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
