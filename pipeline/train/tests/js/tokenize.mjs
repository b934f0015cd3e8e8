/* global process */
// Encode texts with @huggingface/tokenizers exactly as the geoscout Node runtime must:
//   node tokenize.mjs TOKENIZER_JSON TEXTS_JSON CONTEXT_LENGTH PAD_ID
// prints a JSON array of id arrays, truncated to CONTEXT_LENGTH with <|endoftext|> kept
// last (open_clip's rule) and padded with PAD_ID. Used by tests/test_tokenizer.py.
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';

const [tokPath, textsPath, ctxArg, padArg] = process.argv.slice(2);
const tokenizerJson = JSON.parse(readFileSync(tokPath, 'utf8'));
const tokenizer = new Tokenizer(tokenizerJson, {});
const texts = JSON.parse(readFileSync(textsPath, 'utf8'));
const contextLength = Number(ctxArg);
const padId = Number(padArg);
const eotId = tokenizer.token_to_id('<|endoftext|>');

const out = texts.map((text) => {
  let ids = tokenizer.encode(text).ids;
  if (ids.some((id) => id === undefined)) throw new Error(`unknown token in ${JSON.stringify(text)}`);
  if (ids.length > contextLength) {
    ids = ids.slice(0, contextLength);
    ids[contextLength - 1] = eotId;
  }
  return [...ids, ...new Array(contextLength - ids.length).fill(padId)];
});
process.stdout.write(JSON.stringify(out));
