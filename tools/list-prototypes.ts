import { z } from 'zod';
import { listPrototypes } from '../pipeline/prototypes/prototypes.js';
import { PrototypeSummarySchema } from '../pipeline/prototypes/schemas.js';
import { renderPrototype } from './add-prototype.js';
import type { ToolDefinition } from './tool.js';

/** Input of list_prototypes. */
export const listPrototypesInput = z
  .object({
    model: z.string().optional().describe('model id or id@version (default: the active model); "all" for every model'),
  })
  .strict();

/** Output of list_prototypes. */
export const listPrototypesOutput = z.object({ prototypes: z.array(PrototypeSummarySchema) });

/** list_prototypes: the current version of every prototype. */
export const listPrototypesTool: ToolDefinition<typeof listPrototypesInput, typeof listPrototypesOutput> = {
  name: 'list_prototypes',
  title: 'List prototypes',
  description: 'List the named few-shot prototypes (current versions) usable in search_tiles and detect_in_region, with example counts and self-check scores.',
  inputSchema: listPrototypesInput,
  outputSchema: listPrototypesOutput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(input, ctx) {
    const mv = input.model === 'all' ? undefined : (await ctx.encoder(input.model)).modelVersion;
    return { prototypes: await listPrototypes(await ctx.store(), mv) };
  },
  render: (out) => (out.prototypes.length ? out.prototypes.map(renderPrototype).join('\n') : 'No prototypes yet: add_prototype defines one from a few example chips.'),
};
