import type { ObjectType } from './catalog.js';
import type { Rgb } from './palette.js';
import { pickBy, put, type Painter } from './painter.js';
import { hashInts } from './random.js';

const WHITE: Rgb = [234, 234, 230];
const FENDER: Rgb = [30, 30, 30];
const NETS: Rgb = [70, 90, 100];
const CONTAINER: Rgb[] = [[170, 50, 40], [40, 70, 140], [50, 110, 70], [150, 150, 150], [220, 220, 215], [200, 120, 40], [110, 70, 50], [30, 120, 140]];

/** Hull half-beam at distance `s` from the stern (0..L): full amidships, pointed bow, slim transom. */
function halfBeam(s: number, L: number, B: number, bowFrac: number, sternFrac: number): number {
  const f = s / L;
  if (f > 1 - bowFrac) return (B / 2) * Math.sqrt(Math.max(0, (1 - f) / bowFrac));
  if (f < sternFrac) return (B / 2) * (0.8 + 0.2 * (f / sternFrac));
  return B / 2;
}

/** Top-down painter for a ship of `type`, length L and beam B (metres). */
export function shipPainter(type: ObjectType, L: number, B: number, seed: number): Painter {
  const bow = type === 'barge' ? 0.04 : type === 'leisure' ? 0.35 : type === 'warship' ? 0.28 : 0.16;
  const stern = type === 'barge' ? 0.01 : 0.08;
  const detail = shipDetail(type, L, B, seed);
  return (u, v, out) => {
    const s = u + L / 2;
    if (s < 0 || s > L) return false;
    const hb = halfBeam(s, L, B, bow, stern);
    const av = Math.abs(v);
    if (av > hb) return false;
    // Bulwark: a darker rim along the hull edge.
    if (av > hb - Math.max(0.25, B * 0.03)) return put(out, [70, 72, 76]);
    return detail(s, v, av, hb, out);
  };
}

type Detail = (s: number, v: number, av: number, hb: number, out: number[]) => boolean;

function shipDetail(type: ObjectType, L: number, B: number, seed: number): Detail {
  switch (type) {
    case 'container_ship': {
      const deck: Rgb = [96, 104, 96];
      const fill = 0.55 + (seed % 40) / 100;
      return (s, v, av, _hb, out) => {
        const f = s / L;
        if (f > 0.12 && f < 0.2) return put(out, [236, 236, 232], 0.95 - 0.1 * (av / (B / 2))); // superstructure aft
        if (f > 0.22 && f < 0.88 && av < B / 2 - 1) {
          const bay = Math.floor((s - 0.22 * L) / 12.4), row = Math.floor((v + B / 2) / 2.45);
          const h = hashInts(bay, row, seed);
          if ((h & 1023) / 1023 < fill || (s - 0.22 * L) % 12.4 < 0.4) {
            if ((s - 0.22 * L) % 12.4 < 0.4 || (v + B / 2) % 2.45 < 0.2) return put(out, [40, 40, 40]);
            return put(out, CONTAINER[h % CONTAINER.length]!, 0.85 + ((h >>> 10) % 30) / 100);
          }
          return put(out, [74, 82, 74]); // hatch cover
        }
        return put(out, deck);
      };
    }
    case 'tanker': {
      const deck: Rgb = pickBy(seed, 1, [[140, 60, 48], [70, 100, 76], [120, 116, 108]] as Rgb[]);
      return (s, v, av, _hb, out) => {
        const f = s / L;
        if (f > 0.04 && f < 0.14 && av < B * 0.42) return put(out, [236, 236, 232], f < 0.06 ? 0.8 : 1);
        if (f > 0.16 && f < 0.94 && av < 0.7) return put(out, [200, 200, 196]); // pipe rack
        if (Math.abs(f - 0.55) < 0.012 && av < B * 0.45) return put(out, [190, 190, 186]); // manifold
        return put(out, deck, 0.95 + 0.05 * Math.sin(s * 0.8));
      };
    }
    case 'barge': {
      const cargo: Rgb = pickBy(seed, 1, [[60, 56, 52], [170, 150, 110], [120, 110, 100], [150, 90, 60]] as Rgb[]);
      return (s, _v, av, hb, out) => (s > 3 && s < L - 4 && av < hb - 1.2 ? put(out, cargo, 0.95) : put(out, [100, 70, 56]));
    }
    case 'warship':
      return (s, v, av, _hb, out) => {
        const f = s / L;
        const grey: Rgb = [122, 128, 132];
        if (f < 0.14) return put(out, [88, 92, 96], Math.abs(v) < 0.3 || Math.abs(f - 0.07) < 0.004 ? 1.8 : 1); // flight deck
        if (f > 0.3 && f < 0.62 && av < B * 0.36) return put(out, grey, 1.18 - (f > 0.45 ? 0.08 : 0));
        if (Math.hypot(s - 0.78 * L, v) < B * 0.14) return put(out, grey, 1.25); // gun
        return put(out, grey);
      };
    case 'tug': {
      const hull = pickBy(seed, 1, [[160, 40, 36], [40, 40, 44], [200, 150, 40]] as Rgb[]);
      return (s, _v, av, hb, out) => {
        if (av > hb - 0.8) return put(out, FENDER);
        const f = s / L;
        if (f > 0.45 && f < 0.78 && av < hb * 0.7) return put(out, WHITE);
        return put(out, hull);
      };
    }
    case 'fishing': {
      const hull = pickBy(seed, 1, [[60, 90, 150], [170, 60, 50], [220, 220, 214], [60, 120, 100]] as Rgb[]);
      return (s, v, av, hb, out) => {
        const f = s / L;
        if (f > 0.6 && f < 0.8 && av < hb * 0.75) return put(out, WHITE);
        if (f < 0.5 && av < hb * 0.8 && (Math.floor(s * 1.5) + Math.floor(v * 1.5)) % 3 === 0) return put(out, NETS);
        return put(out, hull);
      };
    }
    default:
      return (s, _v, av, hb, out) => {
        const f = s / L;
        if (f > 0.35 && f < 0.6 && av < hb * 0.7) return put(out, [60, 80, 100], 0.9); // cabin glass
        return put(out, [240, 240, 238], 0.95 + 0.05 * (1 - av / Math.max(hb, 0.1)));
      };
  }
}
