import { Command } from 'commander';
import { getImage, listImages } from '../../pipeline/catalog/catalog.js';
import { ingestImage } from '../../pipeline/ingest/ingest-image.js';
import { ModelRegistry } from '../../pipeline/models/registry.js';
import { action, printJson } from '../cli-context.js';
import { newTableLayout } from '../../pipeline/index/tiles-table.js';
import { progressBar } from '../progress.js';

/** `geoscout ingest`: embed catalogued images into the tiles table of the active model. */
export function ingestCommand(): Command {
  return new Command('ingest')
    .description('embed catalogued images tile by tile (resumable, idempotent: re-running adds nothing)')
    .argument('[image-ids...]', 'image ids from `geoscout images list`')
    .option('--all', 'every catalogued image (not stale)')
    .option('--model <model>', 'model id or id@version (default: the active model)')
    .option('--batch <n>', 'tiles per encoder batch and commit', (v) => Number(v), 32)
    .option('--json', 'print per-image results as JSON')
    .action(
      action(async (ctx, ids: string[], opts: { all?: boolean; model?: string; batch: number; json?: boolean }) => {
        const store = await ctx.store();
        const images = opts.all ? (await listImages(store)).filter((r) => r.status !== 'stale') : await Promise.all(ids.map((id) => getImage(store, id)));
        if (images.length === 0) throw new Error('nothing to ingest: name image ids or pass --all (see `geoscout images list`)');
        const reg = new ModelRegistry(ctx.config.dataDir);
        const encoder = await reg.openEncoder(opts.model ?? ctx.config.models.active, ModelRegistry.encoderOptions(ctx.config.models));
        const results = [];
        try {
          for (const img of images) {
            const bar = progressBar(img.image_id, 'tiles');
            const res = await ingestImage(store, encoder, img, {
              signal: ctx.signal,
              batchSize: opts.batch,
              tableLayout: newTableLayout(ctx.config.index.vectorType),
              onProgress: (p) => bar.update(p.done, p.planned),
            }).finally(() => bar.stop());
            results.push(res);
            if (!opts.json) {
              const s = res.seconds;
              process.stdout.write(`${img.image_id}  ${encoder.modelVersion}  planned ${res.planned}, already stored ${res.existing}, written ${res.written}, blank ${res.blank}  (read ${s.read.toFixed(1)} s, encode ${s.encode.toFixed(1)} s, write ${s.write.toFixed(1)} s)\n`);
            }
          }
        } finally {
          await encoder.close();
        }
        if (opts.json) printJson(results);
      }),
    );
}
