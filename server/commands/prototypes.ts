import { Command } from 'commander';
import { addPrototypeInput, addPrototypeTool } from '../../tools/add-prototype.js';
import { createToolContext } from '../../tools/context.js';
import { listPrototypesInput, listPrototypesTool } from '../../tools/list-prototypes.js';
import { action, printJson } from '../cli-context.js';

interface AddOpts { description?: string; box?: string[]; tile?: string[]; detection?: string[]; file?: string[]; notBox?: string[]; notDetection?: string[]; notFile?: string[]; synthetic?: string; create?: boolean; model?: string; json?: boolean }

/** `geoscout prototypes add|list`: the add_prototype and list_prototypes tools. */
export function prototypesCommand(): Command {
  const cmd = new Command('prototypes').description('few-shot prototypes: define targets from example chips, extend them with feedback');
  cmd
    .command('add')
    .description('create or extend a prototype (each call stores a new version)')
    .argument('<name>', 'prototype name')
    .option('-d, --description <text>', 'what it is, in words')
    .option('--box <image_id,x,y,w,h...>', 'object boxes in image pixels')
    .option('--tile <tile_id[:x,y,w,h]...>', 'tiles from search results, optionally with an object box (image pixels)')
    .option('--detection <ids...>', 'detections to confirm as examples')
    .option('--file <paths...>', 'image chip files')
    .option('--not-box <image_id,x,y,w,h...>', 'negative boxes')
    .option('--not-detection <ids...>', 'detections to reject (negatives)')
    .option('--not-file <paths...>', 'negative chip files')
    .option('--synthetic <class[:count]>', 'add rendered exemplars of a class the generator draws (aircraft, ship, vehicle, storage_tank, wind_turbine, building), default 80')
    .option('--create', 'fail if the prototype exists')
    .option('--model <model>', 'model id or id@version')
    .option('--json', 'print the structured result')
    .action(
      action(async (ctx, name: string, o: AddOpts) => {
        const input = addPrototypeInput.parse({
          name,
          ...(o.description ? { description: o.description } : {}),
          examples: [...(o.box ?? []).map(boxRef), ...(o.tile ?? []).map(tileRef), ...(o.detection ?? []).map((detection_id) => ({ detection_id })), ...(o.file ?? []).map((p) => ({ path: p }))],
          negatives: [...(o.notBox ?? []).map(boxRef), ...(o.notDetection ?? []).map((detection_id) => ({ detection_id })), ...(o.notFile ?? []).map((p) => ({ path: p }))],
          mode: o.create ? 'create' : 'extend',
          ...(o.synthetic ? { synthetic: syntheticRef(o.synthetic) } : {}),
          ...(o.model ? { model: o.model } : {}),
        });
        const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
        try {
          const out = await addPrototypeTool.handler(input, tctx);
          if (o.json) printJson(out);
          else process.stdout.write(addPrototypeTool.render(out) + '\n');
        } finally {
          await tctx.close();
        }
      }),
    );
  cmd
    .command('list')
    .description('current version of every prototype')
    .option('--model <model>', 'model id or id@version, or "all"')
    .option('--json', 'print the structured result')
    .action(
      action(async (ctx, o: { model?: string; json?: boolean }) => {
        const tctx = createToolContext(ctx.config, ctx.store, ctx.signal);
        try {
          const out = await listPrototypesTool.handler(listPrototypesInput.parse(o.model ? { model: o.model } : {}), tctx);
          if (o.json) printJson(out);
          else process.stdout.write(listPrototypesTool.render(out) + '\n');
        } finally {
          await tctx.close();
        }
      }),
    );
  return cmd;
}

function boxRef(s: string) {
  const [image_id, ...n] = s.split(',');
  return { image_id, x: Number(n[0]), y: Number(n[1]), width: Number(n[2]), height: Number(n[3]) };
}

function tileRef(s: string) {
  const [tile_id, box] = s.split(':');
  if (!box) return { tile_id };
  const [x, y, width, height] = box.split(',').map(Number);
  return { tile_id, box: { x, y, width, height } };
}

function syntheticRef(s: string) {
  const [cls, count] = s.split(':');
  return { class: cls, ...(count ? { count: Number(count) } : {}) };
}
