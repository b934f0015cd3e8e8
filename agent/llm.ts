import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { readSecret, type Config } from '../core/config.js';
import { GeoscoutError } from '../core/errors.js';

/**
 * The chat model from config/env: `openai` speaks to any OpenAI-compatible endpoint
 * (OpenAI, vLLM, Ollama, LM Studio: set llm.baseUrl / GEOSCOUT_LLM_BASE_URL), `anthropic`
 * to Claude. Keys come from the environment only (OPENAI_API_KEY / ANTHROPIC_API_KEY or
 * llm.apiKeyEnv), never from the config file.
 */
export async function createChatModel(llm: Config['llm'], env: NodeJS.ProcessEnv = process.env): Promise<BaseChatModel> {
  const model = llm.model;
  if (!model) {
    throw new GeoscoutError('CONFIG', 'No LLM model configured: set GEOSCOUT_LLM_MODEL (e.g. gpt-4o-mini, claude-sonnet-4-5, or the model name your vLLM/Ollama server serves) or llm.model in the config.');
  }
  if (llm.provider === 'anthropic') {
    const keyVar = llm.apiKeyEnv ?? 'ANTHROPIC_API_KEY';
    // Trimmed, and blank counts as unset: a key pasted with its newline, or exported empty,
    // would otherwise reach the provider and come back as a 401 at the first question.
    const apiKey = readSecret(keyVar, env);
    if (!apiKey) throw new GeoscoutError('CONFIG', `Set ${keyVar} to use the Anthropic provider.`);
    const { ChatAnthropic } = await import('@langchain/anthropic');
    return new ChatAnthropic({ model, apiKey, temperature: llm.temperature, ...(llm.baseUrl ? { anthropicApiUrl: llm.baseUrl } : {}) });
  }
  const keyVar = llm.apiKeyEnv ?? 'OPENAI_API_KEY';
  // Local OpenAI-compatible servers (vLLM, Ollama) accept any key; OpenAI itself needs one.
  const apiKey = readSecret(keyVar, env) ?? (llm.baseUrl ? 'not-needed' : undefined);
  if (!apiKey) throw new GeoscoutError('CONFIG', `Set ${keyVar}, or GEOSCOUT_LLM_BASE_URL for a local OpenAI-compatible server (vLLM, Ollama).`);
  const { ChatOpenAI } = await import('@langchain/openai');
  return new ChatOpenAI({ model, apiKey, temperature: llm.temperature, ...(llm.baseUrl ? { configuration: { baseURL: llm.baseUrl } } : {}) });
}
