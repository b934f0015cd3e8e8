import path from 'node:path';
import { rm } from 'node:fs/promises';
import { Command } from 'commander';
import { pullModel } from '../../pipeline/models/hub-pull.js';
import { ModelRegistry } from '../../pipeline/models/registry.js';
import { action, printJson } from '../cli-context.js';

/** `geoscout models ...`: the encoder registry. */
export function modelsCommand(): Command {
  const cmd = new Command('models').description('image/text encoders: shipped, imported, pulled; the active one embeds everything');
  cmd
    .command('list')
    .description('list models (shipped and imported) and which one is active')
    .option('--json', 'print JSON')
    .action(
      action(async (ctx, opts: { json?: boolean }) => {
        const all = await new ModelRegistry(ctx.config.dataDir).list();
        if (opts.json) return printJson(all);
        if (all.length === 0) process.stdout.write('no models; import one with `geoscout models import <dir>`\n');
        for (const m of all) process.stdout.write(`${m.active ? '*' : ' '} ${m.modelVersion.padEnd(32)} ${m.source.padEnd(9)} dim ${m.embed_dim}  ${m.license}  ${m.dir}\n`);
      }),
    );
  cmd
    .command('import')
    .description('import a model directory (geoscout-model.json contract, or an HF ONNX CLIP folder: vision_model.onnx + text_model.onnx + tokenizer.json)')
    .argument('<dir>')
    .option('--id <id>', 'model id for HF folders (default: folder name)')
    .option('--version <v>', 'model version for HF folders (default 1)')
    .option('--use', 'make it the active model')
    .action(
      action(async (ctx, dir: string, opts: { id?: string; version?: string; use?: boolean }) => {
        const res = await new ModelRegistry(ctx.config.dataDir).import(path.resolve(dir), { ...opts, activate: !!opts.use });
        process.stdout.write(`${res.status} ${res.entry.modelVersion} → ${res.entry.dir}\n`);
      }),
    );
  cmd
    .command('pull')
    .description('download a model from a Hugging Face-style hub ($HF_ENDPOINT or $GEOSCOUT_HUB_URL, token $HF_TOKEN) and import it')
    .argument('<hub-id>', 'e.g. owner/clip-vit-base-patch32-onnx')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--hub-url <url>', 'hub base URL')
    .option('--id <id>', 'model id for HF folders (default: the repo name)')
    .option('--version <v>', 'model version for HF folders (default: the revision)')
    .option('--use', 'make it the active model')
    .action(
      action(async (ctx, hubId: string, opts: { revision: string; hubUrl?: string; id?: string; version?: string; use?: boolean }) => {
        const dir = await pullModel(hubId, {
          revision: opts.revision,
          signal: ctx.signal,
          ...(opts.hubUrl ?? ctx.config.models.hubUrl ? { hubUrl: (opts.hubUrl ?? ctx.config.models.hubUrl)! } : {}),
          onFile: (name, bytes) => process.stderr.write(`fetched ${name} (${(bytes / 1e6).toFixed(1)} MB)\n`),
        });
        try {
          const res = await new ModelRegistry(ctx.config.dataDir).import(dir, {
            id: opts.id ?? hubId.split('/').pop()!.toLowerCase(),
            version: opts.version ?? opts.revision,
            activate: !!opts.use,
          });
          process.stdout.write(`${res.status} ${res.entry.modelVersion} → ${res.entry.dir}\n`);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }),
    );
  cmd
    .command('use')
    .description('make a model the active one (id or id@version)')
    .argument('<model>')
    .action(
      action(async (ctx, ref: string) => {
        const e = await new ModelRegistry(ctx.config.dataDir).use(ref);
        process.stdout.write(`active model: ${e.modelVersion}\n`);
      }),
    );
  return cmd;
}
