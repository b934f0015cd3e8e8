import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GeoscoutError } from '../../core/errors.js';
import { ClipEncoder, type EncoderOptions } from './encoder.js';
import { isHfClipLayout, writeManifestForHf } from './hf-layout.js';
import { modelVersionOf, type ModelManifest } from './manifest.js';
import { MANIFEST_FILE, readModelDir } from './model-dir.js';

/** Models shipped in the repository (`models/<name>/`). */
export const SHIPPED_MODELS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');
/** The model used when nothing else is chosen. */
export const DEFAULT_MODEL = 'geoscout-mini';

/** One model the registry knows. */
export interface ModelEntry {
  modelVersion: string;
  id: string;
  version: string;
  dir: string;
  source: 'shipped' | 'imported';
  active: boolean;
  embed_dim: number;
  license: string;
}

/**
 * Shipped models plus models imported into `<dataDir>/models/<id>@<version>/`, and
 * which one is active (`<dataDir>/models/active.json`; default geoscout-mini).
 */
export class ModelRegistry {
  readonly root: string;

  constructor(dataDir: string, private readonly shippedDir = SHIPPED_MODELS_DIR) {
    this.root = path.join(dataDir, 'models');
  }

  /** Every valid model directory, shipped first; broken ones are skipped. */
  async list(): Promise<ModelEntry[]> {
    const active = await this.activeRef();
    const out: ModelEntry[] = [];
    for (const [source, base] of [['shipped', this.shippedDir], ['imported', this.root]] as const) {
      const names = await readdir(base).catch(() => [] as string[]);
      for (const name of names.sort()) {
        const dir = path.join(base, name);
        const m = await readModelDir(dir).catch(() => null);
        if (!m) continue;
        const mv = modelVersionOf(m);
        out.push({ modelVersion: mv, id: m.id, version: m.version, dir, source, active: mv === active || m.id === active, embed_dim: m.embed_dim, license: m.license });
      }
    }
    return out;
  }

  /** Finds a model by `id@version`, by `id` (the last listed version), or the active one. */
  async resolve(ref?: string): Promise<{ dir: string; manifest: ModelManifest }> {
    const want = ref ?? (await this.activeRef());
    const all = await this.list();
    const hit = all.filter((e) => e.modelVersion === want || e.id === want).pop();
    if (!hit) {
      const known = all.map((e) => e.modelVersion).join(', ') || 'none';
      throw new GeoscoutError('NOT_FOUND', `No model ${want} (known: ${known}). Import one with \`geoscout models import <dir>\` or pull it with \`geoscout models pull <hub-id>\`.`, {
        details: { ref: want },
      });
    }
    return { dir: hit.dir, manifest: await readModelDir(hit.dir) };
  }

  /** Encoder options from the `models` section of the configuration. */
  static encoderOptions(cfg: { provider: 'cpu' | 'cuda'; threads?: number | undefined; batchSize: number }): EncoderOptions {
    return { provider: cfg.provider, batchSize: cfg.batchSize, ...(cfg.threads ? { threads: cfg.threads } : {}) };
  }

  /** Opens an encoder for a model (default: the active one). */
  async openEncoder(ref?: string, opts?: EncoderOptions): Promise<ClipEncoder> {
    const { dir, manifest } = await this.resolve(ref);
    return ClipEncoder.open(dir, manifest, opts);
  }

  /**
   * Imports a model directory (geoscout contract, or an HF ONNX CLIP folder, for which
   * a manifest is written): validates it by running both towers once, then copies it
   * in. Importing the same id@version again with the same files is a no-op; with other
   * files it is a CONFLICT (bump the version).
   */
  async import(src: string, opts: { id?: string; version?: string; activate?: boolean } = {}): Promise<{ entry: ModelEntry; status: 'imported' | 'unchanged' }> {
    const hasManifest = await readFile(path.join(src, MANIFEST_FILE)).then(() => true, () => false);
    if (!hasManifest) {
      if (!(await isHfClipLayout(src))) {
        throw new GeoscoutError('INVALID_INPUT', `${src} is neither a geoscout model directory (${MANIFEST_FILE}) nor an HF ONNX CLIP folder (vision_model.onnx + text_model.onnx + tokenizer.json).`);
      }
      await writeManifestForHf(src, opts.id ?? path.basename(path.resolve(src)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-'), opts.version ?? '1');
    }
    const manifest = await readModelDir(src);
    await probe(src, manifest);
    const mv = modelVersionOf(manifest);
    const dest = path.join(this.root, mv);
    const existing = await readFile(path.join(dest, MANIFEST_FILE), 'utf8').catch(() => null);
    let status: 'imported' | 'unchanged' = 'imported';
    if (existing !== null) {
      if (existing !== (await readFile(path.join(src, MANIFEST_FILE), 'utf8'))) {
        throw new GeoscoutError('CONFLICT', `Model ${mv} is already imported with a different manifest; give the new one another version.`, { details: { modelVersion: mv } });
      }
      status = 'unchanged';
    } else {
      await mkdir(this.root, { recursive: true });
      const tmp = `${dest}.partial`;
      await rm(tmp, { recursive: true, force: true });
      // Copy next to the destination, then rename: a killed import leaves no half model.
      await cp(src, tmp, { recursive: true });
      await rename(tmp, dest);
    }
    if (opts.activate) await this.use(mv);
    const entry = (await this.list()).find((e) => e.modelVersion === mv && e.source === 'imported')!;
    return { entry, status };
  }

  /** Makes a model the active one for new embeddings and queries. */
  async use(ref: string): Promise<ModelEntry> {
    const { manifest } = await this.resolve(ref);
    await mkdir(this.root, { recursive: true });
    await writeFile(path.join(this.root, 'active.json'), JSON.stringify({ model: modelVersionOf(manifest) }) + '\n');
    return (await this.list()).find((e) => e.modelVersion === modelVersionOf(manifest))!;
  }

  /**
   * Registers a trained model directory as a new version with its lineage (parent, data
   * manifest hash, metrics) merged into the manifest. The active model stays as it is:
   * when it was only named by id (the default `geoscout-mini`), it is pinned to its
   * current id@version first, so the new version of the same id does not become active
   * by being listed last. Activate it with `use()`.
   */
  async register(src: string, lineage: Record<string, unknown>): Promise<ModelEntry> {
    const current = await this.resolve().catch(() => null);
    if (current) await this.use(modelVersionOf(current.manifest));
    const file = path.join(src, MANIFEST_FILE);
    const m = JSON.parse(await readFile(file, 'utf8')) as ModelManifest;
    m.lineage = { ...(m.lineage ?? {}), ...lineage };
    await writeFile(file, JSON.stringify(m, null, 2) + '\n');
    return (await this.import(src)).entry;
  }

  /** Lineage recorded in a model's manifest (parent, data, metrics), or null. */
  async lineage(ref: string): Promise<Record<string, unknown> | null> {
    return (await this.resolve(ref)).manifest.lineage ?? null;
  }

  /** A version string not used yet for `id`: the parent's next minor (1.0.0 → 1.1.0 → 1.2.0 …). */
  async nextVersion(id: string, parentVersion: string): Promise<string> {
    const taken = new Set((await this.list()).filter((e) => e.id === id).map((e) => e.version));
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(parentVersion);
    for (let minor = m ? Number(m[2]) + 1 : 1; ; minor++) {
      const v = m ? `${m[1]}.${minor}.0` : `${parentVersion}.ft${minor}`;
      if (!taken.has(v)) return v;
    }
  }

  private async activeRef(): Promise<string> {
    const raw = await readFile(path.join(this.root, 'active.json'), 'utf8').catch(() => null);
    return raw ? (JSON.parse(raw) as { model: string }).model : DEFAULT_MODEL;
  }
}

/** Runs both towers once so a broken model fails at import, not at the first search. */
async function probe(dir: string, manifest: ModelManifest): Promise<void> {
  const enc = await ClipEncoder.open(dir, manifest, { batchSize: 1 });
  try {
    const S = manifest.image.input_size;
    const img = await enc.encodeImages([{ data: new Uint8Array(S * S * 3).fill(128), width: S, height: S }]);
    const txt = await enc.encodeTexts(['a satellite image of a ship']);
    if (![...img.embeds, ...txt].every(Number.isFinite)) {
      throw new GeoscoutError('CORRUPT_DATA', `Model in ${dir} produced non-finite embeddings on a probe input.`);
    }
  } finally {
    await enc.close();
  }
}
