/** "24.4532 N 54.3773 E": latitude first, as analysts cite positions. */
export function formatLatLon(lat: number, lon: number, digits = 4): string {
  return `${Math.abs(lat).toFixed(digits)} ${lat >= 0 ? 'N' : 'S'} ${Math.abs(lon).toFixed(digits)} ${lon >= 0 ? 'E' : 'W'}`;
}
