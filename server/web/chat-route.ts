import { AIMessage, HumanMessage, type BaseMessage } from '@langchain/core/messages';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { askAgent, type AgentEvent, type McpTarget } from '../../agent/ask-agent.js';
import { createChatModel } from '../../agent/llm.js';
import type { Config } from '../../core/config.js';
import { GeoscoutError, toGeoscoutError } from '../../core/errors.js';
import { log } from '../../core/log.js';
import { sendError } from '../rest/rest-router.js';

/** Body of POST /api/chat. */
export const chatRequest = z
  .object({
    question: z.string().min(1).max(4000),
    history: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string().max(20_000) }).strict()).max(40).default([]),
  })
  .strict();

/** Where the chat reaches the tools: this server's own /mcp (known once it listens). */
export type McpSelf = () => McpTarget;

/**
 * The web app's chat: `GET /api/chat/status` says whether an LLM is configured (and how to
 * configure one when not); `POST /api/chat` runs the agent against this server's MCP endpoint
 * and streams its tokens, tool calls and results as server-sent events, ending with
 * `done` (answer + citations) or `error`. Closing the request cancels the run.
 */
export function chatRouter(config: Config, self: McpSelf): Router {
  const router = Router();
  router.get('/api/chat/status', async (_req, res) => {
    try {
      await createChatModel(config.llm);
      res.json({ configured: true, provider: config.llm.provider, model: config.llm.model });
    } catch (err) {
      res.json({ configured: false, message: toGeoscoutError(err).message });
    }
  });
  router.post('/api/chat', async (req: Request, res: Response) => {
    const parsed = chatRequest.safeParse(req.body ?? {});
    if (!parsed.success) {
      sendError(res, new GeoscoutError('INVALID_INPUT', `Invalid chat request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}. Send {"question": "…", "history": [{"role", "content"}]}.`));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => { if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`); };
    const controller = new AbortController();
    res.on('close', () => { if (!res.writableFinished) controller.abort(new Error('client disconnected')); });
    try {
      const result = await askAgent({
        question: parsed.data.question,
        history: parsed.data.history.map((m): BaseMessage => (m.role === 'user' ? new HumanMessage(m.content) : new AIMessage(m.content))),
        server: self(),
        config,
        signal: controller.signal,
        onEvent: (e: AgentEvent) => send(e.type, e),
      });
      send('done', { answer: result.answer, citations: result.citations, tool_trace: result.tool_trace.map((t) => ({ name: t.name, ok: t.ok, summary: t.summary })) });
    } catch (err) {
      const e = toGeoscoutError(err);
      if (e.code === 'INTERNAL') log.error({ err }, 'web chat failed');
      send('error', { code: e.code, message: e.message });
    } finally {
      res.end();
    }
  });
  return router;
}
