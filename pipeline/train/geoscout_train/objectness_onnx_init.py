"""Warm start of the objectness model from an exported model.onnx (no PyTorch checkpoint kept).

The export folds each BatchNorm into the convolution before it. Loading back sets every
BatchNorm to the identity plus the folded bias (weight 1, mean 0, variance 1 − eps), and
training then keeps BatchNorm in eval mode (`freeze_batchnorm`): batch statistics would
re-normalise activations the folded weights already account for.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .objectness import ObjectnessNet

# Convolutions followed by a BatchNorm, in forward order (the export's unnamed Conv nodes).
_FUSED = ["c2.0", "c4.0.0", "c4.1.0", "c8.0.0", "c8.1.0", "c16.0.0", "c16.1.0", "c16.2.0", "c32.0.0", "c32.1.0", "head.0"]


def state_from_onnx(path: str) -> dict[str, torch.Tensor]:
    """A state dict for ObjectnessNet equivalent to the ONNX graph at `path`."""
    import onnx
    from onnx import numpy_helper

    g = onnx.load(path).graph
    init = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    model = ObjectnessNet()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    convs = [n for n in g.node if n.op_type == "Conv"]
    fused = [n for n in convs if not n.input[1].endswith(".weight")]
    if len(fused) != len(_FUSED):
        raise ValueError(f"{path}: {len(fused)} folded convolutions, expected {len(_FUSED)} (not an ObjectnessNet export?)")
    for n in convs:
        if n.input[1].endswith(".weight"):
            name = n.input[1][: -len(".weight")]
            state[f"{name}.weight"] = torch.from_numpy(np.array(init[n.input[1]]))
            state[f"{name}.bias"] = torch.from_numpy(np.array(init[n.input[2]]))
    for n, conv in zip(fused, _FUSED):
        prefix, idx = conv.rsplit(".", 1)
        bn = f"{prefix}.{int(idx) + 1}"
        w = torch.from_numpy(np.array(init[n.input[1]]))
        if tuple(w.shape) != tuple(state[f"{conv}.weight"].shape):
            raise ValueError(f"{path}: shape {tuple(w.shape)} for {conv}, expected {tuple(state[f'{conv}.weight'].shape)}")
        state[f"{conv}.weight"] = w
        b = torch.from_numpy(np.array(init[n.input[2]])) if len(n.input) > 2 else torch.zeros(w.shape[0])
        eps = 1e-5
        state[f"{bn}.weight"] = torch.ones_like(b)
        state[f"{bn}.bias"] = b
        state[f"{bn}.running_mean"] = torch.zeros_like(b)
        state[f"{bn}.running_var"] = torch.full_like(b, 1 - eps)
    return state


def freeze_batchnorm(model: nn.Module) -> None:
    """BatchNorm layers in eval mode with fixed scale (the bias, i.e. the folded conv bias, still learns)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
