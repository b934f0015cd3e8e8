import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../core/testing/run-process.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { generateCorpus } from '../../knowledge/corpus/generate-corpus.js';
import { generateScene } from '../synth/generate-scene.js';
import { Store } from './store.js';

// Many processes (or Slurm tasks) write the same store at once: every row is stored once per key.
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'geoscout.js');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let scenes: string[];
let pdfs: string[];
const env = () => ({ ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_CONFIG: '', GEOSCOUT_ALLOWED_ROOTS: tmp.dir, GEOSCOUT_LOG_LEVEL: 'warn' });
const geoscout = (args: string[]) => runProcess(process.execPath, [BIN, ...args], { cwd: tmp.dir, env: env() });

beforeAll(async () => {
  tmp = await makeTempDir('geoscout-concurrent-');
  scenes = [];
  for (let i = 0; i < 20; i++) scenes.push((await generateScene(path.join(tmp.dir, 'scenes'), `s${i}`, { seed: 500 + i, width: i === 0 ? 768 : 128, height: i === 0 ? 768 : 128, acquiredAt: '2024-06-03T10:30:00Z' })).tiffPath);
  const truth = await generateCorpus(path.join(tmp.dir, 'docs'));
  pdfs = truth.docs.slice(0, 2).map((d) => path.join(tmp.dir, 'docs', d.file));
}, 120_000);
afterAll(async () => tmp?.cleanup());

/** Rows and distinct keys of a table. */
async function keyCounts(store: Store, table: string, key: string): Promise<{ rows: number; keys: number }> {
  if (!(await store.tableNames()).includes(table)) return { rows: 0, keys: 0 };
  const t = await store.openExisting(table);
  const keys = (await t.query().select([key]).toArray()).map((r) => String((r as Record<string, unknown>)[key]));
  return { rows: keys.length, keys: new Set(keys).size };
}

describe('concurrent writers on one store', () => {
  it('four `images add`, then two `ingest` and two `docs add` at once, store exactly one row per key', async () => {
    const adds = await Promise.all(Array.from({ length: 4 }, () => geoscout(['images', 'add', ...scenes, '--json'])));
    for (const r of adds) expect(r.status, r.stderr).toBe(0);
    const listed = JSON.parse((await geoscout(['images', 'list', '--json'])).stdout) as { image_id: string; uri: string }[];
    expect(listed).toHaveLength(20);
    const big = listed.find((r) => r.uri.endsWith('s0.tif'))!.image_id;

    const runs = await Promise.all([
      geoscout(['ingest', big, '--json']), geoscout(['ingest', big, '--json']),
      geoscout(['docs', 'add', ...pdfs, '--json']), geoscout(['docs', 'add', ...pdfs, '--json']),
    ]);
    for (const r of runs) expect(r.status, r.stderr).toBe(0);

    const store = await Store.open(path.join(tmp.dir, 'state', 'lancedb'));
    try {
      const names = await store.tableNames();
      const tiles = names.find((n) => n.startsWith('tiles__'))!;
      const figures = names.find((n) => n.startsWith('doc_figures__'))!;
      const counts = {
        images: await keyCounts(store, 'images', 'image_id'),
        tiles: await keyCounts(store, tiles, 'tile_id'),
        documents: await keyCounts(store, 'documents', 'doc_id'),
        chunks: await keyCounts(store, 'doc_chunks', 'chunk_id'),
        figures: await keyCounts(store, figures, 'figure_id'),
      };
      for (const [name, c] of Object.entries(counts)) expect(c.rows, `${name}: ${c.rows} rows for ${c.keys} keys`).toBe(c.keys);
      expect(counts.images.rows).toBe(20);
      expect(counts.documents.rows).toBe(2);
      expect(counts.tiles.rows).toBeGreaterThan(20);
      expect(counts.chunks.rows).toBeGreaterThan(2);
      // A re-run adds nothing.
      const again = await geoscout(['ingest', big, '--json']);
      expect(again.status, again.stderr).toBe(0);
      expect((await keyCounts(store, tiles, 'tile_id')).rows).toBe(counts.tiles.rows);
    } finally {
      await store.close();
    }
  }, 600_000);
});
