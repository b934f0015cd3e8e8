import { spawn } from 'node:child_process';
import * as lancedb from '@lancedb/lancedb';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { addImages, type ImageRecord } from '../catalog/catalog.js';
import { Store } from '../index/store.js';
import { openTilesTable, tilesTableName } from '../index/tiles-table.js';
import { maintainIndexes } from '../index/vector-index.js';
import type { ClipEncoder } from '../models/encoder.js';
import { ModelRegistry } from '../models/registry.js';
import { generateScene } from '../synth/generate-scene.js';
import { ingestImage } from './ingest-image.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'geoscout.js');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let store: Store;
let image: ImageRecord;
let encoder: ClipEncoder;

async function storedTiles(): Promise<string[]> {
  // A separate connection sees what another process committed.
  const db = await lancedb.connect(store.uri);
  if (!(await db.tableNames()).includes(tilesTableName(encoder.manifest.id))) return [];
  const table = await db.openTable(tilesTableName(encoder.manifest.id));
  const rows = await table.query().where(`image_id = '${image.image_id}'`).select(['tile_id']).toArray();
  table.close();
  db.close();
  return rows.map((r) => String((r as { tile_id: string }).tile_id));
}

beforeAll(async () => {
  tmp = await makeTempDir();
  const scene = await generateScene(path.join(tmp.dir, 'scenes'), 'kill-me', { seed: 5, width: 2048, height: 2048 });
  store = await Store.open(path.join(tmp.dir, 'state', 'lancedb'));
  image = (await addImages(store, [scene.tiffPath])).added[0]!;
  encoder = await new ModelRegistry(path.join(tmp.dir, 'state')).openEncoder();
});
afterAll(async () => {
  await encoder.close();
  await store.close();
  await tmp.cleanup();
});

describe('ingest', () => {
  it('survives a SIGKILL mid-scene: the re-run loses nothing and duplicates nothing; a third run adds nothing', async () => {
    const child = spawn(process.execPath, [BIN, 'ingest', image.image_id, '--batch', '8'], {
      env: { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_CONFIG: '' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code, sig) => r(sig ? null : code)));
    let atKill = 0;
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 100));
      atKill = await storedTiles().then((t) => t.length).catch(() => 0);
      if (atKill >= 24) break;
    }
    child.kill('SIGKILL');
    expect(await exited).toBeNull(); // killed, not finished
    atKill = (await storedTiles()).length;
    expect(atKill).toBeGreaterThanOrEqual(24);

    const resumed = await ingestImage(store, encoder, image, { batchSize: 16 });
    expect(atKill).toBeLessThan(resumed.planned - resumed.blank);
    expect(resumed.existing).toBe(atKill);
    expect(resumed.existing + resumed.written + resumed.blank).toBe(resumed.planned);
    const ids = await storedTiles();
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(resumed.planned - resumed.blank);

    const again = await ingestImage(store, encoder, image);
    expect(again.written).toBe(0);
    expect((await storedTiles()).length).toBe(ids.length);
  });

  it('builds scalar indexes at once and an IVF-PQ index past the threshold; search still finds the same best tile', async () => {
    const { table } = await openTilesTable(store, encoder.manifest);
    const exactTop = async () => (await table.vectorSearch(Array.from((await encoder.encodeTexts(['a ship'])))).distanceType('dot').bypassVectorIndex().limit(1).toArray())[0]!.tile_id as string;
    const before = await exactTop();
    const rows = await table.countRows();
    const res = await maintainIndexes(table, encoder.dim, { threshold: rows });
    expect(res.created).toContain('vector');
    const cols = (await table.listIndices()).flatMap((i) => i.columns);
    for (const c of ['vector', 'image_id', 'model_version', 'acquired_at', 'min_lon']) expect(cols).toContain(c);
    const q = Array.from(await encoder.encodeTexts(['a ship']));
    const ann = await table.vectorSearch(q).distanceType('dot').nprobes(32).refineFactor(10).limit(1).toArray();
    expect(ann[0]!.tile_id).toBe(before);
    // The 128-row commits of the ingest are compacted into one fragment.
    expect((await table.stats()).fragmentStats.numFragments).toBe(1);
    expect((await maintainIndexes(table, encoder.dim, { threshold: rows })).created).toEqual([]);
  });

  it('honours cancellation between batches', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(ingestImage(store, encoder, image, { signal: ctl.signal, plan: { overlap: 0.5 } })).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});
