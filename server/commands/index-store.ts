import { Command } from 'commander';
import { compactTiles } from '../../pipeline/index/compact-tiles.js';
import { storeSizes, type TableSize } from '../../pipeline/index/index-stats.js';
import { action, printJson } from '../cli-context.js';

/** `geoscout index stats | compact`: what the store weighs, and shrinking tiles tables made by older versions. */
export function indexCommand(): Command {
  const cmd = new Command('index').description('sizes of the vector store; compacting tiles tables of older versions');
  cmd
    .command('stats')
    .description('rows, bytes on disk, index bytes, bytes per tile by column, and the ratio to the source imagery')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { json?: boolean }) => {
        const sizes = await storeSizes(await ctx.store(), { signal: ctx.signal });
        if (o.json) return printJson(sizes);
        for (const t of sizes) process.stdout.write(describe(t));
      }),
    );
  cmd
    .command('compact')
    .description('drop the stored patch grids of tiles tables made before session 12 (search recomputes them) and reclaim the space; run it while nothing else uses the store')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, o: { json?: boolean }) => {
        const res = await compactTiles(await ctx.store(), { signal: ctx.signal });
        if (o.json) return printJson(res);
        if (!res.length) process.stdout.write('No tiles tables in this store.\n');
        for (const r of res) process.stdout.write(`${r.table}: ${r.droppedPatchGrids ? 'patch grids dropped' : 'no patch grids stored'}, ${r.droppedGeometry ? 'footprint and centre columns dropped (derived from the catalog)' : 'no footprint columns stored'}; ${mb(r.bytesBefore)} → ${mb(r.bytesAfter)}\n`);
      }),
    );
  return cmd;
}

function describe(t: TableSize): string {
  const lines = [`${t.table}: ${t.rows} rows, ${mb(t.dataBytes)} data, ${mb(t.indexBytes)} indexes, ${mb(t.diskBytes)} on disk with old versions`];
  if (t.rows) {
    const perRow = (t.dataBytes + (t.indexBytes ?? 0)) / t.rows;
    lines.push(`  ${perRow.toFixed(0)} B per row with indexes; by column (estimated): ${t.columns.map((c) => `${c.name} ${c.bytesPerRow.toFixed(0)}`).join(', ')}`);
  }
  if (t.tiles) {
    const { layout, images, imageryBytes } = t.tiles;
    const ratio = imageryBytes ? ((t.dataBytes + (t.indexBytes ?? 0)) / imageryBytes) * 100 : NaN;
    lines.push(`  layout: ${layout.vector} vectors, ${layout.patchGrid ? 'patch grids stored' : 'patch grids recomputed on search'}, ${layout.geometry ? 'footprints stored' : 'footprints derived from the catalog'}, ${layout.bbox} bbox; ${images} image(s), ${mb(imageryBytes)} of source imagery: index = ${Number.isFinite(ratio) ? `${ratio.toFixed(1)} %` : 'n/a'} of it`);
  }
  if (t.indices.length) lines.push(`  indexes: ${t.indices.map((i) => `${i.columns.join('+')} (${i.type})`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

function mb(b: number | null): string {
  return b === null ? 'n/a' : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} KB`;
}
