import { Canvas, type TileRequest } from './canvas.js';
import { paintFeatures } from './paint-features.js';
import { paintGround } from './paint-ground.js';
import { paintObjects } from './paint-objects.js';
import type { ScenePlan } from './plan-types.js';
import { hashInts } from './random.js';

/** Shadows keep a bluish tint: they are lit by the sky, not the sun. */
const SHADOW: [number, number, number] = [0.38, 0.42, 0.5];
/** Path radiance added by the atmosphere, 0–255 scale. */
const HAZE: [number, number, number] = [9, 11, 15];

/**
 * Renders one tile of one level of the scene, as interleaved RGB samples (8-bit, or 12-bit
 * values in 16-bit words). A pure function of the plan and the request: each level pixel
 * samples the world at its centre, so tiles and overview levels render independently.
 */
export function renderTile(plan: ScenePlan, req: TileRequest): Uint8Array | Uint16Array {
  const c = new Canvas(req, plan.gsdM);
  paintGround(plan, c);
  const pad = 2 * req.scale;
  const items = plan.index.query(c.worldRect(pad));
  paintFeatures(plan, c, items.features);
  paintObjects(plan, c, items.objects);
  return finish(plan, c);
}

function finish(plan: ScenePlan, c: Canvas): Uint8Array | Uint16Array {
  const n = c.w * c.h;
  const bits16 = plan.options.bits === 16;
  const out = bits16 ? new Uint16Array(n * 3) : new Uint8Array(n * 3);
  const gain = bits16 ? 4095 / 255 : 1;
  const max = bits16 ? 4095 : 255;
  const { x, y, scale } = c.req;
  const white = plan.whiteNoise;
  // Levels read the noise table at different offsets so overviews do not repeat level 0.
  const salt = hashInts(plan.options.seed, scale, 99);
  const ox = salt & 255, oy = (salt >>> 8) & 255;
  const rgb = c.rgb, shadow = c.shadow, sOwner = c.shadowOwner, owner = c.owner;
  const [s0, s1, s2] = SHADOW;
  const [h0, h1, h2] = HAZE;
  const w = c.w;
  for (let j = 0; j < c.h; j++) {
    const row = ((y + j + oy) & 255) << 8;
    for (let i = 0; i < w; i++) {
      const idx = j * w + i;
      const k = idx * 3;
      const shaded = shadow[idx] === 1 && sOwner[idx] !== owner[idx];
      // Sensor noise: a function of the level pixel, so it is the same whichever tile asks.
      const noise = white[row + ((x + i + ox) & 255)]! * 5;
      let r = rgb[k]!, g = rgb[k + 1]!, b = rgb[k + 2]!;
      if (shaded) {
        r *= s0;
        g *= s1;
        b *= s2;
      }
      r = (r * 0.94 + h0 + noise) * gain + 0.5;
      g = (g * 0.94 + h1 + noise) * gain + 0.5;
      b = (b * 0.94 + h2 + noise) * gain + 0.5;
      // Typed-array stores truncate; +0.5 above rounds. Clamp explicitly (Uint16 would wrap).
      out[k] = r < 0 ? 0 : r > max ? max : r;
      out[k + 1] = g < 0 ? 0 : g > max ? max : g;
      out[k + 2] = b < 0 ? 0 : b > max ? max : b;
    }
  }
  return out;
}
