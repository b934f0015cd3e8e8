/** Small vector helpers shared by detection, prototypes and search (unit vectors in the encoder's space). */

/** Splits a packed [n × d] Float32Array into row views. */
export function rows(packed: Float32Array, d: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < packed.length / d; i++) out.push(packed.subarray(i * d, (i + 1) * d));
  return out;
}

/** Dot product. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Unit-length copy. */
export function normalize(v: Float32Array): Float32Array {
  const n = Math.sqrt(dot(v, v)) || 1;
  return v.map((x) => x / n);
}

/** Element-wise mean of vectors. */
export function meanOf(vs: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(vs[0]!.length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i]! += v[i]! / vs.length;
  return out;
}

/** Element-wise sum. */
export function add(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((x, i) => x + b[i]!);
}
