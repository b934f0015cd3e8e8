import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { addImages } from '../../pipeline/catalog/catalog.js';
import { openRaster } from '../../pipeline/raster/raster.js';
import { generateScene } from '../../pipeline/synth/generate-scene.js';
import { action, parseNumberList } from '../cli-context.js';
import { formatLatLon } from '../format.js';
import { progressBar } from '../progress.js';
import { writeRgb } from './raster.js';

/**
 * `geoscout demo`: the README's demo. It grows with each capability; today it builds a
 * synthetic scene, catalogs it, and prints its footprint and a thumbnail path.
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description('generate a synthetic scene, add it to the catalog, print its footprint and thumbnail path')
    .option('--seed <n>', 'scene seed', (v) => parseNumberList(v, 1, '--seed')[0], 42)
    .option('--size <px>', 'scene side in pixels', (v) => parseNumberList(v, 1, '--size')[0], 4096)
    .action(
      action(async (ctx, opts: { seed: number; size: number }) => {
        const out = path.join(ctx.config.dataDir, 'demo');
        await mkdir(out, { recursive: true });
        const name = `demo-${opts.seed}-${opts.size}`;
        let tif = path.join(out, `${name}.tif`);
        if (!existsSync(path.join(out, `${name}.coco.json`))) {
          process.stderr.write(`1/3 generating a ${opts.size}×${opts.size} synthetic scene (seed ${opts.seed}) in ${out}\n`);
          const bar = progressBar('scene', 'tiles');
          const scene = await generateScene(out, name, { seed: opts.seed, width: opts.size, height: opts.size }, {
            signal: ctx.signal,
            onProgress: (d, t) => bar.update(d, t),
          }).finally(() => bar.stop());
          tif = scene.tiffPath;
          process.stderr.write(`    ${scene.objects.length} objects, ground truth in ${name}.truth.geojson and ${name}.coco.json\n`);
        } else process.stderr.write(`1/3 reusing ${tif}\n`);

        process.stderr.write('2/3 adding it to the catalog\n');
        const res = await addImages(await ctx.store(), [tif], { allowedRoots: ctx.config.allowedRoots, signal: ctx.signal });
        if (res.failed.length) throw new Error(res.failed[0]!.error.message);
        const rec = res.added[0] ?? null;
        const id = rec?.image_id ?? res.skipped[0]!.image_id;

        process.stderr.write('3/3 writing a thumbnail from the overviews\n');
        const thumb = path.join(out, `${name}.thumb.png`);
        const r = await openRaster(tif);
        try {
          await writeRgb(await r.readRgb({ x: 0, y: 0, width: r.info.width, height: r.info.height }, { maxSize: 1024 }), thumb);
          const footprint = r.georef!.footprint({ x: 0, y: 0, width: r.info.width, height: r.info.height }, 1);
          const [lon, lat] = r.georef!.pixelToLonLat(r.info.width / 2, r.info.height / 2);
          process.stdout.write(
            [
              `image     ${id}${rec ? '' : ' (already catalogued)'}`,
              `file      ${tif}`,
              `centre    ${formatLatLon(lat, lon, 5)}   (${r.info.crs?.name}, ${r.georef!.gsdMeters(r.info.width / 2, r.info.height / 2).toFixed(3)} m GSD)`,
              `footprint ${JSON.stringify(footprint)}`,
              `thumbnail ${thumb}`,
              '',
            ].join('\n'),
          );
        } finally {
          await r.close();
        }
      }),
    );
}
