/**
 * The viewer's HTML page, the same for the VS Code webview and `netvsc-lab view`: a strict
 * Content Security Policy (nothing inline, scripts only with the page's nonce, styles and fonts
 * only from the viewer's own origin) and the static skeleton the script fills in.
 *
 * API
 *   viewerHtml({ cspSource, nonce, scriptUri, styleUri, title, connectSrc? }) -> string
 *   makeNonce(randomBytes) -> string     32 hex digits from 16 random bytes
 */

export interface ViewerPage {
  /** Origin(s) allowed for styles/fonts/images: webview.cspSource, or "'self'" over HTTP. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  /** Extra connect-src (the HTTP bridge's own origin); none in VS Code. */
  connectSrc?: string;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function makeNonce(random: Uint8Array): string {
  return Array.from(random.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function viewerHtml(p: ViewerPage): string {
  const csp = [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    `style-src ${p.cspSource} 'nonce-${p.nonce}'`,
    `font-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
    `connect-src ${p.connectSrc ?? "'none'"}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(p.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${esc(p.styleUri)}" nonce="${esc(p.nonce)}">
</head>
<body>
<div id="app" class="ntv-app" data-nonce="${esc(p.nonce)}"><div class="ntv-loading" role="status">Opening ${esc(p.title)}…</div></div>
<script nonce="${esc(p.nonce)}" src="${esc(p.scriptUri)}"></script>
</body>
</html>
`;
}
