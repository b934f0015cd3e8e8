import { z } from 'zod';

/**
 * `geoscout-model.json`: the model directory contract (DESIGN.md) that `models import`
 * accepts and the trainer (`pipeline/train/`) exports. Tensor names are declared, not
 * assumed, so HF-style exports (`pixel_values` → `image_embeds`) and open_clip exports
 * both fit. The runtime L2-normalises outputs whatever the ONNX graph does.
 */
export const ModelManifestSchema = z
  .object({
    /** Stable model name, e.g. "geoscout-mini", "remoteclip-vit-b-32". */
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, dot, dash, underscore'),
    /** Version string; `${id}@${version}` is stored with every vector. */
    version: z.string().min(1),
    family: z.literal('clip'),
    embed_dim: z.number().int().positive(),
    image: z.object({
      onnx: z.string().min(1),
      /** Square input side in pixels. */
      input_size: z.number().int().positive(),
      mean: z.tuple([z.number(), z.number(), z.number()]),
      std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
      /** `center`: resize the short side then centre-crop (CLIP); `none`: resize to the square. */
      crop: z.enum(['center', 'none']).default('none'),
      inputs: z.object({ pixel_values: z.string().default('pixel_values') }).default({ pixel_values: 'pixel_values' }),
      outputs: z.object({
        embeds: z.string().default('image_embeds'),
        /** Dense patch embeddings [B, gh*gw, D] or [B, gh, gw, D], projected into the joint space. */
        patch_embeds: z.string().optional(),
      }),
      /** [rows, cols] of the patch grid when `patch_embeds` is present. */
      patch_grid: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    }),
    text: z.object({
      onnx: z.string().min(1),
      tokenizer: z.string().default('tokenizer.json'),
      context_length: z.number().int().positive(),
      inputs: z
        .object({ input_ids: z.string().default('input_ids'), attention_mask: z.string().nullable().default(null) })
        .default({ input_ids: 'input_ids', attention_mask: null }),
      outputs: z.object({ embeds: z.string().default('text_embeds') }).default({ embeds: 'text_embeds' }),
      /** Id used to pad to context_length (open_clip: 0; HF CLIP: the end-of-text id). */
      pad_token_id: z.number().int().min(0).default(0),
      /** Lower-case before tokenising when the tokenizer itself does not. */
      lowercase: z.boolean().default(true),
    }),
    /** Temperature the model was trained with (cosine × scale = logits). */
    logit_scale: z.number().positive().optional(),
    license: z.string().min(1),
    /** Model card file in the directory (Markdown). */
    card: z.string().min(1),
    /** Training lineage: parent model, data, metrics. */
    lineage: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

/** A validated manifest. */
export type ModelManifest = z.infer<typeof ModelManifestSchema>;

/** The string stored with every vector: `${id}@${version}`. */
export function modelVersionOf(m: Pick<ModelManifest, 'id' | 'version'>): string {
  return `${m.id}@${m.version}`;
}
