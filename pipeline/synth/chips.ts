import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { GeoscoutError } from '../../core/errors.js';
import { BACKGROUND_CAPTIONS, chipCaption, type BackgroundKind } from './captions.js';
import type { GeneratedScene } from './generate-scene.js';
import { boxCorners, convexOverlap, insideBox, type Vec } from './geometry.js';
import { groundKindAt } from './paint-ground.js';
import type { PlannedObject, ScenePlan } from './plan-types.js';
import { hashInts, hashString, Rng } from './random.js';
import { renderTile } from './render-tile.js';
import { planScene } from './scene-plan.js';

/** Options of {@link generateChipPairs}. */
export interface ChipOptions {
  /** Chip side in pixels (default 224). */
  chipSize?: number;
  /** Chips with no object (water, runway, farmland, ...); default: a tenth of the object count, at least 6. */
  backgroundChips?: number;
  /** At most this many chips per object type (default: no limit); out-of-context objects are rare by design and always kept. */
  maxPerType?: number;
  /**
   * Hard negatives for out-of-context objects (default 0: none): every object within this
   * many metres of one is chipped past `maxPerType`, and its empty setting (the same road
   * or field a chip away, with no object) is chipped too. Why: trained on an aircraft on a
   * street with only random chips for contrast, an encoder learns "street beside apartment
   * blocks" as aircraft; the neighbours and the empty setting say what is not. (For
   * geoscout-mini it did not pay off at matched false positives: README, detection.)
   */
  nearOutOfContextM?: number;
}

interface PairLine {
  image: string;
  caption: string;
  class: string;
  type: string;
  object_id?: string;
  out_of_context?: boolean;
  /** Class of the out-of-context object this chip is a hard negative for (a neighbour or its empty setting). */
  hard_negative_for?: string;
}

const BACKGROUND_KINDS: BackgroundKind[] = ['water', 'runway', 'farmland', 'coast', 'road', 'land'];

/**
 * Renders chip–caption pairs for encoder training: a PNG per object, centred on it, plus
 * background chips, and `pairs.jsonl` in `outDir` with one {image, caption, class, type}
 * line per chip. Chips are rendered from the plan at full resolution, not cut from the TIFF.
 */
export async function generateChipPairs(scene: GeneratedScene | ScenePlan, outDir: string, opts: ChipOptions = {}): Promise<{ jsonlPath: string; count: number }> {
  const isPlan = 'index' in scene;
  const plan = isPlan ? scene : planScene(scene.options);
  const prefix = isPlan ? `seed${plan.options.seed}` : scene.name;
  const size = opts.chipSize ?? 224;
  if (!Number.isInteger(size) || size < 16 || size > 4096) throw new GeoscoutError('INVALID_INPUT', `chipSize must be whole pixels between 16 and 4096, got ${size}.`);
  const radiusM = opts.nearOutOfContextM ?? 0;
  if (!Number.isFinite(radiusM) || radiusM < 0 || radiusM > 10_000) throw new GeoscoutError('INVALID_INPUT', `nearOutOfContextM must be metres between 0 and 10000, got ${radiusM}.`);
  await mkdir(path.join(outDir, 'chips'), { recursive: true });
  const lines: PairLine[] = [];
  const perType = new Map<string, number>();
  const odd = radiusM > 0 ? plan.objects.filter((o) => o.outOfContext) : [];
  const near = nearOutOfContext(plan, odd, radiusM);
  for (const o of plan.objects) {
    const hardNegativeFor = near.get(o.id);
    if (!o.outOfContext && !hardNegativeFor) {
      const n = perType.get(o.type) ?? 0;
      if (n >= (opts.maxPerType ?? Infinity)) continue;
      perType.set(o.type, n + 1);
    }
    const image = `chips/${prefix}-${o.id}.png`;
    await writeChip(plan, path.join(outDir, image), o.cx, o.cy, size);
    lines.push({ image, caption: chipCaption(o, plan.options.seed, plan.gsdM), class: o.class, type: o.type, object_id: o.id, out_of_context: o.outOfContext, ...(hardNegativeFor ? { hard_negative_for: hardNegativeFor } : {}) });
  }
  const wanted = opts.backgroundChips ?? Math.max(6, Math.round(plan.objects.length / 10));
  const rng = Rng.forStage(plan.options.seed, 'background-chips');
  for (let i = 0; i < wanted; i++) {
    const kind = BACKGROUND_KINDS[i % BACKGROUND_KINDS.length]!;
    const at = findBackground(plan, rng, kind, size);
    if (!at) continue;
    const image = `chips/${prefix}-bg-${kind}-${String(i).padStart(3, '0')}.png`;
    await writeChip(plan, path.join(outDir, image), at[0], at[1], size);
    lines.push({ image, caption: backgroundCaption(plan.options.seed, image, kind), class: 'background', type: kind });
  }
  for (const [i, o] of odd.entries()) {
    const at = emptySetting(plan, o, size);
    if (!at) continue;
    const kind = settingKind(plan, o, at);
    const image = `chips/${prefix}-setting-${o.id}-${String(i).padStart(3, '0')}.png`;
    await writeChip(plan, path.join(outDir, image), at[0], at[1], size);
    lines.push({ image, caption: backgroundCaption(plan.options.seed, image, kind), class: 'background', type: kind, hard_negative_for: o.class });
  }
  const jsonlPath = path.join(outDir, 'pairs.jsonl');
  await writeFile(jsonlPath, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
  return { jsonlPath, count: lines.length };
}

/** In-context objects within `radiusM` metres (centre to centre) of one of `odds`: id → that one's class. */
function nearOutOfContext(plan: ScenePlan, odds: readonly PlannedObject[], radiusM: number): Map<string, string> {
  const ids = new Map<string, string>();
  const r = radiusM / plan.gsdM;
  for (const odd of odds) {
    for (const o of plan.index.query([odd.cx - r, odd.cy - r, odd.cx + r, odd.cy + r]).objects) {
      if (!o.outOfContext && Math.hypot(o.cx - odd.cx, o.cy - odd.cy) <= r) ids.set(o.id, odd.class);
    }
  }
  return ids;
}

/**
 * Centre of a chip showing an out-of-context object's setting without it: along its road
 * for an aircraft (both ways), around it for a ship on land; the first spot with no object
 * in the chip, or null.
 */
function emptySetting(plan: ScenePlan, o: PlannedObject, size: number): [number, number] | null {
  const half = size / 2;
  const along = (o.headingDeg * Math.PI) / 180;
  const angles = o.class === 'aircraft' ? [along, along + Math.PI] : [0, 1, 2, 3, 4, 5, 6, 7].map((k) => along + (k * Math.PI) / 4);
  for (const dist of [1.2, 1.6, 2.2, 3].map((f) => f * Math.max(size, o.lengthM / plan.gsdM))) {
    for (const a of angles) {
      const cx = o.cx + Math.sin(a) * dist, cy = o.cy - Math.cos(a) * dist;
      if (cx < half || cy < half || cx > plan.width - half || cy > plan.height - half) continue;
      if (touchesObject(plan.index.query([cx - half, cy - half, cx + half, cy + half]).objects, chipSquare(cx, cy, half))) continue;
      if (o.class === 'ship' && groundKindAt(plan, cx, cy) === 'water') continue;
      return [cx, cy];
    }
  }
  return null;
}

/** What an out-of-context object's empty setting is called: its road or street, or the ground under the chip. */
function settingKind(plan: ScenePlan, o: PlannedObject, at: [number, number]): BackgroundKind {
  if (o.class !== 'aircraft') return groundKindAt(plan, at[0], at[1]) === 'farmland' ? 'farmland' : 'land';
  const under = plan.index.query([o.cx, o.cy, o.cx, o.cy]).features.filter((f) => insideBox(f.box, o.cx, o.cy));
  return under.some((f) => f.kind === 'street') ? 'street' : 'road';
}

/** A background chip's caption: one of its kind's phrasings, fixed by the seed and the file name. */
function backgroundCaption(seed: number, image: string, kind: BackgroundKind): string {
  const phrasings = BACKGROUND_CAPTIONS[kind];
  return phrasings[hashInts(seed, hashString(image)) % phrasings.length]!;
}

/** The square a chip of side 2·half centred on (cx, cy) covers, as a polygon. */
function chipSquare(cx: number, cy: number, half: number): Vec[] {
  return [[cx - half, cy - half], [cx + half, cy - half], [cx + half, cy + half], [cx - half, cy + half]];
}

/** Whether anything drawn for an object reaches into the chip (exact: wakes and tower shadows have large bounding boxes but thin shapes). */
function touchesObject(objects: readonly PlannedObject[], chip: Vec[]): boolean {
  return objects.some((o) => convexOverlap(o.renderPoly, chip));
}

/** Top-left of a chip centred on (cx, cy), kept inside the scene when the scene is big enough. */
function chipOrigin(plan: ScenePlan, cx: number, cy: number, size: number): [number, number] {
  const clamp = (v: number, max: number) => (max < 0 ? Math.round(max / 2) : Math.min(max, Math.max(0, v)));
  return [clamp(Math.round(cx - size / 2), plan.width - size), clamp(Math.round(cy - size / 2), plan.height - size)];
}

async function writeChip(plan: ScenePlan, file: string, cx: number, cy: number, size: number): Promise<void> {
  const [x, y] = chipOrigin(plan, cx, cy, size);
  const px = renderTile(plan, { scale: 1, x, y, width: size, height: size });
  // Chips are 8-bit whatever the scene depth: encoders train on 8-bit RGB.
  const bytes = px instanceof Uint8Array ? px : Uint8Array.from(px, (v) => Math.round((v * 255) / 4095));
  await sharp(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { raw: { width: size, height: size, channels: 3 } }).png().toFile(file);
}

function findBackground(plan: ScenePlan, rng: Rng, kind: BackgroundKind, size: number): [number, number] | null {
  const half = size / 2;
  const runways = plan.features.filter((f) => f.kind === kind);
  for (let i = 0; i < 600; i++) {
    let cx: number, cy: number;
    if (kind === 'runway' || kind === 'road') {
      if (runways.length === 0) return null;
      const f = rng.pick(runways);
      const a = (f.box.headingDeg * Math.PI) / 180;
      const t = rng.range(-0.5, 0.5) * f.box.length;
      cx = f.box.cx + Math.sin(a) * t;
      cy = f.box.cy - Math.cos(a) * t;
    } else {
      cx = rng.range(half, Math.max(half, plan.width - half));
      cy = rng.range(half, Math.max(half, plan.height - half));
    }
    if (cx < half || cy < half || cx > plan.width - half || cy > plan.height - half) continue;
    const items = plan.index.query([cx - half, cy - half, cx + half, cy + half]);
    const chip = chipSquare(cx, cy, half);
    if (touchesObject(items.objects, chip)) continue;
    // Airfield grass is open land for this purpose; other features make a chip not empty.
    const touching = items.features.filter((f) => convexOverlap(boxCorners(f.box), chip));
    const grass = touching.filter((f) => f.kind === 'grass');
    const others = touching.filter((f) => f.kind !== 'grass');
    if (kind !== 'runway' && kind !== 'road' && others.length > 0) continue;
    if (kind === 'runway' && others.some((f) => f.kind === 'apron')) continue;
    const corners = [[cx - half, cy - half], [cx + half, cy - half], [cx - half, cy + half], [cx + half, cy + half], [cx, cy]] as const;
    const kinds = corners.map(([x, y]) => groundKindAt(plan, x, y));
    const allGrass = grass.length > 0 && corners.every(([x, y]) => grass.some((f) => insideBox(f.box, x, y)));
    if (kind === 'land' && allGrass) return [cx, cy];
    if (grass.length > 0 && kind !== 'runway' && kind !== 'road') continue;
    if (kind === 'water' && kinds.every((k) => k === 'water')) return [cx, cy];
    if (kind === 'farmland' && kinds.every((k) => k === 'farmland')) return [cx, cy];
    if (kind === 'land' && kinds.every((k) => k === 'land')) return [cx, cy];
    if (kind === 'coast' && kinds.includes('water') && kinds.some((k) => k !== 'water')) return [cx, cy];
    if (kind === 'runway' || (kind === 'road' && kinds.every((k) => k !== 'water'))) return [cx, cy];
  }
  return null;
}
