"""Writes a deliberately broken copy of a geoscout model directory: every float weight
tensor of the ONNX towers is shuffled (same values and shapes, no learned structure),
so it loads and runs like the original but has no idea what a ship looks like. The
eval tests use it as "a worse model version" that the regression check must catch.

usage: scramble_model.py SRC_DIR DEST_DIR NEW_ID [SEED]
"""
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper


def scramble(path: Path, rng: np.random.Generator) -> None:
    model = onnx.load(str(path))
    for init in model.graph.initializer:
        arr = numpy_helper.to_array(init)
        # Only learned matrices: shuffling small vectors (norm scales, biases) or ints would
        # change nothing meaningful or break shape logic.
        if arr.dtype.kind != "f" or arr.size < 256:
            continue
        flat = arr.reshape(-1).copy()
        rng.shuffle(flat)
        init.CopyFrom(numpy_helper.from_array(flat.reshape(arr.shape), init.name))
    onnx.save(model, str(path))


def main() -> None:
    src, dest, new_id = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    rng = np.random.default_rng(seed)
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("*.pt"))
    manifest = json.loads((dest / "geoscout-model.json").read_text())
    for tower in ("image", "text"):
        scramble(dest / manifest[tower]["onnx"], rng)
    manifest["id"] = new_id
    manifest["card"] = manifest.get("card", "MODEL_CARD.md")
    (dest / "geoscout-model.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
