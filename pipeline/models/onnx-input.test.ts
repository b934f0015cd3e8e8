import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { withUint8HwcInput } from './onnx-input.js';
import { SHIPPED_MODELS_DIR } from './registry.js';

const so = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' as const };

describe('withUint8HwcInput', () => {
  it('gives the objectness model the same outputs from interleaved 8-bit pixels as from float planes', async () => {
    const file = path.join(SHIPPED_MODELS_DIR, 'geoscout-objectness', 'model.onnx');
    const [w, h] = [96, 64];
    const hwc = new Uint8Array(w * h * 3);
    for (let i = 0; i < hwc.length; i++) hwc[i] = (i * 7919 + (i >> 5) * 31) & 255;
    const planes = new Float32Array(3 * w * h);
    for (let p = 0; p < w * h; p++) for (let c = 0; c < 3; c++) planes[c * w * h + p] = hwc[p * 3 + c]!;
    const plain = await ort.InferenceSession.create(file, so);
    const adapted = await ort.InferenceSession.create(withUint8HwcInput(await readFile(file), 'image', file), so);
    try {
      expect(adapted.inputNames).toEqual(['image']);
      const a = await plain.run({ image: new ort.Tensor('float32', planes, [1, 3, h, w]) });
      const b = await adapted.run({ image: new ort.Tensor('uint8', hwc, [1, h, w, 3]) });
      for (const out of ['heat', 'size', 'offset']) {
        expect(b[out]!.dims).toEqual(a[out]!.dims);
        expect(Array.from(b[out]!.data as Float32Array)).toEqual(Array.from(a[out]!.data as Float32Array));
      }
      expect(Math.max(...(b.heat!.data as Float32Array))).toBeGreaterThan(0); // a real output, not zeros on both sides
    } finally {
      await plain.release();
      await adapted.release();
    }
  });

  it('refuses a model without a float [N, 3, H, W] input of that name, saying what to check', async () => {
    const file = path.join(SHIPPED_MODELS_DIR, 'geoscout-objectness', 'model.onnx');
    const text = path.join(SHIPPED_MODELS_DIR, 'geoscout-mini', 'text.onnx');
    const [model, tower] = [await readFile(file), await readFile(text)];
    expect(() => withUint8HwcInput(model, 'pixels', file)).toThrow(/no float \[N, 3, H, W\] input named "pixels" \(inputs: image\)/);
    expect(() => withUint8HwcInput(tower, 'input_ids', text)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => withUint8HwcInput(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 'image', 'junk.onnx')).toThrow(expect.objectContaining({ code: 'CORRUPT_DATA' }));
  });
});
