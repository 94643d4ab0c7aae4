// Charts on canvas, our own small code (no framework): packets per queue (RSS balance), XDP
// verdicts over time (stacked), throughput over time, and the indirection table as a grid
// coloured by queue. Colours come from CSS variables so they follow the theme.
import type { ChartsResult } from '../../extension/core/traceview/protocol';

const VERDICT_LABELS = ['no XDP', 'XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

function css(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

/** Distinct hues for queues, stable across charts. */
export function queueColour(q: number): string { return `hsl(${(q * 137.508) % 360} 60% 55%)`; }

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function human(v: number): string {
  if (v >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(Math.round(v * 100) / 100);
}

export class Charts {
  readonly el: HTMLElement;
  private readonly canvases: Record<'queues' | 'verdicts' | 'throughput' | 'indirection', HTMLCanvasElement>;
  private data: ChartsResult | null = null;

  constructor() {
    this.el = document.createElement('div');
    this.el.className = 'ntv-charts';
    const mk = (id: keyof Charts['canvases'], title: string) => {
      const fig = document.createElement('figure');
      fig.className = 'ntv-chart';
      const cap = document.createElement('figcaption');
      cap.textContent = title;
      const c = document.createElement('canvas');
      c.dataset.chart = id;
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', title);
      fig.append(cap, c);
      this.el.append(fig);
      return c;
    };
    this.canvases = {
      queues: mk('queues', 'Packets per queue'),
      verdicts: mk('verdicts', 'XDP verdicts over time'),
      throughput: mk('throughput', 'Throughput over time (bytes)'),
      indirection: mk('indirection', 'RSS indirection table (slot → queue)'),
    };
    new ResizeObserver(() => this.draw()).observe(this.el);
  }

  show(d: ChartsResult): void { this.data = d; this.draw(); }

  private ctx(c: HTMLCanvasElement): [CanvasRenderingContext2D, number, number] | null {
    const w = c.clientWidth, h = c.clientHeight;
    if (w === 0 || h === 0) return null;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const g = c.getContext('2d');
    if (!g) return null;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = `11px ${css(this.el, '--vscode-font-family', 'sans-serif')}`;
    g.fillStyle = css(this.el, '--vscode-foreground', '#ccc');
    g.strokeStyle = css(this.el, '--vscode-panel-border', '#888');
    return [g, w, h];
  }

  draw(): void {
    const d = this.data;
    if (!d) return;
    this.bars(this.canvases.queues, d.perQueue, (i) => queueColour(i), (i) => `q${i}`);
    this.stacked(this.canvases.verdicts, d.verdicts, d.bucketSeconds);
    this.bars(this.canvases.throughput, d.throughput, () => css(this.el, '--vscode-charts-blue', '#3794ff'), () => '');
    this.grid(this.canvases.indirection, d.indirection);
  }

  private bars(c: HTMLCanvasElement, values: number[], colour: (i: number) => string, label: (i: number) => string): void {
    const r = this.ctx(c);
    if (!r) return;
    const [g, w, h] = r;
    if (values.length === 0) { g.fillText('no data (no device trace)', 8, 16); return; }
    const max = niceMax(Math.max(...values));
    const left = 40, bottom = 16, top = 6;
    const bw = (w - left - 4) / values.length;
    g.fillText(human(max), 2, top + 8);
    g.fillText('0', 2, h - bottom);
    g.beginPath(); g.moveTo(left, top); g.lineTo(left, h - bottom); g.lineTo(w, h - bottom); g.stroke();
    for (let i = 0; i < values.length; i++) {
      const bh = (values[i] / max) * (h - bottom - top);
      g.fillStyle = colour(i);
      g.fillRect(left + i * bw + (bw > 4 ? 1 : 0), h - bottom - bh, Math.max(1, bw - (bw > 4 ? 2 : 0)), bh);
      const l = label(i);
      if (l && bw > 18) { g.fillStyle = css(this.el, '--vscode-foreground', '#ccc'); g.fillText(l, left + i * bw + 2, h - 3); }
    }
  }

  private stacked(c: HTMLCanvasElement, buckets: number[][], seconds: number): void {
    const r = this.ctx(c);
    if (!r) return;
    const [g, w, h] = r;
    const totals = buckets.map((b) => b.reduce((a, x) => a + x, 0));
    const max = niceMax(Math.max(0, ...totals));
    const left = 40, bottom = 16, top = 6;
    const bw = (w - left - 4) / Math.max(1, buckets.length);
    const colours = ['--ntv-verdict-none', '--ntv-verdict-aborted', '--ntv-verdict-drop', '--ntv-verdict-pass', '--ntv-verdict-tx', '--ntv-verdict-redirect']
      .map((v, i) => css(this.el, v, ['#888', '#c586c0', '#f14c4c', '#89d185', '#3794ff', '#cca700'][i]));
    g.fillText(human(max), 2, top + 8);
    g.fillText(`${human(seconds)} s / bar`, left + 4, h - 3);
    for (let i = 0; i < buckets.length; i++) {
      let y = h - bottom;
      for (let v = 0; v < buckets[i].length; v++) {
        const bh = (buckets[i][v] / max) * (h - bottom - top);
        if (bh <= 0) continue;
        g.fillStyle = colours[v];
        g.fillRect(left + i * bw, y - bh, Math.max(1, bw - 1), bh);
        y -= bh;
      }
    }
    let x = w - 4;
    g.font = `10px ${css(this.el, '--vscode-font-family', 'sans-serif')}`;
    for (let v = VERDICT_LABELS.length - 1; v >= 0; v--) {
      if (!buckets.some((b) => b[v] > 0)) continue; // only the verdicts that occur
      const tw = g.measureText(VERDICT_LABELS[v]).width;
      x -= tw + 14;
      // The legend shares the bottom line with the bucket width, right-aligned, clear of the bars' top.
      g.fillStyle = colours[v]; g.fillRect(x, h - 12, 9, 9);
      g.fillStyle = css(this.el, '--vscode-foreground', '#ccc'); g.fillText(VERDICT_LABELS[v], x + 11, h - 3);
    }
  }

  private grid(c: HTMLCanvasElement, table: number[]): void {
    const r = this.ctx(c);
    if (!r) return;
    const [g, w, h] = r;
    if (table.length === 0) { g.fillText('indirection table unknown', 8, 16); return; }
    const cols = 16, rows = Math.ceil(table.length / cols);
    const cw = w / cols, ch = h / rows;
    for (let i = 0; i < table.length; i++) {
      const x = (i % cols) * cw, y = Math.floor(i / cols) * ch;
      g.fillStyle = queueColour(table[i]);
      g.fillRect(x + 0.5, y + 0.5, cw - 1, ch - 1);
      if (cw > 14 && ch > 10) { g.fillStyle = '#000'; g.fillText(String(table[i]), x + 3, y + ch - 3); }
    }
  }
}
