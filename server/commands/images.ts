import { Command } from 'commander';
import { expandPaths } from '../../core/paths.js';
import { addImages, getImage, listImages, type ImageFilter, type ImageRecord } from '../../pipeline/catalog/catalog.js';
import { action, parseDateOption, parseNumberList, printJson } from '../cli-context.js';
import { formatLatLon } from '../format.js';
import { progressBar } from '../progress.js';

/** `geoscout images ...`: the scene catalog. */
export function imagesCommand(): Command {
  const cmd = new Command('images').description('catalog of GeoTIFF/COG scenes (the images table)');

  cmd
    .command('add')
    .description('add GeoTIFF/COG files, globs, or STAC Item/ItemCollection JSON files; re-adding is a no-op')
    .argument('<paths...>', 'files, globs ("scenes/**/*.tif") or STAC JSON files')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (ctx, paths: string[], opts: { json?: boolean }) => {
        const files = await expandPaths(paths);
        const bar = progressBar('images', 'files');
        const res = await addImages(await ctx.store(), files, {
          allowedRoots: ctx.config.allowedRoots,
          signal: ctx.signal,
          onProgress: (d, t) => bar.update(d, t),
        }).finally(() => bar.stop());
        if (opts.json) printJson(res);
        else {
          for (const r of res.added) process.stdout.write(`added   ${r.image_id}  ${describe(r)}\n`);
          for (const s of res.skipped) process.stdout.write(`skipped ${s.image_id}  ${s.uri} (${s.reason})\n`);
          for (const f of res.failed) process.stdout.write(`failed  ${f.uri}: [${f.error.code}] ${f.error.message}\n`);
        }
        if (res.failed.length > 0) process.exitCode = 1;
      }),
    );

  cmd
    .command('list')
    .description('list catalogued scenes, filtered by area, time and sensor')
    .option('--bbox <minLon,minLat,maxLon,maxLat>', 'WGS84 box the scene footprint must intersect')
    .option('--from <date>', 'acquired at or after (ISO date/time)')
    .option('--to <date>', 'acquired at or before (ISO date/time)')
    .option('--sensor <names...>', 'one or more sensor names')
    .option('--include-stale', 'also list rows whose file has changed since')
    .option('--limit <n>', 'at most n rows', (v) => parseNumberList(v, 1, '--limit')[0])
    .option('--json', 'print JSON records')
    .action(
      action(async (ctx, opts: { bbox?: string; from?: string; to?: string; sensor?: string[]; includeStale?: boolean; limit?: number; json?: boolean }) => {
        const filter: ImageFilter = {
          ...(opts.bbox ? { bbox: parseNumberList(opts.bbox, 4, '--bbox') as ImageFilter['bbox'] } : {}),
          ...(opts.from ? { from: parseDateOption(opts.from, '--from') } : {}),
          ...(opts.to ? { to: parseDateOption(opts.to, '--to') } : {}),
          ...(opts.sensor ? { sensors: opts.sensor } : {}),
          ...(opts.includeStale ? { includeStale: true } : {}),
          ...(opts.limit ? { limit: opts.limit } : {}),
        };
        const rows = await listImages(await ctx.store(), filter);
        if (opts.json) return printJson(rows);
        if (rows.length === 0) process.stdout.write('no images match\n');
        for (const r of rows) process.stdout.write(`${r.image_id}  ${describe(r)}\n`);
      }),
    );

  cmd
    .command('show')
    .description('show one catalogued scene as JSON (footprint, metadata and their sources)')
    .argument('<image-id>')
    .action(
      action(async (ctx, id: string) => {
        printJson(await getImage(await ctx.store(), id));
      }),
    );
  return cmd;
}

/** One human-readable line per image. */
export function describe(r: ImageRecord): string {
  const when = r.acquired_at ? r.acquired_at.slice(0, 16).replace('T', ' ') : 'time unknown';
  const where = r.center_lat !== null && r.center_lon !== null ? formatLatLon(r.center_lat, r.center_lon) : 'pixel-only';
  const gsd = r.gsd_m ? `${r.gsd_m.toFixed(2)} m` : '? m';
  return `${when}  ${r.sensor ?? 'sensor?'}  ${gsd}  ${r.width}×${r.height}×${r.bands} ${r.dtype}  ${where}  ${r.status}  ${r.uri}`;
}
