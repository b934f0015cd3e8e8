import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { createToolContext } from '../../tools/context.js';
import { DEFAULT_THRESHOLD, detectInRegionInput, detectInRegionTool, PROTOTYPE_DEFAULT_THRESHOLD } from '../../tools/detect-in-region.js';
import { action, parseNumberList } from '../cli-context.js';
import { progressBar } from '../progress.js';

/** `geoscout detect`: the detect_in_region tool from the command line. */
export function detectCommand(): Command {
  return new Command('detect')
    .description('detect objects by text and/or prototype in an image, a pixel window or a WGS84 area; prints counts and detections')
    .argument('[image-id]', 'image to search (omit with --bbox to search every intersecting image)')
    .option('-q, --query <text...>', 'free-text queries, e.g. -q aircraft "container ship"')
    .option('-p, --prototype <name...>', 'prototype queries')
    .option('--window <x,y,w,h>', 'pixel window of the image')
    .option('--bbox <minLon,minLat,maxLon,maxLat>', 'WGS84 area')
    .option('--threshold <t>', `minimum score 0–1 (default ${DEFAULT_THRESHOLD} for text, the calibrated chance a box is right; ${PROTOTYPE_DEFAULT_THRESHOLD} for prototypes)`, (v) => parseNumberList(v, 1, '--threshold')[0])
    .option('--max <n>', 'maximum detections', (v) => parseNumberList(v, 1, '--max')[0], 200)
    .option('--exhaustive', 'search every pixel (default: text queries look only where the stored tiles match, plus a random sample)')
    .option('--model <model>', 'model id or id@version')
    .option('--geojson <file>', 'write the FeatureCollection to a file')
    .option('--json', 'print the structured result')
    .action(
      action(async (ctx, imageId: string | undefined, o: { query?: string[]; prototype?: string[]; window?: string; bbox?: string; threshold?: number; max: number; exhaustive?: boolean; model?: string; geojson?: string; json?: boolean }) => {
        const win = o.window ? parseNumberList(o.window, 4, '--window') : null;
        const input = detectInRegionInput.parse({
          ...(imageId ? { image_id: imageId } : {}),
          ...(win ? { window: { x: win[0], y: win[1], width: win[2], height: win[3] } } : {}),
          ...(o.bbox ? { bbox: parseNumberList(o.bbox, 4, '--bbox') } : {}),
          queries: [...(o.query ?? []).map((text) => ({ text })), ...(o.prototype ?? []).map((prototype) => ({ prototype }))],
          ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
          max_detections: o.max,
          exhaustive: o.exhaustive ?? false,
          ...(o.model ? { model: o.model } : {}),
        });
        const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
        try {
          const bar = progressBar('detect', 'px');
          const out = await detectInRegionTool.handler(input, { ...tctx, onProgress: (d, t) => bar.update(Math.round(d), t) }).finally(() => bar.stop());
          if (o.geojson) await writeFile(o.geojson, JSON.stringify({ type: 'FeatureCollection', features: out.features }, null, 1));
          process.stdout.write(o.json ? JSON.stringify(out, null, 2) + '\n' : detectInRegionTool.render(out) + '\n');
        } finally {
          await tctx.close();
        }
      }),
    );
}
