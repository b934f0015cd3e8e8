"""Chip/caption datasets from a JSONL manifest, with satellite-appropriate augmentation.

Manifest: one JSON object per line, `{"image": "<path relative to the manifest>",
"caption": "..." | "captions": ["...", ...], "split"?: "train"|"val"|"test", "class"?: "...",
...extra}`. Extra fields are kept on the row (evaluation reads `class`). A row with an
explicitly empty `"captions": []` is an uncaptioned image: only the image-only (SSL)
objective of train.py uses it; see `is_uncaptioned`.

Augmentation randomness is derived from (seed, epoch, index) rather than a global RNG, so
an epoch is reproduced exactly whatever the number of loader workers and after a resume.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import random
from typing import Callable, Sequence

import numpy as np
import torch
from PIL import Image, ImageEnhance

HELD_OUT_SPLITS = {"val", "valid", "validation", "test", "heldout", "held_out"}


def read_manifest(path: str) -> list[dict]:
    """Rows with `image` resolved to an absolute path; raises on a row without image/caption
    (an explicit `"captions": []` marks an uncaptioned image and is accepted)."""
    base = os.path.dirname(os.path.abspath(path))
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if "image" not in row or not (row.get("caption") or row.get("captions") or row.get("captions") == []):
                raise ValueError(f"{path}:{n}: a row needs 'image' and 'caption' (or 'captions')")
            row["image_rel"] = row["image"]
            row["image"] = os.path.normpath(os.path.join(base, row["image"]))
            rows.append(row)
    return rows


def captions_of(row: dict) -> list[str]:
    """The row's captions; empty for an uncaptioned image."""
    caps = row.get("captions")
    if caps is None or (caps == [] and row.get("caption")):
        caps = [row["caption"]]
    return [caps] if isinstance(caps, str) else list(caps)


def is_uncaptioned(row: dict) -> bool:
    return not captions_of(row)


def is_held_out(row: dict, val_fraction: float) -> bool:
    """Held-out membership: the `split` field when present, else a stable hash of the path.

    Hashing the manifest-relative path (not the absolute one) keeps the split identical on
    every machine and checkout location.
    """
    split = row.get("split")
    if split is not None:
        return str(split).lower() in HELD_OUT_SPLITS
    h = int(hashlib.sha1(row["image_rel"].encode("utf-8")).hexdigest()[:8], 16)
    return (h % 10_000) < val_fraction * 10_000


def split_rows(rows: Sequence[dict], val_fraction: float = 0.1) -> tuple[list[dict], list[dict]]:
    train = [r for r in rows if not is_held_out(r, val_fraction)]
    held = [r for r in rows if is_held_out(r, val_fraction)]
    return train, held


def load_rgb(path: str) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("RGB")


def to_tensor(img: Image.Image, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """PIL RGB → normalised float32 [3, H, W] (the ONNX `pixel_values` layout)."""
    arr = np.asarray(img, dtype=np.float32) / 255.0
    arr = (arr - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)
    return torch.from_numpy(arr.transpose(2, 0, 1).copy())


def preprocess_eval(img: Image.Image, size: int) -> Image.Image:
    """The inference transform for crop 'none': resize the whole chip to the square."""
    return img.resize((size, size), Image.BICUBIC)


def augment(img: Image.Image, size: int, rng: random.Random, max_angle: float = 12.0,
            scale: tuple[float, float] = (0.85, 1.0), jitter: float = 0.2) -> Image.Image:
    """Random view of a chip: D4 symmetry, small rotation + zoom, mild colour jitter.

    Overhead imagery has no canonical "up", so all 8 rotations/flips are label-preserving.
    The small rotation and zoom are one affine resample whose crop is shrunk by
    |cos|+|sin| so no empty corners appear. Hue is left alone: colour carries meaning
    (water, vegetation, roofs).
    """
    k = rng.randrange(4)
    if k:
        img = img.transpose([Image.ROTATE_90, Image.ROTATE_180, Image.ROTATE_270][k - 1])
    if rng.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)

    a = math.radians(rng.uniform(-max_angle, max_angle))
    s = rng.uniform(*scale)
    cos, sin = math.cos(a), math.sin(a)
    w, h = img.size
    fx = s * w / (abs(cos) + abs(sin)) / size  # input pixels per output pixel
    fy = s * h / (abs(cos) + abs(sin)) / size
    c = size / 2.0
    # Output (x, y) → input: centre + diag(f) · R · (out − centre).
    m = (fx * cos, -fx * sin, w / 2.0 - fx * (cos * c - sin * c),
         fy * sin, fy * cos, h / 2.0 - fy * (sin * c + cos * c))
    img = img.transform((size, size), Image.AFFINE, m, resample=Image.BILINEAR)

    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        img = enhancer(img).enhance(rng.uniform(1 - jitter, 1 + jitter))
    return img


class ChipDataset(torch.utils.data.Dataset):
    """(pixels [3,S,S], token ids [L]) pairs; `train=True` augments and samples a caption.

    With `views=2` (train only) an item is (view 1, view 2, token ids, has caption): two
    independent augmentations of the chip for the image-only objective. An uncaptioned
    row then gets the empty caption's ids, which the loss masks out.
    """

    def __init__(self, rows: Sequence[dict], encode: Callable[[Sequence[str]], torch.Tensor], size: int,
                 mean: Sequence[float], std: Sequence[float], train: bool, seed: int = 0, views: int = 1):
        self.rows, self.encode, self.size = list(rows), encode, size
        self.mean, self.std, self.train, self.seed = mean, std, train, seed
        self.views = views
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int):
        row = self.rows[i]
        img = load_rgb(row["image"])
        caps = captions_of(row)
        if self.train and self.views == 2:
            rng = random.Random(f"{self.seed}:{self.epoch}:{i}")
            a, b = augment(img, self.size, rng), augment(img, self.size, rng)
            caption = caps[rng.randrange(len(caps))] if caps else ""
            return (to_tensor(a, self.mean, self.std), to_tensor(b, self.mean, self.std),
                    self.encode([caption])[0], torch.tensor(bool(caps)))
        if self.train:
            rng = random.Random(f"{self.seed}:{self.epoch}:{i}")
            img = augment(img, self.size, rng)
            caption = caps[rng.randrange(len(caps))]
        else:
            img = preprocess_eval(img, self.size)
            caption = caps[0]
        return to_tensor(img, self.mean, self.std), self.encode([caption])[0]
