"""Fine-tune a geoscout model from its parent's weights, then export the result as a model directory.

  python -m geoscout_train.finetune --parent models/geoscout-mini --manifest train.jsonl \\
      [--val-manifest val.jsonl] --out RUN --mode contrastive|head-only|probe [--preset tiny-cpu] \\
      [--epochs N --batch-size B --lr LR] [--export-dir DIR --id ID --version V]
  torchrun --nnodes=N --nproc_per_node=G ... -m geoscout_train.finetune ...   (DDP, as train.py)

The parent is a model directory holding `weights.pt` (what the trainer ships next to the
ONNX towers) or a checkpoint file. Its architecture and tokenizer are kept: the new
version embeds into the same space layout and the same tiles table.

Modes (few labelled examples do not justify moving 3 M weights, so smaller modes exist):
  contrastive  every weight learns, at a fine-tune learning rate
  head-only    projections + final norms of both towers + temperature
  probe        the image projection + its norm only (the text side stays fixed)

Presets give sane defaults for the compute at hand; explicit flags override them.
The export (rank 0 only) writes the ONNX towers, tokenizer, manifest, card and a slim
weights.pt, so the new version can itself be the parent of the next fine-tune.
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from .checkpoint import load_checkpoint
from .train import parse_args as train_args, run as train_run

MODES = {"contrastive": "all", "head-only": "head", "probe": "probe"}
PRESETS = {
    # ~20-60 s on 2 CPU cores for a few hundred chips with geoscout-mini.
    "tiny-cpu": {"epochs": 4, "batch_size": 32, "lr": 5e-5, "warmup_steps": 4},
    # A GPU node: larger global batch, still a gentle learning rate for a fine-tune.
    "gpu": {"epochs": 10, "batch_size": 256, "lr": 1e-4, "warmup_steps": None},
}
LR_SCALE = {"contrastive": 1.0, "head-only": 10.0, "probe": 10.0}  # frozen trunks tolerate larger steps


def parent_weights(parent: str) -> str:
    path = os.path.join(parent, "weights.pt") if os.path.isdir(parent) else parent
    if not os.path.exists(path):
        raise SystemExit(f"{parent}: no weights.pt; only models trained by geoscout_train can be fine-tuned "
                         "(imported ONNX-only models have no PyTorch weights)")
    return path


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parent", required=True, help="parent model directory (with weights.pt) or checkpoint")
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--val-manifest")
    ap.add_argument("--out", required=True)
    ap.add_argument("--mode", choices=sorted(MODES), default="contrastive")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="tiny-cpu")
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--export-dir", help="write the fine-tuned model directory here (rank 0)")
    ap.add_argument("--id", help="model id of the export (default: the parent's)")
    ap.add_argument("--version", help="model version of the export")
    return ap.parse_args(argv)


def train_argv(a: argparse.Namespace, weights: str) -> list[str]:
    p = PRESETS[a.preset]
    lr = a.lr if a.lr is not None else p["lr"] * LR_SCALE[a.mode]
    argv = ["--manifest", a.manifest, "--out", a.out, "--init-from", weights, "--trainable", MODES[a.mode],
            "--epochs", str(a.epochs or p["epochs"]), "--batch-size", str(a.batch_size or p["batch_size"]),
            "--lr", str(lr), "--seed", str(a.seed), "--log-every", "1"]
    if p["warmup_steps"] is not None:
        argv += ["--warmup-steps", str(p["warmup_steps"])]
    if a.val_manifest:
        argv += ["--val-manifest", a.val_manifest]
    if a.device:
        argv += ["--device", a.device]
    if a.resume:
        argv.append("--resume")
    return argv


def save_weights(ckpt_path: str, out: str) -> None:
    """The slim weights.pt (no optimiser state) the next fine-tune starts from."""
    ck = load_checkpoint(ckpt_path)
    torch.save({k: ck[k] for k in ("format", "config", "model", "tokenizer_json")}, os.path.join(out, "weights.pt"))


def main(argv=None) -> None:
    a = parse(argv)
    weights = parent_weights(a.parent)
    metrics = train_run(train_args(train_argv(a, weights)))
    if int(os.environ.get("RANK", "0")) != 0 or not a.export_dir:
        return
    from .export_onnx import export_model_dir

    pid = a.id
    if pid is None and os.path.isdir(a.parent):
        with open(os.path.join(a.parent, "geoscout-model.json")) as f:
            pid = json.load(f)["id"]
    if not a.version:
        raise SystemExit("--version is required with --export-dir")
    res = export_model_dir(os.path.join(a.out, "last.pt"), a.export_dir, pid or "geoscout-finetuned", a.version)
    save_weights(os.path.join(a.out, "last.pt"), a.export_dir)
    print(json.dumps({"export_dir": a.export_dir, "parity_min_cosine": res["parity"],
                      "final": metrics.get("final")}), flush=True)


if __name__ == "__main__":
    main()
