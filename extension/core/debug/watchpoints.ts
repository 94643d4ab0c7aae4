/**
 * Data breakpoints ("Break on Value Change") on map elements: `proto_count[17]`, a hash map's
 * entry by key. A watch stops right after the instruction (a store, an atomic, or a helper such
 * as bpf_map_update_elem / bpf_map_delete_elem) that changed the element's bytes, or created or
 * deleted it — the way a hardware watchpoint reports the write. Map elements are the state that
 * outlives a packet, so a packet run at full speed only needs its watched values compared
 * afterwards; the runtime re-runs a packet that changed one, recorded, to find the instruction.
 *
 * A dataId names the map and the key bytes: `map:<map name>:<key as hex>`.
 */
import type { BpfMap } from '../ebpf/maps';

export interface DataWatch {
  id: number;
  dataId: string;
  mapName: string;
  key: Uint8Array;
  /** `proto_count[17]`: what the UI and the stop say. */
  label: string;
  /** The element's bytes when last looked at (null: no such element). */
  last: Uint8Array | null;
}

export interface DataBreakpointResult { id: number; verified: boolean; message?: string }

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** The dataId of a map element. */
export function mapElementDataId(map: BpfMap, key: Uint8Array): string {
  return `map:${map.name}:${hex(key)}`;
}

const sameBytes = (a: Uint8Array | null, b: Uint8Array | null): boolean => {
  if (a === null || b === null) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

export class DataWatches {
  private list: DataWatch[] = [];
  private nextId = 100_000; // apart from the other breakpoints' ids
  /** The watches that fired at the last `changed()`, with their old values (for the stop's text). */
  fired: { watch: DataWatch; before: Uint8Array | null }[] = [];

  get size(): number { return this.list.length; }

  /** Replaces the watches (DAP setDataBreakpoints). A dataId whose map is gone is not verified. */
  set(dataIds: readonly string[], maps: readonly BpfMap[]): DataBreakpointResult[] {
    this.list = [];
    return dataIds.map((dataId) => {
      const id = this.nextId++;
      const m = /^map:(.+):([0-9a-f]*)$/.exec(dataId);
      const map = m ? maps.find((x) => x.name === m[1]) : undefined;
      if (!m || !map) return { id, verified: false, message: `'${dataId}' is not a map element of this program` };
      const key = Uint8Array.from(m[2].match(/../g) ?? [], (h) => parseInt(h, 16));
      if (key.length !== map.keySize) return { id, verified: false, message: `key of ${key.length} bytes for ${map.name}, whose keys have ${map.keySize}` };
      const w: DataWatch = { id, dataId, mapName: map.name, key, label: `${map.name}[${map.formatKey(key)}]`, last: null };
      w.last = this.read(w, maps);
      this.list.push(w);
      return { id, verified: true };
    });
  }

  private read(w: DataWatch, maps: readonly BpfMap[]): Uint8Array | null {
    const map = maps.find((x) => x.name === w.mapName);
    const v = map?.lookup(w.key);
    return v ? v.slice() : null;
  }

  /** Takes the current values as the reference (at a stop, a resume, a rebuilt world). */
  rebase(maps: readonly BpfMap[]): void {
    for (const w of this.list) w.last = this.read(w, maps);
  }

  /** Did any watched element change since the reference? Those that did are in `fired` and rebased. */
  changed(maps: readonly BpfMap[]): boolean {
    this.fired = [];
    for (const w of this.list) {
      const map = maps.find((x) => x.name === w.mapName);
      const v = map?.lookup(w.key) ?? null;
      if (sameBytes(w.last, v)) continue;
      this.fired.push({ watch: w, before: w.last });
      w.last = v ? v.slice() : null;
    }
    return this.fired.length > 0;
  }

  /** `proto_count[17]: 1 → 2` for the stop's description. */
  describeFired(maps: readonly BpfMap[]): string {
    return this.fired.map(({ watch, before }) => {
      const map = maps.find((x) => x.name === watch.mapName);
      const text = (b: Uint8Array | null): string => (b === null ? '(no element)' : map ? map.formatValue(b) : hex(b));
      return `${watch.label}: ${text(before)} → ${text(watch.last)}`;
    }).join('; ');
  }

  ids(): number[] { return this.fired.map((f) => f.watch.id); }
}
