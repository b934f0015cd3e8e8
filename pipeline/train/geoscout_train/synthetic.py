"""Generated toy chips (coloured shapes on textured ground) for tests and smoke runs.

Not the project's synthetic satellite generator (pipeline/synth, TypeScript): this only
has to give the trainer a learnable image↔caption relation in a few seconds.

CLI: python -m geoscout_train.synthetic --out DIR --n 200 [--size 64] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import random

from PIL import Image, ImageDraw

COLOURS = {"red": (200, 40, 40), "green": (40, 170, 60), "blue": (40, 70, 210), "yellow": (230, 210, 40)}
SHAPES = ["circle", "square", "triangle"]


def draw_chip(shape: str, colour: str, size: int, rng: random.Random) -> Image.Image:
    """One chip: noisy grey-brown ground with 1–3 instances of the shape in the colour."""
    ground = tuple(rng.randint(60, 110) for _ in range(3))
    img = Image.new("RGB", (size, size), ground)
    d = ImageDraw.Draw(img)
    for _ in range(size // 4):  # speckle so the ground is not flat
        x, y = rng.randrange(size), rng.randrange(size)
        d.point((x, y), fill=tuple(max(0, c - rng.randint(0, 40)) for c in ground))
    for _ in range(rng.randint(1, 3)):
        r = rng.randint(size // 8, size // 4)
        cx, cy = rng.randint(r, size - r), rng.randint(r, size - r)
        fill = tuple(min(255, max(0, c + rng.randint(-20, 20))) for c in COLOURS[colour])
        if shape == "circle":
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif shape == "square":
            d.rectangle((cx - r, cy - r, cx + r, cy + r), fill=fill)
        else:
            d.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)], fill=fill)
    return img


def make_dataset(out_dir: str, n: int, size: int = 64, seed: int = 0, with_split: bool = False) -> str:
    """Write n PNG chips and `manifest.jsonl` (caption, class = shape); returns its path.

    Captions vary in wording so the tokenizer and text tower see more than one template.
    """
    rng = random.Random(seed)
    os.makedirs(os.path.join(out_dir, "chips"), exist_ok=True)
    templates = ["a {c} {s}", "{c} {s}s on bare ground", "an aerial view of a {c} {s}",
                 "satellite image showing {c} {s} shapes"]
    path = os.path.join(out_dir, "manifest.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            shape, colour = SHAPES[i % len(SHAPES)], list(COLOURS)[(i // len(SHAPES)) % len(COLOURS)]
            rel = f"chips/{i:05d}.png"
            draw_chip(shape, colour, size, rng).save(os.path.join(out_dir, rel))
            row = {"image": rel, "caption": rng.choice(templates).format(c=colour, s=shape),
                   "class": shape, "colour": colour}
            if with_split:
                row["split"] = "val" if i % 5 == 4 else "train"
            f.write(json.dumps(row) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--with-split", action="store_true", help="write a split field (every 5th row is val)")
    a = ap.parse_args()
    print(make_dataset(a.out, a.n, a.size, a.seed, a.with_split))


if __name__ == "__main__":
    main()
