"""Train, evaluate and export the objectness model (models/geoscout-objectness).

    python -m geoscout_train.objectness_train --data DIR [DIR…] --out RUN --minutes 25
    python -m geoscout_train.objectness_train --export RUN/last.pt --model-dir models/geoscout-objectness [--data DIR…]

Data: folders written by pipeline/detect/train/make-objectness-data.ts (images.u8 +
labels.jsonl). Training runs for a wall-clock budget with a cosine learning rate over
elapsed time, so a loaded machine shortens the run instead of overrunning it. Export writes
model.onnx (opset 17, dynamic batch/H/W) and checks onnxruntime against torch.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import numpy as np
import torch

from . import set_threads
from .objectness import STRIDE, ObjectnessNet, decode, iou_matrix, losses, make_targets, param_count

PATCH = 256
# Runtime passes (metres per model pixel) and the body long-side band (model pixels) each
# keeps; training patches cover 0.7–1.4× each resolution and objects of 4–180 px.
PASSES = [{"mpp": 0.25, "minPx": 4, "maxPx": 100}, {"mpp": 0.5, "minPx": 4, "maxPx": 100},
          {"mpp": 2, "minPx": 12, "maxPx": 100}, {"mpp": 8, "minPx": 12, "maxPx": 170}]


class Patches:
    """All patches of the given folders in memory (uint8), with their labels."""

    def __init__(self, dirs: list[str], split: str) -> None:
        imgs, self.labels = [], []
        for d in dirs:
            lab = [json.loads(line) for line in open(os.path.join(d, "labels.jsonl"))]
            arr = np.fromfile(os.path.join(d, "images.u8"), np.uint8).reshape(len(lab), PATCH, PATCH, 3)
            idx = [i for i, lb in enumerate(lab) if lb["split"] == split]
            imgs.append(arr[idx])
            self.labels += [lab[i] for i in idx]
        self.images = np.concatenate(imgs) if imgs else np.zeros((0, PATCH, PATCH, 3), np.uint8)

    def __len__(self) -> int:
        return len(self.labels)

    def item(self, i: int, rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Image HWC float and boxes/ignore [n, 4]; with rng: random flips, transpose, and light gain."""
        img = self.images[i].astype(np.float32)
        b = np.array(self.labels[i]["boxes"], np.float32).reshape(-1, 4)
        ig = np.array(self.labels[i]["ignore"], np.float32).reshape(-1, 4)
        if rng is not None:
            if rng.random() < 0.5:
                img = img[:, ::-1]
                b[:, 0] = PATCH - b[:, 0] - b[:, 2]
                ig[:, 0] = PATCH - ig[:, 0] - ig[:, 2]
            if rng.random() < 0.5:
                img = img[::-1]
                b[:, 1] = PATCH - b[:, 1] - b[:, 3]
                ig[:, 1] = PATCH - ig[:, 1] - ig[:, 3]
            if rng.random() < 0.5:
                img = img.transpose(1, 0, 2)
                b, ig = b[:, [1, 0, 3, 2]], ig[:, [1, 0, 3, 2]]
            img = np.clip(img * rng.uniform(0.8, 1.2) + rng.uniform(-15, 15), 0, 255)
        return np.ascontiguousarray(img), b, ig


def batch(ds: Patches, idx: list[int], rng: np.random.Generator | None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    xs, ts = [], []
    for i in idx:
        img, b, ig = ds.item(i, rng)
        xs.append(img.transpose(2, 0, 1))
        ts.append(make_targets(b, ig, PATCH))
    t = {k: torch.from_numpy(np.stack([d[k] for d in ts])) for k in ts[0]}
    return torch.from_numpy(np.stack(xs)), t


def evaluate(model: ObjectnessNet, ds: Patches, thr: float = 0.1) -> dict:
    """Loss and recall at IoU ≥ 0.5 (per pass resolution, m/px) of decoded peaks on unaugmented patches."""
    model.eval()
    hits = {"0.25": [0, 0], "0.5": [0, 0], "2": [0, 0], "8": [0, 0]}
    tot, n_props = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(ds), 16):
            idx = list(range(s, min(len(ds), s + 16)))
            x, t = batch(ds, idx, None)
            out = model(x)
            tot += float(losses(out, t)["total"]) * len(idx)
            for j, i in enumerate(idx):
                boxes = np.array(ds.labels[i]["boxes"], np.float32).reshape(-1, 4)
                det = decode(out[0][j, 0].numpy(), out[1][j].numpy(), out[2][j].numpy(), thr)
                n_props += len(det)
                mpp = ds.labels[i]["mpp"]
                key = "0.25" if mpp < 0.37 else "0.5" if mpp < 1 else "2" if mpp < 4 else "8"
                best = iou_matrix(boxes, det[:, :4]).max(1) if len(det) else np.zeros(len(boxes))
                hits[key][0] += int((best >= 0.5).sum())
                hits[key][1] += len(boxes)
    model.train()
    return {"loss": tot / max(1, len(ds)), "recall50": {k: round(h / max(1, n), 3) for k, (h, n) in hits.items()},
            "gt": {k: n for k, (_, n) in hits.items()}, "proposals_per_patch": round(n_props / max(1, len(ds)), 1)}


def train(args: argparse.Namespace) -> None:
    set_threads()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    tr, va = Patches(args.data, "train"), Patches(args.data, "val")
    print(f"[objectness] train {len(tr)} patches, val {len(va)}", flush=True)
    model = ObjectnessNet()
    frozen = False  # BatchNorm kept in eval mode (a warm start from a folded ONNX export)
    if args.init and args.init.endswith(".onnx"):
        # Only the exported model survives a run; its BatchNorms are folded, so they stay frozen.
        from .objectness_onnx_init import state_from_onnx

        model.load_state_dict(state_from_onnx(args.init))
        frozen = True
    elif args.init:
        ckpt = torch.load(args.init, map_location="cpu")
        model.load_state_dict(ckpt["model"])
        frozen = bool(ckpt.get("frozen_bn"))
    if frozen:
        from .objectness_onnx_init import freeze_batchnorm

        freeze_batchnorm(model)
    print(f"[objectness] {param_count(model)} parameters" + (f", initialised from {args.init}" if args.init else ""), flush=True)
    opt = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=args.lr, weight_decay=1e-4)
    os.makedirs(args.out, exist_ok=True)
    budget = args.minutes * 60
    t0, step, last_log = time.time(), 0, time.time()
    running: dict[str, float] = {}
    while True:
        frac = (time.time() - t0) / budget
        if frac >= 1 or (args.steps and step >= args.steps):
            break
        warm = min(1.0, (step + 1) / 100)
        for g in opt.param_groups:
            g["lr"] = args.lr * warm * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))
        x, t = batch(tr, list(rng.integers(0, len(tr), args.batch_size)), rng)
        ls = losses(model(x), t)
        opt.zero_grad()
        ls["total"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        step += 1
        for k, v in ls.items():
            running[k] = 0.98 * running.get(k, float(v)) + 0.02 * float(v)
        if time.time() - last_log > 60:
            last_log = time.time()
            print(f"[objectness] step {step} {100 * frac:.0f}% " + " ".join(f"{k} {v:.3f}" for k, v in running.items()), flush=True)
            torch.save({"model": model.state_dict(), "step": step, "frozen_bn": frozen}, os.path.join(args.out, "last.pt"))
    metrics = evaluate(model, va) if len(va) else {}
    metrics.update(init=args.init and os.path.basename(os.path.dirname(args.init)), steps=step, minutes=round((time.time() - t0) / 60, 1), train_patches=len(tr), val_patches=len(va),
                   params=param_count(model))
    torch.save({"model": model.state_dict(), "step": step, "metrics": metrics, "frozen_bn": frozen}, os.path.join(args.out, "last.pt"))
    json.dump(metrics, open(os.path.join(args.out, "metrics.json"), "w"), indent=2)
    print(f"[objectness] done: {json.dumps(metrics)}", flush=True)


def export(args: argparse.Namespace) -> None:
    """Writes model.onnx + objectness.json into --model-dir; checks onnxruntime parity on a non-square input."""
    from .onnx_utils import session

    ck = torch.load(args.export, map_location="cpu")
    model = ObjectnessNet()
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(args.model_dir, exist_ok=True)
    path = os.path.join(args.model_dir, "model.onnx")
    names = ["heat", "size", "offset"]
    axes = {"image": {0: "batch", 2: "height", 3: "width"}, **{n: {0: "batch", 2: "h4", 3: "w4"} for n in names}}
    with torch.no_grad():
        torch.onnx.export(model, (torch.rand(1, 3, 256, 256) * 255,), path, input_names=["image"], output_names=names,
                          dynamic_axes=axes, opset_version=17, do_constant_folding=True)
    import onnx

    onnx.checker.check_model(onnx.load(path))
    x = (torch.rand(2, 3, 320, 448) * 255).float()
    with torch.no_grad():
        ref = [o.numpy() for o in model(x)]
    got = session(path).run(names, {"image": x.numpy()})
    diff = max(float(np.abs(a - b).max()) for a, b in zip(ref, got))
    print(f"[objectness] exported {path}; onnxruntime vs torch max |diff| {diff:.2e}", flush=True)
    if diff > 1e-3:
        raise SystemExit(f"parity check failed: max |diff| {diff}")
    metas = [json.load(open(os.path.join(d, "meta.json"))) for d in (args.data or [])]
    manifest = {
        "id": "geoscout-objectness",
        "version": args.version,
        "license": "Apache-2.0",
        "onnx": "model.onnx",
        "input": {"name": "image", "layout": "NCHW", "dtype": "float32", "range": [0, 255], "channels": "RGB",
                  "multiple": 32, "normalisation": "in graph: (x - 127.5) / 64"},
        "outputs": {"heat": "heat", "size": "size", "offset": "offset"},
        "stride": STRIDE,
        "decode": "peak (3x3 max) at cell (i, j): centre = (i + offset[0], j + offset[1]) * stride, "
                  "size = exp(size) * stride, in model pixels",
        "passes": PASSES,
        # What the data taught, read from the shards (wind turbines are positives since 1.2.0;
        # real car and tree-crown patches since 1.3.0: evals/real/make-real-objectness-data.ts).
        "classes_trained": sorted({c for m in metas for c in m.get("positives", {})} | {f"real {c}" for m in metas for c in m.get("real", {})}),
        "classes_excluded": sorted({c for m in metas for c in m.get("ignored", [])}),
        "training": {"seeds": [m["seeds"] for m in metas if "seeds" in m], "patches": sum(m["count"] for m in metas), "gsd_m": [0.3, 1.0],
                     "real": {c: {"images": len(v["images"]), "boxes": v["boxes"]} for m in metas for c, v in m.get("real", {}).items()},
                     "attribution": [a for m in metas for a in m.get("attribution", [])],
                     "patch": PATCH, "steps": ck.get("step"), "parity_max_abs_diff": diff},
        "metrics": ck.get("metrics", {}),
    }
    json.dump(manifest, open(os.path.join(args.model_dir, "objectness.json"), "w"), indent=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", nargs="+", help="data folders (make-objectness-data.ts output)")
    ap.add_argument("--out", help="run folder for last.pt and metrics.json")
    ap.add_argument("--minutes", type=float, default=25.0, help="wall-clock training budget")
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: budget only)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", help="checkpoint (.pt) or exported model.onnx to start from (warm start) instead of random weights")
    ap.add_argument("--export", help="checkpoint to export instead of training")
    ap.add_argument("--model-dir", help="where --export writes model.onnx and objectness.json")
    ap.add_argument("--version", default="1.0.0", help="model version written to the manifest")
    args = ap.parse_args()
    if args.export:
        export(args)
    else:
        if not args.data or not args.out:
            ap.error("--data and --out are required for training")
        train(args)


if __name__ == "__main__":
    main()
