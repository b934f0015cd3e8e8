import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { openRaster } from './raster.js';
import { writePatternTiff } from './testing.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let server: http.Server;
let base = '';
const ranges: string[] = [];

beforeAll(async () => {
  tmp = await makeTempDir();
  await writePatternTiff(path.join(tmp.dir, 'cog.tif'), {
    width: 2048, height: 2048, bands: 3, tileSize: 256,
    georef: { epsg: 32616, originX: 733601, originY: 3725139, pixelSizeX: 0.5, pixelSizeY: 0.5 },
  });
  // A minimal static server with HTTP Range support, as object stores and CDNs offer.
  server = http.createServer(async (req, res) => {
    const file = path.join(tmp.dir, path.basename(req.url ?? ''));
    const { size } = await stat(file);
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    if (!m) {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
      return createReadStream(file).pipe(res);
    }
    const start = Number(m[1]);
    const end = Math.min(size - 1, m[2] ? Number(m[2]) : size - 1);
    ranges.push(`${start}-${end}`);
    res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
    createReadStream(file, { start, end }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await tmp.cleanup();
});

it('reads a remote GeoTIFF over HTTP range requests with the same pixels and georeferencing as the local file', async () => {
  const local = await openRaster(path.join(tmp.dir, 'cog.tif'));
  const remote = await openRaster(`${base}/cog.tif`);
  expect(remote.readerName).toBe('geotiff');
  expect(remote.info).toMatchObject({ width: 2048, height: 2048, bands: 3, fileSize: null });
  expect(remote.georef!.pixelToLonLat(100, 100)).toEqual(local.georef!.pixelToLonLat(100, 100));
  const win = { x: 700, y: 1300, width: 300, height: 200 };
  const before = ranges.length;
  const a = await remote.readWindow(win);
  const b = await local.readWindow(win);
  expect(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength))).toBe(true);
  // Only the tiles under the window travel, not the file.
  expect(ranges.length - before).toBeGreaterThan(0);
  const fetched = ranges.slice(before).map((r) => r.split('-').map(Number)).reduce((n, [s, e]) => n + e! - s! + 1, 0);
  expect(fetched).toBeLessThan((await stat(path.join(tmp.dir, 'cog.tif'))).size / 4);
  await local.close();
  await remote.close();
});
