import { TYPES, typeSpec, type ObjectType, type SceneContext } from './catalog.js';
import { boxCorners, convexHull, convexOverlap, fromLocal, padBox, rectOf, type OBox, type Vec } from './geometry.js';
import type { LandField } from './land-field.js';
import type { Feature, FeatureKind, Illumination, PlannedObject, ResolvedSceneOptions } from './plan-types.js';
import type { Rng } from './random.js';
import { GridIndex } from './spatial-index.js';

interface Blocker {
  poly: Vec[];
  kind: 'feature' | 'object' | 'wake' | 'zone';
  featureKind?: FeatureKind;
}

/** What a candidate object must satisfy to be placed. */
export interface PlaceRule {
  /** Feature kinds the object may overlap ('any' for all); others block it. */
  allow: readonly FeatureKind[] | 'any';
  /** Whether reserved zones (airfield, towns) may contain it. */
  inZone?: boolean;
  /** Every sample of the box must have landness ≥ this (metres) ... */
  minLandM?: number;
  /** ... or ≤ this (metres; negative = water). */
  maxLandM?: number;
  /** Extra metres of clearance to other objects. */
  padM?: number;
}

/** Options of a placed object beyond its box. */
export interface PlaceExtras {
  outOfContext?: boolean;
  moving?: boolean;
  wakeM?: number;
  /** Extra points the object paints (tower shadows), pixels. */
  paintPoints?: Vec[];
  /** Caption hint from the layout, e.g. 'stand', 'moored', 'lined-up'. */
  hint?: string;
}

/** A placed object before ids and captions are assigned. */
export type DraftObject = PlannedObject & { hint: string };

/**
 * Shared state of scene planning: placed features and objects, an occupancy grid for
 * overlap tests, the land field and unit conversions. Layout modules ask it whether a
 * candidate fits and commit it.
 */
export class PlanContext {
  readonly features: Feature[] = [];
  readonly objects: DraftObject[] = [];
  private readonly occ = new GridIndex<Blocker>(128);

  constructor(
    readonly opts: ResolvedSceneOptions,
    readonly land: LandField,
    readonly light: Illumination,
  ) {}

  get width(): number {
    return this.opts.width;
  }

  get height(): number {
    return this.opts.height;
  }

  get gsd(): number {
    return this.opts.gsdM;
  }

  /** Metres to pixels. */
  px(m: number): number {
    return m / this.opts.gsdM;
  }

  /** Scene area in km². */
  get areaKm2(): number {
    return (this.width * this.height * this.gsd * this.gsd) / 1e6;
  }

  /** Draws a size for a type: length, width and shadow height in metres. */
  /**
   * A candidate box of the given size at a random spot (at least `edge` of the scene
   * from its borders) and heading in [0, maxHeadingDeg): the first step of every zone search.
   */
  randomBox(rng: Rng, lenM: number, widM: number, edge: number, maxHeadingDeg: number): OBox {
    return {
      cx: rng.range(edge, 1 - edge) * this.width,
      cy: rng.range(edge, 1 - edge) * this.height,
      length: this.px(lenM),
      width: this.px(widM),
      headingDeg: rng.range(0, maxHeadingDeg),
    };
  }

  sizeOf(type: ObjectType, rng: Rng): { lengthM: number; widthM: number; heightM: number } {
    const s = typeSpec(type);
    const lengthM = rng.range(s.length[0], s.length[1]);
    const w = rng.range(s.width[0], s.width[1]);
    return { lengthM, widthM: s.widthRatio ? lengthM * w : w, heightM: rng.range(s.height[0], s.height[1]) };
  }

  /**
   * Adds a painted ground feature; it blocks objects that do not allow its kind, except
   * 'grass', which only dresses a zone that already blocks.
   */
  addFeature(kind: FeatureKind, box: OBox, seed: number, params?: number[]): Feature {
    const f: Feature = { id: this.features.length, kind, box, seed, ...(params ? { params } : {}) };
    this.features.push(f);
    if (kind !== 'grass') this.block(boxCorners(box), 'feature', kind);
    return f;
  }

  /** Reserves an area for a layout (airfield, town) and makes it land. */
  addZone(box: OBox): void {
    this.block(boxCorners(box), 'zone');
    this.land.addZone(box);
  }

  /** Reserves a polygon that objects must avoid (a wake). */
  reserve(poly: Vec[]): void {
    this.block(poly, 'wake');
  }

  /**
   * True when the polygon hits a blocker that `rule` does not allow. `padded` (default
   * `poly`) is what is tested against objects and wakes, to keep clearance between them.
   */
  blocked(poly: Vec[], rule: PlaceRule, padded: Vec[] = poly): boolean {
    for (const b of this.occ.query(rectOf(padded))) {
      if (b.kind === 'zone' && rule.inZone) continue;
      if (b.kind === 'feature' && (rule.allow === 'any' || rule.allow.includes(b.featureKind!))) continue;
      if (convexOverlap(b.kind === 'object' || b.kind === 'wake' ? padded : poly, b.poly)) return true;
    }
    return false;
  }

  /** True when every corner is at least `marginPx` inside the scene. */
  inScene(poly: readonly Vec[], marginPx = 2): boolean {
    return poly.every(([x, y]) => x >= marginPx && y >= marginPx && x <= this.width - marginPx && y <= this.height - marginPx);
  }

  /** Samples a box on a grid (every ~`stepM` metres) and tests the land field on each sample. */
  landOk(box: OBox, rule: Pick<PlaceRule, 'minLandM' | 'maxLandM'>, stepM = 15): boolean {
    if (rule.minLandM === undefined && rule.maxLandM === undefined) return true;
    const nu = Math.max(2, Math.ceil((box.length * this.gsd) / stepM));
    const nv = Math.max(2, Math.ceil((box.width * this.gsd) / stepM));
    for (let i = 0; i <= nu; i++) {
      for (let j = 0; j <= nv; j++) {
        const [x, y] = fromLocal(box, (i / nu - 0.5) * box.length, (j / nv - 0.5) * box.width);
        const l = this.land.at(x, y);
        if (rule.minLandM !== undefined && l < rule.minLandM) return false;
        if (rule.maxLandM !== undefined && l > rule.maxLandM) return false;
      }
    }
    return true;
  }

  /** Checks a candidate box (pixels) against scene bounds, land field and blockers. */
  fits(box: OBox, rule: PlaceRule): boolean {
    const poly = boxCorners(box);
    const padded = rule.padM ? boxCorners(padBox(box, this.px(rule.padM))) : poly;
    return this.inScene(poly) && !this.blocked(poly, rule, padded) && this.landOk(box, rule);
  }

  /** Commits an object (no checks: call {@link fits} first). */
  place(type: ObjectType, box: OBox, heightM: number, context: SceneContext, seed: number, extras: PlaceExtras = {}): DraftObject {
    const polygon = boxCorners(box).map(([x, y]): [number, number] => [round2(x), round2(y)]);
    const r = rectOf(polygon);
    const [sx, sy] = this.light.shadowPerM;
    const shadowPts = polygon.map(([x, y]): Vec => [x + sx * heightM, y + sy * heightM]);
    const obj: DraftObject = {
      id: '',
      class: TYPES[type].class,
      type,
      caption: '',
      cx: round2(box.cx),
      cy: round2(box.cy),
      lengthM: round2(box.length * this.gsd),
      widthM: round2(box.width * this.gsd),
      headingDeg: round2(((box.headingDeg % 360) + 360) % 360),
      context,
      outOfContext: extras.outOfContext ?? false,
      ...(extras.moving !== undefined ? { moving: extras.moving } : {}),
      polygon,
      bbox: [round2(r[0]), round2(r[1]), round2(r[2] - r[0]), round2(r[3] - r[1])],
      heightM,
      seed,
      ...(extras.wakeM !== undefined ? { wakeM: extras.wakeM } : {}),
      renderPoly: convexHull([...polygon, ...shadowPts, ...(extras.paintPoints ?? [])]),
      hint: extras.hint ?? '',
    };
    this.objects.push(obj);
    this.block(polygon, 'object');
    return obj;
  }

  private block(poly: Vec[], kind: Blocker['kind'], featureKind?: FeatureKind): void {
    this.occ.insert(rectOf(poly), { poly, kind, ...(featureKind ? { featureKind } : {}) });
  }
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
