/**
 * Fits the shipped class heads (fewshot/class-heads.ts): for each class the generator draws,
 * a linear window head on its 80 rendered exemplars (synth/exemplars.ts, seeds 70000…, never
 * a benchmark's), with no other background than the exemplar scenes', and writes
 * `models/geoscout-heads/<class>.json` and the manifest. Deterministic: the scenes and the
 * fit's random draws are seeded, so a rerun writes the same heads.
 *
 * Why no real background: on bench:real's cars, the same head with background windows from
 * the 4 NEON images scored AP50 0.24 against 0.33 without (scratch, 12 KIT evaluation images);
 * forest is not what a car is confused with.
 *
 * Run: npm run fit:class-heads [-- --classes vehicle,aircraft] (30–60 s a class, 2 cores).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from '../../../core/testing/temp-dir.js';
import { openRaster } from '../../raster/raster.js';
import { OBJECT_CLASSES, type ObjectClass } from '../../synth/catalog.js';
import { DEFAULT_SYNTHETIC_COUNT, pickSyntheticExemplars, renderExemplarScene } from '../../synth/exemplars.js';
import { CLASS_HEADS_DIR, CLASS_HEADS_MANIFEST, type ClassHeadsManifest } from '../class-heads.js';
import { fitWindowHead, type HeadImage } from '../fit-head.js';

/** Version of the heads this script writes; bump it with the recipe. */
const VERSION = '1.0.0';

async function fitClass(cls: ObjectClass, sceneDir: string): Promise<{ head: Awaited<ReturnType<typeof fitWindowHead>>; exemplars: number }> {
  const exemplars = pickSyntheticExemplars(cls, DEFAULT_SYNTHETIC_COUNT);
  const images = new Map<string, HeadImage>();
  try {
    for (const id of new Set(exemplars.map((e) => e.image_id))) {
      const rec = (await renderExemplarScene(id, sceneDir))!;
      images.set(id, { raster: await openRaster(rec.uri), gsdM: rec.gsd_m });
    }
    return { head: await fitWindowHead(exemplars, images, { linear: true }), exemplars: exemplars.length };
  } finally {
    for (const img of images.values()) await img.raster.close();
  }
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--classes');
  const classes = (arg > 0 ? process.argv[arg + 1]!.split(',') : [...OBJECT_CLASSES]) as ObjectClass[];
  const tmp = await makeTempDir('geoscout-class-heads-');
  const manifest: ClassHeadsManifest = {
    id: 'geoscout-heads',
    version: VERSION,
    recipe: `linear window head (fit-head.ts) on ${DEFAULT_SYNTHETIC_COUNT} rendered exemplars of the class (synth/exemplars.ts), background from the exemplar scenes only; fitted by pipeline/fewshot/train/fit-class-heads.ts`,
    classes: {},
  };
  try {
    await mkdir(CLASS_HEADS_DIR, { recursive: true });
    for (const cls of classes) {
      const t0 = Date.now();
      const { head, exemplars } = await fitClass(cls, tmp.dir);
      await writeFile(path.join(CLASS_HEADS_DIR, `${cls}.json`), JSON.stringify(head) + '\n');
      manifest.classes[cls] = { file: `${cls}.json`, exemplars, threshold: head.threshold };
      process.stderr.write(`${cls}: ${exemplars} exemplars, threshold ${head.threshold.toFixed(2)}, train AUC ${head.fitted.train_auc.toFixed(3)}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    await writeFile(path.join(CLASS_HEADS_DIR, CLASS_HEADS_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  } finally {
    await tmp.cleanup();
  }
}

await main();
