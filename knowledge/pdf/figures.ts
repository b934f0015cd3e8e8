import type { TextBlock } from './layout.js';
import type { Box, PageContent, PlacedImage } from './page-content.js';

/** A figure region on a page, with its matched caption. */
export interface FigureRegion {
  box: Box;
  kind: 'raster' | 'vector';
  /** The embedded image (raster figures). */
  image?: PlacedImage;
  caption?: string;
  figureNumber?: number;
  /** Text drawn as PDF text inside a vector figure (labels); raster text needs OCR. */
  innerText: string;
}

/** Paths closer than this (points) are parts of one drawing. */
const PATH_GAP = 48;
/** Text this close (points) to a drawing is one of its labels. */
const LABEL_MARGIN = 14;
const area = (b: Box) => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
const intersects = (a: Box, b: Box, pad = 0) => a[0] < b[2] + pad && b[0] < a[2] + pad && a[1] < b[3] + pad && b[1] < a[3] + pad;
const union = (a: Box, b: Box): Box => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
const inside = (inner: Box, outer: Box) => inner[0] >= outer[0] - 2 && inner[2] <= outer[2] + 2 && inner[1] >= outer[1] - 2 && inner[3] <= outer[3] + 2;

/** True when the page is a scan: no text layer and one image covering most of it. */
export function isScannedPage(c: PageContent): boolean {
  // A running page number may be real text on a scanned page: allow a few characters.
  const chars = c.items.reduce((n, i) => n + i.str.trim().length, 0);
  return chars < 12 && c.images.some((i) => area(i.box) > 0.6 * c.width * c.height);
}

/**
 * Figure regions of a page: embedded images bigger than an icon, and clusters of vector
 * paths (touching paths merged) big enough to be a drawing rather than a rule or a box
 * behind text. Captions are then matched by layout (see {@link matchCaptions}).
 */
export function findFigures(c: PageContent): FigureRegion[] {
  const figs: FigureRegion[] = c.images
    .filter((i) => i.box[2] - i.box[0] >= 40 && i.box[3] - i.box[1] >= 40)
    .map((image) => ({ box: image.box, kind: 'raster' as const, image, innerText: '' }));
  for (const box of clusterPaths(c.paths)) {
    const w = box[2] - box[0], h = box[3] - box[1];
    if (w < 60 || h < 40 || figs.some((f) => intersects(f.box, box))) continue;
    // Labels sit on or just beside the drawing: small text within a margin belongs to it.
    const near: Box = [box[0] - LABEL_MARGIN, box[1] - LABEL_MARGIN, box[2] + LABEL_MARGIN, box[3] + LABEL_MARGIN];
    const inner = c.items.filter((i) => inside(i.box, near) && i.str.length < 40);
    const full = inner.reduce((b, i) => union(b, i.box), box);
    figs.push({ box: full, kind: 'vector', innerText: inner.map((i) => i.str).join(' ') });
  }
  return figs;
}

function clusterPaths(paths: Box[]): Box[] {
  const boxes = paths.filter((p) => area(p) > 4 || p[2] - p[0] > 20 || p[3] - p[1] > 20).map((p) => [...p] as Box);
  let merged = true;
  while (merged) {
    merged = false;
    for (let i = 0; i < boxes.length && !merged; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        if (intersects(boxes[i]!, boxes[j]!, PATH_GAP)) {
          boxes[i] = union(boxes[i]!, boxes[j]!);
          boxes.splice(j, 1);
          merged = true;
          break;
        }
      }
    }
  }
  return boxes;
}

/**
 * Matches "Figure N: …" captions to figures by layout: the caption must overlap the
 * figure horizontally (same column) and sit just below it or just above it (≤ 60 pt);
 * the closest pairs are taken first and each caption and figure is used once. Text
 * blocks inside a vector figure are its labels, not body text: they are returned apart.
 */
export function matchCaptions(figs: FigureRegion[], blocks: TextBlock[]): { figures: FigureRegion[]; body: TextBlock[] } {
  const captions = blocks.filter((b) => b.kind === 'caption');
  const pairs: { f: number; c: number; d: number }[] = [];
  figs.forEach((f, fi) => captions.forEach((c, ci) => {
    const overlap = Math.min(f.box[2], c.box[2]) - Math.max(f.box[0], c.box[0]);
    if (overlap < 0.3 * Math.min(f.box[2] - f.box[0], c.box[2] - c.box[0])) return;
    const below = c.box[1] - f.box[3];
    const above = f.box[1] - c.box[3];
    const d = below >= -4 ? below : above >= -4 ? above + 1 : Infinity;
    if (d <= 60) pairs.push({ f: fi, c: ci, d });
  }));
  pairs.sort((a, b) => a.d - b.d);
  const usedF = new Set<number>(), usedC = new Set<number>();
  const out = figs.map((f) => ({ ...f }));
  for (const p of pairs) {
    if (usedF.has(p.f) || usedC.has(p.c)) continue;
    usedF.add(p.f);
    usedC.add(p.c);
    out[p.f]!.caption = captions[p.c]!.text;
    out[p.f]!.figureNumber = captions[p.c]!.figureNumber!;
  }
  const vector = out.filter((f) => f.kind === 'vector');
  const body = blocks.filter((b) => !vector.some((f) => inside(b.box, f.box)));
  return { figures: out, body };
}
