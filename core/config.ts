import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { GeoscoutError } from './errors.js';

/** The configuration schema. Every field has a default so an empty file is valid. */
export const ConfigSchema = z
  .object({
    /** Where geoscout keeps its state (database, thumbnails, generated data). */
    dataDir: z.string().min(1).default('.geoscout'),
    /** LanceDB directory or object-store URI (s3://, gs://, az://). Defaults to `<dataDir>/lancedb`. */
    dbUri: z.string().min(1).optional(),
    /** Directories images and documents may be read from. Empty means no restriction (CLI use). */
    allowedRoots: z.array(z.string().min(1)).default([]),
    raster: z
      .object({
        /** Pixel reader: `auto` uses sharp/libvips where it can decode the file, geotiff.js otherwise. */
        reader: z.enum(['auto', 'sharp', 'geotiff']).default('auto'),
        /** Largest window one read may return, in pixels (guards memory). */
        maxWindowPixels: z.number().int().positive().default(8192 * 8192),
        /** Percentiles of the per-image histogram mapped to 0 and 255 for >8-bit data. */
        stretchPercentiles: z.tuple([z.number().min(0).max(50), z.number().min(50).max(100)]).default([2, 98]),
      })
      .default({ reader: 'auto', maxWindowPixels: 8192 * 8192, stretchPercentiles: [2, 98] }),
    models: z
      .object({
        /** Model to use instead of the registry's active one (id or id@version). */
        active: z.string().min(1).optional(),
        /** ONNX Runtime execution provider: `cuda` on GPU nodes (needs onnxruntime-node's CUDA build). */
        provider: z.enum(['cpu', 'cuda']).default('cpu'),
        /** Intra-op threads per session (default: the cores of this machine). */
        threads: z.number().int().positive().optional(),
        batchSize: z.number().int().positive().default(16),
        /** Hub for `models pull` (default $HF_ENDPOINT or https://huggingface.co). */
        hubUrl: z.string().url().optional(),
      })
      .default({ provider: 'cpu', batchSize: 16 }),
    index: z
      .object({
        /**
         * Storage of tile vectors in tables created from now on: `float32` (512 B a 128-d
         * tile), or `float16` (half; about 4.5 % of the GeoTIFFs instead of 6.5 %, but LanceDB
         * 0.37 builds IVF-PQ on half vectors ~10× slower on CPU). Existing tables keep theirs.
         */
        vectorType: z.enum(['float32', 'float16']).default('float32'),
      })
      .strict()
      .default({ vectorType: 'float32' }),
    detect: z
      .object({
        /** `objectness`: the shipped proposal model plus saliency blobs; `saliency`: blobs only (model-free, for comparisons). */
        proposals: z.enum(['objectness', 'saliency']).default('objectness'),
      })
      .strict()
      .default({ proposals: 'objectness' }),
    docs: z
      .object({
        /** Another ONNX sentence model (model.onnx + tokenizer.json, MiniLM's input/output names); default the shipped MiniLM. */
        textModelDir: z.string().min(1).optional(),
        /** PDFs larger than this are skipped. */
        maxMB: z.number().positive().default(200),
        /** PDFs with more pages are skipped. */
        maxPages: z.number().int().positive().default(2000),
        /**
         * An OpenAI-compatible vision endpoint (a local Qwen-VL/Gemma server, vLLM, Ollama) that
         * describes figures at document ingest; unset: no descriptions (they are an extra).
         */
        vision: z
          .object({
            /** Base URL up to `/v1`, e.g. http://127.0.0.1:8000/v1. */
            baseUrl: z.string().url(),
            model: z.string().min(1),
            /** Env variable holding the API key, if the endpoint wants one. */
            apiKeyEnv: z.string().min(1).default('GEOSCOUT_VISION_API_KEY'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ maxMB: 200, maxPages: 2000 }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    server: z
      .object({
        /** `geoscout serve` binds here; loopback by default. */
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8765),
        /** File holding the bearer token (first line); `$GEOSCOUT_TOKEN` wins. */
        tokenFile: z.string().min(1).optional(),
        /** Browser origins allowed to call the server besides its own address. */
        allowedOrigins: z.array(z.string().url()).default([]),
        /** Host names the Host header may carry besides the bind address (a DNS name, a proxy's). */
        allowedHosts: z.array(z.string().min(1)).default([]),
        /** Open MCP sessions at most; a new client beyond it gets an error until one closes or expires. */
        maxSessions: z.number().int().min(1).max(100_000).default(200),
        /** Sessions idle this long are closed. */
        sessionIdleMinutes: z.number().min(1).max(7 * 24 * 60).default(30),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 8765, allowedOrigins: [], allowedHosts: [], maxSessions: 200, sessionIdleMinutes: 30 }),
    llm: z
      .object({
        /** `openai` = any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, LM Studio); `anthropic` = Claude. */
        provider: z.enum(['openai', 'anthropic']).default('openai'),
        /** Endpoint of an OpenAI-compatible server, e.g. http://localhost:11434/v1 (Ollama). */
        baseUrl: z.string().url().optional(),
        model: z.string().min(1).optional(),
        temperature: z.number().min(0).max(2).default(0),
        /** Env variable holding the API key (default OPENAI_API_KEY / ANTHROPIC_API_KEY). */
        apiKeyEnv: z.string().min(1).optional(),
        /** Tool-call rounds the agent may take before it must answer. */
        maxSteps: z.number().int().min(1).max(100).default(12),
      })
      .strict()
      .default({ provider: 'openai', temperature: 0, maxSteps: 12 }),
    /** Where long jobs (ingest, train, re-embed, evaluate) run: this machine or a Slurm cluster. */
    jobs: z
      .object({
        /** `local`: a detached worker process on this machine; `slurm`: sbatch on a cluster. */
        backend: z.enum(['local', 'slurm']).default('local'),
        slurm: z
          .object({
            partition: z.string().min(1).optional(),
            account: z.string().min(1).optional(),
            /** Nodes for a training job (torchrun spans them; one rendezvous on the first node). */
            nodes: z.number().int().positive().default(1),
            /** GPUs per node (`--gpus-per-node`, torchrun's nproc_per_node); 0 = CPU, one process per node. */
            gpusPerNode: z.number().int().min(0).default(0),
            cpusPerTask: z.number().int().positive().default(2),
            /** Wall time, Slurm syntax (`HH:MM:SS`, `D-HH:MM:SS`). */
            time: z.string().min(1).default('02:00:00'),
            /** Memory per node, Slurm syntax (`64G`); unset leaves the partition default. */
            mem: z.string().min(1).optional(),
            /** Container image for pyxis/enroot (`--container-image`); unset runs on the host environment. */
            container: z.string().min(1).optional(),
            /** Container mounts (`--container-mounts`), e.g. the shared data directory. */
            containerMounts: z.string().min(1).optional(),
            /** Shell lines run before the worker (module load, venv activation, env exports). */
            setup: z.array(z.string()).default([]),
            /** Extra `#SBATCH` options, e.g. `--qos=high`. */
            extraArgs: z.array(z.string()).default([]),
            /** Python with geoscout_train importable on the nodes (default: the repo's .venv-train). */
            python: z.string().min(1).optional(),
            /** Node.js on the nodes (default: the one running geoscout now). */
            node: z.string().min(1).optional(),
            /** Array tasks an ingest job is split into (images are dealt round-robin). */
            ingestShards: z.number().int().positive().default(1),
            /** Rendezvous port for multi-node torchrun. */
            rdzvPort: z.number().int().positive().default(29500),
          })
          .strict()
          .default({ nodes: 1, gpusPerNode: 0, cpusPerTask: 2, time: '02:00:00', setup: [], extraArgs: [], ingestShards: 1, rdzvPort: 29500 }),
      })
      .strict()
      .default({ backend: 'local', slurm: { nodes: 1, gpusPerNode: 0, cpusPerTask: 2, time: '02:00:00', setup: [], extraArgs: [], ingestShards: 1, rdzvPort: 29500 } }),
  })
  .strict();

/** Validated configuration with paths resolved to absolute form. */
export type Config = z.infer<typeof ConfigSchema> & { dbUri: string; configFile?: string };

/** Environment variables that override the file; documented in the README's configuration table. */
export const ENV_KEYS = {
  GEOSCOUT_DATA_DIR: 'dataDir',
  GEOSCOUT_DB_URI: 'dbUri',
  GEOSCOUT_ALLOWED_ROOTS: 'allowedRoots',
  GEOSCOUT_RASTER_READER: 'raster.reader',
  GEOSCOUT_LOG_LEVEL: 'logLevel',
  GEOSCOUT_MODEL: 'models.active',
  GEOSCOUT_ORT_PROVIDER: 'models.provider',
  GEOSCOUT_JOBS_BACKEND: 'jobs.backend',
  GEOSCOUT_TOKEN_FILE: 'server.tokenFile',
  GEOSCOUT_LLM_PROVIDER: 'llm.provider',
  GEOSCOUT_LLM_BASE_URL: 'llm.baseUrl',
  GEOSCOUT_LLM_MODEL: 'llm.model',
  GEOSCOUT_PROPOSALS: 'detect.proposals',
  GEOSCOUT_TEXT_MODEL_DIR: 'docs.textModelDir',
  GEOSCOUT_DOCS_MAX_MB: 'docs.maxMB',
  GEOSCOUT_DOCS_MAX_PAGES: 'docs.maxPages',
  GEOSCOUT_VISION_URL: 'docs.vision.baseUrl',
  GEOSCOUT_VISION_MODEL: 'docs.vision.model',
  // The Hub's own variable first, so geoscout's wins when both are set.
  HF_ENDPOINT: 'models.hubUrl',
  GEOSCOUT_HUB_URL: 'models.hubUrl',
  // Exported by geoscout's sbatch scripts (the submitting side's resolved Python) and honoured anywhere.
  GEOSCOUT_TRAIN_PYTHON: 'jobs.slurm.python',
} as const;

/**
 * Secrets, read from the environment where they are used and never copied into the Config
 * object, so a config dump, a job spec or an error's details cannot carry them. The LLM's
 * key is named by `llm.apiKeyEnv` (default OPENAI_API_KEY / ANTHROPIC_API_KEY), the vision
 * endpoint's by `docs.vision.apiKeyEnv`. Documented in the README's configuration table.
 */
export const SECRET_ENV = ['GEOSCOUT_TOKEN', 'HF_TOKEN'] as const;

/** A secret from the environment (trimmed; empty counts as unset). */
export function readSecret(name: (typeof SECRET_ENV)[number] | string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** Variables whose value is a number (the rest are strings; allowedRoots a path list). */
const NUMERIC_ENV = new Set<string>(['docs.maxMB', 'docs.maxPages']);

/**
 * Loads configuration: defaults ← file (`--config`, `$GEOSCOUT_CONFIG`, or
 * `./geoscout.config.json` when present) ← environment. Throws CONFIG with the
 * offending field named when validation fails.
 */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const explicit = opts.file ?? env.GEOSCOUT_CONFIG;
  const candidate = explicit ?? path.join(cwd, 'geoscout.config.json');
  let raw: Record<string, unknown> = {};
  let configFile: string | undefined;
  if (explicit || existsSync(candidate)) {
    configFile = path.resolve(cwd, candidate);
    raw = readJsonFile(configFile);
  }
  applyEnv(raw, env);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new GeoscoutError('CONFIG', `Invalid configuration${configFile ? ` in ${configFile}` : ''}: ${issues}`, {
      details: { configFile, issues: parsed.error.issues },
    });
  }
  const base = configFile ? path.dirname(configFile) : cwd;
  const dataDir = path.resolve(base, parsed.data.dataDir);
  const dbUri = parsed.data.dbUri && /^[a-z][a-z0-9+.-]*:\/\//i.test(parsed.data.dbUri)
    ? parsed.data.dbUri
    : path.resolve(base, parsed.data.dbUri ?? path.join(dataDir, 'lancedb'));
  return {
    ...parsed.data,
    dataDir,
    dbUri,
    allowedRoots: parsed.data.allowedRoots.map((r) => path.resolve(base, r)),
    docs: { ...parsed.data.docs, ...(parsed.data.docs.textModelDir ? { textModelDir: path.resolve(base, parsed.data.docs.textModelDir) } : {}) },
    server: { ...parsed.data.server, ...(parsed.data.server.tokenFile ? { tokenFile: path.resolve(base, parsed.data.server.tokenFile) } : {}) },
    ...(configFile ? { configFile } : {}),
  };
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new GeoscoutError('CONFIG', `Cannot read configuration file ${file}: create it or point --config elsewhere.`, { cause });
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('top level must be an object');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new GeoscoutError('CONFIG', `Configuration file ${file} is not a JSON object: ${(cause as Error).message}`, { cause });
  }
}

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // A number that does not parse stays a string, so the error names the field.
    const parsed: unknown = key === 'allowedRoots' ? value.split(path.delimiter).filter(Boolean) : NUMERIC_ENV.has(key) && Number.isFinite(Number(value)) ? Number(value) : value;
    const parts = key.split('.');
    let target = raw;
    for (const part of parts.slice(0, -1)) {
      const next = target[part];
      target = (target[part] = next && typeof next === 'object' ? next : {}) as Record<string, unknown>;
    }
    target[parts[parts.length - 1]!] = parsed;
  }
}
