import { throwIfAborted } from '../../core/errors.js';
import type { Store } from './store.js';

/** A table whose rows each hold a unique key, and the table that key's parent must be in. */
interface KeyedTable {
  matches(name: string): boolean;
  key: string;
  /** Rows whose `column` value is not a `key` of `table` are orphans. */
  parent?: { table: string; key: string; column: string };
}

/** Every keyed table geoscout writes (see Store.upsert). */
const KEYED_TABLES: KeyedTable[] = [
  { matches: (n) => n === 'images', key: 'image_id' },
  { matches: (n) => n.startsWith('tiles__'), key: 'tile_id', parent: { table: 'images', key: 'image_id', column: 'image_id' } },
  { matches: (n) => n === 'documents', key: 'doc_id' },
  { matches: (n) => n === 'doc_chunks', key: 'chunk_id', parent: { table: 'documents', key: 'doc_id', column: 'doc_id' } },
  { matches: (n) => n.startsWith('doc_figures__'), key: 'figure_id', parent: { table: 'documents', key: 'doc_id', column: 'doc_id' } },
  { matches: (n) => n === 'detections', key: 'detection_id' },
  { matches: (n) => n === 'prototypes', key: 'id' },
  { matches: (n) => n === 'jobs', key: 'id' },
];

/** What `geoscout doctor` found (and removed, with fix) in one table. */
export interface TableHealth {
  table: string;
  key: string;
  rows: number;
  /** Rows beyond the first for a key (left by versions that appended without a key). */
  duplicates: number;
  /** Rows whose parent row is gone (tiles of an image no longer catalogued, chunks and figures of a document never finished). */
  orphans: number;
  removed: number;
  /** With `deep`: why reading every column of every row failed (a damaged data file), else absent. */
  damaged?: string;
}

/**
 * Finds duplicate keys and orphan rows in every keyed table, and with `fix` removes them
 * (`deep` also reads every column of every row, which finds damaged data files):
 * for a duplicated key the first stored row stays; orphans go. Each table is one delete
 * commit by row id. Run `fix` when nothing else writes the store: a document being indexed
 * has its chunks before its row, and would look orphaned.
 */
export async function checkStore(store: Store, opts: { fix?: boolean; deep?: boolean; signal?: AbortSignal } = {}): Promise<TableHealth[]> {
  const names = await store.tableNames();
  const out: TableHealth[] = [];
  const parentKeys = new Map<string, Set<string>>();
  const keysOf = async (table: string, key: string) => {
    let s = parentKeys.get(table);
    if (!s) {
      s = names.includes(table) ? new Set((await (await store.openExisting(table)).query().select([key]).toArray()).map((r) => String(r[key]))) : new Set();
      parentKeys.set(table, s);
    }
    return s;
  };
  for (const name of names) {
    throwIfAborted(opts.signal);
    const spec = KEYED_TABLES.find((k) => k.matches(name));
    if (!spec) continue;
    const t = await store.openExisting(name);
    const cols = [spec.key, ...(spec.parent ? [spec.parent.column] : [])];
    let rows: Record<string, unknown>[];
    try {
      rows = (await t.query().withRowId().select(cols).toArray()) as Record<string, unknown>[];
    } catch (err) {
      out.push({ table: name, key: spec.key, rows: 0, duplicates: 0, orphans: 0, removed: 0, damaged: (err as Error).message });
      continue;
    }
    const parents = spec.parent ? await keysOf(spec.parent.table, spec.parent.key) : null;
    const seen = new Set<string>();
    const drop: bigint[] = [];
    let duplicates = 0, orphans = 0;
    for (const r of rows) {
      const k = String(r[spec.key]);
      if (seen.has(k)) { duplicates++; drop.push(r._rowid as bigint); continue; }
      seen.add(k);
      if (parents && !parents.has(String(r[spec.parent!.column]))) { orphans++; drop.push(r._rowid as bigint); }
    }
    let removed = 0;
    if (opts.fix && drop.length) {
      for (let i = 0; i < drop.length; i += 5000) await t.delete(`_rowid IN (${drop.slice(i, i + 5000).join(', ')})`);
      removed = drop.length;
    }
    const damaged = opts.deep ? await readAll(t, opts.signal) : null;
    out.push({ table: name, key: spec.key, rows: rows.length, duplicates, orphans, removed, ...(damaged ? { damaged } : {}) });
  }
  return out;
}

/** Reads every column of every row batch by batch (bounded memory); the error when a data file is damaged. */
async function readAll(t: Awaited<ReturnType<Store['openExisting']>>, signal?: AbortSignal): Promise<string | null> {
  try {
    for await (const batch of t.query()) {
      throwIfAborted(signal);
      void batch.numRows;
    }
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
