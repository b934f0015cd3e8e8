import path from 'node:path';
import { Command } from 'commander';
import { buildTrainingSet } from '../../pipeline/synth/dataset.js';
import { generateChipPairs, generateScene, type SceneOptions } from '../../pipeline/synth/generate-scene.js';
import { action, parseNumberList, printJson } from '../cli-context.js';
import { progressBar } from '../progress.js';

/** Parses "4096" or "4096x2048". */
export function parseSize(text: string): [number, number] {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(text.trim());
  const w = Number(m?.[1]);
  const h = Number(m?.[2] ?? m?.[1]);
  if (!m || w < 64 || h < 64) throw new Error(`size must be N or WxH with sides ≥ 64, got "${text}"`);
  return [w, h];
}

/** `geoscout synth ...`: the synthetic world. */
export function synthCommand(): Command {
  const cmd = new Command('synth').description('synthetic overhead scenes with ground truth, and chip–caption pairs');
  cmd
    .command('scene')
    .description('write <name>.tif (tiled GeoTIFF with overviews), <name>.meta.json, <name>.truth.geojson and <name>.coco.json')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--name <name>', 'file stem (default scene-<seed>)')
    .option('--seed <n>', 'random seed (same seed, same scene)', (v) => parseNumberList(v, 1, '--seed')[0], 1)
    .option('--size <WxH>', 'size in pixels, e.g. 4096 or 20000x20000', '4096')
    .option('--gsd <m>', 'ground sample distance in metres', (v) => parseNumberList(v, 1, '--gsd')[0], 0.5)
    .option('--center <lon,lat>', 'scene centre (default: chosen from the seed)')
    .option('--sensor <name>', 'sensor name written to the metadata', 'SYNTH-1')
    .option('--bits <8|16>', 'sample depth', '8')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (ctx, opts: { out: string; name?: string; seed: number; size: string; gsd: number; center?: string; sensor: string; bits: string; json?: boolean }) => {
        const [width, height] = parseSize(opts.size);
        const options: SceneOptions = {
          seed: opts.seed, width, height, gsdM: opts.gsd, sensor: opts.sensor, bits: opts.bits === '16' ? 16 : 8,
          ...(opts.center ? { center: parseNumberList(opts.center, 2, '--center') as [number, number] } : {}),
        };
        const bar = progressBar('scene', 'tiles');
        const scene = await generateScene(path.resolve(opts.out), opts.name ?? `scene-${opts.seed}`, options, {
          signal: ctx.signal,
          onProgress: (d, t) => bar.update(d, t),
        }).finally(() => bar.stop());
        const { objects, ...rest } = scene;
        if (opts.json) return printJson({ ...rest, objectCount: objects.length });
        process.stdout.write(`${scene.tiffPath}  ${width}×${height} @ ${scene.gsdM} m, EPSG:${scene.epsg}, ${objects.length} objects\n`);
      }),
    );
  cmd
    .command('pairs')
    .description('render chip–caption pairs (PNG chips + pairs.jsonl) for encoder training')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--seed <n>', 'seed of the scene plan', (v) => parseNumberList(v, 1, '--seed')[0], 1)
    .option('--size <WxH>', 'size of the planned scene the chips come from', '4096')
    .option('--gsd <m>', 'ground sample distance in metres', (v) => parseNumberList(v, 1, '--gsd')[0], 0.5)
    .option('--chip <px>', 'chip size', (v) => parseNumberList(v, 1, '--chip')[0], 224)
    .action(
      action(async (ctx, opts: { out: string; seed: number; size: string; gsd: number; chip: number }) => {
        const [width, height] = parseSize(opts.size);
        const out = path.resolve(opts.out);
        const scene = await generateScene(out, `pairs-scene-${opts.seed}`, { seed: opts.seed, width, height, gsdM: opts.gsd }, { signal: ctx.signal });
        const res = await generateChipPairs(scene, out, { chipSize: opts.chip });
        process.stdout.write(`${res.jsonlPath}  ${res.count} pairs\n`);
      }),
    );
  cmd
    .command('dataset')
    .description('build encoder training manifests (train.jsonl / val.jsonl) of chips from many seeds and GSDs')
    .requiredOption('-o, --out <dir>', 'output folder')
    .option('--train-seeds <a-b>', 'seed range for training scenes', '1000-1047')
    .option('--val-seeds <a-b>', 'seed range for held-out scenes (must differ)', '9000-9007')
    .option('--gsd <min,max>', 'GSD range in metres', '0.3,1.0')
    .option('--chips <sizes>', 'chip sizes in pixels, comma-separated', '96,192')
    .option('--max-per-type <n>', 'chips per type per scene and chip size', (v) => parseNumberList(v, 1, '--max-per-type')[0], 6)
    .option('--exclude <classes...>', 'classes left out of training (kept in val)', ['wind_turbine'])
    .option('--out-of-context <n>', 'ships on land and aircraft on roads per training scene, each (default: as in any scene, about 1)', (v) => parseNumberList(v, 1, '--out-of-context')[0])
    .option('--near-out-of-context <m>', 'hard negatives: chip every object within this many metres of an out-of-context one past --max-per-type, and its empty setting (train only)', (v) => parseNumberList(v, 1, '--near-out-of-context')[0])
    .option('--uncaptioned <classes...>', 'classes kept in training without captions (image-only objective; named in val)', [])
    .action(
      action(async (ctx, opts: { out: string; trainSeeds: string; valSeeds: string; gsd: string; chips: string; maxPerType: number; exclude: string[]; uncaptioned: string[]; outOfContext?: number; nearOutOfContext?: number }) => {
        const out = path.resolve(opts.out);
        const common = {
          gsdRange: parseNumberList(opts.gsd, 2, '--gsd') as [number, number],
          chipSizes: opts.chips.split(',').map(Number),
          maxPerType: opts.maxPerType,
          signal: ctx.signal,
        };
        const exclude = opts.exclude.filter((c) => !opts.uncaptioned.includes(c));
        for (const [split, range, excl, uncap] of [['train', opts.trainSeeds, exclude, opts.uncaptioned], ['val', opts.valSeeds, [], []]] as const) {
          const bar = progressBar(split, 'scene-passes');
          const odd = split !== 'train' ? {} : {
            ...(opts.outOfContext === undefined ? {} : { outOfContextPerClass: opts.outOfContext }),
            ...(opts.nearOutOfContext === undefined ? {} : { nearOutOfContextM: opts.nearOutOfContext }),
          };
          const res = await buildTrainingSet(out, { ...common, ...odd, seeds: parseRange(range), split, excludeClasses: [...excl], uncaptionedClasses: [...uncap], onProgress: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
          process.stdout.write(`${res.manifest}  ${res.rows} rows  ${JSON.stringify(res.perClass)}\n`);
        }
      }),
    );
  return cmd;
}

/** Parses "1000-1047" into the seeds it names. */
export function parseRange(text: string): number[] {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m || Number(m[2]) < Number(m[1])) throw new Error(`seed range must look like 1000-1047, got "${text}"`);
  return Array.from({ length: Number(m[2]) - Number(m[1]) + 1 }, (_, i) => Number(m[1]) + i);
}
