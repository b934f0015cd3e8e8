import { z } from 'zod';

/**
 * Longest query text (characters). The text encoders read at most a few dozen tokens, so
 * longer text only costs tokenising; a bound at the edge keeps hostile input from reaching
 * the models (and the command line short: see server/cli.ts).
 */
export const MAX_QUERY_CHARS = 1000;

/** A free-text query as every tool takes it (`min` 0 where an empty text means "no text"). */
export const queryText = (min = 1) => z.string().min(min).max(MAX_QUERY_CHARS);
