import { hash01, hashInts } from './random.js';

/**
 * Seeded value noise (no dependency: simplex-noise is not installed and value noise is
 * plenty for terrain masks). Expensive multi-octave noise is evaluated on a coarse grid by
 * the renderer and interpolated; fine texture comes from a small periodic texture.
 */

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Value noise in [0, 1) at (x, y) in lattice units. */
export function valueNoise(x: number, y: number, seed: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const fx = smooth(x - ix);
  const fy = smooth(y - iy);
  const a = hash01(ix, iy, seed);
  const b = hash01(ix + 1, iy, seed);
  const c = hash01(ix, iy + 1, seed);
  const d = hash01(ix + 1, iy + 1, seed);
  const top = a + (b - a) * fx;
  return top + (c + (d - c) * fx - top) * fy;
}

/**
 * Fractal sum of `octaves` value-noise layers, roughly in [-1, 1]. `wavelength` is the
 * size of the largest features in the caller's units; each octave halves it.
 */
export function fbm(x: number, y: number, wavelength: number, octaves: number, seed: number): number {
  let sum = 0;
  let amp = 1;
  let norm = 0;
  let f = 1 / wavelength;
  for (let o = 0; o < octaves; o++) {
    // Offsets stop octaves from sharing lattice points (which shows as grid artefacts).
    sum += amp * (valueNoise(x * f + o * 17.31, y * f - o * 9.17, seed + o * 101) * 2 - 1);
    norm += amp;
    amp *= 0.5;
    f *= 2;
  }
  return sum / norm;
}

/** A square, seamlessly repeating noise texture, values roughly in [-1, 1]. */
export interface NoiseTexture {
  size: number;
  mask: number;
  data: Float32Array;
}

/**
 * Builds a periodic fBm texture (`size` a power of two). Sampling it is one array read,
 * which is what lets every pixel get grain without per-pixel noise evaluation.
 */
export function makeNoiseTexture(size: number, seed: number): NoiseTexture {
  const data = new Float32Array(size * size);
  let amp = 1;
  let norm = 0;
  for (let period = 4; period <= size / 2; period *= 2) {
    const cell = size / period;
    const s = hashInts(seed, period);
    for (let y = 0; y < size; y++) {
      const gy = y / cell;
      const iy = Math.floor(gy);
      const fy = smooth(gy - iy);
      for (let x = 0; x < size; x++) {
        const gx = x / cell;
        const ix = Math.floor(gx);
        const fx = smooth(gx - ix);
        const a = hash01(ix % period, iy % period, s);
        const b = hash01((ix + 1) % period, iy % period, s);
        const c = hash01(ix % period, (iy + 1) % period, s);
        const d = hash01((ix + 1) % period, (iy + 1) % period, s);
        const top = a + (b - a) * fx;
        data[y * size + x]! += amp * ((top + (c + (d - c) * fx - top) * fy) * 2 - 1);
      }
    }
    norm += amp;
    amp *= 0.6;
  }
  // Highest octaves get the smallest weight above; white-ish grain is added by the renderer.
  for (let i = 0; i < data.length; i++) data[i] = data[i]! / norm;
  return { size, mask: size - 1, data };
}

/** Nearest-texel sample at texel coordinates (wrapping). */
export function sampleTexture(t: NoiseTexture, x: number, y: number): number {
  return t.data[(Math.floor(x) & t.mask) + (Math.floor(y) & t.mask) * t.size]!;
}

const SIN_SIZE = 1024;
const SIN_TABLE = new Float32Array(SIN_SIZE);
for (let i = 0; i < SIN_SIZE; i++) SIN_TABLE[i] = Math.sin((i / SIN_SIZE) * Math.PI * 2);

/** sin(2π·cycles) from a table: plenty for wave textures and several times faster than Math.sin. */
export function sinCycles(cycles: number): number {
  return SIN_TABLE[Math.floor(cycles * SIN_SIZE) & (SIN_SIZE - 1)]!;
}

/** A table of white noise in [-0.5, 0.5), indexed by pixel coordinates masked to 0..255. */
export function makeWhiteNoise(seed: number): Float32Array {
  const t = new Float32Array(256 * 256);
  for (let i = 0; i < t.length; i++) t[i] = hash01(i & 255, i >> 8, seed) - 0.5;
  return t;
}
