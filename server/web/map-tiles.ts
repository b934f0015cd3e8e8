import pLimit from 'p-limit';
import sharp from 'sharp';
import { ByteLru } from '../../core/byte-lru.js';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import type { Store } from '../../pipeline/index/store.js';
import { getImage } from '../../pipeline/catalog/catalog.js';
import { openCatalogImage } from '../../pipeline/catalog/open-image.js';
import type { Georef, PixelWindow } from '../../pipeline/raster/georef.js';
import { pickLevel, type Raster } from '../../pipeline/raster/raster.js';
import type { Stretch } from '../../pipeline/raster/stretch.js';
import { controlGrid, validTile } from './web-mercator.js';

/** Map tiles are 256² as in every XYZ basemap. */
export const TILE_SIZE = 256;
/** Control points every 16 output pixels (see controlGrid). */
const CELLS = 16;
/** Largest level window one tile may read: beyond it the scene lacks overviews for this zoom. */
const MAX_READ_PIXELS = 4096 * 4096;

/** One rendered map tile: PNG bytes, and whether the scene covers any of it. */
export interface MapTile {
  png: Buffer;
  empty: boolean;
  /** Why an in-scene tile was left blank (no overview coarse enough for this zoom). */
  note?: string;
}

/** Options of {@link MapTileRenderer}. */
export interface MapTileOptions {
  /** Bytes of PNGs kept (default 64 MB). */
  cacheBytes?: number;
  /** Scenes kept open between requests (default 8). */
  maxOpen?: number;
  /** Tiles rendered at once (default 2: one per core here; more only queue on the decoder). */
  concurrency?: number;
}

interface OpenScene {
  raster: Raster;
  georef: Georef;
  stretch: Stretch;
  /** Renders using it now: an evicted scene closes when the last one ends. */
  users: number;
  evicted: boolean;
}

let blankPng: Promise<Buffer> | null = null;
/** A fully transparent tile, rendered once. */
function blank(): Promise<Buffer> {
  blankPng ??= sharp({ create: { width: TILE_SIZE, height: TILE_SIZE, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
  return blankPng;
}

/**
 * Renders a catalogued scene as Web Mercator XYZ tiles for the web map: reprojects from the
 * scene's CRS through a control grid, reads from the smallest overview that still has the
 * tile's resolution (so a zoomed-out view of a gigapixel scene stays cheap), applies the
 * catalog's stretch so tiles match get_tile_image, and caches PNGs by bytes. Outside the
 * scene the tile is transparent, so scenes overlay each other.
 */
export class MapTileRenderer {
  private readonly pngs: ByteLru<Buffer>;
  private readonly open = new Map<string, Promise<OpenScene>>();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly maxOpen: number;
  private closed = false;

  constructor(private readonly store: () => Promise<Store>, opts: MapTileOptions = {}) {
    this.pngs = new ByteLru<Buffer>(opts.cacheBytes ?? 64 * 1024 * 1024);
    this.maxOpen = opts.maxOpen ?? 8;
    this.limit = pLimit(opts.concurrency ?? 2);
  }

  /** The tile z/x/y of a scene; INVALID_INPUT for a tile that does not exist, NOT_FOUND for an unknown scene. */
  async render(imageId: string, z: number, x: number, y: number, signal?: AbortSignal): Promise<MapTile> {
    if (!validTile(z, x, y)) throw new GeoscoutError('INVALID_INPUT', `No map tile ${z}/${x}/${y}: zoom 0–24 and 0 ≤ x, y < 2^zoom.`);
    const key = `${imageId}/${z}/${x}/${y}`;
    const hit = this.pngs.get(key);
    if (hit) return { png: hit, empty: false };
    return this.limit(async () => {
      throwIfAborted(signal);
      const scene = await this.scene(imageId);
      scene.users++;
      try {
        const tile = await this.draw(scene, z, x, y, signal);
        if (!tile.empty) this.pngs.set(key, tile.png);
        return tile;
      } finally {
        if (--scene.users === 0 && scene.evicted) await scene.raster.close();
      }
    });
  }

  /** Closes every open scene; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.raster.close()));
  }

  private scene(imageId: string): Promise<OpenScene> {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', 'The map tile renderer is closed.');
    let p = this.open.get(imageId);
    if (p) {
      this.open.delete(imageId);
      this.open.set(imageId, p);
      return p;
    }
    p = this.openScene(imageId);
    p.catch(() => this.open.delete(imageId));
    this.open.set(imageId, p);
    for (const [k, v] of this.open) {
      if (this.open.size <= this.maxOpen) break;
      this.open.delete(k);
      void v.then((s) => { s.evicted = true; return s.users === 0 ? s.raster.close() : undefined; }, () => undefined);
    }
    return p;
  }

  private async openScene(imageId: string): Promise<OpenScene> {
    const rec = await getImage(await this.store(), imageId);
    const raster = await openCatalogImage(rec);
    if (!raster.georef) {
      await raster.close();
      throw new GeoscoutError('UNSUPPORTED', `${imageId} has no georeferencing (pixel-only), so it has no place on the map: add a .aux.xml/.wld sidecar or STAC proj:epsg and run \`geoscout images add\` again.`);
    }
    return { raster, georef: raster.georef, stretch: rec.stretch as Stretch, users: 0, evicted: false };
  }

  private async draw(s: OpenScene, z: number, x: number, y: number, signal?: AbortSignal): Promise<MapTile> {
    const { width: W, height: H, levels } = s.raster.info;
    const grid = controlGrid(z, x, y, CELLS, (lon, lat) => s.georef.lonLatToPixel(lon, lat));
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let k = 0; k < grid.length; k += 2) {
      x0 = Math.min(x0, grid[k]!); x1 = Math.max(x1, grid[k]!);
      y0 = Math.min(y0, grid[k + 1]!); y1 = Math.max(y1, grid[k + 1]!);
    }
    const win = { x: Math.max(0, Math.floor(x0) - 1), y: Math.max(0, Math.floor(y0) - 1), width: 0, height: 0 };
    win.width = Math.min(W, Math.ceil(x1) + 1) - win.x;
    win.height = Math.min(H, Math.ceil(y1) + 1) - win.y;
    if (win.width <= 0 || win.height <= 0) return { png: await blank(), empty: true };
    // Image pixels per tile pixel along the tile's top edge: the read resolution.
    const perPx = Math.max(1e-9, Math.hypot(grid[CELLS * 2]! - grid[0]!, grid[CELLS * 2 + 1]! - grid[1]!) / TILE_SIZE);
    const dec = Math.max(1, perPx);
    const outW = Math.max(1, Math.min(win.width, Math.ceil(win.width / dec)));
    const outH = Math.max(1, Math.min(win.height, Math.ceil(win.height / dec)));
    const level = pickLevel(levels, Math.min(win.width / outW, win.height / outH));
    if ((win.width / level.scale) * (win.height / level.scale) > MAX_READ_PIXELS) {
      return { png: await blank(), empty: true, note: `no overview coarse enough for zoom ${z}: zoom in, or add overviews (gdaladdo, or a COG)` };
    }
    const rgb = await s.raster.readRgb(win, { outWidth: outW, outHeight: outH, stretch: s.stretch, ...(signal ? { signal } : {}) });
    const rgba = resample(rgb.data, outW, outH, win, grid, W, H);
    return { png: await sharp(rgba, { raw: { width: TILE_SIZE, height: TILE_SIZE, channels: 4 } }).png({ compressionLevel: 6 }).toBuffer(), empty: false };
  }
}

/**
 * Nearest-neighbour resampling of the read window into the 256² tile: each output pixel's
 * image position is interpolated bilinearly from the control grid; positions outside the
 * scene stay transparent.
 */
function resample(src: Uint8Array, sw: number, sh: number, win: PixelWindow, grid: Float64Array, W: number, H: number): Buffer {
  const out = Buffer.alloc(TILE_SIZE * TILE_SIZE * 4);
  const step = TILE_SIZE / CELLS;
  const sx = sw / win.width;
  const sy = sh / win.height;
  const row = CELLS + 1;
  for (let j = 0; j < TILE_SIZE; j++) {
    const gj = Math.min(CELLS - 1, Math.floor((j + 0.5) / step));
    const fj = (j + 0.5) / step - gj;
    for (let i = 0; i < TILE_SIZE; i++) {
      const gi = Math.min(CELLS - 1, Math.floor((i + 0.5) / step));
      const fi = (i + 0.5) / step - gi;
      const a = (gj * row + gi) * 2, b = a + 2, c = a + row * 2, d = c + 2;
      const px = (1 - fj) * ((1 - fi) * grid[a]! + fi * grid[b]!) + fj * ((1 - fi) * grid[c]! + fi * grid[d]!);
      const py = (1 - fj) * ((1 - fi) * grid[a + 1]! + fi * grid[b + 1]!) + fj * ((1 - fi) * grid[c + 1]! + fi * grid[d + 1]!);
      if (px < 0 || py < 0 || px >= W || py >= H) continue;
      const bx = Math.min(sw - 1, Math.max(0, Math.floor((px - win.x) * sx)));
      const by = Math.min(sh - 1, Math.max(0, Math.floor((py - win.y) * sy)));
      const s = (by * sw + bx) * 3;
      const o = (j * TILE_SIZE + i) * 4;
      out[o] = src[s]!;
      out[o + 1] = src[s + 1]!;
      out[o + 2] = src[s + 2]!;
      out[o + 3] = 255;
    }
  }
  return out;
}
