/**
 * A least-recently-used map of typed arrays bounded by their total bytes: per-process caches
 * of things that do not depend on the query (crop embeddings, recomputed patch grids, map tiles).
 * Hand-written because it is a dozen lines over Map's insertion order; the LRU packages
 * bound by count, not bytes.
 */
export class ByteLru<T extends { byteLength: number } = Float32Array> {
  private readonly map = new Map<string, T>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The value, marked most recently used. */
  get(key: string): T | undefined {
    const v = this.map.get(key);
    if (v) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Stores a value, dropping the least recently used ones beyond the byte bound. */
  set(key: string, value: T): void {
    const old = this.map.get(key);
    if (old) {
      this.map.delete(key);
      this.bytes -= old.byteLength;
    }
    this.map.set(key, value);
    this.bytes += value.byteLength;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.byteLength;
    }
  }

  /** Drops every entry (benchmarks that must not reuse an earlier run's results). */
  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }
}
