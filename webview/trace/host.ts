// The page's link to whoever owns the trace: VS Code (acquireVsCodeApi, messages both ways) or
// `netvsc-lab view` (the same messages over HTTP: POST /rpc, events from /events, both with the
// URL's token). The rest of the viewer only sees `ViewerHost`.
import type { FromWebview, ToWebview } from '../../extension/core/traceview/protocol';

export interface ViewerHost {
  post(m: FromWebview): void;
  onMessage(fn: (m: ToWebview) => void): void;
  getState<T>(): T | undefined;
  setState(s: unknown): void;
  readonly kind: 'vscode' | 'http';
}

interface VsCodeApi { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void }

export function connectHost(): ViewerHost {
  const acquire = (globalThis as { acquireVsCodeApi?: () => VsCodeApi }).acquireVsCodeApi;
  if (typeof acquire === 'function') {
    const api = acquire();
    return {
      kind: 'vscode',
      post: (m) => api.postMessage(m),
      onMessage: (fn) => window.addEventListener('message', (e: MessageEvent) => fn(e.data as ToWebview)),
      getState: <T>() => api.getState() as T | undefined,
      setState: (s) => api.setState(s),
    };
  }
  return httpHost();
}

function httpHost(): ViewerHost {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const listeners: ((m: ToWebview) => void)[] = [];
  const deliver = (m: ToWebview) => { for (const fn of listeners) fn(m); };
  const events = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  events.onmessage = (e) => deliver(JSON.parse(e.data as string) as ToWebview);
  const key = `netvsc-lab-view:${location.pathname}`;
  return {
    kind: 'http',
    post: (m) => {
      fetch(`/rpc?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(m) })
        .then(async (r) => {
          if (!r.ok) throw new Error(`${r.status} ${await r.text()}`);
          deliver(await r.json() as ToWebview);
        })
        .catch((e: unknown) => deliver({ type: 'error', inReplyTo: m.id, message: e instanceof Error ? e.message : String(e) }));
    },
    onMessage: (fn) => { listeners.push(fn); },
    getState: <T>() => { const s = sessionStorage.getItem(key); return s ? JSON.parse(s) as T : undefined; },
    setState: (s) => sessionStorage.setItem(key, JSON.stringify(s)),
  };
}
