"""DDP on CPU (gloo, 2 processes): the global contrastive batch makes 2 × B/2 train like 1 × B."""
import json
import os
import subprocess
import sys

import torch
from conftest import REPO, TINY_ARGS, TRAIN_DIR, run_module


def test_two_process_ddp_matches_single_process(dataset, tokenizer_file, tmp_path):
    common = ["--manifest", dataset, "--tokenizer", tokenizer_file, "--epochs", "1", *TINY_ARGS]
    ddp, single = str(tmp_path / "ddp"), str(tmp_path / "single")
    env = {**os.environ, "PYTHONPATH": TRAIN_DIR}
    p = subprocess.run([sys.executable, "-m", "geoscout_train.torchrun", "--nproc_per_node=2", "--master_port=29731",
                        "-m", "geoscout_train.train", "--out", ddp, *common],
                       capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "world 2, batch 16 (8/rank)" in p.stderr
    run_module("train", "--out", single, *common)
    a, b = torch.load(os.path.join(ddp, "last.pt")), torch.load(os.path.join(single, "last.pt"))
    assert a["step"] == b["step"] >= 2
    # Logged losses are global-batch losses in both runs.
    la, lb = (json.load(open(os.path.join(d, "metrics.json")))["history"][0]["train_loss"] for d in (ddp, single))
    assert abs(la - lb) < 1e-4, (la, lb)
    diff = sum(((a["model"][k] - b["model"][k]) ** 2).sum() for k in a["model"]) ** 0.5
    norm = sum((b["model"][k] ** 2).sum() for k in b["model"]) ** 0.5
    assert diff / norm < 1e-4, float(diff / norm)
