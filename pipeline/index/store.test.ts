import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../core/testing/run-process.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { writePatternTiff } from '../raster/testing.js';
import { docChunksSchema } from '../../knowledge/doc-tables.js';
import { checkStore } from './doctor.js';
import { storeSizes } from './index-stats.js';
import { primaryKeyOf, Store } from './store.js';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'geoscout.js');
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => { tmp = await makeTempDir(); });
afterAll(async () => tmp?.cleanup());

describe('Store.upsert', () => {
  it('stores each key once, declares the key on first write, and keeps or replaces stored rows as asked', async () => {
    const store = await Store.open(path.join(tmp.dir, 'upsert'));
    try {
      const t = await store.table('images');
      expect(await primaryKeyOf(t)).toBeNull(); // opening (a read) declares nothing
      const row = (id: string, title: string) => ({ image_id: id, uri: `/x/${id}.tif`, title, width: 1, height: 1, bands: 3, status: 'ready', added_at: new Date() });
      expect(await store.upsert(t, 'image_id', [row('a', 'first'), row('b', 'first')])).toEqual({ inserted: 2, updated: 0 });
      expect(await primaryKeyOf(t)).toBe('image_id');
      expect(await store.upsert(t, 'image_id', [row('a', 'second'), row('c', 'second')])).toEqual({ inserted: 1, updated: 0 });
      expect(await store.upsert(t, 'image_id', [row('b', 'third')], { update: true })).toEqual({ inserted: 0, updated: 1 });
      const got = Object.fromEntries((await t.query().select(['image_id', 'title']).toArray()).map((r) => [r.image_id, r.title]));
      expect(got).toEqual({ a: 'first', b: 'third', c: 'second' });
    } finally {
      await store.close();
    }
  });
});

describe('new tables', () => {
  it('are written in Lance format 2.1, and index stats counts their bytes on disk (LanceDB\'s own figure overstates them)', async () => {
    const uri = path.join(tmp.dir, 'format');
    const store = await Store.open(uri);
    try {
      const t = await store.table('images');
      const rows = Array.from({ length: 3000 }, (_, i) => ({ image_id: `img_${String(i).padStart(16, '0')}`, uri: `/archive/2026/scene-${i}.tif`, title: `scene ${i}`, width: 1, height: 1, bands: 3, status: 'ready', added_at: new Date() }));
      await store.upsert(t, 'image_id', rows);
      const dataDir = path.join(uri, 'images.lance', 'data');
      const files = await readdir(dataDir);
      let onDisk = 0;
      for (const f of files) {
        const b = await readFile(path.join(dataDir, f));
        onDisk += b.length;
        // A Lance file ends with major, minor (u16 LE) and "LANC".
        expect([b.readUInt16LE(b.length - 8), b.readUInt16LE(b.length - 6), b.subarray(b.length - 4).toString()]).toEqual([2, 1, 'LANC']);
      }
      const sizes = await storeSizes(store);
      expect(sizes.find((s) => s.table === 'images')?.dataBytes).toBe(onDisk);
    } finally {
      await store.close();
    }
  });
});

describe('a damaged table', () => {
  it('is an error naming it, on a read-only command, and nothing is written', async () => {
    const state = path.join(tmp.dir, 'state');
    const env = { ...process.env, GEOSCOUT_DATA_DIR: state, GEOSCOUT_CONFIG: '', GEOSCOUT_LOG_LEVEL: 'warn' };
    const tif = path.join(tmp.dir, 'a.tif');
    await writePatternTiff(tif, { width: 64, height: 64, bands: 3 });
    expect((await runProcess(process.execPath, [BIN, 'images', 'add', tif], { cwd: tmp.dir, env })).status).toBe(0);
    const versions = path.join(state, 'lancedb', 'images.lance', '_versions');
    for (const f of await readdir(versions)) await rm(path.join(versions, f));
    const r = await runProcess(process.execPath, [BIN, 'images', 'list'], { cwd: tmp.dir, env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/CORRUPT_DATA.*Table images .*cannot be opened/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await readdir(versions)).toEqual([]); // not recreated
  });
});

describe('geoscout doctor (checkStore)', () => {
  it('finds the duplicates and orphans older versions left, removes them with fix, and keeps the first row of a key', async () => {
    const store = await Store.open(path.join(tmp.dir, 'doctor'));
    try {
      const images = await store.table('images');
      const row = (id: string, title: string) => ({ image_id: id, uri: `/x/${id}.tif`, title, width: 1, height: 1, bands: 3, status: 'ready', added_at: new Date() });
      // What an older version's plain appends from two processes left behind.
      await images.add([row('a', 'first'), row('b', 'only')]);
      await images.add([row('a', 'second')]);
      const chunks = await store.tableWithSchema('doc_chunks', docChunksSchema(4));
      await chunks.add([{ chunk_id: 'd1:0', doc_id: 'd1', title: 't', file: 'f.pdf', page: 1, text: 'x', vector: [0, 0, 0, 1] }]);
      const before = await checkStore(store);
      expect(before.map((t) => [t.table, t.rows, t.duplicates, t.orphans])).toEqual([['doc_chunks', 1, 0, 1], ['images', 3, 1, 0]]);
      const fixed = await checkStore(store, { fix: true });
      expect(fixed.map((t) => [t.table, t.removed])).toEqual([['doc_chunks', 1], ['images', 1]]);
      const after = await checkStore(store);
      expect(after.every((t) => t.duplicates === 0 && t.orphans === 0)).toBe(true);
      expect((await images.query().where("image_id = 'a'").select(['title']).toArray()).map((r) => r.title)).toEqual(['first']);
    } finally {
      await store.close();
    }
  });
});

describe('geoscout doctor --deep', () => {
  it('names a table whose data file has random bytes written into it', async () => {
    const dir = path.join(tmp.dir, 'deep');
    const store = await Store.open(dir);
    try {
      const images = await store.table('images');
      await store.upsert(images, 'image_id', Array.from({ length: 50 }, (_, i) => ({ image_id: `img_${i}`, uri: `/x/${i}.tif`, title: 'x'.repeat(200), width: 1, height: 1, bands: 3, status: 'ready', added_at: new Date() })));
      expect((await checkStore(store, { deep: true })).map((t) => t.damaged)).toEqual([undefined]);
      const dataDir = path.join(dir, 'images.lance', 'data');
      const file = path.join(dataDir, (await readdir(dataDir))[0]!);
      const bytes = await readFile(file);
      for (let i = 0; i < bytes.length - 200; i += 97) bytes[i] = (bytes[i]! * 31 + 7) & 255;
      await writeFile(file, bytes);
    } finally {
      await store.close();
    }
    const again = await Store.open(dir);
    try {
      const report = await checkStore(again, { deep: true });
      expect(report[0]!.table).toBe('images');
      expect(report[0]!.damaged).toBeTruthy();
    } finally {
      await again.close();
    }
  });
});
