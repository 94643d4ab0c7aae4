import type { CliCommand } from '../io';
import { ethtoolCommand } from './ethtool';
import { ipCommand } from './ip';
import { runCommand } from './run';
import { rssHashCommand } from './rssHash';
import { replayCommand } from './replay';
import { bpfExecCommand } from './bpfExec';
import { bpfRunCommand } from './bpfRun';
import { bpfVerifyCommand } from './bpfVerify';
import { bpfDumpCommand } from './bpfDump';
import { bpfCompileCommand } from './bpfCompile';
import { dissectCommand } from './dissect';
import { viewCommand } from './view';
import { genCommand } from './gen';
import { statsCommand } from './stats';

/**
 * Every subcommand of `netvsc-lab`, in the order `--help` lists them.
 * Each lives in its own module beside this one; add one line here per command.
 */
export const COMMANDS: CliCommand[] = [
  ethtoolCommand, ipCommand, runCommand, rssHashCommand, replayCommand,
  bpfExecCommand,
  bpfRunCommand,
  bpfVerifyCommand,
  bpfDumpCommand,
  bpfCompileCommand,
  dissectCommand,
  viewCommand,
  genCommand,
  statsCommand,
];
