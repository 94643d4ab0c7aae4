import type { CliCommand } from '../io';

export interface CommandEntry {
  /** As the module's command says it (`bpf exec`); a test keeps the two equal. */
  name: string;
  /** The module, loaded only when its command runs (or for --help). */
  load(): Promise<CliCommand>;
}

/**
 * Every subcommand of `netvsc-lab`, in the order `--help` lists them. The shipped CLI is split per
 * command, so `netvsc-lab dissect` does not load and parse the eBPF engine or the device model.
 * Each command lives in its own module beside this one; add one line here per command.
 */
export const COMMANDS: CommandEntry[] = [
  { name: 'ethtool', load: () => import('./ethtool').then((m) => m.ethtoolCommand) },
  { name: 'ip', load: () => import('./ip').then((m) => m.ipCommand) },
  { name: 'run', load: () => import('./run').then((m) => m.runCommand) },
  { name: 'rss-hash', load: () => import('./rssHash').then((m) => m.rssHashCommand) },
  { name: 'replay', load: () => import('./replay').then((m) => m.replayCommand) },
  { name: 'bpf exec', load: () => import('./bpfExec').then((m) => m.bpfExecCommand) },
  { name: 'bpf run', load: () => import('./bpfRun').then((m) => m.bpfRunCommand) },
  { name: 'bpf verify', load: () => import('./bpfVerify').then((m) => m.bpfVerifyCommand) },
  { name: 'bpf dump', load: () => import('./bpfDump').then((m) => m.bpfDumpCommand) },
  { name: 'bpf compile', load: () => import('./bpfCompile').then((m) => m.bpfCompileCommand) },
  { name: 'dissect', load: () => import('./dissect').then((m) => m.dissectCommand) },
  { name: 'view', load: () => import('./view').then((m) => m.viewCommand) },
  { name: 'gen', load: () => import('./gen').then((m) => m.genCommand) },
  { name: 'stats', load: () => import('./stats').then((m) => m.statsCommand) },
];
