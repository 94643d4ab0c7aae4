// The NetVSC console: a terminal where a person types ethtool and ip link commands against the
// emulated devices and gets the real tools' output. Tree actions echo their equivalent command
// here, so people learn the commands while clicking.
import * as vscode from 'vscode';
import type { CommandResult } from '../core/lab/lab';
import type { LineEditor } from '../core/console/lineEditor';
import type { Devices } from './devices';

const PROMPT = '\x1b[1;32mroot@netvsc-lab\x1b[0m:\x1b[1;34m~\x1b[0m# ';
const crlf = (s: string): string => s.replace(/\r?\n/g, '\r\n');

export class NetvscConsole implements vscode.Disposable {
  private terminal: vscode.Terminal | undefined;
  private editor: LineEditor | undefined;
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private opened: Promise<void> | undefined;
  private resolveOpened: (() => void) | undefined;

  constructor(private readonly devices: Devices) {}

  /** Shows the console (creating it the first time). */
  async show(preserveFocus = false): Promise<void> {
    if (!this.terminal || this.terminal.exitStatus) {
      const [{ LineEditor }, { completeCommandLine }, { snapshotDevice }, lab] = await Promise.all([
        import('../core/console/lineEditor'), import('../core/lsp/ethtoolAssist'), import('../core/lsp/ethtoolScript'), this.devices.lab()]);
      this.editor = new LineEditor({
        write: (t) => this.writeEmitter.fire(t),
        submit: (line) => this.submit(line),
        // The .ethtool language server's completion, against the device the line names (eth0 by default).
        complete: (line, cursor) => {
          const dev = lab.devices.find((d) => line.split(/\s+/).includes(d.ifname)) ?? lab.devices[0];
          const start = /\S*$/.exec(line.slice(0, cursor))!.index;
          return { start, candidates: dev ? completeCommandLine(line, cursor, snapshotDevice(dev)).map((i) => i.label) : [] };
        },
      }, PROMPT);
      this.opened = new Promise((r) => { this.resolveOpened = r; });
      const pty: vscode.Pseudoterminal = {
        onDidWrite: this.writeEmitter.event,
        setDimensions: (d) => this.editor?.setColumns(d.columns),
        open: (d) => {
          if (d) this.editor!.setColumns(d.columns);
          this.writeEmitter.fire('NetVSC console: ethtool and ip link against the emulated devices. Type "help".\r\n');
          this.editor!.showPrompt();
          this.resolveOpened?.();
        },
        close: () => { this.terminal = undefined; },
        handleInput: (data) => this.editor?.input(data),
      };
      this.terminal = vscode.window.createTerminal({ name: 'NetVSC', pty, iconPath: new vscode.ThemeIcon('circuit-board') });
    }
    this.terminal.show(preserveFocus);
    await this.opened;
  }

  /** Shows `command` as if typed, then its result: what every tree action does. */
  async echo(command: string, result: CommandResult): Promise<void> {
    await this.show(true);
    this.writeEmitter.fire(`\r\x1b[K${PROMPT}${command}\r\n${crlf(result.stdout)}${crlf(result.stderr)}${PROMPT}`);
  }

  private async submit(line: string): Promise<void> {
    const cmd = line.trim();
    const lab = await this.devices.lab();
    if (cmd === 'clear') this.writeEmitter.fire('\x1b[2J\x1b[H');
    else if (cmd === 'help') this.writeEmitter.fire(crlf(HELP));
    else if (cmd === 'history') this.writeEmitter.fire(crlf(this.editor!.historyLines.map((l, i) => `${String(i + 1).padStart(5)}  ${l}\n`).join('')));
    else if (cmd) {
      const r = lab.run(cmd);
      this.writeEmitter.fire(crlf(r.stdout) + crlf(r.stderr));
    }
    this.editor!.showPrompt();
  }

  dispose(): void {
    this.terminal?.dispose();
    this.writeEmitter.dispose();
  }
}

const HELP = `Commands run against the emulated devices and answer as the real tools do:
  ethtool -i|-k|-K|-g|-G|-l|-L|-n|-N|-x|-X|-S|-d DEVICE ...   (ethtool -h for all)
  ip link set dev DEVICE mtu N | up | down | xdp obj FILE sec SECTION | xdp off
  ip link show dev DEVICE
Also: clear, history. Tab completes, Up/Down walk the history.
`;
