// The trace viewer page: packet list, filter bar, details + bytes, the packet's path through the
// device, charts and actions. It owns no data: everything comes from the host through the typed
// protocol (`extension/core/traceview/protocol.ts`), page by page.
import { host, opening, rpc, saved, type SavedState } from './early'; // first: the open is on its way while the rest loads
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import type { OpenResult, RowPage, TimeFormat, ViewResult } from '../../extension/core/traceview/protocol';
import { Charts } from './charts';
import { DetailPane } from './detail';
import { FilterBar } from './filterBar';
import { PacketList } from './list';
import { PathView } from './pathView';

/** The view the host made with the open, and its first page of rows. */
interface FirstView { view: ViewResult; rows?: RowPage }


function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, title: string, onClick: () => void, secondary = true): HTMLElement {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  b.title = title;
  if (secondary) b.setAttribute('secondary', '');
  b.addEventListener('click', onClick);
  return b;
}

async function copyText(text: string): Promise<void> {
  try { await navigator.clipboard.writeText(text); return; } catch { /* fall through: no clipboard permission in this frame */ }
  const ta = document.createElement('textarea');
  ta.value = text;
  document.body.append(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}

async function start(): Promise<void> {
  const app = document.getElementById('app')!;
  let meta: OpenResult;
  let first: FirstView | undefined;
  try {
    // The saved (or empty) view and its first rows come with the open (early.ts): one round trip to the first paint.
    const o = await opening;
    first = o.first;
    delete o.first;
    meta = o;
  } catch (e) {
    app.replaceChildren(el('div', 'ntv-fatal', `Cannot open the trace: ${e instanceof Error ? e.message : String(e)}`));
    return;
  }
  const state: SavedState = { filter: saved?.filter ?? '', sort: saved?.sort ?? null, timeFormat: saved?.timeFormat ?? 'relative', packet: saved?.packet ?? -1, firstRow: saved?.firstRow ?? 0, tab: saved?.tab ?? 0, widths: saved?.widths };
  const save = () => host.setState(state);

  let viewId = 0;
  let total = meta.count;
  const status = el('div', 'ntv-status');
  status.setAttribute('role', 'status');
  const counts = el('span', 'ntv-counts');
  const note = el('span', 'ntv-note');
  const field = el('span', 'ntv-field');
  status.append(counts, note, field);
  const setNote = (t: string) => { note.textContent = t; };
  const showCounts = (ms?: number) => {
    const pct = meta.count ? ((100 * total) / meta.count).toFixed(1) : '0';
    counts.textContent = `Packets: ${meta.count} · Displayed: ${total} (${pct}%)${ms !== undefined ? ` · ${ms.toFixed(0)} ms` : ''}`;
  };

  const detail = new DetailPane();
  detail.onField = (t) => { field.textContent = t; };
  const path = new PathView();
  const charts = new Charts();

  const list = new PacketList(meta, (v, s, c) => rpc.request('rows', { viewId: v, start: s, count: c }), {
    select: (packet) => { state.packet = packet; save(); void showPacket(packet); },
    sort: (spec) => { state.sort = spec; save(); list.setSort(spec); void applyView(state.filter, true); },
    activate: (packet) => { void rpc.request('action', { kind: 'stepThrough', packet }).then((r) => setNote(r.message), (e: Error) => setNote(e.message)); },
    scrolled: (first) => { if (state.firstRow !== first) { state.firstRow = first; save(); } },
    resized: (widths) => { state.widths = widths; save(); },
  });
  viewer.list = list;
  list.setSort(state.sort);
  list.setColumnWidths(state.widths);
  list.setTimeFormat(state.timeFormat);

  let shown = -1;
  async function showPacket(packet: number): Promise<void> {
    shown = packet;
    const [d, p] = await Promise.all([rpc.request('detail', { packet }), rpc.request('path', { packet })]);
    if (shown !== packet) return;
    detail.show(d);
    path.show(p);
  }
  path.onGoto = (packet) => { void goToPacket(packet); };

  async function refreshCharts(): Promise<void> {
    if (tabs.getAttribute('selected-index') !== '1' && state.tab !== 1) return;
    charts.show(await rpc.request('charts', { viewId, buckets: 60 }));
  }

  /** Applies a filter (and the sort); `pre` is that view already made by the host (with the open). */
  async function applyView(filter: string, keepPacket: boolean, pre?: FirstView): Promise<boolean> {
    const v = pre?.view ?? await rpc.request('view', { filter, sort: state.sort });
    if (v.error) {
      filterBar.setState('invalid', `${v.error.message} (column ${v.error.column})`);
      return false;
    }
    state.filter = filter; save();
    viewId = v.viewId;
    total = v.total;
    showCounts(v.elapsedMs);
    let row = 0;
    if (keepPacket && state.packet >= 0) {
      const r = await rpc.request('locate', { viewId, packet: state.packet });
      row = Math.max(0, r.row);
    }
    list.setView(viewId, total, Math.max(0, row - 3), pre?.rows);
    if (keepPacket && state.packet >= 0) list.select(row);
    void refreshCharts();
    return true;
  }

  async function goToPacket(packet: number): Promise<void> {
    const r = await rpc.request('locate', { viewId, packet });
    if (r.row < 0) { setNote(`Packet ${packet + 1} is not in the displayed packets.`); return; }
    list.select(r.row);
  }

  const filterBar = new FilterBar({
    check: async (text) => (await rpc.request('checkFilter', { filter: text })).error,
    complete: async (prefix) => (await rpc.request('complete', { prefix })).items,
    apply: (text) => { void applyView(text, true); },
  });

  // Toolbar
  const toolbar = el('div', 'ntv-toolbar');
  toolbar.setAttribute('role', 'toolbar');
  const timeSel = document.createElement('vscode-single-select');
  timeSel.setAttribute('aria-label', 'Time format');
  timeSel.className = 'ntv-time';
  for (const [v, label] of [['relative', 'Seconds since beginning'], ['absolute', 'Time of day (UTC)'], ['delta', 'Since previous packet']] as const) {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', v);
    o.textContent = label;
    if (v === state.timeFormat) o.setAttribute('selected', '');
    timeSel.append(o);
  }
  timeSel.addEventListener('change', () => {
    state.timeFormat = (timeSel as unknown as { value: TimeFormat }).value;
    save();
    list.setTimeFormat(state.timeFormat);
  });
  const gotoInput = el('input', 'ntv-goto');
  gotoInput.type = 'text';
  gotoInput.inputMode = 'numeric';
  gotoInput.placeholder = 'Go to packet';
  gotoInput.setAttribute('aria-label', 'Go to packet number');
  gotoInput.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const n = Number(gotoInput.value);
    if (!Number.isInteger(n) || n < 1 || n > meta.count) { setNote(`No packet ${gotoInput.value}: numbers go from 1 to ${meta.count}.`); return; }
    void goToPacket(n - 1).then(() => list.el.focus());
  });
  const needPacket = (fn: (p: number) => void) => () => { if (state.packet < 0) setNote('Select a packet first.'); else fn(state.packet); };
  const actions = el('div', 'ntv-actions');
  actions.append(
    button('Apply', 'Apply the display filter (Enter)', () => { void applyView(filterBar.value, true); }, false),
    button('Clear', 'Clear the display filter', () => { filterBar.value = ''; void applyView('', true); }),
    button('Follow', 'Follow the UDP/TCP flow of the selected packet (filter to it)', needPacket(async (packet) => {
      const r = await rpc.request('follow', { packet });
      if (!r.filter) { setNote(`Packet ${packet + 1} has no UDP/TCP flow to follow.`); return; }
      filterBar.value = r.filter;
      await applyView(r.filter, true);
    })),
    button('Copy hex', 'Copy the selected packet as a hex dump', needPacket(async (packet) => {
      const r = await rpc.request('copy', { packet, as: 'hex' });
      await copyText(r.text); viewer.lastCopied = r.text; setNote(`Copied packet ${packet + 1} as hex.`);
    })),
    button('Copy text', 'Copy the selected packet as text (summary, device columns, details)', needPacket(async (packet) => {
      const r = await rpc.request('copy', { packet, as: 'text' });
      await copyText(r.text); viewer.lastCopied = r.text; setNote(`Copied packet ${packet + 1} as text.`);
    })),
    button('Export…', 'Export the displayed packets as pcapng, with the device decisions as comments', () => {
      void rpc.request('export', { viewId }).then((r) => {
        setNote(r.message);
        if (r.href) { const a = document.createElement('a'); a.href = r.href; a.download = ''; document.body.append(a); a.click(); a.remove(); }
      }, (e: Error) => setNote(e.message));
    }),
    button('Step through', 'Start the debugger on the selected packet', needPacket((packet) => {
      void rpc.request('action', { kind: 'stepThrough', packet }).then((r) => setNote(r.message), (e: Error) => setNote(e.message));
    })),
    button('Replay from here', 'Replay the trace from the selected packet', needPacket((packet) => {
      void rpc.request('action', { kind: 'replayFrom', packet }).then((r) => setNote(r.message), (e: Error) => setNote(e.message));
    })),
  );
  toolbar.append(filterBar.el, timeSel, gotoInput, actions);

  // Bottom: details | bytes | path/charts
  const tabs = document.createElement('vscode-tabs');
  tabs.className = 'ntv-tabs';
  const th1 = document.createElement('vscode-tab-header'); th1.setAttribute('slot', 'header'); th1.textContent = 'Path through the device';
  const tp1 = document.createElement('vscode-tab-panel'); tp1.append(path.el);
  const th2 = document.createElement('vscode-tab-header'); th2.setAttribute('slot', 'header'); th2.textContent = 'Charts';
  const tp2 = document.createElement('vscode-tab-panel'); tp2.append(charts.el);
  tabs.append(th1, tp1, th2, tp2);
  tabs.setAttribute('selected-index', String(state.tab));
  tabs.addEventListener('vsc-tabs-select', (e) => {
    state.tab = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    save();
    void refreshCharts();
  });
  const bottom = el('div', 'ntv-bottom');
  const detailBox = el('section', 'ntv-pane ntv-detail');
  detailBox.setAttribute('aria-label', 'Packet details');
  detailBox.append(detail.tree);
  const hexBox = el('section', 'ntv-pane ntv-bytes');
  hexBox.setAttribute('aria-label', 'Packet bytes');
  hexBox.append(detail.hex);
  const sideBox = el('section', 'ntv-pane ntv-side');
  sideBox.append(tabs);
  bottom.append(detailBox, hexBox, sideBox);

  const banner = el('div', 'ntv-banner');
  if (meta.error) { banner.textContent = `The capture is damaged: ${meta.error}. Showing the ${meta.count} packets before it.`; banner.classList.add('error'); }
  else if (meta.warnings.length) banner.textContent = `${meta.warnings.length} warning(s): ${meta.warnings[0]}`;
  // An empty banner keeps its grid row (zero height), so the list and panes keep theirs.

  app.replaceChildren(toolbar, banner, list.el, bottom, status);
  app.classList.toggle('no-device', !meta.hasDeviceTrace);
  document.title = meta.name;

  // Global keys: Ctrl+/ filter, Ctrl+G go to packet.
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === '/') { e.preventDefault(); filterBar.input.focus(); }
    else if ((e.ctrlKey || e.metaKey) && (e.key === 'g' || e.key === 'G')) { e.preventDefault(); gotoInput.focus(); }
    else if (!e.ctrlKey && !e.metaKey && !e.altKey && e.key.length === 1 && e.key !== ' '
      && (document.activeElement === list.el || document.activeElement === document.body)) {
      // Wireshark: typing in the packet list starts a display filter.
      e.preventDefault();
      filterBar.input.focus();
      filterBar.input.value += e.key;
      filterBar.input.dispatchEvent(new Event('input'));
    }
  });

  rpc.onEvent((ev) => {
    if (ev.type === 'grown') {
      // Follow the end of a live trace while the user looks at it; otherwise keep their place.
      const follow = list.atEnd() && state.packet < 0;
      const first = list.firstRow;
      meta.count = ev.count;
      void applyView(state.filter, true).then(() => { if (follow) list.scrollToRow(total - 1, 'nearest'); else if (state.packet < 0) list.scrollToRow(first, 'top'); });
    }
    else if (ev.type === 'reveal') { state.packet = ev.packet; void goToPacket(ev.packet); }
    else if (ev.type === 'closed') setNote('The trace was closed by its owner.');
  });

  filterBar.value = state.filter;
  const ok = await applyView(state.filter, state.packet >= 0, first);
  if (!ok) await applyView('', false);
  if (state.firstRow > 0 && state.packet < 0) list.scrollToRow(state.firstRow, 'top');
  viewer.ready = true;
  document.body.dataset.ready = 'true';
}

/** A handle for tests and the benchmark (no behaviour hangs on it). */
const viewer: { ready: boolean; lastCopied: string; list?: PacketList } = { ready: false, lastCopied: '' };
(window as unknown as { ntvViewer: typeof viewer }).ntvViewer = viewer;

void start();
