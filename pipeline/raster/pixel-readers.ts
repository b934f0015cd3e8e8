import sharp from 'sharp';
import type { GeoTIFF } from 'geotiff';
import { GeoscoutError } from '../../core/errors.js';
import type { PixelWindow } from './georef.js';
import type { DType, LevelInfo, RasterInfo } from './raster-info.js';

/** Interleaved samples of a window, in the file's own sample type. */
export type Samples = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** Reads raw windows from one level of a raster. Implementations hold no pixel cache. */
export interface PixelReader {
  readonly name: 'sharp' | 'geotiff';
  /** `win` is in the level's own pixel grid. */
  read(level: LevelInfo, win: PixelWindow, signal?: AbortSignal): Promise<Samples>;
  close(): Promise<void>;
}

// libvips caches decoded regions across calls; with gigapixel inputs that cache is
// what grows RSS, and windows are rarely re-read, so turn it off.
sharp.cache(false);

const SHARP_DEPTH: Partial<Record<DType, 'uchar' | 'ushort'>> = { uint8: 'uchar', uint16: 'ushort' };

/**
 * sharp/libvips pixel reader: opens the file per read (cheap: only the IFDs are parsed)
 * and decodes only the tiles under the window. Chosen as the default by
 * `npm run bench:raster` (several times faster than geotiff.js here). Keeps the
 * file's interpretation (`toColourspace(space)`) so samples come back unconverted.
 */
export function sharpReader(info: RasterInfo, space: string): PixelReader {
  const depth = SHARP_DEPTH[info.dtype];
  if (!depth) throw new GeoscoutError('UNSUPPORTED', `sharp reader does not handle ${info.dtype}`);
  return {
    name: 'sharp',
    async read(level, win) {
      const { data, info: out } = await sharp(info.uri, {
        page: level.index,
        limitInputPixels: false,
        sequentialRead: false,
        unlimited: true,
      })
        .extract({ left: win.x, top: win.y, width: win.width, height: win.height })
        .toColourspace(space)
        .raw({ depth })
        .toBuffer({ resolveWithObject: true });
      if (out.channels !== info.bands) {
        throw new GeoscoutError('INTERNAL', `sharp returned ${out.channels} channels for a ${info.bands}-band image ${info.uri}`);
      }
      return info.dtype === 'uint8'
        ? new Uint8Array(data.buffer, data.byteOffset, data.length)
        : new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
    },
    async close() {},
  };
}

/** Compressions the libvips inside sharp is built without (ZSTD, LERC): geotiff.js decodes them. */
const SHARP_CANNOT = new Set([50000, 34887]);

/** Checks whether sharp can decode the file with its bands intact; returns its colour space or null. */
export async function sharpSpaceFor(info: RasterInfo): Promise<string | null> {
  if (/^https?:/i.test(info.uri) || !SHARP_DEPTH[info.dtype] || info.photometric > 2 || SHARP_CANNOT.has(info.compression)) return null;
  try {
    const meta = await sharp(info.uri, { limitInputPixels: false }).metadata();
    if (meta.channels !== info.bands || !meta.space) return null;
    return meta.space;
  } catch {
    return null;
  }
}

/** geotiff.js pixel reader: any sample type, and HTTP range reads for remote COGs. */
export function geotiffReader(tiff: GeoTIFF): PixelReader {
  return {
    name: 'geotiff',
    async read(level, win, signal) {
      const image = await tiff.getImage(level.index);
      const data = await image.readRasters({
        window: [win.x, win.y, win.x + win.width, win.y + win.height],
        interleave: true,
        ...(signal ? { signal } : {}),
      });
      return data as unknown as Samples;
    },
    async close() {
      await (tiff as { close?: () => Promise<void> | void }).close?.();
    },
  };
}
