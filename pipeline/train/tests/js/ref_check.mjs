/* global process, console */
// Node-side parity of a reference JSON (geoscout_train.reference): tokenizer ids from
// @huggingface/tokenizers and onnxruntime-node embeddings on the reference's exact pixels.
//   node ref_check.mjs REF_JSON   → prints {idMismatch, eot, minTextCos, minImageCos, minPatchCos}
// Also a worked example of what the geoscout runtime must do (see pipeline/train/README.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';

const refPath = process.argv[2];
const ref = JSON.parse(readFileSync(refPath, 'utf8'));
const dir = ref.model_dir;
const manifest = JSON.parse(readFileSync(path.join(dir, 'geoscout-model.json'), 'utf8'));
const tok = new Tokenizer(JSON.parse(readFileSync(path.join(dir, manifest.text.tokenizer), 'utf8')), {});
const L = manifest.text.context_length, pad = manifest.text.pad_token_id;
const eot = tok.encode('').ids.at(-1); // [sot, eot] for the empty string
function ids(text) {
  let a = tok.encode(text).ids;
  if (a.length > L) { a = a.slice(0, L); a[L - 1] = eot; }
  return [...a, ...Array(L - a.length).fill(pad)];
}
const cos = (a, b) => { let d = 0, na = 0, nb = 0; for (let i = 0; i < a.length; i++) { d += a[i] * b[i]; na += a[i] ** 2; nb += b[i] ** 2; } return d / Math.sqrt(na * nb); };
let idMismatch = 0;
const allIds = ref.texts.map((t) => { const x = ids(t.text); if (JSON.stringify(x) !== JSON.stringify(t.input_ids)) idMismatch++; return x; });
const text = await ort.InferenceSession.create(path.join(dir, manifest.text.onnx));
const tOut = await text.run({ [manifest.text.inputs.input_ids]: new ort.Tensor('int64', BigInt64Array.from(allIds.flat().map(BigInt)), [allIds.length, L]) });
const te = tOut[manifest.text.outputs.embeds], D = manifest.embed_dim;
const tCos = ref.texts.map((t, i) => cos(t.embedding, te.data.slice(i * D, (i + 1) * D)));
const image = await ort.InferenceSession.create(path.join(dir, manifest.image.onnx));
const iCos = [], pCos = [];
for (const im of ref.images) {
  const buf = readFileSync(path.join(path.dirname(refPath), im.pixel_values_file));
  const px = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const out = await image.run({ pixel_values: new ort.Tensor('float32', px, [1, ...im.pixel_values_shape]) });
  iCos.push(cos(im.embedding, out[manifest.image.outputs.embeds].data));
  if (im.patch_embeds) {
    const p = out[manifest.image.outputs.patch_embeds];
    im.patch_embeds.forEach((row, k) => pCos.push(cos(row, p.data.slice(k * D, (k + 1) * D))));
  }
}
console.log(JSON.stringify({ idMismatch, eot, minTextCos: Math.min(...tCos), minImageCos: Math.min(...iCos),
  minPatchCos: pCos.length ? Math.min(...pCos) : null }));
