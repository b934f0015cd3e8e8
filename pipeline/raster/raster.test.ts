import { execFileSync } from 'node:child_process';
import { mkdir, writeFile, truncate, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGeoscoutError } from '../../core/errors.js';
import { hasCommand, makeTempDir } from '../../core/testing/temp-dir.js';
import { haversineM } from './georef.js';
import { openRaster } from './raster.js';
import { patternValue, writePatternTiff } from './testing.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SPACENET = path.join(here, 'fixtures', 'spacenet');
const gdal = await hasCommand('gdaltransform');
const UTM31 = { epsg: 32631, originX: 600000, originY: 5750000, pixelSizeX: 0.5, pixelSizeY: 0.5 };

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir();
});
afterAll(async () => tmp.cleanup());

/** Expects `fn` to reject with a GeoscoutError of `code` whose message mentions every `words`. */
async function expectError(fn: () => Promise<unknown>, code: string, ...words: string[]) {
  const err = await fn().then(
    () => null,
    (e: unknown) => e,
  );
  expect(isGeoscoutError(err), `expected GeoscoutError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
  for (const w of words) expect((err as Error).message).toContain(w);
}

describe('georeferencing matches GDAL on real SpaceNet scenes', () => {
  for (const name of ['sample_geotiff.tif', 'pan1.tif', 'ms1.tif']) {
    it.skipIf(!gdal)(`${name}: pixel → lon/lat within 0.5 px of gdaltransform, footprint = gdalinfo's`, async () => {
      const file = path.join(SPACENET, name);
      const r = await openRaster(file);
      try {
        const { width, height } = r.info;
        const pts: [number, number][] = [[0, 0], [width, height], [width / 2, height / 3], [12.25, height - 7.5], [width - 1, 3]];
        const out = execFileSync('gdaltransform', ['-t_srs', 'EPSG:4326', file], { input: pts.map((p) => p.join(' ')).join('\n') })
          .toString()
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/).map(Number) as [number, number]);
        const gsd = r.georef!.gsdMeters(width / 2, height / 2);
        pts.forEach((p, i) => {
          const ours = r.georef!.pixelToLonLat(p[0], p[1]);
          const errPx = haversineM(ours, [out[i]![0], out[i]![1]]) / gsd;
          expect(errPx).toBeLessThan(0.5);
        });
        const info = JSON.parse(execFileSync('gdalinfo', ['-json', file]).toString()) as { wgs84Extent: { coordinates: number[][][] } };
        const gdalRing = info.wgs84Extent.coordinates[0]!;
        const ours = r.georef!.footprint({ x: 0, y: 0, width, height }, 1).coordinates[0]!;
        // Both rings start at the top-left corner and run counter-clockwise.
        for (let i = 0; i < 4; i++) {
          expect(haversineM(ours[i]!, gdalRing[i] as [number, number]) / gsd).toBeLessThan(0.5);
        }
        expect(r.info.crs?.epsg).toBe(name === 'sample_geotiff.tif' ? 32616 : 32631);
      } finally {
        await r.close();
      }
    });
  }

  it('reads UInt16 panchromatic and Float64 4-band data and stretches them to RGB', async () => {
    const pan = await openRaster(path.join(SPACENET, 'pan1.tif'));
    const ms = await openRaster(path.join(SPACENET, 'ms1.tif'));
    try {
      expect(pan.info).toMatchObject({ dtype: 'uint16', bands: 1, width: 600 });
      expect(ms.info).toMatchObject({ dtype: 'float64', bands: 4, width: 300 });
      // libvips cannot decode this 4-band float file faithfully: auto falls back to geotiff.js.
      expect(ms.readerName).toBe('geotiff');
      const rgb = await ms.readRgb({ x: 0, y: 0, width: 300, height: 300 }, { maxSize: 100 });
      expect([rgb.width, rgb.height]).toEqual([100, 100]);
      const mean = rgb.data.reduce((a, b) => a + b, 0) / rgb.data.length;
      expect(mean).toBeGreaterThan(40); // a real stretch, not a black image
      expect(mean).toBeLessThan(215);
      const s = await pan.stretch();
      expect(s.lo[0]).toBeLessThan(s.hi[0]);
      expect(s.hi[0]).toBeLessThan(65535);
    } finally {
      await pan.close();
      await ms.close();
    }
  });
});

describe('window reads', () => {
  it('sharp and geotiff.js return the same samples for 8-bit RGB, 16-bit and 4-band files', async () => {
    const cases = [
      { bands: 3, bitsPerSample: 8 as const },
      { bands: 1, bitsPerSample: 16 as const },
      { bands: 4, bitsPerSample: 16 as const },
    ];
    for (const c of cases) {
      const file = path.join(tmp.dir, `pattern-${c.bands}-${c.bitsPerSample}.tif`);
      await writePatternTiff(file, { width: 1500, height: 1100, ...c, tileSize: 256, georef: UTM31 });
      const fast = await openRaster(file, { reader: 'auto' });
      const slow = await openRaster(file, { reader: 'geotiff' });
      expect(fast.readerName).toBe('sharp');
      const win = { x: 250, y: 900, width: 300, height: 200 }; // crosses tile borders
      const a = await fast.readWindow(win);
      const b = await slow.readWindow(win);
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      const at = (i: number, j: number, band: number) => a.data[(j * win.width + i) * c.bands + band];
      expect(at(17, 33, c.bands - 1)).toBe(patternValue(win.x + 17, win.y + 33, c.bands - 1));
      await fast.close();
      await slow.close();
    }
  });

  it('thumbnails come from overviews and keep the aspect ratio', async () => {
    const file = path.join(tmp.dir, 'thumb.tif');
    await writePatternTiff(file, { width: 3000, height: 1500, bands: 3, georef: UTM31 }, (x, y) => (x < 1500 ? 200 : 20) + (y < 750 ? 0 : 10));
    const r = await openRaster(file);
    expect(r.info.levels.map((l) => l.scale)).toEqual([1, 2, 4, 8]);
    const t = await r.readRgb({ x: 0, y: 0, width: 3000, height: 1500 }, { maxSize: 256 });
    expect([t.width, t.height]).toEqual([256, 128]);
    expect(t.data[(10 * 256 + 10) * 3]).toBeGreaterThan(190); // left half bright
    expect(t.data[(100 * 256 + 250) * 3]).toBeLessThan(40); // right half dark
    await r.close();
  });
});

describe('bad input gets a clear error naming the file', () => {
  it('truncated TIFF', async () => {
    const file = path.join(tmp.dir, 'truncated.tif');
    await writePatternTiff(file, { width: 1024, height: 1024, bands: 3, georef: UTM31 });
    await truncate(file, Math.floor((await stat(file)).size / 2));
    await expectError(() => openRaster(file), 'CORRUPT_DATA', file);
  });

  it('corrupt tile data inside an intact file', async () => {
    const file = path.join(tmp.dir, 'corrupt.tif');
    await writePatternTiff(file, { width: 512, height: 512, bands: 3, georef: UTM31, overviews: [] });
    const fh = await import('node:fs/promises').then((m) => m.open(file, 'r+'));
    await fh.write(Buffer.alloc(2000, 0xab), 0, 2000, 8); // scribble over the compressed tile
    await fh.close();
    for (const reader of ['sharp', 'geotiff'] as const) {
      const r = await openRaster(file, { reader });
      await expectError(() => r.readWindow({ x: 0, y: 0, width: 64, height: 64 }), 'CORRUPT_DATA', file);
      await r.close();
    }
  });

  it('a file that is not a TIFF', async () => {
    const file = path.join(tmp.dir, 'notes.tif');
    await writeFile(file, 'just some text, not an image');
    await expectError(() => openRaster(file), 'CORRUPT_DATA', file, 'not a TIFF');
  });

  it('a TIFF without georeferencing opens as pixel-only', async () => {
    const file = path.join(tmp.dir, 'plain.tif');
    await writePatternTiff(file, { width: 300, height: 200, bands: 3 });
    const r = await openRaster(file);
    expect(r.info.pixelOnly).toBe(true);
    expect(r.georef).toBeNull();
    expect((await r.readWindow({ x: 0, y: 0, width: 2, height: 2 })).data.length).toBe(12);
    await r.close();
  });

  it('an unknown CRS', async () => {
    const file = path.join(tmp.dir, 'unknown-crs.tif');
    await writePatternTiff(file, { width: 64, height: 64, bands: 1, georef: { ...UTM31, epsg: 32767 } });
    await expectError(() => openRaster(file), 'UNSUPPORTED', file, 'CRS');
    const file2 = path.join(tmp.dir, 'unknown-code.tif');
    await writePatternTiff(file2, { width: 64, height: 64, bands: 1, georef: { ...UTM31, epsg: 65000 } });
    await expectError(() => openRaster(file2), 'UNSUPPORTED', 'EPSG:65000');
  });

  it('windows outside the image, malformed or too large', async () => {
    const file = path.join(tmp.dir, 'small.tif');
    await writePatternTiff(file, { width: 100, height: 80, bands: 3, georef: UTM31 });
    const r = await openRaster(file, { maxWindowPixels: 50 * 50 });
    await expectError(() => r.readWindow({ x: 90, y: 0, width: 20, height: 10 }), 'OUT_OF_BOUNDS', file, '100×80');
    await expectError(() => r.readWindow({ x: -1, y: 0, width: 5, height: 5 }), 'OUT_OF_BOUNDS');
    await expectError(() => r.readWindow({ x: 0, y: 0, width: 0, height: 5 }), 'INVALID_INPUT');
    await expectError(() => r.readWindow({ x: 0, y: 0, width: 60, height: 60 }), 'LIMIT_EXCEEDED');
    await r.close();
  });

  it('missing paths and directories', async () => {
    await expectError(() => openRaster(path.join(tmp.dir, 'nope.tif')), 'NOT_FOUND', 'nope.tif');
    const dir = path.join(tmp.dir, 'a-dir.tif');
    await mkdir(dir);
    await expectError(() => openRaster(dir), 'INVALID_INPUT', 'directory');
  });
});

describe('a TIFF whose image directories loop', () => {
  it('is CORRUPT_DATA saying so, at once, instead of a hang', async () => {
    const tmp = await makeTempDir();
    try {
      const file = path.join(tmp.dir, 'loop.tif');
      await writePatternTiff(file, { width: 512, height: 512, bands: 3, tileSize: 128 });
      // Point the last directory's "next" offset back at the first one.
      const { readFile } = await import('node:fs/promises');
      const b = await readFile(file);
      const first = b.readUInt32LE(4);
      let at = first;
      for (;;) {
        const next = b.readUInt32LE(at + 2 + b.readUInt16LE(at) * 12);
        if (next === 0) break;
        at = next;
      }
      b.writeUInt32LE(first, at + 2 + b.readUInt16LE(at) * 12);
      await writeFile(file, b);
      const t0 = Date.now();
      const err = await openRaster(file).catch((e: unknown) => e);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(isGeoscoutError(err) && err.code).toBe('CORRUPT_DATA');
      expect((err as Error).message).toMatch(/chain of image directories loops back to byte \d+/);
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('TIFF compressions', () => {
  it('reads ZSTD and LERC; a WebP-compressed TIFF is UNSUPPORTED with the command that rewrites it, not "damaged"', async (t) => {
    if (!(await hasCommand('gdal_translate'))) return t.skip();
    const tmp = await makeTempDir();
    try {
      const src = path.join(tmp.dir, 'src.tif');
      await writePatternTiff(src, { width: 256, height: 256, bands: 3, tileSize: 128, georef: { epsg: 32633, originX: 500000, originY: 4500000, pixelSizeX: 0.5, pixelSizeY: 0.5 } });
      const reference = await (await openRaster(src)).readRgb({ x: 0, y: 0, width: 256, height: 256 });
      for (const c of ['ZSTD', 'LERC', 'WEBP']) {
        const out = path.join(tmp.dir, `${c}.tif`);
        execFileSync('gdal_translate', ['-q', '-co', `COMPRESS=${c}`, '-co', 'TILED=YES', ...(c === 'LERC' ? ['-co', 'MAX_Z_ERROR=0'] : []), ...(c === 'WEBP' ? ['-co', 'WEBP_LOSSLESS=TRUE'] : []), src, out]);
        if (c === 'WEBP') {
          const err = await openRaster(out).catch((e: unknown) => e);
          expect(isGeoscoutError(err) && err.code).toBe('UNSUPPORTED');
          expect((err as Error).message).toMatch(/compressed with WebP .*gdal_translate -of COG -co COMPRESS=DEFLATE/);
          continue;
        }
        const r = await openRaster(out);
        const rgb = await r.readRgb({ x: 0, y: 0, width: 256, height: 256 });
        await r.close();
        expect(Buffer.compare(Buffer.from(rgb.data), Buffer.from(reference.data)), c).toBe(0);
      }
    } finally {
      await tmp.cleanup();
    }
  });
});
