import { readFile, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { GeoscoutError } from './errors.js';

/** Most bytes geoscout reads whole from one input file of each kind. */
export const INPUT_MAX_BYTES = {
  /** Sidecars, STAC items and collections. */
  json: 50e6,
  /** Example chips and query images (PNG, JPEG, WebP, TIFF). */
  image: 100e6,
} as const;

/** Most pixels decoded from one example or query image (sharp refuses more before decoding). */
export const INPUT_MAX_PIXELS = 100e6;

/**
 * The file's stats when it is a regular file. FIFOs, devices, sockets and directories are
 * refused before anything opens them: opening a FIFO blocks until a writer appears, and
 * /dev/zero never ends.
 */
export async function regularFile(file: string, what: string): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new GeoscoutError('NOT_FOUND', `${what} ${file}: no such file. Check the path.`, { cause, details: { path: file } });
    throw new GeoscoutError('PERMISSION_DENIED', `Cannot read ${what} ${file}: ${(cause as Error).message}`, { cause, details: { path: file } });
  }
  if (!st.isFile()) {
    const kind = st.isFIFO() ? 'a FIFO (named pipe)' : st.isDirectory() ? 'a directory' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'not a regular file';
    throw new GeoscoutError('INVALID_INPUT', `${what} ${file} is ${kind}; give a regular file.`, { details: { path: file } });
  }
  return st;
}

/** Reads a whole input file after {@link regularFile} and a size check naming the limit. */
export async function readInputFile(file: string, what: string, maxBytes: number): Promise<Buffer> {
  const st = await regularFile(file, what);
  if (st.size > maxBytes) throw new GeoscoutError('INVALID_INPUT', `${what} ${file} is ${(st.size / 1e6).toFixed(1)} MB, more than the ${(maxBytes / 1e6).toFixed(0)} MB geoscout reads for it; give a smaller file.`, { details: { path: file, bytes: st.size } });
  try {
    return await readFile(file);
  } catch (cause) {
    throw new GeoscoutError('PERMISSION_DENIED', `Cannot read ${what} ${file}: ${(cause as Error).message}`, { cause, details: { path: file } });
  }
}
