"""The objectness model's 2× enlarging pass folded into its first convolution.

On 0.5 m imagery the 0.25 m/px pass enlarges every tile 2× (bilinear, libvips' convention:
output pixel X samples input X/2 − 0.5, edges clamped) and runs the model on 4× the
pixels. Enlarging is linear, and so is the first convolution (3×3, stride 2, padding 1,
after the in-graph normalisation), so the two compose into one 2×2 stride-1 convolution
on the native pixels: output o takes enlarged pixels 2o−1, 2o, 2o+1, which are native
o−1, the mean of o−1 and o, and o. The folded graph gives the same outputs on the native
tile up to two things. The enlarged pixels are rounded to whole levels. And in the first
output row and column the enlargement clamps (enlarged pixel 0 is native 0) where the
fold sees half the padding: exact when the tile's first row and column are mid-grey
(127.5), and elsewhere a difference that fades inwards (about 0.01 in the heatmap 16 cells
in, where a model tile's margin ends and its kept core begins). The runtime then skips the
enlarging and feeds a 4× smaller input (bench:detect: the gated harbour run 0.86× the time).

    python -m geoscout_train.objectness_fold --model-dir models/geoscout-objectness

writes `<name>-x2.onnx` beside each weights file of the manifest and lists them under
`enlarge2x` in objectness.json (pipeline/detect/objectness.ts reads it).
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

# Enlarged-pixel tap t of the 3×3 kernel → weights on native offsets (−1, 0).
_TAPS = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
_ELEMENTWISE = {"Constant", "Sub", "Div", "Mul", "Add"}


def fold_enlarge_2x(src: str, dst: str) -> None:
    """Writes to `dst` the model at `src` with a 2× enlargement folded into its first convolution."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(src)
    g = m.graph
    first = next((i for i, n in enumerate(g.node) if n.op_type == "Conv"), None)
    if first is None or any(n.op_type not in _ELEMENTWISE for n in g.node[:first]):
        raise ValueError(f"{src}: the first operation on the image must be a convolution after elementwise normalisation")
    conv = g.node[first]
    attrs = {a.name: list(onnx.helper.get_attribute_value(a)) for a in conv.attribute if a.name in ("kernel_shape", "strides", "pads", "dilations")}
    group = next((a.i for a in conv.attribute if a.name == "group"), 1)
    if attrs.get("kernel_shape") != [3, 3] or attrs.get("strides") != [2, 2] or attrs.get("pads") != [1, 1, 1, 1] or attrs.get("dilations", [1, 1]) != [1, 1] or group != 1:
        raise ValueError(f"{src}: the first convolution is {attrs} (group {group}); folding needs 3×3, stride 2, padding 1")
    init = {i.name: i for i in g.initializer}
    kernel = numpy_helper.to_array(init[conv.input[1]]).astype(np.float64)
    folded = np.einsum("ta,ub,oitu->oiab", _TAPS, _TAPS, kernel).astype(np.float32)
    weight = numpy_helper.from_array(folded, conv.input[1] + "_enlarge2x")
    if sum(1 for n in g.node for i in n.input if i == conv.input[1]) == 1:
        g.initializer.remove(init[conv.input[1]])
    g.initializer.append(weight)
    conv.input[1] = weight.name
    for a in conv.attribute:
        if a.name == "kernel_shape":
            a.ints[:] = [2, 2]
        elif a.name == "strides":
            a.ints[:] = [1, 1]
        elif a.name == "pads":
            a.ints[:] = [1, 1, 0, 0]  # top, left, bottom, right: native offsets −1 and 0
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def enlarge_2x(x: np.ndarray) -> np.ndarray:
    """NCHW 2× bilinear enlargement with libvips' convention (input X/2 − 0.5, edges clamped), unrounded."""
    def axis(a: np.ndarray, ax: int) -> np.ndarray:
        n = a.shape[ax]
        u = np.arange(2 * n) / 2 - 0.5
        i0 = np.clip(np.floor(u).astype(int), 0, n - 1)
        i1 = np.clip(np.floor(u).astype(int) + 1, 0, n - 1)
        f = (u - np.floor(u)).reshape([-1 if d == ax else 1 for d in range(a.ndim)])
        return np.take(a, i0, axis=ax) * (1 - f) + np.take(a, i1, axis=ax) * f
    return axis(axis(x, 2), 3).astype(np.float32)


def parity(src: str, dst: str, size: int = 192) -> float:
    """Max |difference| of any output between `src` on an enlarged image and `dst` on the image,
    whose first row and column are mid-grey (where the fold is exact)."""
    from .onnx_utils import session

    rng = np.random.default_rng(0)
    coarse = rng.uniform(0, 255, (1, 3, size // 8, size // 8)).astype(np.float32)
    img = np.kron(coarse, np.ones((1, 1, 8, 8), np.float32)) + rng.normal(0, 12, (1, 3, size, size)).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.float32)
    img[:, :, 0, :] = img[:, :, :, 0] = 127.5
    a, b = session(src), session(dst)
    name = a.get_inputs()[0].name
    ref = a.run(None, {name: enlarge_2x(img)})
    got = b.run(None, {name: img})
    if any(r.shape != g.shape for r, g in zip(ref, got)):
        raise ValueError(f"folded outputs {[g.shape for g in got]} against {[r.shape for r in ref]}")
    return max(float(np.abs(r - g).max()) for r, g in zip(ref, got))


def fold_model_dir(model_dir: str, tolerance: float = 1e-3) -> dict[str, str]:
    """Folds every weights file the manifest names and records them under `enlarge2x`."""
    path = os.path.join(model_dir, "objectness.json")
    manifest = json.load(open(path))
    files = sorted({manifest["onnx"], *(p["onnx"] for p in manifest["passes"] if p.get("onnx"))})
    out: dict[str, str] = {}
    for f in files:
        stem, ext = os.path.splitext(f)
        dst = f"{stem}-x2{ext}"
        fold_enlarge_2x(os.path.join(model_dir, f), os.path.join(model_dir, dst))
        diff = parity(os.path.join(model_dir, f), os.path.join(model_dir, dst))
        print(f"[objectness] folded {f} → {dst}; outputs max |diff| {diff:.2e}", flush=True)
        if diff > tolerance:
            raise SystemExit(f"fold parity failed for {f}: {diff}")
        out[f] = dst
    manifest["enlarge2x"] = out
    with open(path, "w") as fh:
        json.dump(manifest, fh, indent=2)
        fh.write("\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", required=True, help="objectness model folder (objectness.json + weights)")
    fold_model_dir(ap.parse_args().model_dir)


if __name__ == "__main__":
    main()
