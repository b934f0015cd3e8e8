/**
 * One error type for the whole project. Every failure a user can cause or meet is a
 * GeoscoutError with a code from a fixed set, a message that says what to do, and the
 * underlying cause. Edges (CLI, MCP, REST) convert it; nothing else inspects messages.
 */
export const ERROR_CODES = [
  'INVALID_INPUT', // the caller passed something malformed: fix the argument
  'NOT_FOUND', // a path, id or record does not exist
  'PERMISSION_DENIED', // unreadable path, path outside the allowed roots
  'CORRUPT_DATA', // a file exists but cannot be decoded (truncated TIFF, bad header)
  'UNSUPPORTED', // valid input that geoscout cannot handle (unknown CRS, odd sample format)
  'OUT_OF_BOUNDS', // window or region outside the image
  'LIMIT_EXCEEDED', // region or request too large
  'CONFLICT', // state clash, e.g. a model version mismatch with stored vectors
  'CANCELLED', // the operation was aborted through its AbortSignal
  'CONFIG', // configuration file or environment is invalid
  'INTERNAL', // a bug: report it
] as const;

/** A member of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The single error type; `details` carries machine-readable context (file, window, ...). */
export class GeoscoutError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GeoscoutError';
    this.code = code;
    this.details = options.details ?? {};
  }

  /** A plain object for JSON edges (MCP structured errors, REST bodies, CLI --json). */
  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown>; cause?: string } {
    const cause = this.cause instanceof Error ? this.cause.message : this.cause === undefined ? undefined : String(this.cause);
    return { code: this.code, message: this.message, details: this.details, ...(cause ? { cause } : {}) };
  }
}

/** True when `err` is a GeoscoutError, optionally with the given code. */
export function isGeoscoutError(err: unknown, code?: ErrorCode): err is GeoscoutError {
  return err instanceof GeoscoutError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a GeoscoutError, keeping GeoscoutErrors as they are. */
export function toGeoscoutError(err: unknown, fallback: ErrorCode = 'INTERNAL', context?: string): GeoscoutError {
  if (err instanceof GeoscoutError) return err;
  if (isAbortError(err)) return new GeoscoutError('CANCELLED', 'The operation was cancelled.', { cause: err });
  const issues = zodIssues(err);
  if (issues) {
    // A schema refused the input: the caller's mistake, named by field, never INTERNAL.
    const what = issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
    return new GeoscoutError('INVALID_INPUT', `Invalid input: ${what}.`, { cause: err, details: { issues } });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new GeoscoutError(fallback, context ? `${context}: ${message}` : message, { cause: err });
}

/** The issues of a zod validation error (any zod version: matched by shape), else null. */
function zodIssues(err: unknown): { path: (string | number)[]; message: string }[] | null {
  const e = err as { name?: unknown; issues?: unknown };
  if (!e || e.name !== 'ZodError' || !Array.isArray(e.issues)) return null;
  return (e.issues as { path?: unknown[]; message?: unknown }[]).map((i) => ({ path: (i.path ?? []).map((p) => (typeof p === 'number' ? p : String(p))), message: String(i.message ?? 'invalid') }));
}

/** True for the errors AbortSignal-aware APIs throw. */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err as { code?: string }).code === 'ABORT_ERR');
}

/** Throws CANCELLED when the signal has fired; call between units of long work. */
export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw new GeoscoutError('CANCELLED', 'The operation was cancelled.', { cause: signal.reason });
  }
}
