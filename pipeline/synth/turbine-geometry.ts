import { hash01 } from './random.js';

/** Blade and view geometry of one wind turbine, shared by planner (truth box) and painter. */
export interface TurbineGeometry {
  /** Blade angles in the rotor plane (radians, 0 = horizontal to the right). */
  blades: [number, number, number];
  /** Rotor radius, metres. */
  radiusM: number;
  /** How much of a blade's vertical extent shows from above (off-nadir foreshortening). */
  k: number;
  /** Half extents of the visible rotor, metres: along the nacelle axis and across it. */
  halfAlongM: number;
  halfAcrossM: number;
}

/**
 * From nadir a rotor is seen edge-on; the slight tilt of a real view shows the blades
 * foreshortened along the nacelle axis. That factor grows with off-nadir angle.
 */
export function turbineGeometry(seed: number, diameterM: number, offNadirDeg: number): TurbineGeometry {
  const phase = hash01(seed, 7, 11) * ((2 * Math.PI) / 3);
  const blades: [number, number, number] = [phase, phase + (2 * Math.PI) / 3, phase + (4 * Math.PI) / 3];
  const radiusM = diameterM / 2;
  const k = 0.22 + 0.6 * Math.sin((offNadirDeg * Math.PI) / 180);
  let along = 7;
  let across = 3;
  for (const a of blades) {
    along = Math.max(along, Math.abs(Math.sin(a)) * radiusM * k + 1);
    across = Math.max(across, Math.abs(Math.cos(a)) * radiusM + 1);
  }
  return { blades, radiusM, k, halfAlongM: along, halfAcrossM: across };
}
