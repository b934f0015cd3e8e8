import sharp from 'sharp';
import { boxIou } from '../raster/box-iou.js';
import type { RgbImage } from '../raster/raster.js';
import type { PixelBox } from './refine-box.js';

/** Object size prior, metres: the longest side of anything worth proposing. */
export interface SizePrior {
  minM: number;
  maxM: number;
}

/**
 * Default size range: a car (≈4 m) up to a large ship (≈400 m), DOMAIN.md figures.
 * Converted to pixels from the scene GSD, so the same prior works at 0.3 m and 1 m.
 */
export const DEFAULT_SIZE_PRIOR: SizePrior = { minM: 3.5, maxM: 420 };

/**
 * Blobs thinner than this (px) or more elongated than {@link MAX_ASPECT} are lines (road
 * edges, markings, shadow lines), not objects: the targets of DOMAIN.md are at most ~6:1
 * (a tanker). Without this a 10×1 px road edge could become a search hit's best box.
 */
const MIN_SHORT_PX = 2;
const MAX_ASPECT = 8;

/** One class-agnostic candidate box, in image pixels. */
export interface Proposal extends PixelBox {
  /** Contrast against the local background (mean of the component's distance / threshold); ranks proposals when capped. */
  contrast: number;
  /** The background scale it came from, metres. */
  scaleM: number;
}

/** Options of {@link proposeObjects}. */
export interface ProposalOptions {
  sizePrior?: SizePrior;
  /**
   * Background windows in metres: a median over a window of this size (computed on a
   * downsampled copy) estimates the local background; pixels far from it form blobs. Two
   * scales: a fine one keeps rows of cars apart, a coarse one lets ships and wide-bodies
   * stand out from water and aprons whole.
   */
  backgroundScalesM?: number[];
  /** Cap on proposals per call (highest contrast kept). */
  maxProposals?: number;
}

/**
 * Class-agnostic, GSD-aware proposals by background subtraction: for each background
 * scale, an image-wide median-filtered background (cheap: downsample, median, upsample
 * with libvips), a robust threshold on the colour distance to it, connected components,
 * and a size filter from the prior in metres. Why classic saliency rather than a learned
 * objectness head: it needs no training data for classes nobody defined yet, it is fast,
 * and the encoder does the recognising afterwards. Duplicates across scales are merged.
 *
 * @param rgb 8-bit RGB of an image window at `scale` image pixels per rgb pixel
 * @param origin the image pixel of rgb's top-left corner
 * @param gsdM metres per image pixel (null: assume 0.5)
 */
export async function proposeObjects(rgb: RgbImage, origin: { x: number; y: number }, scale: number, gsdM: number | null, opts: ProposalOptions = {}): Promise<Proposal[]> {
  const prior = opts.sizePrior ?? DEFAULT_SIZE_PRIOR;
  const mPerPx = (gsdM ?? 0.5) * scale;
  const out: Proposal[] = [];
  for (const scaleM of opts.backgroundScalesM ?? [20, 80, 240]) {
    const bg = await background(rgb, Math.max(1, Math.round(scaleM / 8 / mPerPx)));
    const { mask: withShadows, dist, thr } = foreground(rgb, bg);
    // At the fine scale shadows glue neighbouring cars together: propose from both the
    // plain mask and one without shadow-like pixels (darker than the background, same hue).
    const variants = scaleM <= 30 ? [withShadows, withoutShadows(withShadows, rgb, bg)] : [withShadows];
    for (const mask of variants) {
    // Components are found on a mask pooled to about scaleM/40 metres per cell, so the parts
    // of one object (white fuselage, dark wings) join at coarse scales while rows of cars stay
    // apart at the fine one; each box is then tightened on the full-resolution mask.
    const pool = Math.max(1, Math.round(scaleM / 40 / mPerPx));
    const maxPx = Math.min(prior.maxM, scaleM * 1.8) / mPerPx;
    const minPx = Math.max(prior.minM, scaleM / 12) / mPerPx;
    const pooled = pool > 1 ? orPool(mask, rgb.width, rgb.height, pool) : { mask, width: rgb.width, height: rgb.height };
    for (const c of components(pooled.mask, pooled.width, pooled.height)) {
      const box = tighten(mask, dist, rgb.width, rgb.height, { x: c.x * pool, y: c.y * pool, width: c.width * pool, height: c.height * pool });
      if (!box) continue;
      const long = Math.max(box.width, box.height), short = Math.min(box.width, box.height);
      if (long < minPx || long > maxPx || box.size < 6 || short < MIN_SHORT_PX || long > MAX_ASPECT * short) continue;
      out.push({ x: origin.x + box.x * scale, y: origin.y + box.y * scale, width: box.width * scale, height: box.height * scale, contrast: box.sum / box.size / thr, scaleM });
    }
    }
  }
  const merged = dedupe(out);
  merged.sort((a, b) => b.contrast - a.contrast);
  return merged.slice(0, opts.maxProposals ?? 4000);
}

/** Median background over windows of about 8·f pixels: downsample by f, 9×9 median, upsample. */
async function background(rgb: RgbImage, f: number): Promise<Uint8Array> {
  const { width: w, height: h } = rgb;
  const sw = Math.max(9, Math.round(w / f)), sh = Math.max(9, Math.round(h / f));
  const small = await sharp(rgb.data, { raw: { width: w, height: h, channels: 3 } }).resize(sw, sh, { kernel: 'linear' }).median(9).raw().toBuffer();
  const up = await sharp(small, { raw: { width: sw, height: sh, channels: 3 } }).resize(w, h, { kernel: 'linear' }).raw().toBuffer();
  return new Uint8Array(up.buffer, up.byteOffset, up.byteLength);
}

/** Pixels whose L1 colour distance to the background passes a robust (median + 5·IQR/2) threshold. */
function foreground(rgb: RgbImage, bg: Uint8Array): { mask: Uint8Array; dist: Uint16Array; thr: number } {
  const { data } = rgb;
  const n = rgb.width * rgb.height;
  const dist = new Uint16Array(n);
  const hist = new Uint32Array(766);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(data[i * 3]! - bg[i * 3]!) + Math.abs(data[i * 3 + 1]! - bg[i * 3 + 1]!) + Math.abs(data[i * 3 + 2]! - bg[i * 3 + 2]!);
    dist[i] = d;
    hist[d]!++;
  }
  const med = quantile(hist, n, 0.5), q75 = quantile(hist, n, 0.75);
  const thr = Math.max(36, med + 5 * Math.max(q75 - med, 4));
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = dist[i]! >= thr ? 1 : 0;
  return { mask, dist, thr };
}

/** A copy of `mask` without shadow-like pixels: luminance under 70 % of the background's with the same chromaticity. */
function withoutShadows(mask: Uint8Array, rgb: RgbImage, bg: Uint8Array): Uint8Array {
  const out = Uint8Array.from(mask);
  const d = rgb.data;
  for (let i = 0; i < out.length; i++) {
    if (!out[i]) continue;
    const r = d[i * 3]!, g = d[i * 3 + 1]!, b = d[i * 3 + 2]!;
    const R = bg[i * 3]!, G = bg[i * 3 + 1]!, B = bg[i * 3 + 2]!;
    const l = r + g + b + 1, L = R + G + B + 1;
    if (l > 0.7 * L) continue;
    const chroma = Math.abs(r / l - R / L) + Math.abs(g / l - G / L) + Math.abs(b / l - B / L);
    if (chroma < 0.12) out[i] = 0;
  }
  return out;
}

/** A mask pooled by `f` (a cell is set when any of its pixels is). */
function orPool(mask: Uint8Array, w: number, h: number, f: number): { mask: Uint8Array; width: number; height: number } {
  const pw = Math.ceil(w / f), ph = Math.ceil(h / f);
  const out = new Uint8Array(pw * ph);
  for (let y = 0; y < h; y++) {
    const row = y * w, prow = Math.floor(y / f) * pw;
    for (let x = 0; x < w; x++) if (mask[row + x]) out[prow + Math.floor(x / f)] = 1;
  }
  return { mask: out, width: pw, height: ph };
}

/** The bounding box of the set pixels of `mask` inside `b`, with their count and summed distance. */
function tighten(mask: Uint8Array, dist: Uint16Array, w: number, h: number, b: PixelBox): (PixelBox & { size: number; sum: number }) | null {
  let x0 = w, y0 = h, x1 = -1, y1 = -1, size = 0, sum = 0;
  for (let y = b.y; y < Math.min(h, b.y + b.height); y++) {
    for (let x = b.x; x < Math.min(w, b.x + b.width); x++) {
      const i = y * w + x;
      if (!mask[i]) continue;
      size++;
      sum += dist[i]!;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  return size ? { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1, size, sum } : null;
}

interface Component { x: number; y: number; width: number; height: number }

/** Bounding boxes of the 4-connected components of a mask. */
function components(mask: Uint8Array, w: number, h: number): Component[] {
  const n = w * h;
  const seen = new Uint8Array(n);
  const comps: Component[] = [];
  const stack: number[] = [];
  const visit = (q: number) => {
    if (mask[q] && !seen[q]) { seen[q] = 1; stack.push(q); }
  };
  for (let s = 0; s < n; s++) {
    if (seen[s] || !mask[s]) continue;
    let x0 = w, y0 = h, x1 = -1, y1 = -1;
    seen[s] = 1;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % w, py = (p - px) / w;
      if (px < x0) x0 = px;
      if (px > x1) x1 = px;
      if (py < y0) y0 = py;
      if (py > y1) y1 = py;
      if (px > 0) visit(p - 1);
      if (px < w - 1) visit(p + 1);
      if (py > 0) visit(p - w);
      if (py < h - 1) visit(p + w);
    }
    comps.push({ x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 });
  }
  return comps;
}

function quantile(hist: Uint32Array, n: number, q: number): number {
  let acc = 0;
  for (let v = 0; v < hist.length; v++) {
    acc += hist[v]!;
    if (acc >= n * q) return v;
  }
  return hist.length - 1;
}

/** Drops a proposal that nearly repeats a higher-contrast one (IoU > 0.7). */
function dedupe(ps: Proposal[]): Proposal[] {
  const sorted = [...ps].sort((a, b) => b.contrast - a.contrast);
  const kept: Proposal[] = [];
  for (const p of sorted) if (!kept.some((k) => boxIou(k, p) > 0.7)) kept.push(p);
  return kept;
}

export { boxIou } from '../raster/box-iou.js';
