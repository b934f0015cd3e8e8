import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { readSecret } from '../../core/config.js';
import { GeoscoutError, throwIfAborted } from '../../core/errors.js';
import { HF_FILES } from './hf-layout.js';
import { ModelManifestSchema } from './manifest.js';
import { MANIFEST_FILE } from './model-dir.js';

/** The hub when neither --hub-url nor `models.hubUrl` ($GEOSCOUT_HUB_URL, $HF_ENDPOINT) names one. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Options for {@link pullModel}. */
export interface PullOptions {
  hubUrl?: string;
  revision?: string;
  /** Bearer token for gated/private repos (default `$HF_TOKEN`). */
  token?: string;
  signal?: AbortSignal;
  onFile?: (name: string, bytes: number) => void;
}

/**
 * Downloads a model repository laid out like the Hugging Face Hub
 * (`<hub>/<repo>/resolve/<revision>/<file>`) into a temp directory and returns it for
 * `ModelRegistry.import`. A repo with `geoscout-model.json` is fetched by its manifest;
 * otherwise the HF ONNX CLIP layout is fetched (root or `onnx/` subfolder).
 */
export async function pullModel(repo: string, opts: PullOptions = {}): Promise<string> {
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(repo) || repo.includes('..')) throw new GeoscoutError('INVALID_INPUT', `"${repo}" is not a hub id like owner/name.`);
  const base = `${(opts.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(opts.revision ?? 'main')}`;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'geoscout-pull-'));
  const get = (name: string) => download(`${base}/${name}`, path.join(dir, name), opts);
  try {
    if (await get(MANIFEST_FILE)) {
      const m = ModelManifestSchema.parse(JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')));
      for (const f of [m.image.onnx, m.text.onnx, m.text.tokenizer, m.card]) await fetchRequired(get, f, repo);
      await get('tokenizer_config.json');
      return dir;
    }
    for (const f of [...HF_FILES.config, ...HF_FILES.preprocessor, ...HF_FILES.tokenizer]) await fetchRequired(get, f, repo);
    await get('tokenizer_config.json');
    for (const group of [HF_FILES.vision, HF_FILES.text]) {
      let found = false;
      for (const f of [...group].reverse()) if (!found && (await get(f))) found = true;
      if (!found) throw new GeoscoutError('NOT_FOUND', `${repo} has no ${group.join(' or ')}; it is not an ONNX CLIP export.`);
    }
    return dir;
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function fetchRequired(get: (n: string) => Promise<boolean>, name: string, repo: string) {
  if (!(await get(name))) throw new GeoscoutError('NOT_FOUND', `${repo} has no ${name} on the hub.`, { details: { repo, file: name } });
}

/** Streams one file to disk; false on 404, errors on anything else. */
async function download(url: string, dest: string, opts: PullOptions): Promise<boolean> {
  throwIfAborted(opts.signal);
  const token = opts.token ?? readSecret('HF_TOKEN');
  let res: Response;
  try {
    res = await fetch(url, { ...(opts.signal ? { signal: opts.signal } : {}), ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}) });
  } catch (cause) {
    throw new GeoscoutError('NOT_FOUND', `Cannot reach ${url}: ${(cause as Error).message}. Without a network, copy the model folder here and use \`geoscout models import\`.`, { cause });
  }
  if (res.status === 404) return false;
  if (!res.ok || !res.body) {
    const hint = res.status === 401 || res.status === 403 ? ' The repo may be gated: set HF_TOKEN.' : '';
    throw new GeoscoutError('PERMISSION_DENIED', `GET ${url} answered ${res.status} ${res.statusText}.${hint}`, { details: { url, status: res.status } });
  }
  await mkdir(path.dirname(dest), { recursive: true });
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(dest));
  opts.onFile?.(path.basename(dest), Number(res.headers.get('content-length') ?? 0));
  return true;
}
