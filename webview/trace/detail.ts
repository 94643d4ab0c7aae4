// Packet details (the dissection as a collapsible tree) and packet bytes (Wireshark's hex pane:
// offset, 16 hex bytes, ASCII). Selecting a field highlights its bytes; clicking a byte selects
// the innermost field that covers it. Both keyboard accessible (tree: arrows, Home/End, Enter).
import { fromBase64 } from '../../extension/core/traceview/b64';
import type { DetailNode, DetailResult } from '../../extension/core/traceview/protocol';

interface Item { node: DetailNode; el: HTMLElement; children: Item[]; parent: Item | null; level: number; expanded: boolean }

const HEX = '0123456789abcdef';

export class DetailPane {
  readonly tree: HTMLElement;
  readonly hex: HTMLElement;
  /** Status-bar text for the selected field (its filter name), like Wireshark's status bar. */
  onField: (text: string) => void = () => {};
  private items: Item[] = [];
  private flat: Item[] = [];
  private selected: Item | null = null;
  private byteEls: HTMLElement[] = [];
  private asciiEls: HTMLElement[] = [];
  private highlighted: [number, number] = [0, 0];
  /** Labels of expanded nodes, kept across packets like Wireshark does. */
  private readonly expandedLabels = new Set<string>();

  constructor() {
    this.tree = document.createElement('div');
    this.tree.className = 'ntv-tree';
    this.tree.setAttribute('role', 'tree');
    this.tree.setAttribute('aria-label', 'Packet details');
    this.tree.tabIndex = 0;
    this.tree.addEventListener('keydown', (e) => this.onKey(e));
    this.hex = document.createElement('div');
    this.hex.className = 'ntv-hex';
    this.hex.setAttribute('aria-label', 'Packet bytes');
    this.hex.tabIndex = 0;
    this.hex.addEventListener('click', (e) => {
      const t = e.target as HTMLElement;
      if (t.dataset.off !== undefined) this.selectByte(Number(t.dataset.off));
    });
    this.clear();
  }

  clear(): void {
    this.tree.replaceChildren();
    this.hex.replaceChildren();
    this.items = []; this.flat = []; this.selected = null; this.byteEls = []; this.asciiEls = [];
    const hint = document.createElement('div');
    hint.className = 'ntv-hint';
    hint.textContent = 'Select a packet to see its fields and bytes.';
    this.tree.append(hint);
  }

  show(d: DetailResult): void {
    const key = this.selected ? this.selected.node.field : '';
    this.tree.replaceChildren();
    this.items = []; this.flat = []; this.selected = null;
    const build = (nodes: DetailNode[], parent: Item | null, level: number, into: Item[]) => {
      for (const node of nodes) {
        const el = document.createElement('div');
        el.className = 'ntv-ti';
        el.setAttribute('role', 'treeitem');
        el.setAttribute('aria-level', String(level));
        el.setAttribute('aria-selected', 'false');
        el.style.setProperty('--ntv-level', String(level - 1));
        const twist = document.createElement('span');
        twist.className = 'ntv-twist';
        const label = document.createElement('span');
        label.className = 'ntv-label';
        label.textContent = node.generated ? `[${node.label}]` : node.label;
        el.append(twist, label);
        el.title = node.field ? `${node.field}${node.length ? ` (${node.length} byte${node.length === 1 ? '' : 's'} at ${node.offset})` : ''}` : '';
        const item: Item = { node, el, children: [], parent, level, expanded: false };
        into.push(item);
        el.addEventListener('click', (e) => {
          e.stopPropagation();
          if ((e.target as HTMLElement).classList.contains('ntv-twist')) this.toggle(item);
          this.select(item);
        });
        el.addEventListener('dblclick', (e) => { e.stopPropagation(); this.toggle(item); });
        this.tree.append(el);
        if (node.children?.length) {
          build(node.children, item, level + 1, item.children);
          this.setExpanded(item, this.expandedLabels.has(node.field || node.label));
        }
      }
    };
    build(d.tree, null, 1, this.items);
    for (const c of d.comments) {
      const el = document.createElement('div');
      el.className = 'ntv-ti comment';
      el.setAttribute('role', 'treeitem');
      el.setAttribute('aria-level', '1');
      el.textContent = `Packet comment: ${c}`;
      this.tree.append(el);
    }
    this.refreshFlat();
    this.renderHex(fromBase64(d.bytes));
    const again = key ? this.flat.find((i) => i.node.field === key) : undefined;
    if (again) this.select(again);
  }

  private refreshFlat(): void {
    this.flat = [];
    const walk = (items: Item[], visible: boolean) => {
      for (const it of items) {
        it.el.hidden = !visible;
        if (visible) this.flat.push(it);
        walk(it.children, visible && it.expanded);
      }
    };
    walk(this.items, true);
  }

  private setExpanded(it: Item, on: boolean): void {
    if (!it.children.length) return;
    it.expanded = on;
    it.el.setAttribute('aria-expanded', on ? 'true' : 'false');
    (it.el.firstChild as HTMLElement).textContent = on ? '▾' : '▸';
    const k = it.node.field || it.node.label;
    if (on) this.expandedLabels.add(k); else this.expandedLabels.delete(k);
  }

  private toggle(it: Item): void { this.setExpanded(it, !it.expanded); this.refreshFlat(); }

  select(it: Item): void {
    if (this.selected) { this.selected.el.classList.remove('selected'); this.selected.el.setAttribute('aria-selected', 'false'); }
    this.selected = it;
    for (let p = it.parent; p; p = p.parent) if (!p.expanded) this.setExpanded(p, true);
    this.refreshFlat();
    it.el.classList.add('selected');
    it.el.setAttribute('aria-selected', 'true');
    it.el.scrollIntoView({ block: 'nearest' });
    this.highlight(it.node.offset, it.node.generated ? 0 : it.node.length);
    this.onField(it.node.field ? `${it.node.field}${it.node.length && !it.node.generated ? `, ${it.node.length} byte${it.node.length === 1 ? '' : 's'}` : ''}` : '');
  }

  /** The innermost field covering byte `off` (smallest length wins). */
  selectByte(off: number): void {
    let best: Item | null = null;
    const walk = (items: Item[]) => {
      for (const it of items) {
        const n = it.node;
        if (!n.generated && n.length > 0 && off >= n.offset && off < n.offset + n.length) {
          if (!best || n.length <= best.node.length) best = it;
        }
        walk(it.children);
      }
    };
    walk(this.items);
    if (best) this.select(best);
  }

  /** Selected field's filter name and byte range, for tests and the status bar. */
  selection(): { field: string; offset: number; length: number } | null {
    return this.selected ? { field: this.selected.node.field, offset: this.highlighted[0], length: this.highlighted[1] - this.highlighted[0] } : null;
  }

  private renderHex(b: Uint8Array): void {
    this.hex.replaceChildren();
    this.byteEls = []; this.asciiEls = [];
    const frag = document.createDocumentFragment();
    for (let off = 0; off < b.length; off += 16) {
      const line = document.createElement('div');
      line.className = 'ntv-hexline';
      const o = document.createElement('span');
      o.className = 'ntv-off';
      o.textContent = off.toString(16).padStart(4, '0');
      const hex = document.createElement('span');
      hex.className = 'ntv-hexbytes';
      const ascii = document.createElement('span');
      ascii.className = 'ntv-ascii';
      for (let j = 0; j < 16 && off + j < b.length; j++) {
        const v = b[off + j];
        const h = document.createElement('span');
        h.className = 'b';
        h.dataset.off = String(off + j);
        h.textContent = HEX[v >> 4] + HEX[v & 15];
        hex.append(h);
        const a = document.createElement('span');
        a.className = 'a';
        a.dataset.off = String(off + j);
        a.textContent = v >= 0x20 && v < 0x7f ? String.fromCharCode(v) : '.';
        ascii.append(a);
        this.byteEls.push(h); this.asciiEls.push(a);
      }
      line.append(o, hex, ascii);
      frag.append(line);
    }
    this.hex.append(frag);
    this.highlighted = [0, 0];
  }

  highlight(offset: number, length: number): void {
    const [a, b] = this.highlighted;
    for (let i = a; i < b && i < this.byteEls.length; i++) { this.byteEls[i].classList.remove('hl'); this.asciiEls[i].classList.remove('hl'); }
    const end = Math.min(this.byteEls.length, offset + length);
    for (let i = offset; i < end; i++) { this.byteEls[i].classList.add('hl'); this.asciiEls[i].classList.add('hl'); }
    this.highlighted = [offset, Math.max(offset, end)];
    if (end > offset) this.byteEls[offset].scrollIntoView({ block: 'nearest' });
  }

  private onKey(e: KeyboardEvent): void {
    const idx = this.selected ? this.flat.indexOf(this.selected) : -1;
    const cur = this.selected;
    switch (e.key) {
      case 'ArrowDown': if (idx + 1 < this.flat.length) this.select(this.flat[idx + 1]); break;
      case 'ArrowUp': if (idx > 0) this.select(this.flat[idx - 1]); break;
      case 'Home': if (this.flat.length) this.select(this.flat[0]); break;
      case 'End': if (this.flat.length) this.select(this.flat[this.flat.length - 1]); break;
      case 'ArrowRight':
        if (cur && cur.children.length && !cur.expanded) this.toggle(cur);
        else if (cur && cur.children.length) this.select(cur.children[0]);
        break;
      case 'ArrowLeft':
        if (cur && cur.expanded) this.toggle(cur);
        else if (cur?.parent) this.select(cur.parent);
        break;
      case 'Enter': case ' ': if (cur) this.toggle(cur); break;
      default: return;
    }
    e.preventDefault();
  }
}
