// The display filter bar: Wireshark's behaviour — green while the text compiles, red with the
// error (and its column) when it does not, field-name completion as you type, Enter applies.
import type { Completion, FilterError } from '../../extension/core/traceview/protocol';

export interface FilterBarHost {
  check(text: string): Promise<FilterError | undefined>;
  complete(prefix: string): Promise<Completion[]>;
  apply(text: string): void;
}

export class FilterBar {
  readonly el: HTMLElement;
  readonly input: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly message: HTMLElement;
  private items: Completion[] = [];
  private active = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  constructor(private readonly host: FilterBarHost) {
    this.el = document.createElement('div');
    this.el.className = 'ntv-filterbar';
    this.input = document.createElement('input');
    this.input.id = 'ntv-filter';
    this.input.type = 'text';
    this.input.spellcheck = false;
    this.input.autocomplete = 'off';
    this.input.placeholder = 'Apply a display filter … <Ctrl-/>';
    this.input.setAttribute('role', 'combobox');
    this.input.setAttribute('aria-label', 'Display filter');
    this.input.setAttribute('aria-autocomplete', 'list');
    this.input.setAttribute('aria-expanded', 'false');
    this.input.setAttribute('aria-controls', 'ntv-completions');
    this.list = document.createElement('ul');
    this.list.id = 'ntv-completions';
    this.list.className = 'ntv-completions';
    this.list.setAttribute('role', 'listbox');
    this.list.hidden = true;
    this.message = document.createElement('div');
    this.message.className = 'ntv-filter-error';
    this.message.setAttribute('role', 'status');
    this.message.setAttribute('aria-live', 'polite');
    const wrap = document.createElement('div');
    wrap.className = 'ntv-filter-wrap';
    wrap.append(this.input, this.list);
    this.el.append(wrap, this.message);
    this.input.addEventListener('input', () => this.changed());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.closeList(), 150));
    this.list.addEventListener('mousedown', (e) => {
      const li = (e.target as HTMLElement).closest('li');
      if (li) { e.preventDefault(); this.accept(Number(li.dataset.i)); }
    });
  }

  get value(): string { return this.input.value; }
  set value(v: string) { this.input.value = v; void this.validate(); }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { void this.validate(); void this.suggest(); }, 120);
  }

  /** Colours the bar: green (compiles), red (error shown with its column), plain (empty). */
  async validate(): Promise<FilterError | undefined> {
    const text = this.input.value;
    const n = ++this.seq;
    if (text.trim() === '') { this.setState('', ''); return undefined; }
    const err = await this.host.check(text);
    if (n !== this.seq) return err;
    if (err) this.setState('invalid', `${err.message} (column ${err.column})`);
    else this.setState('valid', '');
    return err;
  }

  setState(cls: '' | 'valid' | 'invalid', msg: string): void {
    this.input.classList.toggle('valid', cls === 'valid');
    this.input.classList.toggle('invalid', cls === 'invalid');
    this.input.setAttribute('aria-invalid', cls === 'invalid' ? 'true' : 'false');
    this.message.textContent = msg;
  }

  /** The field name being typed (letters, digits, '_' and '.' before the caret). */
  private word(): { start: number; text: string } {
    const caret = this.input.selectionStart ?? this.input.value.length;
    const before = this.input.value.slice(0, caret);
    const m = /[A-Za-z_][A-Za-z0-9_.]*$/.exec(before);
    return m ? { start: caret - m[0].length, text: m[0] } : { start: caret, text: '' };
  }

  private async suggest(): Promise<void> {
    const w = this.word();
    if (w.text.length < 1) { this.closeList(); return; }
    const items = await this.host.complete(w.text);
    this.items = items.filter((i) => i.name !== w.text).slice(0, 30);
    if (this.items.length === 0 || document.activeElement !== this.input) { this.closeList(); return; }
    this.list.replaceChildren(...this.items.map((c, i) => {
      const li = document.createElement('li');
      li.id = `ntv-c${i}`;
      li.dataset.i = String(i);
      li.setAttribute('role', 'option');
      const name = document.createElement('span'); name.className = 'name'; name.textContent = c.name;
      const desc = document.createElement('span'); desc.className = 'desc'; desc.textContent = c.description;
      li.append(name, desc);
      return li;
    }));
    this.active = -1;
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  private closeList(): void {
    this.list.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.input.removeAttribute('aria-activedescendant');
    this.active = -1;
  }

  private move(d: number): void {
    if (this.list.hidden || this.items.length === 0) return;
    this.active = (this.active + d + this.items.length) % this.items.length;
    for (const [i, li] of [...this.list.children].entries()) li.setAttribute('aria-selected', i === this.active ? 'true' : 'false');
    this.input.setAttribute('aria-activedescendant', `ntv-c${this.active}`);
    this.list.children[this.active]?.scrollIntoView({ block: 'nearest' });
  }

  private accept(i: number): void {
    const c = this.items[i];
    if (!c) return;
    const w = this.word();
    const v = this.input.value;
    const end = w.start + w.text.length;
    this.input.value = v.slice(0, w.start) + c.name + v.slice(end);
    const caret = w.start + c.name.length;
    this.input.setSelectionRange(caret, caret);
    this.closeList();
    this.input.focus();
    void this.validate();
  }

  private onKey(e: KeyboardEvent): void {
    const open = !this.list.hidden;
    if (e.key === 'ArrowDown' && open) { this.move(1); e.preventDefault(); return; }
    if (e.key === 'ArrowUp' && open) { this.move(-1); e.preventDefault(); return; }
    if ((e.key === 'Tab' || e.key === 'Enter') && open && this.active >= 0) { this.accept(this.active); e.preventDefault(); return; }
    if (e.key === 'Escape' && open) { this.closeList(); e.preventDefault(); return; }
    if (e.key === 'Enter') { this.closeList(); e.preventDefault(); this.host.apply(this.input.value); }
  }
}
