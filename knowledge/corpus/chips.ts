import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, GlobalFonts, loadImage, type SKRSContext2D } from '@napi-rs/canvas';
import sharp from 'sharp';
import { TYPES, type ObjectType } from '../../pipeline/synth/catalog.js';
import type { PlannedObject, ScenePlan } from '../../pipeline/synth/plan-types.js';
import { renderTile } from '../../pipeline/synth/render-tile.js';
import { planScene } from '../../pipeline/synth/scene-plan.js';

const require = createRequire(import.meta.url);

/**
 * The corpus draws text with Liberation Sans from pdfjs-dist's standard fonts, so
 * labels and scanned pages look the same on a bare CI machine without system fonts.
 */
export const CORPUS_FONT = 'GeoscoutCorpusSans';
let fontsReady = false;

/** Registers the bundled Liberation Sans fonts with @napi-rs/canvas (once). */
export function registerCorpusFonts(): void {
  if (fontsReady) return;
  const dir = path.join(path.dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts');
  GlobalFonts.registerFromPath(path.join(dir, 'LiberationSans-Regular.ttf'), CORPUS_FONT);
  GlobalFonts.registerFromPath(path.join(dir, 'LiberationSans-Bold.ttf'), CORPUS_FONT);
  fontsReady = true;
}

const plans = new Map<number, ScenePlan>();
function plan(seed: number): ScenePlan {
  let p = plans.get(seed);
  if (!p) {
    p = planScene({ seed, width: 2048, height: 2048, gsdM: 0.5 });
    plans.set(seed, p);
  }
  return p;
}

/** Seeds whose 2048² scenes hold at least one object of each type the corpus uses (see the probe in the README). */
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/**
 * The `nth` object of `type` across the seeded scenes (0 = first found). Different `nth`
 * give different instances, so a query chip is never the very figure in a document.
 */
export function findObject(type: ObjectType, nth = 0): { plan: ScenePlan; object: PlannedObject } {
  let seen = 0;
  for (const seed of SEEDS) {
    const p = plan(seed);
    for (const o of p.objects) {
      if (o.type !== type || o.outOfContext) continue;
      if (seen++ === nth) return { plan: p, object: o };
    }
  }
  throw new Error(`no ${type} #${nth} in the corpus seeds`);
}

/**
 * Chip window in scene pixels: fixed 192 px at the scene's 0.5 m GSD, the framing the
 * shipped encoder was trained on (fixed-size chips centred on the object), so a big ship
 * fills the chip and a tug sits in its water context.
 */
function chipWindow(_o: PlannedObject): number {
  return 192;
}

/** An RGB chip (PNG) of the `nth` object of a type, the object filling about 60% of the side. */
export async function objectChip(type: ObjectType, nth = 0, side = 192): Promise<Buffer> {
  const { plan: p, object: o } = findObject(type, nth);
  const win = chipWindow(o);
  // Centred even past the scene edge: the renderer's ground is procedural everywhere.
  const x = Math.round(o.cx - win / 2);
  const y = Math.round(o.cy - win / 2);
  const px = renderTile(p, { scale: 1, x, y, width: win, height: win }) as Uint8Array;
  return sharp(Buffer.from(px.buffer, px.byteOffset, px.byteLength), { raw: { width: win, height: win, channels: 3 } })
    .resize(side, side, { kernel: 'lanczos3' })
    .png()
    .toBuffer();
}

/**
 * An annotated figure as analysts paste them into reports: the chip, a red circle
 * round the object, and a white band below with label words burned into the pixels
 * (so only OCR can read them). Returns PNG bytes.
 */
export async function annotatedFigure(type: ObjectType, labels: string[], nth = 0): Promise<Buffer> {
  registerCorpusFonts();
  const side = 240;
  const band = 30 * labels.length + 8;
  const chip = await objectChip(type, nth, side);
  const canvas = createCanvas(side, side + band);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, side, side + band);
  ctx.drawImage(await loadImage(chip), 0, 0);
  ctx.strokeStyle = '#e01010';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.arc(side / 2, side / 2, side * 0.36, 0, Math.PI * 2);
  ctx.stroke();
  drawLabels(ctx, labels, side, band);
  return canvas.toBuffer('image/png');
}

function drawLabels(ctx: SKRSContext2D, labels: string[], side: number, band: number): void {
  ctx.fillStyle = '#000000';
  ctx.font = `bold 22px ${CORPUS_FONT}`;
  ctx.textBaseline = 'top';
  labels.forEach((l, i) => ctx.fillText(l, 10, side + 6 + i * 30, side - 20));
  void band;
}

/** Words a label shows, uppercase: the type noun split into words. */
export function typeLabel(type: ObjectType): string {
  return TYPES[type].noun.toUpperCase();
}
