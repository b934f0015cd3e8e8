import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { modelInput, type Region } from './model-input.js';

/** Noise plus smooth structure, 8-bit RGB. */
function image(width: number, height: number) {
  const data = new Uint8Array(width * height * 3);
  let s = 11;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    data[i] = Math.max(0, Math.min(255, Math.round(128 + 90 * Math.sin(i / 300) + (s % 61) - 30)));
  }
  return { data, width, height };
}

/** What the objectness model got before: sharp's crop and linear resize, edge-repeated to pw×ph. */
async function viaSharp(rgb: ReturnType<typeof image>, region: Region, w: number, h: number, pw: number, ph: number): Promise<Uint8Array> {
  const s = await sharp(rgb.data, { raw: { width: rgb.width, height: rgb.height, channels: 3 } }).extract(region).resize(w, h, { kernel: 'linear', fit: 'fill' }).raw().toBuffer();
  const out = new Uint8Array(pw * ph * 3);
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const i = (Math.min(y, h - 1) * w + Math.min(x, w - 1)) * 3;
      for (let c = 0; c < 3; c++) out[(y * pw + x) * 3 + c] = s[i + c]!;
    }
  }
  return out;
}

describe('modelInput', () => {
  const rgb = image(700, 600);

  it('enlarges 2× to exactly the levels sharp gives, edge-repeated to the padded size', async () => {
    for (const region of [{ left: 37, top: 41, width: 200, height: 160 }, { left: 0, top: 0, width: 128, height: 96 }, { left: 572, top: 504, width: 128, height: 96 }]) {
      const [w, h] = [region.width * 2, region.height * 2];
      expect(modelInput(rgb, region, w, h, w + 32, h + 32)).toEqual(await viaSharp(rgb, region, w, h, w + 32, h + 32));
    }
  });

  it('enlarges by other factors within one level of sharp', async () => {
    const region = { left: 33, top: 7, width: 301, height: 277 };
    for (const f of [0.6, 0.8333]) {
      const [w, h] = [Math.round(region.width / f), Math.round(region.height / f)];
      const [a, b] = [modelInput(rgb, region, w, h, w, h), await viaSharp(rgb, region, w, h, w, h)];
      let worst = 0, off = 0;
      for (let i = 0; i < a.length; i++) {
        worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        if (a[i] !== b[i]) off++;
      }
      expect(worst).toBeLessThanOrEqual(1);
      expect(off / a.length).toBeLessThan(0.05);
    }
  });

  it('copies at 1:1, repeats the last column and row into the padding, and refuses to shrink', async () => {
    const region = { left: 5, top: 3, width: 4, height: 2 };
    const out = modelInput(rgb, region, 4, 2, 6, 3);
    const px = (x: number, y: number, c: number) => rgb.data[((region.top + y) * rgb.width + region.left + x) * 3 + c]!;
    expect(out[0]).toBe(px(0, 0, 0));
    expect(out[(6 + 1) * 3 + 1]).toBe(px(1, 1, 1)); // row 1, column 1, green
    expect(out[(2 * 6 + 5) * 3 + 2]).toBe(px(3, 1, 2)); // padded corner repeats the last pixel
    const big = { left: 61, top: 17, width: 250, height: 190 };
    expect(modelInput(rgb, big, 250, 190, 256, 192)).toEqual(await viaSharp(rgb, big, 250, 190, 256, 192));
    expect(() => modelInput(rgb, region, 2, 1, 32, 32)).toThrow(/shrinks/);
  });
});
