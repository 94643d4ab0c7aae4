// The harness stops code-server whatever happens to the test process: a signal (exit hooks) or a
// SIGKILL, which no hook survives (the watchdog shell then kills the server's process group and
// removes its temp folder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

function groupAlive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

async function startFixture(): Promise<{ pid: number; pgid: number; root: string; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'startServer.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code} before starting code-server`)));
  });
  return { pid: child.pid!, ...JSON.parse(line) };
}

async function gone(pgid: number, root: string, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!groupAlive(pgid) && !existsSync(root)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`${signal} to the test process takes its code-server and temp folder with it`, async () => {
    const f = await startFixture();
    assert.ok(groupAlive(f.pgid), 'code-server is not running');
    assert.ok(existsSync(f.root));
    const r = await fetch(`${f.url}/healthz`);
    assert.equal(r.status, 200);
    process.kill(f.pid, signal);
    assert.ok(await gone(f.pgid, f.root, 10_000), `after ${signal}: process group ${f.pgid} alive=${groupAlive(f.pgid)}, ${f.root} exists=${existsSync(f.root)}`);
  });
}
