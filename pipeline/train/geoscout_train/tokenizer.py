"""BPE tokenizer for geoscout models, trained with HF `tokenizers`, loadable in Node.

Layout (CLIP-like, and only components @huggingface/tokenizers 0.2 implements):
  normaliser   NFC → collapse whitespace → lowercase → ς→σ
  pre-tokeniser split into letter runs / single digits / punctuation runs, then ByteLevel
               (so every byte has a symbol: no input is ever [UNK])
  model        BPE with a `</w>` end-of-word suffix (as CLIP)
  post         TemplateProcessing `<|startoftext|> $A <|endoftext|>`
Special ids: <pad> 0 (padding), <|startoftext|> 1, <|endoftext|> 2.

Sequences are padded with 0 to the context length; longer ones are cut to the context
length with the last id replaced by <|endoftext|> (open_clip's rule; the Node side must
do the same).
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Iterable, Sequence

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

PAD, SOT, EOT = "<pad>", "<|startoftext|>", "<|endoftext|>"
SPECIALS = [PAD, SOT, EOT]
WORDLIST = "/usr/share/dict/words"
# Letters runs, single digits (numbers split digit by digit, so "1024" and "2048" share
# pieces), and punctuation runs; whitespace is dropped. Same idea as CLIP's regex.
SPLIT_PATTERN = r"[\p{L}\p{M}]+|\p{N}|[^\s\p{L}\p{M}\p{N}]+"


def _build_empty() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=None, end_of_word_suffix="</w>", continuing_subword_prefix=""))
    # Rust lower-cases char by char, JS's toLowerCase applies the Greek final-sigma rule:
    # folding ς to σ afterwards makes both agree.
    tok.normalizer = normalizers.Sequence([
        normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase(),
        normalizers.Replace("ς", "σ"),
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(SPLIT_PATTERN), behavior="removed", invert=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()  # "</w>" is replaced by a space afterwards (as tokenizers.js does)
    return tok


def _add_post_processor(tok: Tokenizer) -> None:
    sot, eot = tok.token_to_id(SOT), tok.token_to_id(EOT)
    tok.post_processor = processors.TemplateProcessing(
        single=f"{SOT} $A {EOT}", special_tokens=[(SOT, sot), (EOT, eot)]
    )


def load_wordlist(path: str = WORDLIST, limit: int | None = None) -> list[str]:
    """Lower-case alphabetic words of a system word list (apt `wamerican`); [] if absent."""
    if not os.path.exists(path):
        return []
    words = sorted({w.strip().lower() for w in open(path, encoding="utf-8") if re.fullmatch(r"[A-Za-z]+", w.strip())})
    return words[:limit] if limit else words


def train_tokenizer(captions: Iterable[str], vocab_size: int = 4096, wordlist: Sequence[str] | None = None,
                    min_frequency: int = 2) -> Tokenizer:
    """Train BPE on captions (weighted by their frequency) plus a generic word list.

    The word list keeps general English splitting into sensible sub-words instead of
    single bytes. The result is deterministic (see below).
    """
    tok = _build_empty()
    # All 256 byte symbols with the `</w>` suffix are declared up front (as temporary
    # special tokens). Otherwise the trainer creates them lazily while iterating a hash
    # map, so their ids — and merge tie-breaks — change from run to run
    # (huggingface/tokenizers#1794); declared, they also guarantee every byte is encodable
    # at a word end, so no input ever needs an [UNK].
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    suffixed = [ch + "</w>" for ch in alphabet]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIALS + suffixed,
        initial_alphabet=alphabet, end_of_word_suffix="</w>", show_progress=False,
    )
    captions = list(captions)
    words = list(wordlist if wordlist is not None else load_wordlist())

    # Captions are repeated until they weigh at least as much as the word list, so domain
    # words win merges even on a small data set; the word list is seen once.
    repeats = max(3, math.ceil(len(words) / max(1, len(captions))))

    def corpus():
        for _ in range(repeats):
            yield from captions
        yield from words

    tok.train_from_iterator(corpus(), trainer=trainer)
    spec = json.loads(tok.to_str())
    # The suffixed symbols are ordinary vocabulary, not added tokens matched in raw text.
    spec["added_tokens"] = [t for t in spec["added_tokens"] if t["content"] in SPECIALS]
    tok = Tokenizer.from_str(json.dumps(spec))
    _add_post_processor(tok)
    return tok


class TextEncoder:
    """Tokenise to fixed-length id tensors with the pad/truncate rules documented above."""

    def __init__(self, tok: Tokenizer, context_length: int, pad_id: int | None = None,
                 sot_id: int | None = None, eot_id: int | None = None):
        self.tok, self.context_length = tok, context_length
        self.pad_id = tok.token_to_id(PAD) if pad_id is None else pad_id
        self.sot_id = tok.token_to_id(SOT) if sot_id is None else sot_id
        self.eot_id = tok.token_to_id(EOT) if eot_id is None else eot_id

    @staticmethod
    def from_file(path: str, context_length: int) -> "TextEncoder":
        return TextEncoder(Tokenizer.from_file(path), context_length)

    def ids(self, text: str) -> list[int]:
        """Ids for one text, truncated (EOT kept last) and padded to the context length."""
        ids = self.tok.encode(text).ids
        if len(ids) > self.context_length:
            ids = ids[: self.context_length]
            ids[-1] = self.eot_id
        return ids + [self.pad_id] * (self.context_length - len(ids))

    def __call__(self, texts: Sequence[str]) -> torch.Tensor:
        return torch.tensor([self.ids(t) for t in texts], dtype=torch.long)

    def decode(self, ids: Sequence[int]) -> str:
        """Text for ids, special tokens dropped (for debugging; embedding never decodes)."""
        return self.tok.decode(list(ids), skip_special_tokens=True).replace("</w>", " ").strip()

    @property
    def vocab_size(self) -> int:
        return self.tok.get_vocab_size()
