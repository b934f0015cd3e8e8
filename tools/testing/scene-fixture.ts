import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, type Config } from '../../core/config.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { addImages, type ImageRecord } from '../../pipeline/catalog/catalog.js';
import { ingestImage } from '../../pipeline/ingest/ingest-image.js';
import { Store } from '../../pipeline/index/store.js';
import { generateScene, type GeneratedScene } from '../../pipeline/synth/generate-scene.js';
import { createToolContext } from '../context.js';

/** The repository root (for spawning `node bin/geoscout.js`). */
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/** A small ingested synthetic scene in a temp dir, with config, env, store and a tool context. */
export interface SceneFixture {
  dir: string;
  /** Folder images may be read from (allowedRoots); files outside it must be refused. */
  dataRoot: string;
  /** Environment for a spawned `geoscout` process over the same state. */
  env: NodeJS.ProcessEnv;
  config: Config;
  store: Store;
  image: ImageRecord;
  scene: GeneratedScene;
  context: ReturnType<typeof createToolContext>;
  close(): Promise<void>;
}

/**
 * Generates a square scene (0.5 m GSD, dated 2024-06-03), catalogs and ingests it with
 * the shipped model, under allowedRoots = `<tmp>/data`. Takes a few seconds. Shared by
 * the tool tests and the MCP server tests.
 */
export async function makeSceneFixture(opts: { seed: number; size: number }): Promise<SceneFixture> {
  const tmp = await makeTempDir('geoscout-scene-');
  const dataRoot = path.join(tmp.dir, 'data');
  await mkdir(dataRoot, { recursive: true });
  const scene = await generateScene(path.join(dataRoot, 'scenes'), 's', { seed: opts.seed, width: opts.size, height: opts.size, acquiredAt: '2024-06-03T10:30:00Z' });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'),
    GEOSCOUT_ALLOWED_ROOTS: dataRoot,
    GEOSCOUT_LOG_LEVEL: 'warn',
    GEOSCOUT_CONFIG: '',
  };
  delete env.GEOSCOUT_TOKEN;
  const config = loadConfig({ cwd: tmp.dir, env });
  await mkdir(config.dbUri, { recursive: true });
  const store = await Store.open(config.dbUri);
  const image = (await addImages(store, [scene.tiffPath])).added[0]!;
  const context = createToolContext(config, async () => store);
  await ingestImage(store, await context.encoder(), image);
  return {
    dir: tmp.dir, dataRoot, env, config, store, image, scene, context,
    async close() {
      await context.close();
      await store.close();
      await tmp.cleanup();
    },
  };
}
