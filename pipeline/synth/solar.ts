/**
 * Approximate sun position (about 0.1° accuracy, enough for shadows) from the standard
 * low-precision almanac formulas. Azimuth is degrees clockwise from north.
 */
export function solarPosition(date: Date, lon: number, lat: number): { elevationDeg: number; azimuthDeg: number } {
  const rad = Math.PI / 180;
  const d = (date.getTime() - Date.UTC(2000, 0, 1, 12)) / 86400000;
  const g = (357.529 + 0.98560028 * d) * rad;
  const q = 280.459 + 0.98564736 * d;
  const L = (q + 1.915 * Math.sin(g) + 0.02 * Math.sin(2 * g)) * rad;
  const e = (23.439 - 0.00000036 * d) * rad;
  const ra = Math.atan2(Math.cos(e) * Math.sin(L), Math.cos(L));
  const dec = Math.asin(Math.sin(e) * Math.sin(L));
  const gmst = 18.697374558 + 24.06570982441908 * d;
  const H = ((gmst * 15 + lon) * rad - ra) % (2 * Math.PI);
  const phi = lat * rad;
  const elev = Math.asin(Math.sin(phi) * Math.sin(dec) + Math.cos(phi) * Math.cos(dec) * Math.cos(H));
  const az = Math.atan2(-Math.sin(H), Math.cos(phi) * Math.tan(dec) - Math.sin(phi) * Math.cos(H));
  return { elevationDeg: elev / rad, azimuthDeg: ((az / rad) % 360 + 360) % 360 };
}
