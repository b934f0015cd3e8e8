import type { z } from 'zod';
import { searchTilesTool } from './search-tiles.js';
import type { ToolDefinition } from './tool.js';

/** Every tool geoscout exposes, in the order clients list them. MCP, REST and the agent read this. */
export const TOOLS: ToolDefinition<z.ZodTypeAny, z.ZodTypeAny>[] = [searchTilesTool as unknown as ToolDefinition<z.ZodTypeAny, z.ZodTypeAny>];
