"""Export a geoscout training checkpoint to a model directory (ONNX + tokenizer + manifest).

  python -m geoscout_train.export_onnx --checkpoint RUN/last.pt --out MODEL_DIR \\
      --id geoscout-mini --version 1 [--eval-json eval.json]

Fails (exit ≠ 0) unless onnxruntime reproduces torch with cosine > 0.999 on every output.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import torch

from . import set_threads
from .checkpoint import load_model
from .model import GeoCLIP, count_params
from .model_dir import build_manifest, usage_section, write_model_dir
from .onnx_utils import OPSET, check_parity, export


class ImageGraph(torch.nn.Module):
    """pixel_values → (image_embeds, patch_embeds), both L2-normalised."""

    def __init__(self, model: GeoCLIP):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model.encode_image(pixel_values, with_patches=True)


class TextGraph(torch.nn.Module):
    """input_ids → text_embeds (L2-normalised)."""

    def __init__(self, model: GeoCLIP):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model.encode_text(input_ids)


def random_ids(n: int, context_length: int, vocab: int, sot: int, eot: int, pad: int, seed: int = 0) -> torch.Tensor:
    """Plausible id rows: SOT, random body of random length, EOT, padding (one row full-length)."""
    g = torch.Generator().manual_seed(seed)
    rows = []
    for i in range(n):
        body = context_length - 2 if i == 0 else int(torch.randint(0, context_length - 1, (1,), generator=g))
        ids = [sot] + torch.randint(3, vocab, (body,), generator=g).tolist() + [eot]
        rows.append(ids + [pad] * (context_length - len(ids)))
    return torch.tensor(rows, dtype=torch.long)


def export_model_dir(checkpoint: str, out: str, id: str, version: str, eval_json: str | None = None) -> dict:
    """Write the directory; returns {"parity": {...}, "manifest": {...}}."""
    model, enc, ckpt = load_model(checkpoint)
    cfg = model.cfg
    os.makedirs(out, exist_ok=True)
    s = cfg.image_size
    img_graph, txt_graph = ImageGraph(model), TextGraph(model)
    export(img_graph, torch.randn(2, 3, s, s), os.path.join(out, "image.onnx"), "pixel_values",
           ["image_embeds", "patch_embeds"])
    ids = lambda n, seed: random_ids(n, cfg.context_length, cfg.vocab_size, enc.sot_id, enc.eot_id, enc.pad_id, seed)
    export(txt_graph, ids(2, 0), os.path.join(out, "text.onnx"), "input_ids", ["text_embeds"])
    parity = {**check_parity(img_graph, os.path.join(out, "image.onnx"), torch.randn(3, 3, s, s),
                             "pixel_values", ["image_embeds", "patch_embeds"]),
              **check_parity(txt_graph, os.path.join(out, "text.onnx"), ids(5, 1), "input_ids", ["text_embeds"])}
    enc.tok.save(os.path.join(out, "tokenizer.json"))

    final = (ckpt.get("history") or [{}])[-1]
    lineage = {"parent": None, "source": {"kind": "geoscout", "checkpoint": os.path.abspath(checkpoint)},
               "trainer": "pipeline/train (geoscout_train)", "config_name": ckpt.get("config_name"),
               "architecture": cfg.to_dict(), "params": count_params(model), "epochs": ckpt["epoch"],
               "steps": ckpt["step"], "training_data": ckpt.get("data"), "final_epoch_metrics": final,
               "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "onnx_opset": OPSET,
               "parity_min_cosine": parity}
    if eval_json:
        with open(eval_json) as f:
            lineage["evaluation"] = json.load(f)
    manifest = build_manifest(id=id, version=version, embed_dim=cfg.embed_dim, input_size=s, mean=cfg.mean,
                              std=cfg.std, crop="none", context_length=cfg.context_length,
                              pad_token_id=enc.pad_id, patch_grid=(cfg.grid, cfg.grid),
                              logit_scale=model.logit_scale.exp().item(), lineage=lineage)
    write_model_dir(out, manifest, model_card(manifest, lineage))
    return {"parity": parity, "manifest": manifest}


def model_card(m: dict, lin: dict) -> str:
    data = lin.get("training_data") or {}
    ev = lin.get("evaluation") or {}
    metrics = ev.get("retrieval") or (lin.get("final_epoch_metrics") or {}).get("val") or {}
    keys = [f"{d}_R@{k}" for d in ("t2i", "i2t") for k in (1, 5, 10)]
    mtxt = ", ".join(f"{k} {metrics[k]:.1f}%" for k in keys if k in metrics) or "none recorded"
    if ev.get("class_mean"):
        mtxt += "; per-class mean " + ", ".join(f"{k} {v:.1f}%" for k, v in ev["class_mean"].items())
    src = "`evaluate.py` on the held-out split" if ev else "validation at the last epoch"
    a = lin["architecture"]
    # A fine-tune's epochs and manifest are its own stage's; say where it started.
    init = data.get("init_from")
    origin = f"fine-tuned from `{init}`" if init else "trained from scratch"
    return (f"# {m['id']} {m['version']}\n\nA small CLIP {origin} by geoscout's trainer "
            f"(`pipeline/train`) for satellite image chips.\n\n## Architecture\n\n"
            f"- Image: ViT, {a['image_size']} px input, patch {a['patch_size']}, width {a['width']}, depth {a['depth']}, "
            f"{a['heads']} heads; CLS pooled; patch tokens through the same LN + projection.\n"
            f"- Text: causal transformer, width {a['text_width']}, depth {a['text_depth']}, context {a['context_length']}, "
            f"BPE vocabulary {a['vocab_size']}; pooled at the last non-pad token.\n"
            f"- Joint space {m['embed_dim']}-d; {lin['params'] / 1e6:.2f}M parameters; "
            f"{'this stage: ' if init else ''}trained for {lin['epochs']} epoch(s) / {lin['steps']} steps.\n\n" + usage_section(m) +
            f"\n## Training data\n\n- Manifest: `{data.get('manifest')}` (sha256 {data.get('manifest_sha256')}), "
            f"{data.get('n_train')} training / {data.get('n_val')} held-out rows.\n\n"
            f"## Held-out metrics ({src})\n\n{mtxt}\n\n## Limitations\n\nTrained on the data above only; expect poor "
            f"transfer to imagery unlike it. Small model: coarse semantics, not fine-grained object types.\n\n"
            f"## License\n\n{m['license']}\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--id", default="geoscout-mini")
    ap.add_argument("--version", required=True)
    ap.add_argument("--eval-json", help="evaluate.py output to record in lineage and the card")
    a = ap.parse_args(argv)
    set_threads()
    res = export_model_dir(a.checkpoint, a.out, a.id, a.version, a.eval_json)
    sizes = {f: os.path.getsize(os.path.join(a.out, f)) for f in sorted(os.listdir(a.out))}
    print(json.dumps({"out": a.out, "parity_min_cosine": res["parity"], "bytes": sizes}, indent=2))


if __name__ == "__main__":
    main()
