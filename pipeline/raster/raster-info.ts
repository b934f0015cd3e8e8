import { open, stat, type FileHandle } from 'node:fs/promises';
import { fromFile, fromUrl, type GeoTIFF, type GeoTIFFImage } from 'geotiff';
import { GeoscoutError, isGeoscoutError } from '../../core/errors.js';
import { crsFromEpsg, type CrsInfo } from './crs.js';
import { regularFile } from '../../core/input-file.js';
import { Georef, type GeoTransform } from './georef.js';

/** Sample types geoscout reads. */
export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** One reduced-resolution level inside the file (index 0 is full resolution). */
export interface LevelInfo {
  index: number;
  width: number;
  height: number;
  /** Full-resolution pixels per level pixel. */
  scale: number;
}

/** Everything geoscout knows about a raster file before reading pixels. */
export interface RasterInfo {
  uri: string;
  fileSize: number | null;
  width: number;
  height: number;
  bands: number;
  dtype: DType;
  tileWidth: number;
  tileHeight: number;
  tiled: boolean;
  photometric: number;
  /** TIFF Compression tag of the full-resolution image (1 none, 5 LZW, 8 Deflate, 50000 ZSTD, 34887 LERC, …). */
  compression: number;
  /** Levels, full resolution first, then overviews largest to smallest. */
  levels: LevelInfo[];
  nodata: number | null;
  crs: CrsInfo | null;
  geotransform: GeoTransform | null;
  /** True when the file has no usable georeferencing: only pixel coordinates work. */
  pixelOnly: boolean;
  /** TIFF DateTime (306), GDAL_METADATA items and ImageDescription, raw. */
  tags: { dateTime?: string; imageDescription?: string; gdalMetadata: Record<string, string> };
}

const TIFF_MAGIC = ['49492a00', '4d4d002a', '49492b00', '4d4d002b'];

/** Opens a GeoTIFF with geotiff.js (local path or http(s) URL with range reads). */
export async function openGeoTiff(uri: string, signal?: AbortSignal): Promise<GeoTIFF> {
  if (/^https?:\/\//i.test(uri)) return fromUrl(uri, {}, signal);
  await checkLocalTiff(uri);
  try {
    return await fromFile(uri, signal);
  } catch (cause) {
    throw corrupt(uri, cause);
  }
}

/** Reads size, bands, sample type, CRS, geotransform, nodata, overviews and tags. */
export async function readRasterInfo(
  uri: string,
  signal?: AbortSignal,
  crsOverride?: CrsInfo,
): Promise<{ info: RasterInfo; tiff: GeoTIFF }> {
  const tiff = await openGeoTiff(uri, signal);
  try {
    const count = await tiff.getImageCount();
    const main = await tiff.getImage(0);
    const levels: LevelInfo[] = [{ index: 0, width: main.getWidth(), height: main.getHeight(), scale: 1 }];
    for (let i = 1; i < count; i++) {
      const im = await tiff.getImage(i);
      // Only reduced-resolution images (NewSubfileType bit 0) are overviews; masks and pages are not.
      const kind = Number(im.getFileDirectory().getValue('NewSubfileType') ?? 0);
      if ((kind & 1) === 1 && (kind & 4) === 0) {
        levels.push({ index: i, width: im.getWidth(), height: im.getHeight(), scale: main.getWidth() / im.getWidth() });
      }
    }
    const compression = Number(main.getFileDirectory().getValue('Compression') ?? 1);
    checkCompression(uri, compression);
    const fileSize = /^https?:/i.test(uri) ? null : (await stat(uri)).size;
    if (fileSize !== null) await checkNotTruncated(uri, main, fileSize);
    const { crs, geotransform } = readGeo(uri, main, crsOverride);
    const info: RasterInfo = {
      uri,
      fileSize,
      width: main.getWidth(),
      height: main.getHeight(),
      bands: main.getSamplesPerPixel(),
      dtype: dtypeOf(uri, main),
      tileWidth: main.getTileWidth(),
      tileHeight: main.getTileHeight(),
      tiled: main.getFileDirectory().hasTag('TileWidth'),
      photometric: Number(main.getFileDirectory().getValue('PhotometricInterpretation') ?? 1),
      compression,
      levels: levels.sort((a, b) => b.width - a.width),
      nodata: main.getGDALNoData(),
      crs,
      geotransform,
      pixelOnly: geotransform === null || crs === null,
      tags: await readTags(main),
    };
    return { info, tiff };
  } catch (err) {
    await tiff.close?.();
    if (isGeoscoutError(err)) throw err;
    throw corrupt(uri, err);
  }
}

/**
 * TIFF compressions geotiff.js cannot decode under Node (WebP needs a browser's
 * createImageBitmap; JPEG 2000 and JPEG XL have no decoder). Deflate, LZW, JPEG, PackBits,
 * ZSTD and LERC are read.
 */
const UNSUPPORTED_COMPRESSION: Record<number, string> = { 50001: 'WebP', 34712: 'JPEG 2000', 52546: 'JPEG XL' };

function checkCompression(uri: string, code: number): void {
  const name = UNSUPPORTED_COMPRESSION[code];
  if (name) {
    throw new GeoscoutError('UNSUPPORTED', `${uri} is compressed with ${name} (TIFF compression ${code}), which geoscout's TIFF reader cannot decode. Rewrite it: gdal_translate -of COG -co COMPRESS=DEFLATE (or ZSTD) in.tif out.tif.`, { details: { path: uri, compression: code } });
  }
}

/** A Georef for the info, or null for pixel-only images. */
export function georefOf(info: RasterInfo): Georef | null {
  return info.geotransform && info.crs ? new Georef(info.geotransform, info.crs) : null;
}

async function checkLocalTiff(path: string): Promise<void> {
  await regularFile(path, 'image');
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GeoscoutError('NOT_FOUND', `${path}: no such file. Check the path.`, { cause, details: { path } });
    if (code === 'EACCES' || code === 'EPERM') {
      throw new GeoscoutError('PERMISSION_DENIED', `${path}: not readable by this user (${code}). Fix its permissions.`, { cause, details: { path } });
    }
    if (code === 'EISDIR') throw new GeoscoutError('INVALID_INPUT', `${path} is a directory, not a GeoTIFF file.`, { cause, details: { path } });
    throw new GeoscoutError('PERMISSION_DENIED', `${path}: cannot open (${code ?? cause}).`, { cause, details: { path } });
  }
  try {
    if ((await fh.stat()).isDirectory()) {
      throw new GeoscoutError('INVALID_INPUT', `${path} is a directory, not a GeoTIFF file.`, { details: { path } });
    }
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead < 4 || !TIFF_MAGIC.includes(head.toString('hex'))) {
      throw new GeoscoutError(
        'CORRUPT_DATA',
        `${path} is not a TIFF file (it starts with ${JSON.stringify(head.subarray(0, bytesRead).toString('latin1'))}). geoscout reads GeoTIFF/COG; convert other formats with gdal_translate -of COG.`,
        { details: { path } },
      );
    }
    await checkIfdChain(fh, path, head.toString('hex'));
  } finally {
    await fh.close();
  }
}

/** More IFDs than any pyramid has (a 2^40-pixel image has about 40 levels, plus masks). */
const MAX_IFDS = 4096;

/**
 * Walks the chain of image file directories before geotiff.js does: a chain that loops
 * (an IFD pointing back to one already seen) would make it follow offsets forever, and an
 * offset past the end of the file means the file is damaged. Reads 2–8 bytes per IFD.
 */
async function checkIfdChain(fh: FileHandle, path: string, magic: string): Promise<void> {
  const little = magic.startsWith('4949');
  const big = magic.endsWith('2b00') || magic.endsWith('002b');
  const size = (await fh.stat()).size;
  const buf = Buffer.alloc(8);
  const read = async (pos: number, n: number) => {
    const { bytesRead } = await fh.read(buf, 0, n, pos);
    if (bytesRead < n) throw new GeoscoutError('CORRUPT_DATA', `${path}: an image directory at byte ${pos} lies past the end of the file (${size} bytes); the file is truncated or damaged.`, { details: { path } });
    if (n === 2) return little ? buf.readUInt16LE(0) : buf.readUInt16BE(0);
    if (n === 4) return little ? buf.readUInt32LE(0) : buf.readUInt32BE(0);
    return Number(little ? buf.readBigUInt64LE(0) : buf.readBigUInt64BE(0));
  };
  const seen = new Set<number>();
  let offset = await read(big ? 8 : 4, big ? 8 : 4);
  while (offset !== 0) {
    if (seen.has(offset) || seen.size >= MAX_IFDS) {
      throw new GeoscoutError('CORRUPT_DATA', `${path}: its chain of image directories ${seen.has(offset) ? `loops back to byte ${offset}` : `holds more than ${MAX_IFDS} images`}; the file is damaged. Rewrite it with gdal_translate -of COG.`, { details: { path } });
    }
    seen.add(offset);
    const entries = await read(offset, big ? 8 : 2);
    offset = await read(offset + (big ? 8 + entries * 20 : 2 + entries * 12), big ? 8 : 4);
  }
}

/** A truncated copy still has valid IFDs when they come first (COG), so compare data extents with the size. */
async function checkNotTruncated(path: string, im: GeoTIFFImage, size: number): Promise<void> {
  const dir = im.getFileDirectory();
  const tiled = dir.hasTag('TileOffsets');
  const offsets = (await dir.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number | bigint> | undefined;
  const counts = (await dir.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number | bigint> | undefined;
  if (!offsets || !counts) throw new GeoscoutError('CORRUPT_DATA', `${path}: TIFF has no strip/tile offsets; the file is damaged.`, { details: { path } });
  let end = 0;
  for (let i = 0; i < offsets.length; i++) end = Math.max(end, Number(offsets[i]) + Number(counts[i] ?? 0));
  if (end > size) {
    throw new GeoscoutError(
      'CORRUPT_DATA',
      `${path} is truncated: its pixel data needs ${end} bytes but the file has ${size}. Copy or download it again.`,
      { details: { path, expectedBytes: end, fileSize: size } },
    );
  }
}

function readGeo(uri: string, im: GeoTIFFImage, crsOverride?: CrsInfo): { crs: CrsInfo | null; geotransform: GeoTransform | null } {
  const dir = im.getFileDirectory();
  const keys = im.getGeoKeys() ?? {};
  const hasTransform = dir.hasTag('ModelTransformation') || (dir.hasTag('ModelTiepoint') && dir.hasTag('ModelPixelScale'));
  if (!hasTransform || (!crsOverride && Object.keys(keys).length === 0)) return { crs: null, geotransform: null };
  let gt: GeoTransform;
  const mt = dir.getValue('ModelTransformation') as number[] | undefined;
  if (mt && mt.length >= 16) {
    gt = [mt[3]!, mt[0]!, mt[1]!, mt[7]!, mt[4]!, mt[5]!];
  } else {
    const [ox, oy] = im.getOrigin() as [number, number];
    const [rx, ry] = im.getResolution() as [number, number];
    gt = [ox, rx, 0, oy, 0, ry];
  }
  // PixelIsPoint: the tie point names a pixel centre; shift to the corner as GDAL does.
  if (keys.GTRasterTypeGeoKey === 2) {
    gt = [gt[0] - 0.5 * gt[1] - 0.5 * gt[2], gt[1], gt[2], gt[3] - 0.5 * gt[4] - 0.5 * gt[5], gt[4], gt[5]];
  }
  if (crsOverride) return { crs: crsOverride, geotransform: gt };
  const code = Number(keys.ProjectedCSTypeGeoKey ?? (keys.GTModelTypeGeoKey === 2 ? keys.GeographicTypeGeoKey : undefined));
  if (!Number.isFinite(code) || code === 32767) {
    throw new GeoscoutError(
      'UNSUPPORTED',
      `${uri}: unknown CRS (user-defined GeoKeys, no EPSG code). Reproject it with gdalwarp -t_srs EPSG:<code>, or name the CRS in the metadata sidecar ("crs": "EPSG:..." or a proj4 string).`,
      { details: { path: uri, geoKeys: keys } },
    );
  }
  try {
    return { crs: crsFromEpsg(code), geotransform: gt };
  } catch (err) {
    if (isGeoscoutError(err)) err.details.path = uri;
    throw err;
  }
}

function dtypeOf(uri: string, im: GeoTIFFImage): DType {
  const bits = im.getBitsPerSample(0);
  const fmt = im.getSampleFormat(0) ?? 1;
  const name = fmt === 3 ? `float${bits}` : `${fmt === 2 ? 'int' : 'uint'}${bits}`;
  const known: DType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];
  if (!known.includes(name as DType)) {
    throw new GeoscoutError('UNSUPPORTED', `${uri}: sample type ${name} is not supported; convert with gdal_translate -ot UInt16.`, {
      details: { path: uri },
    });
  }
  return name as DType;
}

async function readTags(im: GeoTIFFImage): Promise<RasterInfo['tags']> {
  const dir = im.getFileDirectory();
  const dateTime = ((await dir.loadValue('DateTime')) as string | undefined)?.replace(/\0+$/, '');
  const imageDescription = (await dir.loadValue('ImageDescription')) as string | undefined;
  const gdal = ((await im.getGDALMetadata()) ?? {}) as Record<string, unknown>;
  const gdalMetadata = Object.fromEntries(Object.entries(gdal).map(([k, v]) => [k, String(v)]));
  return { ...(dateTime ? { dateTime } : {}), ...(imageDescription ? { imageDescription } : {}), gdalMetadata };
}

function corrupt(uri: string, cause: unknown): GeoscoutError {
  return new GeoscoutError(
    'CORRUPT_DATA',
    `${uri} cannot be decoded as a GeoTIFF (${(cause as Error)?.message ?? cause}). The file is damaged or truncated: copy it again or re-export it with gdal_translate.`,
    { cause, details: { path: uri } },
  );
}
