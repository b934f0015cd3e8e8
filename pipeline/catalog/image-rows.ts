import { GeoscoutError } from '../../core/errors.js';
import { sqlString, type Store } from '../index/store.js';
import { filterWhere, type GeoTimeFilter } from '../index/where.js';
import type { ImageRecord } from './catalog.js';

/** Filters for listing images; all optional, combined with AND. */
export interface ImageFilter extends GeoTimeFilter {
  /** Include rows whose file changed since they were added. */
  includeStale?: boolean;
  limit?: number;
}

const JSON_COLUMNS = ['footprint', 'stretch', 'metadata'] as const;

/** Writes one record (JSON columns serialised, times as Dates). */
export async function insertImage(store: Store, rec: ImageRecord): Promise<void> {
  const row: Record<string, unknown> = { ...rec };
  for (const c of JSON_COLUMNS) row[c] = rec[c] === null ? null : JSON.stringify(rec[c]);
  row.acquired_at = rec.acquired_at ? new Date(rec.acquired_at) : null;
  row.added_at = new Date(rec.added_at);
  // Keyed: four `images add` of the same files at once store each image once.
  await store.upsert(await store.table('images'), 'image_id', [row]);
}

/** Marks older rows for the same uri as stale once its content changed. */
export async function markStale(store: Store, uri: string, keepId: string): Promise<void> {
  const t = await store.table('images');
  const where = `uri = ${sqlString(uri)} AND image_id != ${sqlString(keepId)} AND status != 'stale'`;
  if ((await t.countRows(where)) > 0) await t.update({ where, values: { status: 'stale' } });
}

/** One image by id, or null. */
export async function findImage(store: Store, imageId: string): Promise<ImageRecord | null> {
  const rows = await (await store.table('images')).query().where(`image_id = ${sqlString(imageId)}`).limit(1).toArray();
  return rows[0] ? fromRow(rows[0] as Record<string, unknown>) : null;
}

/** One image by id; NOT_FOUND with a hint when missing. */
export async function getImage(store: Store, imageId: string): Promise<ImageRecord> {
  const rec = await findImage(store, imageId);
  if (!rec) throw new GeoscoutError('NOT_FOUND', `No image ${imageId} in the catalog; run \`geoscout images list\` to see the ids.`, { details: { imageId } });
  return rec;
}

/** Lists catalogued images matching the filter, oldest acquisition first. */
export async function listImages(store: Store, filter: ImageFilter = {}): Promise<ImageRecord[]> {
  const where = whereClause(filter);
  let q = (await store.table('images')).query();
  if (where) q = q.where(where);
  const rows = (await q.toArray()).map((r) => fromRow(r as Record<string, unknown>));
  rows.sort((a, b) => (a.acquired_at ?? '').localeCompare(b.acquired_at ?? '') || a.image_id.localeCompare(b.image_id));
  return filter.limit ? rows.slice(0, filter.limit) : rows;
}

/** The images table's where clause: live rows (unless stale ones are asked for) matching the filter. */
export function whereClause(f: ImageFilter): string {
  return filterWhere(f, f.includeStale ? [] : [`status != 'stale'`]);
}

function fromRow(r: Record<string, unknown>): ImageRecord {
  const out: Record<string, unknown> = { ...r };
  for (const c of JSON_COLUMNS) out[c] = typeof r[c] === 'string' ? JSON.parse(r[c] as string) : null;
  const gt = r.geotransform as ArrayLike<number> | null;
  out.geotransform = gt ? Array.from(gt) : null;
  out.acquired_at = r.acquired_at === null || r.acquired_at === undefined ? null : new Date(Number(r.acquired_at)).toISOString();
  out.added_at = new Date(Number(r.added_at)).toISOString();
  out.file_size = r.file_size === null ? null : Number(r.file_size);
  return out as unknown as ImageRecord;
}
