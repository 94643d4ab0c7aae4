// A tiny typed event emitter for the device (no Node EventEmitter so core runs anywhere).

export interface DeviceEvents {
  /** A kernel log line (dmesg): `hv_netvsc <bus> eth0: Data path switched to VF: enP1s1`. */
  log: { level: 'info' | 'warn' | 'err'; dev: string; text: string; line: string };
  /** Configuration or link state changed (what: 'features' | 'channels' | 'ring' | 'mtu' | 'rss' | 'vf' | 'xdp' | 'link' | 'datapath'). */
  state: { what: string };
  /** Counters changed (after a slice of packets). */
  counters: { packets: number };
}

type Listener<T> = (e: T) => void;

export class Emitter<E extends object> {
  private listeners: { [K in keyof E]?: Listener<E[K]>[] } = {};

  on<K extends keyof E>(type: K, fn: Listener<E[K]>): () => void {
    (this.listeners[type] ??= []).push(fn);
    return () => {
      const l = this.listeners[type];
      if (l) l.splice(l.indexOf(fn), 1);
    };
  }

  emit<K extends keyof E>(type: K, event: E[K]): void {
    const l = this.listeners[type];
    if (l) for (const fn of l.slice()) fn(event);
  }
}
