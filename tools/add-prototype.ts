import { z } from 'zod';
import { addPrototype } from '../pipeline/prototypes/prototypes.js';
import { DEFAULT_SYNTHETIC_COUNT, SYNTHETIC_CLASSES } from '../pipeline/synth/exemplars.js';
import { ExampleRefSchema, PrototypeSummarySchema, type PrototypeSummary } from '../pipeline/prototypes/schemas.js';
import { queryText } from './query-text.js';
import type { ToolDefinition } from './tool.js';

/** Input of add_prototype. */
export const addPrototypeInput = z
  .object({
    name: z.string().min(1).max(64).describe('prototype name, e.g. "landing craft"'),
    description: queryText(0).optional().describe('what it is, in words (fused with the visual examples)'),
    examples: z.array(ExampleRefSchema).max(200).default([]).describe('positive examples'),
    negatives: z.array(ExampleRefSchema).max(200).default([]).describe('look-alikes that are NOT this (rejected detections, other chips)'),
    synthetic: z
      .object({
        class: z.enum(SYNTHETIC_CLASSES).describe('object class the built-in generator draws'),
        count: z.number().int().min(5).max(200).default(DEFAULT_SYNTHETIC_COUNT).describe('exemplars to draw'),
      })
      .strict()
      .optional()
      .describe('bootstrap without real examples: add rendered exemplars of this class (a window head fitted on them detects in real imagery; confirm/reject its detections to adapt it)'),
    mode: z.enum(['create', 'extend']).default('extend').describe('create: fail if the name exists; extend: add a version with these examples added'),
    model: z.string().optional().describe('model id or id@version (default: the active model)'),
  })
  .strict();

/** Output of add_prototype. */
export const addPrototypeOutput = z.object({ prototype: PrototypeSummarySchema });

/** add_prototype: define or extend a few-shot prototype (versioned). */
export const addPrototypeTool: ToolDefinition<typeof addPrototypeInput, typeof addPrototypeOutput> = {
  name: 'add_prototype',
  title: 'Add or extend a prototype',
  description:
    'Define a new target from a handful of examples (tile + box, image box, detection ids, image files) and an optional description, or extend an existing one; with no examples yet, `synthetic` bootstraps it from rendered exemplars of a class the generator draws (aircraft, ship, vehicle, storage_tank, wind_turbine, building); negatives (e.g. rejected detections) sharpen it. Every change is a new version. Returns a leave-one-out self-check. Prototypes are usable in search_tiles and detect_in_region by name.',
  inputSchema: addPrototypeInput,
  outputSchema: addPrototypeOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler(input, ctx) {
    const enc = await ctx.encoder(input.model);
    const prototype = await addPrototype(
      await ctx.store(),
      enc,
      { name: input.name, ...(input.description ? { description: input.description } : {}), examples: input.examples, negatives: input.negatives, mode: input.mode, ...(input.synthetic ? { synthetic: input.synthetic } : {}) },
      ctx.config.allowedRoots,
      ctx.signal,
      ctx.proposer ? await ctx.proposer() : undefined,
    );
    return { prototype };
  },
  render: ({ prototype: p }) => renderPrototype(p),
};

/** One line per prototype version. */
export function renderPrototype(p: PrototypeSummary): string {
  const against = p.probe_negatives ? ` probe vs ${p.probe_negatives.given} given, ${p.probe_negatives.surrounding} nearby objects, ${p.probe_negatives.background} tiles;` : '';
  const check = p.self_check ? ` self-check AUC ${p.self_check.auc.toFixed(2)}${p.self_check.probe_auc != null ? ` (probe ${p.self_check.probe_auc.toFixed(2)})` : ''} over ${p.self_check.n}` : '';
  return `${p.name} v${p.version} (${p.model_version}): ${p.positives} positive, ${p.negatives} negative example(s)${p.has_probe ? ', probe' : ''}${against}${check}${p.description ? ` — ${p.description}` : ''}`;
}
