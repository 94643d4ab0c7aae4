// Helpers for tests that use tshark (Debian package `tshark`) as the oracle.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requireTshark(): void {
  const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('tshark is not installed: install the Debian package "tshark" (scripts/ensure-system-deps.mjs)');
}

/** Runs tshark; returns stdout, throws with stderr on failure. */
export function tshark(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const stderr = (r.stderr ?? '').split('\n').filter((l) => l && !l.startsWith('Running as user')).join('\n');
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed (${r.status}): ${stderr}`);
  return { stdout: r.stdout, stderr };
}

export const NO_DEFRAG = ['-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE'];

export function tsharkFields(file: string, fields: string[], extra: string[] = []): string {
  return tshark(['-r', file, ...NO_DEFRAG, ...extra, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])]).stdout;
}

let dir: string | undefined;
export function tmpFile(name: string, bytes?: Uint8Array): string {
  dir ??= mkdtempSync(join(tmpdir(), 'netvsc-packet-'));
  const p = join(dir, name);
  if (bytes) writeFileSync(p, bytes);
  return p;
}
