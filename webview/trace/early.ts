// The first thing the page runs (main.ts imports it before the UI components): connect to the
// host and ask it to open the trace — with the saved (or empty) view and its first rows — so the
// host works while the page's components load and parse.
import { RpcClient, type ColumnId, type SortSpec, type TimeFormat } from '../../extension/core/traceview/protocol';
import { connectHost } from './host';
import { PAGE_ROWS } from './list';

export interface SavedState { filter: string; sort: SortSpec | null; timeFormat: TimeFormat; packet: number; firstRow: number; tab: number; widths?: Partial<Record<ColumnId, number>> }

export const host = connectHost();
export const rpc = new RpcClient((m) => host.post(m));
host.onMessage((m) => rpc.receive(m));

export const saved = host.getState<SavedState>();
export const opening = rpc.request('open', { first: { filter: saved?.filter ?? '', sort: saved?.sort ?? null, rows: PAGE_ROWS } });
opening.catch(() => { /* start() reports it */ });
