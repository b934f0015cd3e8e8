import { forwardOf, type OBox, type Rect } from './geometry.js';
import { fbm } from './noise.js';

/** Zones forced to be land stay land this far (metres) beyond their edges. */
const ZONE_MARGIN_M = 40;
/** Beyond this distance outside a zone its influence is below anything visible. */
const ZONE_REACH_M = 260;

/**
 * The land/water field: a signed value in metres, roughly the distance to the coast
 * (positive on land). A tilted plane puts the sea on one side of the scene and low-frequency
 * noise bends the coastline; planned zones (airfield, towns) are raised to land so the
 * planner can rely on them.
 */
export class LandField {
  private readonly zones: { box: OBox; rect: Rect; f: [number, number] }[] = [];

  constructor(
    readonly gsdM: number,
    /** Unit vector (pixel axes) pointing inland. */
    readonly inland: [number, number],
    /** Offset in metres: the plane is zero along the mean coastline. */
    readonly offsetM: number,
    readonly ampM: number,
    readonly wavelengthM: number,
    readonly octaves: number,
    readonly seed: number,
  ) {}

  /** Forces a rectangle (pixels) and a margin around it to be land. */
  addZone(box: OBox): void {
    const reach = ZONE_REACH_M / this.gsdM;
    const r = Math.hypot(box.length, box.width) / 2 + reach;
    this.zones.push({ box, rect: [box.cx - r, box.cy - r, box.cx + r, box.cy + r], f: forwardOf(box.headingDeg) });
  }

  /** Landness in metres at full-resolution pixel (px, py), without zones. */
  base(px: number, py: number): number {
    const mx = px * this.gsdM;
    const my = py * this.gsdM;
    return this.inland[0] * mx + this.inland[1] * my - this.offsetM + this.ampM * fbm(mx, my, this.wavelengthM, this.octaves, this.seed);
  }

  /** Landness in metres at full-resolution pixel (px, py): positive on land. */
  at(px: number, py: number): number {
    let l = this.base(px, py);
    for (const z of this.zones) {
      if (px < z.rect[0] || px > z.rect[2] || py < z.rect[1] || py > z.rect[3]) continue;
      l = Math.max(l, this.zoneLand(z.box, z.f, px, py));
    }
    return l;
  }

  /** Zones whose influence reaches the rectangle; used to evaluate many points fast. */
  zonesNear(rect: Rect): LandField {
    const sub = new LandField(this.gsdM, this.inland, this.offsetM, this.ampM, this.wavelengthM, this.octaves, this.seed);
    for (const z of this.zones) if (z.rect[0] <= rect[2] && z.rect[2] >= rect[0] && z.rect[1] <= rect[3] && z.rect[3] >= rect[1]) sub.zones.push(z);
    return sub;
  }

  private zoneLand(b: OBox, f: [number, number], px: number, py: number): number {
    const dx = px - b.cx;
    const dy = py - b.cy;
    const u = Math.abs(dx * f[0] + dy * f[1]) - b.length / 2;
    const v = Math.abs(-dx * f[1] + dy * f[0]) - b.width / 2;
    const outside = Math.hypot(Math.max(u, 0), Math.max(v, 0));
    return ZONE_MARGIN_M - outside * this.gsdM;
  }
}
