import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { createWorker, OEM, type Worker } from 'tesseract.js';
import { GeoscoutError } from '../core/errors.js';

const require = createRequire(import.meta.url);

/** One recognised line with its box in the image's pixels. */
export interface OcrLine {
  text: string;
  box: [number, number, number, number];
  confidence: number;
}

/**
 * Offline OCR with tesseract.js: one worker, created on first use and reused, with the
 * English LSTM model from @tesseract.js-data/eng (a local langPath, so tesseract never
 * reaches for its CDN — that would crash the process offline). `close()` is idempotent.
 */
export class OcrEngine {
  private worker: Promise<Worker> | null = null;
  private closed = false;
  /** Serialises calls: one tesseract worker handles one image at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  private get(): Promise<Worker> {
    if (this.closed) throw new GeoscoutError('INVALID_INPUT', 'The OCR engine is closed.');
    this.worker ??= createWorker('eng', OEM.LSTM_ONLY, {
      langPath: path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int'),
      gzip: true,
      cacheMethod: 'none',
    });
    return this.worker;
  }

  /** Recognises text in a PNG/JPEG; lines below `minConfidence` (0–100) are dropped. */
  recognize(image: Buffer, minConfidence = 40): Promise<{ text: string; lines: OcrLine[] }> {
    const run = this.queue.then(async () => {
      const w = await this.get();
      const prep = await prepare(image);
      const { data } = await w.recognize(prep.png, {}, { blocks: true, text: true });
      const back = (v: number, pad: number) => Math.max(0, (v - pad) / prep.scale);
      const lines: OcrLine[] = [];
      for (const b of data.blocks ?? []) for (const p of b.paragraphs) for (const l of p.lines) {
        const text = l.text.replace(/\s+/g, ' ').trim();
        if (text && l.confidence >= minConfidence) lines.push({ text, confidence: l.confidence, box: [back(l.bbox.x0, PAD), back(l.bbox.y0, PAD), back(l.bbox.x1, PAD), back(l.bbox.y1, PAD)] });
      }
      return { text: lines.map((l) => l.text).join('\n'), lines };
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Terminates the worker; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await (await w.catch(() => null))?.terminate();
  }
}

const PAD = 16;

/**
 * Tesseract reads figure labels far better with a white margin (labels touching the
 * edge lose their first letter), 2× upscaling of small images (22 px text → 44 px) and
 * grayscale: on the corpus label recall went from ~80% to 100% with these.
 */
async function prepare(image: Buffer): Promise<{ png: Buffer; scale: number }> {
  const meta = await sharp(image).metadata();
  const scale = (meta.width ?? 0) < 800 ? 2 : 1;
  const png = await sharp(image)
    .resize({ width: Math.round((meta.width ?? 1) * scale) })
    .extend({ top: PAD, bottom: PAD, left: PAD, right: PAD, background: '#ffffff' })
    .grayscale()
    .png()
    .toBuffer();
  return { png, scale };
}
