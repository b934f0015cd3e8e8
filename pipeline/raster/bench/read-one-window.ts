/**
 * Child process of bench-raster: opens a raster, reads one 1024² window from its
 * middle with the given reader ('none' only imports), prints peak RSS as JSON.
 */
import { readFileSync } from 'node:fs';
import { openRaster } from '../raster.js';

const [file, reader] = process.argv.slice(2) as [string, 'sharp' | 'geotiff' | 'none'];
if (reader !== 'none') {
  const r = await openRaster(file, { reader });
  const x = Math.floor(r.info.width / 2) - 512;
  const y = Math.floor(r.info.height / 2) - 512;
  const w = await r.readWindow({ x, y, width: 1024, height: 1024 });
  if (w.data.length !== 1024 * 1024 * r.info.bands) throw new Error('short read');
  await r.close();
}
// VmHWM, not getrusage's maxRSS: Linux carries ru_maxrss across fork+exec, so a child
// of a big parent would report the parent's peak.
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
process.stdout.write(JSON.stringify({ maxRssMb: Number(hwm?.[1] ?? 0) / 1024, rssAfterMb: process.memoryUsage().rss / 1e6 }));
