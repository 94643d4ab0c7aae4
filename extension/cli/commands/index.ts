import type { CliCommand } from '../io';
import { bpfExecCommand } from './bpfExec';

/**
 * Every subcommand of `netvsc-lab`, in the order `--help` lists them.
 * Each lives in its own module beside this one; add one line here per command.
 */
export const COMMANDS: CliCommand[] = [
  bpfExecCommand,
];
