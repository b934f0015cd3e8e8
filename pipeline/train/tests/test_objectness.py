"""Objectness model: output shapes at any size divisible by 32, targets, loss, decode, ONNX export."""
from __future__ import annotations

import numpy as np
import torch

from geoscout_train.objectness import ObjectnessNet, decode, losses, make_targets, param_count


def test_shapes_and_size_budget():
    m = ObjectnessNet().eval()
    assert 50_000 <= param_count(m) <= 300_000
    with torch.no_grad():
        heat, size, off = m(torch.rand(2, 3, 96, 160) * 255)
    assert heat.shape == (2, 1, 24, 40) and size.shape == (2, 2, 24, 40) and off.shape == (2, 2, 24, 40)
    assert float(heat.min()) >= 0 and float(heat.max()) <= 1


def test_targets_decode_back_to_the_boxes():
    boxes = np.array([[10, 20, 9, 4], [100, 90, 60, 40]], np.float32)
    ignore = np.array([[200, 200, 30, 30]], np.float32)
    t = make_targets(boxes, ignore, 256)
    assert (t["heat"] == 1).sum() == 2
    assert t["weight"][52, 52] == 0 and t["weight"][0, 0] == 1  # inside the ignore box / background
    # Decoding the targets themselves must give the boxes back.
    det = decode(t["heat"], t["reg"][:2], t["reg"][2:], thr=0.99)
    got = sorted(det[:, :4].tolist(), key=lambda b: b[0])
    assert np.allclose(got, boxes.tolist(), atol=1e-3)


def test_loss_is_finite_and_trains():
    torch.manual_seed(0)
    m = ObjectnessNet()
    t = make_targets(np.array([[40, 40, 24, 16]], np.float32), np.zeros((0, 4), np.float32), 128)
    tt = {k: torch.from_numpy(v[None]) for k, v in t.items()}
    x = torch.full((1, 3, 128, 128), 90.0)
    x[:, :, 40:56, 40:64] = 230.0
    opt = torch.optim.Adam(m.parameters(), 3e-3)
    first = None
    for _ in range(15):
        ls = losses(m(x), tt)
        first = first if first is not None else float(ls["total"])
        opt.zero_grad()
        ls["total"].backward()
        opt.step()
    assert np.isfinite(float(ls["total"])) and float(ls["total"]) < first


def test_onnx_export_runs_any_size_like_torch(tmp_path):
    import subprocess
    import sys

    ck = tmp_path / "ck.pt"
    torch.save({"model": ObjectnessNet().state_dict(), "step": 0}, ck)
    out = tmp_path / "model"
    p = subprocess.run([sys.executable, "-m", "geoscout_train.objectness_train", "--export", str(ck), "--model-dir", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "max |diff|" in p.stdout
    import json

    import onnxruntime as ort

    manifest = json.loads((out / "objectness.json").read_text())
    assert manifest["stride"] == 4 and [q["mpp"] for q in manifest["passes"]] == [0.25, 0.5, 2, 8]
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    heat, size, off = sess.run(None, {"image": np.zeros((1, 3, 64, 224), np.float32)})
    assert heat.shape == (1, 1, 16, 56) and size.shape == (1, 2, 16, 56) and off.shape == (1, 2, 16, 56)


def test_warm_start_from_exported_onnx_reproduces_the_model(tmp_path):
    """The shipped model is only kept as ONNX (BatchNorm folded): loading it back must give the same outputs,
    and training from it keeps BatchNorm frozen."""
    import onnxruntime as ort

    from geoscout_train.objectness import ObjectnessNet
    from geoscout_train.objectness_onnx_init import freeze_batchnorm, state_from_onnx

    torch.manual_seed(0)
    src = ObjectnessNet()
    for m in src.modules():  # non-trivial BatchNorm statistics, so folding matters
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    src.eval()
    path = str(tmp_path / "model.onnx")
    with torch.no_grad():
        torch.onnx.export(src, (torch.rand(1, 3, 64, 64) * 255,), path, input_names=["image"], output_names=["heat", "size", "offset"],
                          dynamic_axes={"image": {2: "h", 3: "w"}}, opset_version=17, do_constant_folding=True)
    back = ObjectnessNet()
    back.load_state_dict(state_from_onnx(path))
    freeze_batchnorm(back)
    x = torch.rand(1, 3, 96, 128) * 255
    with torch.no_grad():
        got = back(x)  # BatchNorm frozen: same as eval mode although the module is in train mode
    ref = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"image": x.numpy()})
    assert max(float(np.abs(a - b.numpy()).max()) for a, b in zip(ref, got)) < 1e-4
    assert all(not m.weight.requires_grad for m in back.modules() if isinstance(m, torch.nn.BatchNorm2d))
