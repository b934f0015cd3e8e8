/**
 * Real labelled overhead imagery for the real-imagery benchmark (`npm run bench:real`):
 * KIT AIS cars (YOLO boxes) and NEON tree crowns (Pascal VOC boxes), read from a
 * `data/real/` folder laid out as `../shared/data/real/` is (see its README), resampled
 * to a chosen scene GSD and written as georeferenced GeoTIFFs, as a user's imagery would
 * reach the pipeline. Attributions (keep them with any figure made from this data):
 * - "KIT AIS Data Set", Institute of Photogrammetry and Remote Sensing, Karlsruhe Institute
 *   of Technology (CC BY 3.0); labels by Yauhen Kharuzhy (jekhor/aerial-cars-dataset).
 * - NEON AOP imagery: "National Ecological Observatory Network (NEON)" (CC0 / CC BY 4.0);
 *   tree-crown annotations: DeepForest (weecology), MIT.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { writeTiledTiff } from '../../pipeline/raster/tiff-writer.js';

/** A box in scene pixels, [x, y, width, height]. */
export type Box = [number, number, number, number];

/** One labelled real image, before resampling. */
export interface RealImage {
  /** Source file (PNG). */
  file: string;
  /** A short stable name (file stem). */
  name: string;
  /** Native ground sample distance, metres. */
  gsdM: number;
  /** Boxes of the benchmark class, native pixels. */
  boxes: Box[];
  /** Boxes of related classes that are neither hits nor false alarms (trucks and buses for "car"). */
  ignore: Box[];
  /** Flight and frame number where consecutive frames overlap (KIT: "MunichStreet02-MOS74" → MunichStreet02-, 74). */
  frame?: { flight: string; n: number };
}

/** A class of the benchmark and its images. */
export interface RealClass {
  /** The text query and label, e.g. "car". */
  name: string;
  attribution: string;
  images: RealImage[];
}

/** KIT AIS: ~0.13 m/px (README of the data set). */
const KIT_GSD_M = 0.13;
/** NEON AOP RGB: 0.1 m/px. */
const NEON_GSD_M = 0.1;

/** Cars of KIT AIS; trucks, buses, minibuses and cyclists are ignored (neither hit nor false alarm). */
export async function loadKitCars(root: string): Promise<RealClass> {
  const dir = path.join(root, 'kit-ais-cars');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort(naturalOrder);
  const images: RealImage[] = [];
  for (const f of files) {
    const meta = await sharp(path.join(dir, f)).metadata();
    const W = meta.width!, H = meta.height!;
    const txt = await readFile(path.join(dir, f.replace(/\.png$/, '.txt')), 'utf8').catch(() => '');
    const boxes: Box[] = [], ignore: Box[] = [];
    for (const line of txt.split('\n')) {
      const v = line.trim().split(/\s+/).map(Number);
      if (v.length < 5 || v.some((x) => !Number.isFinite(x))) continue;
      const [cls, cx, cy, w, h] = v as [number, number, number, number, number];
      const b: Box = [(cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H];
      (cls === 0 ? boxes : ignore).push(b);
    }
    const m = /^(.*)MOS(\d+)\.png$/.exec(f);
    images.push({ file: path.join(dir, f), name: f.replace(/\.png$/, ''), gsdM: KIT_GSD_M, boxes, ignore, ...(m ? { frame: { flight: m[1]!, n: Number(m[2]) } } : {}) });
  }
  return { name: 'car', attribution: 'KIT AIS Data Set (IPF, KIT), CC BY 3.0; labels jekhor/aerial-cars-dataset', images };
}

/** Tree crowns of the NEON images with a VOC file (every label: Tree, Alive, Dead). */
export async function loadNeonTrees(root: string): Promise<RealClass> {
  const dir = path.join(root, 'neon-trees');
  const xmls = (await readdir(dir)).filter((f) => f.endsWith('.xml')).sort(naturalOrder);
  const images: RealImage[] = [];
  for (const x of xmls) {
    const png = path.join(dir, x.replace(/\.xml$/, '.png'));
    const xml = await readFile(path.join(dir, x), 'utf8');
    const boxes: Box[] = [];
    for (const m of xml.matchAll(/<bndbox>\s*<xmin>([\d.]+)<\/xmin>\s*<ymin>([\d.]+)<\/ymin>\s*<xmax>([\d.]+)<\/xmax>\s*<ymax>([\d.]+)<\/ymax>/g)) {
      const [x0, y0, x1, y1] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
      if (x1 > x0 && y1 > y0) boxes.push([x0, y0, x1 - x0, y1 - y0]);
    }
    images.push({ file: png, name: x.replace(/\.xml$/, ''), gsdM: NEON_GSD_M, boxes, ignore: [] });
  }
  return { name: 'tree', attribution: 'NEON AOP imagery (NEON), CC0/CC BY 4.0; annotations DeepForest (weecology), MIT', images };
}

/** A real image resampled to the benchmark GSD and written as a GeoTIFF. */
export interface RealScene {
  name: string;
  tiffPath: string;
  width: number;
  height: number;
  gsdM: number;
  boxes: Box[];
  ignore: Box[];
}

/**
 * Resamples an image to `gsdM` (area-averaging when shrinking, as an overview would) and
 * writes it as a tiled GeoTIFF in UTM 32N with a sidecar (time, sensor). Each scene gets
 * its own easting so footprints never overlap. Boxes are scaled with the pixels.
 */
export async function writeRealScene(img: RealImage, outDir: string, gsdM: number, index: number): Promise<RealScene> {
  const { rgb, width, height, boxes, ignore } = await resampleRealImage(img, gsdM);
  const tiffPath = path.join(outDir, `${img.name}.tif`);
  await writeRgbGeoTiff(tiffPath, new Uint8Array(rgb.buffer, rgb.byteOffset, rgb.byteLength), width, height, gsdM, index);
  return { name: img.name, tiffPath, width, height, gsdM, boxes, ignore };
}

/** An image's RGB (interleaved, 8-bit) and boxes resampled to `gsdM`: area-averaging when shrinking, as an overview would. */
export async function resampleRealImage(img: RealImage, gsdM: number): Promise<{ rgb: Buffer; width: number; height: number; boxes: Box[]; ignore: Box[] }> {
  const f = img.gsdM / gsdM;
  const src = sharp(img.file).removeAlpha();
  const meta = await src.metadata();
  const width = Math.max(1, Math.round(meta.width! * f)), height = Math.max(1, Math.round(meta.height! * f));
  const rgb = await src.resize(width, height, { kernel: f < 1 ? 'mitchell' : 'lanczos3', fit: 'fill' }).raw().toBuffer();
  const scale = (b: Box): Box => [b[0] * f, b[1] * f, b[2] * f, b[3] * f];
  return { rgb, width, height, boxes: img.boxes.map(scale), ignore: img.ignore.map(scale) };
}

/**
 * A `size`² scene tiled from the images (resampled to `gsdM`, repeated until full), for
 * timing work on a large real scene; no labels.
 */
export async function writeRealMosaic(images: RealImage[], outDir: string, gsdM: number, size: number, index: number): Promise<string> {
  const parts: OverlayOptions[] = [];
  let x = 0, y = 0, rowH = 0;
  for (let k = 0; y < size && images.length; k++) {
    const img = images[k % images.length]!;
    const f = img.gsdM / gsdM;
    const meta = await sharp(img.file).metadata();
    const w = Math.round(meta.width! * f), h = Math.round(meta.height! * f);
    if (x + w > size) { x = 0; y += rowH; rowH = 0; }
    if (y >= size) break;
    const input = await sharp(img.file).removeAlpha().resize(w, h, { kernel: 'mitchell', fit: 'fill' }).extract({ left: 0, top: 0, width: Math.min(w, size - x), height: Math.min(h, size - y) }).png().toBuffer();
    parts.push({ input, left: x, top: y });
    x += w;
    rowH = Math.max(rowH, h);
  }
  // Composited PNGs bring an alpha channel: drop it, the TIFF is RGB.
  const data = await sharp({ create: { width: size, height: size, channels: 3, background: { r: 90, g: 90, b: 90 } } }).composite(parts).removeAlpha().raw().toBuffer();
  const file = path.join(outDir, `mosaic-${size}.tif`);
  await writeRgbGeoTiff(file, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), size, size, gsdM, index);
  return file;
}

/** Writes interleaved RGB as a tiled GeoTIFF in UTM 32N (own easting per `index`) with a sidecar. */
async function writeRgbGeoTiff(tiffPath: string, data: Uint8Array, width: number, height: number, gsdM: number, index: number): Promise<void> {
  await writeTiledTiff(tiffPath, {
    width, height, bands: 3, bitsPerSample: 8, tileSize: 256, photometric: 'rgb',
    georef: { epsg: 32632, originX: 400000 + index * 5000, originY: 5330000, pixelSizeX: gsdM, pixelSizeY: gsdM },
  }, (req) => {
    // Overview levels are decimated by sampling; the benchmark reads level 0.
    const out = new Uint8Array(req.width * req.height * 3);
    for (let y = 0; y < req.height; y++) {
      for (let x = 0; x < req.width; x++) {
        const sx = Math.min(width - 1, (req.x + x) * req.scale), sy = Math.min(height - 1, (req.y + y) * req.scale);
        out.set(data.subarray((sy * width + sx) * 3, (sy * width + sx) * 3 + 3), (y * req.width + x) * 3);
      }
    }
    return out;
  });
  await writeFile(tiffPath.replace(/\.tif$/, '.meta.json'), JSON.stringify({ acquired_at: '2020-06-01T10:00:00Z', sensor: 'aerial-resampled', gsd_m: gsdM }));
}

/**
 * Images the few-shot examples come from by default: two acquisitions per class, as an
 * analyst boxing examples across an archive would. Until session 12 they were MOS74 + MOS75
 * (adjacent, overlapping frames of one flight) and YELL crop2 alone; 20-shot cars scored
 * 0.8–0.9 on frames of that flight and 0.3–0.5 on the others.
 */
export const DEFAULT_EXAMPLE_NAMES = ['MOS74', 'MOS160', '2019_YELL_2_528000_4978000_image_crop2', 'OSBS_029'];
/** Evaluation images per class by default. */
export const DEFAULT_MAX_EVAL = 12;

/**
 * The benchmark's split of a class: the example images, the evaluation images (up to
 * `maxEval`, spread over the rest, never a frame overlapping an example), and the images
 * left for training (neither, and overlapping no evaluation frame), which the shipped
 * objectness model's real patches come from (evals/real/make-real-objectness-data.ts).
 */
export function realSplit(cls: RealClass, exampleNames: string[] = DEFAULT_EXAMPLE_NAMES, maxEval = DEFAULT_MAX_EVAL): { examples: RealImage[]; evaluation: RealImage[]; training: RealImage[] } {
  const examples = cls.images.filter((i) => exampleNames.includes(i.name));
  if (!examples.length) examples.push(cls.images[0]!);
  // Frames overlapping an example frame would show the examples' own cars: not evaluated.
  const evaluation = spread(cls.images.filter((i) => !examples.some((e) => e === i || overlapping(e, i))), maxEval);
  const training = cls.images.filter((i) => !evaluation.some((e) => e === i || overlapping(e, i)));
  return { examples, evaluation, training };
}

/** Up to n items spread evenly over the list (consecutive KIT frames overlap; spreading keeps the set varied). */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

/** Whether two images are consecutive (overlapping) frames of one flight. */
export function overlapping(a: RealImage, b: RealImage): boolean {
  return !!a.frame && !!b.frame && a.frame.flight === b.frame.flight && Math.abs(a.frame.n - b.frame.n) <= 1;
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
