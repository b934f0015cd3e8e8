import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (apt-get install chromium); playwright's own browser download is unreachable here. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

/**
 * Headless Chromium for the web app tests. The network flags keep it from dialling Google
 * (refused on a closed network, and slow); SwiftShader gives MapLibre WebGL2 without a GPU.
 */
export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium is not installed: apt-get install chromium (CI installs it).');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
    ],
  });
}

/** Mean and standard deviation of RGB over a rectangle of a decoded RGBA screenshot. */
export function regionStats(rgba: Uint8Array, width: number, x0: number, y0: number, w: number, h: number): { mean: [number, number, number]; std: number } {
  const sum = [0, 0, 0];
  let sq = 0;
  let n = 0;
  for (let y = Math.max(0, Math.round(y0)); y < Math.round(y0 + h); y++) {
    for (let x = Math.max(0, Math.round(x0)); x < Math.round(x0 + w); x++) {
      const o = (y * width + x) * 4;
      for (let c = 0; c < 3; c++) sum[c]! += rgba[o + c]!;
      const l = (rgba[o]! + rgba[o + 1]! + rgba[o + 2]!) / 3;
      sq += l * l;
      n++;
    }
  }
  const mean = sum.map((s) => s / Math.max(1, n)) as [number, number, number];
  const lum = (mean[0] + mean[1] + mean[2]) / 3;
  return { mean, std: Math.sqrt(Math.max(0, sq / Math.max(1, n) - lum * lum)) };
}

/** Pixels of a rectangle whose colour is within `tol` of `rgb`. */
export function countColour(rgba: Uint8Array, width: number, height: number, rgb: [number, number, number], tol = 40): number {
  let n = 0;
  for (let i = 0; i < width * height; i++) {
    const o = i * 4;
    if (Math.abs(rgba[o]! - rgb[0]) + Math.abs(rgba[o + 1]! - rgb[1]) + Math.abs(rgba[o + 2]! - rgb[2]) <= tol) n++;
  }
  return n;
}
