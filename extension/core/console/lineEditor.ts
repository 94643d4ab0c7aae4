// A readline-like line editor for the NetVSC console (a VS Code Pseudoterminal, or any terminal):
// it turns the bytes a terminal sends into screen updates and submitted lines. History, cursor
// movement, Ctrl-A/E/U/C/L and Tab completion, with no dependency on the terminal behind it.

export interface Completion {
  /** Start offset in the line of the word being completed. */
  start: number;
  /** Candidate words for that position. */
  candidates: string[];
}

export interface LineEditorHost {
  /** Write text (with ANSI escapes, CRLF line ends) to the terminal. */
  write(text: string): void;
  /** A line was entered (not yet recorded in history when blank). */
  submit(line: string): void;
  /** Candidates for Tab at `cursor` in `line`. */
  complete?(line: string, cursor: number): Completion;
}

const CSI = '\x1b[';

export class LineEditor {
  private line = '';
  private cursor = 0;
  private readonly history: string[] = [];
  private historyIndex = 0;
  /** The line being typed before browsing history, restored when coming back down. */
  private draft = '';
  private lastWasTab = false;

  constructor(private readonly host: LineEditorHost, readonly prompt: string, private readonly maxHistory = 500) {}

  get text(): string { return this.line; }
  get cursorPos(): number { return this.cursor; }
  get historyLines(): readonly string[] { return this.history; }

  /** Prints the prompt for a new line. */
  showPrompt(): void {
    this.host.write(this.prompt);
  }

  /** Feeds bytes typed (or pasted) into the terminal. */
  input(data: string): void {
    let i = 0;
    while (i < data.length) {
      const rest = data.slice(i);
      // eslint-disable-next-line no-control-regex -- terminal escape sequences are what this parses
      const esc = /^\x1b(\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(rest);
      if (esc) { this.escape(esc[1]); i += esc[0].length; continue; }
      const ch = data[i++];
      const wasTab = this.lastWasTab;
      this.lastWasTab = false;
      switch (ch) {
        case '\r': case '\n':
          if (ch === '\n' && data[i - 2] === '\r') break; // CRLF pasted: one line
          this.enter();
          break;
        case '\x7f': case '\b': this.backspace(); break;
        case '\x01': this.moveTo(0); break; // Ctrl-A
        case '\x05': this.moveTo(this.line.length); break; // Ctrl-E
        case '\x15': this.setLine(this.line.slice(this.cursor), 0); break; // Ctrl-U: kill to start
        case '\x0b': this.setLine(this.line.slice(0, this.cursor), this.cursor); break; // Ctrl-K
        case '\x03': this.host.write('^C\r\n'); this.line = ''; this.cursor = 0; this.showPrompt(); break;
        case '\x0c': this.host.write(`${CSI}2J${CSI}H`); this.redraw(); break; // Ctrl-L
        case '\t': this.tab(wasTab); this.lastWasTab = true; break;
        default:
          if (ch >= ' ') this.insert(ch);
      }
    }
  }

  private escape(seq: string): void {
    switch (seq.at(-1)) {
      case 'A': this.historyMove(-1); break;
      case 'B': this.historyMove(1); break;
      case 'C': this.moveTo(Math.min(this.line.length, this.cursor + 1)); break;
      case 'D': this.moveTo(Math.max(0, this.cursor - 1)); break;
      case 'H': this.moveTo(0); break;
      case 'F': this.moveTo(this.line.length); break;
      case '~':
        if (seq === '[3~' && this.cursor < this.line.length) this.setLine(this.line.slice(0, this.cursor) + this.line.slice(this.cursor + 1), this.cursor);
        else if (seq === '[1~' || seq === '[7~') this.moveTo(0);
        else if (seq === '[4~' || seq === '[8~') this.moveTo(this.line.length);
        break;
    }
  }

  private enter(): void {
    const line = this.line;
    this.host.write('\r\n');
    if (line.trim() && this.history.at(-1) !== line) {
      this.history.push(line);
      if (this.history.length > this.maxHistory) this.history.shift();
    }
    this.historyIndex = this.history.length;
    this.draft = '';
    this.line = '';
    this.cursor = 0;
    this.host.submit(line);
  }

  private insert(text: string): void {
    this.setLine(this.line.slice(0, this.cursor) + text + this.line.slice(this.cursor), this.cursor + text.length);
  }

  private backspace(): void {
    if (this.cursor === 0) return;
    this.setLine(this.line.slice(0, this.cursor - 1) + this.line.slice(this.cursor), this.cursor - 1);
  }

  private historyMove(delta: number): void {
    const next = this.historyIndex + delta;
    if (next < 0 || next > this.history.length) return;
    if (this.historyIndex === this.history.length) this.draft = this.line;
    this.historyIndex = next;
    const text = next === this.history.length ? this.draft : this.history[next];
    this.setLine(text, text.length);
  }

  private tab(second: boolean): void {
    const c = this.host.complete?.(this.line, this.cursor);
    if (!c || c.candidates.length === 0) { this.host.write('\x07'); return; }
    const word = this.line.slice(c.start, this.cursor);
    const matches = c.candidates.filter((x) => x.startsWith(word));
    if (matches.length === 0) { this.host.write('\x07'); return; }
    if (matches.length === 1) { this.insert(matches[0].slice(word.length) + ' '); return; }
    const common = commonPrefix(matches);
    if (common.length > word.length) { this.insert(common.slice(word.length)); return; }
    // Like bash: the second Tab lists the candidates, then the line is drawn again.
    if (second) { this.host.write(`\r\n${matches.join('  ')}\r\n`); this.redraw(); } else this.host.write('\x07');
  }

  private setLine(line: string, cursor: number): void {
    this.line = line;
    this.cursor = cursor;
    this.redraw();
  }

  private moveTo(cursor: number): void {
    if (cursor === this.cursor) return;
    const d = cursor - this.cursor;
    this.cursor = cursor;
    this.host.write(d > 0 ? `${CSI}${d}C` : `${CSI}${-d}D`);
  }

  /** Redraws the prompt and line, leaving the terminal cursor at the edit position. */
  private redraw(): void {
    const back = this.line.length - this.cursor;
    this.host.write(`\r${CSI}K${this.prompt}${this.line}${back > 0 ? `${CSI}${back}D` : ''}`);
  }
}

function commonPrefix(words: string[]): string {
  let p = words[0];
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}
