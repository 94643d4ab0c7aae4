// The packet's way through the device: one box per stage the trace recorded, in order, with what
// the stage looked at, what it decided and why; drops in the drop colour. Related packets
// (fragments of one datagram, segments merged by RSC/GRO) are links that select them.
import type { PathResult } from '../../extension/core/traceview/protocol';

export class PathView {
  readonly el: HTMLElement;
  onGoto: (packet: number) => void = () => {};

  constructor() {
    this.el = document.createElement('div');
    this.el.className = 'ntv-path';
    this.el.setAttribute('aria-label', 'Path through the device');
    this.clear('Select a packet to see its path through the device.');
  }

  clear(text: string): void {
    const hint = document.createElement('div');
    hint.className = 'ntv-hint';
    hint.textContent = text;
    this.el.replaceChildren(hint);
  }

  show(p: PathResult): void {
    if (p.stages.length === 0 && p.related.length === 0) {
      this.clear(`No device trace for packet ${p.packet + 1}: this capture was not produced by a replay through the device.`);
      return;
    }
    const list = document.createElement('ol');
    list.className = 'ntv-stages';
    list.setAttribute('aria-label', `Stages of packet ${p.packet + 1}`);
    for (const s of p.stages) {
      const li = document.createElement('li');
      li.className = `ntv-stage ${s.outcome}`;
      li.dataset.stage = s.stage;
      const title = document.createElement('div');
      title.className = 'ntv-stage-title';
      title.textContent = s.title;
      const decision = document.createElement('div');
      decision.className = 'ntv-stage-decision';
      decision.textContent = s.reason ? `${s.decision} — ${s.reason}` : s.decision;
      li.append(title, decision);
      if (s.inputs.length) {
        const dl = document.createElement('dl');
        dl.className = 'ntv-stage-inputs';
        for (const [k, v] of s.inputs) {
          const dt = document.createElement('dt'); dt.textContent = k;
          const dd = document.createElement('dd'); dd.textContent = v;
          dl.append(dt, dd);
        }
        li.append(dl);
      }
      if (s.output?.length) {
        // The program's printk output: untrusted text, so textContent only.
        const pre = document.createElement('pre');
        pre.className = 'ntv-stage-output';
        pre.setAttribute('aria-label', 'bpf_printk output');
        pre.textContent = s.output.join('\n');
        li.append(pre);
      }
      if (s.outputNote) {
        const note = document.createElement('div');
        note.className = 'ntv-stage-note';
        note.textContent = s.outputNote;
        li.append(note);
      }
      list.append(li);
    }
    const parts: HTMLElement[] = [list];
    for (const r of p.related) {
      const div = document.createElement('div');
      div.className = 'ntv-related';
      div.append(`${r.kind[0].toUpperCase()}${r.kind.slice(1)}: `);
      for (const pk of r.packets) {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = `ntv-link${pk === p.packet ? ' current' : ''}`;
        b.textContent = String(pk + 1);
        b.title = `Go to packet ${pk + 1}`;
        b.addEventListener('click', () => this.onGoto(pk));
        div.append(b, ' ');
      }
      parts.push(div);
    }
    this.el.replaceChildren(...parts);
  }
}
