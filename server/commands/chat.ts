import { createInterface } from 'node:readline/promises';
import type { BaseMessage } from '@langchain/core/messages';
import { Command } from 'commander';
import type { AgentEvent, AskOptions, AskResult, McpTarget } from '../../agent/ask-agent.js';
import { action, printJson } from '../cli-context.js';
import { readSecret } from '../../core/config.js';

/** LangChain loads lazily: it costs seconds of start-up that every other command (and `geoscout mcp`) would pay. */
async function askAgent(opts: AskOptions): Promise<AskResult> {
  return (await import('../../agent/ask-agent.js')).askAgent(opts);
}

interface AgentOptions { url?: string; token?: string }

function targetOf(o: AgentOptions): McpTarget | undefined {
  if (!o.url) return undefined;
  const token = o.token ?? readSecret('GEOSCOUT_TOKEN');
  return { kind: 'http', url: o.url, ...(token ? { token } : {}) };
}

const withTarget = (cmd: Command) =>
  cmd
    .option('--url <url>', 'MCP server URL (e.g. http://127.0.0.1:8765/mcp); default: spawn `geoscout mcp` over stdio')
    .option('--token <token>', 'bearer token for --url (default $GEOSCOUT_TOKEN)');

/** `geoscout ask "<question>"`: one grounded answer as JSON {answer, citations, tool_trace}. */
export function askCommand(): Command {
  return withTarget(new Command('ask').description('ask the agent one question; prints JSON {answer, citations[], tool_trace[]} (LLM from GEOSCOUT_LLM_* / config llm)'))
    .argument('<question>', 'the question, e.g. "how many aircraft are parked at the airfield on 2024-06-03?"')
    .action(
      action(async (ctx, question: string, o: AgentOptions) => {
        const target = targetOf(o);
        const r = await askAgent({ question, config: ctx.config, signal: ctx.signal, ...(target ? { server: target } : {}) });
        printJson({ answer: r.answer, citations: r.citations, tool_trace: r.tool_trace });
      }),
    );
}

/** `geoscout chat`: interactive terminal chat, streaming the answer and showing tool calls. */
export function chatCommand(): Command {
  return withTarget(new Command('chat').description('interactive chat with the agent (streams answers, shows tool calls; /exit to quit)')).action(
    action(async (ctx, o: AgentOptions) => {
      const target = targetOf(o);
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const history: BaseMessage[] = [];
      const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
      const onEvent = (e: AgentEvent) => {
        if (e.type === 'token') process.stdout.write(e.text);
        else if (e.type === 'tool_call') process.stdout.write(dim(`\n→ ${e.name} ${JSON.stringify(e.args)}\n`));
        else process.stdout.write(dim(`${e.ok ? '←' : '✗'} ${e.name}: ${e.summary.split('\n')[0]}\n`));
      };
      try {
        for (;;) {
          const q = (await rl.question('\nyou> ').catch(() => '/exit')).trim();
          if (q === '/exit' || q === '/quit' || ctx.signal.aborted) break;
          if (!q) continue;
          process.stdout.write('geoscout> ');
          const r = await askAgent({ question: q, config: ctx.config, history, onEvent, signal: ctx.signal, ...(target ? { server: target } : {}) });
          history.splice(0, history.length, ...r.messages);
          if (r.citations.length) process.stdout.write(dim(`\n[${r.citations.length} citation(s): ${r.citations.map((c) => c.tile_id ?? c.doc_id ?? c.image_id).join(', ')}]`));
          process.stdout.write('\n');
        }
      } finally {
        rl.close();
      }
    }),
  );
}
