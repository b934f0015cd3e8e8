import { Command } from 'commander';
import { searchTilesInput, searchTilesTool } from '../../tools/search-tiles.js';
import { createToolContext } from '../../tools/context.js';
import { action, endOfDayIfBare, parseDateOption, parseNumberList } from '../cli-context.js';

/** `geoscout search`: the search_tiles tool from the command line. */
export function searchCommand(): Command {
  return new Command('search')
    .description('search embedded tiles by text and/or example image, with area/time/sensor filters')
    .argument('[text]', 'what to look for, e.g. "a ship under way"')
    .option('--image <path...>', 'example image file(s)')
    .option('--window <image_id,x,y,w,h>', 'a window of a catalogued image as the example')
    .option('-p, --prototype <name>', 'search with a prototype (prototypes list)')
    .option('--not <text...>', 'descriptions of what not to return')
    .option('--bbox <minLon,minLat,maxLon,maxLat>', 'WGS84 area')
    .option('--from <date>', 'acquired at or after (2024-06-03 or 2024-06-03T10:30:00Z)', (v) => parseDateOption(v, '--from').toISOString())
    .option('--to <date>', 'acquired at or before (a bare date means the end of that day)', (v) => endOfDayIfBare(v, '--to'))
    .option('--sensor <names...>', 'sensors')
    .option('--limit <n>', 'number of hits', (v) => parseNumberList(v, 1, '--limit')[0], 10)
    .option('--model <model>', 'model id or id@version')
    .option('--json', 'print the structured result')
    .action(
      action(async (ctx, text: string | undefined, o: { image?: string[]; window?: string; prototype?: string; not?: string[]; bbox?: string; from?: string; to?: string; sensor?: string[]; limit: number; model?: string; json?: boolean }) => {
        const win = o.window?.split(',');
        const input = searchTilesInput.parse({
          ...(text !== undefined ? { text } : {}),
          images: [...(o.image ?? []).map((p) => ({ path: p })), ...(win ? [{ image_id: win[0], x: Number(win[1]), y: Number(win[2]), width: Number(win[3]), height: Number(win[4]) }] : [])],
          ...(o.not ? { negative_texts: o.not } : {}),
          ...(o.prototype ? { prototype: o.prototype } : {}),
          ...(o.bbox ? { bbox: parseNumberList(o.bbox, 4, '--bbox') } : {}),
          ...(o.from ? { from: o.from } : {}),
          ...(o.to ? { to: o.to } : {}),
          ...(o.sensor ? { sensors: o.sensor } : {}),
          ...(o.model ? { model: o.model } : {}),
          limit: o.limit,
        });
        const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
        try {
          const out = await searchTilesTool.handler(input, tctx);
          process.stdout.write(o.json ? JSON.stringify(out, null, 2) + '\n' : searchTilesTool.render(out) + '\n');
        } finally {
          await tctx.close();
        }
      }),
    );
}
