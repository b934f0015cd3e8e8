import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const SAMPLES = 16;
const BLOCK = 64 * 1024;

/**
 * A content fingerprint that stays cheap for 15 GB scenes: SHA-256 over the size and
 * 16 evenly spaced 64 KiB blocks (first and last included, which hold the TIFF header
 * and, for COGs or geoscout's writer, the IFDs with every tile offset). Reading 1 MiB
 * instead of the whole file keeps `images add` instant; two different scenes of equal
 * size would have to agree on all 16 blocks, including their offset tables, to collide.
 */
export async function fingerprintFile(file: string): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const hash = createHash('sha256').update(`size:${size};`);
    const buf = Buffer.alloc(BLOCK);
    const span = Math.max(0, size - BLOCK);
    for (let i = 0; i < SAMPLES; i++) {
      const pos = Math.floor((span * i) / (SAMPLES - 1));
      const { bytesRead } = await fh.read(buf, 0, BLOCK, pos);
      hash.update(buf.subarray(0, bytesRead));
      if (size <= BLOCK) break;
    }
    return hash.digest('hex');
  } finally {
    await fh.close();
  }
}

/** A stable image id from a fingerprint (or a URL for remote images). */
export function imageIdFor(fingerprint: string): string {
  return `img_${fingerprint.slice(0, 16)}`;
}

/** Fingerprint for a remote COG: its URL (content is not read at catalog time). */
export function fingerprintUrl(url: string): string {
  return createHash('sha256').update(`url:${url}`).digest('hex');
}
