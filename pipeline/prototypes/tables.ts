import { Field, Float64, Int32, Schema, Utf8 } from 'apache-arrow';
import type { Store } from '../index/store.js';
import { listField as vec, plainRow, sqlString } from '../index/store.js';

/**
 * `prototypes`: one row per version of a named prototype (history kept; the highest
 * version is current). Vectors are variable-length lists, not fixed-size vector columns:
 * prototypes of models with different embedding sizes share the table, and nothing
 * searches over prototypes by ANN. Examples, negatives, probe and self-check are JSON.
 */
export const prototypesSchema = new Schema([
  new Field('id', new Utf8(), false),
  new Field('name', new Utf8(), false),
  new Field('version', new Int32(), false),
  new Field('description', new Utf8(), true),
  new Field('model_version', new Utf8(), false),
  vec('text_vector'),
  vec('visual_vector'),
  vec('fused_vector'),
  new Field('examples', new Utf8(), false),
  new Field('negatives', new Utf8(), false),
  new Field('probe', new Utf8(), true),
  new Field('threshold', new Float64(), true),
  new Field('self_check', new Utf8(), true),
  new Field('created_at', new Utf8(), false),
]);

/** A stored prototype version. */
export interface PrototypeRow {
  id: string;
  name: string;
  version: number;
  description: string | null;
  model_version: string;
  text_vector: number[] | null;
  visual_vector: number[] | null;
  fused_vector: number[];
  examples: string;
  negatives: string;
  probe: string | null;
  threshold: number | null;
  self_check: string | null;
  created_at: string;
}

/** Opens (creating) the prototypes table. */
export function prototypesTable(store: Store) {
  return store.tableWithSchema('prototypes', prototypesSchema);
}

/** Every version of prototypes matching a filter, newest first. */
export async function prototypeRows(store: Store, filter: { name?: string; modelVersion?: string } = {}): Promise<PrototypeRow[]> {
  const where = [filter.name ? `name = ${sqlString(filter.name)}` : '', filter.modelVersion ? `model_version = ${sqlString(filter.modelVersion)}` : ''].filter(Boolean).join(' AND ');
  const q = (await prototypesTable(store)).query();
  const rows = (await (where ? q.where(where) : q).toArray()).map(plainRow) as unknown as PrototypeRow[];
  return rows.sort((a, b) => a.name.localeCompare(b.name) || b.version - a.version);
}
