import type { z } from 'zod';
import { getJobTool } from './get-job.js';
import { getDocumentContextTool } from './get-document-context.js';
import { addPrototypeTool } from './add-prototype.js';
import { detectInRegionTool } from './detect-in-region.js';
import { getTileImageTool } from './get-tile-image.js';
import { listPrototypesTool } from './list-prototypes.js';
import { ingestImagesTool } from './ingest-images.js';
import { launchRetrainingTool } from './launch-retraining.js';
import { listImagesTool } from './list-images.js';
import { searchTilesTool } from './search-tiles.js';
import type { ToolDefinition } from './tool.js';

/** Every tool geoscout exposes, in the order clients list them. MCP, REST and the agent read this. */
type AnyTool = ToolDefinition<z.ZodTypeAny, z.ZodTypeAny>;

export const TOOLS: AnyTool[] = [
  listImagesTool,
  searchTilesTool,
  getTileImageTool,
  detectInRegionTool,
  addPrototypeTool,
  listPrototypesTool,
  getDocumentContextTool,
  ingestImagesTool,
  getJobTool,
  launchRetrainingTool,
] as unknown as AnyTool[];
