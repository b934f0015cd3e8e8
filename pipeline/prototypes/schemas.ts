import { z } from 'zod';
import { PixelWindowInputSchema } from '../raster/georef.js';

// The shapes prototypes exchange with callers, as zod schemas: the add_prototype and
// list_prototypes tools compose them, and the pipeline's types are inferred from them.

/** An example chip: a tile (optionally a box inside it), an image box, a stored detection, or an image file. */
export const ExampleRefSchema = z.union([
  z.object({ tile_id: z.string().describe('a tile id from search_tiles'), box: PixelWindowInputSchema.optional().describe('object box in image pixels, inside the tile') }).strict(),
  z.object({ image_id: z.string(), ...PixelWindowInputSchema.shape }).strict().describe('object box in image pixels'),
  z.object({ detection_id: z.string().describe('a detection from detect_in_region (marks it confirmed, or rejected when given as a negative)') }).strict(),
  z.object({ path: z.string().describe('image chip file on the server (inside the allowed roots)') }).strict(),
  z.object({ base64: z.string().min(16).describe('image chip bytes, base64 or data: URL') }).strict(),
]);
/** Where an example comes from. Boxes are in image pixels of the catalogued image. */
export type ExampleRef = z.infer<typeof ExampleRefSchema>;

/** Leave-one-out self-check of a prototype on its own examples. */
export const SelfCheckSchema = z.object({
  /** Positives held out one at a time. */
  n: z.number(),
  /** Mean over held-out positives of the share of negatives scoring below them (ROC AUC). */
  auc: z.number(),
  /** Share of held-out positives scoring above every negative. */
  top1: z.number(),
  /** The same AUC for the probe, when one is fitted. */
  probe_auc: z.number().nullable(),
});
/** Leave-one-out self-check of a prototype on its own examples. */
export type SelfCheck = z.infer<typeof SelfCheckSchema>;

/** A prototype version as tools return it (vectors left out). */
export const PrototypeSummarySchema = z.object({
  name: z.string(),
  version: z.number().int(),
  description: z.string().nullable(),
  model_version: z.string(),
  positives: z.number().int(),
  negatives: z.number().int(),
  has_probe: z.boolean().describe('a linear probe is fitted (≥ 5 positives)'),
  threshold: z.number().nullable().describe('fixed score threshold in detect_in_region; null: the call\'s threshold applies, else window_head.check.threshold, else 0.3'),
  self_check: SelfCheckSchema.nullable().describe('leave-one-out check on its own examples against negatives and background tiles'),
  created_at: z.string(),
  window_head: z
    .object({
      examples: z.number().int(), lengths_m: z.array(z.number()), train_auc: z.number(), seconds: z.number(), threshold: z.number(),
      used: z.boolean().describe('detect_in_region uses the head (it found the held-out examples better than the encoder did)'),
      check: z.object({ window_head_mrr: z.number(), encoder_mrr: z.number(), window_head_found: z.number(), encoder_found: z.number(), n: z.number().int(), proposals: z.string().nullable().optional().describe('proposal weights the encoder path runs every pass with, when they did better on the held-out examples (e.g. model-real.onnx); null: each pass\'s own'), threshold: z.number().nullable().optional().describe('default threshold of detect_in_region for this prototype (a call\'s threshold overrides it): the chosen detector\'s score that keeps 80 % of the held-out examples it boxed; null: the head\'s own threshold when used, else 0.3'), head_proposals: z.string().nullable().optional().describe('with the window head: its boxes are the objectness proposals it agrees with (score: head × objectness), proposed with these weights ("default": each pass\'s own); null: the head\'s own dense boxes') }).nullable().describe('cross-check on held-out examples (2 folds from 20 examples, else 5, or one per example below 5): per detector, mean reciprocal rank of held-out examples and the share it boxes at all; the higher sum is used'),
    })
    .nullable()
    .describe('few-shot window head fitted on the examples\' pixels (≥ 5 examples with image boxes); detect_in_region uses it when `used` (chosen by a cross-check on held-out examples); lengths_m are the object lengths it scans for'),
  probe_negatives: z
    .object({ given: z.number().int(), surrounding: z.number().int(), background: z.number().int() })
    .optional()
    .describe('what the probe of the version just added was fitted against: the negatives given, objects the proposer found around the examples, stored background tiles'),
});
/** A prototype version as tools return it (vectors left out). */
export type PrototypeSummary = z.infer<typeof PrototypeSummarySchema>;
