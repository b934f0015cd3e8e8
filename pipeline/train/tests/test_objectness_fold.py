"""The 2× enlarging pass folded into the objectness model's first convolution."""
from __future__ import annotations

import json
import os
import shutil

import numpy as np
import onnx
import pytest

from geoscout_train.objectness_fold import enlarge_2x, fold_enlarge_2x, fold_model_dir, parity

SHIPPED = os.path.join(os.path.dirname(__file__), "..", "..", "..", "models", "geoscout-objectness")


def test_enlarge_2x_follows_libvips():
    # Output X samples input X/2 - 0.5, clamped: an impulse at 3 spreads to 6, 7, 8 as 1/2, 1, 1/2.
    x = np.zeros((1, 1, 1, 8), np.float32)
    x[..., 3] = 200
    row = enlarge_2x(np.repeat(x, 2, axis=2))[0, 0, 0]
    assert row.tolist()[5:10] == [0, 100, 200, 100, 0]
    edge = enlarge_2x(np.full((1, 1, 2, 2), 50, np.float32))
    assert np.all(edge == 50)


def test_folded_model_matches_the_model_on_the_enlarged_image(tmp_path):
    src = os.path.join(SHIPPED, "model.onnx")
    dst = str(tmp_path / "model-x2.onnx")
    fold_enlarge_2x(src, dst)
    assert parity(src, dst) < 1e-4
    conv = next(n for n in onnx.load(dst).graph.node if n.op_type == "Conv")
    attrs = {a.name: list(a.ints) for a in conv.attribute if a.ints}
    assert attrs["kernel_shape"] == [2, 2] and attrs["strides"] == [1, 1]


def test_refuses_a_model_it_cannot_fold(tmp_path):
    m = onnx.load(os.path.join(SHIPPED, "model.onnx"))
    conv = next(n for n in m.graph.node if n.op_type == "Conv")
    next(a for a in conv.attribute if a.name == "strides").ints[:] = [1, 1]
    bad = str(tmp_path / "bad.onnx")
    onnx.save(m, bad)
    with pytest.raises(ValueError, match="stride 2"):
        fold_enlarge_2x(bad, str(tmp_path / "out.onnx"))


def test_model_dir_lists_the_folded_weights(tmp_path):
    d = tmp_path / "objectness"
    d.mkdir()
    manifest = json.load(open(os.path.join(SHIPPED, "objectness.json")))
    manifest.pop("enlarge2x", None)
    manifest["passes"] = [{k: v for k, v in p.items() if k != "onnx"} for p in manifest["passes"]]
    json.dump(manifest, open(d / "objectness.json", "w"))
    shutil.copy(os.path.join(SHIPPED, "model.onnx"), d / "model.onnx")
    assert fold_model_dir(str(d)) == {"model.onnx": "model-x2.onnx"}
    assert json.load(open(d / "objectness.json"))["enlarge2x"] == {"model.onnx": "model-x2.onnx"}
    assert (d / "model-x2.onnx").exists()
