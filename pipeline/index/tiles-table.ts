import { Field, FixedSizeList, Float32, Float64, Int32, Schema, TimestampMillisecond, Utf8 } from 'apache-arrow';
import { geoColumns } from './schemas.js';

/**
 * Tile vectors of one model id live in their own table, `tiles__<model id>`: vector
 * sizes differ between models (128-d geoscout-mini, 512-d ViT-B/32) and a LanceDB
 * vector column has one size. Versions of the same model share the table and are told
 * apart by `model_version`, which every query filters on, so results never mix versions.
 *
 * Deviation from DESIGN.md's separate `patches` table: a tile's patch grid is a column
 * of the tile row (`patch_vectors`, gh×gw×D). Reranking needs exactly the patches of the
 * candidate tiles, one read; and a tile row with its patches is written in one commit,
 * so a killed ingest never leaves a tile without patches or patches without a tile.
 */
export function tilesTableName(modelId: string): string {
  return `tiles__${modelId.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/** The Arrow schema for a model's tiles table. */
export function tilesSchema(dim: number, patchCount: number): Schema {
  const f64 = (n: string) => new Field(n, new Float64(), true);
  const i32 = (n: string) => new Field(n, new Int32(), false);
  return new Schema([
    new Field('tile_id', new Utf8(), false),
    new Field('image_id', new Utf8(), false),
    new Field('model_version', new Utf8(), false),
    i32('level'),
    i32('x'),
    i32('y'),
    i32('size'),
    ...geoColumns(),
    new Field('footprint', new Utf8(), true),
    new Field('acquired_at', new TimestampMillisecond('UTC'), true),
    new Field('sensor', new Utf8(), true),
    f64('gsd_m'),
    new Field('vector', new FixedSizeList(dim, new Field('item', new Float32(), true)), false),
    ...(patchCount > 0 ? [new Field('patch_vectors', new FixedSizeList(patchCount * dim, new Field('item', new Float32(), true)), true)] : []),
  ]);
}
