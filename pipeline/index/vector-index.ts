import { Index, type Table } from '@lancedb/lancedb';
import { childLog } from '../../core/log.js';

const log = childLog('index');

/** When to build and how to query the IVF-PQ index. */
export interface VectorIndexOptions {
  /** Rows before an ANN index pays off; below it, exact (flat) search is fast and exact. */
  threshold?: number;
}

/** Query-time knobs: partitions probed and re-ranking of PQ candidates with full vectors. */
export const SEARCH_TUNING = {
  /** Partitions visited: ~5 % of √rows partitions keeps recall@10 high on clustered imagery. */
  nprobes: 32,
  /** PQ distances are approximate: fetch refineFactor × k and re-score them exactly. */
  refineFactor: 10,
};

/**
 * Rows a filter may keep for a search to skip the IVF-PQ index and score every one exactly.
 * The index probes `nprobes` of √rows partitions and the prefilter masks rows inside them, so
 * a filter that keeps few rows (a small area, one image, a short time span) leaves a handful
 * in the probed partitions, and their nearest are not the filter's nearest: on 1M rows a
 * 0.3° box (~900 rows) came back with recall@10 0.50 through the index, and 1.00 exactly
 * (bench:search). Exact search over the filter's rows took 35–40 ms for ~500 scattered
 * rows there and 70 ms for ~5,000.
 */
export const EXACT_SEARCH_MAX_ROWS = 10_000;

/**
 * Whether a vector search with this `where` should bypass the ANN index: the table has one
 * and the filter keeps at most {@link EXACT_SEARCH_MAX_ROWS} rows. The count costs 25–55 ms
 * on 1M rows (bench:search; {@link searchFiltered} hides it behind the indexed search), so it
 * is made only for a `restrictive` filter (an area, a time
 * span, images, sensors); without an index search is exact anyway and nothing is counted.
 */
export async function searchesExactly(table: Table, where: string, restrictive = true): Promise<boolean> {
  if (!restrictive || !(await table.listIndices()).some((i) => i.columns.includes('vector'))) return false;
  return (await table.countRows(where)) <= EXACT_SEARCH_MAX_ROWS;
}

/**
 * Runs `search` through the index while {@link searchesExactly} counts the filter's rows (on
 * 1M rows the two take about as long, so the count adds little to a wide filter), then again
 * exactly when the filter keeps few rows. `exact` says which answer came back.
 */
export async function searchFiltered<T>(table: Table, where: string, restrictive: boolean, search: (exact: boolean) => Promise<T>): Promise<{ rows: T; exact: boolean }> {
  const [exact, viaIndex] = await Promise.all([searchesExactly(table, where, restrictive), search(false)]);
  return { rows: exact ? await search(true) : viaIndex, exact };
}

/** Default row count above which tiles get an IVF-PQ index. */
export const DEFAULT_INDEX_THRESHOLD = 100_000;

/**
 * Keeps a tiles table's indexes in shape after writes: scalar indexes on the filter
 * columns (btree on ids, times and bbox bounds; bitmap on model version and sensor) as
 * soon as the table exists; IVF-PQ on `vector` (dot product, √rows partitions, 8 values
 * per sub-vector) once it passes the threshold; then `optimize()` compacts small fragments
 * and folds new rows into existing indexes. Returns what it did, for logs and tests.
 */
export async function maintainIndexes(table: Table, dim: number, opts: VectorIndexOptions = {}): Promise<{ created: string[] }> {
  const have = new Set((await table.listIndices()).flatMap((i) => i.columns));
  const created: string[] = [];
  const scalar: [string, Index][] = [
    ['image_id', Index.btree()],
    ['tile_id', Index.btree()],
    ['acquired_at', Index.btree()],
    ['min_lon', Index.btree()],
    ['max_lon', Index.btree()],
    ['min_lat', Index.btree()],
    ['max_lat', Index.btree()],
    ['model_version', Index.bitmap()],
    ['sensor', Index.bitmap()],
  ];
  for (const [col, config] of scalar) {
    if (have.has(col)) continue;
    if (await createIndexOnce(table, col, config)) created.push(col);
  }
  const rows = await table.countRows();
  if (!have.has('vector') && rows >= (opts.threshold ?? DEFAULT_INDEX_THRESHOLD)) {
    const numPartitions = Math.max(1, Math.round(Math.sqrt(rows)));
    const config = Index.ivfPq({ distanceType: 'dot', numPartitions, numSubVectors: Math.max(1, Math.floor(dim / 8)) });
    if (await createIndexOnce(table, 'vector', config)) {
      created.push('vector');
      log.info({ rows, numPartitions }, 'built IVF-PQ index on tile vectors');
    }
  }
  // Always, also right after building indexes: compaction merges the 128-row fragments an
  // ingest commits into large ones, which Lance encodes far tighter (a compact tile: 591 →
  // ~400 B, measured on 2,045 tiles), and folds new rows into the indexes.
  await retryOnConflict(table, () => table.optimize());
  return { created };
}

/** Builds an index unless another writer already has (false then), retrying commit conflicts. */
async function createIndexOnce(table: Table, col: string, config: Index): Promise<boolean> {
  return retryOnConflict(table, async () => {
    if ((await table.listIndices()).some((i) => i.columns.includes(col))) return false;
    await table.createIndex(col, { config });
    return true;
  });
}

/** Attempts before a commit conflict is reported. */
const CONFLICT_ATTEMPTS = 6;

/**
 * Runs a table operation again when Lance reports a retryable commit conflict: two ingest
 * shards (a Slurm job array, or two `geoscout ingest` runs) finishing together both build
 * the same index, and the later commit is preempted. The retry starts from the latest
 * version, where the other writer's index is usually already there.
 */
async function retryOnConflict<T>(table: Table, op: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (attempt >= CONFLICT_ATTEMPTS || !/retryable commit conflict|preempted by concurrent/i.test(String((e as Error)?.message ?? e))) throw e;
      log.debug({ attempt, err: String((e as Error)?.message ?? e).slice(0, 200) }, 'commit conflict on the tiles table; retrying');
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
      await table.checkoutLatest();
    }
  }
}
