import { open, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { deflate as deflateCb } from 'node:zlib';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';

const deflate = promisify(deflateCb);

/**
 * A streaming writer for tiled, deflate-compressed GeoTIFF (BigTIFF when large) with
 * internal overviews. Written by hand because no npm library streams tiles to disk:
 * geotiff.js's writer builds the whole image in memory, and sharp/libvips cannot write
 * GeoTIFF keys. The file layout is [header][tile data of every level][IFDs], so tiles
 * go to disk as they are produced and only the offset tables stay in memory.
 */

/** Where the image sits on the Earth: north-up affine plus an EPSG code. */
export interface TiffGeoref {
  epsg: number;
  /** CRS coordinates of the top-left corner of the top-left pixel. */
  originX: number;
  originY: number;
  /** Pixel size in CRS units (positive; y grows downwards in the image). */
  pixelSizeX: number;
  pixelSizeY: number;
}

/** What to write. `bitsPerSample` is 8 or 16 (unsigned). */
export interface TiffSpec {
  width: number;
  height: number;
  bands: number;
  bitsPerSample: 8 | 16;
  tileSize?: number;
  /** Overview decimation factors, e.g. [2, 4, 8]; omitted: halve until < one tile. */
  overviews?: number[];
  georef?: TiffGeoref;
  nodata?: number;
  /** Items for the GDAL_METADATA tag (read back by GDAL and by geoscout). */
  metadata?: Record<string, string>;
  /** TIFF DateTime tag, e.g. the acquisition time. */
  dateTime?: Date;
  /** RGB photometric for 3-band data; otherwise min-is-black with extra samples. */
  photometric?: 'rgb' | 'minisblack';
  compressionLevel?: number;
  /** Force BigTIFF; default: when uncompressed size exceeds 2 GiB. */
  bigTiff?: boolean;
}

/** Produces the interleaved samples of one tile of one level. `scale` is the level's decimation. */
export type TileSource = (req: { level: number; scale: number; x: number; y: number; width: number; height: number }) =>
  | Uint8Array
  | Uint16Array
  | Promise<Uint8Array | Uint16Array>;

/** Options for long writes. */
export interface WriteOptions {
  signal?: AbortSignal;
  /** Called after each batch with tiles written so far and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Tiles compressed concurrently (zlib runs on the libuv pool). */
  concurrency?: number;
}

interface Level {
  scale: number;
  width: number;
  height: number;
  offsets: number[];
  counts: number[];
}

/** Computes the decimation factors GDAL would choose: halve until the level fits one tile. */
export function defaultOverviews(width: number, height: number, tileSize: number): number[] {
  const out: number[] = [];
  for (let f = 2; Math.max(width, height) / (f / 2) > tileSize; f *= 2) out.push(f);
  return out;
}

/** Writes `spec` to `file`, pulling tiles from `source` in a fixed order (deterministic bytes). */
export async function writeTiledTiff(file: string, spec: TiffSpec, source: TileSource, opts: WriteOptions = {}): Promise<void> {
  const tileSize = spec.tileSize ?? 512;
  if (tileSize % 16 !== 0) throw new GeoscoutError('INVALID_INPUT', `Tile size ${tileSize} must be a multiple of 16 (TIFF rule).`);
  const bytesPerSample = spec.bitsPerSample / 8;
  const big = spec.bigTiff ?? spec.width * spec.height * spec.bands * bytesPerSample > 2 ** 31;
  const factors = [1, ...(spec.overviews ?? defaultOverviews(spec.width, spec.height, tileSize))];
  const levels: Level[] = factors.map((scale) => ({
    scale,
    width: Math.ceil(spec.width / scale),
    height: Math.ceil(spec.height / scale),
    offsets: [],
    counts: [],
  }));
  const total = levels.reduce((n, l) => n + Math.ceil(l.width / tileSize) * Math.ceil(l.height / tileSize), 0);
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const fh = await open(file, 'w');
  try {
    let pos = big ? 16 : 8;
    let done = 0;
    for (const [li, level] of levels.entries()) {
      const reqs = tileRequests(li, level, tileSize);
      for (let i = 0; i < reqs.length; i += concurrency) {
        throwIfAborted(opts.signal);
        const batch = reqs.slice(i, i + concurrency);
        // Render sequentially (JS is single-threaded) but compress in parallel on the pool.
        const compressed = await Promise.all(
          batch.map(async (r) => {
            const samples = await source(r);
            return deflate(encodeTile(samples, r.width, r.height, tileSize, spec.bands, spec.bitsPerSample), {
              level: spec.compressionLevel ?? 6,
            });
          }),
        );
        for (const buf of compressed) {
          await fh.write(buf, 0, buf.length, pos);
          level.offsets.push(pos);
          level.counts.push(buf.length);
          pos += buf.length + (buf.length & 1);
        }
        done += batch.length;
        opts.onProgress?.(done, total);
      }
    }
    await writeDirectories(fh, pos, levels, spec, tileSize, big);
  } finally {
    await fh.close();
  }
}

function tileRequests(level: number, l: Level, tileSize: number) {
  const out = [];
  for (let y = 0; y < l.height; y += tileSize) {
    for (let x = 0; x < l.width; x += tileSize) {
      out.push({ level, scale: l.scale, x, y, width: Math.min(tileSize, l.width - x), height: Math.min(tileSize, l.height - y) });
    }
  }
  return out;
}

/** Pads a (possibly edge) tile to full size, applies the horizontal predictor and returns little-endian bytes. */
function encodeTile(samples: Uint8Array | Uint16Array, w: number, h: number, tileSize: number, bands: number, bits: 8 | 16): Uint8Array {
  const expected = w * h * bands;
  if (samples.length !== expected) {
    throw new GeoscoutError('INTERNAL', `Tile source returned ${samples.length} samples, expected ${expected} (${w}x${h}x${bands}).`);
  }
  const rowLen = tileSize * bands;
  const out = bits === 8 ? new Uint8Array(rowLen * tileSize) : new Uint16Array(rowLen * tileSize);
  for (let row = 0; row < h; row++) {
    out.set(samples.subarray(row * w * bands, (row + 1) * w * bands), row * rowLen);
  }
  // Predictor 2 (horizontal differencing): neighbouring pixels are similar, so deltas compress better.
  for (let row = 0; row < tileSize; row++) {
    const base = row * rowLen;
    for (let i = rowLen - 1; i >= bands; i--) out[base + i] = out[base + i]! - out[base + i - bands]!;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

// TIFF field types.
const ASCII = 2, SHORT = 3, LONG = 4, DOUBLE = 12, LONG8 = 16;
const TYPE_SIZE: Record<number, number> = { [ASCII]: 1, [SHORT]: 2, [LONG]: 4, [DOUBLE]: 8, [LONG8]: 8 };

interface Tag {
  tag: number;
  type: number;
  values: number[] | string;
}

function levelTags(level: Level, li: number, spec: TiffSpec, tileSize: number, big: boolean): Tag[] {
  const rgb = (spec.photometric ?? (spec.bands === 3 ? 'rgb' : 'minisblack')) === 'rgb';
  const extra = spec.bands - (rgb ? 3 : 1);
  const tags: Tag[] = [
    { tag: 254, type: LONG, values: [li === 0 ? 0 : 1] },
    { tag: 256, type: LONG, values: [level.width] },
    { tag: 257, type: LONG, values: [level.height] },
    { tag: 258, type: SHORT, values: Array(spec.bands).fill(spec.bitsPerSample) },
    { tag: 259, type: SHORT, values: [8] },
    { tag: 262, type: SHORT, values: [rgb ? 2 : 1] },
    { tag: 277, type: SHORT, values: [spec.bands] },
    { tag: 284, type: SHORT, values: [1] },
    { tag: 317, type: SHORT, values: [2] },
    { tag: 322, type: LONG, values: [tileSize] },
    { tag: 323, type: LONG, values: [tileSize] },
    { tag: 324, type: big ? LONG8 : LONG, values: level.offsets },
    { tag: 325, type: big ? LONG8 : LONG, values: level.counts },
    { tag: 339, type: SHORT, values: Array(spec.bands).fill(1) },
  ];
  if (extra > 0) tags.push({ tag: 338, type: SHORT, values: Array(extra).fill(0) });
  if (li === 0 && spec.dateTime) tags.push({ tag: 306, type: ASCII, values: tiffDateTime(spec.dateTime) });
  if (spec.georef) tags.push(...geoTags(spec.georef, level.scale));
  if (li === 0 && spec.metadata && Object.keys(spec.metadata).length) {
    tags.push({ tag: 42112, type: ASCII, values: gdalMetadataXml(spec.metadata) });
  }
  if (spec.nodata !== undefined) tags.push({ tag: 42113, type: ASCII, values: String(spec.nodata) });
  return tags.sort((a, b) => a.tag - b.tag);
}

function geoTags(g: TiffGeoref, scale: number): Tag[] {
  const geographic = g.epsg === 4326 || (g.epsg >= 4000 && g.epsg < 5000);
  // GeoKeyDirectory: header (version 1.1.0, key count) then (key, location, count, value).
  const keys = [
    [1024, 0, 1, geographic ? 2 : 1], // GTModelType: projected / geographic
    [1025, 0, 1, 1], // GTRasterType: PixelIsArea
    [geographic ? 2048 : 3072, 0, 1, g.epsg], // GeographicType / ProjectedCSType
  ];
  return [
    { tag: 33550, type: DOUBLE, values: [g.pixelSizeX * scale, g.pixelSizeY * scale, 0] },
    { tag: 33922, type: DOUBLE, values: [0, 0, 0, g.originX, g.originY, 0] },
    { tag: 34735, type: SHORT, values: [1, 1, 0, keys.length, ...keys.flat()] },
  ];
}

function tiffDateTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}:${p(d.getUTCMonth() + 1)}:${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function gdalMetadataXml(items: Record<string, string>): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const body = Object.entries(items)
    .map(([k, v]) => `  <Item name="${esc(k)}">${esc(v)}</Item>`)
    .join('\n');
  return `<GDALMetadata>\n${body}\n</GDALMetadata>`;
}

/** Serialises one IFD at `at`; returns its bytes and the position of its next-IFD pointer. */
function encodeIfd(tags: Tag[], at: number, big: boolean): { buf: Buffer; nextPtr: number } {
  const entrySize = big ? 20 : 12;
  const inline = big ? 8 : 4;
  const head = (big ? 8 : 2) + tags.length * entrySize + (big ? 8 : 4);
  const payloads = tags.map((t) => encodeValues(t));
  let extraLen = 0;
  for (const p of payloads) if (p.length > inline) extraLen += p.length + (p.length & 1);
  const buf = Buffer.alloc(head + extraLen);
  let o = 0;
  if (big) o = writeU64(buf, o, tags.length);
  else o = buf.writeUInt16LE(tags.length, o);
  let extra = head;
  tags.forEach((t, i) => {
    const p = payloads[i]!;
    const count = typeof t.values === 'string' ? p.length : t.values.length;
    o = buf.writeUInt16LE(t.tag, o);
    o = buf.writeUInt16LE(t.type, o);
    o = big ? writeU64(buf, o, count) : buf.writeUInt32LE(count, o);
    if (p.length <= inline) {
      p.copy(buf, o);
      o += inline;
    } else {
      o = big ? writeU64(buf, o, at + extra) : buf.writeUInt32LE(at + extra, o);
      p.copy(buf, extra);
      extra += p.length + (p.length & 1);
    }
  });
  return { buf, nextPtr: at + o };
}

function encodeValues(t: Tag): Buffer {
  if (typeof t.values === 'string') return Buffer.from(t.values + '\0', 'latin1');
  const size = TYPE_SIZE[t.type]!;
  const b = Buffer.alloc(size * t.values.length);
  t.values.forEach((v, i) => {
    if (t.type === SHORT) b.writeUInt16LE(v, i * 2);
    else if (t.type === LONG) b.writeUInt32LE(v, i * 4);
    else if (t.type === DOUBLE) b.writeDoubleLE(v, i * 8);
    else writeU64(b, i * 8, v);
  });
  return b;
}

function writeU64(buf: Buffer, o: number, v: number): number {
  return buf.writeBigUInt64LE(BigInt(v), o);
}

async function writeDirectories(fh: FileHandle, start: number, levels: Level[], spec: TiffSpec, tileSize: number, big: boolean) {
  if (!big && start > 0xffffffff - 1e6) {
    throw new GeoscoutError('LIMIT_EXCEEDED', 'Compressed data passed 4 GiB in a classic TIFF: write again with bigTiff: true.');
  }
  let at = start;
  let prevNextPtr = -1;
  for (const [li, level] of levels.entries()) {
    const { buf, nextPtr } = encodeIfd(levelTags(level, li, spec, tileSize, big), at, big);
    await fh.write(buf, 0, buf.length, at);
    const ptr = Buffer.alloc(big ? 8 : 4);
    if (big) writeU64(ptr, 0, at);
    else ptr.writeUInt32LE(at, 0);
    // Link the previous IFD (or the header for the first) to this one.
    await fh.write(ptr, 0, ptr.length, prevNextPtr < 0 ? (big ? 8 : 4) : prevNextPtr);
    prevNextPtr = nextPtr;
    at += buf.length + (buf.length & 1);
  }
  const header = Buffer.alloc(big ? 8 : 4);
  header.write(big ? 'II+\0' : 'II*\0', 0, 'latin1');
  if (big) header.writeUInt16LE(8, 4);
  await fh.write(header, 0, header.length, 0);
}
