"""Training: the loss goes down, a resumed run equals an uninterrupted one, evaluation runs."""
import json
import os

import torch
from conftest import TINY_ARGS, run_module


def test_loss_decreases_and_outputs_are_written(tiny_run):
    m = json.load(open(os.path.join(tiny_run, "metrics.json")))
    losses = [h["train_loss"] for h in m["history"]]
    assert len(losses) == 12 and m["epochs_done"] == 12
    # Chance level for a 16-pair batch is ln(16) = 2.77; the model must learn well below it.
    assert losses[0] > 2.6 and min(losses[-3:]) < losses[0] - 0.5, losses
    assert {"t2i_R@1", "i2t_R@10"} <= set(m["history"][-1]["val"])
    ckpt = torch.load(os.path.join(tiny_run, "last.pt"))
    assert ckpt["epoch"] == 12 and ckpt["step"] == m["steps"] and ckpt["data"]["n_train"] > 0
    assert os.path.exists(os.path.join(tiny_run, "tokenizer.json"))


def test_resume_continues_exactly(dataset, tokenizer_file, tmp_path):
    common = ["--manifest", dataset, "--tokenizer", tokenizer_file, "--epochs", "3", *TINY_ARGS]
    straight, split = str(tmp_path / "straight"), str(tmp_path / "split")
    run_module("train", "--out", straight, *common)
    run_module("train", "--out", split, "--stop-after-epochs", "1", *common)
    assert torch.load(os.path.join(split, "last.pt"))["epoch"] == 1
    p = run_module("train", "--out", split, "--resume", *common)
    assert "resumed" in p.stderr
    a, b = torch.load(os.path.join(straight, "last.pt")), torch.load(os.path.join(split, "last.pt"))
    assert (a["epoch"], a["step"]) == (b["epoch"], b["step"])
    for k in a["model"]:
        assert torch.allclose(a["model"][k], b["model"][k], atol=1e-6, rtol=0), k
    assert [h["train_loss"] for h in a["history"]] == [h["train_loss"] for h in b["history"]]
    assert a["scheduler"]["last_epoch"] == b["scheduler"]["last_epoch"]


def test_evaluate_cli_writes_markdown_and_json(tiny_run, dataset, tmp_path):
    out = tmp_path / "eval.json"
    p = run_module("evaluate", "--checkpoint", os.path.join(tiny_run, "last.pt"), "--manifest", dataset,
                   "--subset", "all", "--out", str(out))
    r = json.load(open(out))
    assert "| text→image |" in p.stdout and "| circle |" in p.stdout
    assert {c["class"] for c in r["classes"]} == {"circle", "square", "triangle"}
    assert r["retrieval"]["n_images"] == 96
    for c in r["classes"]:
        assert 0 <= c["t2i_P@10"] <= 100 and 0 <= c["i2i_P@10"] <= 100
    # Trained on these chips: retrieval must beat chance (R@10 of 10/n_captions).
    assert r["retrieval"]["t2i_R@10"] > 100 * 10 / r["retrieval"]["n_captions"] + 10
