import type { Rect } from './geometry.js';
import type { Feature, PlannedObject } from './plan-types.js';

/**
 * A uniform grid over axis-aligned rectangles. Rendering asks it which features and
 * objects touch a tile, and the planner asks which placed things a candidate might hit,
 * so neither scans the whole scene.
 */
export class GridIndex<T> {
  private readonly cells = new Map<number, number[]>();
  private readonly items: { rect: Rect; item: T }[] = [];
  private stamp: Uint32Array = new Uint32Array(64);
  private queryId = 0;

  constructor(private readonly cellSize: number) {}

  /** Number of items inserted. */
  get size(): number {
    return this.items.length;
  }

  /** Adds an item covering `rect`. */
  insert(rect: Rect, item: T): void {
    const id = this.items.length;
    this.items.push({ rect, item });
    if (id >= this.stamp.length) {
      const grown = new Uint32Array(this.stamp.length * 2);
      grown.set(this.stamp);
      this.stamp = grown;
    }
    this.forCells(rect, (key) => {
      const list = this.cells.get(key);
      if (list) list.push(id);
      else this.cells.set(key, [id]);
    });
  }

  /** Items whose rectangle intersects `rect`, in insertion order. */
  query(rect: Rect): T[] {
    const qid = ++this.queryId;
    const ids: number[] = [];
    this.forCells(rect, (key) => {
      const list = this.cells.get(key);
      if (!list) return;
      for (const id of list) {
        if (this.stamp[id] === qid) continue;
        this.stamp[id] = qid;
        const r = this.items[id]!.rect;
        if (r[0] <= rect[2] && r[2] >= rect[0] && r[1] <= rect[3] && r[3] >= rect[1]) ids.push(id);
      }
    });
    ids.sort((a, b) => a - b);
    return ids.map((id) => this.items[id]!.item);
  }

  private forCells(rect: Rect, fn: (key: number) => void): void {
    const s = this.cellSize;
    const x0 = Math.floor(rect[0] / s), x1 = Math.floor(rect[2] / s);
    const y0 = Math.floor(rect[1] / s), y1 = Math.floor(rect[3] / s);
    // Cell keys pack signed cell coordinates; features may extend past the scene edges.
    for (let cy = y0; cy <= y1; cy++) for (let cx = x0; cx <= x1; cx++) fn((cy + 32768) * 65536 + (cx + 32768));
  }
}

/** What one render query returns. */
export interface RenderItems {
  features: Feature[];
  objects: PlannedObject[];
}

/** The render-time index of a plan: features and objects by the area they paint. */
export class RenderIndex {
  private readonly grid: GridIndex<{ feature?: Feature; object?: PlannedObject }>;

  constructor(cellSize = 256) {
    this.grid = new GridIndex(cellSize);
  }

  /** Adds a feature, painting inside `rect`. */
  addFeature(rect: Rect, feature: Feature): void {
    this.grid.insert(rect, { feature });
  }

  /** Adds an object, painting (body, shadow, wake) inside `rect`. */
  addObject(rect: Rect, object: PlannedObject): void {
    this.grid.insert(rect, { object });
  }

  /** Features and objects that may paint inside `rect` (full-resolution pixels). */
  query(rect: Rect): RenderItems {
    const features: Feature[] = [];
    const objects: PlannedObject[] = [];
    for (const it of this.grid.query(rect)) {
      if (it.feature) features.push(it.feature);
      if (it.object) objects.push(it.object);
    }
    return { features, objects };
  }
}
