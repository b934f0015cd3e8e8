import { throwIfAborted } from '../../core/errors.js';
import { dirBytes, localTableDir } from './index-stats.js';
import { withCommitRetries, type Store } from './store.js';

/** What `geoscout index compact` did to one tiles table. */
export interface CompactResult {
  table: string;
  /** Whether this run dropped the stored patch grids (false: there were none). */
  droppedPatchGrids: boolean;
  /** Whether this run dropped the stored footprint and centre columns (search derives them since session 15). */
  droppedGeometry: boolean;
  /** Bytes of the table directory before and after (local stores; null on object stores). */
  bytesBefore: number | null;
  bytesAfter: number | null;
}

/**
 * Brings tiles tables made before session 12 (`full` layout: fp32 vector plus a stored fp32
 * patch grid, ~33 KB a tile) down to their vectors and metadata: drops `patch_vectors`
 * (search recomputes grids for its candidates, patch-grids.ts) and, in tables made before
 * session 15, the footprint and centre columns (search derives them from the catalog), rewrites every row in one
 * commit (a 2,045-tile table: 68.9 MB → 1.5 MB, 43 ms) and removes old versions so the bytes
 * leave the disk. Vectors stay float32 (LanceDB 0.37's alterColumns cannot cast a vector
 * column to float16; re-ingest into a new store for that). Idempotent and resumable: a killed
 * run is finished by the next one. Run it while nothing else uses the store: removing old
 * versions breaks readers still on them.
 */
export async function compactTiles(store: Store, opts: { signal?: AbortSignal } = {}): Promise<CompactResult[]> {
  const out: CompactResult[] = [];
  for (const name of (await store.tableNames()).filter((n) => n.startsWith('tiles__')).sort()) {
    throwIfAborted(opts.signal);
    const dir = localTableDir(store.uri, name);
    const bytesBefore = dir ? await dirBytes(dir) : null;
    const t = await store.openExisting(name);
    const fields = new Set((await t.schema()).fields.map((f) => f.name));
    const grids = fields.has('patch_vectors'), geometry = GEOMETRY_COLUMNS.some((c) => fields.has(c));
    const drop = [...(grids ? ['patch_vectors'] : []), ...GEOMETRY_COLUMNS.filter((c) => fields.has(c))];
    const has = drop.length > 0;
    if (has) await withCommitRetries(() => t.dropColumns(drop));
    throwIfAborted(opts.signal);
    // Dropping a column only changes the schema: its bytes stay in the data files. Compaction
    // would not rewrite them (it leaves a lone fragment, and fragments under different index
    // coverage, alone), so every row is rewritten in one commit by a no-op update. Also when
    // an earlier run was killed between the two steps: a table still holding far more bytes
    // per row than its columns take.
    const st = await t.stats();
    if (has || (st.numRows > 0 && st.totalBytes / st.numRows > STALE_BYTES_PER_ROW)) await withCommitRetries(() => t.update({ where: 'true', valuesSql: { level: 'level' } }));
    await withCommitRetries(() => t.optimize({ cleanupOlderThan: new Date() }));
    out.push({ table: name, droppedPatchGrids: grids, droppedGeometry: geometry, bytesBefore, bytesAfter: dir ? await dirBytes(dir) : null });
  }
  return out;
}

/** Per-tile columns search derives from the image's georeferencing (TileLayout.geometry). */
const GEOMETRY_COLUMNS = ['footprint', 'center_lon', 'center_lat'];

/** Bytes per row above which a tiles table without patch grids still holds dropped ones (a row is < 1 KB, a grid 32 KB). */
const STALE_BYTES_PER_ROW = 8192;
