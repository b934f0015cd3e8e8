import type { PDFPageProxy } from 'pdfjs-dist/types/src/display/api.js';
import { pdfjs } from './load-pdf.js';

/** Box in page points, origin top-left: [x0, y0, x1, y1]. */
export type Box = [number, number, number, number];

/** One run of text with its box and font size. */
export interface TextItem {
  str: string;
  box: Box;
  size: number;
  font: string;
}

/** An embedded raster placed on the page, decoded to RGB(A). */
export interface PlacedImage {
  box: Box;
  width: number;
  height: number;
  /** 1 (gray), 3 (RGB) or 4 (RGBA) bytes per pixel. */
  channels: 1 | 3 | 4;
  data: Uint8Array;
}

/** What a page holds before layout analysis. */
export interface PageContent {
  width: number;
  height: number;
  items: TextItem[];
  images: PlacedImage[];
  /** Boxes of filled/stroked vector paths (candidates for vector figures). */
  paths: Box[];
}

type Matrix = [number, number, number, number, number, number];
const mul = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[2] * n[1], m[1] * n[0] + m[3] * n[1], m[0] * n[2] + m[2] * n[3], m[1] * n[2] + m[3] * n[3],
  m[0] * n[4] + m[2] * n[5] + m[4], m[1] * n[4] + m[3] * n[5] + m[5],
];

/** Axis-aligned box of a user-space rectangle under a matrix. */
function boxOf(m: Matrix, x0: number, y0: number, x1: number, y1: number): Box {
  const pts = [[x0, y0], [x1, y0], [x0, y1], [x1, y1]].map(([x, y]) => [m[0] * x! + m[2] * y! + m[4], m[1] * x! + m[3] * y! + m[5]]);
  const xs = pts.map((p) => p[0]!), ys = pts.map((p) => p[1]!);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/**
 * Reads a page: text runs with boxes (from getTextContent), and, by walking the
 * operator list with the current transform, the placement of every embedded image
 * (paintImageXObject: the unit square under the CTM) and the boxes of vector paths
 * (constructPath's min/max under the CTM). All boxes are in top-left page points.
 */
export async function readPage(page: PDFPageProxy): Promise<PageContent> {
  const vp = page.getViewport({ scale: 1 });
  const base = vp.transform as Matrix;
  const items: TextItem[] = [];
  const tc = await page.getTextContent();
  for (const it of tc.items) {
    if (!('str' in it) || !it.str.trim()) continue;
    const t = it.transform as Matrix;
    const size = Math.hypot(t[2], t[3]) || it.height;
    const box = boxOf(base, t[4], t[5] - size * 0.22, t[4] + it.width, t[5] + size * 0.78);
    items.push({ str: it.str, box, size, font: it.fontName });
  }
  const ops = await page.getOperatorList();
  const images: PlacedImage[] = [];
  const paths: Box[] = [];
  const stack: Matrix[] = [];
  let ctm: Matrix = base;
  const O = pdfjs.OPS;
  for (let i = 0; i < ops.fnArray.length; i++) {
    const fn = ops.fnArray[i];
    const args = ops.argsArray[i] as unknown[];
    if (fn === O.save) stack.push(ctm);
    else if (fn === O.restore) ctm = stack.pop() ?? base;
    else if (fn === O.transform) ctm = mul(ctm, args as Matrix);
    else if (fn === O.constructPath) {
      const mm = args[2] as number[] | null;
      if (mm && Number.isFinite(mm[0])) paths.push(boxOf(ctm, mm[0]!, mm[1]!, mm[2]!, mm[3]!));
    } else if (fn === O.paintImageXObject) {
      const img = await imageObject(page, args[0] as string);
      if (img) images.push({ ...img, box: boxOf(ctm, 0, 0, 1, 1) });
    }
  }
  return { width: vp.width, height: vp.height, items, images, paths };
}

interface PdfImage {
  width: number;
  height: number;
  kind?: number;
  data?: Uint8Array | Uint8ClampedArray;
}

async function imageObject(page: PDFPageProxy, id: string): Promise<Omit<PlacedImage, 'box'> | null> {
  const objs = id.startsWith('g_') ? page.commonObjs : page.objs;
  const img = await new Promise<PdfImage | null>((resolve) => {
    try {
      objs.get(id, (v: unknown) => resolve(v as PdfImage));
    } catch {
      resolve(null);
    }
  });
  if (!img?.data) return null;
  const n = img.width * img.height;
  const data = new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  if (img.kind === pdfjs.ImageKind.GRAYSCALE_1BPP) {
    // 1 bit per pixel, rows padded to bytes: expand to 8-bit gray.
    const row = (img.width + 7) >> 3;
    const out = new Uint8Array(n);
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) out[y * img.width + x] = (data[y * row + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
    return { width: img.width, height: img.height, channels: 1, data: out };
  }
  const channels = data.length >= n * 4 ? 4 : 3;
  return { width: img.width, height: img.height, channels, data };
}
