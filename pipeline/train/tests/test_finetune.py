"""Fine-tune from the shipped model's weights: frozen parts stay fixed, the export is a loadable
model directory with its own weights.pt, and compare.py scores parent and candidate."""
from __future__ import annotations

import json
import os

import torch

from conftest import REPO, run_module
from geoscout_train.checkpoint import load_checkpoint
from geoscout_train.synthetic import make_dataset

PARENT = os.path.join(REPO, "models", "geoscout-mini")


def test_head_only_finetune_exports_and_compares(tmp_path):
    manifest = make_dataset(str(tmp_path / "data"), 48, size=64, seed=3, with_split=True)
    run, out = tmp_path / "run", tmp_path / "model"
    p = run_module("finetune", "--parent", PARENT, "--manifest", manifest, "--out", str(run), "--mode", "head-only",
                   "--epochs", "1", "--batch-size", "16", "--export-dir", str(out), "--version", "9.9.9-test")
    assert json.loads(p.stdout.strip().splitlines()[-1])["export_dir"] == str(out)
    parent, child = load_checkpoint(os.path.join(PARENT, "weights.pt")), load_checkpoint(str(out / "weights.pt"))
    assert parent["tokenizer_json"] == child["tokenizer_json"]
    moved = {k for k in parent["model"] if not torch.equal(parent["model"][k], child["model"][k])}
    assert moved and all(k.startswith(("visual.proj", "visual.ln_post", "text.proj", "text.ln_final", "logit_scale"))
                         for k in moved), moved
    m = json.load(open(out / "geoscout-model.json"))
    assert (m["id"], m["version"]) == ("geoscout-mini", "9.9.9-test")
    assert m["lineage"]["training_data"]["init_from"].endswith("weights.pt")

    run_module("compare", "--parent", PARENT, "--candidate", str(run / "last.pt"), "--set", f"toy={manifest}",
               "--out", str(tmp_path / "cmp.json"))
    cmp = json.load(open(tmp_path / "cmp.json"))["sets"]["toy"]
    for who in ("parent", "candidate"):
        assert "t2i_R@10" in cmp[who]["retrieval"] and cmp[who]["classes"] and "AP" in cmp[who]["classes"][0]
