// The packet list: a virtualised grid. Only the rows on screen exist in the DOM (a pool of row
// elements re-filled on scroll); rows come from the host in pages of columns, cached (LRU) per
// view. The scroll range is capped below the browser's maximum element height and mapped onto
// the row range, so a list of ten million rows scrolls like a list of a hundred.
import { decodeF64, decodeI16, decodeI8, decodeU16, decodeU32, decodeU8 } from '../../extension/core/traceview/b64';
import { formatCount, formatHash, formatPath, formatQueue, formatTime, formatXdp } from '../../extension/core/traceview/format';
import { ROW_HASH_VALID, type ColumnId, type OpenResult, type RowPage, type SortSpec, type TimeFormat } from '../../extension/core/traceview/protocol';

export const ROW_HEIGHT = 20;
export const PAGE_ROWS = 200;
const MAX_PAGES = 64;
/** Keep the spacer well under Chromium's ~33.5M px element height limit. */
const MAX_SCROLL_PX = 8_000_000;

interface Page {
  index: Uint32Array; tsSec: Float64Array; tsNsec: Uint32Array; delta: Float64Array; length: Uint32Array;
  source: string[]; destination: string[]; protocol: string[]; info: string[];
  queue: Int16Array; hash: Uint32Array; path: Uint8Array; xdp: Int8Array; rsc: Uint16Array; gro: Uint16Array;
  drop: Uint8Array; flags: Uint16Array; colour: Uint8Array;
}

function decodePage(p: RowPage): Page {
  return {
    index: decodeU32(p.index), tsSec: decodeF64(p.tsSec), tsNsec: decodeU32(p.tsNsec), delta: decodeF64(p.delta),
    length: decodeU32(p.length), source: p.source, destination: p.destination, protocol: p.protocol, info: p.info,
    queue: decodeI16(p.queue), hash: decodeU32(p.hash), path: decodeU8(p.path), xdp: decodeI8(p.xdp), rsc: decodeU16(p.rsc),
    gro: decodeU16(p.gro), drop: decodeU8(p.drop), flags: decodeU16(p.flags), colour: decodeU8(p.colour),
  };
}

export interface ColumnDef { id: ColumnId; title: string; width: string; device?: boolean; align?: 'right' }

/** Display order: Wireshark's default columns, the device's, then Info taking the rest. */
export const COLUMNS: ColumnDef[] = [
  { id: 'no', title: 'No.', width: '9ch', align: 'right' },
  { id: 'time', title: 'Time', width: '14ch' },
  { id: 'source', title: 'Source', width: '16ch' },
  { id: 'destination', title: 'Destination', width: '16ch' },
  { id: 'protocol', title: 'Protocol', width: '10ch' },
  { id: 'length', title: 'Length', width: '8ch', align: 'right' },
  { id: 'queue', title: 'Queue', width: '8ch', device: true, align: 'right' },
  { id: 'hash', title: 'Hash', width: '13ch', device: true },
  { id: 'path', title: 'Path', width: '12ch', device: true },
  { id: 'xdp', title: 'XDP', width: '15ch', device: true },
  { id: 'rsc', title: 'RSC', width: '6ch', device: true, align: 'right' },
  { id: 'gro', title: 'GRO', width: '6ch', device: true, align: 'right' },
  { id: 'drop', title: 'Drop', width: '12ch', device: true },
  { id: 'info', title: 'Info', width: 'minmax(20ch, 1fr)' },
];

export interface ListEvents {
  /** A row was selected (packet index, view row). */
  select(packet: number, row: number): void;
  sort(spec: SortSpec | null): void;
  /** Enter / double click on a row. */
  activate(packet: number): void;
  /** Rows fetched or scrolled: for state saving. */
  scrolled(firstRow: number): void;
  /** A column was resized (or reset by double click): the widths set by hand, in px. */
  resized?(widths: Partial<Record<ColumnId, number>>): void;
}

/** Narrowest a column can be dragged to (px). */
const MIN_COL_PX = 24;

export class PacketList {
  readonly el: HTMLElement;
  private readonly header: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly layer: HTMLElement;
  private readonly spacer: HTMLElement;
  private rowEls: HTMLElement[] = [];
  private columns: ColumnDef[] = COLUMNS;
  /** Widths set by dragging a header's edge (px); the others keep their default. */
  private widths: Partial<Record<ColumnId, number>> = {};
  private viewId = 0;
  total = 0;
  private readonly pages = new Map<number, Page>();
  private readonly inflight = new Set<number>();
  private timeFormat: TimeFormat = 'relative';
  private sort: SortSpec | null = null;
  selectedPacket = -1;
  selectedRow = -1;
  firstRow = 0;
  private visibleRows = 0;
  private rafPending = false;
  /** Last render's duration in ms (read by the benchmark). */
  lastRenderMs = 0;

  constructor(private readonly meta: OpenResult, private readonly fetchRows: (viewId: number, start: number, count: number) => Promise<RowPage>,
    private readonly events: ListEvents) {
    this.el = document.createElement('div');
    this.el.className = 'ntv-list';
    this.el.setAttribute('role', 'grid');
    this.el.setAttribute('aria-label', 'Packet list');
    this.el.tabIndex = 0;
    this.header = document.createElement('div');
    this.header.className = 'ntv-header';
    this.header.setAttribute('role', 'row');
    this.viewport = document.createElement('div');
    this.viewport.className = 'ntv-viewport';
    this.layer = document.createElement('div');
    this.layer.className = 'ntv-rows';
    this.layer.setAttribute('role', 'rowgroup');
    this.spacer = document.createElement('div');
    this.spacer.className = 'ntv-spacer';
    this.viewport.append(this.layer, this.spacer);
    this.el.append(this.header, this.viewport);
    if (!meta.hasDeviceTrace) this.columns = COLUMNS.filter((c) => !c.device);
    this.applyWidths();
    this.buildHeader();
    this.viewport.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.layout()).observe(this.viewport);
    this.layer.addEventListener('click', (e) => {
      const row = this.rowOfEvent(e);
      if (row >= 0) this.select(row);
      this.el.focus({ preventScroll: true });
    });
    this.layer.addEventListener('dblclick', (e) => { const row = this.rowOfEvent(e); if (row >= 0) this.activateRow(row); });
    this.el.addEventListener('keydown', (e) => this.onKey(e));
  }

  private rowOfEvent(e: Event): number {
    const t = (e.target as HTMLElement).closest('.ntv-row') as HTMLElement | null;
    if (!t || t.dataset.row === undefined || t.dataset.row === '') return -1;
    return Number(t.dataset.row);
  }

  private buildHeader(): void {
    this.header.replaceChildren();
    for (const c of this.columns) {
      const h = document.createElement('div');
      h.className = `ntv-th${c.align === 'right' ? ' right' : ''}`;
      h.setAttribute('role', 'columnheader');
      h.dataset.col = c.id;
      h.tabIndex = -1;
      h.textContent = c.title;
      h.title = `Sort by ${c.title}`;
      const s = this.sort;
      h.setAttribute('aria-sort', s && s.column === c.id ? (s.descending ? 'descending' : 'ascending') : 'none');
      h.addEventListener('click', () => this.clickSort(c.id));
      if (c.id !== 'info') h.append(this.resizeHandle(c, h)); // Info takes what is left
      this.header.append(h);
    }
  }

  /** The drag handle on a header's right edge (Wireshark's column resizing): drag, arrow keys, double click resets. */
  private resizeHandle(c: ColumnDef, th: HTMLElement): HTMLElement {
    const grip = document.createElement('div');
    grip.className = 'ntv-resize';
    grip.setAttribute('role', 'separator');
    grip.setAttribute('aria-orientation', 'vertical');
    grip.setAttribute('aria-label', `Resize ${c.title}`);
    grip.tabIndex = -1;
    grip.title = 'Drag to resize; double-click for the default width';
    const set = (px: number | undefined): void => {
      if (px === undefined) delete this.widths[c.id]; else this.widths[c.id] = Math.max(MIN_COL_PX, Math.round(px));
      this.applyWidths();
    };
    grip.addEventListener('click', (e) => e.stopPropagation()); // not a sort
    grip.addEventListener('dblclick', (e) => { e.stopPropagation(); set(undefined); this.events.resized?.({ ...this.widths }); });
    grip.addEventListener('pointerdown', (e) => {
      e.preventDefault();
      e.stopPropagation();
      grip.setPointerCapture(e.pointerId);
      const x0 = e.clientX, w0 = th.getBoundingClientRect().width;
      const move = (m: PointerEvent) => set(w0 + m.clientX - x0);
      const up = () => {
        grip.removeEventListener('pointermove', move);
        grip.removeEventListener('pointerup', up);
        grip.removeEventListener('pointercancel', up);
        this.events.resized?.({ ...this.widths });
      };
      grip.addEventListener('pointermove', move);
      grip.addEventListener('pointerup', up);
      grip.addEventListener('pointercancel', up);
    });
    grip.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      e.preventDefault();
      e.stopPropagation();
      set(th.getBoundingClientRect().width + (e.key === 'ArrowRight' ? 8 : -8));
      this.events.resized?.({ ...this.widths });
    });
    return grip;
  }

  /** Widths set by hand (restored from the webview's state). */
  setColumnWidths(w: Partial<Record<ColumnId, number>> | undefined): void {
    this.widths = {};
    for (const c of this.columns) {
      const px = w?.[c.id];
      if (c.id !== 'info' && typeof px === 'number' && Number.isFinite(px)) this.widths[c.id] = Math.max(MIN_COL_PX, Math.round(px));
    }
    this.applyWidths();
  }

  private applyWidths(): void {
    this.el.style.setProperty('--ntv-cols', this.columns.map((c) => (this.widths[c.id] !== undefined ? `${this.widths[c.id]}px` : c.width)).join(' '));
  }

  /** Click on a header: ascending, then descending, then capture order again. */
  private clickSort(col: ColumnId): void {
    const s = this.sort;
    const next: SortSpec | null = !s || s.column !== col ? { column: col, descending: false } : !s.descending ? { column: col, descending: true } : null;
    this.events.sort(next);
  }

  setSort(s: SortSpec | null): void { this.sort = s; this.buildHeader(); }

  setTimeFormat(f: TimeFormat): void { this.timeFormat = f; this.render(); }

  /** A new view (filter/sort applied): drop the cache, keep the selection when the packet is in it. `page0`: its rows from 0, already here. */
  setView(viewId: number, total: number, firstRow = 0, page0?: RowPage): void {
    this.viewId = viewId;
    this.total = total;
    this.pages.clear();
    this.inflight.clear();
    if (page0) this.pages.set(0, decodePage(page0));
    this.el.setAttribute('aria-rowcount', String(total + 1));
    this.spacerHeight();
    this.scrollToRow(Math.min(firstRow, Math.max(0, total - 1)), 'top');
    this.render();
  }

  private contentPx(): number { return this.total * ROW_HEIGHT; }

  private spacerHeight(): void {
    const viewH = this.viewport.clientHeight;
    const h = Math.min(this.contentPx(), MAX_SCROLL_PX);
    // The sticky row layer takes one viewport height of the flow; the spacer adds the rest.
    this.spacer.style.height = `${Math.max(0, h - viewH)}px`;
  }

  private layout(): void {
    const n = Math.ceil(this.viewport.clientHeight / ROW_HEIGHT) + 1;
    // Rows that fit entirely: what PageDown moves by and what "in view" means.
    this.visibleRows = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT));
    while (this.rowEls.length < n) {
      const r = document.createElement('div');
      r.className = 'ntv-row';
      r.setAttribute('role', 'row');
      for (const c of this.columns) {
        const cell = document.createElement('div');
        cell.className = `ntv-td${c.align === 'right' ? ' right' : ''}`;
        cell.setAttribute('role', 'gridcell');
        r.append(cell);
      }
      this.layer.append(r);
      this.rowEls.push(r);
    }
    while (this.rowEls.length > n) this.rowEls.pop()!.remove();
    this.spacerHeight();
    this.render();
  }

  /** Virtual pixel position of the top of the viewport. */
  private position(): number {
    const maxScroll = this.viewport.scrollHeight - this.viewport.clientHeight;
    const span = this.contentPx() - this.viewport.clientHeight;
    if (maxScroll <= 0 || span <= 0) return 0;
    return (this.viewport.scrollTop / maxScroll) * span;
  }

  scrollToRow(row: number, where: 'top' | 'nearest' = 'nearest'): void {
    if (this.total === 0) return;
    row = Math.max(0, Math.min(this.total - 1, row));
    if (where === 'nearest' && row >= this.firstRow && row < this.firstRow + this.visibleRows) return;
    const targetFirst = where === 'top' || row < this.firstRow ? row : row - this.visibleRows + 1;
    const maxScroll = this.viewport.scrollHeight - this.viewport.clientHeight;
    const span = this.contentPx() - this.viewport.clientHeight;
    if (maxScroll > 0 && span > 0) this.viewport.scrollTop = Math.min(maxScroll, Math.ceil((Math.max(0, targetFirst) * ROW_HEIGHT / span) * maxScroll));
    this.render();
  }

  private schedule(): void {
    if (this.rafPending) return;
    this.rafPending = true;
    requestAnimationFrame(() => { this.rafPending = false; this.render(); });
  }

  /** Fills the row pool from the page cache; asks for missing pages. */
  render(): void {
    const t0 = performance.now();
    const pos = this.position();
    const first = Math.floor(pos / ROW_HEIGHT);
    const offset = pos - first * ROW_HEIGHT;
    this.firstRow = first;
    this.layer.style.transform = `translateY(${-offset}px)`;
    for (let k = 0; k < this.rowEls.length; k++) {
      const el = this.rowEls[k];
      const row = first + k;
      if (row >= this.total) { el.hidden = true; el.dataset.row = ''; continue; }
      el.hidden = false;
      el.dataset.row = String(row);
      el.setAttribute('aria-rowindex', String(row + 2));
      const page = this.pages.get(Math.floor(row / PAGE_ROWS));
      if (!page) { this.fillEmpty(el); continue; }
      this.fillRow(el, page, row % PAGE_ROWS);
    }
    this.ensurePages(first, first + this.rowEls.length);
    this.events.scrolled(first);
    this.lastRenderMs = performance.now() - t0;
  }

  private fillEmpty(el: HTMLElement): void {
    el.className = 'ntv-row loading';
    if (el.id) el.removeAttribute('id');
    el.removeAttribute('aria-selected');
    for (const c of el.children) c.textContent = '';
  }

  private fillRow(el: HTMLElement, p: Page, r: number): void {
    const packet = p.index[r];
    const sel = packet === this.selectedPacket;
    el.className = `ntv-row c${p.colour[r]}${sel ? ' selected' : ''}`;
    el.setAttribute('aria-selected', sel ? 'true' : 'false');
    // Row elements are recycled: the selected one carries the id the grid's aria-activedescendant names.
    if (sel) el.id = 'ntv-selected-row'; else if (el.id) el.removeAttribute('id');
    el.dataset.packet = String(packet);
    const cells = el.children;
    const m = this.meta;
    for (let c = 0; c < this.columns.length; c++) {
      let text: string;
      switch (this.columns[c].id) {
        case 'no': text = String(packet + 1); break;
        case 'time': text = formatTime(this.timeFormat, p.tsSec[r], p.tsNsec[r], p.delta[r], m.firstSec, m.firstNsec, m.timePrecision); break;
        case 'source': text = p.source[r]; break;
        case 'destination': text = p.destination[r]; break;
        case 'protocol': text = p.protocol[r]; break;
        case 'length': text = String(p.length[r]); break;
        case 'info': text = p.info[r]; break;
        case 'queue': text = formatQueue(p.queue[r]); break;
        case 'hash': text = formatHash(p.hash[r], (p.flags[r] & ROW_HASH_VALID) !== 0); break;
        case 'path': text = formatPath(p.path[r]); break;
        case 'xdp': text = formatXdp(p.xdp[r]); break;
        case 'rsc': text = formatCount(p.rsc[r]); break;
        case 'gro': text = formatCount(p.gro[r]); break;
        case 'drop': text = m.dropReasons[p.drop[r]] ?? String(p.drop[r]); break;
      }
      const cell = cells[c];
      if (cell.textContent !== text) cell.textContent = text;
    }
  }

  private ensurePages(fromRow: number, toRow: number): void {
    const a = Math.floor(fromRow / PAGE_ROWS), b = Math.floor(Math.min(toRow, this.total - 1) / PAGE_ROWS);
    for (let pg = a; pg <= b; pg++) this.fetchPage(pg);
    // Read ahead one page in each direction so a scroll step rarely waits.
    if (b + 1 <= Math.floor((this.total - 1) / PAGE_ROWS)) this.fetchPage(b + 1);
    if (a > 0) this.fetchPage(a - 1);
  }

  private fetchPage(pg: number): void {
    if (this.pages.has(pg) || this.inflight.has(pg)) return;
    this.inflight.add(pg);
    const viewId = this.viewId;
    this.fetchRows(viewId, pg * PAGE_ROWS, PAGE_ROWS).then((page) => {
      if (viewId !== this.viewId) return;
      this.inflight.delete(pg);
      this.pages.set(pg, decodePage(page));
      if (this.pages.size > MAX_PAGES) {
        const visible = Math.floor(this.firstRow / PAGE_ROWS);
        for (const k of this.pages.keys()) { if (Math.abs(k - visible) > 2) { this.pages.delete(k); break; } }
      }
      this.schedule();
    }, () => { this.inflight.delete(pg); });
  }

  /** Is the last row on screen? (A live trace keeps following the end while it is.) */
  atEnd(): boolean { return this.total === 0 || this.firstRow + this.visibleRows >= this.total - 1; }

  /** Packet index shown at view row `row`, or -1 when that page is not loaded. */
  packetAt(row: number): number {
    const p = this.pages.get(Math.floor(row / PAGE_ROWS));
    return p ? p.index[row % PAGE_ROWS] : -1;
  }

  select(row: number): void {
    if (this.total === 0) return;
    row = Math.max(0, Math.min(this.total - 1, row));
    this.selectedRow = row;
    this.scrollToRow(row);
    const packet = this.packetAt(row);
    if (packet >= 0) {
      this.selectedPacket = packet;
      this.render();
      this.el.setAttribute('aria-activedescendant', 'ntv-selected-row');
      this.events.select(packet, row);
    } else {
      // The page is on its way: select once it is here.
      const pg = Math.floor(row / PAGE_ROWS);
      this.fetchPage(pg);
      const wait = () => { if (this.pages.has(pg)) this.select(row); else setTimeout(wait, 10); };
      setTimeout(wait, 10);
    }
  }

  private activateRow(row: number): void { const p = this.packetAt(row); if (p >= 0) this.events.activate(p); }

  private onKey(e: KeyboardEvent): void {
    const cur = this.selectedRow < 0 ? this.firstRow - 1 : this.selectedRow;
    let next: number;
    switch (e.key) {
      case 'ArrowDown': next = cur + 1; break;
      case 'ArrowUp': next = cur - 1; break;
      case 'PageDown': next = cur + this.visibleRows; break;
      case 'PageUp': next = cur - this.visibleRows; break;
      case 'Home': next = 0; break;
      case 'End': next = this.total - 1; break;
      case 'Enter': if (this.selectedRow >= 0) this.activateRow(this.selectedRow); e.preventDefault(); return;
      default: return;
    }
    e.preventDefault();
    this.select(next);
  }
}
