import { convexSpans, forwardOf, type Vec } from './geometry.js';

/** A tile request in the coordinates of its level (scale = full-res pixels per level pixel). */
export interface TileRequest {
  scale: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A frame for local coordinates: centre (full-res pixels) and heading. */
export interface Frame {
  cx: number;
  cy: number;
  headingDeg: number;
}

const scratch = new Map<number, { rgb: Float32Array; shadow: Uint8Array; shadowOwner: Int32Array; owner: Int32Array }>();

/**
 * The working buffers of one tile: linear RGB floats plus a shadow mask. Shadows are
 * applied last, and not where the object that cast them painted itself, so a shadow
 * darkens what lies under it (ground, cars beside a building) but not its caster.
 */
export class Canvas {
  readonly rgb: Float32Array;
  readonly shadow: Uint8Array;
  readonly shadowOwner: Int32Array;
  readonly owner: Int32Array;
  /** Metres per level pixel. */
  readonly pixelM: number;

  constructor(
    readonly req: TileRequest,
    readonly gsdM: number,
  ) {
    const n = req.width * req.height;
    // Tiles are rendered one at a time on one thread, so the buffers of the last tile of
    // this size are reused: allocating ~6 MB per tile kept the garbage collector busy.
    let b = scratch.get(n);
    if (!b) {
      b = { rgb: new Float32Array(n * 3), shadow: new Uint8Array(n), shadowOwner: new Int32Array(n), owner: new Int32Array(n) };
      if (scratch.size > 4) scratch.clear();
      scratch.set(n, b);
    } else {
      b.shadow.fill(0);
      b.owner.fill(0);
    }
    this.rgb = b.rgb;
    this.shadow = b.shadow;
    this.shadowOwner = b.shadowOwner;
    this.owner = b.owner;
    this.pixelM = req.scale * gsdM;
  }

  get w(): number {
    return this.req.width;
  }

  get h(): number {
    return this.req.height;
  }

  /** Full-resolution x of the centre of tile column i. */
  worldX(i: number): number {
    return (this.req.x + i + 0.5) * this.req.scale;
  }

  /** Full-resolution y of the centre of tile row j. */
  worldY(j: number): number {
    return (this.req.y + j + 0.5) * this.req.scale;
  }

  /** Full-resolution x of the centre of the pixel at buffer index `idx`. */
  worldXOf(idx: number): number {
    return this.worldX(idx % this.req.width);
  }

  /** Full-resolution y of the centre of the pixel at buffer index `idx`. */
  worldYOf(idx: number): number {
    return this.worldY(Math.floor(idx / this.req.width));
  }

  /** The tile's extent in full-resolution pixels. */
  worldRect(pad = 0): [number, number, number, number] {
    const s = this.req.scale;
    return [this.req.x * s - pad, this.req.y * s - pad, (this.req.x + this.req.width) * s + pad, (this.req.y + this.req.height) * s + pad];
  }

  /**
   * Visits the tile pixels inside a convex polygon (full-res pixels), giving each pixel's
   * buffer index and its local coordinates in metres in `frame` (u forward, v right).
   * Local coordinates advance incrementally along a row: no per-pixel trigonometry.
   */
  forEachLocal(poly: readonly Vec[], frame: Frame, fn: (idx: number, u: number, v: number) => void): void {
    const s = this.req.scale;
    const local = poly.map(([x, y]): Vec => [x / s - this.req.x, y / s - this.req.y]);
    const [fx, fy] = forwardOf(frame.headingDeg);
    const g = this.gsdM;
    const du = s * fx * g;
    const dv = -s * fy * g;
    const w = this.req.width;
    convexSpans(local, w, this.req.height, (j, i0, i1) => {
      const dy = this.worldY(j) - frame.cy;
      const dx = this.worldX(i0) - frame.cx;
      let u = (dx * fx + dy * fy) * g;
      let v = (-dx * fy + dy * fx) * g;
      for (let i = i0, idx = j * w + i0; i <= i1; i++, idx++) {
        fn(idx, u, v);
        u += du;
        v += dv;
      }
    });
  }

  /** Sets pixel `idx` to a colour. */
  set(idx: number, r: number, g: number, b: number): void {
    const k = idx * 3;
    this.rgb[k] = r;
    this.rgb[k + 1] = g;
    this.rgb[k + 2] = b;
  }

  /** Blends a colour over pixel `idx` with opacity `a`. */
  blend(idx: number, r: number, g: number, b: number, a: number): void {
    if (a <= 0) return;
    const k = idx * 3;
    const rgb = this.rgb;
    rgb[k] = rgb[k]! + (r - rgb[k]!) * a;
    rgb[k + 1] = rgb[k + 1]! + (g - rgb[k + 1]!) * a;
    rgb[k + 2] = rgb[k + 2]! + (b - rgb[k + 2]!) * a;
  }

  /** Multiplies pixel `idx` by a factor. */
  scaleBy(idx: number, f: number): void {
    const k = idx * 3;
    this.rgb[k] = this.rgb[k]! * f;
    this.rgb[k + 1] = this.rgb[k + 1]! * f;
    this.rgb[k + 2] = this.rgb[k + 2]! * f;
  }

  /**
   * Coverage of a line of half-width `half` metres at distance `d` metres, so markings
   * thinner than a pixel still show (dimmer), as they do in real imagery.
   */
  line(d: number, half: number): number {
    const p = this.pixelM;
    if (half * 2 < p) return Math.max(0, 1 - Math.abs(d) / (p * 0.75)) * ((half * 2) / p);
    const c = 0.5 + (half - Math.abs(d)) / p;
    return c < 0 ? 0 : c > 1 ? 1 : c;
  }
}
