/** What a CLI command may touch, so tests can run commands in-process and read what they print. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Working directory for relative paths. */
  cwd: string;
}

export const processIO: CliIO = {
  out: (t) => { process.stdout.write(t); },
  err: (t) => { process.stderr.write(t); },
  cwd: process.cwd(),
};

/** A usage mistake: printed as one line plus the command's usage, exit 2. */
export class UsageError extends Error {}

/** A command of `netvsc-lab`. `run` returns the exit code. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  run(args: string[], io: CliIO): Promise<number> | number;
}

/** Collects bytes written to an in-memory IO; for tests. */
export function memoryIO(cwd = process.cwd()): CliIO & { stdout: string; stderr: string } {
  const io = {
    stdout: '', stderr: '', cwd,
    out(t: string) { io.stdout += t; },
    err(t: string) { io.stderr += t; },
  };
  return io;
}
