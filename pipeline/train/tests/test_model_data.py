"""Model shapes/invariants and the data pipeline (manifest, split, augmentation)."""
import json
import os
import random

import pytest
import torch
from PIL import Image

from geoscout_train.data import ChipDataset, augment, is_held_out, read_manifest, split_rows
from geoscout_train.model import GeoCLIP, get_config


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    return GeoCLIP(get_config("tiny", 300)).eval()


def test_outputs_are_normalised_with_expected_shapes(tiny_model):
    cfg = tiny_model.cfg
    px = torch.randn(3, 3, cfg.image_size, cfg.image_size)
    with torch.no_grad():
        img, patches = tiny_model.encode_image(px, with_patches=True)
        txt = tiny_model.encode_text(torch.randint(3, 300, (3, cfg.context_length)))
    assert img.shape == (3, cfg.embed_dim) and txt.shape == (3, cfg.embed_dim)
    assert patches.shape == (3, cfg.grid * cfg.grid, cfg.embed_dim)
    for t in (img, txt, patches):
        assert torch.allclose(t.norm(dim=-1), torch.ones(t.shape[:-1]), atol=1e-5)


def test_rows_do_not_interact_within_a_batch(tiny_model):
    # Catches reshape/transpose mistakes in hand-written attention that mix batch rows.
    cfg = tiny_model.cfg
    px = torch.randn(4, 3, cfg.image_size, cfg.image_size)
    ids = torch.randint(3, 300, (4, cfg.context_length))
    with torch.no_grad():
        batched_i, batched_t = tiny_model.encode_image(px), tiny_model.encode_text(ids)
        for k in range(4):
            assert torch.allclose(tiny_model.encode_image(px[k:k + 1])[0], batched_i[k], atol=1e-5)
            assert torch.allclose(tiny_model.encode_text(ids[k:k + 1])[0], batched_t[k], atol=1e-5)


def test_text_pools_at_last_token_and_is_causal(tiny_model):
    L = tiny_model.cfg.context_length
    a = torch.zeros(1, L, dtype=torch.long)
    a[0, :5] = torch.tensor([1, 50, 60, 70, 2])
    b = a.clone()
    b[0, 2] = 61  # a token before EOT changes the embedding
    c = a.clone()
    c[0, :6] = torch.tensor([1, 50, 60, 70, 80, 2])  # a longer text pools at its own EOT
    with torch.no_grad():
        ea, eb, ec = (tiny_model.encode_text(x) for x in (a, b, c))
    assert not torch.allclose(ea, eb, atol=1e-4) and not torch.allclose(ea, ec, atol=1e-4)


def test_manifest_paths_split_and_errors(tmp_path):
    Image.new("RGB", (20, 20), (255, 0, 0)).save(tmp_path / "a.png")
    rows = [{"image": "a.png", "caption": "red", "split": "val"}, {"image": "a.png", "captions": ["x", "y"]},
            {"image": "a.png", "caption": "red", "split": "train"}]
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "m.jsonl").write_text("\n".join(json.dumps(r).replace('"a.png"', '"../a.png"') for r in rows) + "\n")
    got = read_manifest(str(sub / "m.jsonl"))
    assert all(r["image"] == str(tmp_path / "a.png") for r in got)
    assert [is_held_out(r, 0.5) for r in (got[0], got[2])] == [True, False]
    (sub / "bad.jsonl").write_text(json.dumps({"image": "a.png"}) + "\n")
    with pytest.raises(ValueError, match="caption"):
        read_manifest(str(sub / "bad.jsonl"))


def test_hash_split_is_stable_and_near_the_fraction():
    rows = [{"image_rel": f"chips/{i:05d}.png"} for i in range(4000)]
    train, held = split_rows(rows, 0.1)
    assert 0.08 < len(held) / len(rows) < 0.12 and len(train) + len(held) == len(rows)
    assert [r["image_rel"] for r in split_rows(rows, 0.1)[1]] == [r["image_rel"] for r in held]


def test_augmentation_is_seeded_per_epoch_and_index(dataset):
    rows = read_manifest(dataset)[:3]
    ds = ChipDataset(rows, lambda texts: torch.zeros(len(texts), 4, dtype=torch.long), 32, (0.5,) * 3, (0.25,) * 3,
                     train=True, seed=7)
    ds.set_epoch(0)
    a0, a0_again = ds[1][0], ds[1][0]
    ds.set_epoch(1)
    a1 = ds[1][0]
    assert a0.shape == (3, 32, 32) and torch.equal(a0, a0_again) and not torch.equal(a0, a1)


def test_augment_keeps_content_without_empty_corners():
    img = Image.new("RGB", (64, 64), (200, 100, 50))
    for seed in range(20):
        out = augment(img, 32, random.Random(seed), jitter=0.0)
        px = torch.tensor(list(out.getdata()), dtype=torch.float)
        assert out.size == (32, 32) and px.min() > 40, "rotation must not expose black corners"
