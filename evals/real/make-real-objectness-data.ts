/**
 * Real training patches for the objectness model, in the format of
 * pipeline/detect/train/make-objectness-data.ts (DIR/images.u8, labels.jsonl, meta.json):
 * 256×256 RGB patches of the labelled real imagery (KIT AIS cars, NEON tree crowns) at the
 * model's two fine passes (0.25 and 0.5 m per model pixel, each at ×0.75, ×1 and ×1.3),
 * boxes in patch pixels. Only the images the benchmark leaves for training are used
 * (real-data.ts `realSplit`: never an evaluation image of `npm run bench:real` nor a frame
 * overlapping one), so bench:real still measures images the model never saw.
 *
 * KIT frames are strips (1764×430 at 0.13 m: 224 px tall at 0.25 m), and the NEON OSBS
 * crop is 400² at 0.1 m (80 px at 0.5 m): a patch is filled shelf by shelf with crops of
 * random training images of one class, so every pixel is real imagery.
 *
 *   node --import tsx evals/real/make-real-objectness-data.ts --out DIR [--root ../shared/data/real]
 *     [--patches 240] [--val-images 2] [--seed 1]
 *
 * --patches: per class and pass; --val-images: car training images whose patches are marked
 * `val` (objectness_train's held-out recall).
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadKitCars, loadNeonTrees, realSplit, resampleRealImage, type Box, type RealImage } from './real-data.js';

const PATCH = 256;
const PASSES = [0.25, 0.5];
const JITTER = [0.75, 1, 1.3];
/** Long side (patch px) the model learns, as in make-objectness-data.ts; outside it a box is ignored. */
const MIN_PX = 4;
const MAX_PX = 100;

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    root: { type: 'string', default: path.resolve(here, '../../../shared/data/real') },
    patches: { type: 'string', default: '240' },
    'val-images': { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});
if (!values.out) throw new Error('--out DIR is required');
const out = values.out;
const perPass = Number(values.patches);
let seed = Number(values.seed) >>> 0;
const rnd = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);

/** One training image resampled to a model resolution. */
interface Resampled { rgb: Buffer; width: number; height: number; boxes: Box[]; ignore: Box[]; split: 'train' | 'val' }

async function resample(img: RealImage, mpp: number, split: 'train' | 'val'): Promise<Resampled> {
  return { ...(await resampleRealImage(img, mpp)), split };
}

/**
 * A patch filled shelf by shelf (a shelf is one image's crop, as wide as the patch or the
 * image allows, repeated across) with the boxes ≥ 60 % inside a crop kept, the rest ignored.
 */
function fillPatch(pool: Resampled[]): { px: Buffer; boxes: number[][]; ignore: number[][] } {
  const px = Buffer.alloc(PATCH * PATCH * 3);
  const boxes: number[][] = [], ignore: number[][] = [];
  for (let y = 0; y < PATCH;) {
    const im = pool[Math.floor(rnd() * pool.length)]!;
    const ch = Math.min(PATCH - y, im.height);
    for (let x = 0; x < PATCH;) {
      const cw = Math.min(PATCH - x, im.width);
      const sx = Math.floor(rnd() * (im.width - cw + 1)), sy = Math.floor(rnd() * (im.height - ch + 1));
      for (let r = 0; r < ch; r++) im.rgb.copy(px, ((y + r) * PATCH + x) * 3, ((sy + r) * im.width + sx) * 3, ((sy + r) * im.width + sx + cw) * 3);
      const place = (b: Box, positive: boolean) => {
        const x0 = Math.max(b[0], sx), y0 = Math.max(b[1], sy), x1 = Math.min(b[0] + b[2], sx + cw), y1 = Math.min(b[1] + b[3], sy + ch);
        if (x1 <= x0 || y1 <= y0) return;
        const clipped = [x0 - sx + x, y0 - sy + y, x1 - x0, y1 - y0].map((v) => Math.round(v * 10) / 10);
        const visible = ((x1 - x0) * (y1 - y0)) / Math.max(1e-6, b[2] * b[3]);
        const long = Math.max(b[2], b[3]);
        (positive && visible >= 0.6 && long >= MIN_PX && long <= MAX_PX ? boxes : ignore).push(clipped);
      };
      for (const b of im.boxes) place(b, true);
      for (const b of im.ignore) place(b, false);
      x += cw;
    }
    y += ch;
  }
  return { px, boxes, ignore };
}

const classes = [await loadKitCars(values.root), await loadNeonTrees(values.root)];
mkdirSync(out, { recursive: true });
const imgFd = openSync(path.join(out, 'images.u8'), 'w');
const labelFd = openSync(path.join(out, 'labels.jsonl'), 'w');
const summary: Record<string, unknown> = {};
let count = 0;
for (const cls of classes) {
  const { training } = realSplit(cls);
  const nVal = cls.name === 'car' ? Number(values['val-images']) : 0;
  let boxesOut = 0;
  for (const mpp of PASSES) {
    for (const j of JITTER) {
      const pool = await Promise.all(training.map((img, i) => resample(img, mpp * j, i >= training.length - nVal ? 'val' : 'train')));
      for (const split of ['train', 'val'] as const) {
        const part = pool.filter((p) => p.split === split);
        if (!part.length) continue;
        const n = Math.round((perPass / JITTER.length) * (split === 'val' ? 0.15 : 1));
        for (let k = 0; k < n; k++) {
          const p = fillPatch(part);
          writeSync(imgFd, p.px);
          writeSync(labelFd, JSON.stringify({ boxes: p.boxes, ignore: p.ignore, mpp: Math.round(mpp * j * 1000) / 1000, seed: 0, gsdM: training[0]!.gsdM, split, source: cls.name }) + '\n');
          boxesOut += p.boxes.length;
          count++;
        }
      }
    }
  }
  summary[cls.name] = { images: training.map((i) => i.name), boxes: boxesOut };
  console.error(`${cls.name}: ${training.length} training images, ${boxesOut} boxes in ${count} patches so far`);
}
closeSync(imgFd);
closeSync(labelFd);
writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ patch: PATCH, count, passMpp: PASSES, jitter: JITTER, real: summary, attribution: classes.map((c) => c.attribution) }, null, 2));
console.error(`wrote ${count} patches to ${out}`);
