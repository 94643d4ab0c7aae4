// `netvsc-lab view FILE [--port N]`: the trace viewer for a browser. A read-only HTTP server bound to
// 127.0.0.1 only, every request checked against a random token that is part of the printed URL;
// the page is the same bundled viewer as in VS Code, speaking the same protocol over POST /rpc.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, join, resolve } from 'node:path';
import { openCaptureBytes } from '../../core/packet/reader';
import { openCaptureFile } from '../../core/packet/fileSource';
import type { Capture } from '../../core/packet/capture';
import { commentTraceOf } from '../../core/traceview/commentTrace';
import { traceDocument } from '../../core/traceview/document';
import { makeNonce, viewerHtml } from '../../core/traceview/html';
import { isViewRequest } from '../../core/traceview/protocol';
import { TraceViewServer } from '../../core/traceview/server';
import { UsageError, type CliCommand } from '../io';

/** Captures up to this size are read into memory (random access without a read per packet). */
const IN_MEMORY_LIMIT = 512 * 1024 * 1024;
/** Largest request body the bridge accepts (a request is a few hundred bytes). */
const MAX_BODY = 64 * 1024;

export interface ViewServer { url: string; port: number; token: string; server: Server; capture: Capture; close(): Promise<void> }

/** Where the bundled viewer (trace.js, trace.css) is: beside the CLI program, or dist/ in a checkout. */
export function viewerAssetsDir(): string {
  // The program (dist/cli.js, or a test's bundle) sits beside webview/; the split ES modules have no __dirname.
  const prog = process.argv[1] ? dirname(resolve(process.argv[1])) : process.cwd();
  const here = typeof __dirname === 'string' ? [join(__dirname, 'webview'), resolve(__dirname, '../../../dist/webview')] : [];
  const candidates = [join(prog, 'webview'), ...here, resolve(process.cwd(), 'dist/webview')];
  for (const c of candidates) if (existsSync(join(c, 'trace.js'))) return c;
  throw new Error(`the viewer bundle (trace.js) was not found in ${candidates.join(', ')}: run \`node scripts/build.mjs\``);
}

export function openCaptureForView(path: string): Capture & { close?: () => void } {
  const size = statSync(path).size;
  return size <= IN_MEMORY_LIMIT ? openCaptureBytes(readFileSync(path), path) : openCaptureFile(path);
}

/** Starts the viewer's HTTP server for one capture. */
export async function startViewServer(file: string, opts: { port?: number; assetsDir?: string } = {}): Promise<ViewServer> {
  const capture = openCaptureForView(file);
  const doc = traceDocument(file, capture, commentTraceOf(capture));
  const exports = new Map<string, Uint8Array>();
  let exportSeq = 0;
  const token = randomBytes(16).toString('hex');
  const viewer = new TraceViewServer(doc, {
    exportPcapng: async (bytes, name) => {
      const id = `${++exportSeq}`;
      exports.set(id, bytes);
      while (exports.size > 4) exports.delete(exports.keys().next().value as string);
      return { message: `Exported ${name} (${bytes.length} bytes).`, href: `/export/${id}/${encodeURIComponent(name)}?token=${token}` };
    },
  });
  const assets = opts.assetsDir ?? viewerAssetsDir();
  const tokenBuf = Buffer.from(token);
  let port = 0;

  const allowed = (req: IncomingMessage, url: URL): boolean => {
    // DNS rebinding: only our own loopback host names.
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return false;
    const t = Buffer.from(url.searchParams.get('token') ?? '');
    return t.length === tokenBuf.length && timingSafeEqual(t, tokenBuf);
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Uint8Array, extra: Record<string, string> = {}) => {
    res.writeHead(status, {
      'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin', ...extra,
    });
    res.end(body);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!allowed(req, url)) { send(res, 403, 'text/plain; charset=utf-8', 'forbidden: this viewer needs the token from the URL netvsc-lab printed\n'); return; }
    const q = `?token=${token}`;
    if (req.method === 'GET' && url.pathname === '/') {
      const nonce = makeNonce(randomBytes(16));
      const html = viewerHtml({ cspSource: "'self'", nonce, scriptUri: `/trace.js${q}`, styleUri: `/trace.css${q}`, title: basename(file), connectSrc: "'self'" });
      const csp = /content="([^"]*)"/.exec(html)![1].replace(/&#39;/g, "'");
      send(res, 200, 'text/html; charset=utf-8', html, { 'content-security-policy': csp });
      return;
    }
    if (req.method === 'GET' && (url.pathname === '/trace.js' || url.pathname === '/trace.css')) {
      const f = join(assets, url.pathname.slice(1));
      send(res, 200, url.pathname.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8', readFileSync(f));
      return;
    }
    if (req.method === 'GET' && url.pathname === '/events') {
      // Server-sent events: a static capture never grows; the stream only keeps the page's bridge uniform.
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': netvsc-lab view\n\n');
      return;
    }
    const m = /^\/export\/(\d+)\//.exec(url.pathname);
    if (req.method === 'GET' && m) {
      const bytes = exports.get(m[1]);
      if (!bytes) { send(res, 404, 'text/plain; charset=utf-8', 'export expired\n'); return; }
      send(res, 200, 'application/x-pcapng', bytes, { 'content-disposition': `attachment; filename="${decodeURIComponent(url.pathname.split('/').pop() ?? 'export.pcapng').replace(/"/g, '')}"` });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/rpc') {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) { send(res, 413, 'text/plain; charset=utf-8', `request body larger than ${MAX_BODY} bytes\n`); req.destroy(); return; }
        chunks.push(c);
      });
      req.on('end', () => {
        if (size > MAX_BODY) return;
        let msg: unknown;
        try { msg = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) {
          send(res, 400, 'text/plain; charset=utf-8', `request is not JSON: ${(e as Error).message}\n`); return;
        }
        if (!isViewRequest(msg)) { send(res, 400, 'text/plain; charset=utf-8', 'not a viewer request (needs a known "type" and an integer "id")\n'); return; }
        void viewer.handle(msg).then((r) => send(res, 200, 'application/json', JSON.stringify(r)));
      });
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => { server.off('error', fail); ok(); });
  });
  port = (server.address() as { port: number }).port;
  void doc.warmUp?.();
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`, port, token, server, capture,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => { capture.close?.(); ok(); }); }),
  };
}

export const viewCommand: CliCommand = {
  name: 'view',
  summary: 'Serve the packet-trace viewer for a capture on 127.0.0.1 (read-only, token in the URL)',
  usage: [
    'Usage: netvsc-lab view FILE [--port N]',
    '',
    'Opens a pcap/pcapng file in the trace viewer and serves it to a browser on 127.0.0.1 only.',
    'The printed URL carries a random token; requests without it are refused. Read-only: the',
    'capture is never written. --port picks the port (default: a free one). Stop with Ctrl-C.',
  ].join('\n'),
  async run(args, io) {
    let file: string | undefined;
    let port: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (a === '--port') {
        const v = args[++i];
        if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port needs a number 0..65535, got ${v === undefined ? 'nothing' : `'${v}'`}`);
        port = Number(v);
      } else if (a.startsWith('-')) throw new UsageError(`unknown option '${a}'`);
      else if (file === undefined) file = a;
      else throw new UsageError(`unexpected argument '${a}'`);
    }
    if (file === undefined) throw new UsageError('missing capture FILE');
    const path = resolve(io.cwd, file);
    if (!existsSync(path)) { io.err(`netvsc-lab view: ${file}: no such file\n`); return 1; }
    if (statSync(path).isDirectory()) { io.err(`netvsc-lab view: ${file}: is a directory, not a capture file\n`); return 1; }
    let vs: ViewServer;
    try { vs = await startViewServer(path, port === undefined ? {} : { port }); } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      io.err(`netvsc-lab view: ${code === 'EADDRINUSE' ? `port ${port} is already in use` : (e as Error).message}\n`);
      return 1;
    }
    const cap = vs.capture;
    if (cap.error && cap.count === 0) {
      await vs.close();
      io.err(`netvsc-lab view: ${file}: ${cap.error.message}\n`);
      return 1;
    }
    if (cap.error) io.err(`netvsc-lab view: warning: ${file}: ${cap.error.message} (showing the ${cap.count} packets before it)\n`);
    io.out(`Serving ${file} (${cap.count} packets) read-only at\n  ${vs.url}\nPress Ctrl-C to stop.\n`);
    await new Promise<void>((done) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void vs.close().then(done); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
