// Helpers both DAP suites share: the standalone adapter under a DebugClient, fixture lines by
// their text, oracle tools (clang, llvm) with the package to install named, traces as pcap.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { PcapWriter } from '../../extension/core/packet/pcap';

/** 1-based number of the first line of `file` containing `text`. */
export function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `'${text}' is not in ${file}`);
  return i + 1;
}

export function tool(name: string, args: string[], pkg: string): string {
  try {
    return execFileSync(name, args, { encoding: 'utf8' });
  } catch (e) {
    throw new Error(`${name} failed (${(e as Error).message}); install the Debian package ${pkg}`, { cause: e });
  }
}

/** `frames` as a pcap in `dir`, one second apart. */
export function writeTrace(dir: string, name: string, frames: Uint8Array[]): string {
  const w = new PcapWriter(1);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([w.header(), ...frames.map((f, i) => w.record(f, 1700000000 + i, 0))]));
  return path;
}

/** A DebugClient on the adapter bundle `adapter`, stopped whatever `fn` does. */
export async function withClient(adapter: string, fn: (dc: DebugClient) => Promise<void>): Promise<void> {
  const dc = new DebugClient('node', adapter, 'netvsc');
  dc.defaultTimeout = 20_000;
  await dc.start();
  try { await fn(dc); } finally { await dc.stop(); }
}

/** The variables of scope `name` of frame `frameId`. */
export async function scopeVariables(dc: DebugClient, frameId: number, name: string): Promise<DebugProtocol.Variable[]> {
  const scopes = (await dc.scopesRequest({ frameId })).body.scopes;
  const s = scopes.find((x) => x.name === name);
  assert.ok(s, `no scope '${name}' in ${scopes.map((x) => x.name).join(', ')}`);
  return (await dc.variablesRequest({ variablesReference: s!.variablesReference })).body.variables;
}
