import { readSecret, type Config } from '../core/config.js';
import { GeoscoutError } from '../core/errors.js';
import { log } from '../core/log.js';

/** An OpenAI-compatible vision endpoint (a local Gemma/Qwen-VL server, vLLM, Ollama, …). */
export interface VisionConfig {
  /** Base URL up to `/v1`, e.g. http://127.0.0.1:8000/v1. */
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
}

/**
 * The vision endpoint from `docs.vision` (GEOSCOUT_VISION_URL + GEOSCOUT_VISION_MODEL), its key
 * from the variable `apiKeyEnv` names. Off (null) when unset: descriptions are an extra.
 */
export function visionFromConfig(cfg: Config['docs']['vision'], env: NodeJS.ProcessEnv = process.env): VisionConfig | null {
  if (!cfg) return null;
  const apiKey = readSecret(cfg.apiKeyEnv, env);
  return { baseUrl: cfg.baseUrl.replace(/\/+$/, ''), model: cfg.model, ...(apiKey ? { apiKey } : {}) };
}

/**
 * Asks the endpoint for a short factual description of a figure. Failures are logged
 * and give null: a missing description must never stop an ingest.
 */
export async function describeFigure(cfg: VisionConfig, png: Buffer, caption: string | null, signal?: AbortSignal): Promise<string | null> {
  const prompt = `Describe this figure from a document in two factual sentences: what objects it shows and any annotations.${caption ? ` Its caption is: "${caption}".` : ''}`;
  const timeout = AbortSignal.timeout(cfg.timeoutMs ?? 60_000);
  try {
    const res = await fetch(`${cfg.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {}) },
      body: JSON.stringify({
        model: cfg.model,
        max_tokens: 160,
        temperature: 0,
        messages: [{ role: 'user', content: [{ type: 'text', text: prompt }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }] }],
      }),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    if (!res.ok) throw new GeoscoutError('INTERNAL', `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { choices?: { message?: { content?: string } }[] };
    return body.choices?.[0]?.message?.content?.trim() || null;
  } catch (err) {
    if (signal?.aborted) throw err;
    log.warn({ err: (err as Error).message, url: cfg.baseUrl }, 'figure description failed; continuing without it');
    return null;
  }
}
