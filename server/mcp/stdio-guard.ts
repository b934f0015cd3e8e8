import { Transform, type TransformCallback } from 'node:stream';

/** Largest request line accepted over stdio (the same 32 MB as the HTTP body limit). */
export const MAX_STDIO_REQUEST_BYTES = 32 * 1024 * 1024;

/**
 * A filter between stdin and the MCP stdio transport. The SDK's transport closes the whole
 * connection when one message outgrows its buffer, so an oversized request (a huge base64
 * image) used to end the server silently. This passes lines through unchanged up to
 * `maxBytes`; the rest of a longer line is dropped and the request gets a JSON-RPC -32600
 * error (its id read from the line's first bytes) written by `reply`, so the client sees
 * why and the session lives on.
 */
export class StdioRequestGuard extends Transform {
  private line: Buffer[] = [];
  private lineBytes = 0;
  private dropping = false;
  private head = '';
  /** The last bytes of a dropped line: clients often serialise `id` after `params`. */
  private tail = Buffer.alloc(0);

  constructor(private readonly reply: (line: string) => void, private readonly maxBytes = MAX_STDIO_REQUEST_BYTES) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl + 1);
      this.takePiece(piece, nl !== -1);
      if (nl === -1) break;
      start = nl + 1;
      if (start >= chunk.length) break;
    }
    done();
  }

  private takePiece(piece: Buffer, ends: boolean): void {
    if (!this.dropping) {
      if (this.lineBytes + piece.length <= this.maxBytes) {
        this.line.push(piece);
        this.lineBytes += piece.length;
      } else {
        this.head = Buffer.concat([...this.line, piece.subarray(0, 200)]).subarray(0, 200).toString('utf8');
        this.line = [];
        this.dropping = true;
      }
    }
    if (this.dropping) this.tail = Buffer.concat([this.tail, piece]).subarray(-200);
    if (!ends) return;
    if (this.dropping) {
      const idOf = (t: string) => /"id"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)/.exec(t)?.[1];
      const id = idOf(this.head) ?? idOf(this.tail.toString('utf8'));
      if (id !== undefined) {
        this.reply(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(id) as string | number, error: { code: -32600, message: `The request is over ${this.maxBytes / 1024 / 1024} MB: send a smaller image (get_tile_image and search_tiles take a file path on the server, or downscale the chip).` } }) + '\n');
      }
    } else if (this.lineBytes) {
      this.push(Buffer.concat(this.line));
    }
    this.line = [];
    this.lineBytes = 0;
    this.dropping = false;
    this.head = '';
    this.tail = Buffer.alloc(0);
  }
}
