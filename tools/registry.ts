import type { z } from 'zod';
import { getTileImageTool } from './get-tile-image.js';
import { listImagesTool } from './list-images.js';
import { searchTilesTool } from './search-tiles.js';
import type { ToolDefinition } from './tool.js';

/** Every tool geoscout exposes, in the order clients list them. MCP, REST and the agent read this. */
type AnyTool = ToolDefinition<z.ZodTypeAny, z.ZodTypeAny>;

export const TOOLS: AnyTool[] = [
  listImagesTool as unknown as AnyTool,
  searchTilesTool as unknown as AnyTool, getTileImageTool as unknown as AnyTool];
