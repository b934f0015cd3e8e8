import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GeoscoutError } from '../../core/errors.js';
import type { ModelManifest } from './manifest.js';
import { MANIFEST_FILE } from './model-dir.js';

/** Files of the Hugging Face ONNX CLIP layout (root or `onnx/` subfolder, as published for ViT-B/32). */
export const HF_FILES = {
  vision: ['vision_model.onnx', 'onnx/vision_model.onnx'],
  text: ['text_model.onnx', 'onnx/text_model.onnx'],
  tokenizer: ['tokenizer.json'],
  preprocessor: ['preprocessor_config.json'],
  config: ['config.json'],
};

/** True when `dir` looks like an HF ONNX CLIP folder (and has no geoscout manifest yet). */
export async function isHfClipLayout(dir: string): Promise<boolean> {
  return (await firstExisting(dir, HF_FILES.vision)) !== null && (await firstExisting(dir, HF_FILES.text)) !== null;
}

/**
 * Writes `geoscout-model.json` (and a stub card) for an HF ONNX CLIP folder: tensor
 * names are read from the graphs, mean/std/input size from `preprocessor_config.json`,
 * the embedding size from `config.json`, padding from the tokenizer (HF CLIP pads with
 * `<|endoftext|>`).
 */
export async function writeManifestForHf(dir: string, id: string, version: string, license = 'see upstream model card'): Promise<ModelManifest> {
  const vision = (await firstExisting(dir, HF_FILES.vision))!;
  const text = (await firstExisting(dir, HF_FILES.text))!;
  if (!(await firstExisting(dir, HF_FILES.tokenizer))) {
    throw new GeoscoutError('NOT_FOUND', `${dir}: tokenizer.json is missing; export it with the model (HF CLIP tokenizers have one).`);
  }
  const pre = await readJson(dir, 'preprocessor_config.json');
  const cfg = await readJson(dir, 'config.json');
  const tok = (await readJson(dir, 'tokenizer.json')) as { added_tokens?: { id: number; content: string }[] };
  const vs = await ort.InferenceSession.create(path.join(dir, vision));
  const ts = await ort.InferenceSession.create(path.join(dir, text));
  try {
    const size = Number((pre.crop_size as { height?: number })?.height ?? pre.crop_size ?? (pre.size as { shortest_edge?: number })?.shortest_edge ?? pre.size ?? 224);
    const eot = tok.added_tokens?.find((t) => t.content === '<|endoftext|>')?.id;
    const dim = Number(cfg.projection_dim ?? 512);
    const textCfg = (cfg.text_config ?? {}) as { max_position_embeddings?: number };
    const manifest: ModelManifest = {
      id,
      version,
      family: 'clip',
      embed_dim: dim,
      image: {
        onnx: vision,
        input_size: size,
        mean: (pre.image_mean as [number, number, number]) ?? [0.48145466, 0.4578275, 0.40821073],
        std: (pre.image_std as [number, number, number]) ?? [0.26862954, 0.26130258, 0.27577711],
        crop: pre.do_center_crop === false ? 'none' : 'center',
        inputs: { pixel_values: pick(vs.inputNames, ['pixel_values'], vision) },
        outputs: { embeds: pick(vs.outputNames, ['image_embeds', 'embeds'], vision) },
      },
      text: {
        onnx: text,
        tokenizer: 'tokenizer.json',
        context_length: textCfg.max_position_embeddings ?? 77,
        inputs: {
          input_ids: pick(ts.inputNames, ['input_ids'], text),
          attention_mask: ts.inputNames.includes('attention_mask') ? 'attention_mask' : null,
        },
        outputs: { embeds: pick(ts.outputNames, ['text_embeds', 'embeds'], text) },
        pad_token_id: eot ?? 0,
        lowercase: true,
      },
      license,
      card: 'MODEL_CARD.md',
      lineage: { imported_from: 'huggingface-onnx-clip-layout' },
    };
    await writeFile(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    await access(path.join(dir, 'MODEL_CARD.md')).catch(() =>
      writeFile(path.join(dir, 'MODEL_CARD.md'), `# ${id} ${version}\n\nImported from a Hugging Face ONNX CLIP folder. See the upstream model card for data, licence and intended use.\n`),
    );
    return manifest;
  } finally {
    await Promise.all([vs.release(), ts.release()]);
  }
}

async function firstExisting(dir: string, names: string[]): Promise<string | null> {
  for (const n of names) {
    if (await access(path.join(dir, n)).then(() => true, () => false)) return n;
  }
  return null;
}

async function readJson(dir: string, name: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path.join(dir, name), 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function pick(names: readonly string[], wanted: string[], file: string): string {
  const hit = wanted.find((w) => names.includes(w));
  if (!hit) {
    throw new GeoscoutError('INVALID_INPUT', `${file} has none of the tensors ${wanted.join(', ')} (it has ${names.join(', ')}); write geoscout-model.json by hand with the right names.`);
  }
  return hit;
}
