"""Writes `geoscout-model.json` + `MODEL_CARD.md` following pipeline/models/manifest.ts."""
from __future__ import annotations

import json
import os
import re

ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$", re.I)


def build_manifest(*, id: str, version: str, embed_dim: int, input_size: int, mean, std, crop: str,
                   context_length: int, pad_token_id: int, patch_grid=None, logit_scale=None,
                   license: str = "Apache-2.0", lineage: dict | None = None) -> dict:
    """The manifest dict with every tensor name spelled out (the schema has defaults, but
    an explicit file documents itself and survives schema default changes)."""
    if not ID_RE.match(id):
        raise ValueError(f"model id {id!r}: letters, digits, dot, dash, underscore (starting alphanumeric)")
    if crop not in ("center", "none"):
        raise ValueError(f"crop must be 'center' or 'none', not {crop!r}")
    image = {"onnx": "image.onnx", "input_size": int(input_size), "mean": [float(x) for x in mean],
             "std": [float(x) for x in std], "crop": crop, "inputs": {"pixel_values": "pixel_values"},
             "outputs": {"embeds": "image_embeds"}}
    if patch_grid is not None:
        image["outputs"]["patch_embeds"] = "patch_embeds"
        image["patch_grid"] = [int(patch_grid[0]), int(patch_grid[1])]
    m = {"id": id, "version": version, "family": "clip", "embed_dim": int(embed_dim), "image": image,
         "text": {"onnx": "text.onnx", "tokenizer": "tokenizer.json", "context_length": int(context_length),
                  "inputs": {"input_ids": "input_ids", "attention_mask": None},
                  "outputs": {"embeds": "text_embeds"}, "pad_token_id": int(pad_token_id), "lowercase": True},
         "license": license, "card": "MODEL_CARD.md"}
    if logit_scale is not None:
        m["logit_scale"] = float(logit_scale)
    if lineage:
        m["lineage"] = lineage
    return m


def write_model_dir(out: str, manifest: dict, card: str) -> None:
    for f in ("image.onnx", "text.onnx", "tokenizer.json"):
        if not os.path.exists(os.path.join(out, f)):
            raise FileNotFoundError(f"{out}/{f} missing: export the graphs and tokenizer first")
    with open(os.path.join(out, "geoscout-model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    with open(os.path.join(out, "MODEL_CARD.md"), "w", encoding="utf-8") as f:
        f.write(card)


def usage_section(m: dict) -> str:
    """Pre-processing facts a consumer needs, shared by both model cards."""
    i, t = m["image"], m["text"]
    side = f"{i['input_size']}×{i['input_size']}"
    crop = (f"resize the short side to {i['input_size']} then centre-crop {side}" if i["crop"] == "center"
            else f"resize the whole image to {side} (no crop)")
    return (f"## Use\n\n- Image: RGB, {crop}, scale to [0,1], "
            f"normalise with mean {i['mean']} / std {i['std']}; input `pixel_values` float32 "
            f"[B,3,{i['input_size']},{i['input_size']}] → `image_embeds` [B,{m['embed_dim']}]"
            + (f" and `patch_embeds` [B,{i['patch_grid'][0] * i['patch_grid'][1]},{m['embed_dim']}] "
               f"(grid {i['patch_grid'][0]}×{i['patch_grid'][1]}, row-major)" if "patch_grid" in i else "") + ".\n"
            f"- Text: `tokenizer.json` (adds start/end tokens), truncate to {t['context_length']} keeping the "
            f"end-of-text id last, pad with {t['pad_token_id']}; input `input_ids` int64 "
            f"[B,{t['context_length']}] → `text_embeds` [B,{m['embed_dim']}].\n"
            f"- Outputs are L2-normalised; similarity is the dot product"
            + (f" (× logit scale {m['logit_scale']:.2f} for logits)" if "logit_scale" in m else "") + ".\n")
