/**
 * Plane geometry in full-resolution pixel coordinates (x right, y down). Headings are
 * degrees clockwise from north (image up), as analysts and AIS state them.
 */

/** A point or vector. */
export type Vec = [number, number];

/** An oriented rectangle: centre, size along / across the heading, heading in degrees. */
export interface OBox {
  cx: number;
  cy: number;
  length: number;
  width: number;
  headingDeg: number;
}

/** Axis-aligned rectangle as [minX, minY, maxX, maxY]. */
export type Rect = [number, number, number, number];

/** Unit vector pointing along a heading (forward) in image coordinates. */
export function forwardOf(headingDeg: number): Vec {
  const a = (headingDeg * Math.PI) / 180;
  return [Math.sin(a), -Math.cos(a)];
}

/** Unit vector to the right of a heading in image coordinates. */
export function rightOf(headingDeg: number): Vec {
  const a = (headingDeg * Math.PI) / 180;
  return [Math.cos(a), Math.sin(a)];
}

/** The four corners of a box: front-left, front-right, back-right, back-left. */
export function boxCorners(b: OBox): Vec[] {
  const [fx, fy] = forwardOf(b.headingDeg);
  const [rx, ry] = rightOf(b.headingDeg);
  const hl = b.length / 2;
  const hw = b.width / 2;
  return [
    [b.cx + fx * hl - rx * hw, b.cy + fy * hl - ry * hw],
    [b.cx + fx * hl + rx * hw, b.cy + fy * hl + ry * hw],
    [b.cx - fx * hl + rx * hw, b.cy - fy * hl + ry * hw],
    [b.cx - fx * hl - rx * hw, b.cy - fy * hl - ry * hw],
  ];
}

/** Grows a box by `pad` on every side. */
export function padBox(b: OBox, pad: number): OBox {
  return { ...b, length: b.length + 2 * pad, width: b.width + 2 * pad };
}

/** Bounding rectangle of points. */
export function rectOf(points: readonly Vec[]): Rect {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

/** True when two rectangles intersect. */
export function rectsOverlap(a: Rect, b: Rect): boolean {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

/** True when convex polygons intersect (separating axis test). */
export function convexOverlap(a: readonly Vec[], b: readonly Vec[]): boolean {
  return !hasSeparatingAxis(a, b) && !hasSeparatingAxis(b, a);
}

function hasSeparatingAxis(a: readonly Vec[], b: readonly Vec[]): boolean {
  for (let i = 0; i < a.length; i++) {
    const p = a[i]!;
    const q = a[(i + 1) % a.length]!;
    const nx = q[1] - p[1];
    const ny = p[0] - q[0];
    let amin = Infinity, amax = -Infinity, bmin = Infinity, bmax = -Infinity;
    for (const [x, y] of a) {
      const d = x * nx + y * ny;
      amin = Math.min(amin, d);
      amax = Math.max(amax, d);
    }
    for (const [x, y] of b) {
      const d = x * nx + y * ny;
      bmin = Math.min(bmin, d);
      bmax = Math.max(bmax, d);
    }
    if (amax <= bmin || bmax <= amin) return true;
  }
  return false;
}

/** Local (forward, right) coordinates of a point relative to a box, in the box's units. */
export function toLocal(b: OBox, x: number, y: number): Vec {
  const [fx, fy] = forwardOf(b.headingDeg);
  const dx = x - b.cx;
  const dy = y - b.cy;
  return [dx * fx + dy * fy, dx * -fy + dy * fx];
}

/** Image point of local (forward, right) coordinates. */
export function fromLocal(b: OBox, u: number, v: number): Vec {
  const [fx, fy] = forwardOf(b.headingDeg);
  return [b.cx + fx * u - fy * v, b.cy + fy * u + fx * v];
}

/** True when (x, y) lies inside the box. */
export function insideBox(b: OBox, x: number, y: number): boolean {
  const [u, v] = toLocal(b, x, y);
  return Math.abs(u) <= b.length / 2 && Math.abs(v) <= b.width / 2;
}

/** Convex hull (counter-clockwise in math axes) by the monotone chain. */
export function convexHull(points: readonly Vec[]): Vec[] {
  const pts = [...points].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  if (pts.length < 3) return pts;
  const cross = (o: Vec, a: Vec, b: Vec) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Vec[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Vec[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Convex polygon of the box swept along a shadow vector (a prism's shadow on flat ground). */
export function sweptBox(b: OBox, sx: number, sy: number): Vec[] {
  const c = boxCorners(b);
  return convexHull([...c, ...c.map(([x, y]): Vec => [x + sx, y + sy])]);
}

/**
 * Calls `row(j, i0, i1)` for every pixel row of a w×h grid whose pixel centres (i+0.5,
 * j+0.5) fall inside the convex polygon `poly` (grid units). Scanline filling keeps long
 * rotated objects cheap: only pixels inside are visited, not the bounding box.
 */
export function convexSpans(poly: readonly Vec[], w: number, h: number, row: (j: number, i0: number, i1: number) => void): void {
  let ymin = Infinity, ymax = -Infinity;
  for (const p of poly) {
    ymin = Math.min(ymin, p[1]);
    ymax = Math.max(ymax, p[1]);
  }
  const j0 = Math.max(0, Math.ceil(ymin - 0.5));
  const j1 = Math.min(h - 1, Math.floor(ymax - 0.5));
  const n = poly.length;
  for (let j = j0; j <= j1; j++) {
    const yc = j + 0.5;
    let xmin = Infinity, xmax = -Infinity;
    for (let k = 0; k < n; k++) {
      const a = poly[k]!;
      const b = poly[(k + 1) % n]!;
      if ((a[1] <= yc && b[1] >= yc) || (b[1] <= yc && a[1] >= yc)) {
        const x = a[1] === b[1] ? a[0] : a[0] + ((yc - a[1]) / (b[1] - a[1])) * (b[0] - a[0]);
        const x2 = a[1] === b[1] ? b[0] : x;
        xmin = Math.min(xmin, x, x2);
        xmax = Math.max(xmax, x, x2);
      }
    }
    const i0 = Math.max(0, Math.ceil(xmin - 0.5));
    const i1 = Math.min(w - 1, Math.floor(xmax - 0.5));
    if (i0 <= i1) row(j, i0, i1);
  }
}
