/** An axis-aligned box in pixels: [x, y, width, height]. */
export type XYWH = [number, number, number, number];

/** Intersection over union of two axis-aligned boxes. */
export function iou(a: XYWH, b: XYWH): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union <= 0 ? 0 : inter / union;
}

/** True when the point lies inside the box (edges included). */
export function contains(b: XYWH, x: number, y: number): boolean {
  return x >= b[0] && x <= b[0] + b[2] && y >= b[1] && y <= b[1] + b[3];
}
