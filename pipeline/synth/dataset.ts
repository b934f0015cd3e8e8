import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { throwIfAborted } from '../../core/errors.js';
import { withArticle } from './catalog.js';
import { generateChipPairs, type ChipOptions } from './chips.js';
import { hashInts } from './random.js';
import { planScene } from './scene-plan.js';

/** Options for {@link buildTrainingSet}. */
export interface DatasetOptions {
  /** Scene seeds; each gives one planned scene (no GeoTIFF is written). */
  seeds: number[];
  /** Value of every row's `split` field. */
  split: string;
  /** Scene side in pixels (default 3072: room for an airfield even at 0.3 m). */
  sceneSize?: number;
  /** GSD range in metres; each seed picks a GSD in it deterministically (default 0.3–1.0). */
  gsdRange?: [number, number];
  /** Chip sides in pixels: tight ones show the object, wide ones its context (default 96 and 192). */
  chipSizes?: number[];
  /** Cap per object type, per scene and chip size, so cars and houses do not swamp rare types. */
  maxPerType?: number;
  /** Ships on land and aircraft on roads per scene, each (default: the generator's own, about 1). */
  outOfContextPerClass?: number;
  /** Hard negatives around out-of-context objects, see {@link ChipOptions.nearOutOfContextM} (default 0: none). */
  nearOutOfContextM?: ChipOptions['nearOutOfContextM'];
  /** Object-free chips (water, runway, farmland, ...) per scene and chip size (default 10). */
  backgroundChips?: number;
  /** Classes whose chips are left out entirely (the model never sees their name or look in training). */
  excludeClasses?: string[];
  /**
   * Classes whose chips are kept with no caption (`captions: []`): the image-only
   * objective sees their look, nothing ever names them (how a web-trained encoder meets
   * objects nobody captioned).
   */
  uncaptionedClasses?: string[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/** Class names as people write them in a query. */
const CLASS_NOUN: Record<string, string> = {
  aircraft: 'aircraft', ship: 'ship', vehicle: 'vehicle', storage_tank: 'storage tank', wind_turbine: 'wind turbine', building: 'building',
};

/**
 * Builds an encoder training manifest from synthetic scenes: for every seed a scene
 * plan at its own GSD, chips at several sizes, and a JSONL row per chip with several
 * captions (`captions`: the object's own caption plus class-level phrasings, so a query
 * by class word — "vehicle", "aircraft" — has been seen in training; the trainer picks
 * one per epoch and evaluates with the first). Returns the manifest path and row count.
 */
export async function buildTrainingSet(outDir: string, opts: DatasetOptions): Promise<{ manifest: string; rows: number; perClass: Record<string, number> }> {
  const [g0, g1] = opts.gsdRange ?? [0.3, 1.0];
  const size = opts.sceneSize ?? 3072;
  const sizes = opts.chipSizes ?? [96, 192];
  const exclude = new Set(opts.excludeClasses ?? []);
  const uncaptioned = new Set(opts.uncaptionedClasses ?? []);
  const rows: string[] = [];
  const perClass: Record<string, number> = {};
  const total = opts.seeds.length * sizes.length;
  let done = 0;
  for (const seed of opts.seeds) {
    const gsdM = Math.round((g0 + ((hashInts(seed, 4242) % 1000) / 999) * (g1 - g0)) * 100) / 100;
    const plan = planScene({ seed, width: size, height: size, gsdM, ...(opts.outOfContextPerClass === undefined ? {} : { outOfContextPerClass: opts.outOfContextPerClass }) });
    for (const chip of sizes) {
      throwIfAborted(opts.signal);
      const dir = path.join(outDir, opts.split, `seed${seed}-c${chip}`);
      await mkdir(dir, { recursive: true });
      const res = await generateChipPairs(plan, dir, { chipSize: chip, maxPerType: opts.maxPerType ?? 6, backgroundChips: opts.backgroundChips ?? 10, nearOutOfContextM: opts.nearOutOfContextM ?? 0 });
      const lines = (await readFile(res.jsonlPath, 'utf8')).split('\n').filter(Boolean);
      for (const line of lines) {
        const r = JSON.parse(line) as { image: string; caption: string; class: string; type: string };
        if (exclude.has(r.class)) continue;
        const named = !uncaptioned.has(r.class);
        const key = named ? r.class : `${r.class} (uncaptioned)`;
        perClass[key] = (perClass[key] ?? 0) + 1;
        rows.push(JSON.stringify({
          ...r,
          ...(named ? {} : { caption: '', class: 'uncaptioned', type: 'uncaptioned' }),
          image: path.relative(outDir, path.join(dir, r.image)),
          captions: named ? [r.caption, ...classCaptions(r.class, r.caption, seed)] : [],
          split: opts.split,
          gsd_m: gsdM,
          chip_px: chip,
          seed,
        }));
      }
      opts.onProgress?.(++done, total);
    }
  }
  const manifest = path.join(outDir, `${opts.split}.jsonl`);
  await writeFile(manifest, rows.join('\n') + '\n');
  return { manifest, rows: rows.length, perClass };
}

function classCaptions(cls: string, caption: string, seed: number): string[] {
  const noun = CLASS_NOUN[cls];
  if (!noun) return [];
  const a = withArticle(noun);
  const detail = caption.replace(/\.$/, '').replace(/^[A-Z]/, (c) => c.toLowerCase());
  const forms = [`Overhead view of ${a}.`, `${cap(a)} seen from above: ${detail}.`, `Satellite chip showing ${a}.`, `${cap(noun)} — ${detail}.`];
  const h = hashInts(seed, detail.length);
  return [forms[h % forms.length]!, forms[(h + 1) % forms.length]!];
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
