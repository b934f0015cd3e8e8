import { createCanvas } from '@napi-rs/canvas';
import { CORPUS_FONT, registerCorpusFonts } from './chips.js';

/**
 * A page that is only pixels: text lines rendered at 150 dpi on an off-white, slightly
 * tilted-free background with speckle, as a scanner would produce. PNG bytes.
 */
export async function scannedPagePng(lines: string[]): Promise<Buffer> {
  registerCorpusFonts();
  const W = 1275, H = 1650;
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#f4f1ea';
  ctx.fillRect(0, 0, W, H);
  // Deterministic speckle (a scanner's dust), not Math.random: the corpus is reproducible.
  let s = 12345;
  ctx.fillStyle = '#bdb8ad';
  for (let i = 0; i < 1500; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    const x = s % W;
    s = (s * 1103515245 + 12345) >>> 0;
    ctx.fillRect(x, s % H, 2, 2);
  }
  ctx.fillStyle = '#222222';
  ctx.textBaseline = 'top';
  lines.forEach((l, i) => {
    ctx.font = i === 0 ? `bold 34px ${CORPUS_FONT}` : `30px ${CORPUS_FONT}`;
    ctx.fillText(l, 120, 150 + i * 52);
  });
  return canvas.toBuffer('image/png');
}
