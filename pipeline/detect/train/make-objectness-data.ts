/**
 * Training patches for the class-agnostic objectness model (models/geoscout-objectness).
 *
 * Renders 256×256 RGB patches straight from synthetic scene plans (no TIFF) at the model's
 * pass resolutions (0.25, 0.5, 2 and 8 m per pixel, each jittered ×0.7–1.4) from scenes at GSD
 * 0.3–1.0 m, so cars (4.5 m) and 330 m ships both land in the model's pixel range at some
 * pass. Patches are rendered finer and shrunk (or rendered at full resolution and
 * enlarged) through the runtime's resampler. Labels are the generator's body boxes
 * (no shadow or wake) of every object kind in the world: the model is class-agnostic.
 * Wind turbines are objects here too (since 1.2.0): they are held out of the *encoder's*
 * images and captions, which is what the prototype test measures; a proposer that
 * ignored them proposed their blades and tower shadows piecewise, and the encoder read
 * those pieces as ships. An object too large for a pass is background there except for
 * its centre third, so the fine passes learn not to propose parts of big objects.
 *
 * Seeds start at 50000: the benchmark scenes use 41000–41999 and 42000–42999.
 *
 *   node --import tsx pipeline/detect/train/make-objectness-data.ts --out DIR [--scenes 40] [--per-scene 50]
 *     [--passes 0.25,0.5,2,8] [--gsd 0.3,1.0] [--seed-base 50000] [--val-scenes 4]
 *     [--out-of-context N] [--odd-focus 0.5]
 *
 * --out-of-context plans N ships on land and aircraft on roads per scene (the generator's
 * default is about one); --odd-focus centres that share of the patches on one of them, so
 * a fine-tune sees enough of them to stop calling a barge on a field background. (A 35-min
 * fine-tune of 1.2.0 with two such shards did not, and cost ship AP: README, detection.)
 *
 * Writes DIR/images.u8 (N×256×256×3), DIR/labels.jsonl (one line per patch:
 * {boxes:[[x,y,w,h]…], ignore:[[x,y,w,h]…], mpp, seed, gsdM, split}) and DIR/meta.json.
 * --labels-only rewrites labels.jsonl and meta.json of an existing DIR made with the same
 * arguments (patch placement replays the same random stream) without rendering again.
 */
import { existsSync, mkdirSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { planScene } from '../../synth/scene-plan.js';
import { renderTile } from '../../synth/render-tile.js';
import { Rng } from '../../synth/random.js';
import type { ScenePlan } from '../../synth/plan-types.js';
import { resizeRgb } from '../../raster/resize-rgb.js';

const PATCH = 256;
/** Metres per pixel of the runtime passes (manifest `passes`); --passes picks a subset. */
const PASS_MPP = [0.25, 0.5, 2, 8];
const PASS_WEIGHT = [0.3, 0.3, 0.2, 0.2];
/** Body length range (metres) whose objects a patch of each pass is centred on. */
const PASS_FOCUS_M: [number, number][] = [[2, 20], [3, 40], [12, 160], [50, 800]];
/** Body long side (patch px) the model learns; outside it an object is ignored. */
const MIN_PX = 4;
const MAX_PX = 180;
/** Classes the model learns; everything else is ignored. */
const POSITIVE = new Set(['aircraft', 'ship', 'vehicle', 'storage_tank', 'building', 'wind_turbine']);

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    scenes: { type: 'string', default: '40' },
    'per-scene': { type: 'string', default: '50' },
    'seed-base': { type: 'string', default: '50000' },
    'val-scenes': { type: 'string', default: '4' },
    passes: { type: 'string', default: PASS_MPP.join(',') },
    gsd: { type: 'string', default: '0.3,1.0' },
    'labels-only': { type: 'boolean', default: false },
    'out-of-context': { type: 'string' },
    'odd-focus': { type: 'string', default: '0' },
  },
});
if (!values.out) throw new Error('--out DIR is required');
const out = values.out;
const nScenes = Number(values.scenes), perScene = Number(values['per-scene']), seedBase = Number(values['seed-base']);
const nVal = Number(values['val-scenes']);
if (seedBase < 50000) throw new Error('seeds below 50000 overlap the benchmark scenes');
const passes = values.passes.split(',').map((v) => PASS_MPP.indexOf(Number(v)));
if (passes.some((p) => p < 0)) throw new Error(`--passes must be among ${PASS_MPP.join(',')}`);
const [gsdLo, gsdHi] = values.gsd.split(',').map(Number) as [number, number];
const labelsOnly = values['labels-only'];
const oddPerClass = values['out-of-context'] === undefined ? undefined : Number(values['out-of-context']);
const oddFocus = Number(values['odd-focus']);
if (!(oddFocus >= 0 && oddFocus <= 1)) throw new Error(`--odd-focus must be a share between 0 and 1, got ${values['odd-focus']}`);
if (labelsOnly && !existsSync(path.join(out, 'images.u8'))) throw new Error(`--labels-only relabels an existing shard: ${out}/images.u8 is missing (run without it first)`);
mkdirSync(out, { recursive: true });
const imgFd = labelsOnly ? -1 : openSync(path.join(out, 'images.u8'), 'w');
const labelFd = openSync(path.join(out, 'labels.jsonl'), 'w');
const started = Date.now();
let count = 0;
const perClass: Record<string, number> = {};

for (let s = 0; s < nScenes; s++) {
  const seed = seedBase + s;
  const rng = new Rng(seed * 7919 + 13);
  const gsdM = Math.round(rng.range(gsdLo, gsdHi) * 100) / 100;
  // ~3.2 km square: room for a 2 km patch of the 8 m/px pass anywhere.
  const side = Math.round(3200 / gsdM);
  const plan = planScene({ seed, width: side, height: side, gsdM, ...(oddPerClass === undefined ? {} : { outOfContextPerClass: oddPerClass }) });
  const split = s >= nScenes - nVal ? 'val' : 'train';
  for (let k = 0; k < perScene; k++) {
    const pass = pickPass(rng);
    const mpp = PASS_MPP[pass]! * Math.exp(rng.range(-0.35, 0.35));
    const sEff = mpp / gsdM; // full-res px per patch px
    const spanPx = PATCH * sEff;
    const centre = pickCentre(plan, rng, pass, spanPx);
    const x0 = clamp(centre[0] - spanPx / 2, 0, plan.width - spanPx);
    const y0 = clamp(centre[1] - spanPx / 2, 0, plan.height - spanPx);
    const geo = patchGeometry(x0, y0, sEff);
    const { origin, scale } = geo;
    const label = labels(plan, origin, scale, perClass);
    if (!labelsOnly) writeSync(imgFd, await renderPatch(plan, geo));
    writeSync(labelFd, JSON.stringify({ ...label, mpp: round(scale * gsdM), seed, gsdM, split }) + '\n');
    count++;
  }
  console.error(`scene ${seed} gsd ${gsdM} (${side}px, ${plan.objects.length} objects): ${count} patches, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
if (!labelsOnly) closeSync(imgFd);
closeSync(labelFd);
writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ patch: PATCH, count, passMpp: passes.map((p) => PASS_MPP[p]), gsdM: [gsdLo, gsdHi], seeds: [seedBase, seedBase + nScenes - 1], valScenes: nVal, outOfContextPerClass: oddPerClass ?? 'default', oddFocus, positives: perClass, ignored: [] }, null, 2));
console.error(`wrote ${count} patches to ${out} in ${((Date.now() - started) / 1000).toFixed(0)} s`, perClass);

function pickPass(rng: Rng): number {
  const total = passes.reduce((a, p) => a + PASS_WEIGHT[p]!, 0);
  let r = rng.next() * total;
  for (const p of passes) if ((r -= PASS_WEIGHT[p]!) < 0) return p;
  return passes[passes.length - 1]!;
}

/**
 * --odd-focus of the time: near an out-of-context object sized for the pass; else 70 %:
 * near an object of a class drawn uniformly (sized for the pass); otherwise anywhere.
 */
function pickCentre(plan: ScenePlan, rng: Rng, pass: number, spanPx: number): [number, number] {
  const [lo, hi] = PASS_FOCUS_M[pass]!;
  const fits = plan.objects.filter((o) => o.lengthM >= lo && o.lengthM <= hi);
  const around = (o: ScenePlan['objects'][number]): [number, number] => [o.cx + rng.range(-0.4, 0.4) * spanPx, o.cy + rng.range(-0.4, 0.4) * spanPx];
  // Drawn only when asked, so shards made without the flag replay the same random stream.
  if (oddFocus > 0 && rng.chance(oddFocus)) {
    const odd = fits.filter((o) => o.outOfContext);
    if (odd.length) return around(rng.pick(odd));
  }
  if (rng.chance(0.7)) {
    const classes = [...new Set(fits.map((o) => o.class))];
    if (classes.length) {
      const cls = rng.pick(classes);
      return around(rng.pick(fits.filter((f) => f.class === cls)));
    }
  }
  return [rng.range(0, plan.width), rng.range(0, plan.height)];
}

interface PatchGeometry {
  /** Full-res px per rendered px, rendered side, first rendered pixel (render units). */
  rs: number; n: number; lx: number; ly: number;
  /** Exact full-res origin and full-res px per patch px after rounding to render pixels. */
  origin: [number, number]; scale: number;
}

/**
 * Where PATCH² pixels covering [x0, x0+PATCH·sEff) at sEff full-res px per pixel come from:
 * rendered up to 3× finer and shrunk, or (sEff < 1) at full resolution and enlarged, as the
 * runtime resamples a chunk.
 */
function patchGeometry(x0: number, y0: number, sEff: number): PatchGeometry {
  const k = sEff >= 1 ? Math.max(1, Math.min(3, Math.floor(sEff))) : 1;
  const rs = sEff >= 1 ? sEff / k : 1; // render scale
  const n = sEff >= 1 ? PATCH * k : Math.max(16, Math.round(PATCH * sEff));
  const lx = Math.floor(x0 / rs), ly = Math.floor(y0 / rs);
  return { rs, n, lx, ly, origin: [lx * rs, ly * rs], scale: (n * rs) / PATCH };
}

/** Renders one patch (RGB, PATCH²) through the runtime's resampler. */
async function renderPatch(plan: ScenePlan, g: PatchGeometry): Promise<Uint8Array> {
  const px = renderTile(plan, { scale: g.rs, x: g.lx, y: g.ly, width: g.n, height: g.n }) as Uint8Array;
  return (await resizeRgb({ data: px, width: g.n, height: g.n }, PATCH, PATCH)).data;
}

/** Positive boxes (≥ 60 % inside the patch, clipped) and ignore regions, in patch pixels. */
function labels(plan: ScenePlan, origin: [number, number], scale: number, perClass: Record<string, number>): { boxes: number[][]; ignore: number[][] } {
  const boxes: number[][] = [], ignore: number[][] = [];
  const span = PATCH * scale;
  for (const o of plan.objects) {
    const b = o.bbox;
    if (b[0] > origin[0] + span || b[1] > origin[1] + span || b[0] + b[2] < origin[0] || b[1] + b[3] < origin[1]) continue;
    const p = [(b[0] - origin[0]) / scale, (b[1] - origin[1]) / scale, b[2] / scale, b[3] / scale];
    const c = clip(p);
    if (!c) continue;
    const visible = (c[2]! * c[3]!) / Math.max(1e-6, p[2]! * p[3]!);
    const long = Math.max(p[2]!, p[3]!);
    if (POSITIVE.has(o.class) && long > MAX_PX) {
      // Too large for this resolution: a coarser pass finds it. Only its centre is left
      // untaught (a peak there is not wrong, the box just cannot be sized here); the rest of
      // its body is background, so a deck's containers or a wing are not proposed as objects.
      const core = clip([p[0]! + p[2]! / 3, p[1]! + p[3]! / 3, p[2]! / 3, p[3]! / 3]);
      if (core) ignore.push(core.map(round));
      continue;
    }
    // Too small or mostly outside the patch: do not teach either way.
    if (!POSITIVE.has(o.class) || visible < 0.6 || long < MIN_PX) {
      ignore.push(c.map(round));
      continue;
    }
    boxes.push(c.map(round));
    perClass[o.class] = (perClass[o.class] ?? 0) + 1;
  }
  return { boxes, ignore };
}

function clip(b: number[]): number[] | null {
  const x0 = Math.max(0, b[0]!), y0 = Math.max(0, b[1]!);
  const x1 = Math.min(PATCH, b[0]! + b[2]!), y1 = Math.min(PATCH, b[1]! + b[3]!);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}
