import type { Samples } from './pixel-readers.js';
import type { RasterInfo } from './raster-info.js';

/**
 * Display/encoder stretch for one image: per RGB output channel, the source band and
 * the input values mapped to 0 and 255. It is computed once per image (from an
 * overview) and stored in the catalog so every tile of an image is stretched the
 * same way; per-window stretches would make neighbouring tiles disagree.
 *
 * The rule (documented in the README):
 * - 8-bit data is shown as stored (lo 0, hi 255);
 * - other types are stretched linearly between the 2nd and 98th percentiles of each
 *   band (configurable), nodata excluded, values clamped;
 * - band choice: 1 band → grey; RGB photometric → bands 1,2,3; 4 bands → 3,2,1 (the
 *   B,G,R,NIR order of WorldView/Pléiades/PlanetScope 4-band products); 8 bands → 5,3,2
 *   (WorldView-2/3 C,B,G,Y,R,RE,N1,N2); otherwise 1,2,3. A sidecar's `rgb_bands`
 *   overrides it.
 */
export interface Stretch {
  /** 0-based source band for R, G, B. */
  bands: [number, number, number];
  lo: [number, number, number];
  hi: [number, number, number];
}

/** Default RGB band choice for an image (0-based). */
export function defaultRgbBands(info: Pick<RasterInfo, 'bands' | 'photometric'>): [number, number, number] {
  if (info.bands < 3) return [0, 0, 0];
  if (info.photometric === 2) return [0, 1, 2];
  if (info.bands === 4) return [2, 1, 0];
  if (info.bands === 8) return [4, 2, 1];
  return [0, 1, 2];
}

/** Computes a stretch from sample data (any window or overview of the image). */
export function computeStretch(
  samples: Samples,
  bandCount: number,
  opts: { dtype: RasterInfo['dtype']; nodata: number | null; rgbBands: [number, number, number]; percentiles: [number, number] },
): Stretch {
  if (opts.dtype === 'uint8') return { bands: opts.rgbBands, lo: [0, 0, 0], hi: [255, 255, 255] };
  const lo: number[] = [];
  const hi: number[] = [];
  for (const band of opts.rgbBands) {
    const [a, b] = percentilesOf(samples, bandCount, band, opts.nodata, opts.percentiles);
    lo.push(a);
    hi.push(b > a ? b : a + 1);
  }
  return { bands: opts.rgbBands, lo: lo as Stretch['lo'], hi: hi as Stretch['hi'] };
}

/**
 * Applies a stretch: interleaved samples → interleaved 8-bit RGB; nodata pixels become black.
 * 8-bit RGB at the identity stretch comes back as a view of `samples`, not a copy.
 */
export function toRgb8(samples: Samples, pixels: number, bandCount: number, s: Stretch, nodata: number | null): Uint8Array {
  const scale = s.hi.map((h, c) => 255 / (h - s.lo[c]!));
  const [br, bg, bb] = s.bands;
  // 8-bit RGB at the identity stretch (what a 3-band byte image gets) is already the answer;
  // a nodata of 0 maps to black either way. A view: copying a 4936² detection chunk cost
  // 80–100 ms (the samples are a fresh buffer of each read, so nobody else holds them).
  const identity = bandCount === 3 && br === 0 && bg === 1 && bb === 2 && s.lo.every((l) => l === 0) && s.hi.every((h) => h === 255);
  if (samples instanceof Uint8Array && identity && (nodata === null || nodata === 0)) return samples.subarray(0, pixels * 3);
  const out = new Uint8Array(pixels * 3);
  // 8- and 16-bit samples go through a table per band, the same levels: a 4936² chunk
  // (what detect_in_region reads at once) took 864 ms computed pixel by pixel on the main
  // thread, most of bench:detect's read time. A table pays only when the read has at least as
  // many pixels as it has entries: three 16-bit tables cost a 128² ingest tile 11 ms, not 0.7.
  const size = samples instanceof Uint8Array ? 256 : samples instanceof Uint16Array ? 65536 : 0;
  if (size && pixels >= size) {
    const [r, g, b] = [0, 1, 2].map((c) => {
      const t = new Uint8Array(size);
      for (let v = 0; v < size; v++) t[v] = level(v, s.lo[c]!, scale[c]!);
      return t;
    }) as [Uint8Array, Uint8Array, Uint8Array];
    for (let p = 0, base = 0, o = 0; p < pixels; p++, base += bandCount, o += 3) {
      if (nodata !== null && isNoData(samples, base, bandCount, nodata)) continue;
      out[o] = r[samples[base + br]!]!;
      out[o + 1] = g[samples[base + bg]!]!;
      out[o + 2] = b[samples[base + bb]!]!;
    }
    return out;
  }
  for (let p = 0; p < pixels; p++) {
    const base = p * bandCount;
    if (nodata !== null && isNoData(samples, base, bandCount, nodata)) continue;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = level(samples[base + s.bands[c]!]!, s.lo[c]!, scale[c]!);
  }
  return out;
}

/** One sample's 8-bit level: `lo` maps to 0, `lo + 255 / scale` to 255. */
function level(v: number, lo: number, scale: number): number {
  const x = (v - lo) * scale;
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x);
}

function isNoData(samples: Samples, base: number, bandCount: number, nodata: number): boolean {
  for (let b = 0; b < bandCount; b++) if (samples[base + b] !== nodata) return false;
  return true;
}

/** Percentiles of one band from at most ~200k evenly strided samples (sorting all would be wasteful). */
function percentilesOf(samples: Samples, bandCount: number, band: number, nodata: number | null, pct: [number, number]): [number, number] {
  const pixels = Math.floor(samples.length / bandCount);
  const stride = Math.max(1, Math.floor(pixels / 200_000));
  const values: number[] = [];
  for (let p = 0; p < pixels; p += stride) {
    const v = samples[p * bandCount + band]!;
    if (Number.isFinite(v) && v !== nodata) values.push(v);
  }
  if (values.length === 0) return [0, 1];
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((q / 100) * (sorted.length - 1))))]!;
  return [at(pct[0]), at(pct[1])];
}
