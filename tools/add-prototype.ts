import { z } from 'zod';
import { addPrototype } from '../pipeline/prototypes/prototypes.js';
import type { ExampleRef } from '../pipeline/prototypes/examples.js';
import { queryText } from './query-text.js';
import type { ToolDefinition } from './tool.js';

const Box = z.object({ x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().positive(), height: z.number().int().positive() }).strict();

/** An example chip: a tile (optionally a box inside it), an image box, a stored detection, or an image file. */
export const ExampleRefSchema = z.union([
  z.object({ tile_id: z.string().describe('a tile id from search_tiles'), box: Box.optional().describe('object box in image pixels, inside the tile') }).strict(),
  z.object({ image_id: z.string(), x: z.number().int().min(0), y: z.number().int().min(0), width: z.number().int().positive(), height: z.number().int().positive() }).strict().describe('object box in image pixels'),
  z.object({ detection_id: z.string().describe('a detection from detect_in_region (marks it confirmed, or rejected when given as a negative)') }).strict(),
  z.object({ path: z.string().describe('image chip file on the server (inside the allowed roots)') }).strict(),
  z.object({ base64: z.string().min(16).describe('image chip bytes, base64 or data: URL') }).strict(),
]);

/** Input of add_prototype. */
export const addPrototypeInput = z
  .object({
    name: z.string().min(1).max(64).describe('prototype name, e.g. "landing craft"'),
    description: queryText(0).optional().describe('what it is, in words (fused with the visual examples)'),
    examples: z.array(ExampleRefSchema).max(200).default([]).describe('positive examples'),
    negatives: z.array(ExampleRefSchema).max(200).default([]).describe('look-alikes that are NOT this (rejected detections, other chips)'),
    mode: z.enum(['create', 'extend']).default('extend').describe('create: fail if the name exists; extend: add a version with these examples added'),
    model: z.string().optional().describe('model id or id@version (default: the active model)'),
  })
  .strict();

/** A prototype version summary (shared with list_prototypes). */
export const PrototypeSummarySchema = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string().nullable(),
  model_version: z.string(),
  positives: z.number().int(),
  negatives: z.number().int(),
  has_probe: z.boolean().describe('a linear probe is fitted (≥ 5 positives)'),
  threshold: z.number().nullable().describe('own score threshold in detect_in_region; null: the call\'s threshold applies, else 0.3'),
  self_check: z.object({ n: z.number(), auc: z.number(), top1: z.number(), probe_auc: z.number().nullable() }).nullable().describe('leave-one-out check on its own examples against negatives and background tiles'),
  created_at: z.string(),
  window_head: z
    .object({
      examples: z.number().int(), lengths_m: z.array(z.number()), train_auc: z.number(), seconds: z.number(), threshold: z.number(),
      used: z.boolean().describe('detect_in_region uses the head (it found the held-out examples better than the encoder did)'),
      check: z.object({ window_head_mrr: z.number(), encoder_mrr: z.number(), window_head_found: z.number(), encoder_found: z.number(), n: z.number().int() }).nullable().describe('cross-check on held-out examples (2 folds from 20 examples, else 5, or one per example below 5): per detector, mean reciprocal rank of held-out examples and the share it boxes at all; the higher sum is used'),
    })
    .nullable()
    .describe('few-shot window head fitted on the examples\' pixels (≥ 5 examples with image boxes); detect_in_region uses it when `used` (chosen by a cross-check on held-out examples); lengths_m are the object lengths it scans for'),
  probe_negatives: z
    .object({ given: z.number().int(), surrounding: z.number().int(), background: z.number().int() })
    .optional()
    .describe('what the probe was fitted against: the negatives given, objects the proposer found around the examples, stored background tiles'),
});

/** Output of add_prototype. */
export const addPrototypeOutput = z.object({ prototype: PrototypeSummarySchema });

/** add_prototype: define or extend a few-shot prototype (versioned). */
export const addPrototypeTool: ToolDefinition<typeof addPrototypeInput, typeof addPrototypeOutput> = {
  name: 'add_prototype',
  title: 'Add or extend a prototype',
  description:
    'Define a new target from a handful of examples (tile + box, image box, detection ids, image files) and an optional description, or extend an existing one; negatives (e.g. rejected detections) sharpen it. Every change is a new version. Returns a leave-one-out self-check. Prototypes are usable in search_tiles and detect_in_region by name.',
  inputSchema: addPrototypeInput,
  outputSchema: addPrototypeOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(input, ctx) {
    const enc = await ctx.encoder(input.model);
    const prototype = await addPrototype(
      await ctx.store(),
      enc,
      { name: input.name, ...(input.description ? { description: input.description } : {}), examples: input.examples as ExampleRef[], negatives: input.negatives as ExampleRef[], mode: input.mode },
      ctx.config.allowedRoots,
      ctx.signal,
      ctx.proposer ? await ctx.proposer() : undefined,
    );
    return { prototype };
  },
  render: ({ prototype: p }) => renderPrototype(p),
};

/** One line per prototype version. */
export function renderPrototype(p: z.infer<typeof PrototypeSummarySchema>): string {
  const against = p.probe_negatives ? ` probe vs ${p.probe_negatives.given} given, ${p.probe_negatives.surrounding} nearby objects, ${p.probe_negatives.background} tiles;` : '';
  const check = p.self_check ? ` self-check AUC ${p.self_check.auc.toFixed(2)}${p.self_check.probe_auc != null ? ` (probe ${p.self_check.probe_auc.toFixed(2)})` : ''} over ${p.self_check.n}` : '';
  return `${p.name} v${p.version} (${p.model_version}): ${p.positives} positive, ${p.negatives} negative example(s)${p.has_probe ? ', probe' : ''}${against}${check}${p.description ? ` — ${p.description}` : ''}`;
}
