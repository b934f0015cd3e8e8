import { z } from 'zod';
import type { AnyTool } from '../mcp/create-server.js';

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of a zod schema, for request or response side. */
export function jsonSchemaOf(schema: z.ZodTypeAny, io: 'input' | 'output'): Record<string, unknown> {
  const js = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete js.$schema;
  return js;
}

const ErrorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'INVALID_INPUT, NOT_FOUND, PERMISSION_DENIED, …' },
        message: { type: 'string', description: 'what went wrong and what to change' },
        details: { type: 'object' },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
};

/**
 * An OpenAPI 3.1 document for the REST mirror of the tools, generated from the same zod
 * schemas MCP lists, so the two never drift apart.
 */
export function openApiDocument(tools: AnyTool[], serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {
    '/api/tools': {
      get: {
        operationId: 'listTools',
        summary: 'The tools, with their input/output JSON Schemas and annotations',
        responses: { '200': { description: 'tool list', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  for (const t of tools) {
    const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    paths[`/api/tools/${t.name}`] = {
      post: {
        operationId: t.name,
        summary: t.title,
        description: t.description,
        'x-mcp-annotations': t.annotations,
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(t.inputSchema, 'input') } } },
        responses: {
          '200': { description: 'the tool output (same as MCP structuredContent)', content: { 'application/json': { schema: jsonSchemaOf(t.outputSchema, 'output') } } },
          '400': err('invalid input: the message says which field and what to change'),
          '401': err('missing or wrong bearer token'),
          '403': err('foreign Origin, or a path outside the allowed roots'),
          '404': err('unknown tool, image, tile or model'),
          '500': err('internal error'),
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'geoscout REST API', version: '0.1.0', description: 'The geoscout MCP tools as plain JSON endpoints. Authenticate with `Authorization: Bearer <token>`.' },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ErrorBody },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
