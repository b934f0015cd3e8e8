import type { PixelWindow } from '../raster/georef.js';
import type { RgbImage } from '../raster/raster.js';

/** A box in image pixels: the same shape as a pixel window (one type for both). */
export type PixelBox = PixelWindow;

/**
 * Tightens a patch-level match to the object inside it. Patch cells are 16 model
 * pixels (8 m at 0.5 m GSD): far larger than a car, far smaller than a tanker. Inside
 * `rgb` (the matched region plus a margin, already read from the image), pixels that
 * differ from the region's dominant background colour by more than a robust threshold
 * form blobs; the blob that covers the region's centre (or, failing that, the largest
 * blob touching the matched cells) gives the box. Classic saliency: no model, cheap,
 * and it falls back to the patch box when nothing stands out.
 *
 * @param rgb the pixels of `area` (8-bit RGB, at scale `scale` image px per pixel)
 * @param area the image window `rgb` covers
 * @param core the matched patch region (image pixels), inside `area`
 */
export function refineBox(rgb: RgbImage, area: PixelBox, core: PixelBox, scale: number): PixelBox {
  const { width: w, height: h, data } = rgb;
  const n = w * h;
  // Background colour: per-channel median over the whole area.
  const bg = [0, 1, 2].map((c) => median(data, c, n));
  const dist = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    dist[i] = Math.abs(data[i * 3]! - bg[0]!) + Math.abs(data[i * 3 + 1]! - bg[1]!) + Math.abs(data[i * 3 + 2]! - bg[2]!);
  }
  const sorted = Float32Array.from(dist).sort();
  const med = sorted[Math.floor(n / 2)]!;
  const mad = sorted[Math.floor(n * 0.75)]! - med;
  const thr = Math.max(30, med + 4 * Math.max(mad, 4));
  const labels = new Int32Array(n).fill(-1);
  const comps: { x0: number; y0: number; x1: number; y1: number; size: number; touchesCore: boolean }[] = [];
  const cx0 = (core.x - area.x) / scale, cy0 = (core.y - area.y) / scale;
  const cx1 = cx0 + core.width / scale, cy1 = cy0 + core.height / scale;
  for (let s = 0; s < n; s++) {
    if (labels[s] !== -1 || dist[s]! < thr) continue;
    const id = comps.length;
    const comp = { x0: w, y0: h, x1: -1, y1: -1, size: 0, touchesCore: false };
    const stack = [s];
    labels[s] = id;
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % w, py = (p - px) / w;
      comp.size++;
      comp.x0 = Math.min(comp.x0, px); comp.x1 = Math.max(comp.x1, px);
      comp.y0 = Math.min(comp.y0, py); comp.y1 = Math.max(comp.y1, py);
      if (px >= cx0 && px < cx1 && py >= cy0 && py < cy1) comp.touchesCore = true;
      for (const q of [p - 1, p + 1, p - w, p + w]) {
        if (q < 0 || q >= n || labels[q] !== -1 || dist[q]! < thr) continue;
        if ((q === p - 1 && px === 0) || (q === p + 1 && px === w - 1)) continue;
        labels[q] = id;
        stack.push(q);
      }
    }
    comps.push(comp);
  }
  const candidates = comps.filter((c) => c.touchesCore && c.size >= 4);
  if (candidates.length === 0) return core;
  const best = candidates.reduce((a, b) => (b.size > a.size ? b : a));
  return {
    x: Math.round(area.x + best.x0 * scale),
    y: Math.round(area.y + best.y0 * scale),
    width: Math.max(1, Math.round((best.x1 - best.x0 + 1) * scale)),
    height: Math.max(1, Math.round((best.y1 - best.y0 + 1) * scale)),
  };
}

function median(data: Uint8Array, channel: number, n: number): number {
  const hist = new Uint32Array(256);
  for (let i = 0; i < n; i++) hist[data[i * 3 + channel]!]!++;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc * 2 >= n) return v;
  }
  return 255;
}
