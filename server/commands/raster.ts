import path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { openRaster } from '../../pipeline/raster/raster.js';
import { action, parseNumberList, printJson } from '../cli-context.js';

/** `geoscout raster ...`: inspect files directly, without the catalog. */
export function rasterCommand(): Command {
  const cmd = new Command('raster').description('inspect GeoTIFF/COG files: metadata, footprints, windows, thumbnails');

  cmd
    .command('info')
    .description('print size, bands, type, CRS, geotransform, overviews, tags and the WGS84 footprint')
    .argument('<path>', 'GeoTIFF/COG path or http(s) URL')
    .action(
      action(async (ctx, file: string) => {
        const r = await openRaster(path.resolve(file), { reader: ctx.config.raster.reader });
        try {
          const { info } = r;
          const full = { x: 0, y: 0, width: info.width, height: info.height };
          printJson({
            ...info,
            crs: info.crs ? { epsg: info.crs.epsg, name: info.crs.name, proj4: info.crs.proj4 } : null,
            reader: r.readerName,
            footprint: r.georef?.footprint(full) ?? null,
            center: r.georef?.pixelToLonLat(info.width / 2, info.height / 2) ?? null,
            gsd_m: r.georef?.gsdMeters(info.width / 2, info.height / 2) ?? null,
          });
        } finally {
          await r.close();
        }
      }),
    );

  cmd
    .command('thumbnail')
    .description('write an 8-bit RGB PNG/JPEG of the whole image or a window, read from overviews')
    .argument('<path>', 'GeoTIFF/COG path')
    .requiredOption('-o, --out <file>', 'output .png or .jpg')
    .option('--size <px>', 'longest edge of the output', (v) => parseNumberList(v, 1, '--size')[0], 1024)
    .option('--window <x,y,width,height>', 'pixel window instead of the whole image')
    .action(
      action(async (ctx, file: string, opts: { out: string; size: number; window?: string }) => {
        const r = await openRaster(path.resolve(file), { reader: ctx.config.raster.reader, maxWindowPixels: ctx.config.raster.maxWindowPixels });
        try {
          const [x, y, width, height] = opts.window ? parseNumberList(opts.window, 4, '--window') : [0, 0, r.info.width, r.info.height];
          const rgb = await r.readRgb({ x: x!, y: y!, width: width!, height: height! }, { maxSize: opts.size, signal: ctx.signal });
          await writeRgb(rgb, opts.out);
          process.stdout.write(`${path.resolve(opts.out)}  ${rgb.width}×${rgb.height}\n`);
        } finally {
          await r.close();
        }
      }),
    );
  return cmd;
}

/** Writes RGB pixels as PNG, or JPEG when the name ends in .jpg/.jpeg. */
export async function writeRgb(rgb: { data: Uint8Array; width: number; height: number }, out: string): Promise<void> {
  const img = sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } });
  await (/\.jpe?g$/i.test(out) ? img.jpeg({ quality: 88 }) : img.png()).toFile(out);
}
