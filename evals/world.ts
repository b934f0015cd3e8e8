/**
 * The world a suite runs against. A suite with a `world` section gets its own LanceDB
 * database under `<dataDir>/evals/worlds/<suite>-<hash>/` (never the user's catalog):
 * its scenes are generated from their seeds (deterministic, so the suite's expected
 * answers hold), catalogued, and embedded with the model under test. Everything is
 * reused on the next run: generation is skipped when the files exist, cataloguing and
 * ingest are idempotent and resumable. A suite without a world runs on the configured store.
 */
import { createHash } from 'node:crypto';
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../core/config.js';
import { GeoscoutError, throwIfAborted } from '../core/errors.js';
import { log } from '../core/log.js';
import { addImages, listImages } from '../pipeline/catalog/catalog.js';
import { ingestImage } from '../pipeline/ingest/ingest-image.js';
import { Store } from '../pipeline/index/store.js';
import { generateScene, planScene, type SceneOptions } from '../pipeline/synth/generate-scene.js';
import type { ClipEncoder } from '../pipeline/models/encoder.js';
import type { Suite } from './suite/schema.js';

/** A prepared world: where its database is and which image id each scene got. */
export interface PreparedWorld {
  dir: string;
  dbUri: string;
  scenes: Record<string, { image_id: string; tiff: string }>;
  /** Why documents are unavailable, when the suite asks for them and they cannot be built. */
  documentsUnavailable?: string;
}

/** Folder of a suite's world (stable for the same world definition). */
export function worldDir(config: Config, suite: Suite): string {
  const hash = createHash('sha256').update(JSON.stringify(suite.world ?? {})).digest('hex').slice(0, 12);
  return path.join(config.dataDir, 'evals', 'worlds', `${suite.name}-${hash}`);
}

/**
 * Generates, catalogues and embeds the world's scenes with `encoder`; the store must be
 * the world's own (open it on `worldDir(...)/lancedb`).
 */
export async function prepareWorld(
  suite: Suite,
  dir: string,
  store: Store,
  encoder: ClipEncoder,
  opts: { signal?: AbortSignal; onProgress?: (msg: string) => void } = {},
): Promise<PreparedWorld> {
  const scenes: PreparedWorld['scenes'] = {};
  const sceneDir = path.join(dir, 'scenes');
  await mkdir(sceneDir, { recursive: true });
  for (const s of suite.world?.scenes ?? []) {
    throwIfAborted(opts.signal);
    const tiff = path.join(sceneDir, `${s.name}.tif`);
    const options = {
      seed: s.seed, width: s.width, height: s.height,
      ...(s.gsd_m ? { gsdM: s.gsd_m } : {}), ...(s.center ? { center: s.center } : {}),
      ...(s.acquired_at ? { acquiredAt: s.acquired_at } : {}), ...(s.sensor ? { sensor: s.sensor } : {}),
    };
    if (!(await isCurrent(`${path.join(sceneDir, s.name)}.truth.geojson`, options))) {
      opts.onProgress?.(`generating scene ${s.name} (seed ${s.seed}, ${s.width}×${s.height})`);
      await generateScene(sceneDir, s.name, options, { ...(opts.signal ? { signal: opts.signal } : {}) });
    }
    const res = await addImages(store, [tiff]);
    const id = res.added[0]?.image_id ?? res.skipped[0]?.image_id;
    const rec = res.added[0] ?? (id ? (await listImages(store, { imageIds: [id] }))[0] : undefined);
    if (!rec) throw new GeoscoutError('INTERNAL', `Scene ${s.name} of the eval world could not be catalogued: ${res.failed[0]?.error.message ?? 'unknown reason'}`);
    opts.onProgress?.(`embedding scene ${s.name} with ${encoder.modelVersion}`);
    await ingestImage(store, encoder, rec, { ...(opts.signal ? { signal: opts.signal } : {}) });
    scenes[s.name] = { image_id: rec.image_id, tiff };
  }
  const world: PreparedWorld = { dir, dbUri: store.uri, scenes };
  if (suite.world?.documents) {
    opts.onProgress?.('generating and indexing the document corpus');
    const why = await prepareDocuments(dir, store, encoder, opts.signal);
    if (why) world.documentsUnavailable = why;
  }
  return world;
}

/**
 * A cached scene is reused only when its truth still matches what the generator plans
 * today (same object ids and classes): a changed generator regenerates it, so the
 * suite's expected answers (regenerated from plans) and the pixels never drift apart.
 */
async function isCurrent(truthFile: string, options: SceneOptions): Promise<boolean> {
  const raw = await readFile(truthFile, 'utf8').catch(() => null);
  if (!raw) return false;
  const have = (JSON.parse(raw) as { features: { properties: { id: string; class: string } }[] }).features.map((f) => `${f.properties.id}:${f.properties.class}`);
  const want = planScene(options).objects.map((o) => `${o.id}:${o.class}`);
  return have.length === want.length && have.every((h, i) => h === want[i]);
}

/**
 * The generated PDF corpus (knowledge/corpus) indexed with the knowledge ingest into the
 * world's database. Loaded lazily so suites without documents never pay for the
 * sentence model or OCR; when anything is missing, document tasks are skipped with
 * the returned reason instead of failing. Generation is skipped when truth.json exists;
 * the ingest is idempotent (documents are keyed by their bytes).
 */
async function prepareDocuments(dir: string, store: Store, encoder: ClipEncoder, signal?: AbortSignal): Promise<string | undefined> {
  const outDir = path.join(dir, 'documents');
  try {
    const { generateCorpus } = await import('../knowledge/corpus/generate-corpus.js');
    const { ingestDocuments } = await import('../knowledge/ingest-docs.js');
    const { sharedSentenceEncoder } = await import('../knowledge/sentence-encoder.js');
    const { OcrEngine } = await import('../knowledge/ocr.js');
    const truthFile = path.join(outDir, 'truth.json');
    const truth = (await access(truthFile).then(() => true, () => false))
      ? (JSON.parse(await readFile(truthFile, 'utf8')) as Awaited<ReturnType<typeof generateCorpus>>)
      : await generateCorpus(outDir);
    const ocr = new OcrEngine();
    try {
      await ingestDocuments(store, truth.docs.map((d) => path.join(outDir, d.file)), { text: await sharedSentenceEncoder(), image: encoder, ocr }, { vision: null, ...(signal ? { signal } : {}) });
    } finally {
      await ocr.close();
    }
    return undefined;
  } catch (err) {
    throwIfAborted(signal);
    log.warn({ err }, 'eval document corpus unavailable');
    return `document corpus not available (${(err as Error).message.split('\n')[0]})`;
  }
}
