import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { GeoscoutError } from '../../core/errors.js';
import { ModelManifestSchema, type ModelManifest } from './manifest.js';

/** The manifest file name inside a model directory. */
export const MANIFEST_FILE = 'geoscout-model.json';

/**
 * Reads and validates `<dir>/geoscout-model.json` and checks that every file it names
 * exists. Each mistake gets its own message naming the file and the field.
 */
export async function readModelDir(dir: string): Promise<ModelManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new GeoscoutError('NOT_FOUND', `${dir} is not a geoscout model directory: ${MANIFEST_FILE} is missing. For a Hugging Face ONNX CLIP folder use \`geoscout models import\`, which writes it.`, {
        cause, details: { path: file },
      });
    }
    throw new GeoscoutError('INVALID_INPUT', `${file} is not valid JSON: ${(cause as Error).message}`, { cause, details: { path: file } });
  }
  const parsed = ModelManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new GeoscoutError('INVALID_INPUT', `${file} does not follow the model contract: ${issues}`, { details: { path: file, issues: parsed.error.issues } });
  }
  const m = parsed.data;
  if (m.image.outputs.patch_embeds && !m.image.patch_grid) {
    throw new GeoscoutError('INVALID_INPUT', `${file}: image.outputs.patch_embeds is set but image.patch_grid is missing; add [rows, cols].`);
  }
  for (const [field, name] of [['image.onnx', m.image.onnx], ['text.onnx', m.text.onnx], ['text.tokenizer', m.text.tokenizer], ['card', m.card]] as const) {
    await access(path.join(dir, name)).catch((cause: unknown) => {
      throw new GeoscoutError('NOT_FOUND', `${file}: ${field} names ${name}, which is not in ${dir}.`, { cause, details: { path: path.join(dir, name), field } });
    });
  }
  return m;
}

/**
 * Refuses to mix vectors from different model versions: a query embedded by one
 * version is meaningless against vectors of another.
 */
export function assertSameModelVersion(stored: string, active: string, what = 'stored vectors'): void {
  if (stored !== active) {
    throw new GeoscoutError('CONFLICT', `The ${what} were made by model ${stored}, but the active model is ${active}. Re-embed with the active model (\`geoscout ingest\`) or switch back with \`geoscout models use ${stored}\`.`, {
      details: { stored, active },
    });
  }
}
