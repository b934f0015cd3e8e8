import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbImage } from '../raster/raster.js';
import type { SceneObject } from '../synth/generate-scene.js';
import { renderTile } from '../synth/render-tile.js';
import { planScene } from '../synth/scene-plan.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The training venv's Python, or null when `npm run setup:py` has not run. */
export function trainingPython(): string | null {
  const py = path.join(REPO, '.venv-train', 'bin', 'python');
  return existsSync(py) ? py : null;
}

/** Repository root (for running `python -m geoscout_train.*` with the right cwd). */
export const REPO_ROOT = REPO;

/**
 * Renders `size`² chips centred on objects of a synthetic scene planned from `seed`
 * (seeds ≥ 20000 were never used for training the shipped model).
 */
export function synthChips(seed: number, pick: (o: SceneObject) => boolean, count: number, size = 128, gsdM = 0.5): { chip: RgbImage; object: SceneObject }[] {
  const plan = planScene({ seed, width: 3072, height: 3072, gsdM });
  return plan.objects
    .filter(pick)
    .slice(0, count)
    .map((o) => {
      const x = Math.max(0, Math.min(plan.width - size, Math.round(o.cx - size / 2)));
      const y = Math.max(0, Math.min(plan.height - size, Math.round(o.cy - size / 2)));
      const data = renderTile(plan, { scale: 1, x, y, width: size, height: size }) as Uint8Array;
      return { chip: { data, width: size, height: size }, object: o };
    });
}
