"""The image-only objective: uncaptioned chips shape the embedding without any caption."""
import json
import os

import torch
import torch.nn.functional as F
from conftest import TINY_ARGS, run_module

from geoscout_train.checkpoint import load_model
from geoscout_train.data import ChipDataset, captions_of, is_uncaptioned, read_manifest
from geoscout_train.dist import clip_loss, masked_clip_loss, ssl_loss


def uncaption(manifest: str, cls: str, out_dir) -> str:
    """A copy of the manifest whose `cls` rows keep their image but lose every caption."""
    rows = [json.loads(line) for line in open(manifest)]
    base = os.path.dirname(manifest)
    path = str(out_dir / "uncaptioned.jsonl")
    with open(path, "w") as f:
        for r in rows:
            r["image"] = os.path.join(base, r["image"])
            if r["class"] == cls:
                r.update(caption="", captions=[], **{"class": "uncaptioned"})
            f.write(json.dumps(r) + "\n")
    return path


def test_masked_clip_loss_is_clip_loss_over_the_captioned_rows():
    torch.manual_seed(0)
    img, txt = F.normalize(torch.randn(8, 16), dim=1), F.normalize(torch.randn(8, 16), dim=1)
    scale, cap = torch.tensor(10.0), torch.ones(8, dtype=torch.bool)
    assert torch.isclose(masked_clip_loss(img, txt, img, txt, scale, cap, cap), clip_loss(img, txt, img, txt, scale))
    cap[[2, 5]] = False
    k = cap.nonzero().squeeze(1)
    got = masked_clip_loss(img, txt, img, txt, scale, cap, cap)
    assert torch.isclose(got, clip_loss(img[k], txt[k], img[k], txt[k], scale))
    # Two views that are the same vector find each other: the loss is far below chance, ln(2N − 1).
    same = ssl_loss(img, img, img, img, 0.1)
    assert same < 0.1 < torch.log(torch.tensor(15.0)) and torch.isfinite(same)


def test_uncaptioned_rows_need_the_image_objective(dataset, tokenizer_file, tmp_path):
    m = uncaption(dataset, "triangle", tmp_path)
    rows = read_manifest(m)
    assert sum(map(is_uncaptioned, rows)) == 32 and captions_of(rows[0])
    ds = ChipDataset(rows, lambda t: torch.zeros(len(t), 4, dtype=torch.long), 32, (0.5,) * 3, (0.25,) * 3, train=True, views=2)
    a, b, _, cap = ds[2]  # a triangle
    assert a.shape == b.shape == (3, 32, 32) and not torch.equal(a, b) and not cap.item()
    common = ["--manifest", m, "--tokenizer", tokenizer_file, "--epochs", "1", "--val-fraction", "0", *TINY_ARGS]
    plain = run_module("train", "--out", str(tmp_path / "plain"), *common)
    assert "32 uncaptioned rows left out" in plain.stderr
    run_module("train", "--out", str(tmp_path / "ssl"), "--ssl-weight", "0.5", *common)
    ck = torch.load(str(tmp_path / "ssl" / "last.pt"))
    assert ck["data"]["n_uncaptioned"] == 32 and ck["data"]["n_train"] == 96
    assert all(torch.isfinite(torch.tensor(h["train_loss"])) for h in ck["history"])


def test_two_process_ddp_with_the_image_objective_matches_single_process(dataset, tokenizer_file, tmp_path):
    """The masked CLIP loss and the SSL loss are global-batch losses: 2 ranks × 8 train like 1 × 16."""
    import subprocess
    import sys

    from conftest import REPO, TRAIN_DIR

    m = uncaption(dataset, "triangle", tmp_path)
    common = ["--manifest", m, "--tokenizer", tokenizer_file, "--epochs", "1", "--val-fraction", "0",
              "--ssl-weight", "0.5", *TINY_ARGS]
    ddp, single = str(tmp_path / "ddp"), str(tmp_path / "single")
    p = subprocess.run([sys.executable, "-m", "geoscout_train.torchrun", "--nproc_per_node=2", "--master_port=29733",
                        "-m", "geoscout_train.train", "--out", ddp, *common],
                       capture_output=True, text=True, env={**os.environ, "PYTHONPATH": TRAIN_DIR}, cwd=REPO, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    run_module("train", "--out", single, *common)
    la, lb = (json.load(open(os.path.join(d, "metrics.json")))["history"][0]["train_loss"] for d in (ddp, single))
    assert abs(la - lb) < 1e-4, (la, lb)
    a, b = torch.load(os.path.join(ddp, "last.pt")), torch.load(os.path.join(single, "last.pt"))
    diff = sum(((a["model"][k] - b["model"][k]) ** 2).sum() for k in a["model"]) ** 0.5
    norm = sum((b["model"][k] ** 2).sum() for k in b["model"]) ** 0.5
    assert diff / norm < 1e-4, float(diff / norm)
