"""Export an open_clip CLIP (e.g. RemoteCLIP, GeoRSCLIP checkpoints) to a geoscout model dir.

  python -m geoscout_train.export_open_clip --model ViT-B-32 --checkpoint RemoteCLIP-ViT-B-32.pt \\
      --out MODEL_DIR --id remoteclip-vit-b-32 --version 1 --license Apache-2.0
  python -m geoscout_train.export_open_clip --model ViT-B-32 --random-init --out DIR --id t --version 0

Nothing is downloaded: weights come from --checkpoint (a local file) or --random-init
(seeded, so `reference.py` can rebuild the same weights). Outputs image.onnx
(pixel_values → image_embeds [+ patch_embeds for ViTs]), text.onnx (input_ids →
text_embeds, argmax-EOT pooling as open_clip), tokenizer.json (clip_bpe.py) and
geoscout-model.json, after an onnxruntime parity gate (cosine > 0.999).
"""
from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn

from . import clip_bpe, set_threads
from .model_dir import build_manifest, usage_section, write_model_dir
from .onnx_utils import OPSET, check_parity, export


class ExportableMHA(nn.Module):
    """Drop-in for nn.MultiheadAttention with the same weights, written with plain ops.

    torch 1.13 routes eval-mode MHA to `aten::_native_multi_head_attention`, which the
    ONNX exporter cannot translate. Only self-attention shapes open_clip uses are handled.
    """

    def __init__(self, mha: nn.MultiheadAttention):
        super().__init__()
        if not mha._qkv_same_embed_dim or mha.bias_k is not None:
            raise ValueError("unsupported MultiheadAttention variant")
        self.heads, self.batch_first = mha.num_heads, mha.batch_first
        self.in_proj_weight, self.in_proj_bias, self.out_proj = mha.in_proj_weight, mha.in_proj_bias, mha.out_proj

    def forward(self, query, key, value, key_padding_mask=None, need_weights=False, attn_mask=None, **_):
        if key_padding_mask is not None:
            raise ValueError("key_padding_mask is not supported")
        x = query if self.batch_first else query.transpose(0, 1)  # [B, N, C]
        b, n, c = x.shape
        hd = c // self.heads
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias).reshape(b, n, 3, self.heads, hd).permute(2, 0, 3, 1, 4)
        att = (qkv[0] * hd ** -0.5) @ qkv[1].transpose(-2, -1)
        if attn_mask is not None:
            att = att.masked_fill(attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else att + attn_mask
        out = self.out_proj((att.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(b, n, c))
        return (out if self.batch_first else out.transpose(0, 1)), None


def make_exportable(model: nn.Module) -> int:
    """Swap every nn.MultiheadAttention for ExportableMHA in place; returns the count."""
    count = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.MultiheadAttention):
                setattr(parent, name, ExportableMHA(child))
                count += 1
    return count


def build_model(name: str, checkpoint: str | None, seed: int = 0, model_config: str | None = None):
    """(open_clip model in eval mode, preprocess cfg). Seeded so random init is repeatable.

    `model_config`: a JSON architecture file (open_clip's model_configs format) registered
    under its file stem, for architectures open_clip does not ship.
    """
    import open_clip

    if model_config:
        open_clip.add_model_config(model_config)
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no pretrained weights loaded" is the point of --random-init
        model = open_clip.create_model(name, pretrained=None)
    if checkpoint:
        open_clip.load_checkpoint(model, checkpoint)
    model.eval()
    return model, open_clip.get_model_preprocess_cfg(model)


def has_patch_tokens(visual) -> bool:
    """True for open_clip ViTs whose tokens pass through ln_post like the pooled CLS."""
    return (hasattr(visual, "output_tokens") and getattr(visual, "attn_pool", None) is None
            and not getattr(visual, "final_ln_after_pool", False) and getattr(visual, "proj", None) is not None)


class OpenClipImage(nn.Module):
    """pixel_values → image_embeds (+ patch_embeds = ln_post(tokens) @ proj), L2-normalised."""

    def __init__(self, model, patches: bool):
        super().__init__()
        self.model, self.patches = model, patches

    def forward(self, pixel_values):
        if not self.patches:
            return self.model.encode_image(pixel_values, normalize=True)
        v = self.model.visual
        v.output_tokens = True
        try:
            pooled, tokens = v(pixel_values)
        finally:
            v.output_tokens = False
        return F.normalize(pooled, dim=-1), F.normalize(tokens @ v.proj, dim=-1)


class OpenClipText(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model.encode_text(input_ids, normalize=True)


def crop_mode(pre: dict) -> str:
    """open_clip resize_mode → manifest crop: 'shortest' resizes + centre-crops, 'squash' resizes."""
    mode = pre.get("resize_mode", "shortest")
    if mode not in ("shortest", "squash"):
        raise ValueError(f"open_clip resize_mode {mode!r} has no manifest equivalent (center|none)")
    return "center" if mode == "shortest" else "none"


def _tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def export_open_clip(name: str, out: str, id: str, version: str, checkpoint: str | None = None,
                     seed: int = 0, license: str | None = None, model_config: str | None = None) -> dict:
    from open_clip import version as oc_version

    model, pre = build_model(name, checkpoint, seed, model_config)
    size = pre["size"][0] if isinstance(pre["size"], (tuple, list)) else pre["size"]
    ctx = int(model.context_length)
    patches = has_patch_tokens(model.visual)
    img, txt = OpenClipImage(model, patches), OpenClipText(model)
    check_px = torch.randn(3, 3, size, size)
    check_ids = torch.tensor(clip_bpe.open_clip_ids(["ships", "a dense residential area with a river", "x" * 400], ctx))
    with torch.no_grad():
        before = (*_tuple(img(check_px)), txt(check_ids))
    make_exportable(model)
    with torch.no_grad():
        after = (*_tuple(img(check_px)), txt(check_ids))
    # The swap must not change the model: compare with open_clip's own attention path.
    swap_cos = min(float(F.cosine_similarity(a.flatten(0, -2), b.flatten(0, -2), dim=-1).min()) for a, b in zip(before, after))
    if not swap_cos > 0.9999:
        raise RuntimeError(f"ExportableMHA changed the model's outputs (min cosine {swap_cos})")
    visual = model.visual
    os.makedirs(out, exist_ok=True)
    img_outs = ["image_embeds", "patch_embeds"] if patches else ["image_embeds"]
    t0 = time.time()
    export(img, torch.randn(2, 3, size, size), os.path.join(out, "image.onnx"), "pixel_values", img_outs)
    ids = torch.tensor(clip_bpe.open_clip_ids(["a satellite image of an airport", "harbour"], ctx))
    export(txt, ids, os.path.join(out, "text.onnx"), "input_ids", ["text_embeds"])
    parity = {**check_parity(img, os.path.join(out, "image.onnx"), check_px, "pixel_values", img_outs),
              **check_parity(txt, os.path.join(out, "text.onnx"), check_ids, "input_ids", ["text_embeds"])}
    parity["mha_swap_vs_open_clip"] = swap_cos
    export_s = round(time.time() - t0, 1)
    clip_bpe.save(os.path.join(out, "tokenizer.json"))

    source = {"kind": "open_clip", "model": name, "checkpoint": os.path.abspath(checkpoint) if checkpoint else None,
              "random_init_seed": None if checkpoint else seed, "open_clip_version": oc_version.__version__,
              "model_config": os.path.abspath(model_config) if model_config else None}
    grid = tuple(visual.grid_size) if patches else None
    lineage = {"parent": f"open_clip:{name}" + (f" ({os.path.basename(checkpoint)})" if checkpoint else " (random init)"),
               "source": source, "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "onnx_opset": OPSET, "parity_min_cosine": parity}
    with torch.no_grad():
        embed_dim = int(txt(ids[:1]).shape[-1])
    manifest = build_manifest(
        id=id, version=version, embed_dim=embed_dim, input_size=size, mean=pre["mean"], std=pre["std"], crop=crop_mode(pre), context_length=ctx, pad_token_id=0,
        patch_grid=grid, logit_scale=model.logit_scale.exp().item(),
        license=license or ("MIT" if not checkpoint else "UNKNOWN"), lineage=lineage)
    card = (f"# {id} {version}\n\nopen_clip `{name}` exported by geoscout (`pipeline/train`). Weights: "
            f"{'`' + os.path.basename(checkpoint) + '`' if checkpoint else f'random initialisation (seed {seed}) — for tests only'}."
            f"\n\n" + usage_section(manifest) + "\nTokenizer: open_clip's BPE vocabulary in HF format; it matches "
            "open_clip's ids except ftfy mojibake repair and rare HTML entities.\n\n"
            f"## License\n\n{manifest['license']} (check the checkpoint's own terms).\n")
    write_model_dir(out, manifest, card)
    return {"parity": parity, "manifest": manifest, "export_s": export_s}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="ViT-B-32", help="open_clip architecture name")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="local open_clip/torch state dict (.pt/.bin/.safetensors)")
    src.add_argument("--random-init", action="store_true", help="no weights (tests)")
    ap.add_argument("--seed", type=int, default=0, help="random-init seed")
    ap.add_argument("--model-config", help="JSON architecture file to register (its stem is the --model name)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", required=True)
    ap.add_argument("--version", required=True)
    ap.add_argument("--license", help="license of the weights (default MIT for random init; required with --checkpoint)")
    a = ap.parse_args(argv)
    if a.checkpoint and not a.license:
        ap.error("--license is required with --checkpoint (RemoteCLIP: Apache-2.0; check GeoRSCLIP's terms)")
    set_threads()
    res = export_open_clip(a.model, a.out, a.id, a.version, a.checkpoint, a.seed, a.license, a.model_config)
    sizes = {f: os.path.getsize(os.path.join(a.out, f)) for f in sorted(os.listdir(a.out))}
    print(json.dumps({"out": a.out, "parity_min_cosine": res["parity"], "export_s": res["export_s"], "bytes": sizes}, indent=2))


if __name__ == "__main__":
    main()
