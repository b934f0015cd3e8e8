"""Evaluate a fine-tuned model against its parent on the same chips, class by class.

  python -m geoscout_train.compare --parent PARENT(weights.pt|dir) --candidate RUN/last.pt \\
      --set heldout=val.jsonl --set benchmark=bench.jsonl --out compare.json

For every set and both models: retrieval R@K (evaluate.py), and per class, with the prompt
"a satellite image of a {class}": t2i R@10, t2i P@10, i2i P@10 and AP, the average
precision of ranking every chip of the set by the prompt (chips of the class are the
positives; chips of other classes and `negative` rows, e.g. rejected detections, are not).
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from . import set_threads
from .checkpoint import load_model
from .data import read_manifest
from .evaluate import PROMPT, embed, embed_texts, evaluate


def average_precision(scores: torch.Tensor, positive: torch.Tensor) -> float:
    """AP (%) of a ranking: mean of precision at each positive's rank."""
    if int(positive.sum()) == 0:
        return float("nan")
    order = scores.argsort(descending=True)
    hits = positive[order].float()
    precision = hits.cumsum(0) / torch.arange(1, len(hits) + 1)
    return 100.0 * float((precision * hits).sum() / hits.sum())


def class_ap(model, rows, encode) -> dict:
    imgs = embed(model, rows, encode)[0]
    classes = [str(r.get("class") or "") for r in rows]
    names = sorted({c for c in classes if c and c not in ("negative", "background")})
    if not names:
        return {}
    prompts = embed_texts(model, [PROMPT.format(n.replace("_", " ")) for n in names], encode)
    scores = prompts @ imgs.t()
    return {n: average_precision(scores[i], torch.tensor([c == n for c in classes])) for i, n in enumerate(names)}


def score_set(model, encode, rows) -> dict:
    graded = [r for r in rows if r.get("class") != "negative"]
    res = evaluate(model, graded, encode) if graded else {}
    aps = class_ap(model, rows, encode)
    for c in res.get("classes", []):
        c["AP"] = aps.get(c["class"], float("nan"))
    finite = [v for v in aps.values() if v == v]
    res["mAP"] = sum(finite) / len(finite) if finite else float("nan")
    res["AP"] = aps
    return res


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--parent", required=True)
    ap.add_argument("--candidate", required=True)
    ap.add_argument("--set", action="append", required=True, help="NAME=manifest.jsonl (every row is scored)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    set_threads()
    parent = os.path.join(a.parent, "weights.pt") if os.path.isdir(a.parent) else a.parent
    models = {"parent": load_model(parent), "candidate": load_model(a.candidate)}
    out = {"sets": {}}
    for spec in a.set:
        name, path = spec.split("=", 1)
        rows = read_manifest(path)
        out["sets"][name] = {"manifest": path, "rows": len(rows),
                             **{k: score_set(m, enc, rows) for k, (m, enc, _) in models.items()}}
    with open(a.out, "w") as f:
        json.dump(_clean(out), f, indent=2)
    print(json.dumps({k: {m: v[m].get("mAP") for m in ("parent", "candidate")} for k, v in _clean(out)["sets"].items()}))


def _clean(x):
    """NaN → None so the JSON is strict (Node's JSON.parse rejects NaN)."""
    if isinstance(x, float) and x != x:
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x


if __name__ == "__main__":
    main()
