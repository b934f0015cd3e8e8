"""open_clip's BPE vocabulary as an HF `tokenizer.json` (the CLIP format) for Node.

open_clip's SimpleTokenizer: ftfy.fix_text → html.unescape ×2 → collapse whitespace →
lowercase → regex split → byte-level symbols → BPE with `</w>` → [49406] + ids + [49407],
truncated to 77 with 49407 kept last, padded with 0.

What the JSON reproduces: ftfy's Latin ligature expansion, character-width folding and
quote uncurling, NFC (ftfy's default normalisation), the common HTML entities, whitespace,
lowercasing, the split regex and the BPE itself. What it cannot: ftfy's mojibake repair
and other numeric/named HTML entities (`&#233;`, `&eacute;`). The start/end tokens are named `<|startoftext|>` /
`<|endoftext|>` (HF CLIP's names; open_clip calls them `<start_of_text>` / `<end_of_text>`),
which only matters if a user types those literal strings.
"""
from __future__ import annotations

import json

SOT, EOT = "<|startoftext|>", "<|endoftext|>"
# open_clip's pattern; IGNORECASE is moot because text is lower-cased first. Its special
# token alternatives are dropped: added tokens are split out before this runs.
CLIP_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
# ftfy.fix_text defaults: uncurl_quotes ([ʼ‘-‛] → ', [“-‟] → ") and fix_latin_ligatures.
QUOTES = {"\u02bc": "'", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
          "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'}
LIGATURES = {"\u0132": "IJ", "\u0133": "ij", "\u0149": "ʼn", "\u01c4": "DŽ", "\u01c5": "Dž", "\u01c6": "dž",
             "\u01c7": "LJ", "\u01c8": "Lj", "\u01c9": "lj", "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj",
             "\u01f1": "DZ", "\u01f2": "Dz", "\u01f3": "dz", "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl",
             "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "ſt", "\ufb06": "st"}
# html.unescape runs twice: "&amp;" first (twice) so "&amp;lt;" ends as "<" like open_clip.
ENTITIES = [("&amp;", "&"), ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"),
            ("&#x27;", "'"), ("&apos;", "'"), ("&nbsp;", "\u00a0")]


def _replace(pattern: str, content: str, regex: bool = False) -> dict:
    return {"type": "Replace", "pattern": {"Regex" if regex else "String": pattern}, "content": content}


def width_map() -> dict:
    """ftfy's fullwidth/halfwidth → normal-width table (226 characters)."""
    from ftfy.chardata import WIDTH_MAP

    return {chr(k): v for k, v in sorted(WIDTH_MAP.items())}


def normalizer() -> dict:
    # ftfy's order: ligatures, character width, quotes, then NFC; then open_clip's
    # html.unescape, whitespace collapse and lowercasing.
    steps = [_replace(k, v) for k, v in {**LIGATURES, **width_map(), **QUOTES}.items()]
    steps += [{"type": "NFC"}]
    steps += [_replace(k, v) for k, v in ENTITIES]
    steps += [_replace(r"\s+", " ", regex=True), {"type": "Strip", "strip_left": True, "strip_right": True},
              {"type": "Lowercase"}]
    return {"type": "Sequence", "normalizers": steps}


def tokenizer_json(bpe_path: str | None = None) -> dict:
    """The tokenizer.json dict for open_clip's default BPE vocabulary (49408 ids)."""
    from open_clip.tokenizer import SimpleTokenizer, default_bpe

    st = SimpleTokenizer(bpe_path or default_bpe())
    vocab = dict(st.encoder)
    # Rename open_clip's special tokens to the HF CLIP names (same ids 49406/49407).
    sot_id, eot_id = st.sot_token_id, st.eot_token_id
    for old, new in ((st.decoder[sot_id], SOT), (st.decoder[eot_id], EOT)):
        vocab[new] = vocab.pop(old)
    merges = [f"{a} {b}" for (a, b), _ in sorted(st.bpe_ranks.items(), key=lambda kv: kv[1])]
    added = [{"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, c in ((sot_id, SOT), (eot_id, EOT))]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": normalizer(),
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT}, "behavior": "Removed", "invert": True},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": SOT, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": EOT, "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": SOT, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": EOT, "type_id": 0}}],
                           "special_tokens": {SOT: {"id": SOT, "ids": [sot_id], "tokens": [SOT]},
                                              EOT: {"id": EOT, "ids": [eot_id], "tokens": [EOT]}}},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": EOT, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": merges},
    }


def save(path: str, bpe_path: str | None = None) -> dict:
    spec = tokenizer_json(bpe_path)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False)
    return spec


def open_clip_ids(texts, context_length: int = 77) -> list[list[int]]:
    """open_clip's own token ids (padded/truncated), the reference the JSON must match."""
    from open_clip.tokenizer import SimpleTokenizer

    return SimpleTokenizer(context_length=context_length)(list(texts)).tolist()
