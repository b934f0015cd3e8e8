"""Held-out retrieval evaluation of a geoscout checkpoint.

CLI: python -m geoscout_train.evaluate --checkpoint RUN/last.pt --manifest M.jsonl
        [--subset heldout|all] [--val-fraction 0.1] [--out eval.json]

Metrics (identical caption strings are one query/target, so templated captions shared by
many chips do not make "the" right image ambiguous):
  t2i R@K  for each distinct caption, is any chip carrying it in the top K images
  i2t R@K  for each chip, is its caption in the top K distinct captions
  per class (rows with a `class` field), query "a satellite image of a {class}":
    t2i R@10  any chip of the class in the top 10;  t2i P@10  fraction of the top 10 that are
    i2i P@10  for chips of the class, fraction of their 10 nearest other chips of the class
"""
from __future__ import annotations

import argparse
import json
import sys

import torch

from . import set_threads
from .data import ChipDataset, captions_of, read_manifest, split_rows
from .model import GeoCLIP

KS = (1, 5, 10)
PROMPT = "a satellite image of a {}"


@torch.no_grad()
def embed(model: GeoCLIP, rows, encode, batch_size: int = 64, device="cpu"):
    """(image embeddings [N, D], distinct captions, their embeddings [M, D], caption index per row)."""
    cfg = model.cfg
    ds = ChipDataset(rows, encode, cfg.image_size, cfg.mean, cfg.std, train=False)
    loader = torch.utils.data.DataLoader(ds, batch_size=batch_size, shuffle=False)
    model.eval()
    imgs = torch.cat([model.encode_image(px.to(device)).cpu() for px, _ in loader]) if rows else torch.zeros(0)
    caps = [captions_of(r)[0] for r in rows]
    distinct = sorted(set(caps))
    txts = embed_texts(model, distinct, encode, batch_size, device)
    index = {c: i for i, c in enumerate(distinct)}
    return imgs, distinct, txts, torch.tensor([index[c] for c in caps], dtype=torch.long)


@torch.no_grad()
def embed_texts(model: GeoCLIP, texts, encode, batch_size: int = 64, device="cpu") -> torch.Tensor:
    out = [model.encode_text(encode(texts[i:i + batch_size]).to(device)).cpu() for i in range(0, len(texts), batch_size)]
    return torch.cat(out) if out else torch.zeros(0)


def retrieval_metrics(imgs: torch.Tensor, txts: torch.Tensor, cap_idx: torch.Tensor) -> dict:
    """t2i/i2t R@1/5/10 (%) with distinct-caption semantics (see module doc)."""
    sim = imgs @ txts.t()  # [N images, M captions]
    out = {}
    for k in KS:
        # i2t: caption rank of each image's own caption.
        own = sim.gather(1, cap_idx[:, None])
        out[f"i2t_R@{k}"] = 100.0 * ((sim > own).sum(1) < k).float().mean().item()
        # t2i: best rank over the chips that carry the caption.
        topk = sim.t().topk(min(k, sim.shape[0]), dim=1).indices  # [M, k]
        hit = (cap_idx[topk] == torch.arange(sim.shape[1])[:, None]).any(1)
        out[f"t2i_R@{k}"] = 100.0 * hit.float().mean().item()
    out["n_images"], out["n_captions"] = sim.shape[0], sim.shape[1]
    return out


def class_metrics(imgs: torch.Tensor, classes: list[str], prompt_embs: torch.Tensor, names: list[str]) -> list[dict]:
    """Per-class t2i R@10 / P@10 for the class prompt and i2i P@10 among chips."""
    labels = torch.tensor([names.index(c) for c in classes])
    k = min(10, imgs.shape[0])
    top_t2i = (prompt_embs @ imgs.t()).topk(k, dim=1).indices  # [C, k]
    sim = imgs @ imgs.t()
    sim.fill_diagonal_(-float("inf"))  # "other" chips only
    kk = min(10, imgs.shape[0] - 1)
    nn_same = (labels[sim.topk(kk, dim=1).indices] == labels[:, None]).float().mean(1) if kk > 0 else torch.zeros(len(labels))
    rows = []
    for c, name in enumerate(names):
        of_class = labels[top_t2i[c]] == c
        members = labels == c
        rows.append({"class": name, "n": int(members.sum()), "t2i_R@10": 100.0 * float(of_class.any()),
                     "t2i_P@10": 100.0 * of_class.float().mean().item(),
                     "i2i_P@10": 100.0 * nn_same[members].mean().item()})
    return rows


def evaluate(model: GeoCLIP, rows, encode, batch_size: int = 64, device="cpu") -> dict:
    imgs, distinct, txts, cap_idx = embed(model, rows, encode, batch_size, device)
    result = {"retrieval": retrieval_metrics(imgs, txts, cap_idx)}
    labelled = [i for i, r in enumerate(rows) if r.get("class")]
    if labelled:
        classes = [str(rows[i]["class"]) for i in labelled]
        names = sorted(set(classes))
        prompts = [PROMPT.format(n.replace("_", " ")) for n in names]
        per = class_metrics(imgs[labelled], classes, embed_texts(model, prompts, encode, batch_size, device), names)
        mean = {key: sum(r[key] for r in per) / len(per) for key in ("t2i_R@10", "t2i_P@10", "i2i_P@10")}
        result["classes"], result["class_mean"] = per, mean
    return result


def markdown(result: dict) -> str:
    r = result["retrieval"]
    lines = [f"Retrieval on {r['n_images']} chips / {r['n_captions']} distinct captions (%):", "",
             "| direction | R@1 | R@5 | R@10 |", "|---|---|---|---|"]
    for d, name in (("t2i", "text→image"), ("i2t", "image→text")):
        lines.append(f"| {name} | " + " | ".join(f"{r[f'{d}_R@{k}']:.1f}" for k in KS) + " |")
    if "classes" in result:
        lines += ["", f'Per class, prompt "{PROMPT.format("{class}")}" (%):', "",
                  "| class | chips | t2i R@10 | t2i P@10 | i2i P@10 |", "|---|---|---|---|---|"]
        for c in result["classes"]:
            lines.append(f"| {c['class']} | {c['n']} | {c['t2i_R@10']:.0f} | {c['t2i_P@10']:.1f} | {c['i2i_P@10']:.1f} |")
        m = result["class_mean"]
        lines.append(f"| **mean** | {sum(c['n'] for c in result['classes'])} | {m['t2i_R@10']:.1f} | "
                     f"{m['t2i_P@10']:.1f} | {m['i2i_P@10']:.1f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    from .checkpoint import load_model

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--subset", choices=["heldout", "all"], default="heldout")
    ap.add_argument("--val-fraction", type=float, default=None,
                    help="hash split when rows have no 'split' (default: the training run's, else 0.1)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", help="write the result JSON here")
    a = ap.parse_args(argv)
    set_threads()
    model, encoder, ckpt = load_model(a.checkpoint)
    rows = read_manifest(a.manifest)
    if a.subset == "heldout":
        frac = a.val_fraction if a.val_fraction is not None else ckpt.get("args", {}).get("val_fraction", 0.1)
        rows = split_rows(rows, frac)[1]
    if not rows:
        sys.exit("no rows to evaluate (empty held-out split?)")
    result = evaluate(model, rows, encoder, a.batch_size)
    result.update(checkpoint=a.checkpoint, manifest=a.manifest, subset=a.subset)
    print(markdown(result))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
