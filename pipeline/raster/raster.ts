import sharp from 'sharp';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import type { CrsInfo } from './crs.js';
import type { Georef, PixelWindow } from './georef.js';
import { geotiffReader, sharpReader, sharpSpaceFor, type PixelReader, type Samples } from './pixel-readers.js';
import { georefOf, readRasterInfo, type LevelInfo, type RasterInfo } from './raster-info.js';
import { computeStretch, defaultRgbBands, toRgb8, type Stretch } from './stretch.js';

/** How to open a raster. */
export interface OpenRasterOptions {
  /** `auto`: sharp where it decodes the file faithfully, geotiff.js otherwise (floats, remote URLs). */
  reader?: 'auto' | 'sharp' | 'geotiff';
  /** Largest window one read may return, in pixels of the level read. */
  maxWindowPixels?: number;
  signal?: AbortSignal;
  /** CRS to use instead of the file's GeoKeys (from a sidecar or STAC `proj:epsg`). */
  crsOverride?: CrsInfo;
}

/** Raw samples of a window. */
export interface WindowData {
  data: Samples;
  width: number;
  height: number;
  bands: number;
}

/** 8-bit RGB pixels, interleaved. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** An open raster: metadata plus windowed reads. Holds no pixels between calls. */
export interface Raster {
  readonly info: RasterInfo;
  /** Null for pixel-only (ungeoreferenced) images. */
  readonly georef: Georef | null;
  readonly readerName: 'sharp' | 'geotiff';
  /** Raw samples of a full-resolution window. */
  readWindow(win: PixelWindow, opts?: { signal?: AbortSignal }): Promise<WindowData>;
  /**
   * A window as 8-bit RGB, resampled to `outWidth`×`outHeight` (default: the window
   * size, or fit into `maxSize`). Reads from the smallest overview that still has at
   * least the output's resolution, so a thumbnail of a gigapixel scene stays cheap.
   */
  readRgb(win: PixelWindow, opts?: { outWidth?: number; outHeight?: number; maxSize?: number; stretch?: Stretch; signal?: AbortSignal }): Promise<RgbImage>;
  /** The per-image stretch (computed once from the smallest overview, then cached). */
  stretch(rgbBands?: [number, number, number], percentiles?: [number, number]): Promise<Stretch>;
  close(): Promise<void>;
}

const DEFAULT_MAX_WINDOW = 8192 * 8192;

/** Opens a local GeoTIFF/COG (or an http(s) URL through geotiff.js range reads). */
export async function openRaster(uri: string, opts: OpenRasterOptions = {}): Promise<Raster> {
  const { info, tiff } = await readRasterInfo(uri, opts.signal, opts.crsOverride);
  const choice = opts.reader ?? 'auto';
  let reader: PixelReader;
  if (choice === 'geotiff') {
    reader = geotiffReader(tiff);
  } else {
    const space = await sharpSpaceFor(info);
    if (space) reader = sharpReader(info, space);
    else if (choice === 'sharp') {
      throw new GeoscoutError('UNSUPPORTED', `${uri}: the sharp reader cannot decode this file (${info.dtype}, ${info.bands} bands); use reader "geotiff" or "auto".`);
    } else reader = geotiffReader(tiff);
  }
  if (reader.name === 'sharp') await (tiff as { close?: () => Promise<void> | void }).close?.();
  return new OpenRaster(info, reader, opts.maxWindowPixels ?? DEFAULT_MAX_WINDOW);
}

class OpenRaster implements Raster {
  readonly georef: Georef | null;
  private cachedStretch: Stretch | undefined;
  private closed = false;

  constructor(
    readonly info: RasterInfo,
    private readonly reader: PixelReader,
    private readonly maxWindowPixels: number,
  ) {
    this.georef = georefOf(info);
  }

  get readerName() {
    return this.reader.name;
  }

  async readWindow(win: PixelWindow, opts: { signal?: AbortSignal } = {}): Promise<WindowData> {
    this.checkOpen();
    checkWindow(this.info, win);
    return this.readLevel(this.info.levels[0]!, win, opts.signal);
  }

  async readRgb(win: PixelWindow, opts: { outWidth?: number; outHeight?: number; maxSize?: number; stretch?: Stretch; signal?: AbortSignal } = {}): Promise<RgbImage> {
    this.checkOpen();
    checkWindow(this.info, win);
    const fit = opts.maxSize ? Math.min(1, opts.maxSize / Math.max(win.width, win.height)) : 1;
    const outW = opts.outWidth ?? Math.max(1, Math.round(win.width * fit));
    const outH = opts.outHeight ?? Math.max(1, Math.round(win.height * fit));
    const level = pickLevel(this.info.levels, Math.min(win.width / outW, win.height / outH));
    const lw = levelWindow(win, level);
    const raw = await this.readLevel(level, lw, opts.signal);
    const stretch = opts.stretch ?? (await this.stretch());
    const rgb = toRgb8(raw.data, raw.width * raw.height, raw.bands, stretch, this.info.nodata);
    if (raw.width === outW && raw.height === outH) return { data: rgb, width: outW, height: outH };
    const resized = await sharp(rgb, { raw: { width: raw.width, height: raw.height, channels: 3 } })
      .resize(outW, outH, { fit: 'fill', kernel: outW < raw.width ? 'lanczos3' : 'cubic' })
      .raw()
      .toBuffer();
    return { data: new Uint8Array(resized.buffer, resized.byteOffset, resized.length), width: outW, height: outH };
  }

  async stretch(rgbBands?: [number, number, number], percentiles: [number, number] = [2, 98]): Promise<Stretch> {
    const bands = rgbBands ?? defaultRgbBands(this.info);
    if (this.cachedStretch && !rgbBands) return this.cachedStretch;
    const sample = await this.statsSample();
    const s = computeStretch(sample, this.info.bands, { dtype: this.info.dtype, nodata: this.info.nodata, rgbBands: bands, percentiles });
    if (!rgbBands) this.cachedStretch = s;
    return s;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
  }

  /** Samples for statistics: the smallest level if it is small, else a 4×4 grid of 256² windows. */
  private async statsSample(): Promise<Samples> {
    if (this.info.dtype === 'uint8') return new Uint8Array(0);
    const smallest = this.info.levels[this.info.levels.length - 1]!;
    if (smallest.width * smallest.height <= 4_000_000) {
      return (await this.readLevel(smallest, { x: 0, y: 0, width: smallest.width, height: smallest.height })).data;
    }
    const parts: Samples[] = [];
    const size = Math.min(256, this.info.width, this.info.height);
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 4; i++) {
        const x = Math.floor(((this.info.width - size) * (i + 0.5)) / 4);
        const y = Math.floor(((this.info.height - size) * (j + 0.5)) / 4);
        parts.push((await this.readLevel(this.info.levels[0]!, { x, y, width: size, height: size })).data);
      }
    }
    const all = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { all.set(p, o); o += p.length; }
    return all;
  }

  private async readLevel(level: LevelInfo, win: PixelWindow, signal?: AbortSignal): Promise<WindowData> {
    throwIfAborted(signal);
    if (win.width * win.height > this.maxWindowPixels) {
      throw new GeoscoutError(
        'LIMIT_EXCEEDED',
        `Window ${win.width}×${win.height} px exceeds the ${this.maxWindowPixels}-pixel limit for one read of ${this.info.uri}; read it in smaller windows or request a downscaled output.`,
        { details: { window: win, maxWindowPixels: this.maxWindowPixels } },
      );
    }
    try {
      const data = await this.reader.read(level, win, signal);
      return { data, width: win.width, height: win.height, bands: this.info.bands };
    } catch (cause) {
      if (cause instanceof GeoscoutError) throw cause;
      throw new GeoscoutError(
        'CORRUPT_DATA',
        `${this.info.uri}: reading window ${JSON.stringify(win)} failed (${(cause as Error).message}). The file is damaged or truncated: copy it again.`,
        { cause, details: { path: this.info.uri, window: win } },
      );
    }
  }

  private checkOpen() {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', `Raster ${this.info.uri} is closed.`);
  }
}

/** Throws OUT_OF_BOUNDS/INVALID_INPUT for windows that are not inside the image. */
export function checkWindow(info: Pick<RasterInfo, 'width' | 'height' | 'uri'>, win: PixelWindow): void {
  const ints = [win.x, win.y, win.width, win.height].every(Number.isInteger);
  if (!ints || win.width <= 0 || win.height <= 0) {
    throw new GeoscoutError('INVALID_INPUT', `Window ${JSON.stringify(win)} must have integer x, y and positive integer width, height.`, {
      details: { window: win },
    });
  }
  if (win.x < 0 || win.y < 0 || win.x + win.width > info.width || win.y + win.height > info.height) {
    throw new GeoscoutError(
      'OUT_OF_BOUNDS',
      `Window x=${win.x} y=${win.y} ${win.width}×${win.height} lies outside ${info.uri} (${info.width}×${info.height} px): keep 0 ≤ x, x+width ≤ ${info.width}, 0 ≤ y, y+height ≤ ${info.height}.`,
      { details: { window: win, width: info.width, height: info.height } },
    );
  }
}

/** The coarsest level whose scale does not exceed the wanted decimation. */
export function pickLevel(levels: LevelInfo[], decimation: number): LevelInfo {
  let best = levels[0]!;
  for (const l of levels) if (l.scale <= decimation * 1.0001 && l.scale > best.scale) best = l;
  return best;
}

function levelWindow(win: PixelWindow, level: LevelInfo): PixelWindow {
  if (level.scale === 1) return win;
  const x0 = Math.floor(win.x / level.scale);
  const y0 = Math.floor(win.y / level.scale);
  const x1 = Math.min(level.width, Math.ceil((win.x + win.width) / level.scale));
  const y1 = Math.min(level.height, Math.ceil((win.y + win.height) / level.scale));
  return { x: x0, y: y0, width: Math.max(1, x1 - x0), height: Math.max(1, y1 - y0) };
}
