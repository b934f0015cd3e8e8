import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { addImages } from '../../pipeline/catalog/catalog.js';
import { openRaster } from '../../pipeline/raster/raster.js';
import { generateScene } from '../../pipeline/synth/generate-scene.js';
import { action, parseNumberList, type CliContext } from '../cli-context.js';
import { getImage } from '../../pipeline/catalog/catalog.js';
import { ingestImage } from '../../pipeline/ingest/ingest-image.js';
import { createToolContext } from '../../tools/context.js';
import { searchTilesInput, searchTilesTool } from '../../tools/search-tiles.js';
import { formatLatLon } from '../format.js';
import { progressBar } from '../progress.js';
import { answerDemoQuestions } from './demo-questions.js';
import { newTableLayout } from '../../pipeline/index/tiles-table.js';
import { writeRgb } from './raster.js';
import { visionFromConfig } from '../../knowledge/describe-figure.js';

/**
 * `geoscout demo`: the README's demo. It grows with each capability; today it builds a
 * synthetic scene, catalogs it, prints its footprint and a thumbnail path, embeds it
 * with the shipped model (offline), answers a text query and an image query, generates
 * and indexes a PDF corpus, then starts the MCP server over stdio and answers sample
 * analyst questions through its tools (and through the agent when an LLM is configured).
 */
export function demoCommand(): Command {
  return new Command('demo')
    .description('synthetic world end to end: scene + PDFs, offline ingest with the shipped model, searches, then analyst questions answered through the MCP tools')
    .option('--seed <n>', 'scene seed', (v) => parseNumberList(v, 1, '--seed')[0], 42)
    .option('--size <px>', 'scene side in pixels', (v) => parseNumberList(v, 1, '--size')[0], 4096)
    .action(
      action(async (ctx, opts: { seed: number; size: number }, cmd: Command) => {
        const out = path.join(ctx.config.dataDir, 'demo');
        await mkdir(out, { recursive: true });
        const name = `demo-${opts.seed}-${opts.size}`;
        let tif = path.join(out, `${name}.tif`);
        if (!existsSync(path.join(out, `${name}.coco.json`))) {
          process.stderr.write(`1/7 generating a ${opts.size}×${opts.size} synthetic scene (seed ${opts.seed}) in ${out}\n`);
          const bar = progressBar('scene', 'tiles');
          const scene = await generateScene(out, name, { seed: opts.seed, width: opts.size, height: opts.size }, {
            signal: ctx.signal,
            onProgress: (d, t) => bar.update(d, t),
          }).finally(() => bar.stop());
          tif = scene.tiffPath;
          process.stderr.write(`    ${scene.objects.length} objects, ground truth in ${name}.truth.geojson and ${name}.coco.json\n`);
        } else process.stderr.write(`1/7 reusing ${tif}\n`);

        process.stderr.write('2/7 adding it to the catalog\n');
        const res = await addImages(await ctx.store(), [tif], { allowedRoots: ctx.config.allowedRoots, signal: ctx.signal });
        if (res.failed.length) throw new Error(res.failed[0]!.error.message);
        const rec = res.added[0] ?? null;
        const id = rec?.image_id ?? res.skipped[0]!.image_id;

        process.stderr.write('3/7 writing a thumbnail from the overviews\n');
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
        await embedAndSearch(ctx, id, path.join(out, `${name}.truth.geojson`));
        await indexDocuments(ctx, path.join(out, 'documents'));
        process.stderr.write('7/7 answering analyst questions through the MCP tools (geoscout mcp over stdio)\n');
        const truth = JSON.parse(await readFile(path.join(out, `${name}.truth.geojson`), 'utf8')) as { features: { properties: { class: string } }[] };
        const counts: Record<string, number> = {};
        for (const f of truth.features) counts[f.properties.class] = (counts[f.properties.class] ?? 0) + 1;
        await answerDemoQuestions(ctx, id, (program(cmd).opts() as { config?: string }).config, counts);
      }),
    );
}

/** The root command (for global options such as --config). */
function program(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/** Step 6: the generated PDF corpus (text, captioned chips, a diagram, a scanned page), indexed once. */
async function indexDocuments(ctx: CliContext, dir: string): Promise<void> {
  process.stderr.write(`6/7 generating a PDF corpus in ${dir} and indexing it (text, figures, captions, OCR)\n`);
  const { generateCorpus } = await import('../../knowledge/corpus/generate-corpus.js');
  const { ingestDocuments } = await import('../../knowledge/ingest-docs.js');
  const { OcrEngine } = await import('../../knowledge/ocr.js');
  const { sharedSentenceEncoder, closeSharedSentenceEncoders } = await import('../../knowledge/sentence-encoder.js');
  const truth = existsSync(path.join(dir, 'truth.json')) ? (JSON.parse(await readFile(path.join(dir, 'truth.json'), 'utf8')) as { docs: { file: string }[]; broken: { file: string }[] }) : await generateCorpus(dir);
  // The deliberately broken files go in too: they are reported and skipped, the batch goes on.
  const files = [...truth.docs, ...truth.broken].map((d) => (path.isAbsolute(d.file) ? d.file : path.join(dir, d.file)));
  const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
  const ocr = new OcrEngine();
  try {
    const rep = await ingestDocuments(await ctx.store(), files, { text: await sharedSentenceEncoder(ctx.config.docs.textModelDir), image: await tctx.encoder(), ocr }, { signal: ctx.signal, maxPages: ctx.config.docs.maxPages, maxBytes: ctx.config.docs.maxMB * 1e6, vision: visionFromConfig(ctx.config.docs.vision) });
    process.stdout.write(`documents ${rep.added.length} indexed, ${rep.unchanged.length} unchanged, ${rep.skipped.length} skipped (${rep.totals.pages} pages, ${rep.totals.figures} figures)\n`);
  } finally {
    await ocr.close();
    await closeSharedSentenceEncoders();
    await tctx.close();
  }
}

/** Steps 4–5: ingest with the active (shipped) model, then a text query and a query by example. */
async function embedAndSearch(ctx: CliContext, imageId: string, truthFile: string): Promise<void> {
  const store = await ctx.store();
  const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
  try {
    const enc = await tctx.encoder();
    process.stderr.write(`4/7 embedding tiles with ${enc.modelVersion} (resumable; a second run adds nothing)\n`);
    const bar = progressBar('ingest', 'tiles');
    const res = await ingestImage(store, enc, await getImage(store, imageId), { signal: ctx.signal, tableLayout: newTableLayout(ctx.config.index.vectorType), onProgress: (p) => bar.update(p.done, p.planned) }).finally(() => bar.stop());
    process.stdout.write(`tiles     ${res.planned} planned, ${res.existing} already stored, ${res.written} written, ${res.blank} blank\n`);

    process.stderr.write('5/7 searching\n');
    const text = 'a container ship moored alongside a pier';
    const byText = await searchTilesTool.handler(searchTilesInput.parse({ text, limit: 5 }), tctx);
    process.stdout.write(`\nquery "${text}":\n${searchTilesTool.render(byText)}\n`);
    // Query by example: the generator's first aircraft, cut from the scene itself.
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as { features: { properties: { class: string; type: string; pixel_bbox: number[] } }[] };
    const plane = truth.features.find((f) => f.properties.class === 'aircraft');
    if (plane) {
      const [bx, by, bw, bh] = plane.properties.pixel_bbox.map(Math.round) as [number, number, number, number];
      const pad = Math.round(Math.max(bw, bh) * 0.3);
      const example = { image_id: imageId, x: Math.max(0, bx - pad), y: Math.max(0, by - pad), width: bw + 2 * pad, height: bh + 2 * pad };
      const byImage = await searchTilesTool.handler(searchTilesInput.parse({ images: [example], limit: 5 }), tctx);
      process.stdout.write(`\nquery by example (a ${plane.properties.type.replace(/_/g, ' ')} at pixels ${example.x},${example.y} ${example.width}×${example.height}):\n${searchTilesTool.render(byImage)}\n`);
    }
  } finally {
    await tctx.close();
  }
}
