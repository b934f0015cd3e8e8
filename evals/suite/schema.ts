/**
 * The eval suite format (YAML or JSONL; `evals/suite.schema.json` is generated from
 * these zod schemas). A suite names an optional synthetic world to build first, then
 * tasks: an analyst question, its scope, checks on the answer, and an oracle plan
 * (scripted tool calls + an answer extractor) that measures the tools without an LLM.
 */
import { z } from 'zod';

/** Task tags the report groups by. */
export const TASK_TAGS = ['count', 'locate', 'identify', 'document', 'out-of-context', 'no-answer', 'scope'] as const;

const LonLat = z.tuple([z.number(), z.number()]).describe('[lon, lat] WGS84');

/** What the question is about: images (ids, or scene names of the suite world), area, time. */
export const scopeSchema = z
  .object({
    images: z.array(z.string()).optional().describe('image ids, or scene names of the suite world (resolved to their image ids)'),
    bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional().describe('WGS84 [minLon, minLat, maxLon, maxLat]'),
    from: z.string().optional().describe('acquired at or after (ISO 8601)'),
    to: z.string().optional().describe('acquired at or before (ISO 8601)'),
  })
  .strict();

/** One check on the answer; a task passes when all its checks pass. */
export const checkSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exact'), value: z.union([z.string(), z.number(), z.boolean()]).describe('the answer must equal this (strings compare trimmed, case-insensitive unless case_sensitive)'), case_sensitive: z.boolean().optional() }).strict(),
  z.object({ type: z.literal('number'), value: z.number(), tolerance: z.number().min(0).default(0).describe('absolute tolerance'), rel_tolerance: z.number().min(0).optional().describe('relative tolerance (of value); the larger of both applies') }).strict(),
  z.object({
    type: z.literal('set'),
    items: z.array(z.string()).describe('the expected items (compared case-insensitively)'),
    mode: z.enum(['exact', 'pr']).default('exact').describe('exact: same set; pr: precision and recall at least the minimums'),
    min_precision: z.number().min(0).max(1).default(1),
    min_recall: z.number().min(0).max(1).default(1),
  }).strict(),
  z.object({ type: z.literal('contains'), text: z.string().min(1), case_sensitive: z.boolean().optional() }).strict(),
  z.object({ type: z.literal('regex'), pattern: z.string().min(1), flags: z.string().optional() }).strict(),
  z.object({ type: z.literal('location'), points: z.array(LonLat).min(1).describe('acceptable true locations; the nearest counts'), within_m: z.number().positive() }).strict(),
  z.object({ type: z.literal('none'), description: z.string().optional().describe('the honest answer is "none found": 0, an empty list, null or a "none/no" text') }).strict(),
  z.object({
    type: z.literal('citation'),
    kind: z.enum(['tile', 'page', 'image', 'any']).describe('evidence that must be cited'),
    min: z.number().int().min(1).default(1),
    match: z.string().optional().describe('regex a cited id must match (e.g. a document id)'),
  }).strict(),
]);

/** One scripted tool call; `input` strings may hold {{templates}} (see evals/suite/template.ts). */
export const oracleStepSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z_][\w]*$/).describe('name later templates use: {{steps.<id>.…}}'),
    tool: z.string().describe('a tool name from tools/registry.ts'),
    input: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** How the oracle turns tool outputs into an answer. */
export const extractorSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('value'), step: z.string(), path: z.string().describe('dot path, e.g. counts.ship or hits.0.image_id') }).strict(),
  z.object({ kind: z.literal('count'), step: z.string(), path: z.string().default('features').describe('array whose length is the answer'), min_score: z.number().optional().describe('count only items with score ≥ this') }).strict(),
  z.object({ kind: z.literal('set'), step: z.string(), path: z.string().describe('array'), field: z.string().describe('dot path inside each item'), min_score: z.number().optional() }).strict(),
  z.object({ kind: z.literal('location'), step: z.string(), path: z.string().default('hits.0').describe('item with lon/lat, best_box, center, or a GeoJSON geometry') }).strict(),
  z.object({
    kind: z.literal('argmax'),
    steps: z.array(z.string()).min(2),
    labels: z.array(z.string()).describe('answer for each step, same order'),
    path: z.string().default('hits.0.score').describe('number compared across steps (missing = −∞)'),
    relative_to: z.array(z.string()).optional().describe('steps (same order) whose value at path is subtracted first, e.g. the same query without the area filter: compares how close each query gets to its own best match, not raw scores of different texts'),
  }).strict(),
]);

/** Scripted plan for oracle mode. */
export const oraclePlanSchema = z.object({ steps: z.array(oracleStepSchema).min(1), answer: extractorSchema }).strict();

/** Extra metrics computed from a step's ranked output (PR curves in the report). */
export const taskMetricSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ranking'),
    step: z.string(),
    path: z.string().default('hits'),
    truth_points: z.array(LonLat).describe('where relevant objects are'),
    within_m: z.number().positive().describe('a ranked item within this distance of a truth point is relevant'),
  }).strict(),
  z.object({
    kind: z.literal('detection'),
    step: z.string(),
    path: z.string().default('features'),
    truth_boxes: z.array(z.tuple([z.number(), z.number(), z.number(), z.number()])).describe('pixel [x, y, w, h] of the true objects'),
    iou: z.number().min(0).max(1).default(0.5),
  }).strict(),
]);

/** One task. */
export const taskSchema = z
  .object({
    id: z.string().regex(/^[\w.-]+$/),
    question: z.string().min(1),
    tags: z.array(z.enum(TASK_TAGS)).min(1),
    scope: scopeSchema.default({}),
    expected: z.array(checkSchema).min(1),
    expected_tools: z.array(z.string()).optional().describe('tools a good agent is expected to call'),
    oracle: oraclePlanSchema.optional(),
    metrics: z.array(taskMetricSchema).optional(),
    timeout_s: z.number().positive().optional(),
    notes: z.string().optional(),
  })
  .strict();

/** A synthetic scene of the suite world (pipeline/synth generateScene options). */
export const worldSceneSchema = z
  .object({
    name: z.string().regex(/^[\w.-]+$/),
    seed: z.number().int(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    gsd_m: z.number().positive().optional(),
    center: LonLat.optional(),
    acquired_at: z.string().optional(),
    sensor: z.string().optional(),
  })
  .strict();

/** Data a suite needs before it runs; built once per suite and model, then reused. */
export const worldSchema = z
  .object({
    scenes: z.array(worldSceneSchema).default([]),
    documents: z.object({ corpus: z.literal('generated').describe('the generated PDF corpus of knowledge/corpus, indexed into the world database') }).strict().optional(),
  })
  .strict();

/** A suite file. */
export const suiteSchema = z
  .object({
    name: z.string().regex(/^[\w.-]+$/),
    version: z.string().default('1'),
    description: z.string().optional(),
    world: worldSchema.optional(),
    defaults: z.object({ timeout_s: z.number().positive().default(60) }).strict().default({ timeout_s: 60 }),
    tasks: z.array(taskSchema).min(1),
  })
  .strict();

/** Parsed types. */
export type Suite = z.infer<typeof suiteSchema>;
export type Task = z.infer<typeof taskSchema>;
export type Check = z.infer<typeof checkSchema>;
export type Extractor = z.infer<typeof extractorSchema>;
export type Scope = z.infer<typeof scopeSchema>;
export type TaskMetric = z.infer<typeof taskMetricSchema>;
export type World = z.infer<typeof worldSchema>;

/** The JSON Schema of a suite file (written to evals/suite.schema.json). */
export function suiteJsonSchema(): unknown {
  return z.toJSONSchema(suiteSchema, { io: 'input' });
}
