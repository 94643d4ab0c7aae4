// The end-to-end harness: a real VS Code (code-server, from npm, on Node 24) on 127.0.0.1, driven
// through Debian's Chromium with playwright-core. Each CodeServer lives in its own temp folder
// (user data, extensions, workspaces, logs) and is stopped WHATEVER happens: an explicit stop(),
// the test process exiting or being signalled, and, should the test process be SIGKILLed, a
// small Node watchdog process that kills the server's process group once its parent is gone.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensureCodeServer, type InstalledCodeServer } from './setup.mjs';

export const CHROMIUM = '/usr/bin/chromium';
/** Flags that were verified to run Debian's Chromium headless on these machines. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** User settings for a clean, automatable workbench. */
export const E2E_SETTINGS = {
  'security.workspace.trust.enabled': false, // Restricted Mode would keep extensions from activating
  'workbench.startupEditor': 'none',
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'terminal.integrated.gpuAcceleration': 'off', // the DOM renderer: terminal text is readable in the page
};

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const RESULTS_DIR = join(REPO_ROOT, 'test-results');

export interface StartOptions {
  /** Names the temp folder and `test-results/<label>/`. */
  label: string;
  /** A `.vsix` to install into the fresh extensions dir before the server starts. */
  vsix?: string;
  /** Extra user settings on top of E2E_SETTINGS. */
  settings?: Record<string, unknown>;
  /** Milliseconds to wait for the server to listen. */
  startTimeoutMs?: number;
  /** Port on 127.0.0.1; 0 (the default) lets the kernel pick a free one. */
  port?: number;
}

export interface OpenOptions {
  /** Extension-host tests (needs the smoke-test driver, which start() always enables). */
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
  /** Environment variables of the window's extension host. */
  extensionEnvironment?: Record<string, string>;
  /** Called with the code the workbench passes to `window.codeAutomationExit` when the tests end. */
  onAutomationExit?: (code: number) => void;
}

/** The watchdog (plain Node, argv: test pid, server pgid, temp root): once the test process is
 *  gone, kill the server's process group and remove its temp folder. */
const WATCHDOG = `
const [parent, pgid, root] = process.argv.slice(1);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
setInterval(() => {
  if (alive(Number(parent))) return;
  try { process.kill(-Number(pgid), 'SIGKILL'); } catch {}
  require('node:fs').rmSync(root, { recursive: true, force: true });
  process.exit(0);
}, 500);`;

const live = new Set<CodeServer>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => { for (const s of live) s.killNow(); });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const s of live) s.killNow();
      process.kill(process.pid, sig);
    });
  }
}

function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class CodeServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `127.0.0.1:PORT`, the authority of `vscode-remote://` URIs. */
  readonly authority: string;
  private browser?: Browser;
  private readonly contexts: BrowserContext[] = [];
  private readonly pages: { name: string; page: Page; console: string[] }[] = [];
  private stopped = false;

  private constructor(
    readonly label: string,
    /** Temp folder holding everything of this server; removed by stop(). */
    readonly root: string,
    readonly userDataDir: string,
    readonly extensionsDir: string,
    readonly install: InstalledCodeServer,
    private readonly proc: ChildProcess,
    private readonly watchdog: ChildProcess,
    private readonly stdout: WriteStream,
    private readonly stderr: WriteStream,
    port: number,
  ) {
    this.authority = `127.0.0.1:${port}`;
    this.url = `http://${this.authority}`;
  }

  /** The process group id of the server (its pid: it is started as a group leader). */
  get pgid(): number {
    return this.proc.pid!;
  }

  static async start(opts: StartOptions): Promise<CodeServer> {
    const install = ensureCodeServer({ quiet: true });
    rmSync(join(RESULTS_DIR, opts.label), { recursive: true, force: true }); // only this run's failures
    const root = mkdtempSync(join(tmpdir(), `netvsc-e2e-${opts.label}-`));
    const userDataDir = join(root, 'user-data');
    const extensionsDir = join(root, 'extensions');
    mkdirSync(join(userDataDir, 'User'), { recursive: true });
    mkdirSync(extensionsDir, { recursive: true });
    writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...E2E_SETTINGS, ...opts.settings }, null, 2));
    writeFileSync(join(root, 'config.yaml'), 'auth: none\n'); // keeps code-server away from ~/.config/code-server
    // A VS Code launched from a VS Code terminal would otherwise talk to that one.
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('VSCODE_')) delete env[k];
    // Nothing outside the temp root: code-server writes a default config.yaml under XDG_CONFIG_HOME.
    env.XDG_CONFIG_HOME = join(root, 'xdg-config');
    env.XDG_DATA_HOME = join(root, 'xdg-data');
    const common = ['--config', join(root, 'config.yaml'), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];

    try {
      if (opts.vsix) {
        if (!existsSync(opts.vsix)) throw new Error(`no ${opts.vsix}: run \`npm run package\` first`);
        const r = spawnSync(install.node, [install.entry, ...common, '--install-extension', opts.vsix], { env, encoding: 'utf8', timeout: 120_000 });
        const out = `${r.stdout}${r.stderr}`;
        if (r.status !== 0 || !/successfully installed/i.test(out)) {
          throw new Error(`code-server --install-extension ${opts.vsix} failed (exit ${r.status ?? r.signal}):\n${out.trim()}`);
        }
      }
    } catch (e) {
      rmSync(root, { recursive: true, force: true });
      throw e;
    }

    const stdout = createWriteStream(join(root, 'server.stdout.log'));
    const stderr = createWriteStream(join(root, 'server.stderr.log'));
    const proc = spawn(install.node, [install.entry, ...common,
      '--auth', 'none', '--bind-addr', `127.0.0.1:${opts.port ?? 0}`, // port 0: the kernel picks a free one, read back below
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--ignore-last-opened',
      '--vscode-option', 'enable-smoke-test-driver', // lets the workbench honour a test `payload`
    ], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    // The watchdog outlives a SIGKILLed test process and takes the server's group down with it.
    const watchdog = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), String(proc.pid), root], { detached: true, stdio: 'ignore' });
    watchdog.unref();

    let text = '';
    const port = await new Promise<number>((resolvePort, reject) => {
      const timer = setTimeout(() => reject(new Error(`code-server did not listen within ${opts.startTimeoutMs ?? 60_000} ms`)), opts.startTimeoutMs ?? 60_000);
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const m = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        if (m) { clearTimeout(timer); resolvePort(Number(m[1])); }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (c: Buffer) => { text += c.toString(); });
      proc.once('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`code-server exited (${code ?? sig}) before listening:\n${text.slice(-2000)}`)); });
      proc.once('error', (e) => { clearTimeout(timer); reject(e); });
    }).catch((e: Error) => {
      try { process.kill(-proc.pid!, 'SIGKILL'); } catch { /* already gone */ }
      try { process.kill(-watchdog.pid!, 'SIGKILL'); } catch { /* already gone */ }
      rmSync(root, { recursive: true, force: true });
      throw e;
    });
    proc.stdout!.pipe(stdout);
    proc.stderr!.pipe(stderr);
    stdout.write(text);

    const server = new CodeServer(opts.label, root, userDataDir, extensionsDir, install, proc, watchdog, stdout, stderr, port);
    live.add(server);
    installExitHooks();
    await server.waitHealthy();
    return server;
  }

  private async waitHealthy(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) return;
      } catch { /* not yet */ }
      await sleep(100);
    }
    throw new Error(`code-server at ${this.url} does not answer /healthz`);
  }

  /** A folder under the server's temp root, optionally a copy of `from`, to open as a workspace. */
  workspace(name: string, from?: string): string {
    const dir = join(this.root, 'workspaces', name);
    if (from) cpSync(from, dir, { recursive: true });
    else mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** The `vscode-remote://` URI of a path on the server's machine. */
  remoteUri(path: string): string {
    return `vscode-remote://${this.authority}${resolve(path)}`;
  }

  /** Opens a workbench window on `folder` in a fresh browser context (its own window and extension host). */
  async open(folder: string, opts: OpenOptions = {}): Promise<Page> {
    this.browser ??= await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await this.browser.newContext({ viewport: { width: 1400, height: 900 } });
    this.contexts.push(context);
    const page = await context.newPage();
    const consoleLines: string[] = [];
    this.pages.push({ name: `window${this.pages.length + 1}`, page, console: consoleLines });
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => consoleLines.push(`[automation ${type}] ${args.map(String).join(' ')}`));
    await page.exposeFunction('codeAutomationExit', (code: number) => opts.onAutomationExit?.(code));

    let query = `folder=${encodeURIComponent(folder)}`;
    const payload: [string, string][] = [];
    if (opts.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', this.remoteUri(opts.extensionDevelopmentPath)]);
    if (opts.extensionTestsPath) payload.push(['extensionTestsPath', this.remoteUri(opts.extensionTestsPath)]);
    if (opts.extensionEnvironment) payload.push(['extensionEnvironment', JSON.stringify(opts.extensionEnvironment)]);
    if (payload.length) query += `&payload=${encodeURIComponent(JSON.stringify([...payload, ['skipWelcome', 'true']]))}`;
    await page.goto(`${this.url}/?${query}`, { timeout: 60_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    return page;
  }

  /** Runs code-server's command line (e.g. `--list-extensions`) on this server's folders. */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(this.install.node, [this.install.entry, '--config', join(this.root, 'config.yaml'),
      '--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir, ...args],
    { encoding: 'utf8', timeout: 60_000, env: { ...process.env, XDG_CONFIG_HOME: join(this.root, 'xdg-config'), XDG_DATA_HOME: join(this.root, 'xdg-data') } });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** The server-side VS Code logs (remote agent, extension hosts) of this server's user-data dir. */
  logFiles(): string[] {
    const dir = join(this.userDataDir, 'logs');
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile() && d.name.endsWith('.log'))
      .map((d) => join(d.parentPath, d.name));
  }

  /** Screenshots of every open window, their browser consoles, the server's stdout/stderr and
   *  its VS Code logs, copied under `test-results/<label>/<what>/`. Returns that folder. */
  async saveArtifacts(what: string): Promise<string> {
    const out = join(RESULTS_DIR, this.label, what.replace(/[^\w.-]+/g, '_').slice(0, 80));
    mkdirSync(out, { recursive: true });
    for (const { name, page, console: lines } of this.pages) {
      if (!page.isClosed()) await page.screenshot({ path: join(out, `${name}.png`) }).catch(() => undefined);
      writeFileSync(join(out, `${name}.console.log`), lines.join('\n') + '\n');
    }
    for (const f of ['server.stdout.log', 'server.stderr.log']) if (existsSync(join(this.root, f))) cpSync(join(this.root, f), join(out, f));
    const logs = join(this.userDataDir, 'logs');
    if (existsSync(logs)) cpSync(logs, join(out, 'vscode-logs'), { recursive: true });
    return out;
  }

  /** Synchronous last resort (process exit): kill the group, the watchdog, and remove the temp root. */
  killNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    try { process.kill(-this.pgid, 'SIGKILL'); } catch { /* gone */ }
    try { process.kill(-this.watchdog.pid!, 'SIGKILL'); } catch { /* gone */ }
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Closes the browser, stops the server's whole process group (TERM, then KILL after 5 s) and
   *  removes the temp folder. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    for (const c of this.contexts) await c.close().catch(() => undefined);
    await this.browser?.close().catch(() => undefined);
    this.stopped = true;
    live.delete(this);
    try { process.kill(-this.pgid, 'SIGTERM'); } catch { /* gone */ }
    for (let i = 0; i < 50 && processGroupAlive(this.pgid); i++) await sleep(100);
    if (processGroupAlive(this.pgid)) try { process.kill(-this.pgid, 'SIGKILL'); } catch { /* gone */ }
    for (let i = 0; i < 20 && processGroupAlive(this.pgid); i++) await sleep(100);
    try { process.kill(-this.watchdog.pid!, 'SIGKILL'); } catch { /* gone */ }
    await new Promise<void>((r) => this.stdout.end(r));
    await new Promise<void>((r) => this.stderr.end(r));
    rmSync(this.root, { recursive: true, force: true });
  }

  /** True while any process of the server's group exists (for leak checks after stop()). */
  isRunning(): boolean {
    return processGroupAlive(this.pgid);
  }
}
