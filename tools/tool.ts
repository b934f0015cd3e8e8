import type { z } from 'zod';
import type { Config } from '../core/config.js';
import type { Store } from '../pipeline/index/store.js';
import type { ClipEncoder } from '../pipeline/models/encoder.js';
import type { Proposer } from '../pipeline/detect/proposer.js';

/** What a tool handler may use; MCP, REST, the agent and the CLI each build one. */
export interface ToolContext {
  config: Config;
  store(): Promise<Store>;
  /** The encoder for a model (default: the configured/active one), opened once and shared. */
  encoder(model?: string): Promise<ClipEncoder>;
  /** Class-agnostic object proposals (trained objectness model when shipped), opened once and shared. */
  proposer?(): Promise<Proposer>;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message?: string) => void;
}

/** MCP tool annotations, set explicitly on every tool. */
export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** Media a tool adds next to its text: image blocks (already downscaled) and links to resources. */
export interface ToolMedia {
  images?: Array<{ /** base64 bytes */ data: string; mimeType: string }>;
  resourceLinks?: Array<{ uri: string; name: string; title?: string; description?: string; mimeType?: string }>;
}

/**
 * One tool: name, zod input/output schemas and a pure handler. `tools/registry.ts`
 * lists them; the MCP server, REST and the agent read the same definitions.
 */
export interface ToolDefinition<I extends z.ZodTypeAny, O extends z.ZodTypeAny> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: ToolAnnotations;
  handler(input: z.infer<I>, ctx: ToolContext): Promise<z.infer<O>>;
  /** A short human-readable rendering of the output (MCP text content, CLI). */
  render(output: z.infer<O>): string;
  /**
   * Optional: the structuredContent MCP sends when media carries the bulk (the picture goes
   * once, as the image block); default: the whole output.
   */
  structured?: { schema: z.ZodTypeAny; of(output: z.infer<O>): Record<string, unknown> };
  /** Optional: images and resource links for MCP clients (the structured output stays the contract). */
  media?(output: z.infer<O>, input: z.infer<I>): ToolMedia | Promise<ToolMedia>;
}
