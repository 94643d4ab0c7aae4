// `netvsc-lab view`: loopback only, token required (also against DNS rebinding), the page with its
// CSP, the protocol over POST /rpc, a pcapng export download, and the command's errors; once
// in-process and once as the bundled CLI a user runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../../extension/cli/main';
import { memoryIO } from '../../../extension/cli/io';
import { startViewServer, type ViewServer } from '../../../extension/cli/commands/view';
import { openCaptureBytes } from '../../../extension/core/packet/reader';
import { buildViewerBundle } from './bundle';
import { makeFixture } from './fixture';

let dir: string;
let file: string;
let vs: ViewServer;
const N = 2000;

function get(port: number, path: string, host = `127.0.0.1:${port}`, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ntv-view-'));
  file = join(dir, 'capture.pcap');
  writeFileSync(file, makeFixture(N).bytes);
  await buildViewerBundle(dir, { cli: true });
  vs = await startViewServer(file, { assetsDir: join(dir, 'webview') });
});
after(async () => { await vs?.close(); rmSync(dir, { recursive: true, force: true }); });

describe('netvsc-lab view (in-process)', () => {
  test('binds 127.0.0.1 only', () => {
    const a = vs.server.address() as { address: string; family: string };
    assert.equal(a.address, '127.0.0.1');
    assert.match(vs.url, new RegExp(`^http://127\\.0\\.0\\.1:${vs.port}/\\?token=[0-9a-f]{32}$`));
  });

  test('refuses requests without the token, with a wrong one, or for another host name', async () => {
    assert.equal((await get(vs.port, '/')).status, 403);
    assert.equal((await get(vs.port, '/?token=' + '0'.repeat(32))).status, 403);
    assert.equal((await get(vs.port, '/trace.js')).status, 403);
    assert.equal((await get(vs.port, `/?token=${vs.token}`, `evil.example:${vs.port}`)).status, 403);
    const rpc = await get(vs.port, '/rpc', undefined, 'POST', JSON.stringify({ type: 'open', id: 1 }));
    assert.equal(rpc.status, 403);
  });

  test('serves the page with a nonce-only script policy and the bundle', async () => {
    const r = await get(vs.port, `/?token=${vs.token}`);
    assert.equal(r.status, 200);
    const html = r.body.toString();
    const csp = String(r.headers['content-security-policy']);
    const nonce = /'nonce-([0-9a-f]{32})'/.exec(csp)?.[1];
    assert.ok(nonce, csp);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(html, new RegExp(`<script nonce="${nonce}" src="/trace.js\\?token=${vs.token}"></script>`));
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    const js = await get(vs.port, `/trace.js?token=${vs.token}`);
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    // A second page load gets a fresh nonce.
    const csp2 = String((await get(vs.port, `/?token=${vs.token}`)).headers['content-security-policy']);
    assert.notEqual(/'nonce-([0-9a-f]{32})'/.exec(csp2)?.[1], nonce);
  });

  test('answers the protocol over POST /rpc and rejects what is not a request', async () => {
    const post = async (m: unknown) => get(vs.port, `/rpc?token=${vs.token}`, undefined, 'POST', JSON.stringify(m));
    const open = JSON.parse((await post({ type: 'open', id: 7 })).body.toString());
    assert.equal(open.inReplyTo, 7);
    assert.equal(open.result.count, N);
    assert.equal(open.result.readOnly, true);
    const view = JSON.parse((await post({ type: 'view', id: 8, filter: 'udp', sort: null })).body.toString());
    // Per cycle of 19 templates: three UDP flows (13..15) and the first fragment of the UDP datagram
    // (16), which carries the UDP header (no reassembly, as tshark's default for fragments).
    const udpPerCycle = 4;
    assert.equal(view.result.total, Math.floor(N / 19) * udpPerCycle + [...Array(N % 19).keys()].filter((k) => k >= 13 && k <= 16).length);
    const bad = await post({ type: 'nope', id: 1 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.toString(), /not a viewer request/);
    const notJson = await get(vs.port, `/rpc?token=${vs.token}`, undefined, 'POST', '{oops');
    assert.equal(notJson.status, 400);
    const action = JSON.parse((await post({ type: 'action', id: 9, kind: 'replayFrom', packet: 0 })).body.toString());
    assert.equal(action.type, 'error');
    assert.match(action.message, /read-only/);
  });

  test('export is a pcapng download of the view', async () => {
    const post = async (m: unknown) => JSON.parse((await get(vs.port, `/rpc?token=${vs.token}`, undefined, 'POST', JSON.stringify(m))).body.toString());
    const v = await post({ type: 'view', id: 1, filter: 'tcp.dstport == 1766', sort: null });
    const e = await post({ type: 'export', id: 2, viewId: v.result.viewId });
    assert.match(e.result.href, /^\/export\/\d+\/capture-filtered\.pcapng\?token=/);
    const dl = await get(vs.port, e.result.href);
    assert.equal(dl.status, 200);
    const cap = openCaptureBytes(new Uint8Array(dl.body));
    assert.equal(cap.format, 'pcapng');
    assert.equal(cap.count, v.result.total);
    assert.ok(cap.count > 0);
  });
});

describe('netvsc-lab view (command)', () => {
  test('usage errors and a missing file', async () => {
    const io = memoryIO(dir);
    assert.equal(await main(['view'], io), 2);
    assert.match(io.stderr, /missing capture FILE/);
    const io2 = memoryIO(dir);
    assert.equal(await main(['view', 'capture.pcap', '--port', 'x'], io2), 2);
    assert.match(io2.stderr, /--port needs a number 0\.\.65535, got 'x'/);
    const io3 = memoryIO(dir);
    assert.equal(await main(['view', 'nope.pcap'], io3), 1);
    assert.equal(io3.stderr, 'netvsc-lab view: nope.pcap: no such file\n');
    writeFileSync(join(dir, 'text.pcap'), 'not a capture at all');
    const io4 = memoryIO(dir);
    assert.equal(await main(['view', 'text.pcap'], io4), 1);
    // "not " as bytes, big-endian: 0x6e6f7420
    assert.match(io4.stderr, /^netvsc-lab view: text\.pcap: not a pcap or pcapng file: magic 0x6e6f7420/);
  });

  test('the bundled CLI prints the URL and serves the viewer until stopped', async () => {
    const child = spawn(process.execPath, [join(dir, 'cli.js'), 'view', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        const timer = setTimeout(() => fail(new Error(`no URL printed within 30 s: ${out}`)), 30_000);
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/.exec(out);
          if (m) { clearTimeout(timer); ok(m[0]); }
        });
        child.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
      });
      const u = new URL(url);
      const page = await get(Number(u.port), u.pathname + u.search);
      assert.equal(page.status, 200);
      assert.match(page.body.toString(), /<div id="app"/);
      assert.equal((await get(Number(u.port), '/')).status, 403);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    assert.equal(child.exitCode, 0);
  });
});
