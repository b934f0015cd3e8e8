import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PDFDocument, PDFName } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../core/testing/run-process.js';
import { makeTempDir } from '../../core/testing/temp-dir.js';
import { REPO_ROOT } from '../../tools/testing/scene-fixture.js';
import { largestPdfImage } from './image-bounds.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => { tmp = await makeTempDir(); });
afterAll(async () => tmp?.cleanup());

/** A one-page PDF drawing an image XObject that declares `w`×`h` pixels (its stream is tiny: never decoded). */
async function pdfWithImage(w: number, h: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([200, 200]);
  const img = doc.context.register(doc.context.stream(new Uint8Array(64), { Type: 'XObject', Subtype: 'Image', Width: w, Height: h, ColorSpace: 'DeviceRGB', BitsPerComponent: 8 }));
  page.node.setXObject(PDFName.of('Im1'), img);
  page.drawText('An annotated chip of a harbour.', { x: 10, y: 180, size: 9 });
  const content = doc.context.register(doc.context.stream('q 100 0 0 100 50 50 cm /Im1 Do Q'));
  page.node.addContentStream(content);
  return doc.save();
}

describe('PDF embedded image bounds', () => {
  it('reads the declared size of the largest image without decoding it', async () => {
    expect(await largestPdfImage(await pdfWithImage(40_000, 40_000))).toEqual({ width: 40_000, height: 40_000 });
    expect(await largestPdfImage(new TextEncoder().encode('not a pdf'))).toBeNull();
  });

  it('docs add skips a PDF with a 40000² image with the reason, instead of decoding 4.8 GB', async () => {
    const file = path.join(tmp.dir, 'bomb.pdf');
    await writeFile(file, await pdfWithImage(40_000, 40_000));
    const r = await runProcess(process.execPath, [path.join(REPO_ROOT, 'bin/geoscout.js'), 'docs', 'add', file, '--json'], { cwd: tmp.dir, env: { ...process.env, GEOSCOUT_DATA_DIR: path.join(tmp.dir, 'state'), GEOSCOUT_CONFIG: '' }, timeoutMs: 120_000 });
    const report = JSON.parse(r.stdout) as { skipped: { reason: string; message: string }[] };
    expect(report.skipped).toHaveLength(1);
    expect(report.skipped[0]).toMatchObject({ reason: 'too_large' });
    expect(report.skipped[0]!.message).toMatch(/40000×40000 pixels \(1600 MP\), more than the 100 MP/);
  }, 180_000);
});
