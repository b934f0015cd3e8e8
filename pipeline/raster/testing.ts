import { writeTiledTiff, type TiffSpec } from './tiff-writer.js';

/**
 * Writes a small GeoTIFF whose sample at (x, y, band) is `valueAt(x, y, band)`, so
 * tests can predict every pixel a reader returns.
 */
export async function writePatternTiff(
  file: string,
  spec: Omit<TiffSpec, 'bitsPerSample'> & { bitsPerSample?: 8 | 16 },
  valueAt: (x: number, y: number, band: number) => number = patternValue,
): Promise<void> {
  const bits = spec.bitsPerSample ?? 8;
  await writeTiledTiff(file, { ...spec, bitsPerSample: bits }, ({ scale, x, y, width, height }) => {
    const out = bits === 8 ? new Uint8Array(width * height * spec.bands) : new Uint16Array(width * height * spec.bands);
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++) {
        for (let b = 0; b < spec.bands; b++) out[(j * width + i) * spec.bands + b] = valueAt((x + i) * scale, (y + j) * scale, b);
      }
    }
    return out;
  });
}

/** The default test pattern: distinct per band, varies along both axes, stays in 8 bits. */
export function patternValue(x: number, y: number, band: number): number {
  return (x * 3 + y * 7 + band * 40) % 251;
}
