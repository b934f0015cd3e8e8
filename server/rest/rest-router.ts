import { Router, type Request, type Response } from 'express';
import { GeoscoutError, toGeoscoutError, type ErrorCode } from '../../core/errors.js';
import { log } from '../../core/log.js';
import type { ToolContext } from '../../tools/tool.js';
import type { AnyTool } from '../mcp/create-server.js';
import { jsonSchemaOf, openApiDocument } from './openapi.js';

const STATUS: Record<ErrorCode, number> = {
  INVALID_INPUT: 400, NOT_FOUND: 404, PERMISSION_DENIED: 403, CORRUPT_DATA: 422, UNSUPPORTED: 422,
  OUT_OF_BOUNDS: 400, LIMIT_EXCEEDED: 413, CONFLICT: 409, CANCELLED: 499, CONFIG: 500, INTERNAL: 500,
};

/**
 * REST mirror of the tool registry: `GET /api/tools`, `POST /api/tools/{name}` (JSON body
 * validated by the tool's zod input schema, JSON output), `GET /openapi.json`. A client
 * that disconnects aborts its call.
 */
export function restRouter(tools: AnyTool[], base: Omit<ToolContext, 'signal' | 'onProgress'>): Router {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const router = Router();
  router.get('/openapi.json', (req, res) => {
    res.json(openApiDocument(tools, `${req.protocol}://${req.get('host') ?? 'localhost'}`));
  });
  router.get('/api/tools', (_req, res) => {
    res.json({
      tools: tools.map((t) => ({ name: t.name, title: t.title, description: t.description, annotations: t.annotations, input_schema: jsonSchemaOf(t.inputSchema, 'input'), output_schema: jsonSchemaOf(t.outputSchema, 'output') })),
    });
  });
  router.post('/api/tools/:name', async (req: Request<{ name: string }>, res: Response) => {
    const tool = byName.get(req.params.name);
    if (!tool) return sendError(res, new GeoscoutError('NOT_FOUND', `No tool "${req.params.name}". GET /api/tools lists them: ${[...byName.keys()].join(', ')}.`));
    const parsed = tool.inputSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      return sendError(res, new GeoscoutError('INVALID_INPUT', `Invalid input for ${tool.name}: ${issues}. See GET /openapi.json for the schema.`, { details: { issues: parsed.error.issues } }));
    }
    const controller = new AbortController();
    const onClose = () => { if (!res.writableFinished) controller.abort(new Error('client disconnected')); };
    res.on('close', onClose);
    try {
      res.json(await tool.handler(parsed.data, { ...base, signal: controller.signal }));
    } catch (err) {
      sendError(res, toGeoscoutError(err));
    } finally {
      res.off('close', onClose);
    }
  });
  return router;
}

/** A GeoscoutError as the REST error shape, with the HTTP status of its code. */
export function sendError(res: Response, e: GeoscoutError): void {
  if (e.code === 'INTERNAL') log.error({ err: e }, 'REST tool call failed');
  if (res.headersSent || res.destroyed) return;
  res.status(STATUS[e.code]).json({ error: { code: e.code, message: e.message, details: e.details } });
}
